"""The ADK session-service contract suite, run over every registered backend."""
