"""`ForgetReport`: what forgetting a user removed, the same on every layout and backend."""

from __future__ import annotations

import msgspec

__all__ = ["ForgetReport"]


class ForgetReport(msgspec.Struct, frozen=True, kw_only=True):
    """What ``forget_user`` removed, row counts by kind.

    Attributes:
        sessions: Sessions (on one file per session, archived ones included).
        events: Their events.
        user_state: ``user:`` state rows (0 or 1).
        artifact_versions: Artifact versions, user- and session-scoped.
        memories: Memories (their index entries and vectors go with them).
        damaged_events: Events ``check --repair`` had set aside.
        files: Files removed (one file per session: live, archived and set-aside session
            files); 0 for a shared SQLite file and for PostgreSQL.
    """

    sessions: int
    events: int
    user_state: int
    artifact_versions: int
    memories: int
    damaged_events: int
    files: int = 0
