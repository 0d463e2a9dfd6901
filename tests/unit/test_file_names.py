"""Session file names: safe for any id, unique (also case-insensitively), readable back."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adk_sqlite.sqlite.per_session.file_names import (
    MAX_NAME_LENGTH,
    escape_part,
    parse_session_file_name,
    session_file_name,
    unescape_part,
)

SAFE_NAME = re.compile(r"[a-z0-9_%A-F+~.-]+")
ODD_IDS = [
    "ticket-42",
    "",
    ".",
    "..",
    "../../etc/passwd",
    "a/b\\c",
    "with space",
    "nul\x00byte",
    "Ticket-42",
    "TICKET-42",
    "plus+sign",
    "100%",
    "%41",
    "tilde~",
    "dot.dot",
    "日本語のセッション",
    "emoji 🙂",
    "lone surrogate \ud800",
    "x" * 500,
    "é" * 300,
]
# Text with lone surrogates too: escape_part is total over str.
any_text = st.text(
    alphabet=st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=120
)


@pytest.mark.parametrize("session_id", ODD_IDS)
def test_an_odd_id_gives_a_safe_name_that_reads_back(session_id: str) -> None:
    name = session_file_name("support", "alice", session_id)

    assert SAFE_NAME.fullmatch(name), name
    assert name not in (".", "..")
    assert not name.startswith(".")
    assert len(name) <= MAX_NAME_LENGTH
    if "~" not in name:
        assert parse_session_file_name(name) == ("support", "alice", session_id)


def test_a_short_name_is_readable() -> None:
    assert session_file_name("support", "alice", "ticket-42") == "support+alice+ticket-42.db"


def test_upper_case_is_escaped_so_names_differ_on_case_insensitive_file_systems() -> None:
    names = {session_file_name("app", "u", s) for s in ("ticket", "Ticket", "TICKET")}

    assert len({name.casefold() for name in names}) == 3


def test_a_long_id_gets_a_hashed_name_that_is_not_read_back() -> None:
    name = session_file_name("app", "user", "x" * 1000)

    assert "~" in name
    assert name.startswith("app+user+xxx")
    assert parse_session_file_name(name) is None


def test_long_ids_that_share_a_prefix_get_different_names() -> None:
    first = session_file_name("app", "user", "x" * 1000 + "1")
    second = session_file_name("app", "user", "x" * 1000 + "2")

    assert first != second


def test_the_hashed_prefix_never_cuts_an_escape_in_half() -> None:
    for filler in range(1, 6):
        name = session_file_name("app", "u" * filler, "é" * 200)
        prefix = name.split("~")[0]
        assert re.fullmatch(r"(?:[a-z0-9_+-]|%[0-9A-F]{2})*", prefix), prefix


@pytest.mark.parametrize(
    "name",
    [
        "notes.txt",
        "support+alice.db",
        "a+b+c+d.db",
        "support+alice+%61.db",  # not canonical: "a" is kept as itself
        "support+alice+%4.db",
        "support+alice+%FF.db",  # not UTF-8
        "support+alice+UPPER.db",
        "support+alice+t.x.db",
        "catalog.db",
    ],
)
def test_a_name_the_layout_cannot_have_written_does_not_parse(name: str) -> None:
    assert parse_session_file_name(name) is None


def test_an_archived_copys_name_reads_back_to_the_same_session() -> None:
    assert parse_session_file_name("support+alice+ticket-42.3.db") == (
        "support",
        "alice",
        "ticket-42",
    )


@given(any_text)
def test_escaping_round_trips(value: str) -> None:
    assert unescape_part(escape_part(value)) == value


@given(any_text, any_text, any_text)
def test_every_key_gets_a_safe_name_that_reads_back_or_is_hashed(
    app_name: str, user_id: str, session_id: str
) -> None:
    name = session_file_name(app_name, user_id, session_id)

    assert SAFE_NAME.fullmatch(name)
    assert len(name) <= MAX_NAME_LENGTH
    parsed = parse_session_file_name(name)
    assert parsed == (app_name, user_id, session_id) or (parsed is None and "~" in name)


@given(st.tuples(any_text, any_text, any_text), st.tuples(any_text, any_text, any_text))
def test_different_keys_get_names_that_differ_even_ignoring_case(
    first: tuple[str, str, str], second: tuple[str, str, str]
) -> None:
    if first != second:
        assert session_file_name(*first).casefold() != session_file_name(*second).casefold()
