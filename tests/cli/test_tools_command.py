"""``adk-sqlite tools`` and `audit_tool_calls`: pairing, errors, durations, percentiles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from google.adk.events.event import Event
from google.genai import types

from adk_sqlite import SessionService, SqliteStore, audit_tool_calls
from adk_sqlite.tools.tool_audit import percentile
from support.conversations import ADA, APP, FAILED_LOOKUP, SALES_TICKET, TICKET

from .conftest import run_cli, sql


def _audit(db_path: Path, *args: str) -> dict[str, Any]:
    result = run_cli("tools", db_path, "--json", *args)
    assert result.exit_code == 0, result.output
    audit: dict[str, Any] = json.loads(result.stdout)
    return audit


def test_tools_pairs_every_call_with_its_response(db_path: Path) -> None:
    audit = _audit(db_path)

    assert [(c["session_id"], c["tool"], c["args"], c["status"]) for c in audit["calls"]] == [
        (TICKET, "remember", {"key": "name", "value": "Ada"}, "ok"),
        (TICKET, "lookup_order", {"order_id": "42"}, "ok"),
        (TICKET, "lookup_order", {"order_id": "99"}, "error"),
        (TICKET, "cancel_everything", {}, "error"),
        (TICKET, "transfer_to_agent", {"agent_name": "billing"}, "ok"),
        (SALES_TICKET, "remember", {"key": "contact", "value": "email"}, "ok"),
    ]
    assert [c["response"] for c in audit["calls"][:3]] == [
        {"saved": "name"},
        {"status": "shipped"},
        {"error": FAILED_LOOKUP},
    ]
    assert all(c["call_id"].startswith("adk-") for c in audit["calls"])


def test_tools_durations_are_the_time_between_call_and_response_events(db_path: Path) -> None:
    audit = _audit(db_path)
    stamps = dict(sql(db_path, "SELECT id, timestamp_unix FROM adk_events"))

    for call in audit["calls"]:
        expected = stamps[call["response_event_id"]] - stamps[call["call_event_id"]]
        assert call["duration_seconds"] == expected
        assert call["duration_seconds"] > 0
        assert call["responded_at"]["unix"] == stamps[call["response_event_id"]]


def test_tools_counts_error_responses_and_unknown_tools_as_errors(db_path: Path) -> None:
    stats = {s["tool"]: s for s in _audit(db_path)["tools"]}

    assert stats["lookup_order"]["calls"] == 2
    assert stats["lookup_order"]["errors"] == 1
    assert stats["lookup_order"]["error_rate"] == 0.5
    assert stats["cancel_everything"]["error_rate"] == 1.0
    assert stats["remember"]["calls"] == 2
    assert stats["remember"]["errors"] == 0
    failed = [c for c in _audit(db_path)["calls"] if c["status"] == "error"]
    assert failed[0]["error"] == FAILED_LOOKUP
    assert "no tool with that name is available" in failed[1]["error"]


def test_tools_percentiles_come_from_the_durations(db_path: Path) -> None:
    audit = _audit(db_path)
    stats = {s["tool"]: s for s in audit["tools"]}
    lookups = sorted(c["duration_seconds"] for c in audit["calls"] if c["tool"] == "lookup_order")

    assert stats["lookup_order"]["p50_seconds"] == pytest.approx((lookups[0] + lookups[1]) / 2)
    assert stats["lookup_order"]["p95_seconds"] == pytest.approx(
        lookups[0] + 0.95 * (lookups[1] - lookups[0])
    )


def test_tools_errors_flag_lists_failures_but_keeps_the_error_rates(db_path: Path) -> None:
    audit = _audit(db_path, "--errors")

    assert [c["tool"] for c in audit["calls"]] == ["lookup_order", "cancel_everything"]
    stats = {s["tool"]: s for s in audit["tools"]}
    assert stats["lookup_order"]["error_rate"] == 0.5
    assert stats["remember"]["calls"] == 2


def test_tools_filter_by_session_and_tool(db_path: Path) -> None:
    in_sales = _audit(db_path, "--session", SALES_TICKET)
    lookups = _audit(db_path, "--tool", "lookup_order")

    assert [c["tool"] for c in in_sales["calls"]] == ["remember"]
    assert [s["tool"] for s in in_sales["tools"]] == ["remember"]
    assert [c["args"]["order_id"] for c in lookups["calls"]] == ["42", "99"]
    assert [s["tool"] for s in lookups["tools"]] == ["lookup_order"]


def test_tools_table_shows_calls_and_per_tool_figures(db_path: Path) -> None:
    result = run_cli("tools", db_path)

    assert result.exit_code == 0, result.output
    assert f"✗ {FAILED_LOOKUP}" in result.stdout
    assert '{"order_id":"42"}' in result.stdout
    assert "lookup_order" in result.stdout
    assert "50%" in result.stdout


def _call(call_id: str | None, name: str) -> types.Content:
    call = types.FunctionCall(id=call_id, name=name, args={"q": 1})
    return types.Content(role="model", parts=[types.Part(function_call=call)])


def _response(call_id: str | None, name: str, response: dict[str, Any]) -> types.Content:
    answer = types.FunctionResponse(id=call_id, name=name, response=response)
    return types.Content(role="user", parts=[types.Part(function_response=answer)])


async def test_an_error_code_on_the_response_event_marks_the_call_failed(db_path: Path) -> None:
    async with SessionService(SqliteStore(db_path)) as service:
        session = await service.create_session(app_name=APP, user_id=ADA, session_id="coded")
        await service.append_event(
            session, Event(author="agent", timestamp=100.0, content=_call("c1", "fetch"))
        )
        await service.append_event(
            session,
            Event(
                author="agent",
                timestamp=100.25,
                content=_response("c1", "fetch", {"result": None}),
                error_code="DEADLINE_EXCEEDED",
                error_message="took too long",
            ),
        )

    [call] = audit_tool_calls(db_path, session_id="coded").calls

    assert call.status == "error"
    assert call.error == "DEADLINE_EXCEEDED: took too long"
    assert call.duration_seconds == 0.25


async def test_a_call_without_a_response_is_reported_as_no_response(db_path: Path) -> None:
    async with SessionService(SqliteStore(db_path)) as service:
        session = await service.create_session(app_name=APP, user_id=ADA, session_id="hung")
        await service.append_event(session, Event(author="agent", content=_call("c9", "slow")))

    audit = audit_tool_calls(db_path, tool="slow")

    [call] = audit.calls
    assert (call.status, call.response, call.duration_seconds) == ("no_response", None, None)
    [stats] = audit.tools
    assert (stats.calls, stats.no_response, stats.errors, stats.p50_seconds) == (1, 1, 0, None)


async def test_calls_without_ids_pair_with_the_oldest_open_call_of_that_tool(
    db_path: Path,
) -> None:
    async with SessionService(SqliteStore(db_path)) as service:
        session = await service.create_session(app_name=APP, user_id=ADA, session_id="no-ids")
        for stamp, content in (
            (10.0, _call(None, "find")),
            (11.0, _call(None, "find")),
            (12.5, _response(None, "find", {"n": 1})),
            (14.0, _response(None, "find", {"n": 2})),
        ):
            await service.append_event(
                session, Event(author="agent", timestamp=stamp, content=content)
            )

    calls = audit_tool_calls(db_path, session_id="no-ids").calls

    assert [(c.response, c.duration_seconds) for c in calls] == [({"n": 1}, 2.5), ({"n": 2}, 3.0)]


def test_percentile_interpolates_linearly_between_neighbours() -> None:
    assert percentile([], 0.5) is None
    assert percentile([4.0], 0.95) == 4.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([0.0, 10.0], 0.95) == 9.5
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.95) == pytest.approx(4.8)
