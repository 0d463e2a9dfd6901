"""A module a command needs but that is not installed: one line naming the pip install, exit 10.

Each command runs in a real process in which an import hook makes the module
unimportable, as in an environment where it was never installed; no code of
adk-sqlite is replaced.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from adk_sqlite.cli._errors import EXIT_MISSING_DEPENDENCY
from support.conversations import TICKET
from transfer.adk_artifact_folders import write_folder

# Run as `python -c`: hides MODULE (and its submodules) from every import, then runs the CLI.
_WITHOUT_MODULE = """
import sys
from importlib.abc import MetaPathFinder

hidden, args = sys.argv[1], sys.argv[2:]

class Uninstalled(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == hidden or name.startswith(hidden + "."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, Uninstalled())
from adk_sqlite.cli import main
main(args=args, prog_name="adk-sqlite")
"""
POSTGRES = 'pip install "adk-sqlite[postgres]"'
URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _run_without(module: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _WITHOUT_MODULE, module, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "command",
    [
        ("export", "{db}", URL),
        ("forget", URL, "--app", "support", "--user", "ada", "--yes"),
        ("import", "{artifacts}", URL),
    ],
    ids=["export", "forget", "import"],
)
def test_a_postgresql_url_without_asyncpg_names_the_postgres_extra(
    db_path: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    artifacts = tmp_path / "artifacts"  # ADK's FileArtifactService folder, for `import`
    asyncio.run(write_folder(artifacts))

    result = _run_without(
        "asyncpg", *(arg.format(db=db_path, artifacts=artifacts) for arg in command)
    )

    assert (result.returncode, result.stdout) == (EXIT_MISSING_DEPENDENCY, ""), result.stderr
    assert result.stderr == (
        f"Error: PostgreSQL needs the asyncpg module, which is not installed: {POSTGRES}\n"
    )


def test_show_html_without_jinja2_names_the_install(db_path: Path, tmp_path: Path) -> None:
    page = tmp_path / "session.html"

    result = _run_without("jinja2", "show", db_path, TICKET, "--html", page)

    assert result.returncode == EXIT_MISSING_DEPENDENCY, result.stderr
    assert result.stderr == (
        "Error: show --html needs the jinja2 module, which is not installed: pip install jinja2\n"
    )
    assert not page.exists()


def test_commands_that_need_no_optional_module_still_work_without_them(db_path: Path) -> None:
    result = _run_without("asyncpg", "stats", db_path, "--json")

    assert result.returncode == 0, result.stderr
    assert '"sessions": 3' in result.stdout
