"""The ADK memory-service contract suite, run over every registered backend."""
