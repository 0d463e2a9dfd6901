"""Which rows of an artifacts or memories table a tool reads: of an app, a user, a session.

The tools' statements take the three as ``?1``, ``?2`` and ``?3``, each matching any
row when None (``(?1 IS NULL OR app_name = ?1)``), so a `RowFilter` is bound as it is.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["RowFilter"]


class RowFilter(NamedTuple):
    """The rows of this app, user and session; None matches any."""

    app_name: str | None = None
    user_id: str | None = None
    session_id: str | None = None
