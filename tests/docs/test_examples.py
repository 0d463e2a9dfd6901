"""Every Python and command-line example of README.md and docs/ runs as written.

What runs, and the markers that change how, are described in `collector.py`; the
sample files the examples name in `workspace.py`. Each test is one block, named
``page:line`` after its opening fence.
"""

from __future__ import annotations

import importlib
import inspect
import re
import shlex
from pathlib import Path
from typing import Any

import pytest

from .collector import (
    REPOSITORY,
    CodeBlock,
    chain_of,
    python_blocks,
    shell_blocks,
    shell_commands,
)
from .preludes import PRELUDES
from .running import Launcher

PYTHON_BLOCKS = python_blocks()
SHELL_BLOCKS = shell_blocks()
_POSTGRES_URL = re.compile(r"postgresql://[^\s\"'`)]+")


def _skip_if_marked(block: CodeBlock) -> None:
    if block.markers.skip_reason is not None:
        pytest.skip(f"{block.test_id}: {block.markers.skip_reason}")


def _standing_in_for_postgres(block: CodeBlock, request: pytest.FixtureRequest) -> str | None:
    """The test server's DSN for a block marked ``postgres``; None for the others."""
    if not block.markers.postgres:
        return None
    dsn: str = request.getfixturevalue("postgres_dsn")
    return dsn


def _parts(chain: list[CodeBlock], dsn: str | None) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    for block in chain:
        for name in block.markers.setups:
            if name not in PRELUDES:
                raise AssertionError(f"{block.test_id}: no setup named {name!r} in preludes.py")
            parts.append({"filename": f"<setup {name}>", "first_line": 1, "source": PRELUDES[name]})
        source = block.source if dsn is None else _POSTGRES_URL.sub(dsn, block.source)
        parts.append(
            {
                "filename": str(REPOSITORY / block.page),
                "first_line": block.line + 1,
                "source": source,
            }
        )
    return parts


@pytest.mark.parametrize("block", PYTHON_BLOCKS, ids=[block.test_id for block in PYTHON_BLOCKS])
def test_python_example_runs(
    block: CodeBlock, launcher: Launcher, example_dir: Path, request: pytest.FixtureRequest
) -> None:
    _skip_if_marked(block)
    if block.markers.signature is not None:
        _assert_signature_matches(block, block.markers.signature)
        return
    dsn = _standing_in_for_postgres(block, request)
    if block.markers.pytest:
        module = example_dir / "test_docs_example.py"
        module.write_text(block.source, encoding="utf-8")
        outcome = launcher.run({"kind": "pytest", "path": str(module)}, example_dir)
        assert outcome.returncode == 0, f"{block.test_id}: pytest {outcome.describe()}"
        assert re.search(r"\b[1-9]\d* passed\b", outcome.stdout), outcome.describe()
        return
    chain = chain_of(block, PYTHON_BLOCKS)
    outcome = launcher.run({"kind": "python", "parts": _parts(chain, dsn)}, example_dir)
    assert outcome.returncode == 0, f"{block.test_id}: {outcome.describe()}"


def _assert_signature_matches(block: CodeBlock, target: str) -> None:
    """The block, a call ``Name(param=default, *, ...)``, lists ``target``'s parameters."""
    module_name, _, attribute = target.rpartition(".")
    documented_name, opening, arguments = block.source.strip().partition("(")
    assert opening, f"{block.test_id}: not a call"
    assert documented_name == attribute, f"{block.test_id}: not a call of {attribute}"
    namespace: dict[str, Any] = {}
    exec(f"def {attribute}({arguments}:\n    pass\n", namespace)
    documented = inspect.signature(namespace[attribute]).parameters
    actual = inspect.signature(getattr(importlib.import_module(module_name), attribute)).parameters
    assert [(p.name, p.kind, p.default) for p in documented.values()] == [
        (p.name, p.kind, p.default) for p in actual.values()
    ], f"{block.test_id}: the documented signature differs from {target}'s"


@pytest.mark.parametrize("block", SHELL_BLOCKS, ids=[block.test_id for block in SHELL_BLOCKS])
def test_command_line_example_runs(
    block: CodeBlock, launcher: Launcher, example_dir: Path, request: pytest.FixtureRequest
) -> None:
    _skip_if_marked(block)
    dsn = _standing_in_for_postgres(block, request)
    commands = [command for command in shell_commands(block) if command.runs]
    assert commands, f"{block.test_id}: a marked block without an adk-sqlite command"
    for command in commands:
        argv = [word if dsn is None else _POSTGRES_URL.sub(dsn, word) for word in command.argv]
        outcome = launcher.run(
            {"kind": "cli", "argv": argv, "env": command.environment}, example_dir
        )
        where = f"{block.page}:{command.line}: {shlex.join(['adk-sqlite', *argv])}"
        if block.markers.exit_code is not None:
            assert outcome.returncode == block.markers.exit_code, f"{where}\n{outcome.describe()}"
        elif command.expects_error:
            assert outcome.returncode > 0, f"{where} was shown failing\n{outcome.describe()}"
            assert outcome.stderr.startswith("Error:"), f"{where}\n{outcome.describe()}"
        else:
            assert outcome.returncode == 0, f"{where}\n{outcome.describe()}"
