"""§5 Event filtering with ``GetSessionConfig``.

Five events stamped ``base+1`` ... ``base+5``, all appended through the same
Session object (so every append must leave that object current).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from google.adk.sessions.base_session_service import BaseSessionService, GetSessionConfig
from google.adk.sessions.session import Session

from ._support import APP, USER, make_event


@dataclass(frozen=True)
class FiveEvents:
    session: Session
    base: int


@pytest.fixture
async def five_events(service: BaseSessionService) -> FiveEvents:
    session = await service.create_session(
        app_name=APP, user_id=USER, session_id="s1", state={"k": 0}
    )
    base = int(time.time())
    for i in range(1, 6):
        await service.append_event(
            session,
            make_event(invocation_id=f"inv{i}", timestamp=base + i, state_delta={"k": i}),
        )
    return FiveEvents(session=session, base=base)


async def _timestamps(service: BaseSessionService, config: GetSessionConfig | None) -> list[float]:
    got = await service.get_session(app_name=APP, user_id=USER, session_id="s1", config=config)
    assert got is not None
    return [event.timestamp for event in got.events]


async def test_get_session_without_config_returns_all_events_oldest_first(
    service: BaseSessionService, five_events: FiveEvents
) -> None:
    base = five_events.base

    got = await service.get_session(app_name=APP, user_id=USER, session_id="s1")

    assert got is not None
    assert [e.timestamp for e in got.events] == [base + i for i in range(1, 6)]
    assert [e.invocation_id for e in got.events] == [f"inv{i}" for i in range(1, 6)]
    assert got == five_events.session


async def test_num_recent_events_zero_returns_no_events(
    service: BaseSessionService, five_events: FiveEvents
) -> None:
    assert await _timestamps(service, GetSessionConfig(num_recent_events=0)) == []


async def test_num_recent_events_returns_newest_oldest_first(
    service: BaseSessionService, five_events: FiveEvents
) -> None:
    base = five_events.base

    assert await _timestamps(service, GetSessionConfig(num_recent_events=3)) == [
        base + 3,
        base + 4,
        base + 5,
    ]


async def test_num_recent_events_above_the_event_count_returns_every_event(
    service: BaseSessionService, five_events: FiveEvents
) -> None:
    base = five_events.base

    assert await _timestamps(service, GetSessionConfig(num_recent_events=50)) == [
        base + i for i in range(1, 6)
    ]


async def test_after_timestamp_is_inclusive(
    service: BaseSessionService, five_events: FiveEvents
) -> None:
    base = five_events.base

    assert await _timestamps(service, GetSessionConfig(after_timestamp=base + 4)) == [
        base + 4,
        base + 5,
    ]


async def test_after_timestamp_in_the_future_returns_no_events(
    service: BaseSessionService, five_events: FiveEvents
) -> None:
    config = GetSessionConfig(after_timestamp=five_events.base + 10_000)

    assert await _timestamps(service, config) == []


@pytest.mark.parametrize(
    ("num_recent_events", "after_offset", "expected_offsets"),
    [(3, 4, [4, 5]), (2, 2, [4, 5])],
    ids=["after-timestamp-binds", "num-recent-binds"],
)
async def test_num_recent_events_and_after_timestamp_intersect(
    service: BaseSessionService,
    five_events: FiveEvents,
    num_recent_events: int,
    after_offset: int,
    expected_offsets: list[int],
) -> None:
    base = five_events.base
    config = GetSessionConfig(
        num_recent_events=num_recent_events, after_timestamp=base + after_offset
    )

    assert await _timestamps(service, config) == [base + offset for offset in expected_offsets]


async def test_event_filter_leaves_state_and_update_time_untouched(
    service: BaseSessionService, five_events: FiveEvents
) -> None:
    got = await service.get_session(
        app_name=APP, user_id=USER, session_id="s1", config=GetSessionConfig(num_recent_events=0)
    )

    assert got is not None
    assert got.state == {"k": 5}
    assert got.last_update_time == five_events.base + 5
    assert got.last_update_time == five_events.session.last_update_time


async def test_session_fetched_with_an_event_filter_accepts_appends(
    service: BaseSessionService, five_events: FiveEvents
) -> None:
    filtered = await service.get_session(
        app_name=APP, user_id=USER, session_id="s1", config=GetSessionConfig(num_recent_events=1)
    )
    assert filtered is not None

    await service.append_event(
        filtered, make_event(timestamp=five_events.base + 6, state_delta={"k": 6})
    )
    got = await service.get_session(app_name=APP, user_id=USER, session_id="s1")

    assert got is not None
    assert len(got.events) == 6
    assert got.state == {"k": 6}


def test_get_session_config_rejects_negative_num_recent_events() -> None:
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        GetSessionConfig(num_recent_events=-1)
