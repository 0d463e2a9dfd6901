"""get_session on a long compacted history, with and without ``skip_compacted_events``.

Builds one session per size (1k, 10k, 100k events) in a SQLite file, shaped as
ADK's sliding-window compaction leaves it (compaction_interval 3, overlap_size 1:
after every third invocation of a user message and a reply, a compaction event
covering those invocations and the one before), written in bulk with the store's
own INSERT, then times ``get_session`` (median of several) on SessionService with
the option off and on. ``--mode token`` shapes it as token-threshold compaction
leaves it instead (every tenth invocation, a compaction from the session's first
event to the end of the invocation before, containing every earlier one), and
every other reply changes the state (a state delta: a flagged event). Each row
gets the view the service would store (`compaction_view.event_view`);
``--without-views`` leaves them NULL, as in rows written before schema version 5.
Run with ``python -m benchmarks.compaction [--sizes ...] [--mode sliding|token]``.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
import uuid
import warnings
from pathlib import Path

from google.adk.apps.app import EventsCompactionConfig
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions, EventCompaction
from google.genai import types

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.adk.compaction_view import event_view
from adk_sqlite.codec.events import encode_event, julian_day_from_unix
from adk_sqlite.sqlite.schema.statements import render_statements
from adk_sqlite.storage.session_jobs import view_values
from adk_sqlite.storage.store_options import TableNames

APP, USER, SESSION = "bench", "u", "s"
INTERVAL, OVERLAP = 3, 1
TOKEN_EVERY = 10  # token-threshold mode: a compaction every tenth invocation


def _history(size: int, start: float, mode: str = "sliding") -> list[Event]:
    events: list[Event] = []
    invocations: list[tuple[float, float]] = []  # (first, last) timestamp of each
    clock = start
    while len(events) < size:
        invocation = f"e-{uuid.uuid4()}"
        first = clock
        for author, role, text in (("user", "user", "question"), ("assistant", "model", "answer")):
            # Token mode: every other reply changes the state, as an output_key would.
            changes_state = mode == "token" and author == "assistant" and len(invocations) % 2 == 0
            event = Event(
                invocation_id=invocation,
                author=author,
                timestamp=clock,
                content=types.Content(role=role, parts=[types.Part(text=f"{text} {clock}")]),
            )
            if changes_state:
                event.actions = EventActions(state_delta={"last": text})
            events.append(event)
            clock += 0.01
        invocations.append((first, clock - 0.01))
        if mode == "token":
            due = len(invocations) % TOKEN_EVERY == 0
            # All but the newest invocation: each compaction contains the ones before.
            window = invocations[:-1]
        else:
            due = len(invocations) % INTERVAL == 0 and len(invocations) > INTERVAL
            window = invocations[-(INTERVAL + OVERLAP) :]
        if due:
            summary = types.Content(role="model", parts=[types.Part(text="summary")])
            events.append(
                Event(
                    invocation_id=f"e-{uuid.uuid4()}",
                    author="user",
                    timestamp=clock,
                    actions=EventActions(
                        compaction=EventCompaction(
                            start_timestamp=window[0][0],
                            end_timestamp=window[-1][1],
                            compacted_content=summary,
                        )
                    ),
                )
            )
            clock += 0.01
    return events


async def _build(path: Path, size: int, mode: str = "sliding", *, views: bool = True) -> None:
    async with SessionService(SqliteStore(path)) as service:
        await service.create_session(app_name=APP, user_id=USER, session_id=SESSION)
    insert = render_statements(
        TableNames(
            sessions="adk_sessions",
            events="adk_events",
            app_states="adk_app_states",
            user_states="adk_user_states",
        ),
        None,
    ).insert_event
    history = _history(size, time.time() - size, mode)
    records = [
        encode_event(
            event,
            app_name=APP,
            user_id=USER,
            session_id=SESSION,
            state_delta=event.actions.state_delta or None,
        )
        for event in history
    ]
    with sqlite3.connect(path) as connection:
        (key,) = connection.execute("SELECT session_key FROM adk_sessions").fetchone()
        connection.executemany(
            insert,
            (
                (
                    *_values(record),
                    julian_day_from_unix(record.timestamp),
                    key,
                    *view_values(event_view(event) if views else None),
                )
                for record, event in zip(records, history, strict=True)
            ),
        )


def _values(record: object) -> tuple[object, ...]:
    import msgspec

    return msgspec.structs.astuple(record)  # type: ignore[arg-type]


def _config(mode: str) -> EventsCompactionConfig:
    if mode == "token":
        return EventsCompactionConfig(token_threshold=1000, event_retention_size=2)
    return EventsCompactionConfig(compaction_interval=INTERVAL, overlap_size=OVERLAP)


async def _median_get(
    path: Path, *, skip: bool, repeats: int, mode: str = "sliding"
) -> tuple[float, int]:
    config = _config(mode)
    async with SessionService(
        SqliteStore(path), skip_compacted_events=skip, events_compaction_config=config
    ) as service:
        await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)  # warm
        times = []
        for _ in range(repeats):
            began = time.perf_counter()
            session = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
            times.append(time.perf_counter() - began)
        assert session is not None
        return statistics.median(times), len(session.events)


async def main(sizes: list[int], repeats: int, mode: str = "sliding", views: bool = True) -> None:
    print(
        "| history (events) | events loaded, off | get_session, off"
        " | events loaded, on | get_session, on |"
    )
    print("|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            path = Path(folder) / f"history-{size}.db"
            await _build(path, size, mode, views=views)
            off, loaded_off = await _median_get(path, skip=False, repeats=repeats, mode=mode)
            on, loaded_on = await _median_get(path, skip=True, repeats=repeats, mode=mode)
            print(
                f"| {size:,} | {loaded_off:,} | {off * 1000:.1f} ms"
                f" | {loaded_on:,} | {on * 1000:.1f} ms |"
            )


if __name__ == "__main__":
    warnings.simplefilter("ignore")  # ADK marks EventsCompactionConfig experimental
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--mode", choices=["sliding", "token"], default="sliding")
    parser.add_argument("--without-views", action="store_true", help="rows as before schema 5")
    arguments = parser.parse_args()
    asyncio.run(
        main(arguments.sizes, arguments.repeats, arguments.mode, not arguments.without_views)
    )
