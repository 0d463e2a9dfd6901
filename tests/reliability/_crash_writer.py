"""A fork server of writers for the crash-durability test (run as a child, never collected).

The test starts this script once. It imports adk-sqlite and ADK (about a second) and
then reads one line per run from stdin::

    <database> <acknowledgements file> <seed> <synchronous>

For each line it forks a writer and prints the writer's pid; the test kills that pid with
SIGKILL at a random moment. Forking from a process that has already imported everything
makes a run cost milliseconds instead of a second, so hundreds of kills stay cheap. The
fork server opens no file database; it warms its caches up once on an in-memory store and
waits for that store's thread to end before it forks, so each writer starts as a clean
single-threaded process that opens its own connections.

A writer appends events to three sessions (two users) concurrently, forever. Each event
carries a state delta in every scope: the session counter ``n`` (the k-th event of a
session sets ``n = k``), ``last`` (the event id) in the session, ``app:`` and ``user:``
scopes, a ``temp:`` key that must never be stored, and a payload of varying size so the
WAL grows and checkpoints run while the writer may be killed. After each append returns,
the writer appends the event id to the acknowledgements file with one ``write()``: once
that call has returned, the bytes are the kernel's, and SIGKILL cannot take them back, so
the file is exactly the list of appends that had returned before the kill. An unexpected
exception is recorded in the same file as ``ERROR ...``.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import threading
import time

from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.adk.sessions.base_session_service import GetSessionConfig
from google.adk.sessions.session import Session
from google.genai import types

from adk_sqlite import SessionService, SqliteStore

APP = "crash"
SESSIONS = (("u0", "s0"), ("u0", "s1"), ("u1", "s2"))
PAYLOAD_SIZES = (0, 10, 1_000, 20_000)


async def _session(service: SessionService, user_id: str, session_id: str) -> Session:
    key = {"app_name": APP, "user_id": user_id, "session_id": session_id}
    # The counter lives in the state; the events are not needed to continue.
    session = await service.get_session(**key, config=GetSessionConfig(num_recent_events=0))
    if session is None:
        # Only one writer runs at a time, so nobody else can create it meanwhile.
        session = await service.create_session(**key, state={"n": 0})
    return session


async def _append_forever(
    service: SessionService, user_id: str, session_id: str, rng: random.Random, acks: int
) -> None:
    session = await _session(service, user_id, session_id)
    while True:
        n = session.state["n"] + 1
        event_id = f"{session_id}-{n}"
        payload = "p" * rng.choice(PAYLOAD_SIZES)
        delta = {
            "n": n,
            "last": event_id,
            "payload": payload,
            "app:last": event_id,
            "user:last": event_id,
            "temp:scratch": n,
        }
        event = Event(
            id=event_id,
            invocation_id=f"inv-{n}",
            author="writer",
            content=types.Content(role="model", parts=[types.Part(text=f"{event_id} {payload}")]),
            actions=EventActions(state_delta=delta),
        )
        await service.append_event(session, event)
        os.write(acks, f"{event_id}\n".encode())
        if rng.random() < 0.05:
            # Re-read through the reader connection now and then, as an agent would.
            session = await _session(service, user_id, session_id)


async def _write_forever(database: str, acks: int, seed: int, synchronous: str) -> None:
    rng = random.Random(seed)
    async with SessionService(SqliteStore(database, synchronous=synchronous)) as service:
        await asyncio.gather(
            *(
                _append_forever(service, user_id, session_id, random.Random(rng.random()), acks)
                for user_id, session_id in SESSIONS
            )
        )


def _run_writer(database: str, acks_path: str, seed: int, synchronous: str) -> None:
    acks = os.open(acks_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        asyncio.run(_write_forever(database, acks, seed, synchronous))
    except BaseException as exc:  # recorded for the test to fail on
        os.write(acks, f"ERROR {type(exc).__name__}: {exc}\n".encode())
    finally:
        os._exit(1)


async def _warm_up() -> None:
    # The first append of a process builds caches (the unpickler's allowlist walks ADK's
    # models) and imports lazily imported modules; do that once here, not in every writer.
    async with SessionService(SqliteStore(":memory:")) as service:
        session = await service.create_session(app_name=APP, user_id="warm-up")
        await service.append_event(session, Event(author="writer"))
        await service.get_session(app_name=APP, user_id="warm-up", session_id=session.id)


def main() -> None:
    asyncio.run(_warm_up())
    # The warm-up's connection thread must be gone before the first fork.
    while threading.active_count() > 1:
        time.sleep(0.001)
    # Writers are reaped by the kernel as soon as they die: no zombies, and the test sees
    # a killed writer's pid disappear.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    for line in sys.stdin:
        database, acks_path, seed, synchronous = line.split()
        pid = os.fork()
        if pid == 0:
            _run_writer(database, acks_path, int(seed), synchronous)
        print(pid, flush=True)


if __name__ == "__main__":
    main()
