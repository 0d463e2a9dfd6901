"""The export keeps what the round-trip invariant keeps: NaN, infinities, -0.0, tags."""

from __future__ import annotations

import math
from pathlib import Path

from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.genai import types
from pydantic import BaseModel

from adk_sqlite import PostgresStore, SessionService, SqliteStore, export_to_postgres


class Verdict(BaseModel):
    approved: bool = False
    score: float = 0.0


async def test_values_json_cannot_hold_reach_postgresql_exactly(
    source_path: Path, dsn: str
) -> None:
    original = Event(
        id="e1",
        author="model",
        timestamp=-0.0,
        avg_logprobs=-math.inf,
        output={"v": Verdict(), "tag-shaped": {"$float": "NaN"}},
        grounding_metadata=types.GroundingMetadata(
            grounding_supports=[types.GroundingSupport(confidence_scores=[math.nan, 0.5])]
        ),
        content=types.Content(
            role="model",
            parts=[types.Part(function_call=types.FunctionCall(name="f", args={"x": math.inf}))],
        ),
        custom_metadata={"n": math.nan},
        actions=EventActions(state_delta={"k": math.nan, "app:k": -math.inf}),
    )
    async with SessionService(SqliteStore(source_path)) as service:
        session = await service.create_session(
            app_name="a", user_id="u", session_id="s", state={"start": math.inf}
        )
        await service.append_event(session, original)
        from_sqlite = await service.get_session(app_name="a", user_id="u", session_id="s")

    report = await export_to_postgres(source_path, dsn)
    assert report.verified

    async with SessionService(PostgresStore(dsn)) as service:
        from_postgres = await service.get_session(app_name="a", user_id="u", session_id="s")
    assert from_sqlite is not None
    assert from_postgres is not None
    (event,) = from_postgres.events
    assert repr(event.model_dump()) == repr(original.model_dump())
    assert event.model_dump_json() == original.model_dump_json()
    assert repr(from_postgres.state) == repr(from_sqlite.state)
    assert repr(from_postgres.state) == repr({"start": math.inf, "k": math.nan, "app:k": -math.inf})
