"""A tool that raises is a failed call; a call that never got an answer is not.

google-adk 2.13 records a raised exception as an event of the invocation with
no content and no function response, ``error_code`` the exception's class name
and ``error_message`` its text (``workflow/_node_runner.py``). The databases
here are written by a real `Runner`.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from google.adk.agents import LlmAgent
from google.adk.runners import Runner
from google.adk.tools.long_running_tool import LongRunningFunctionTool
from google.genai import types

from adk_sqlite import SessionService, SqliteStore, audit_tool_calls, database_stats
from adk_sqlite.testing import ScriptedModel, call_tool, say

from .conftest import run_cli

APP, USER = "shop", "ada"
RAISED = "raised"
UNANSWERED = "unanswered"


def lookup_stock(sku: str) -> dict[str, Any]:
    """Looks up the stock of an item."""
    raise RuntimeError(f"warehouse offline for {sku}")


def request_refund(order_id: str) -> None:
    """Starts a refund that a person approves later (no response yet)."""


async def _run(service: SessionService, session_id: str, model: ScriptedModel, tool: Any) -> None:
    await service.create_session(app_name=APP, user_id=USER, session_id=session_id)
    agent = LlmAgent(name="clerk", model=model, tools=[tool])
    message = types.Content(role="user", parts=[types.Part(text="Help, please.")])
    async with Runner(agent=agent, app_name=APP, session_service=service) as runner:
        async for _ in runner.run_async(user_id=USER, session_id=session_id, new_message=message):
            pass


async def _write(path: Path) -> None:
    async with SessionService(SqliteStore(path)) as service:
        raising = ScriptedModel([call_tool("lookup_stock", sku="A-1"), say("Sorry.")])
        # ADK records the exception as an error event, then re-raises it.
        with pytest.raises(RuntimeError, match="warehouse offline"):
            await _run(service, RAISED, raising, lookup_stock)
        waiting = ScriptedModel([call_tool("request_refund", order_id="7"), say("Pending.")])
        await _run(service, UNANSWERED, waiting, LongRunningFunctionTool(request_refund))


@pytest.fixture(scope="module")
def shop_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("raised") / "shop.db"
    asyncio.run(_write(path))
    return path


def _calls(database: Path, *args: str) -> list[dict[str, Any]]:
    result = run_cli("tools", database, "--json", *args)
    assert result.exit_code == 0, result.output
    calls: list[dict[str, Any]] = json.loads(result.stdout)["calls"]
    return calls


def test_a_call_whose_tool_raised_is_an_error_with_its_code_and_message(shop_db: Path) -> None:
    [call] = _calls(shop_db, "--session", RAISED)

    assert call["status"] == "error"
    assert (call["error_code"], call["error_message"]) == (
        "RuntimeError",
        "warehouse offline for A-1",
    )
    assert call["error"] == "RuntimeError: warehouse offline for A-1"
    assert call["response"] is None
    assert call["response_event_id"] is not None
    assert call["duration_seconds"] >= 0


def test_a_call_that_never_got_an_answer_stays_no_response(shop_db: Path) -> None:
    [call] = _calls(shop_db, "--session", UNANSWERED)

    assert (call["status"], call["error"], call["error_code"]) == ("no_response", None, None)


def test_tools_errors_lists_the_call_whose_tool_raised(shop_db: Path) -> None:
    result = run_cli("tools", shop_db, "--errors")

    assert result.exit_code == 0, result.output
    assert "No calls failed." not in result.stdout
    assert "✗ RuntimeError: warehouse offline for A-1" in result.stdout


def test_per_tool_figures_count_a_raise_as_an_error(shop_db: Path) -> None:
    figures = {stats.tool: stats for stats in audit_tool_calls(shop_db).tools}

    raised, waiting = figures["lookup_stock"], figures["request_refund"]
    assert (raised.calls, raised.errors, raised.no_response, raised.error_rate) == (1, 1, 0, 1.0)
    assert (waiting.calls, waiting.errors, waiting.no_response) == (1, 0, 1)


def test_stats_counts_failed_and_unanswered_tool_calls(shop_db: Path) -> None:
    totals = database_stats(shop_db).tool_calls
    assert (totals.calls, totals.errors, totals.no_response) == (2, 1, 1)

    result = run_cli("stats", shop_db, "--json")
    assert json.loads(result.stdout)["tool_calls"] == {"calls": 2, "errors": 1, "no_response": 1}
    assert "2, 1 failed, 1 without a response" in run_cli("stats", shop_db).stdout
