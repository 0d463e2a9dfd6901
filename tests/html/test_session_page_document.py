"""The session page as a document, without a browser: escaping, assets, tool spans, CLI."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner

from adk_sqlite.cli import main
from adk_sqlite.timestamps import instant_from_unix
from adk_sqlite.tools.html_view import embedded_json, render_session_html
from adk_sqlite.tools.timeline import EventError, Timeline, TimelineEvent, ToolCall, read_timeline
from adk_sqlite.tools.tool_waterfall import tool_spans
from support.session_pages import FAILURE, SESSION

HOSTILE = "</script><!-- <script>alert(1)</script> & \u2028\u2029 \ud800"


def test_embedded_json_cannot_close_its_script_element() -> None:
    text = embedded_json({"</script>": HOSTILE})

    assert text.isascii()
    for forbidden in ("<", ">", "&", "\u2028", "\u2029"):
        assert forbidden not in text
    assert json.loads(text) == {"</script>": HOSTILE}


@pytest.mark.parametrize("name", ["session_view.js", "session_view.css"])
def test_inline_assets_hold_nothing_that_ends_their_element(name: str) -> None:
    text = resources.files("adk_sqlite.tools").joinpath("templates", name).read_text("utf-8")

    assert "</" not in text
    assert "<!--" not in text


def _timeline(events: list[TimelineEvent], *, name: str = "s1") -> Timeline:
    moment = instant_from_unix(1_800_000_000.0)
    return Timeline(
        app_name=name,
        user_id=name,
        id=name,
        created=moment,
        last_update=moment,
        state={name: name},
        events=events,
    )


def _event(seq: int, **fields: object) -> TimelineEvent:
    return TimelineEvent(
        seq=seq,
        id=f"e{seq}",
        invocation_id="inv",
        author="agent",
        branch=None,
        time=instant_from_unix(1_800_000_000.0 + seq),
        **fields,  # type: ignore[arg-type]
    )


def test_page_holds_only_its_own_two_scripts() -> None:
    page = render_session_html(_timeline([_event(1, texts=[HOSTILE])], name=HOSTILE))

    assert page.count("<script") == 2
    assert page.count("</script>") == 2
    assert "&lt;/script&gt;" in page  # the id in the title and the header, escaped


def test_a_call_whose_tool_raised_ends_at_the_error_event() -> None:
    spans = tool_spans(
        [
            _event(1, tool_calls=[ToolCall(id="c1", name="refund", args={})]),
            _event(3, error=EventError(code="RuntimeError", message=FAILURE)),
        ]
    )

    assert [(s.status, s.error, s.duration) for s in spans] == [
        ("error", f"RuntimeError: {FAILURE}", 2.0)
    ]


def test_a_call_without_answer_or_error_stays_unanswered() -> None:
    spans = tool_spans([_event(1, tool_calls=[ToolCall(id="c1", name="slow", args={})])])

    assert [(s.status, s.duration) for s in spans] == [("no_response", None)]


def test_the_sample_sessions_raised_tool_is_an_error(sample_db: Path) -> None:
    spans = tool_spans(read_timeline(sample_db, SESSION).events)

    assert [(s.name, s.status) for s in spans] == [
        ("lookup_order", "ok"),
        ("save_note", "ok"),
        ("refund", "error"),
        ("echo", "ok"),
    ]


def test_show_html_writes_the_page(sample_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "page.html"

    result = CliRunner().invoke(main, ["show", str(sample_db), SESSION, "--html", str(target)])

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Wrote {target} (15 events)")
    assert '<script id="session-data" type="application/json">' in target.read_text()


def test_show_html_with_json_prints_the_path(sample_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "page.html"

    result = CliRunner().invoke(
        main, ["show", str(sample_db), SESSION, "--html", str(target), "--json"]
    )

    assert json.loads(result.output) == {"html": str(target), "events": 15}


def test_show_html_refuses_memories_too(sample_db: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["show", str(sample_db), SESSION, "--html", str(tmp_path / "p.html"), "--memories"]
    )

    assert result.exit_code == 2
    assert "--html and --memories cannot be combined" in result.output
