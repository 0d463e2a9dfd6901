from __future__ import annotations

import pytest

from adk_sqlite.errors import ConfigurationError
from adk_sqlite.identifiers import parse_owner_column, validate_identifier


@pytest.mark.parametrize("name", ["adk_sessions", "Sessions2", "_private", "a" * 63])
def test_validate_identifier_accepts_plain_names(name: str) -> None:
    assert validate_identifier(name, option="session_table") == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "1sessions",
        "sessions; DROP TABLE x",
        'a"b',
        "a b",
        "a-b",
        "sqlite_master",
        "a" * 64,
        "séance",
        None,
        42,
    ],
)
def test_validate_identifier_refuses_unsafe_names(name: object) -> None:
    with pytest.raises(ConfigurationError, match="session_table"):
        validate_identifier(name, option="session_table")


def test_parse_owner_column_splits_name_and_ddl() -> None:
    owner = parse_owner_column(
        "tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE"
    )
    assert owner.name == "tenant_id"
    assert owner.ddl.endswith("ON DELETE CASCADE")


@pytest.mark.parametrize(
    "ddl",
    [
        "",
        "   ",
        "1tenant INTEGER",
        "tenant_id INTEGER); DROP TABLE adk_sessions; --",
        "tenant_id INTEGER -- comment",
        "tenant_id INTEGER /* hidden */",
        "tenant_id INTEGER CHECK (tenant_id > 0",
        "tenant_id TEXT DEFAULT 'x",
        "state TEXT",
        "revision INTEGER",
        "t" + " INTEGER" * 100,
    ],
)
def test_parse_owner_column_refuses_bad_definitions(ddl: str) -> None:
    with pytest.raises(ConfigurationError, match="owner_id_column"):
        parse_owner_column(ddl)
