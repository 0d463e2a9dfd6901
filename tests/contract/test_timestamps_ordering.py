"""§6 Timestamps and ordering, and the tie-breaking rules of §11.4.

Decisions for our backends: events with equal timestamps keep append order;
``list_sessions`` orders by update time ascending, ties by user id, then id.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator

import pytest
from google.adk.sessions.base_session_service import BaseSessionService, GetSessionConfig

from ._support import APP, USER, make_event

# 2024-11-03 in America/New_York: 01:00-02:00 local happens twice (EDT, then EST).
FIRST_0130_EDT = 1730611800.0
SECOND_0100_EST = 1730613600.0
SECOND_0130_EST = 1730615400.0


@pytest.fixture
def new_york_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Runs the test with the process's local time zone set to America/New_York."""
    original = os.environ.get("TZ")
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        # Guard: the repeated hour must really be in force, or the test proves nothing.
        assert time.localtime(FIRST_0130_EDT).tm_hour == 1
        assert time.localtime(SECOND_0130_EST).tm_hour == 1
        assert time.localtime(SECOND_0100_EST).tm_isdst == 0
        yield
    finally:
        if original is None:
            monkeypatch.delenv("TZ")
        else:
            monkeypatch.setenv("TZ", original)
        time.tzset()


async def test_last_update_time_is_the_event_time_after_append(
    service: BaseSessionService,
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER)
    original = session.last_update_time
    event_time = original + 10

    await service.append_event(session, make_event(timestamp=event_time))
    got = await service.get_session(app_name=APP, user_id=USER, session_id=session.id)

    assert session.last_update_time == pytest.approx(event_time, abs=1e-6)
    assert got is not None
    assert got.last_update_time == pytest.approx(event_time, abs=1e-6)
    assert got.last_update_time > original


async def test_list_sessions_is_ordered_oldest_update_first(service: BaseSessionService) -> None:
    for session_id in ("a", "b", "c"):
        await service.create_session(app_name=APP, user_id=USER, session_id=session_id)
    fetched_a = await service.get_session(app_name=APP, user_id=USER, session_id="a")
    assert fetched_a is not None
    await asyncio.sleep(0.01)

    await service.append_event(fetched_a, make_event())
    listed = (await service.list_sessions(app_name=APP, user_id=USER)).sessions
    listed_all = (await service.list_sessions(app_name=APP)).sessions

    assert [s.id for s in listed] == ["b", "c", "a"]
    assert [s.id for s in listed_all] == ["b", "c", "a"]


async def test_list_sessions_orders_by_update_time_not_creation_time(
    service: BaseSessionService,
) -> None:
    first = await service.create_session(app_name=APP, user_id=USER, session_id="first")
    await service.create_session(app_name=APP, user_id=USER, session_id="second")
    third = await service.create_session(app_name=APP, user_id=USER, session_id="third")

    await service.append_event(third, make_event(timestamp=1000.0))
    await service.append_event(first, make_event(timestamp=time.time() + 60))
    listed = (await service.list_sessions(app_name=APP, user_id=USER)).sessions

    assert [s.id for s in listed] == ["third", "second", "first"]
    assert listed[0].last_update_time == 1000.0


async def test_list_sessions_breaks_update_time_ties_by_user_then_id(
    service: BaseSessionService,
) -> None:
    tie = time.time() + 100
    for user_id, session_id in (("u2", "a"), ("u1", "c"), ("u2", "0"), ("u1", "a"), ("u1", "b")):
        created = await service.create_session(app_name=APP, user_id=user_id, session_id=session_id)
        await service.append_event(created, make_event(timestamp=tie))

    everyone = (await service.list_sessions(app_name=APP)).sessions
    u1 = (await service.list_sessions(app_name=APP, user_id="u1")).sessions

    assert [(s.user_id, s.id) for s in everyone] == [
        ("u1", "a"),
        ("u1", "b"),
        ("u1", "c"),
        ("u2", "0"),
        ("u2", "a"),
    ]
    assert [s.id for s in u1] == ["a", "b", "c"]


@pytest.mark.usefixtures("new_york_time")
async def test_timestamps_in_a_repeated_local_hour_read_back_exactly(
    service: BaseSessionService,
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER)

    await service.append_event(session, make_event(invocation_id="one", timestamp=SECOND_0100_EST))
    await service.append_event(session, make_event(invocation_id="two", timestamp=SECOND_0130_EST))
    got = await service.get_session(app_name=APP, user_id=USER, session_id=session.id)

    assert got is not None
    assert [e.timestamp for e in got.events] == [SECOND_0100_EST, SECOND_0130_EST]
    assert [e.invocation_id for e in got.events] == ["one", "two"]
    assert got.last_update_time == SECOND_0130_EST
    assert got == session


@pytest.mark.usefixtures("new_york_time")
async def test_events_across_a_repeated_local_hour_keep_epoch_order(
    service: BaseSessionService,
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER)
    # 01:30 EDT comes before 01:00 EST; naive local wall-clock time would swap them.
    await service.append_event(session, make_event(invocation_id="edt", timestamp=FIRST_0130_EDT))
    await service.append_event(session, make_event(invocation_id="est", timestamp=SECOND_0100_EST))

    recent = await service.get_session(
        app_name=APP,
        user_id=USER,
        session_id=session.id,
        config=GetSessionConfig(num_recent_events=1),
    )
    after = await service.get_session(
        app_name=APP,
        user_id=USER,
        session_id=session.id,
        config=GetSessionConfig(after_timestamp=FIRST_0130_EDT + 1),
    )

    assert recent is not None
    assert [e.invocation_id for e in recent.events] == ["est"]
    assert after is not None
    assert [e.invocation_id for e in after.events] == ["est"]


async def test_events_with_tied_timestamps_keep_append_order(
    service: BaseSessionService,
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER)
    tie = session.last_update_time + 1
    # Ids deliberately out of lexical order: the tie is broken by append order, not id.
    for event_id in ("z", "a", "m"):
        await service.append_event(session, make_event(id=event_id, timestamp=tie))

    got = await service.get_session(app_name=APP, user_id=USER, session_id=session.id)
    last_two = await service.get_session(
        app_name=APP,
        user_id=USER,
        session_id=session.id,
        config=GetSessionConfig(num_recent_events=2),
    )

    assert got is not None
    assert [e.id for e in got.events] == ["z", "a", "m"]
    assert got == session
    assert last_two is not None
    assert [e.id for e in last_two.events] == ["a", "m"]


@pytest.mark.ours_only
async def test_events_appended_out_of_time_order_read_back_chronologically(
    service: BaseSessionService,
) -> None:
    session = await service.create_session(app_name=APP, user_id=USER)
    now = session.last_update_time
    for invocation_id, offset in (("late", 30.0), ("early", 10.0), ("middle", 20.0)):
        await service.append_event(
            session, make_event(invocation_id=invocation_id, timestamp=now + offset)
        )

    got = await service.get_session(app_name=APP, user_id=USER, session_id=session.id)
    newest = await service.get_session(
        app_name=APP,
        user_id=USER,
        session_id=session.id,
        config=GetSessionConfig(num_recent_events=1),
    )

    assert got is not None
    assert [e.invocation_id for e in got.events] == ["early", "middle", "late"]
    assert newest is not None
    assert [e.invocation_id for e in newest.events] == ["late"]
