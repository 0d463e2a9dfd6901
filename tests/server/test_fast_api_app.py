"""``get_fast_api_app(session_service_uri="adk-sqlite:///...")`` in this process, over ASGI.

The same conversation as the process tests, without a socket: the app is served by
httpx's ASGI transport. "Restarting" is closing every store opened from a URL and
building a new app on the same database, whose store then opens the file afresh.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from google.adk.cli.fast_api import get_fast_api_app

from adk_sqlite.adk.registry import close_stores, open_store, shared_stores
from server.agents_folder import APP, USER, AgentApi, write_agents_folder

pytestmark = pytest.mark.usefixtures("forget_agents_folder")


def _app(agents: Path, url: str, **options: Any) -> FastAPI:
    return get_fast_api_app(agents_dir=str(agents), session_service_uri=url, web=False, **options)


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def test_fast_api_app_keeps_sessions_across_a_new_app_on_the_same_database(
    tmp_path: Path,
) -> None:
    agents = write_agents_folder(tmp_path)
    url = f"adk-sqlite:///{tmp_path}/agents.db"

    async with _client(_app(agents, url)) as http:
        api = AgentApi(http)
        session = await api.create_session(state={"topic": "tea"})
        await api.run(session["id"], "I like tea.")
        await api.run_sse(session["id"], "And biscuits.")
        other = await api.create_session(session_id="other")
        await api.run(other["id"], "Hello.")
        before = {id_: await api.get_session(id_) for id_ in (session["id"], "other")}
    assert len(before[session["id"]]["events"]) == 4 + 2
    assert before[session["id"]]["state"]["user:last_fact"] == "likes tea"
    first_store = open_store(url)
    await close_stores()

    async with _client(_app(agents, url)) as http:
        api = AgentApi(http)
        after = {id_: await api.get_session(id_) for id_ in before}
        listing = await api.list_sessions()

    assert open_store(url) is not first_store
    assert after == before
    assert {s["id"] for s in listing} == set(before)


async def test_session_db_kwargs_reach_the_session_service(tmp_path: Path) -> None:
    agents = write_agents_folder(tmp_path)
    database = tmp_path / "agents.db"
    url = f"adk-sqlite:///{database}?owner_id_column=tenant_id+INTEGER"

    async with _client(_app(agents, url, session_db_kwargs={"owner_id": 7})) as http:
        session = await AgentApi(http).create_session()
    await close_stores()

    with contextlib.closing(sqlite3.connect(database)) as connection:
        rows = connection.execute("SELECT id, tenant_id FROM adk_sessions").fetchall()
    assert rows == [(session["id"], 7)]


async def test_an_invalid_url_stops_the_app_from_being_built(tmp_path: Path) -> None:
    agents = write_agents_folder(tmp_path)

    with pytest.raises(ValueError, match="unknown option 'busy'"):
        _app(agents, f"adk-sqlite:///{tmp_path}/agents.db?busy=1")


async def test_sessions_and_artifacts_from_one_url_share_one_store(tmp_path: Path) -> None:
    agents = write_agents_folder(tmp_path)
    url = f"adk-sqlite:///{tmp_path}/agents.db"

    app = _app(agents, url, artifact_service_uri=url)
    async with _client(app) as http:
        session = await AgentApi(http).create_session()
        base = f"/apps/{APP}/users/{USER}/sessions/{session['id']}/artifacts"
        saved = await http.post(
            base, json={"filename": "notes.txt", "artifact": {"text": "remember the milk"}}
        )
        names = await http.get(base)
        loaded = await http.get(f"{base}/notes.txt")

    assert len(shared_stores) == 1
    assert saved.status_code == 200, saved.text
    assert names.json() == ["notes.txt"]
    assert loaded.json()["text"] == "remember the milk"


async def test_a_lifespan_that_closes_the_stores_leaves_the_wal_checkpointed(
    tmp_path: Path,
) -> None:
    agents = write_agents_folder(tmp_path)
    database = tmp_path / "agents.db"
    wal = database.with_name("agents.db-wal")

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await close_stores()

    app = _app(agents, f"adk-sqlite:///{database}", lifespan=lifespan)
    # What uvicorn does around serving: the app's lifespan (ADK's, wrapping ours).
    async with app.router.lifespan_context(app), _client(app) as http:
        await AgentApi(http).create_session(state={"k": 1})
        assert wal.exists()

    assert not wal.exists()
    assert len(shared_stores) == 0
