"""Forgetting a user in a folder of session files: nothing of them in any table or file.

One user of an app has live sessions (events, state in every scope, session-scoped
artifacts), an archived session, a user-scoped artifact and memories; another user
of the same app, and the same user id in another app, have the same. After
`PerSessionSqliteStore.forget_user` no file of the folder is the forgotten user's, no
table of any file holds a row of theirs, no byte of their text is left in any file,
and everything of the others still reads back through the services. A forget killed
after its commit leaves its files listed, and they go before anything can adopt them.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from adk_sqlite import ArtifactService, MemoryService, SessionService, SqliteStore
from adk_sqlite.sqlite import PerSessionSqliteStore
from adk_sqlite.tools.folder_check import check_session_folder
from support.forgetting import SECRET, fill_user


async def _fill(store: PerSessionSqliteStore, app_name: str, user_id: str, word: str) -> None:
    last = await fill_user(store, app_name, user_id, word)
    # The last session is archived: out of the store, its file in archive/.
    await store.archive_session(app_name=app_name, user_id=user_id, session_id=last)


def _database_files(folder: Path) -> list[Path]:
    return sorted(
        path
        for path in folder.rglob("*.db")
        if path.is_file() and not path.name.startswith(".creating-")
    )


def _rows_of(folder: Path, app_name: str, user_id: str) -> dict[str, int]:
    """Rows per file and table whose app_name and user_id are the given ones."""
    found = {}
    for path in _database_files(folder):
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            tables = [
                name
                for (name,) in connection.execute(
                    "SELECT name FROM sqlite_master WHERE type='table'"
                )
            ]
            for table in tables:
                columns = {row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')}
                if {"app_name", "user_id"} <= columns:
                    (count,) = connection.execute(
                        f'SELECT count(*) FROM "{table}" WHERE app_name = ? AND user_id = ?',
                        (app_name, user_id),
                    ).fetchone()
                    if count:
                        found[f"{path.relative_to(folder)}:{table}"] = count
    return found


def _files_of(folder: Path, prefix: str) -> list[str]:
    """Every file (sidecars too) whose name starts with ``prefix``."""
    return sorted(
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and path.name.startswith(prefix)
    )


def _session_files(folder: Path, prefix: str) -> list[str]:
    return [name for name in _files_of(folder, prefix) if name.endswith(".db")]


async def test_forgetting_a_user_leaves_nothing_of_them_and_everything_of_others(
    folder: Path,
) -> None:
    async with SqliteStore.per_session_files(folder) as store:
        await _fill(store, "app", "ada", SECRET)
        await _fill(store, "app", "bob", "bermuda")
        await _fill(store, "other-app", "ada", "bermuda")
    before_bob = _rows_of(folder, "app", "bob")
    before_other = _rows_of(folder, "other-app", "ada")
    # 2 live and 1 archived, in each app.
    assert len(_session_files(folder, "app+ada+")) == 3
    assert len(_session_files(folder, "other-app+ada+")) == 3

    async with SqliteStore.per_session_files(folder) as store:
        report = await store.forget_user(app_name="app", user_id="ada")

        # 2 live sessions and the archived one, 2 events each. Artifact versions: 2 in
        # the live files, the archived session's in its copy and in the catalog (an
        # archive keeps them in both), and the user-scoped one.
        assert (report.sessions, report.events, report.user_state) == (3, 6, 1)
        assert (report.artifact_versions, report.memories, report.files) == (5, 6, 3)

        sessions = SessionService(store)
        assert (await sessions.list_sessions(app_name="app", user_id="ada")).sessions == []
        assert len((await sessions.list_sessions(app_name="app", user_id="bob")).sessions) == 2
        for listing in (await sessions.list_sessions(app_name="app", user_id="bob")).sessions:
            bob = await sessions.get_session(app_name="app", user_id="bob", session_id=listing.id)
            assert bob is not None
            assert len(bob.events) == 2
            assert bob.state["user:hint"] == "bermuda"
        found = await MemoryService(store).search_memory(
            app_name="app", user_id="bob", query="bermuda"
        )
        assert len(found.memories) == 6
        artifacts = ArtifactService(store)
        assert await artifacts.list_artifact_keys(app_name="app", user_id="ada") == []
        assert await artifacts.list_artifact_keys(app_name="app", user_id="bob") == ["user:profile"]
        profile = await artifacts.load_artifact(
            app_name="other-app", user_id="ada", filename="user:profile"
        )
        assert profile is not None
        assert profile.text == "bermuda"

    assert _rows_of(folder, "app", "ada") == {}
    assert _rows_of(folder, "app", "bob") == before_bob
    assert _rows_of(folder, "other-app", "ada") == before_other
    assert _files_of(folder, "app+ada+") == []  # with their -wal and -shm
    assert len(_session_files(folder, "other-app+ada+")) == 3
    # Not a byte of the forgotten user's text in any file of the folder.
    for path in folder.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path.relative_to(folder)
    assert check_session_folder(folder).ok


async def test_a_forget_killed_after_its_commit_is_finished_by_the_next_open(
    folder: Path, tmp_path: Path
) -> None:
    async with SqliteStore.per_session_files(folder) as store:
        await _fill(store, "app", "ada", SECRET)
        await _fill(store, "app", "bob", "bermuda")
    # What a kill between the commit and the unlinks leaves: the catalog without the
    # user, their files still there, listed in adk_pending_erasures.
    saved = tmp_path / "saved"
    shutil.copytree(folder, saved)
    async with SqliteStore.per_session_files(folder) as store:
        await store.forget_user(app_name="app", user_id="ada")
    for path in saved.rglob("*"):
        relative = path.relative_to(saved)
        if path.is_file() and "+ada+" in path.name and not (folder / relative).exists():
            shutil.copy2(path, folder / relative)
    left = _session_files(folder, "app+ada+")
    assert len(left) == 3
    with sqlite3.connect(folder / "catalog.db") as catalog:
        generations = dict(
            sqlite3.connect(f"file:{saved / 'catalog.db'}?mode=ro", uri=True)
            .execute("SELECT file_name, generation FROM adk_session_files WHERE user_id = 'ada'")
            .fetchall()
        )
        catalog.executemany(
            "INSERT INTO adk_pending_erasures (file, generation) VALUES (?, ?)",
            [(name, generations.get(name.split("/")[-1])) for name in left],
        )

    # check without --repair reports the files; it never adopts them as orphans.
    report = check_session_folder(folder)
    assert not report.ok
    assert {d.kind for d in report.drift} == {"unfinished_forget"}
    assert check_session_folder(folder, repair=True).drift[0].repaired
    assert _files_of(folder, "app+ada+") == []

    # And a store opening the folder finishes it too.
    for name in left:
        shutil.copy2(saved / name, folder / name)
    with sqlite3.connect(folder / "catalog.db") as catalog:
        catalog.executemany(
            "INSERT INTO adk_pending_erasures (file, generation) VALUES (?, NULL)",
            [(name,) for name in left],
        )
    async with SqliteStore.per_session_files(folder) as store:
        sessions = SessionService(store)
        assert (await sessions.list_sessions(app_name="app", user_id="ada")).sessions == []
    assert _files_of(folder, "app+ada+") == []
    with sqlite3.connect(folder / "catalog.db") as catalog:
        assert catalog.execute("SELECT count(*) FROM adk_pending_erasures").fetchone() == (0,)
    assert check_session_folder(folder).ok


async def test_a_session_created_again_under_a_listed_name_is_left_alone(folder: Path) -> None:
    async with SqliteStore.per_session_files(folder) as store:
        sessions = SessionService(store)
        await sessions.create_session(app_name="app", user_id="ada", session_id="s1")
        await store.forget_user(app_name="app", user_id="ada")
        await sessions.create_session(app_name="app", user_id="ada", session_id="s1")
    # A listed file whose name a live session took since is not removed.
    with sqlite3.connect(folder / "catalog.db") as catalog:
        catalog.execute(
            "INSERT INTO adk_pending_erasures (file, generation) VALUES (?, NULL)",
            ("sessions/app+ada+s1.db",),
        )
    async with SqliteStore.per_session_files(folder) as store:
        session = await SessionService(store).get_session(
            app_name="app", user_id="ada", session_id="s1"
        )
        assert session is not None
