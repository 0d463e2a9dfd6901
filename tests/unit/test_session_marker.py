"""The revision marker adk-sqlite keeps on ADK's `Session`, read and written in one module."""

from __future__ import annotations

from google.adk.sessions.session import Session

from adk_sqlite.adk.session_marker import MARKER_ATTRIBUTE, read_marker, write_marker


def test_a_written_marker_reads_back_as_getattr_sees_it() -> None:
    session = Session(app_name="a", user_id="u", id="s")
    assert read_marker(session) is None
    write_marker(session, 7)
    assert read_marker(session) == "7" == getattr(session, MARKER_ATTRIBUTE)


def test_a_marker_another_service_set_is_read_too() -> None:
    session = Session(app_name="a", user_id="u", id="s")
    setattr(session, MARKER_ATTRIBUTE, "12")
    assert read_marker(session) == "12"


def test_a_session_built_without_validation_has_no_marker() -> None:
    session = Session.model_construct(app_name="a", user_id="u", id="s")
    assert read_marker(session) is None
    write_marker(session, 3)
    assert read_marker(session) == "3"


def test_a_marker_that_is_not_text_counts_as_none() -> None:
    session = Session(app_name="a", user_id="u", id="s")
    setattr(session, MARKER_ATTRIBUTE, 5)
    assert read_marker(session) is None
