"""PerSessionSqliteStore: the layout on disk, and the guarantees of the shared layout."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions

from adk_sqlite import (
    ConfigurationError,
    DuplicateEventError,
    SessionNotFoundError,
    SessionService,
    SqliteStore,
    StaleSessionError,
    StoreClosedError,
)
from adk_sqlite.sqlite import PerSessionSqliteStore

from .conftest import rows

APP = "support"


def event(text: str = "hi", **delta: object) -> Event:
    return Event(author="agent", invocation_id="inv", actions=EventActions(state_delta=dict(delta)))


async def test_each_session_lives_in_its_own_file_named_after_it(
    service: SessionService, store: PerSessionSqliteStore, folder: Path
) -> None:
    await service.create_session(app_name=APP, user_id="alice", session_id="ticket-1")
    await service.create_session(app_name=APP, user_id="bob", session_id="Ticket 2/..")

    files = sorted(p.name for p in (folder / "sessions").glob("*.db"))
    assert files == ["support+alice+ticket-1.db", "support+bob+%54icket%202%2F%2E%2E.db"]
    assert (folder / "catalog.db").is_file()
    assert store.session_file(app_name=APP, user_id="bob", session_id="Ticket 2/..") == (
        folder / "sessions" / files[1]
    )


async def test_a_session_file_holds_the_shared_layouts_tables_and_reads_on_its_own(
    service: SessionService, store: PerSessionSqliteStore
) -> None:
    session = await service.create_session(
        app_name=APP, user_id="alice", session_id="s1", state={"k": 1, "app:a": 2, "user:u": 3}
    )
    await service.append_event(session, event(n=1.5))
    path = store.session_file(app_name=APP, user_id="alice", session_id="s1")

    tables = {row[0] for row in rows(path, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"adk_sessions", "adk_events", "adk_app_states", "adk_user_states"} <= tables
    assert rows(path, "SELECT id, state FROM adk_sessions") == [("s1", '{"k":1,"n":1.5}')]
    assert rows(path, "SELECT count(*) FROM adk_events") == [(1,)]
    assert rows(path, "SELECT state FROM adk_app_states") == [('{"a":2}',)]
    assert rows(path, "SELECT state FROM adk_user_states") == [('{"u":3}',)]
    assert rows(path, "SELECT max(version) FROM adk_sqlite_schema WHERE table_set='adk_sessions'")


async def test_the_catalog_holds_the_authoritative_app_and_user_state(
    service: SessionService, folder: Path
) -> None:
    first = await service.create_session(app_name=APP, user_id="alice", state={"app:n": 1})
    second = await service.create_session(app_name=APP, user_id="bob")
    await service.append_event(second, event(**{"app:n": 2, "user:seen": True}))

    got = await service.get_session(app_name=APP, user_id="alice", session_id=first.id)

    assert got is not None
    assert got.state == {"app:n": 2}
    assert rows(folder / "catalog.db", "SELECT state FROM adk_app_states") == [('{"n":2}',)]
    assert await service.get_user_state(app_name=APP, user_id="bob") == {"seen": True}


async def test_floats_and_state_come_back_bit_for_bit(service: SessionService) -> None:
    values = {"tiny": 5e-324, "neg_zero": -0.0, "big": 1e308, "third": 1 / 3}
    session = await service.create_session(app_name=APP, user_id="u", state=dict(values))
    await service.append_event(session, event(**{"app:third": 1 / 3, "user:x": 0.1 + 0.2}))

    got = await service.get_session(app_name=APP, user_id="u", session_id=session.id)

    assert got is not None
    for key, value in values.items():
        assert json.dumps(got.state[key]) == json.dumps(value)
    assert got.state["app:third"] == 1 / 3
    assert got.state["user:x"] == 0.1 + 0.2
    assert got.last_update_time == session.last_update_time


async def test_a_duplicate_event_id_rolls_back_everything_including_scoped_state(
    service: SessionService,
) -> None:
    session = await service.create_session(app_name=APP, user_id="u")
    await service.append_event(session, Event(id="e1", author="a", invocation_id="i"))

    with pytest.raises(DuplicateEventError):
        await service.append_event(
            session,
            Event(
                id="e1",
                author="a",
                invocation_id="i",
                actions=EventActions(state_delta={"app:x": 1, "user:y": 2, "z": 3}),
            ),
        )

    got = await service.get_session(app_name=APP, user_id="u", session_id=session.id)
    assert got is not None
    assert got.state == {}
    assert [e.id for e in got.events] == ["e1"]
    assert await service.get_app_state(app_name=APP) == {}


async def test_a_writer_in_another_store_on_the_folder_makes_a_kept_session_stale(
    folder: Path,
) -> None:
    async with (
        SessionService(SqliteStore.per_session_files(folder)) as one,
        SessionService(SqliteStore.per_session_files(folder)) as other,
    ):
        session = await one.create_session(app_name=APP, user_id="u", session_id="s")
        copy = await other.get_session(app_name=APP, user_id="u", session_id="s")
        assert copy is not None
        await other.append_event(copy, event(**{"app:by": "other"}))

        with pytest.raises(StaleSessionError):
            await one.append_event(session, event(**{"app:by": "one"}))

        assert await one.get_app_state(app_name=APP) == {"by": "other"}


async def test_a_session_deleted_by_another_store_cannot_be_appended_to(folder: Path) -> None:
    async with (
        SessionService(SqliteStore.per_session_files(folder)) as one,
        SessionService(SqliteStore.per_session_files(folder)) as other,
    ):
        session = await one.create_session(app_name=APP, user_id="u", session_id="s")
        await one.append_event(session, event())  # keeps the file open in `one`
        await other.delete_session(app_name=APP, user_id="u", session_id="s")

        with pytest.raises(SessionNotFoundError):
            await one.append_event(session, event())
        assert await one.get_session(app_name=APP, user_id="u", session_id="s") is None
        assert list((folder / "sessions").glob("*.db")) == []


async def test_a_session_recreated_by_another_store_is_a_new_session(folder: Path) -> None:
    async with (
        SessionService(SqliteStore.per_session_files(folder)) as one,
        SessionService(SqliteStore.per_session_files(folder)) as other,
    ):
        old = await one.create_session(app_name=APP, user_id="u", session_id="s")
        await one.append_event(old, event())
        await other.delete_session(app_name=APP, user_id="u", session_id="s")
        await other.create_session(app_name=APP, user_id="u", session_id="s", state={"new": 1})

        with pytest.raises(StaleSessionError):
            await one.append_event(old, event())
        got = await one.get_session(app_name=APP, user_id="u", session_id="s")
        assert got is not None
        assert (got.state, got.events) == ({"new": 1}, [])


async def test_another_stores_appends_reach_the_listing_once_it_writes_its_catalog_copy(
    folder: Path,
) -> None:
    async with (
        SessionService(SqliteStore.per_session_files(folder)) as reader,
        SessionService(SqliteStore.per_session_files(folder)) as writer,
    ):
        session = await writer.create_session(app_name=APP, user_id="u", session_id="s")
        await writer.append_event(session, event(step=1))
        await writer.list_sessions(app_name=APP)  # this store lists its own appends: copied

        listed = (await reader.list_sessions(app_name=APP)).sessions

        assert [s.state for s in listed] == [{"step": 1}]
        assert listed[0].last_update_time == session.last_update_time


async def test_appends_of_one_store_are_in_the_listing_after_it_closes(folder: Path) -> None:
    async with SessionService(SqliteStore.per_session_files(folder)) as writer:
        session = await writer.create_session(app_name=APP, user_id="u", session_id="s")
        for step in range(5):
            await writer.append_event(session, event(step=step))

    catalog = rows(folder / "catalog.db", "SELECT state, update_time_unix FROM adk_session_files")
    assert catalog == [('{"step":4}', session.last_update_time)]


async def test_scope_deltas_a_dead_writer_left_unmerged_are_merged_by_the_next_read(
    service: SessionService, store: PerSessionSqliteStore, folder: Path
) -> None:
    session = await service.create_session(app_name=APP, user_id="u", session_id="s")
    await service.append_event(session, event(**{"app:x": 1}))
    await service.append_event(session, event(**{"app:x": 2, "user:y": "b"}))
    await store.close()
    # What a writer killed between the session file's commit and the catalog's
    # leaves: the file has the newest append and its pending deltas, the catalog not.
    catalog = folder / "catalog.db"
    rows(catalog, "UPDATE adk_app_states SET state = '{\"x\":1}'")
    rows(catalog, "DELETE FROM adk_user_states")
    rows(catalog, "UPDATE adk_session_files SET scope_revision = scope_revision - 1")

    async with SessionService(SqliteStore.per_session_files(folder)) as again:
        assert await again.get_app_state(app_name=APP) == {"x": 1}
        got = await again.get_session(app_name=APP, user_id="u", session_id="s")

        assert got is not None
        assert got.state == {"app:x": 2, "user:y": "b"}
        assert await again.get_app_state(app_name=APP) == {"x": 2}


async def test_archive_moves_the_file_out_whole_and_the_id_can_be_used_again(
    service: SessionService, store: PerSessionSqliteStore, folder: Path
) -> None:
    session = await service.create_session(app_name=APP, user_id="u", session_id="s")
    await service.append_event(session, event(k="v"))
    other = await service.create_session(app_name=APP, user_id="u2")
    await service.append_event(other, event(**{"app:later": True}))

    archived = await store.archive_session(app_name=APP, user_id="u", session_id="s")

    assert archived == folder / "archive" / "support+u+s.db"
    assert not store.session_file(app_name=APP, user_id="u", session_id="s").exists()
    assert not archived.with_name(archived.name + "-wal").exists()
    assert rows(archived, "PRAGMA journal_mode") == [("delete",)]  # one file, no -wal or -shm
    assert archived.stat().st_mode & 0o777 == 0o600
    assert await service.get_session(app_name=APP, user_id="u", session_id="s") is None
    assert [s.id for s in (await service.list_sessions(app_name=APP)).sessions] == [other.id]
    assert rows(archived, "SELECT state FROM adk_sessions") == [('{"k":"v"}',)]
    assert rows(archived, "SELECT state FROM adk_app_states") == [('{"later":true}',)]
    await service.create_session(app_name=APP, user_id="u", session_id="s")
    again = await store.archive_session(app_name=APP, user_id="u", session_id="s")
    assert again == folder / "archive" / "support+u+s.2.db"


async def test_archiving_an_unknown_session_raises(store: PerSessionSqliteStore) -> None:
    with pytest.raises(SessionNotFoundError):
        await store.archive_session(app_name=APP, user_id="u", session_id="nope")


async def test_owner_confines_every_operation(folder: Path) -> None:
    store = SqliteStore.per_session_files(folder, owner_id_column="tenant_id INTEGER NOT NULL")
    mine, theirs = SessionService(store, owner_id=1), SessionService(store, owner_id=2)
    async with mine, theirs:
        session = await mine.create_session(app_name=APP, user_id="u", session_id="s")

        assert await theirs.get_session(app_name=APP, user_id="u", session_id="s") is None
        assert (await theirs.list_sessions(app_name=APP)).sessions == []
        with pytest.raises(SessionNotFoundError):
            await theirs.append_event(session, event())
        await theirs.delete_session(app_name=APP, user_id="u", session_id="s")
        assert await mine.get_session(app_name=APP, user_id="u", session_id="s") is not None
        with pytest.raises(SessionNotFoundError):
            await store.archive_session(app_name=APP, user_id="u", session_id="s", owner_id=2)
    await store.close()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"owner_id_column": "t INTEGER REFERENCES tenants(id)"}, "REFERENCES"),
        ({"session_table": "adk_session_files"}, "used by this layout"),
        ({"threads": 0}, "at least 1"),
        ({"synchronous": "SOMETIMES"}, "synchronous"),
    ],
)
def test_invalid_options_are_refused_when_the_store_is_built(
    tmp_path: Path, options: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        SqliteStore.per_session_files(tmp_path / "f", **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("folder", [":memory:", "sqlite:///x.db", ""])
def test_a_url_or_memory_is_not_a_folder(folder: str) -> None:
    with pytest.raises(ConfigurationError):
        SqliteStore.per_session_files(folder)


async def test_a_closed_store_refuses_work_and_closing_twice_is_fine(folder: Path) -> None:
    store = SqliteStore.per_session_files(folder)
    await SessionService(store).create_session(app_name=APP, user_id="u")
    await store.close()
    await store.close()

    with pytest.raises(StoreClosedError):
        await store.list_sessions(app_name=APP)


async def test_only_max_open_sessions_files_stay_open(folder: Path) -> None:
    async with SessionService(SqliteStore.per_session_files(folder, max_open_sessions=3)) as svc:
        sessions = [await svc.create_session(app_name=APP, user_id="u") for _ in range(10)]
        for session in sessions:
            await svc.append_event(session, event())
        await asyncio.sleep(0.05)  # closing happens on a worker thread

        store = svc.store
        assert isinstance(store, PerSessionSqliteStore)
        open_files = [slot for slot in store._slots.values() if slot.file is not None]
        assert len(open_files) <= 3
        for session in sessions:
            got = await svc.get_session(app_name=APP, user_id="u", session_id=session.id)
            assert got is not None
            assert len(got.events) == 1


async def test_concurrent_appends_to_many_sessions_all_land(service: SessionService) -> None:
    sessions = [await service.create_session(app_name=APP, user_id="u") for _ in range(20)]

    async def append_all(index: int) -> None:
        for step in range(25):
            await service.append_event(sessions[index], event(step=step, **{"app:last": index}))

    await asyncio.gather(*(append_all(i) for i in range(20)))

    for session in sessions:
        got = await service.get_session(app_name=APP, user_id="u", session_id=session.id)
        assert got is not None
        assert len(got.events) == 25
        assert got.state["step"] == 24
    assert (await service.get_app_state(app_name=APP))["last"] in range(20)


async def test_a_new_file_is_readable_only_by_its_owner(
    service: SessionService, store: PerSessionSqliteStore, folder: Path
) -> None:
    await service.create_session(app_name=APP, user_id="u", session_id="s")

    path = store.session_file(app_name=APP, user_id="u", session_id="s")
    assert path.stat().st_mode & 0o777 == 0o600
    assert (folder / "catalog.db").stat().st_mode & 0o777 == 0o600
    assert folder.stat().st_mode & 0o777 == 0o700


async def test_plain_sqlite3_reads_a_live_session_file_while_the_store_writes(
    service: SessionService, store: PerSessionSqliteStore
) -> None:
    session = await service.create_session(app_name=APP, user_id="u", session_id="s")
    await service.append_event(session, event())
    path = store.session_file(app_name=APP, user_id="u", session_id="s")

    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        assert connection.execute("SELECT count(*) FROM adk_events").fetchone() == (1,)
        await service.append_event(session, event())
        assert connection.execute("SELECT count(*) FROM adk_events").fetchone() == (2,)
    finally:
        connection.close()


def test_the_table_names_and_owner_column_are_reported(folder: Path) -> None:
    store = SqliteStore.per_session_files(
        folder, events_table="my_events", owner_id_column="tenant_id INTEGER NOT NULL"
    )

    assert store.table_names == ("adk_sessions", "my_events", "adk_app_states", "adk_user_states")
    assert store.owner_column_name == "tenant_id"
    assert store.has_owner_column
    assert store.folder == folder
