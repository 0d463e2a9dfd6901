"""Concurrency is decided by PostgreSQL: coroutines, pools and processes alike."""

from __future__ import annotations

import asyncio
import copy
import json
import subprocess
import sys
import textwrap

import asyncpg
import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.adk.sessions.session import Session

from adk_sqlite import PostgresStore, SessionService
from adk_sqlite.errors import DatabaseLockedError, DuplicateEventError, StaleSessionError


def _delta(**state: object) -> EventActions:
    return EventActions(state_delta=dict(state))


async def test_concurrent_appends_to_many_sessions_all_land(service: SessionService) -> None:
    sessions = [
        await service.create_session(app_name="a", user_id="u", session_id=f"s{n}")
        for n in range(10)
    ]

    async def append_many(session: Session) -> None:
        for i in range(10):
            await service.append_event(session, Event(author="agent", actions=_delta(n=i)))

    await asyncio.gather(*(append_many(session) for session in sessions))

    for session in sessions:
        stored = await service.get_session(app_name="a", user_id="u", session_id=session.id)
        assert stored == session
        assert stored is not None
        assert len(stored.events) == 10
        assert stored.state["n"] == 9


async def test_concurrent_merges_into_one_app_state_lose_no_key(dsn: str) -> None:
    # Every append reads, merges and writes the one app-state row: without the
    # row lock, concurrent merges would overwrite each other's keys.
    async with (
        SessionService(PostgresStore(dsn)) as first,
        SessionService(PostgresStore(dsn)) as second,
    ):
        sessions = [await first.create_session(app_name="a", user_id=f"u{n}") for n in range(20)]
        await asyncio.gather(
            *(
                (first if n % 2 else second).append_event(
                    session, Event(author="agent", actions=_delta(**{f"app:k{n}": n}))
                )
                for n, session in enumerate(sessions)
            )
        )
        app_state = await first.get_app_state(app_name="a")

    assert app_state == {f"k{n}": n for n in range(20)}


async def test_two_stores_reject_the_stale_writer(dsn: str) -> None:
    async with (
        SessionService(PostgresStore(dsn)) as first,
        SessionService(PostgresStore(dsn)) as second,
    ):
        await first.create_session(app_name="a", user_id="u", session_id="s")
        copy_one = await first.get_session(app_name="a", user_id="u", session_id="s")
        copy_two = await second.get_session(app_name="a", user_id="u", session_id="s")
        assert copy_one is not None
        assert copy_two is not None
        await first.append_event(
            copy_one, Event(author="agent", actions=_delta(w=1, **{"user:w": 1}))
        )

        with pytest.raises(StaleSessionError):
            await second.append_event(
                copy_two, Event(author="agent", actions=_delta(w=2, **{"user:w": 2}))
            )

        stored = await second.get_session(app_name="a", user_id="u", session_id="s")
    assert stored is not None
    assert stored.state == {"w": 1, "user:w": 1}
    assert len(stored.events) == 1


async def test_racing_copies_in_two_pools_one_wins_one_is_stale(dsn: str) -> None:
    async with (
        SessionService(PostgresStore(dsn)) as left_service,
        SessionService(PostgresStore(dsn)) as right_service,
    ):
        await left_service.create_session(app_name="a", user_id="u", session_id="s")
        for _ in range(10):
            current = await left_service.get_session(app_name="a", user_id="u", session_id="s")
            assert current is not None
            left, right = copy.deepcopy(current), copy.deepcopy(current)
            results = await asyncio.gather(
                left_service.append_event(left, Event(author="a", actions=_delta(x="l"))),
                right_service.append_event(right, Event(author="a", actions=_delta(x="r"))),
                return_exceptions=True,
            )
            assert sum(isinstance(result, StaleSessionError) for result in results) == 1
            assert sum(isinstance(result, Event) for result in results) == 1
        stored = await left_service.get_session(app_name="a", user_id="u", session_id="s")
    assert stored is not None
    assert len(stored.events) == 10


async def test_hand_built_sessions_racing_in_two_pools_one_wins(dsn: str) -> None:
    # Without our revision marker, the check compares the newest stored event id.
    async with (
        SessionService(PostgresStore(dsn)) as left_service,
        SessionService(PostgresStore(dsn)) as right_service,
    ):
        await left_service.create_session(app_name="a", user_id="u", session_id="s")

        def hand_built() -> Session:
            return Session(id="s", app_name="a", user_id="u", last_update_time=0.0)

        results = await asyncio.gather(
            left_service.append_event(hand_built(), Event(author="a")),
            right_service.append_event(hand_built(), Event(author="a")),
            return_exceptions=True,
        )
    assert sorted(type(result).__name__ for result in results) == ["Event", "StaleSessionError"]


_RACER = textwrap.dedent(
    """
    import asyncio, json, sys
    from google.adk.events.event import Event
    from google.adk.events.event_actions import EventActions
    from adk_sqlite import PostgresStore, SessionService
    from adk_sqlite.errors import StaleSessionError

    async def main(dsn, name):
        async with SessionService(PostgresStore(dsn)) as service:
            session = await service.get_session(app_name="a", user_id="u", session_id="s")
            print("ready", flush=True)
            sys.stdin.readline()  # "go": every racer holds the same Session by now
            event = Event(author=name, actions=EventActions(state_delta={"winner": name}))
            try:
                await service.append_event(session, event)
            except StaleSessionError:
                print(json.dumps("stale"), flush=True)
            else:
                print(json.dumps("appended"), flush=True)

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


async def test_processes_racing_on_one_session_exactly_one_wins(dsn: str) -> None:
    async with SessionService(PostgresStore(dsn)) as service:
        await service.create_session(app_name="a", user_id="u", session_id="s")
    racers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _RACER,
            dsn,
            f"p{n}",
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        for n in range(4)
    ]
    for racer in racers:
        assert racer.stdout is not None
        assert await asyncio.wait_for(racer.stdout.readline(), timeout=120) == b"ready\n"
    for racer in racers:
        assert racer.stdin is not None
        racer.stdin.write(b"go\n")
    outputs = [json.loads((await racer.communicate())[0]) for racer in racers]

    assert all(racer.returncode == 0 for racer in racers)
    assert sorted(outputs) == ["appended", "stale", "stale", "stale"]
    async with SessionService(PostgresStore(dsn)) as service:
        stored = await service.get_session(app_name="a", user_id="u", session_id="s")
    assert stored is not None
    (event,) = stored.events
    assert stored.state == {"winner": event.author}


async def test_one_failing_append_among_concurrent_ones_fails_alone(
    service: SessionService,
) -> None:
    sessions = [
        await service.create_session(app_name="a", user_id="u", session_id=f"s{n}")
        for n in range(6)
    ]
    await service.append_event(sessions[3], Event(id="dup", author="agent"))

    results = await asyncio.gather(
        *(
            service.append_event(session, Event(id="dup", author="agent", actions=_delta(k=n)))
            for n, session in enumerate(sessions)
        ),
        return_exceptions=True,
    )

    assert [n for n, result in enumerate(results) if isinstance(result, Exception)] == [3]
    assert isinstance(results[3], DuplicateEventError)
    failed = await service.get_session(app_name="a", user_id="u", session_id="s3")
    assert failed is not None
    assert len(failed.events) == 1
    assert "k" not in failed.state


async def test_a_write_waits_for_another_transactions_row_lock(dsn: str) -> None:
    async with SessionService(PostgresStore(dsn, lock_timeout=10)) as service:
        session = await service.create_session(app_name="a", user_id="u", session_id="s")
        blocker = await asyncpg.connect(dsn)
        try:
            transaction = blocker.transaction()
            await transaction.start()
            await blocker.execute("SELECT 1 FROM adk_sessions WHERE id = 's' FOR UPDATE")
            append = asyncio.ensure_future(service.append_event(session, Event(author="agent")))
            await asyncio.sleep(0.3)
            assert not append.done()
            await transaction.commit()
            await append
        finally:
            await blocker.close()
        stored = await service.get_session(app_name="a", user_id="u", session_id="s")
    assert stored is not None
    assert len(stored.events) == 1


async def test_a_lock_held_past_the_lock_timeout_is_a_clear_error(dsn: str) -> None:
    async with SessionService(PostgresStore(dsn, lock_timeout=0.2)) as service:
        session = await service.create_session(app_name="a", user_id="u", session_id="s")
        blocker = await asyncpg.connect(dsn)
        try:
            transaction = blocker.transaction()
            await transaction.start()
            await blocker.execute("SELECT 1 FROM adk_sessions WHERE id = 's' FOR UPDATE")
            with pytest.raises(DatabaseLockedError, match="locked") as excinfo:
                await service.append_event(session, Event(author="agent"))
            await transaction.rollback()
        finally:
            await blocker.close()
        assert isinstance(excinfo.value.__cause__, asyncpg.LockNotAvailableError)
        await service.append_event(session, Event(author="agent"))


async def test_a_session_object_from_before_a_delete_is_stale_for_a_recreated_session(
    service: SessionService,
) -> None:
    old = await service.create_session(app_name="a", user_id="u", session_id="s")
    await service.delete_session(app_name="a", user_id="u", session_id="s")
    await service.create_session(app_name="a", user_id="u", session_id="s")

    with pytest.raises(StaleSessionError):
        await service.append_event(old, Event(author="agent"))
