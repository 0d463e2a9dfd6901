"""A busy server: reading a long session lets the event loop's other tasks run.

`SessionService.get_session` decodes ``decode_slice`` events per turn of the loop,
from one consistent read (with ``skip_compacted_events`` too); the shared file moves a
read that outgrows its inline time onto a thread; a long session's events are freed a
slice at a time when it is dropped. Counted in turns of the loop, never timed.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import threading
import weakref
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from google.adk.apps.app import EventsCompactionConfig
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions, EventCompaction
from google.adk.sessions.base_session_service import GetSessionConfig
from google.genai import types

from adk_sqlite import InvalidArgumentError, SessionService, SqliteStore
from adk_sqlite.codec.fast import release, slices
from adk_sqlite.sqlite.shared_file import store as shared_file_store
from support.turns import counting_turns

T = TypeVar("T")

EVENTS = 600
SLICE = 50
APP, USER, SESSION = "app", "u", "long"

Layout = Callable[[Path], Any]
LAYOUTS: dict[str, Layout] = {
    "shared-file": lambda folder: SqliteStore(folder / "sessions.db"),
    "per-session": lambda folder: SqliteStore.per_session_files(folder / "sessions"),
}


def make_event(index: int, *, counted: bool = True) -> Event:
    """An event whose state delta counts the events up to it; without ``counted``, plain
    conversation (no actions set at all, so the store does not flag it)."""
    event = Event(
        id=f"e{index:05d}",
        invocation_id=f"inv{index}",
        author="agent",
        timestamp=1_700_000_000 + index,
        content=types.Content(role="model", parts=[types.Part(text=f"event {index}")]),
    )
    if counted:
        event.actions = EventActions(state_delta={"counter": index})
    return event


async def fill(service: SessionService, events: int) -> None:
    session = await service.create_session(app_name=APP, user_id=USER, session_id=SESSION)
    for index in range(events):
        await service.append_event(session, make_event(index))


@pytest.fixture(params=sorted(LAYOUTS))
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Any]:
    """A store of each layout holding one session of ``EVENTS`` events.

    Its slices are counted in events only (``decode_slice``): on a busy machine a
    0.5 ms slice of these events may end by the clock, and the tests that count turns
    count slices of ``SLICE`` events. A test of the clock sets `SLICE_SECONDS` itself.
    """
    monkeypatch.setattr(slices, "SLICE_SECONDS", 3600.0)
    store = LAYOUTS[request.param](tmp_path)
    async with store:
        await fill(SessionService(store), EVENTS)
        yield store


@pytest.fixture
async def inline_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[SessionService]:
    """A shared file's service that decodes in one go, filled with ``EVENTS`` events.

    Given all the inline time it needs (a test may take it away), the file reads this
    session on the loop's thread.
    """
    monkeypatch.setattr(shared_file_store, "INLINE_READ_SECONDS", 3600.0)
    async with SqliteStore(tmp_path / "sessions.db") as store:
        service = SessionService(store, decode_slice=None)
        await fill(service, EVENTS)
        yield service


async def read_counting_turns(service: SessionService) -> tuple[Any, int]:
    """The session, and how many times another task ran while it was being read."""
    return await counting_turns(service.get_session(app_name=APP, user_id=USER, session_id=SESSION))


async def test_get_session_of_a_long_session_lets_other_tasks_run_between_slices(
    store: Any,
) -> None:
    session, turns = await read_counting_turns(SessionService(store, decode_slice=SLICE))

    assert len(session.events) == EVENTS
    assert turns >= EVENTS // SLICE - 1


async def test_sliced_read_returns_the_same_session_as_one_decoded_at_once(store: Any) -> None:
    sliced = await SessionService(store, decode_slice=SLICE).get_session(
        app_name=APP, user_id=USER, session_id=SESSION
    )
    whole = await SessionService(store, decode_slice=None).get_session(
        app_name=APP, user_id=USER, session_id=SESSION
    )

    assert sliced is not None
    assert whole is not None
    assert sliced.model_dump() == whole.model_dump()
    assert [event.model_fields_set for event in sliced.events] == [
        event.model_fields_set for event in whole.events
    ]
    assert sliced._storage_update_marker == whole._storage_update_marker


async def test_without_slices_an_inline_read_runs_in_one_turn(
    inline_service: SessionService,
) -> None:
    # What the slices change: read on the loop's thread and decoded in one go, nothing
    # else runs meanwhile.
    session, turns = await read_counting_turns(inline_service)

    assert len(session.events) == EVENTS
    assert turns == 0


async def test_a_sliced_read_under_concurrent_appends_is_one_snapshot(store: Any) -> None:
    service = SessionService(store, decode_slice=SLICE)
    writer = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
    assert writer is not None
    appending = True

    async def append_meanwhile() -> None:
        index = EVENTS
        while appending:
            await service.append_event(writer, make_event(index))
            index += 1

    appender = asyncio.ensure_future(append_meanwhile())
    snapshots = []
    for _ in range(5):
        await asyncio.sleep(0)
        snapshots.append(await service.get_session(app_name=APP, user_id=USER, session_id=SESSION))
    appending = False
    await appender

    final = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
    assert final is not None
    assert len(final.events) > EVENTS
    final_ids = [event.id for event in final.events]
    for snapshot in snapshots:
        assert snapshot is not None
        ids = [event.id for event in snapshot.events]
        # Every event up to one moment, in order, and the state of that same moment.
        assert ids == final_ids[: len(ids)]
        assert snapshot.state["counter"] == len(ids) - 1
        assert snapshot.last_update_time == snapshot.events[-1].timestamp


async def test_a_dropped_long_session_frees_its_events_over_later_turns(store: Any) -> None:
    service = SessionService(store, decode_slice=SLICE)
    session = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
    assert session is not None
    first, last = weakref.ref(session.events[0]), weakref.ref(session.events[-1])

    assert release.lists_being_freed() == 0
    del session
    assert first() is not None  # nothing freed yet: the loop has not run
    assert release.lists_being_freed() == 1
    for _ in range(EVENTS // SLICE + 1):
        await asyncio.sleep(0)

    assert first() is None
    assert last() is None
    assert release.lists_being_freed() == 0


async def test_events_the_application_kept_are_not_freed(store: Any) -> None:
    service = SessionService(store, decode_slice=SLICE)
    session = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
    assert session is not None
    kept = session.events

    del session
    for _ in range(EVENTS // SLICE + 1):
        await asyncio.sleep(0)

    assert release.lists_being_freed() == 0  # let go of, not freed
    assert [event.id for event in kept] == [f"e{index:05d}" for index in range(EVENTS)]


async def test_a_slice_also_ends_when_its_time_is_spent(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Events with large tool responses take far longer each: a slice is bounded in
    # time as well as in events. With no time at all, each event is a slice of its own.
    whole = await SessionService(store, decode_slice=None).get_session(
        app_name=APP, user_id=USER, session_id=SESSION
    )
    monkeypatch.setattr(slices, "SLICE_SECONDS", 0.0)

    session, turns = await read_counting_turns(SessionService(store, decode_slice=EVENTS))

    assert turns >= EVENTS - 1
    assert whole is not None
    assert session.model_dump() == whole.model_dump()


async def test_a_long_page_of_events_is_decoded_in_slices_too(store: Any) -> None:
    service = SessionService(store, decode_slice=SLICE)

    page, turns = await counting_turns(
        service.list_events(app_name=APP, user_id=USER, session_id=SESSION, page_size=EVENTS)
    )

    assert [event.id for event in page.events] == [f"e{index:05d}" for index in range(EVENTS)]
    assert turns >= EVENTS // SLICE - 1


async def test_a_read_that_fits_in_one_slice_takes_no_extra_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shared_file_store, "INLINE_READ_SECONDS", 3600.0)
    monkeypatch.setattr(slices, "SLICE_SECONDS", 3600.0)
    async with SqliteStore(tmp_path / "sessions.db") as inline_store:
        await fill(SessionService(inline_store), EVENTS)

        session, turns = await read_counting_turns(
            SessionService(inline_store, decode_slice=EVENTS)
        )

    assert len(session.events) == EVENTS
    assert turns == 0


async def test_a_dropped_session_is_freed_the_way_it_was_decoded(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With no time at all, every event was a slice of its own when decoded (as events
    # holding large tool answers are): they are freed one per turn too.
    monkeypatch.setattr(slices, "SLICE_SECONDS", 0.0)
    service = SessionService(store, decode_slice=SLICE)
    session = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
    assert session is not None
    first, last = weakref.ref(session.events[0]), weakref.ref(session.events[-1])

    del session
    turns = await turns_until_freed(first)

    assert last() is None
    assert turns >= EVENTS - 1


async def test_events_a_session_gained_are_freed_by_the_clock_then_the_rest_by_slice(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = SessionService(store, decode_slice=SLICE)
    session = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
    assert session is not None
    gained = [make_event(EVENTS + index) for index in range(30)]
    session.events.extend(gained)  # as the Runner's appends add to it
    first, newest = weakref.ref(session.events[0]), weakref.ref(gained[0])
    monkeypatch.setattr(slices, "SLICE_SECONDS", 0.0)

    del session, gained
    turns_for_gained = await turns_until_freed(newest)
    turns_for_read = await turns_until_freed(first)

    assert turns_for_gained >= 30 - 1  # no time at all: one event per turn
    assert turns_for_read <= EVENTS // SLICE + 1  # the read's own slices, one per turn


async def turns_until_freed(reference: weakref.ref[Any], most: int = 10 * EVENTS) -> int:
    """Turns of the loop until ``reference``'s event is freed (failing after ``most``)."""
    turns = 0
    while reference() is not None:
        assert turns < most, "the events were never freed"
        await asyncio.sleep(0)
        turns += 1
    return turns


@pytest.fixture
async def skipping_damaged(tmp_path: Path) -> AsyncIterator[SessionService]:
    """A service leaving damaged events out, over a file of ``EVENTS`` events of which
    ``e00007`` holds JSON that parses but is not a Content (as a buggy writer leaves it)."""
    async with SqliteStore(tmp_path / "damaged.db") as damaged_store:
        await fill(SessionService(damaged_store), EVENTS)
        connection = sqlite3.connect(tmp_path / "damaged.db")
        with connection:
            connection.execute(
                "UPDATE adk_events SET content = ? WHERE id = ?", ('{"parts": 5}', "e00007")
            )
        connection.close()
        yield SessionService(damaged_store, skip_damaged_events=True, decode_slice=SLICE)


async def test_a_session_with_damaged_events_skipped_is_read_in_slices_too(
    skipping_damaged: SessionService,
) -> None:
    session, turns = await read_counting_turns(skipping_damaged)

    assert [event.id for event in session.events] == [
        f"e{index:05d}" for index in range(EVENTS) if index != 7
    ]
    assert turns >= EVENTS // SLICE - 1


async def test_a_slice_that_kept_no_event_frees_nothing_in_its_turn(
    skipping_damaged: SessionService, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One event per slice (no time at all): the damaged event's slice kept none, and
    # freeing still goes one event per turn instead of everything at once.
    monkeypatch.setattr(slices, "SLICE_SECONDS", 0.0)
    session = await skipping_damaged.get_session(app_name=APP, user_id=USER, session_id=SESSION)
    assert session is not None
    first = weakref.ref(session.events[0])

    del session
    turns = await turns_until_freed(first)

    assert turns >= EVENTS - 2


@pytest.mark.parametrize("decode_slice", [0, -1, 2.5, True, "100"])
def test_decode_slice_must_be_a_positive_integer_or_none(decode_slice: object) -> None:
    with pytest.raises(InvalidArgumentError, match="decode_slice"):
        SessionService(SqliteStore(), decode_slice=decode_slice)  # type: ignore[arg-type]


async def test_a_shared_file_read_out_of_inline_time_is_read_again_on_a_thread(
    inline_service: SessionService, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = await inline_service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
    threads_before = {thread.ident for thread in threading.enumerate()}

    monkeypatch.setattr(shared_file_store, "INLINE_READ_SECONDS", 0.0)
    _, turns = await read_counting_turns(inline_service)
    again = await inline_service.get_session(app_name=APP, user_id=USER, session_id=SESSION)

    new_threads = [t for t in threading.enumerate() if t.ident not in threads_before]
    assert turns >= 1  # the loop ran while a thread read the session
    assert [thread.name for thread in new_threads] == ["adk-sqlite-connection-0"]
    assert again is not None
    assert expected is not None
    assert again.model_dump() == expected.model_dump()


async def test_a_session_read_off_the_loop_once_is_read_there_again_but_its_newest_events_inline(
    inline_service: SessionService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shared_file_store, "INLINE_READ_SECONDS", 0.0)
    await inline_service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
    monkeypatch.setattr(shared_file_store, "INLINE_READ_SECONDS", 3600.0)

    _, whole_read_turns = await read_counting_turns(inline_service)
    _, newest = await counting_turns(
        inline_service.get_session(
            app_name=APP,
            user_id=USER,
            session_id=SESSION,
            config=GetSessionConfig(num_recent_events=20),
        )
    )

    assert whole_read_turns >= 1  # remembered as long: on a thread, whatever the time
    assert newest == 0  # the newest 20 stay on the loop's thread


# The compacted session: plain events a compaction summarises, then plain events after it.
COMPACTED, RECENT = 300, 600


async def fill_compacted(service: SessionService) -> None:
    """``COMPACTED`` plain events, a compaction of them, ``RECENT`` plain events after."""
    session = await service.create_session(app_name=APP, user_id=USER, session_id=SESSION)

    for index in range(COMPACTED):
        await service.append_event(session, make_event(index, counted=False))
    summary = types.Content(role="model", parts=[types.Part(text="the story so far")])
    compaction = EventCompaction(
        start_timestamp=1_700_000_000,
        end_timestamp=1_700_000_000 + COMPACTED - 1,
        compacted_content=summary,
    )
    await service.append_event(
        session,
        Event(
            id="compaction",
            invocation_id="compaction",
            author="user",
            timestamp=1_700_000_000 + COMPACTED - 0.5,
            actions=EventActions(compaction=compaction),
        ),
    )
    for index in range(COMPACTED, COMPACTED + RECENT):
        await service.append_event(session, make_event(index, counted=False))


def skipping_compacted(store: Any, decode_slice: int | None) -> SessionService:
    return SessionService(
        store,
        skip_compacted_events=True,
        events_compaction_config=EventsCompactionConfig(token_threshold=50, event_retention_size=2),
        decode_slice=decode_slice,
    )


# ADK warns that its event compaction is experimental.
experimental = pytest.mark.filterwarnings("ignore:.*EXPERIMENTAL.*:UserWarning")


@experimental
async def test_a_read_without_compacted_events_lets_other_tasks_run_between_slices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given all the inline time it needs, the shared file reads on the loop's thread:
    # every turn the loop takes meanwhile is one the decoding let it take.
    monkeypatch.setattr(shared_file_store, "INLINE_READ_SECONDS", 3600.0)
    async with SqliteStore(tmp_path / "sessions.db") as store:
        await fill_compacted(SessionService(store))
        read = functools.partial(
            SessionService.get_session, app_name=APP, user_id=USER, session_id=SESSION
        )
        whole = await read(SessionService(store))
        at_once = await read(skipping_compacted(store, None))
        sliced = await read(skipping_compacted(store, SLICE))
        _, turns_at_once = await counting_turns(read(skipping_compacted(store, None)))
        _, turns_sliced = await counting_turns(read(skipping_compacted(store, SLICE)))

    assert whole is not None
    assert at_once is not None
    assert sliced is not None
    # The compacted events but the last (at the compaction's end) are left out.
    assert len(whole.events) == COMPACTED + 1 + RECENT
    assert [event.id for event in sliced.events] == [
        event.id for event in whole.events[COMPACTED - 1 :]
    ]
    assert sliced.model_dump() == at_once.model_dump()
    assert turns_at_once == 0
    assert turns_sliced >= RECENT // SLICE - 1


@experimental
async def test_a_read_without_compacted_events_that_loads_every_event_is_sliced_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No compaction in this session: the compaction index (the events' views, nothing
    # decoded) says so, then the whole session is read and decoded in slices.
    monkeypatch.setattr(shared_file_store, "INLINE_READ_SECONDS", 3600.0)
    async with SqliteStore(tmp_path / "sessions.db") as store:
        await fill(SessionService(store), EVENTS)
        whole = await SessionService(store).get_session(
            app_name=APP, user_id=USER, session_id=SESSION
        )
        _, turns_at_once = await read_counting_turns(skipping_compacted(store, None))
        session, turns_sliced = await read_counting_turns(skipping_compacted(store, SLICE))

    assert whole is not None
    assert session.model_dump() == whole.model_dump()
    assert turns_at_once == 0
    assert turns_sliced >= EVENTS // SLICE - 1
