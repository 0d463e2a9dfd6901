"""The session page in headless Chromium: it loads offline, groups turns, and filters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adk_sqlite.tools.html_view import write_session_html
from support.session_pages import APP, FAILURE, NOTE, SESSION, TOOL_CALLS, TURNS, USER

EVENTS = 15


@pytest.fixture
def sample_page(sample_db: Path, tmp_path: Path, open_page: Any) -> Any:
    return open_page(write_session_html(sample_db, SESSION, tmp_path / "page.html"))


def _count(opened: Any, selector: str) -> int:
    return int(opened.page.locator(selector).count())


def test_page_loads_offline_under_its_policy_without_console_messages(
    sample_db: Path, tmp_path: Path, open_page: Any
) -> None:
    path = write_session_html(sample_db, SESSION, tmp_path / "page.html")

    opened = open_page(path, enforce_csp=True)

    assert opened.console == []  # no error, no policy violation, no request
    assert opened.dialogs == []
    assert opened.page.locator("#events .event").count() == EVENTS
    policy = opened.page.get_attribute("meta[http-equiv=Content-Security-Policy]", "content")
    assert policy is not None
    assert policy.startswith("default-src 'none'; script-src 'sha256-")


def test_page_shows_every_turn_event_and_tool_call(sample_page: Any) -> None:
    page = sample_page.page

    assert page.inner_text("#count-turns") == str(TURNS)
    assert page.inner_text("#count-tools") == str(TOOL_CALLS)
    assert _count(sample_page, "#events .turn") == TURNS
    assert _count(sample_page, "#events .event") == EVENTS
    assert _count(sample_page, "#tools .call-row") == TOOL_CALLS


def test_each_agent_is_grouped_under_its_turn(sample_page: Any) -> None:
    headers = sample_page.page.locator("#events .agent-header").all_inner_texts()

    assert headers == ["agent clerk"] * TURNS


def test_waterfall_shows_durations_and_the_raised_tool_as_an_error(sample_page: Any) -> None:
    page = sample_page.page
    rows = page.locator("#tools .call-row")
    durations = page.locator("#tools .call-row .duration").all_inner_texts()

    assert all(text.split()[1] in ("ms", "s") for text in durations)
    assert page.locator("#tools .call-row.error").count() == 1
    assert "refund" in page.inner_text("#tools .call-row.error")
    assert FAILURE in page.inner_text("#tools .call-row.error")
    widths = [rows.nth(i).locator(".bar").evaluate("b => b.style.width") for i in range(4)]
    assert all(width.endswith("%") for width in widths)


def test_errors_are_highlighted_in_the_timeline(sample_page: Any) -> None:
    failed = sample_page.page.locator("#events .event.failed")

    assert failed.count() == 1
    assert f"RuntimeError: {FAILURE}" in failed.inner_text()
    assert sample_page.page.inner_text("#count-errors") == "1"


def test_state_changes_show_in_the_event_that_made_them(sample_page: Any) -> None:
    page = sample_page.page
    changes = page.locator('#events .event[data-seq="7"] .state-change').all_inner_texts()

    assert any(text.startswith("last_note") for text in changes)
    assert any(text.startswith("user:notes") for text in changes)
    assert "last_note" in page.inner_text("#state-list")


def test_artifacts_are_listed_with_their_versions(sample_page: Any) -> None:
    page = sample_page.page
    listed = page.inner_text("#artifact-list")

    assert NOTE in listed
    assert "text/plain" in listed or "v0" in listed
    assert f"saved artifact {NOTE} (version 0)" in page.inner_text('#events .event[data-seq="7"]')


def test_search_filters_the_events(sample_page: Any) -> None:
    page = sample_page.page

    page.fill("#search", "order 42 has shipped")
    page.wait_for_function("document.querySelectorAll('#events .event').length === 1")
    assert "Order 42 has shipped." in page.inner_text("#events")
    assert page.inner_text("#match-count") == f"1 of {EVENTS} events"

    page.fill("#search", "")
    page.wait_for_function(f"document.querySelectorAll('#events .event').length === {EVENTS}")


def test_errors_only_keeps_the_failed_events(sample_page: Any) -> None:
    page = sample_page.page

    page.check("#errors-only")

    assert _count(sample_page, "#events .event") == 1
    assert _count(sample_page, "#tools .call-row") == 1


def test_a_per_session_folder_gives_the_same_page(
    sample_folder: Path, tmp_path: Path, open_page: Any
) -> None:
    opened = open_page(write_session_html(sample_folder, SESSION, tmp_path / "page.html"))

    assert opened.console == []
    assert opened.page.inner_text("#count-turns") == str(TURNS)
    assert _count(opened, "#events .event") == EVENTS
    assert NOTE in opened.page.inner_text("#artifact-list")
    assert f"app {APP} · user {USER}" in opened.page.inner_text(".meta")
