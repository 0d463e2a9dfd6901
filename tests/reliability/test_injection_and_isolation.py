"""SQL injection through every input, and tenant isolation with an owner column.

Values (ids, app names, user ids, state keys, event fields) are always bound parameters:
an attempt must be stored literally and leave the schema as it was. Table names and the
owner column are the only configuration written into SQL: an attempt through them must be
refused with ConfigurationError before any statement exists.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adk_sqlite import (
    ConfigurationError,
    SessionAlreadyExistsError,
    SessionNotFoundError,
    SessionService,
    SqliteStore,
)

from ._support import integrity_problems

INJECTIONS = [
    "'; DROP TABLE adk_sessions; --",
    '" OR 1=1 --',
    "') OR ('1'='1",
    "x' UNION SELECT sql, sql, sql FROM sqlite_master --",
    "1; ATTACH DATABASE 'evil.db' AS evil; --",
    "'); UPDATE adk_sessions SET state = '{\"owned\": true}'; --",
    "?",
    "?1",
    ":name",
    "@x",
    "$x",
    "%s",
    "{sessions}",
    "{owner_filter}",
    "\\'",
    "\x00'; DROP TABLE adk_events; --",
    "adk_sessions",
    "*/ DROP TABLE adk_app_states; /*",
]


def _schema(path: Path) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(path)
    try:
        return connection.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name"
        ).fetchall()
    finally:
        connection.close()


async def _use_everywhere(service: SessionService, payload: str, n: int) -> None:
    """Puts ``payload`` into every input of every call and checks it comes back literally."""
    session = await service.create_session(
        app_name=payload,
        user_id=payload,
        session_id=f"{payload}-{n}",
        state={payload: payload, f"app:{payload}": payload, f"user:{payload}": payload},
    )
    # Session ids are stripped of surrounding whitespace (ADK's rule); nothing else changes.
    assert session.id == f"{payload}-{n}".strip()
    key = {"app_name": payload, "user_id": payload, "session_id": session.id}
    event = Event(
        id=f"{payload}-event",
        invocation_id=payload,
        author=payload,
        branch=payload,
        actions=EventActions(
            state_delta={payload: [payload], f"app:{payload}": 1, f"user:{payload}": 2}
        ),
    )
    await service.append_event(session, event)
    stored = await service.get_session(**key)
    assert stored is not None
    assert stored.state == {payload: [payload], f"app:{payload}": 1, f"user:{payload}": 2}
    assert [(e.id, e.author, e.branch) for e in stored.events] == [
        (f"{payload}-event", payload, payload)
    ]
    listed = await service.list_sessions(app_name=payload, user_id=payload)
    assert session.id in [s.id for s in listed.sessions]
    assert await service.get_user_state(app_name=payload, user_id=payload) == {payload: 2}
    assert await service.get_app_state(app_name=payload) == {payload: 1}


async def test_injection_attempts_in_every_input_are_stored_literally(
    service: SessionService, db_path: Path
) -> None:
    await service.create_session(app_name="bystander", user_id="u", session_id="s")
    schema = _schema(db_path)
    for n, payload in enumerate(INJECTIONS):
        await _use_everywhere(service, payload, n)
    assert _schema(db_path) == schema
    assert integrity_problems(db_path) == []
    assert sorted(path.name for path in db_path.parent.iterdir() if "evil" in path.name) == []
    bystander = await service.get_session(app_name="bystander", user_id="u", session_id="s")
    assert bystander is not None
    assert bystander.state == {}
    for n, payload in enumerate(INJECTIONS):
        await service.delete_session(app_name=payload, user_id=payload, session_id=f"{payload}-{n}")
        assert (
            await service.get_session(
                app_name=payload, user_id=payload, session_id=f"{payload}-{n}"
            )
            is None
        )
    assert await service.get_session(app_name="bystander", user_id="u", session_id="s")


SQL_ALPHABET = st.sampled_from(
    [
        "'",
        '"',
        ";",
        "-",
        "-",
        "/",
        "*",
        "(",
        ")",
        "?",
        ":",
        "@",
        "$",
        "%",
        "{",
        "}",
        "\\",
        " ",
        "\x00",
        "=",
        "OR",
        "1",
        "DROP TABLE ",
        "adk_sessions",
        "SELECT ",
        "--",
        "é",
        "😀",
    ]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(SQL_ALPHABET, min_size=1, max_size=12).map("".join))
def test_generated_sql_fragments_are_stored_literally(payload: str) -> None:
    async def scenario() -> None:
        async with SessionService(SqliteStore(":memory:")) as service:
            await _use_everywhere(service, payload, 0)

    asyncio.run(scenario())


# --- configuration that is written into SQL -------------------------------------------

BAD_TABLE_NAMES = [
    "adk_sessions; DROP TABLE x",
    'a"b',
    "a'b",
    "x--",
    "x/**/",
    "",
    " ",
    "1abc",
    "a" * 64,
    "sqlite_master",
    "SQLite_x",
    "naïve",
    "\uff41dk",  # fullwidth a
    "a\x00b",
    "a b",
    "a.b",
    "[x]",
    "`x`",
    "x\n",
    None,
    5,
    b"x",
]


@pytest.mark.parametrize(
    "option", ["session_table", "events_table", "app_state_table", "user_state_table"]
)
@pytest.mark.parametrize("name", BAD_TABLE_NAMES, ids=repr)
def test_table_name_injection_is_refused_before_any_sql(
    option: str, name: Any, tmp_path: Path
) -> None:
    with pytest.raises(ConfigurationError):
        SqliteStore(tmp_path / "x.db", **{option: name})
    assert list(tmp_path.iterdir()) == []


async def test_sql_keywords_are_valid_table_names_because_names_are_quoted(
    tmp_path: Path,
) -> None:
    names = {
        "session_table": "select",
        "events_table": "order",
        "app_state_table": "group",
        "user_state_table": "table",
    }
    async with SessionService(SqliteStore(tmp_path / "x.db", **names)) as service:
        session = await service.create_session(
            app_name="a", user_id="u", session_id="s", state={"app:k": 1, "user:k": 2}
        )
        await service.append_event(session, Event(author="agent"))
        stored = await service.get_session(app_name="a", user_id="u", session_id="s")
        assert stored == session


BAD_OWNER_COLUMNS = [
    "tenant_id INTEGER); DROP TABLE adk_events; --",
    "tenant_id INTEGER /* hidden */",
    "tenant_id INTEGER -- hidden",
    "tenant_id TEXT DEFAULT ('a'",
    "tenant_id TEXT DEFAULT 'a",
    'tenant_id TEXT DEFAULT "a',
    "tenant_id INTEGER) WITHOUT ROWID",
    "(tenant_id INTEGER)",
    "tenant-id INTEGER",
    "id INTEGER",
    "rowid INTEGER",
    "x" * 501,
    "",
]


@pytest.mark.parametrize("ddl", BAD_OWNER_COLUMNS, ids=lambda ddl: ddl[:40])
def test_owner_column_injection_is_refused_before_any_sql(ddl: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        SqliteStore(tmp_path / "x.db", owner_id_column=ddl)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "ddl",
    [
        "tenant_id INTEGER, evil TEXT",
        "tenant_id INTEGER, FOREIGN KEY (app_name) REFERENCES other(x)",
        "tenant_id INTEGER, CHECK (length(state) < 10)",
    ],
)
def test_an_owner_column_definition_cannot_add_a_second_column_or_constraint(
    ddl: str, tmp_path: Path
) -> None:
    with pytest.raises(ConfigurationError):
        SqliteStore(tmp_path / "x.db", owner_id_column=ddl)


def test_commas_inside_parentheses_are_still_allowed(tmp_path: Path) -> None:
    SqliteStore(
        tmp_path / "x.db",
        owner_id_column="tenant_id NUMERIC(10, 0) NOT NULL CHECK (tenant_id IN (1, 2, 3))",
    )


# --- tenant isolation ----------------------------------------------------------------

OWNER_DDL = "tenant_id TEXT NOT NULL"


async def _populate(owner: SessionService, keys: list[dict[str, str]]) -> dict[str, Any]:
    originals = {}
    for key in keys:
        session = await owner.create_session(**key, state={"secret": key["session_id"]})
        await owner.append_event(
            session,
            Event(id="e1", author="agent", actions=EventActions(state_delta={"n": 1})),
        )
        originals[key["session_id"]] = session
    return originals


@pytest.mark.parametrize("intruder_owner", ["globex", 0, "", "ACME", "acme "])
async def test_one_owner_can_never_read_list_append_to_or_delete_anothers_sessions(
    db_path: Path, intruder_owner: Any
) -> None:
    store = SqliteStore(db_path, owner_id_column=OWNER_DDL)
    acme = SessionService(store, owner_id="acme")
    intruder = SessionService(store, owner_id=intruder_owner)
    keys = [
        {"app_name": "app", "user_id": "alice", "session_id": "s1"},
        {"app_name": "app", "user_id": "alice", "session_id": "s2"},
        {"app_name": "app", "user_id": "", "session_id": "s3"},
    ]
    try:
        originals = await _populate(acme, keys)
        for key in keys:
            padded = {**key, "session_id": f" {key['session_id']} "}
            assert await intruder.get_session(**key) is None
            assert await intruder.get_session(**padded) is None
            # Appending through acme's own Session object, marker and all, is refused too.
            with pytest.raises(SessionNotFoundError):
                await intruder.append_event(
                    originals[key["session_id"]],
                    Event(author="intruder", actions=EventActions(state_delta={"owned": 1})),
                )
            await intruder.delete_session(**key)
            await intruder.delete_session(**padded)
            # Keys are global, so a create under acme's key is refused (and reveals it).
            with pytest.raises(SessionAlreadyExistsError):
                await intruder.create_session(**key)
        for user_id in (None, "alice", ""):
            listed = await intruder.list_sessions(app_name="app", user_id=user_id)
            assert listed.sessions == []
        for key in keys:
            # acme's sessions are exactly as acme left them, and its old objects are not
            # stale: nothing was written to them.
            assert await acme.get_session(**key) == originals[key["session_id"]]
            await acme.append_event(originals[key["session_id"]], Event(author="agent"))
        assert len((await acme.list_sessions(app_name="app")).sessions) == 3
    finally:
        await store.close()


async def test_owner_ids_compare_after_the_columns_type_affinity(db_path: Path) -> None:
    # SQLite converts a value to the column's type before comparing: with a TEXT owner
    # column, the integer 1 and the string "1" name the same owner. Use one type.
    store = SqliteStore(db_path, owner_id_column=OWNER_DDL)
    try:
        await SessionService(store, owner_id="1").create_session(
            app_name="a", user_id="u", session_id="s"
        )
        as_int = SessionService(store, owner_id=1)
        assert await as_int.get_session(app_name="a", user_id="u", session_id="s") is not None
    finally:
        await store.close()
