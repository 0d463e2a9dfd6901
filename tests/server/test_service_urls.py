"""The service URL parser: schemes, paths, options and their types, errors. No database."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from adk_sqlite import ConfigurationError, PerSessionSqliteStore, PostgresStore, SqliteStore
from adk_sqlite.adk import service_urls
from adk_sqlite.adk.service_urls import STORE_OPTIONS, StoreUrl, parse_store_url


def test_three_slashes_name_a_path_relative_to_the_working_directory() -> None:
    assert parse_store_url("adk-sqlite:///data/agents.db") == StoreUrl("sqlite", "data/agents.db")


def test_four_slashes_name_an_absolute_path() -> None:
    assert parse_store_url("adk-sqlite:////srv/agents.db") == StoreUrl("sqlite", "/srv/agents.db")


def test_memory_is_an_in_memory_database() -> None:
    url = parse_store_url("adk-sqlite:///:memory:")

    assert url.in_memory
    assert url.location == ":memory:"


def test_a_percent_encoded_path_is_decoded() -> None:
    url = parse_store_url("adk-sqlite:////srv/my%20agents%23/a%3Fb.db")

    assert url.location == "/srv/my agents#/a?b.db"


def test_the_folder_scheme_names_a_folder_of_session_files() -> None:
    url = parse_store_url("adk-sqlite+folder:////srv/sessions")

    assert url == StoreUrl("folder", "/srv/sessions")
    assert url.store_class == "PerSessionSqliteStore"


def test_the_postgresql_scheme_gives_the_store_a_postgresql_url() -> None:
    url = parse_store_url("adk-sqlite+postgresql://ada@db.internal:5433/agents")

    assert url == StoreUrl("postgresql", "postgresql://ada@db.internal:5433/agents")
    assert url.store_class == "PostgresStore"


def test_the_scheme_is_case_insensitive() -> None:
    assert parse_store_url("ADK-SQLite:///a.db") == parse_store_url("adk-sqlite:///a.db")


@pytest.mark.parametrize("text", ["true", "TRUE", "1", "yes", "Yes"])
def test_true_spellings_of_a_boolean_option(text: str) -> None:
    url = parse_store_url(f"adk-sqlite:///a.db?inline_io={text}")

    assert url.keywords() == {"inline_io": True}


@pytest.mark.parametrize("text", ["false", "False", "0", "no", "NO"])
def test_false_spellings_of_a_boolean_option(text: str) -> None:
    url = parse_store_url(f"adk-sqlite:///a.db?inline_io={text}")

    assert url.keywords() == {"inline_io": False}


def test_each_option_is_read_as_its_constructor_type() -> None:
    url = parse_store_url(
        "adk-sqlite+folder:///sessions?session_table=chat_sessions&busy_timeout=2.5"
        "&synchronous=full&max_open_sessions=8&threads=2"
        "&owner_id_column=tenant_id+INTEGER+NOT+NULL"
    )

    assert url.keywords() == {
        "session_table": "chat_sessions",
        "busy_timeout": 2.5,
        "synchronous": "FULL",
        "max_open_sessions": 8,
        "threads": 2,
        "owner_id_column": "tenant_id INTEGER NOT NULL",
    }


def test_lock_timeout_none_waits_forever() -> None:
    url = parse_store_url("adk-sqlite+postgresql://u@h/d?lock_timeout=none&connect_timeout=3")

    assert url.keywords() == {"lock_timeout": None, "connect_timeout": 3.0}


def test_order_and_spelling_of_options_do_not_matter() -> None:
    first = parse_store_url("adk-sqlite:///a.db?inline_io=1&busy_timeout=5")
    second = parse_store_url("adk-sqlite:///a.db?busy_timeout=5.0&inline_io=true")

    assert first == second
    assert hash(first) == hash(second)


def test_an_unknown_option_names_itself_and_the_valid_ones() -> None:
    with pytest.raises(ConfigurationError) as raised:
        parse_store_url("adk-sqlite:///a.db?session_tabel=x")

    message = str(raised.value)
    assert "'session_tabel'" in message
    assert "SqliteStore" in message
    assert ", ".join(sorted(STORE_OPTIONS["sqlite"])) in message


def test_an_option_of_another_store_is_unknown() -> None:
    with pytest.raises(ConfigurationError, match="unknown option 'threads' for SqliteStore"):
        parse_store_url("adk-sqlite:///a.db?threads=2")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("inline_io=maybe", "true or false"),
        ("busy_timeout=soon", "a number of seconds"),
        ("busy_timeout=nan", "a number of seconds"),
        ("busy_timeout=inf", "a number of seconds"),
        ("synchronous=sometimes", "OFF, NORMAL, FULL or EXTRA"),
    ],
)
def test_a_bad_value_names_the_option_and_what_it_expects(query: str, expected: str) -> None:
    name, _, text = query.partition("=")

    with pytest.raises(ConfigurationError) as raised:
        parse_store_url(f"adk-sqlite:///a.db?{query}")

    assert f"option {name}={text!r}: expected {expected}" in str(raised.value)


@pytest.mark.parametrize("text", ["1.5", "2_000", " 3", "three"])
def test_an_integer_option_takes_only_digits(text: str) -> None:
    with pytest.raises(ConfigurationError, match=r"threads=.*expected an integer"):
        parse_store_url(f"adk-sqlite+folder:///f?threads={text}")


def test_an_option_given_twice_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="'busy_timeout' is given twice"):
        parse_store_url("adk-sqlite:///a.db?busy_timeout=1&busy_timeout=2")


def test_an_option_without_a_value_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="'session_table' has no value"):
        parse_store_url("adk-sqlite:///a.db?session_table=")


def test_adks_own_sqlite_scheme_is_refused_with_the_right_spelling() -> None:
    with pytest.raises(ConfigurationError) as raised:
        parse_store_url("sqlite:///a.db")

    assert "ADK's own SqliteSessionService" in str(raised.value)
    assert "adk-sqlite:///path/to/file.db" in str(raised.value)


@pytest.mark.parametrize("url", ["postgresql://u@h/d", "agents.db", "adk-sqlite+mysql://h/d"])
def test_another_scheme_is_refused_and_the_schemes_are_listed(url: str) -> None:
    with pytest.raises(ConfigurationError, match="adk-sqlite://, adk-sqlite\\+folder://"):
        parse_store_url(url)


def test_a_url_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="expected a string"):
        parse_store_url(b"adk-sqlite:///a.db")


def test_a_host_in_a_file_url_is_refused() -> None:
    # Two slashes: "agents.db" would be a host, not a file.
    with pytest.raises(ConfigurationError, match="has no host"):
        parse_store_url("adk-sqlite://agents.db")


@pytest.mark.parametrize("url", ["adk-sqlite://", "adk-sqlite:///", "adk-sqlite+folder:///"])
def test_a_file_url_without_a_path_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="no path"):
        parse_store_url(url)


def test_a_folder_cannot_be_in_memory() -> None:
    with pytest.raises(ConfigurationError, match="cannot be in memory"):
        parse_store_url("adk-sqlite+folder:///:memory:")


def test_a_fragment_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="%23"):
        parse_store_url("adk-sqlite:///a#b.db")


def test_other_postgresql_parameters_pass_on_to_the_postgresql_url_sorted() -> None:
    url = parse_store_url(
        "adk-sqlite+postgresql://u@h/d?sslmode=require&session_table=s&search_path=agents,public"
    )

    assert url.location == "postgresql://u@h/d?search_path=agents%2Cpublic&sslmode=require"
    assert url.keywords() == {"session_table": "s"}


def test_a_misspelt_postgresql_store_option_is_refused_not_passed_on() -> None:
    with pytest.raises(ConfigurationError, match="did you mean 'session_table'"):
        parse_store_url("adk-sqlite+postgresql://u@h/d?sesion_table=s")


def test_a_password_never_appears_in_a_repr_or_message() -> None:
    url = parse_store_url("adk-sqlite+postgresql://ada:s3cret@h/d")

    assert url.location == "postgresql://ada:s3cret@h/d"
    assert "s3cret" not in repr(url)
    assert "s3cret" not in url.describe()
    with pytest.raises(ConfigurationError) as raised:
        parse_store_url("adk-sqlite+postgresql://ada:s3cret@h/d?min_pool_size=few")
    assert "s3cret" not in str(raised.value)
    assert "ada:***@h" in str(raised.value)


# The option types the constructors' annotations stand for.
_TYPES_OF_ANNOTATIONS: dict[str, service_urls.OptionType] = {
    "str": service_urls.TEXT,
    "str | None": service_urls.TEXT,
    "bool": service_urls.BOOLEAN,
    "int": service_urls.INTEGER,
    "float": service_urls.SECONDS,
    "float | None": service_urls.SECONDS_OR_NONE,
    "Synchronous": service_urls.SYNCHRONOUS,
    "Literal['keep', 'delete']": service_urls.SESSION_ARTIFACTS,
}


@pytest.mark.parametrize(
    ("kind", "store_class"),
    [("sqlite", SqliteStore), ("folder", PerSessionSqliteStore), ("postgresql", PostgresStore)],
)
def test_every_keyword_option_of_the_store_is_a_url_option(kind: Any, store_class: type) -> None:
    parameters = inspect.signature(store_class).parameters.values()
    constructor = {
        parameter.name: _TYPES_OF_ANNOTATIONS[str(parameter.annotation)]
        for parameter in parameters
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY
    }

    assert dict(STORE_OPTIONS[kind]) == constructor
