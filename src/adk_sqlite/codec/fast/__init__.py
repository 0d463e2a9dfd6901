"""Decoding without re-validation: the codec's fast path.

Events read back from a store were validated by pydantic when they were made, so the
codec can rebuild them from their JSON without validating them again.
"""
