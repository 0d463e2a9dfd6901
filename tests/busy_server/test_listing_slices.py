"""A busy server: listing a user's thousands of sessions lets the event loop's other tasks run.

`SessionService.list_sessions` (and a page of one) builds ``decode_slice`` sessions per
turn of the loop from one snapshot, as `get_session` decodes a long session's events;
the shared file runs a listing that outgrew its inline time on a thread from then on,
instead of starting it inline and reading it twice. Counted in turns of the loop, never
timed.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.codec.fast import slices
from adk_sqlite.sqlite.shared_file import store as shared_file_store
from support.turns import counting_turns

SESSIONS = 240
SLICE = 50
APP, USER = "app", "many"

LAYOUTS: dict[str, Callable[[Path], Any]] = {
    "shared-file": lambda folder: SqliteStore(folder / "sessions.db"),
    "per-session": lambda folder: SqliteStore.per_session_files(folder / "sessions"),
}


@pytest.fixture(params=sorted(LAYOUTS))
async def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Any]:
    # All the inline time it needs: what is counted here is the slicing alone.
    monkeypatch.setattr(shared_file_store, "INLINE_READ_SECONDS", 3600.0)
    store = LAYOUTS[request.param](tmp_path)
    async with store:
        service = SessionService(store)
        for index in range(SESSIONS):
            await service.create_session(
                app_name=APP, user_id=USER, session_id=f"s{index:04d}", state={"n": index}
            )
        await service.create_session(app_name=APP, user_id="other", state={"user:seen": True})
        yield store


def _dumps(sessions: list[Any]) -> list[dict[str, Any]]:
    return sorted((session.model_dump() for session in sessions), key=lambda dump: dump["id"])


async def test_a_long_listing_lets_other_tasks_run_between_slices(store: Any) -> None:
    service = SessionService(store, decode_slice=SLICE)

    listed, turns = await counting_turns(service.list_sessions(app_name=APP, user_id=USER))

    assert len(listed.sessions) == SESSIONS
    assert turns >= SESSIONS // SLICE - 1  # a turn between each two slices


async def test_a_sliced_listing_is_the_listing_built_at_once(store: Any) -> None:
    at_once = await SessionService(store, decode_slice=None).list_sessions(app_name=APP)
    sliced = await SessionService(store, decode_slice=SLICE).list_sessions(app_name=APP)

    assert len(sliced.sessions) == SESSIONS + 1
    assert _dumps(sliced.sessions) == _dumps(at_once.sessions)
    assert [session.state["n"] for session in sliced.sessions if "n" in session.state] == list(
        range(SESSIONS)
    )


async def test_a_page_of_sessions_is_built_in_slices_too(store: Any) -> None:
    service = SessionService(store, decode_slice=SLICE)

    page, turns = await counting_turns(
        service.list_sessions(app_name=APP, user_id=USER, page_size=SESSIONS)
    )

    assert [session.id for session in page.sessions] == [f"s{i:04d}" for i in range(SESSIONS)]
    assert turns >= SESSIONS // SLICE - 1


async def test_a_listing_slice_also_ends_when_its_time_is_spent(
    store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Sessions can carry large states: a slice is bounded in time as well as in count.
    # With no time at all, each session is a slice of its own.
    monkeypatch.setattr(slices, "SLICE_SECONDS", 0.0)
    service = SessionService(store, decode_slice=SESSIONS)

    listed, turns = await counting_turns(service.list_sessions(app_name=APP, user_id=USER))

    assert sorted(session.id for session in listed.sessions) == [
        f"s{i:04d}" for i in range(SESSIONS)
    ]
    assert turns >= SESSIONS - 1


async def test_without_slices_a_listing_is_built_in_one_turn(store: Any) -> None:
    service = SessionService(store, decode_slice=None)

    listed, turns = await counting_turns(service.list_sessions(app_name=APP, user_id=USER))

    assert len(listed.sessions) == SESSIONS
    if isinstance(store, SqliteStore):
        assert turns == 0  # read inline and built at once: the loop never ran another task


async def test_a_shared_file_listing_out_of_inline_time_is_listed_on_a_thread_from_then_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with SqliteStore(tmp_path / "sessions.db") as store:
        service = SessionService(store, decode_slice=None)
        for index in range(SESSIONS):
            await service.create_session(app_name=APP, user_id=USER, session_id=f"s{index:04d}")
        threads_before = {thread.ident for thread in threading.enumerate()}

        monkeypatch.setattr(shared_file_store, "INLINE_READ_SECONDS", 0.0)
        first = await service.list_sessions(app_name=APP, user_id=USER)
        monkeypatch.setattr(shared_file_store, "INLINE_READ_SECONDS", 3600.0)
        again, turns = await counting_turns(service.list_sessions(app_name=APP, user_id=USER))
        other_user, other_turns = await counting_turns(
            service.list_sessions(app_name=APP, user_id="nobody")
        )

        new_threads = [t for t in threading.enumerate() if t.ident not in threads_before]
        assert [thread.name for thread in new_threads] == ["adk-sqlite-connection-0"]
        assert _dumps(again.sessions) == _dumps(first.sessions)
        assert turns >= 1  # remembered as long: on the thread, whatever the inline time
        assert other_user.sessions == []
        assert other_turns == 0  # another user's listing is not: inline, as before
