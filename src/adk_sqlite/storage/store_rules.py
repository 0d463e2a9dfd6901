"""The decisions every store's jobs take the same way, whatever their SQL. Pure, no I/O.

A backend reads what a rule needs inside its own transaction (under its own
lock) and hands it here: so the stale-writer check, a new session's revision
and the errors a caller sees are one implementation for every backend.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from adk_sqlite.errors import (
    STALE_SESSION_MESSAGE,
    ConfigurationError,
    SchemaError,
    SchemaVersionError,
    SessionNotFoundError,
    StaleSessionError,
)
from adk_sqlite.records import EventRecord, SessionRecord, SessionSnapshot, StaleCheck, StateDelta

__all__ = [
    "check_not_stale",
    "created_session",
    "event_session_key",
    "foreign_table",
    "new_revision",
    "newer_schema_version",
    "owner_column_missing",
    "owner_params",
    "session_not_found",
    "stale_session",
]

# Revisions stay below 2**53 so that every backend and JSON reader holds them exactly.
_REVISION_BITS = 52


def event_session_key(event: EventRecord) -> tuple[str, str, str]:
    """The (app name, user id, session id) of the session an event belongs to."""
    return (event.app_name, event.user_id, event.session_id)


def new_revision() -> int:
    """A new session's first revision.

    Random, so that a Session object kept from before a delete cannot match a
    new session created later under the same id.
    """
    return secrets.randbits(_REVISION_BITS)


def owner_params(owner_id: Any) -> tuple[Any, ...]:
    """The bound parameters an owner-confined statement adds (none without an owner)."""
    return () if owner_id is None else (owner_id,)


def session_not_found(session_id: str) -> SessionNotFoundError:
    return SessionNotFoundError(f"Session {session_id} not found.")


def stale_session(session_id: str) -> StaleSessionError:
    return StaleSessionError(STALE_SESSION_MESSAGE.format(id=session_id))


def check_not_stale(
    expected: StaleCheck,
    revision: int,
    newest_event_ids: Sequence[str | None] | None,
    session_id: str,
) -> None:
    """Raises unless the stored session is the one the writer read.

    Args:
        expected: What the writer believes is stored.
        revision: The stored revision, read under the transaction's lock.
        newest_event_ids: The ids of the newest event by append order and by
            time (either may be None), read only when ``expected.revision`` is
            None: the caller skips that read otherwise.
        session_id: Named in the error.

    Raises:
        StaleSessionError: ``expected`` does not match.
    """
    if expected.revision is not None:
        if expected.revision != revision:
            raise stale_session(session_id)
        return
    if newest_event_ids is None or expected.last_event_id not in newest_event_ids:
        raise stale_session(session_id)


def created_session(
    key: tuple[str, str, str],
    state: StateDelta,
    create_time: float,
    revision: int,
    owner_id: Any,
    *,
    app_state: dict[str, Any],
    user_state: dict[str, Any],
) -> SessionSnapshot:
    """What `create_session` returns: the new row, the merged scopes, no events."""
    app_name, user_id, session_id = key
    record = SessionRecord(
        app_name=app_name,
        user_id=user_id,
        id=session_id,
        state=state.session,
        create_time=create_time,
        update_time=create_time,
        revision=revision,
        owner_id=owner_id,
    )
    return SessionSnapshot(session=record, app_state=app_state, user_state=user_state)


# --- schema -------------------------------------------------------------------------


def newer_schema_version(sessions_table: str, version: int, supported: int) -> SchemaVersionError:
    """The refusal of a table set written by a newer adk-sqlite (left untouched)."""
    return SchemaVersionError(
        f"tables {sessions_table!r}... are at schema version {version}, newer than"
        f" this adk-sqlite understands ({supported}): upgrade adk-sqlite;"
        " the database was not changed"
    )


def foreign_table(name: str, *, elsewhere: str) -> SchemaError:
    """The refusal of a table that exists without a recorded schema version.

    Args:
        name: The table.
        elsewhere: Where else the caller may put its tables, e.g.
            ``"another database file"``.
    """
    return SchemaError(
        f"table {name!r} exists but was not created by adk-sqlite (no schema version"
        f" is recorded for it): choose other table names or {elsewhere}"
    )


def owner_column_missing(sessions_table: str, column: str) -> ConfigurationError:
    """The refusal of an owner column that the existing sessions table lacks."""
    return ConfigurationError(
        f"table {sessions_table!r} was created without the owner column {column!r};"
        " it cannot be added to existing tables"
    )
