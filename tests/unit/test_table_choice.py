from __future__ import annotations

import sqlite3

import pytest

from adk_sqlite.errors import ConfigurationError
from adk_sqlite.tools.table_choice import TableChooser


def _chooser(*tables: str) -> TableChooser:
    return TableChooser(
        tables_in=lambda _connection: list(tables),
        one="an artifacts table",
        several="artifacts tables",
        option="--artifact-table NAME",
    )


@pytest.fixture
def connection() -> sqlite3.Connection:
    return sqlite3.connect(":memory:")


def test_the_only_table_is_chosen_and_none_without_any(connection: sqlite3.Connection) -> None:
    assert _chooser("files")(connection, None, "db") == "files"
    assert _chooser()(connection, None, "db") is None


def test_a_wanted_table_is_found_in_any_case(connection: sqlite3.Connection) -> None:
    assert _chooser("files", "Team_Files")(connection, "TEAM_FILES", "db") == "Team_Files"


def test_a_missing_wanted_table_is_refused_with_the_tables_listed(
    connection: sqlite3.Connection,
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        _chooser("files", "more")(connection, "other", "db")
    assert str(refused.value) == (
        "db: 'other' is not an artifacts table of this file (artifacts tables: files, more)"
    )
    with pytest.raises(ConfigurationError, match=r"\(artifacts tables: none\)"):
        _chooser()(connection, "other", "db")


def test_several_tables_ask_for_one_with_the_callers_option(
    connection: sqlite3.Connection,
) -> None:
    chooser = _chooser("files", "more")
    with pytest.raises(ConfigurationError) as refused:
        chooser(connection, None, "db")
    assert str(refused.value) == (
        "db: holds 2 artifacts tables (files, more); choose one with --artifact-table NAME"
    )
    with pytest.raises(ConfigurationError, match=r"choose one with --source-table NAME$"):
        chooser(connection, None, "db", option="--source-table NAME")
