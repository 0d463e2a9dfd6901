"""The command line starts without importing what it does not use (issue 17, point 8).

Each command runs as ``python -m adk_sqlite ...`` would run it, in a process of
its own, on real databases (a shared file and a folder of one file per session,
written through a real ADK Runner), and the test reads the modules it had
imported when it exited (``sys.modules``). ADK's event models and google-genai
take most of a second to import: only a command that decodes events (``check``)
may import them. The one part of google-adk every command imports is its errors
package, which adk-sqlite's errors subclass. Timing is left to
``benchmarks/startup.py``.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from google.adk.sessions.state import State

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.cli import main
from adk_sqlite.cli._app import COMMANDS, CommandEntry
from adk_sqlite.codec.state import split_state_delta
from support.conversations import hold_conversations

# Runs ``python -m adk_sqlite ARGS`` (or other code) and writes the modules it imported to
# the file named first: sys.modules at exit, imports inside functions included.
_RECORD_MODULES = """
import atexit, json, sys
report = sys.argv.pop(1)
atexit.register(lambda: open(report, "w").write(json.dumps(sorted(sys.modules))))
"""
_RUN_THE_CLI = "import runpy; runpy.run_module('adk_sqlite', run_name='__main__', alter_sys=True)"
# The modules that define ADK's models: importing any of them imports google-genai.
_ADK_MODELS = ("google.genai", "google.adk.events", "google.adk.sessions", "google.adk.models")


def _imports(code: str, *arguments: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    """Runs ``code`` in a new Python with ``arguments``; its result and the modules it imported."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "modules.json"
        result = subprocess.run(
            [sys.executable, "-c", _RECORD_MODULES + code, str(report), *arguments],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        return result, set(json.loads(report.read_text()))


def _run_cli(*arguments: str | Path) -> set[str]:
    """The modules ``adk-sqlite ARGUMENTS`` imported; fails the test if it did not succeed."""
    result, modules = _imports(_RUN_THE_CLI, *map(str, arguments))
    assert result.returncode == 0, result.stderr
    return modules


@functools.cache
def _error_tree_imports() -> frozenset[str]:
    """What of google-adk importing adk-sqlite's error tree imports (its errors package)."""
    _, modules = _imports("import adk_sqlite.errors")
    return frozenset(name for name in modules if name.startswith("google"))


def _google_imports_beyond_the_errors(modules: set[str]) -> set[str]:
    return {name for name in modules if name.startswith("google")} - _error_tree_imports()


def _is_model_module(name: str) -> bool:
    return any(name == root or name.startswith(f"{root}.") for root in _ADK_MODELS)


async def _write(folder: Path) -> None:
    async with SessionService(SqliteStore.per_session_files(folder)) as service:
        await hold_conversations(service)


@pytest.fixture(scope="module")
def conversation_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("folder") / "agent-sessions"
    asyncio.run(_write(folder))
    return folder


def test_the_error_tree_imports_no_adk_model() -> None:
    assert _error_tree_imports()
    assert not {name for name in _error_tree_imports() if _is_model_module(name)}


def test_importing_the_package_imports_neither_adk_nor_the_cli_dependencies() -> None:
    result, modules = _imports("import adk_sqlite")

    assert result.returncode == 0, result.stderr
    roots = {name.partition(".")[0] for name in modules}
    assert not roots & {"google", "click", "rich", "aiosqlite", "asyncpg", "msgspec"}
    assert {name for name in modules if name.startswith("adk_sqlite")} == {
        "adk_sqlite",
        "adk_sqlite._version",
    }


@pytest.mark.parametrize("option", ["--version", "--help"])
def test_version_and_help_import_click_and_no_library_code(option: str) -> None:
    modules = _run_cli(option)

    assert "click" in modules
    roots = {name.partition(".")[0] for name in modules}
    assert not roots & {"google", "rich", "msgspec", "sqlite3"}
    assert {name for name in modules if name.startswith("adk_sqlite")} == {
        "adk_sqlite",
        "adk_sqlite._version",
        "adk_sqlite.cli",
        "adk_sqlite.cli._app",
        "adk_sqlite.cli._help",
    }


@pytest.mark.parametrize("entry", COMMANDS, ids=lambda entry: entry.name)
def test_the_summary_listed_without_the_command_is_its_own(entry: CommandEntry) -> None:
    # adk-sqlite --help lists COMMANDS' summaries so as not to import every command.
    assert main.commands[entry.name].get_short_help_str(limit=1000) == entry.summary


def test_a_commands_help_imports_only_that_command() -> None:
    modules = _run_cli("stats", "--help")

    commands = {name for name in modules if re.fullmatch(r"adk_sqlite\.cli\.[a-z]\w*", name)}
    assert commands == {"adk_sqlite.cli.stats"}


_READING_COMMANDS = [
    ("sessions",),
    ("stats",),
    ("query", "SELECT count(*) FROM sqlite_master"),
]


@pytest.mark.parametrize("command", _READING_COMMANDS, ids=lambda command: command[0])
def test_reading_a_file_imports_no_adk_model(command: tuple[str, ...], db_path: Path) -> None:
    modules = _run_cli(command[0], db_path, *command[1:])

    assert not _google_imports_beyond_the_errors(modules)


@pytest.mark.parametrize("command", _READING_COMMANDS, ids=lambda command: command[0])
def test_reading_a_folder_imports_no_adk_model(
    command: tuple[str, ...], conversation_folder: Path
) -> None:
    modules = _run_cli(command[0], conversation_folder, *command[1:])

    assert not _google_imports_beyond_the_errors(modules)


def test_backup_imports_no_adk_model(db_path: Path, tmp_path: Path) -> None:
    modules = _run_cli("backup", db_path, tmp_path / "copy.db")

    assert not _google_imports_beyond_the_errors(modules)


def test_backup_of_a_session_file_of_a_folder_imports_no_adk_model(
    conversation_folder: Path, tmp_path: Path
) -> None:
    session_file = min(
        path for path in conversation_folder.rglob("*.db") if path.name != "catalog.db"
    )

    modules = _run_cli("backup", session_file, tmp_path / "copy.db")

    assert not _google_imports_beyond_the_errors(modules)


def test_the_check_command_imports_adk_models_only_when_it_decodes_events() -> None:
    result, modules = _imports("import adk_sqlite.cli.check")

    assert result.returncode == 0, result.stderr
    assert not _google_imports_beyond_the_errors(modules)


@pytest.mark.parametrize("where", ["file", "folder"])
def test_check_decodes_events_with_adk_models(
    where: str, db_path: Path, conversation_folder: Path
) -> None:
    # check decodes every event as get_session does: the one reading command that needs them.
    modules = _run_cli("check", db_path if where == "file" else conversation_folder)

    assert "google.adk.events.event" in modules


@pytest.mark.parametrize("where", ["file", "folder"])
def test_check_imports_numpy_only_to_scan_vectors(
    where: str, db_path: Path, conversation_folder: Path
) -> None:
    # numpy (the exact vector scan of memory search) takes ~35 ms to import:
    # check reaches the vector codec through the folder's repair code, and scans nothing.
    modules = _run_cli("check", db_path if where == "file" else conversation_folder)

    assert "adk_sqlite.codec.vectors" in modules or where == "file"
    assert "numpy" not in modules


def test_the_state_scopes_split_on_adks_own_prefixes() -> None:
    # codec.state writes ADK's prefixes out, so that reading state does not import ADK.
    delta = {
        f"{State.APP_PREFIX}theme": "dark",
        f"{State.USER_PREFIX}name": "Ada",
        f"{State.TEMP_PREFIX}scratch": 1,
        "turns": 2,
    }

    split = split_state_delta(delta)

    assert split.app == {"theme": "dark"}
    assert split.user == {"name": "Ada"}
    assert split.session == {"turns": 2}
