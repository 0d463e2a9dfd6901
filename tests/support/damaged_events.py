"""A small conversation written by the real service, and the ways to damage one of its rows.

Each damage is a row an older, buggy version or a damaged file could leave: text
that is not JSON, an actions pickle the restricted unpickler refuses, JSON that
parses but is not a ``Content``, and a BLOB in a column the store reads as text.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
from pathlib import Path
from typing import Any

from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.genai import types

from adk_sqlite import SessionService

APP, USER, SESSION, OTHER_SESSION = "support", "ada", "ticket-1", "ticket-2"
EVENT_IDS = ("e0", "e1", "e2", "e3")
DAMAGED_ID = "e1"

# Every column of the events table (schema version 1), to compare rows byte for byte.
EVENT_TABLE_COLUMNS = (
    "seq, id, session_id, app_name, user_id, invocation_id, author, actions,"
    " long_running_tool_ids_json, branch, timestamp, content, grounding_metadata,"
    " custom_metadata, partial, turn_complete, interrupted, error_code, error_message,"
    " usage_metadata, citation_metadata, input_transcription, output_transcription, extra,"
    " timestamp_unix, session_key"
)
_TYPED_COLUMNS = ", ".join(
    f"{name}, typeof({name})" for name in (part.strip() for part in EVENT_TABLE_COLUMNS.split(","))
)

# (column, value) written over the damaged event's row; the keys are the test ids.
# The actions pickle names os.system, which the restricted unpickler refuses unrun.
DAMAGES: dict[str, tuple[str, Any]] = {
    "invalid_json": ("content", '{"parts": [{"text": "cut off'),
    "refused_pickle": ("actions", pickle.dumps(os.system)),
    "not_a_content": ("content", '{"parts": 5}'),
}
# Only check and repair can handle this one: the store's read fails on it first.
BLOB_IN_TEXT_COLUMN = ("branch", b"\x00\xffnot text")


def event(event_id: str, text: str, timestamp: float) -> Event:
    """A model reply with some content and a state change."""
    return Event(
        id=event_id,
        invocation_id=f"inv-{event_id}",
        author="agent",
        timestamp=timestamp,
        content=types.Content(role="model", parts=[types.Part(text=text)]),
        actions=EventActions(state_delta={f"seen_{event_id}": True}),
    )


async def write_conversation(service: SessionService) -> None:
    """Two sessions: ``SESSION`` with the events of ``EVENT_IDS``, ``OTHER_SESSION`` with one."""
    session = await service.create_session(
        app_name=APP, user_id=USER, session_id=SESSION, state={"topic": "refund"}
    )
    for index, event_id in enumerate(EVENT_IDS):
        await service.append_event(session, event(event_id, f"reply {index}", 1000.0 + index))
    other = await service.create_session(app_name=APP, user_id=USER, session_id=OTHER_SESSION)
    await service.append_event(other, event("o0", "elsewhere", 2000.0))


def damage(path: Path, column: str, value: Any, event_id: str = DAMAGED_ID) -> None:
    """Overwrites one column of one event row with a plain connection, as a bad writer would."""
    connection = sqlite3.connect(path)
    try:
        # Column names come from this module's table of damages, never from input.
        connection.execute(
            f"UPDATE adk_events SET {column} = ? WHERE id = ? AND session_id = ?",
            (value, event_id, SESSION),
        )
        connection.commit()
    finally:
        connection.close()


def raw_rows(path: Path, table: str, event_id: str) -> list[tuple[Any, ...]]:
    """Every column of the rows of ``table`` for ``event_id``, each with its SQLite type."""
    connection = sqlite3.connect(path)
    try:
        return connection.execute(
            f"SELECT {_TYPED_COLUMNS} FROM {table} WHERE id = ?", (event_id,)
        ).fetchall()
    finally:
        connection.close()
