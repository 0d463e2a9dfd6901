"""A writer process for the contention tests (run as a child, never collected).

``appends`` mode: ``_contention_writer.py appends DB INDEX SESSIONS APPENDS``. The process
opens its own store on the shared file, creates its sessions, prints ``ready`` and waits
for a line on stdin, so that every process starts appending at the same moment. Then it
appends ``APPENDS`` events spread over its ``SESSIONS`` sessions, all sessions concurrently.
Half of its sessions belong to the user ``shared``, whose ``user:`` state every process
writes too, and every event writes the ``app:`` state that all processes share: a lost
update in either row would show as a wrong final count. At the end it prints one JSON line:
how many appends returned, and every exception raised, by type and message.

``busy`` mode: ``_contention_writer.py busy DB``. Appends events with a 1 MB payload to
its own session, forever, so that at any moment it is most likely inside a write
transaction; it prints ``ready`` once it has started. The test stops it with SIGSTOP.

``race`` mode: ``_contention_writer.py race DB NAME``. Two of these race on one session.
On ``read`` the process fetches the session and prints ``ready``; on ``go`` it appends
one event through that copy and prints ``won <event id>``, ``stale`` or
``error <type>: <message>``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.adk.sessions.base_session_service import GetSessionConfig

from adk_sqlite import SessionService, SqliteStore, StaleSessionError

APP = "contention"
RACE_KEY = {"app_name": APP, "user_id": "racer", "session_id": "contested"}


def _user_of(process: int, session: int) -> str:
    return "shared" if session % 2 == 0 else f"own-{process}"


async def _append_many(
    service: SessionService, process: int, session_number: int, count: int, errors: list[str]
) -> int:
    user_id = _user_of(process, session_number)
    session = await service.create_session(
        app_name=APP, user_id=user_id, session_id=f"p{process}-s{session_number}"
    )
    appended = 0
    for n in range(1, count + 1):
        delta = {
            "n": n,
            f"app:p{process}-s{session_number}": n,
            f"user:p{process}-s{session_number}": n,
        }
        event = Event(
            id=f"p{process}-s{session_number}-{n}",
            author="writer",
            actions=EventActions(state_delta=delta),
        )
        try:
            await service.append_event(session, event)
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")
            # Carry on from what is stored, so one failure does not hide the others.
            session = await service.get_session(
                app_name=APP,
                user_id=user_id,
                session_id=session.id,
                config=GetSessionConfig(num_recent_events=0),
            )
            assert session is not None
        else:
            appended += 1
    return appended


async def run_appends(database: str, process: int, sessions: int, appends: int) -> None:
    errors: list[str] = []
    async with SessionService(SqliteStore(database)) as service:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        per_session = [appends // sessions + (n < appends % sessions) for n in range(sessions)]
        counts = await asyncio.gather(
            *(_append_many(service, process, n, per_session[n], errors) for n in range(sessions))
        )
    print(json.dumps({"appended": sum(counts), "errors": errors}), flush=True)


async def run_race(database: str, name: str) -> None:
    async with SessionService(SqliteStore(database)) as service:
        copy: Any = None
        round_number = 0
        for line in iter(sys.stdin.readline, ""):
            command = line.strip()
            if command == "read":
                copy = await service.get_session(**RACE_KEY)
                print("ready", flush=True)
            elif command == "go":
                round_number += 1
                event = Event(
                    id=f"{name}-{round_number}",
                    author=name,
                    actions=EventActions(state_delta={"winner": name, "round": round_number}),
                )
                try:
                    await service.append_event(copy, event)
                except StaleSessionError:
                    print("stale", flush=True)
                except Exception as exc:
                    print(f"error {type(exc).__name__}: {exc}", flush=True)
                else:
                    print(f"won {event.id}", flush=True)


async def run_busy(database: str) -> None:
    async with SessionService(SqliteStore(database)) as service:
        session = await service.create_session(app_name=APP, user_id="busy")
        payload = "b" * 1_000_000
        print("ready", flush=True)
        while True:
            await service.append_event(
                session,
                Event(author="busy", actions=EventActions(state_delta={"payload": payload})),
            )


def main() -> None:
    mode, database, *rest = sys.argv[1:]
    if mode == "appends":
        process, sessions, appends = (int(value) for value in rest)
        asyncio.run(run_appends(database, process, sessions, appends))
    elif mode == "busy":
        asyncio.run(run_busy(database))
    else:
        asyncio.run(run_race(database, rest[0]))


if __name__ == "__main__":
    main()
