"""Building a ``Session`` without validation: the fast twin of `session_validated`.

Every value is already of its validated type (the record came from a store,
the events from the codec), so the Session is assembled directly: listing a
thousand sessions does not pay a thousand validations. Imported only through
`adk_sqlite.codec.fast`, once its self-check has passed.
"""

from __future__ import annotations

from typing import Any

from google.adk.events.event import Event
from google.adk.sessions.session import Session

from adk_sqlite.codec.fast.model_builder import ModelBuilder
from adk_sqlite.records import SessionRecord

__all__ = ["build_session"]

_SESSION = ModelBuilder(Session)
_SESSION_TEMPLATE = _SESSION.template


def build_session(record: SessionRecord, state: dict[str, Any], events: list[Event]) -> Session:
    """The ``Session`` of ``record`` that `session_validated` gives, built directly."""
    data = _SESSION_TEMPLATE.copy()
    data["id"] = record.id
    data["app_name"] = record.app_name
    data["user_id"] = record.user_id
    data["state"] = state
    data["events"] = events
    data["last_update_time"] = record.update_time
    return _SESSION.assemble(
        data,
        {"id", "app_name", "user_id", "state", "events", "last_update_time"},
        private={"_storage_update_marker": str(record.revision)},
    )
