"""Fixtures of the docs tests: the sample files, a directory per example, the launcher."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.postgres import base_dsn, create_schema, drop_schema, with_search_path

from .running import Launcher
from .workspace import write_workspace


@pytest.fixture(scope="session")
def docs_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample files of `workspace.py`, written once; never modified."""
    folder = tmp_path_factory.mktemp("docs-workspace") / "work"
    folder.mkdir()
    asyncio.run(write_workspace(folder))
    return folder


@pytest.fixture
def example_dir(docs_workspace: Path, tmp_path: Path) -> Path:
    """A private copy of the sample files, the example's working directory."""
    folder = tmp_path / "work"
    shutil.copytree(docs_workspace, folder, symlinks=True)
    return folder


@pytest.fixture(scope="session")
def launcher() -> Iterator[Launcher]:
    runner = Launcher()
    try:
        yield runner
    finally:
        runner.close()


@pytest.fixture
def postgres_dsn() -> Iterator[str]:
    """The test server, in a schema of its own dropped afterwards (skips without a server)."""
    schema = asyncio.run(create_schema())
    try:
        yield with_search_path(base_dsn(), schema)
    finally:
        asyncio.run(drop_schema(schema))
