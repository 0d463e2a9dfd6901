"""Stores opened from URLs, one per URL, and the schemes in ADK's real service registry."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from google.adk.cli import service_registry
from google.adk.cli.service_registry import (
    ServiceRegistry,
    get_service_registry,
    load_services_module,
)
from google.adk.events.event import Event
from google.genai import types

from adk_sqlite import (
    ArtifactService,
    ConfigurationError,
    InvalidArgumentError,
    MemoryService,
    PerSessionSqliteStore,
    PostgresStore,
    SessionService,
    SqliteStore,
    StoreClosedError,
    closing,
)
from adk_sqlite.adk import registry
from adk_sqlite.adk.registry import StoreServiceFactory, open_store, shared_stores


def test_one_url_opens_one_store(tmp_path: Path) -> None:
    url = f"adk-sqlite:///{tmp_path}/agents.db"

    assert open_store(url) is open_store(url)
    assert len(shared_stores) == 1


def test_spellings_of_one_url_share_one_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    relative = open_store("adk-sqlite:///agents.db?inline_io=1&busy_timeout=5")
    absolute = open_store(f"adk-sqlite:///{tmp_path}/./agents.db?busy_timeout=5.0&inline_io=true")

    assert relative is absolute


def test_a_symlink_to_the_file_shares_its_store(tmp_path: Path) -> None:
    (tmp_path / "link.db").symlink_to(tmp_path / "agents.db")

    assert open_store(f"adk-sqlite:///{tmp_path}/link.db") is open_store(
        f"adk-sqlite:///{tmp_path}/agents.db"
    )


def test_other_options_open_another_store(tmp_path: Path) -> None:
    plain = open_store(f"adk-sqlite:///{tmp_path}/agents.db")
    tuned = open_store(f"adk-sqlite:///{tmp_path}/agents.db?busy_timeout=1")

    assert plain is not tuned


def test_a_relative_path_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    store = open_store("adk-sqlite:///data/agents.db")

    assert isinstance(store, SqliteStore)
    assert store.database == str(tmp_path / "data" / "agents.db")


def test_the_file_scheme_builds_a_sqlite_store_with_its_options(tmp_path: Path) -> None:
    store = open_store(
        f"adk-sqlite:///{tmp_path}/agents.db?session_table=chats&events_table=chat_events"
        "&owner_id_column=tenant_id+INTEGER"
    )

    assert isinstance(store, SqliteStore)
    assert store.table_names[:2] == ("chats", "chat_events")
    assert store.owner_column_name == "tenant_id"


def test_the_folder_scheme_builds_a_per_session_store(tmp_path: Path) -> None:
    store = open_store(f"adk-sqlite+folder:///{tmp_path}/sessions?session_table=chats")

    assert isinstance(store, PerSessionSqliteStore)
    assert store.folder == tmp_path / "sessions"
    assert store.table_names[0] == "chats"


def test_the_postgresql_scheme_builds_a_postgres_store_without_connecting() -> None:
    store = open_store("adk-sqlite+postgresql://ada:s3cret@127.0.0.1:1/agents?session_table=chats")

    assert isinstance(store, PostgresStore)
    assert store.database == "postgresql://ada:***@127.0.0.1:1/agents"
    assert store.table_names[0] == "chats"


def test_a_store_refusing_an_option_value_names_the_option(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="busy_timeout=-1"):
        open_store(f"adk-sqlite:///{tmp_path}/agents.db?busy_timeout=-1")


def test_a_postgresql_url_without_asyncpg_names_the_pip_command() -> None:
    blocker = (
        "import sys\n"
        "class _Blocker:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'asyncpg' or name.startswith('asyncpg.'):\n"
        "            raise ImportError('blocked for the test: ' + name)\n"
        "sys.meta_path.insert(0, _Blocker())\n"
    )
    code = (
        "from adk_sqlite.adk.registry import open_store\n"
        "from adk_sqlite import ConfigurationError\n"
        "try:\n"
        "    open_store('adk-sqlite+postgresql://u@h/d')\n"
        "except ConfigurationError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", blocker + code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert 'pip install "adk-sqlite[postgres]"' in result.stdout


async def test_closing_the_shared_stores_lets_a_url_open_a_new_store(tmp_path: Path) -> None:
    url = f"adk-sqlite:///{tmp_path}/agents.db"
    first = open_store(url)
    await SessionService(first).create_session(app_name="a", user_id="u")

    await registry.close_stores()

    second = open_store(url)
    assert second is not first
    listing = await SessionService(second).list_sessions(app_name="a", user_id="u")
    assert len(listing.sessions) == 1


def test_register_adds_every_scheme_to_an_adk_registry(tmp_path: Path) -> None:
    adk_registry = ServiceRegistry()

    registry.register(adk_registry)

    for url in (
        f"adk-sqlite:///{tmp_path}/agents.db",
        f"adk-sqlite+folder:///{tmp_path}/sessions",
        "adk-sqlite+postgresql://u@127.0.0.1:1/d",
    ):
        service = adk_registry.create_session_service(url, agents_dir=str(tmp_path))
        assert isinstance(service, SessionService)
        assert service.store is open_store(url)


def test_registering_again_changes_nothing(tmp_path: Path) -> None:
    adk_registry = ServiceRegistry()
    registry.register(adk_registry)
    url = f"adk-sqlite:///{tmp_path}/agents.db"
    first = adk_registry.create_session_service(url)

    registry.register(adk_registry)

    second = adk_registry.create_session_service(url)
    assert isinstance(first, SessionService)
    assert isinstance(second, SessionService)
    assert second.store is first.store


def test_importing_the_module_registered_the_schemes_with_adks_registry(tmp_path: Path) -> None:
    url = f"adk-sqlite:///{tmp_path}/agents.db"

    service = get_service_registry().create_session_service(url, agents_dir=str(tmp_path))

    assert isinstance(service, SessionService)
    assert service.store is open_store(url)


def test_adks_own_sqlite_scheme_still_opens_adks_service(tmp_path: Path) -> None:
    service = get_service_registry().create_session_service(f"sqlite:///{tmp_path}/adk.db")

    assert type(service).__name__ == "SqliteSessionService"


def test_service_keyword_arguments_reach_the_session_service(tmp_path: Path) -> None:
    service = get_service_registry().create_session_service(
        f"adk-sqlite:///{tmp_path}/agents.db",
        agents_dir=str(tmp_path),
        skip_damaged_events=True,
        fast_decoding=False,
    )

    assert isinstance(service, SessionService)
    assert service.skip_damaged_events
    assert not service.fast_decoding


def test_a_service_whose_module_is_missing_says_so(tmp_path: Path) -> None:
    factory = StoreServiceFactory("memory", "adk_sqlite.adk.no_such_module", "MemoryService")

    with pytest.raises(ConfigurationError, match="no memory service yet"):
        factory(f"adk-sqlite:///{tmp_path}/agents.db")


async def test_the_three_services_of_one_url_share_one_store(tmp_path: Path) -> None:
    url = f"adk-sqlite:///{tmp_path}/agents.db"
    adk_registry = ServiceRegistry()
    registry.register(adk_registry)

    sessions = adk_registry.create_session_service(url, agents_dir=str(tmp_path))
    memory = adk_registry.create_memory_service(url, agents_dir=str(tmp_path))

    assert isinstance(sessions, SessionService)
    assert isinstance(memory, MemoryService)
    assert memory.store is sessions.store
    session = await sessions.create_session(app_name="app", user_id="u")
    event = Event(
        author="user", content=types.Content(role="user", parts=[types.Part(text="I like tea")])
    )
    await sessions.append_event(session, event)
    stored = await sessions.get_session(app_name="app", user_id="u", session_id=session.id)
    assert stored is not None
    await memory.add_session_to_memory(stored)
    found = await memory.search_memory(app_name="app", user_id="u", query="tea?")
    assert [entry.custom_metadata["event_id"] for entry in found.memories] == [event.id]


async def test_session_and_artifact_services_of_one_url_share_one_store(tmp_path: Path) -> None:
    url = f"adk-sqlite:///{tmp_path}/agents.db"
    adk_registry = get_service_registry()

    sessions = adk_registry.create_session_service(url, agents_dir=str(tmp_path))
    artifacts = adk_registry.create_artifact_service(url, agents_dir=str(tmp_path))

    assert isinstance(sessions, SessionService)
    assert artifacts is not None
    assert type(artifacts).__name__ == "ArtifactService"
    assert getattr(artifacts, "store", None) is sessions.store
    session = await sessions.create_session(app_name="a", user_id="u")
    version = await artifacts.save_artifact(
        app_name="a",
        user_id="u",
        session_id=session.id,
        filename="notes.txt",
        artifact=types.Part(text="remember the milk"),
    )
    loaded = await artifacts.load_artifact(
        app_name="a", user_id="u", session_id=session.id, filename="notes.txt"
    )
    assert version == 0
    assert loaded is not None
    assert loaded.text == "remember the milk"


async def test_session_service_opens_the_shared_store_from_a_uri(tmp_path: Path) -> None:
    url = f"adk-sqlite:///{tmp_path}/agents.db"

    service = SessionService(uri=url, agents_dir=str(tmp_path), skip_damaged_events=True)

    assert service.store is open_store(url)
    assert service.skip_damaged_events
    session = await service.create_session(app_name="a", user_id="u", state={"k": 1})
    again = await SessionService(uri=url).get_session(
        app_name="a", user_id="u", session_id=session.id
    )
    assert again is not None
    assert again.state == {"k": 1}


def test_session_service_refuses_a_store_and_a_uri(tmp_path: Path) -> None:
    with pytest.raises(InvalidArgumentError, match="a store or a uri, not both"):
        SessionService(SqliteStore(":memory:"), uri=f"adk-sqlite:///{tmp_path}/agents.db")


def test_session_service_refuses_neither_a_store_nor_a_uri() -> None:
    with pytest.raises(InvalidArgumentError, match="needs a store"):
        SessionService()


def test_session_service_refuses_a_bad_uri() -> None:
    with pytest.raises(ConfigurationError, match="unknown option 'tables'"):
        SessionService(uri="adk-sqlite:///a.db?tables=x")


def test_services_yaml_builds_the_session_and_artifact_services_from_their_uri(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forget_agents_folder: None
) -> None:
    # A registry of ADK's built-in schemes only: the YAML file is what adds ours.
    monkeypatch.setattr(service_registry, "_service_registry_instance", None)
    agents = tmp_path / "agents"
    agents.mkdir()
    (agents / "services.yaml").write_text(
        "services:\n"
        "  - scheme: adk-sqlite\n"
        "    type: session\n"
        "    class: adk_sqlite.SessionService\n"
        "  - scheme: adk-sqlite\n"
        "    type: artifact\n"
        "    class: adk_sqlite.ArtifactService\n"
    )
    url = f"adk-sqlite:///{tmp_path}/agents.db"
    assert get_service_registry().create_session_service(url) is None

    load_services_module(str(agents))

    service = get_service_registry().create_session_service(url, agents_dir=str(agents))
    assert isinstance(service, SessionService)
    assert service.store is open_store(url)
    artifacts = get_service_registry().create_artifact_service(url, agents_dir=str(agents))
    assert isinstance(artifacts, ArtifactService)
    assert artifacts.store is service.store


class _FailingClose(SqliteStore):
    async def close(self) -> None:
        await super().close()
        raise OSError("the disk went away")


async def test_closing_the_shared_stores_closes_every_one_even_if_one_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "SqliteStore", _FailingClose)
    failing = open_store(f"adk-sqlite:///{tmp_path}/failing.db")
    monkeypatch.undo()
    other = open_store(f"adk-sqlite:///{tmp_path}/other.db")
    await SessionService(other).create_session(app_name="a", user_id="u")

    with pytest.raises(OSError, match="the disk went away"):
        await registry.close_stores()

    assert isinstance(failing, _FailingClose)
    assert len(shared_stores) == 0
    with pytest.raises(StoreClosedError):
        await SessionService(other).create_session(app_name="a", user_id="u")


def test_building_a_service_from_a_url_installs_the_sigterm_close(tmp_path: Path) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    get_service_registry().create_session_service(f"adk-sqlite:///{tmp_path}/agents.db")

    assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    # True over a handler that is not the default one: only when it is the closing one.
    assert closing.close_on_sigterm()


def test_a_sigterm_handler_of_the_application_is_left_alone(tmp_path: Path) -> None:
    def handler(signum: int, frame: object) -> None: ...

    signal.signal(signal.SIGTERM, handler)

    get_service_registry().create_session_service(f"adk-sqlite:///{tmp_path}/agents.db")

    assert signal.getsignal(signal.SIGTERM) is handler
