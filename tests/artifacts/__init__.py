"""The ADK artifact-service contract suite, run over every registered backend."""
