from __future__ import annotations

from pathlib import Path

import pytest

from adk_sqlite.errors import ConfigurationError
from adk_sqlite.sqlite.engine.connection import parse_database


@pytest.mark.parametrize("spelling", ["", ":memory:", "sqlite:///", "sqlite:///:memory:"])
def test_memory_spellings_mean_a_private_in_memory_database(spelling: str) -> None:
    assert parse_database(spelling).in_memory


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///sessions.db", "sessions.db"),
        ("sqlite+aiosqlite:///./data/s.db", "./data/s.db"),
        ("sqlite:////tmp/abs.db", "/tmp/abs.db"),
        ("sqlite+aiosqlite:////tmp/abs.db", "/tmp/abs.db"),
        ("./plain/path.db", "./plain/path.db"),
        ("C:\\x\\y.db", "C:\\x\\y.db"),
    ],
)
def test_urls_and_paths_resolve_like_sqlalchemy(url: str, path: str) -> None:
    target = parse_database(url)
    assert target.path == Path(path)
    assert not target.uri


def test_a_query_string_opens_a_file_uri_with_the_path_escaped() -> None:
    target = parse_database("sqlite:///odd name%.db?mode=ro")
    assert target.uri
    assert target.read_only
    assert target.connect_to == "file:odd%20name%25.db?mode=ro"


def test_path_objects_are_accepted() -> None:
    assert parse_database(Path("x.db")).path == Path("x.db")


@pytest.mark.parametrize("url", ["postgresql://localhost/db", "sqlite://host/x.db", "mysql:///x"])
def test_unsupported_urls_are_configuration_errors(url: str) -> None:
    with pytest.raises(ConfigurationError):
        parse_database(url)
