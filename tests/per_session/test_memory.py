"""`MemoryService` on `PerSessionSqliteStore`: the whole index lives in ``catalog.db``.

The shared contract runs in tests/memory (backend ``sqlite-per-session``); these tests
open the files with ``sqlite3`` and check the layout's own promises: memories in the
catalog and in no session file, searches that open no session file, re-adding a session
idempotent and incremental, and memories that outlive the session's file.
"""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path

import pytest
from google.adk.events import Event
from google.adk.sessions import Session
from google.genai import types

from adk_sqlite import ConfigurationError, MemoryService, SessionService, SqliteStore
from adk_sqlite.sqlite import PerSessionSqliteStore

from .conftest import rows

APP = "support"
USER = "alice"
SCOPE = {"app_name": APP, "user_id": USER}
SELECT_MEMORIES = "SELECT session_id, event_id, author FROM adk_memories ORDER BY row_id"


@pytest.fixture
async def memory(store: PerSessionSqliteStore) -> MemoryService:
    return MemoryService(store)


async def session_with(service: SessionService, session_id: str, *texts: str) -> Session:
    """A session holding one user event per text, read back whole."""
    session = await service.create_session(session_id=session_id, **SCOPE)
    return await append(service, session, *texts)


async def append(service: SessionService, session: Session, *texts: str) -> Session:
    for text in texts:
        content = types.Content(role="user", parts=[types.Part(text=text)])
        await service.append_event(session, Event(author="user", content=content))
    found = await service.get_session(session_id=session.id, **SCOPE)
    assert found is not None
    return found


async def found(memory: MemoryService, query: str) -> list[str]:
    response = await memory.search_memory(query=query, **SCOPE)
    texts = []
    for entry in response.memories:
        assert entry.content.parts is not None
        texts.append(entry.content.parts[0].text or "")
    return sorted(texts)


def tables(path: Path) -> set[str]:
    return {name for (name,) in rows(path, "SELECT name FROM sqlite_master WHERE type='table'")}


async def test_memories_are_in_the_catalog_and_in_no_session_file(
    service: SessionService, memory: MemoryService, store: PerSessionSqliteStore, folder: Path
) -> None:
    session = await session_with(service, "ticket-1", "the printer jams", "try the tray")
    await memory.add_session_to_memory(session)

    catalog = folder / "catalog.db"
    assert {"adk_memories", "adk_memories_fts", "adk_memories_sessions"} <= tables(catalog)
    assert [row[:2] for row in rows(catalog, SELECT_MEMORIES)] == [
        ("ticket-1", event.id) for event in session.events
    ]
    assert rows(catalog, "SELECT session_id, indexed_events FROM adk_memories_sessions") == [
        ("ticket-1", 2)
    ]
    session_file = store.session_file(session_id="ticket-1", **SCOPE)
    assert not {name for name in tables(session_file) if name.startswith("adk_memories")}


async def test_a_search_opens_no_session_file(folder: Path) -> None:
    async with SqliteStore.per_session_files(folder, max_open_sessions=1) as store:
        service, memory = SessionService(store), MemoryService(store)
        for index in range(12):
            session = await session_with(service, f"ticket-{index}", f"fact{index} kiwi")
            await memory.add_session_to_memory(session)

        assert await found(memory, "fact3") == ["fact3 kiwi"]
        assert len(await found(memory, "kiwi")) == 12
    # With no session file left at all, the catalog alone answers.
    (folder / "sessions").rename(folder.parent / "moved-away")
    async with SqliteStore.per_session_files(folder, max_open_sessions=1) as store:
        memory = MemoryService(store)
        assert await found(memory, "fact7") == ["fact7 kiwi"]
        assert await found(memory, "fact11") == ["fact11 kiwi"]


async def test_adding_a_session_again_is_idempotent_and_writes_only_new_events(
    service: SessionService, memory: MemoryService, folder: Path
) -> None:
    catalog = folder / "catalog.db"
    session = await session_with(service, "ticket-1", "one", "two", "three")
    await memory.add_session_to_memory(session)
    first = rows(catalog, SELECT_MEMORIES)
    await memory.add_session_to_memory(session)
    assert rows(catalog, SELECT_MEMORIES) == first

    # Mark the indexed rows: adding the longer session must leave them untouched.
    rows(catalog, "UPDATE adk_memories SET author = 'already-indexed'")
    session = await append(service, session, "four", "five")
    await memory.add_session_to_memory(session)

    stored = rows(catalog, SELECT_MEMORIES)
    assert [row[1] for row in stored] == [event.id for event in session.events]
    assert [row[2] for row in stored] == ["already-indexed"] * 3 + ["user"] * 2
    assert await found(memory, "five") == ["five"]


async def test_delete_by_id_by_session_and_by_user(
    service: SessionService, memory: MemoryService, folder: Path
) -> None:
    for session_id, texts in {"s1": ("red apple", "green apple"), "s2": ("apple pie",)}.items():
        await memory.add_session_to_memory(await session_with(service, session_id, *texts))
    bob = await service.create_session(app_name=APP, user_id="bob", session_id="s1")
    content = types.Content(role="user", parts=[types.Part(text="bob's apple")])
    await service.append_event(bob, Event(author="user", content=content))
    bob_session = await service.get_session(app_name=APP, user_id="bob", session_id="s1")
    assert bob_session is not None
    await memory.add_session_to_memory(bob_session)

    red = (await memory.search_memory(query="red", **SCOPE)).memories
    assert len(red) == 1
    await memory.delete_memory(memory_id=red[0].id, **SCOPE)
    assert await found(memory, "apple") == ["apple pie", "green apple"]

    await memory.delete_memory(session_id="s1", **SCOPE)
    assert await found(memory, "apple") == ["apple pie"]
    assert rows(folder / "catalog.db", "SELECT user_id, session_id FROM adk_memories_sessions") == [
        ("alice", "s2"),
        ("bob", "s1"),
    ]

    await memory.delete_memory(all_of_user=True, **SCOPE)
    assert await found(memory, "apple") == []
    bobs = await memory.search_memory(app_name=APP, user_id="bob", query="apple")
    assert len(bobs.memories) == 1


async def test_deleting_or_archiving_a_session_keeps_its_memories(
    service: SessionService, memory: MemoryService, store: PerSessionSqliteStore
) -> None:
    for session_id in ("deleted", "archived"):
        session = await session_with(service, session_id, f"{session_id} mango")
        await memory.add_session_to_memory(session)

    await service.delete_session(session_id="deleted", **SCOPE)
    await store.archive_session(session_id="archived", **SCOPE)

    assert await found(memory, "mango") == ["archived mango", "deleted mango"]


async def test_memory_table_renames_the_catalog_tables(folder: Path) -> None:
    async with SqliteStore.per_session_files(folder, memory_table="bot_memories") as store:
        assert store.memory_table == "bot_memories"
        memory = MemoryService(store)
        await memory.add_session_to_memory(
            await session_with(SessionService(store), "s1", "renamed table")
        )
        assert await found(memory, "renamed") == ["renamed table"]
    names = tables(folder / "catalog.db")
    assert {"bot_memories", "bot_memories_fts", "bot_memories_sessions"} <= names
    assert "adk_memories" not in names


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"memory_table": "adk_session_files"}, "adk_session_files"),
        ({"memory_table": "ADK_PENDING_SCOPE_DELTAS"}, "ADK_PENDING_SCOPE_DELTAS"),
        ({"memory_table": "adk_events"}, "another table"),
        ({"memory_table": "notes", "artifact_table": "notes"}, "notes"),
        ({"memory_table": "adk"}, "adk_sessions"),  # its watermarks table
        ({"memory_table": "no spaces"}, "memory_table"),
    ],
)
def test_memory_table_refuses_names_the_catalog_uses(
    folder: Path, options: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        SqliteStore.per_session_files(folder, **options)


_CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from adk_sqlite import MemoryService, SessionService, SqliteStore

    async def main(folder):
        async with SqliteStore.per_session_files(folder) as store:
            session = await SessionService(store).get_session(
                app_name="support", user_id="alice", session_id="ticket-1"
            )
            await MemoryService(store).add_session_to_memory(session)

    asyncio.run(main(sys.argv[1]))
    """
)


async def test_two_processes_adding_one_session_store_one_memory_per_event(
    service: SessionService, folder: Path
) -> None:
    texts = [f"note {index}" for index in range(200)]
    session = await session_with(service, "ticket-1", *texts)
    children = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", _CHILD, str(folder), stderr=asyncio.subprocess.PIPE
        )
        for _ in range(2)
    ]
    for child in children:
        _, err = await asyncio.wait_for(child.communicate(), timeout=120)
        assert child.returncode == 0, err.decode()

    stored = rows(folder / "catalog.db", "SELECT event_id FROM adk_memories ORDER BY row_id")
    assert [event_id for (event_id,) in stored] == [event.id for event in session.events]
