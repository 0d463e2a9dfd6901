"""A writer for the per-session crash test (run as a child process, never collected).

    python _crash_writer.py FOLDER ACKS SEED

Opens ``SqliteStore.per_session_files(FOLDER)``, prints ``ready`` and runs three
tasks forever, each on the sessions of its own user. A task picks one of its
live sessions (or creates one), reads it, and appends events to it; event
``<session>-<n>`` carries ``n`` in the session's state and, under the session's
id, in the ``app:`` and ``user:`` state, so a test can tell whether every
scoped delta of every stored event was merged. Now and then it deletes or
archives a session.

After each operation returns, the task writes one line to ACKS with a single
``write()`` (SIGKILL cannot take it back): ``append <session> <n>``,
``create <session>``, ``deleting <session>`` (before the delete starts),
``deleted <session>``, ``archiving <session>``, ``archived <session>``.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys

from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.genai import types

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.sqlite import PerSessionSqliteStore

APP = "crash"
TASKS = 3
PAYLOAD_SIZES = (0, 100, 5_000, 40_000)


def _ack(acks: int, line: str) -> None:
    os.write(acks, f"{line}\n".encode())


async def _task(
    service: SessionService, store: PerSessionSqliteStore, index: int, seed: int, acks: int
) -> None:
    rng = random.Random(seed * 10 + index)
    user_id = f"user{index}"
    while True:
        live = (await service.list_sessions(app_name=APP, user_id=user_id)).sessions
        if not live or rng.random() < 0.1:
            session_id = f"t{index}-{rng.getrandbits(40):010x}"
            await service.create_session(app_name=APP, user_id=user_id, session_id=session_id)
            _ack(acks, f"create {session_id}")
        else:
            session_id = rng.choice(live).id
        session = await service.get_session(app_name=APP, user_id=user_id, session_id=session_id)
        assert session is not None
        for _ in range(rng.randint(1, 30)):
            n = int(session.state.get("n", 0)) + 1
            delta = {
                "n": n,
                f"app:{session_id}": n,
                f"user:{session_id}": n,
                "payload": "p" * rng.choice(PAYLOAD_SIZES),
            }
            event = Event(
                id=f"{session_id}-{n}",
                author="writer",
                invocation_id=f"inv-{n}",
                content=types.Content(role="model", parts=[types.Part(text=f"event {n}")]),
                actions=EventActions(state_delta=delta),
            )
            await service.append_event(session, event)
            _ack(acks, f"append {session_id} {n}")
        roll = rng.random()
        if roll < 0.1:
            _ack(acks, f"deleting {session_id}")
            await service.delete_session(app_name=APP, user_id=user_id, session_id=session_id)
            _ack(acks, f"deleted {session_id}")
        elif roll < 0.2:
            _ack(acks, f"archiving {session_id}")
            await store.archive_session(app_name=APP, user_id=user_id, session_id=session_id)
            _ack(acks, f"archived {session_id}")


async def _warm_up() -> None:
    # The first append of a process builds caches (the unpickler's allowlist walks
    # ADK's models): done here, so that kills land in the work, not in the warm-up.
    async with SessionService(SqliteStore(":memory:")) as service:
        session = await service.create_session(app_name=APP, user_id="warm-up")
        delta = {"app:k": 1, "user:k": 1, "k": 1}
        await service.append_event(
            session, Event(author="writer", actions=EventActions(state_delta=delta))
        )
        await service.get_session(app_name=APP, user_id="warm-up", session_id=session.id)


async def _main(folder: str, acks_path: str, seed: int) -> None:
    await _warm_up()
    acks = os.open(acks_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    store = SqliteStore.per_session_files(folder)
    async with SessionService(store) as service:
        await store.create_tables()
        print("ready", flush=True)
        await asyncio.gather(*(_task(service, store, i, seed, acks) for i in range(TASKS)))


if __name__ == "__main__":
    try:
        asyncio.run(_main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
    except BaseException as exc:
        acks = os.open(sys.argv[2], os.O_WRONLY | os.O_APPEND)
        os.write(acks, f"ERROR {type(exc).__name__}: {exc}\n".encode())
        raise
