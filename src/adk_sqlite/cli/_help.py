"""The help text the group and every command share; imports nothing, so ``--help`` stays quick."""

from __future__ import annotations

__all__ = ["example"]


def example(*commands: str) -> str:
    """The epilog every command ends its ``--help`` with: one or more examples."""
    title = "Example:" if len(commands) == 1 else "Examples:"
    lines = "\n".join(f"  {command}" for command in commands)
    return f"{title}\n\n\b\n{lines}"
