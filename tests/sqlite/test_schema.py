from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.errors import (
    ConfigurationError,
    DatabaseUnavailableError,
    SchemaError,
    SchemaVersionError,
)
from adk_sqlite.sqlite.schema.sql import SCHEMA_VERSION


def _columns(path: Path, table: str) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]


async def test_tables_are_created_on_first_use(db_path: Path) -> None:
    async with SessionService(SqliteStore(db_path)) as service:
        await service.create_session(app_name="a", user_id="u")
    with sqlite3.connect(db_path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"adk_sessions", "adk_events", "adk_app_states", "adk_user_states"} <= tables


async def test_events_table_has_the_seed_schema_columns(
    service: SessionService, db_path: Path
) -> None:
    await service.create_session(app_name="a", user_id="u")
    seed = [
        "id", "session_id", "app_name", "user_id", "invocation_id", "author", "actions",
        "long_running_tool_ids_json", "branch", "timestamp", "content", "grounding_metadata",
        "custom_metadata", "partial", "turn_complete", "interrupted", "error_code", "error_message",
    ]  # fmt: skip
    columns = _columns(db_path, "adk_events")
    assert [name for name in columns if name in seed] == seed


async def test_times_are_julian_days_that_sql_can_compare_with_julianday_now(
    service: SessionService, db_path: Path
) -> None:
    session = await service.create_session(app_name="a", user_id="u")
    await service.append_event(session, Event(author="agent", timestamp=session.last_update_time))
    with sqlite3.connect(db_path) as connection:
        (age_days,) = connection.execute(
            "SELECT julianday('now') - update_time FROM adk_sessions"
        ).fetchone()
        (event_age,) = connection.execute(
            "SELECT julianday('now') - timestamp FROM adk_events"
        ).fetchone()
        (unix,) = connection.execute("SELECT update_time_unix FROM adk_sessions").fetchone()
    # julianday('now') has millisecond resolution: allow it to trail by a few ms.
    tolerance = 0.01 / 86400
    assert -tolerance <= age_days < 1 / 24
    assert -tolerance <= event_age < 1 / 24
    assert unix == session.last_update_time


async def test_state_is_stored_as_json_text_and_actions_as_a_blob(
    service: SessionService, db_path: Path
) -> None:
    session = await service.create_session(app_name="a", user_id="u", state={"k": [1, 2]})
    await service.append_event(
        session, Event(author="agent", actions=EventActions(state_delta={"n": 1}))
    )
    with sqlite3.connect(db_path) as connection:
        (state,) = connection.execute(
            "SELECT json_extract(state, '$.k[1]') FROM adk_sessions"
        ).fetchone()
        (kind,) = connection.execute("SELECT typeof(actions) FROM adk_events").fetchone()
    assert state == 2
    assert kind == "blob"


async def test_deleting_a_session_cascades_to_its_events(
    service: SessionService, db_path: Path
) -> None:
    session = await service.create_session(app_name="a", user_id="u")
    for _ in range(3):
        await service.append_event(session, Event(author="agent"))
    await service.delete_session(app_name="a", user_id="u", session_id=session.id)
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT count(*) FROM adk_events").fetchone() == (0,)


async def test_schema_version_is_recorded(service: SessionService, db_path: Path) -> None:
    await service.create_session(app_name="a", user_id="u")
    with sqlite3.connect(db_path) as connection:
        rows = connection.execute("SELECT table_set, version FROM adk_sqlite_schema").fetchall()
    assert rows == [("adk_sessions", version) for version in range(1, SCHEMA_VERSION + 1)]


async def test_reopening_a_database_keeps_its_data(db_path: Path) -> None:
    async with SessionService(SqliteStore(db_path)) as service:
        created = await service.create_session(app_name="a", user_id="u", state={"k": 1})
    async with SessionService(SqliteStore(db_path)) as service:
        assert (
            await service.get_session(app_name="a", user_id="u", session_id=created.id) == created
        )


async def test_a_database_from_a_newer_schema_is_refused_and_left_unchanged(db_path: Path) -> None:
    async with SqliteStore(db_path):
        pass
    with sqlite3.connect(db_path) as connection:
        connection.execute(
            "INSERT INTO adk_sqlite_schema (table_set, version) VALUES ('adk_sessions', ?)",
            (SCHEMA_VERSION + 1,),
        )
    before = db_path.read_bytes()
    store = SqliteStore(db_path)
    with pytest.raises(SchemaVersionError, match="newer"):
        await store.create_tables()
    await store.close()
    assert db_path.read_bytes() == before


async def test_a_foreign_table_with_our_name_is_refused(db_path: Path) -> None:
    with sqlite3.connect(db_path) as connection:
        connection.execute("CREATE TABLE adk_sessions (x)")
    store = SqliteStore(db_path)
    with pytest.raises(SchemaError, match="not created by adk-sqlite"):
        await store.create_tables()
    await store.close()


async def test_custom_table_names_are_used(db_path: Path) -> None:
    store = SqliteStore(
        db_path,
        session_table="s",
        events_table="e",
        app_state_table="app_s",
        user_state_table="user_s",
    )
    async with SessionService(store) as service:
        session = await service.create_session(app_name="a", user_id="u", state={"app:x": 1})
        await service.append_event(session, Event(author="agent"))
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT count(*) FROM e").fetchone() == (1,)
        assert connection.execute("SELECT count(*) FROM app_s").fetchone() == (1,)


async def test_two_table_sets_share_one_file_independently(db_path: Path) -> None:
    async with (
        SessionService(SqliteStore(db_path)) as first,
        SessionService(
            SqliteStore(
                db_path,
                session_table="b_sessions",
                events_table="b_events",
                app_state_table="b_app",
                user_state_table="b_user",
            )
        ) as second,
    ):
        await first.create_session(app_name="a", user_id="u", session_id="s")
        assert await second.get_session(app_name="a", user_id="u", session_id="s") is None


@pytest.mark.parametrize(
    "option", ["session_table", "events_table", "app_state_table", "user_state_table"]
)
def test_a_bad_table_name_is_refused_before_any_sql(option: str, db_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=option):
        SqliteStore(db_path, **{option: "x; DROP TABLE y"})
    assert not db_path.exists()


def test_the_four_table_names_must_differ(db_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="different"):
        SqliteStore(db_path, session_table="t", events_table="T")


def test_the_constructor_does_no_io(db_path: Path) -> None:
    SqliteStore(db_path)
    assert not db_path.exists()


async def test_the_database_file_is_readable_by_its_owner_only(
    service: SessionService, db_path: Path
) -> None:
    await service.create_session(app_name="a", user_id="u")
    for path in (db_path, db_path.with_name(db_path.name + "-wal")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_the_file_database_uses_wal(service: SessionService, db_path: Path) -> None:
    await service.create_session(app_name="a", user_id="u")
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_a_path_in_a_missing_folder_gets_a_clear_error(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "missing" / "sessions.db")
    with pytest.raises(DatabaseUnavailableError, match="does not exist"):
        await store.create_tables()
    await store.close()


async def test_a_file_that_is_not_a_database_gets_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database" * 100)
    store = SqliteStore(path)
    with pytest.raises(DatabaseUnavailableError, match="not a database"):
        await store.create_tables()
    await store.close()
    assert path.read_bytes().startswith(b"these are my notes")


async def test_a_directory_as_database_gets_a_clear_error(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path)
    with pytest.raises(DatabaseUnavailableError):
        await store.create_tables()
    await store.close()
