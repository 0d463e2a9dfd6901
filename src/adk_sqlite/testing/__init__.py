"""Helpers for testing code that uses adk-sqlite, and for running demos offline."""

from __future__ import annotations

from adk_sqlite.testing.embedders import HashingEmbedder
from adk_sqlite.testing.scripted_model import ScriptedModel, ScriptExhaustedError, call_tool, say

__all__ = [
    "HashingEmbedder",
    "ScriptExhaustedError",
    "ScriptedModel",
    "call_tool",
    "say",
]
