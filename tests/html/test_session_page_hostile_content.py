"""Event text is untrusted: on the session page it shows literally and never runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from adk_sqlite.timestamps import instant_from_unix
from adk_sqlite.tools.html_view import render_session_html, write_session_html
from adk_sqlite.tools.timeline import Timeline, TimelineEvent, ToolCall
from support.session_pages import HOSTILE, HOSTILE_NAME, SESSION

# Lone surrogates (what "\ud800" in stored JSON decodes to) and a closing script tag.
BROKEN = "broken \ud800 and \udfff </script><script>alert('broken')</script>"
HOSTILE_ID = '"><img src=x onerror="alert(\'id\')"></title><script>alert("id")</script>'


@pytest.fixture
def sample_page(sample_db: Path, tmp_path: Path, open_page: Any) -> Any:
    return open_page(write_session_html(sample_db, SESSION, tmp_path / "page.html"))


def _assert_inert(opened: Any) -> None:
    page = opened.page
    assert opened.dialogs == []
    assert opened.console == []
    assert page.locator("#injected, #injected-link, img, a[href^='javascript']").count() == 0
    assert page.locator("script").count() == 2  # the page's data and its own script


def test_hostile_text_fires_no_dialog_and_injects_no_element(sample_page: Any) -> None:
    _assert_inert(sample_page)


def test_hostile_text_shows_literally_wherever_it_appears(sample_page: Any) -> None:
    page = sample_page.page

    def texts(selector: str) -> list[str]:
        return [text or "" for text in page.locator(selector).all_text_contents()]

    assert HOSTILE in texts("#events .event .text")  # the user's message and the answer
    assert texts("#events .event .text").count(HOSTILE) == 2
    as_json = json.dumps(HOSTILE, ensure_ascii=False)  # arguments show as JSON
    assert any(as_json in text for text in texts("#events .event .call"))
    assert any(HOSTILE in text for text in texts("#events .state-change .key"))
    assert HOSTILE in texts("#state-list td .cell")
    assert HOSTILE_NAME in texts("#artifact-list td .cell")


def test_search_for_markup_matches_it_as_text(sample_page: Any) -> None:
    page = sample_page.page

    page.fill("#search", '<b id="injected">')
    page.wait_for_function("document.querySelectorAll('#events .event').length < 15")

    assert page.locator("#events .event").count() >= 2
    _assert_inert(sample_page)


def _hostile_timeline() -> Timeline:
    moment = instant_from_unix(1_800_000_000.0)
    return Timeline(
        app_name=HOSTILE_ID,
        user_id=HOSTILE,
        id=HOSTILE_ID,
        created=moment,
        last_update=moment,
        state={BROKEN: BROKEN},
        events=[
            TimelineEvent(
                seq=1,
                id=HOSTILE_ID,
                invocation_id=HOSTILE_ID,
                author=HOSTILE,
                branch=BROKEN,
                time=moment,
                texts=[BROKEN, HOSTILE],
                tool_calls=[ToolCall(id="__proto__", name=HOSTILE, args={"__proto__": BROKEN})],
                state_delta={"constructor": BROKEN},
                artifacts={HOSTILE_NAME: 0},
                problem=BROKEN,
            )
        ],
    )


def test_hostile_ids_and_lone_surrogates_are_inert(tmp_path: Path, open_page: Any) -> None:
    path = tmp_path / "page.html"
    path.write_text(render_session_html(_hostile_timeline()), encoding="utf-8")

    opened = open_page(path)

    _assert_inert(opened)
    assert opened.page.title().startswith(f"Session {HOSTILE_ID}")
    assert opened.page.inner_text("#session-id") == HOSTILE_ID
    shown = opened.page.locator("#events .event .text").all_text_contents()
    assert shown[1] == HOSTILE
    assert shown[0] == BROKEN  # the lone surrogates survive as text
