"""A ``Session`` through pydantic validation: what the fast builder is checked against.

`session_validated` is what reads fall back to when the fast path is off, and
the reference `self_check` compares `sessions.build_session` with. It lives in
this package, not beside `adk_sqlite.codec.events`' reference, because it sets
ADK's private revision marker, and imports none of the fast modules, so that it
works when they cannot be imported.
"""

from __future__ import annotations

from typing import Any

from google.adk.events.event import Event
from google.adk.sessions.session import Session

from adk_sqlite.records import SessionRecord

__all__ = ["session_validated"]

_MARKER = "_storage_update_marker"


def session_validated(record: SessionRecord, state: dict[str, Any], events: list[Event]) -> Session:
    """The ``Session`` of ``record``, validated, carrying its revision marker.

    Args:
        record: The stored session row.
        state: Its state merged with the app and user scopes.
        events: Its decoded events, in order.
    """
    session = Session.model_validate(
        {
            "id": record.id,
            "app_name": record.app_name,
            "user_id": record.user_id,
            "state": state,
            "events": events,
            "last_update_time": record.update_time,
        }
    )
    if _MARKER in Session.__private_attributes__:  # see adk_sqlite.adk.session_marker
        session._storage_update_marker = str(record.revision)
    return session
