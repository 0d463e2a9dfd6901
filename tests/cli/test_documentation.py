"""The command line is documented: docs/cli.md covers every command, option and JSON field."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import click
import msgspec
import pytest

from adk_sqlite import Instant
from adk_sqlite.cli import main
from adk_sqlite.cli._errors import EXIT_CODES, EXIT_MISSING_DEPENDENCY, EXIT_PROBLEMS_FOUND
from adk_sqlite.tools.artifacts import ArtifactList
from adk_sqlite.tools.forgetting import ForgetReport
from adk_sqlite.tools.inspection import DatabaseStats, SessionList
from adk_sqlite.tools.maintenance import BackupReport, CheckReport
from adk_sqlite.tools.memories import MemoryList
from adk_sqlite.tools.readonly_query import QueryResult
from adk_sqlite.tools.retention import PruneReport
from adk_sqlite.tools.timeline import Timeline
from adk_sqlite.tools.tool_audit import ToolAudit
from adk_sqlite.transfer.adk_import import ImportReport
from adk_sqlite.transfer.export import ExportReport

from .conftest import run_cli

CLI_DOCS = Path(__file__).parents[2] / "docs" / "cli.md"
# The struct each command prints with --json.
JSON_RESULTS: dict[str, type[msgspec.Struct]] = {
    "sessions": SessionList,
    "show": Timeline,
    "tools": ToolAudit,
    "artifacts": ArtifactList,
    "memory": MemoryList,
    "stats": DatabaseStats,
    "query": QueryResult,
    "check": CheckReport,
    "backup": BackupReport,
    "prune": PruneReport,
    "forget": ForgetReport,
    "import": ImportReport,
    "export": ExportReport,
}


def _sections() -> dict[str, str]:
    """docs/cli.md's ``## `adk-sqlite NAME` `` sections, by command name."""
    text = CLI_DOCS.read_text()
    parts = re.split(r"^## ", text, flags=re.MULTILINE)
    sections = {}
    for part in parts[1:]:
        heading, _, body = part.partition("\n")
        match = re.fullmatch(r"`adk-sqlite ([a-z-]+)`", heading.strip())
        if match:
            sections[match.group(1)] = body
    return sections


def test_every_command_has_a_section_in_docs_cli_md() -> None:
    assert sorted(_sections()) == sorted(main.commands)


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_option_is_documented_in_its_commands_section(name: str) -> None:
    section = _sections()[name]
    command = main.commands[name]

    for parameter in command.params:
        if isinstance(parameter, click.Option):
            for option in parameter.opts:
                if option.startswith("--") and option != "--help":
                    documented = re.search(rf"`{re.escape(option)}[ `]", section)
                    assert documented, f"{name}: {option} is not documented"
        else:
            assert (parameter.metavar or parameter.name or "").upper() in section


def _struct_fields(struct: type[msgspec.Struct]) -> set[str]:
    """The field names of ``struct`` and of every struct nested in it, except `Instant`."""
    names: set[str] = set()
    pending: list[object] = [struct]
    seen: set[object] = set()
    while pending:
        annotation = pending.pop()
        if annotation in seen:
            continue
        seen.add(annotation)
        if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
            if annotation is Instant:
                continue
            names.update(annotation.__struct_fields__)
            pending.extend(typing.get_type_hints(annotation).values())
        else:
            pending.extend(typing.get_args(annotation))
    return names


def test_every_command_prints_a_documented_json_struct() -> None:
    assert sorted(JSON_RESULTS) == sorted(main.commands)


@pytest.mark.parametrize("name", sorted(JSON_RESULTS))
def test_every_json_field_is_documented_in_its_commands_section(name: str) -> None:
    section = _sections()[name]

    missing = {
        field
        for field in _struct_fields(JSON_RESULTS[name])
        if f"`{field}`" not in section and f'"{field}"' not in section
    }

    assert not missing, f"{name}: JSON fields not in docs/cli.md: {sorted(missing)}"


def test_the_time_object_is_documented_once_for_all_commands() -> None:
    conventions = CLI_DOCS.read_text().split("## Conventions", 1)[1].split("\n## ", 1)[0]

    for field in Instant.__struct_fields__:
        assert f'"{field}"' in conventions


def test_the_exit_code_table_lists_every_code_the_cli_uses() -> None:
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", CLI_DOCS.read_text(), re.M)}

    assert documented == {0, EXIT_PROBLEMS_FOUND, 2, EXIT_MISSING_DEPENDENCY} | {
        code for _, code in EXIT_CODES
    }


@pytest.mark.parametrize("name", [None, *sorted(main.commands)])
def test_every_help_ends_with_an_example(name: str | None) -> None:
    result = run_cli(*([name] if name else []), "--help")

    assert result.exit_code == 0
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    heading = max(i for i, line in enumerate(lines) if line in ("Example:", "Examples:"))
    examples = lines[heading + 1 :]
    assert examples, f"{name}: no example after the heading"
    prefix = f"adk-sqlite {name}" if name else "adk-sqlite "
    assert all(line.startswith(prefix) for line in examples), examples
