"""``adk-sqlite show`` and `read_timeline`."""

from __future__ import annotations

import json
import os
import pickle
import re
from pathlib import Path
from typing import Any

from google.adk.events.event import Event

from adk_sqlite import SessionService, SqliteStore, read_timeline
from adk_sqlite.testing import say
from support.conversations import (
    ADA,
    APP,
    FAILED_LOOKUP,
    GRACE,
    MODEL_ERROR,
    TICKET,
    Turn,
    run_turns,
)

from .conftest import run_cli, sql


def _events(db_path: Path, *args: str) -> list[dict[str, Any]]:
    result = run_cli("show", db_path, TICKET, "--json", *args)
    assert result.exit_code == 0, result.output
    events: list[dict[str, Any]] = json.loads(result.stdout)["events"]
    return events


async def test_show_lists_the_same_events_as_the_session_service(db_path: Path) -> None:
    async with SessionService(SqliteStore(db_path)) as service:
        session = await service.get_session(app_name=APP, user_id=ADA, session_id=TICKET)
    assert session is not None

    timeline = read_timeline(db_path, TICKET)

    assert [(e.id, e.author, e.invocation_id) for e in timeline.events] == [
        (e.id, e.author, e.invocation_id) for e in session.events
    ]
    assert [e.time.unix for e in timeline.events] == [e.timestamp for e in session.events]
    assert timeline.state == session.state


def test_show_has_tool_calls_with_arguments_and_their_results(db_path: Path) -> None:
    events = _events(db_path)

    calls = [call for e in events for call in e["tool_calls"]]
    results = [result for e in events for result in e["tool_results"]]
    assert [(c["name"], c["args"]) for c in calls] == [
        ("remember", {"key": "name", "value": "Ada"}),
        ("lookup_order", {"order_id": "42"}),
        ("lookup_order", {"order_id": "99"}),
        ("cancel_everything", {}),
        ("transfer_to_agent", {"agent_name": "billing"}),
    ]
    assert [r["id"] for r in results] == [c["id"] for c in calls]
    assert results[1]["response"] == {"status": "shipped"}
    assert results[2]["response"] == {"error": FAILED_LOOKUP}


def test_show_has_texts_errors_state_changes_and_agent_transfers(db_path: Path) -> None:
    events = _events(db_path)

    assert events[0]["author"] == "user"
    assert events[0]["texts"] == ["My name is Ada."]
    assert {"user:name": "Ada", "last_saved": "name", "app:facts_saved": 1} in [
        e["state_delta"] for e in events
    ]
    assert [e["transfer_to_agent"] for e in events if e["transfer_to_agent"]] == ["billing"]
    assert [e["author"] for e in events if e["error"]] == ["billing"]
    assert [e["error"] for e in events if e["error"]] == [
        {"code": MODEL_ERROR[0], "message": MODEL_ERROR[1]}
    ]
    assert all(e["problem"] is None for e in events)


def test_show_table_renders_each_kind_of_event(db_path: Path) -> None:
    result = run_cli("show", db_path, TICKET)

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert '→ lookup_order(order_id="99")' in out
    assert f'✗ lookup_order: {{"error":"{FAILED_LOOKUP}"}}' in out
    assert "⇒ transfer to billing" in out
    assert f"✗ error {MODEL_ERROR[0]}: {MODEL_ERROR[1]}" in out
    assert re.search(r'state: .*user:name="Ada"', out)
    assert "Billing here. How can I help?" in out


async def test_show_truncates_long_text_unless_full(db_path: Path) -> None:
    long_reply = "word " * 200
    async with SessionService(SqliteStore(db_path)) as service:
        await service.create_session(app_name=APP, user_id=GRACE, session_id="long")
        await run_turns(service, APP, GRACE, "long", (Turn("Tell me more.", (say(long_reply),)),))

    short = run_cli("show", db_path, "long", env={"COLUMNS": "5000"})
    full = run_cli("show", db_path, "long", "--full", env={"COLUMNS": "5000"})
    as_json = json.loads(run_cli("show", db_path, "long", "--json").stdout)

    assert long_reply.strip() not in short.stdout
    assert long_reply[:200] in short.stdout
    assert "…" in short.stdout
    assert long_reply.strip() in full.stdout
    assert as_json["events"][1]["texts"] == [long_reply]


class _Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return os.system, (f"touch {self.marker}",)


def test_show_reports_a_refused_actions_blob_and_shows_the_rest(
    db_path: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    [(victim,)] = sql(
        db_path,
        "SELECT id FROM adk_events WHERE session_id = ? AND actions IS NOT NULL LIMIT 1",
        (TICKET,),
    )
    sql(
        db_path,
        "UPDATE adk_events SET actions = ? WHERE id = ?",
        (pickle.dumps(_Exploit(marker)), victim),
    )

    result = run_cli("show", db_path, TICKET, "--json")

    assert result.exit_code == 0, result.output
    events = json.loads(result.stdout)["events"]
    [bad] = [e for e in events if e["problem"]]
    assert bad["id"] == victim
    assert "actions refused" in bad["problem"]
    assert "forbidden global posix.system" in bad["problem"]
    assert len(events) == len(_events_of(db_path))
    assert not marker.exists()


def _events_of(db_path: Path) -> list[tuple[object, ...]]:
    return sql(db_path, "SELECT id FROM adk_events WHERE session_id = ?", (TICKET,))


def test_show_unknown_session_exits_7(db_path: Path) -> None:
    result = run_cli("show", db_path, "no-such-session")

    assert result.exit_code == 7
    assert "no session 'no-such-session'" in result.stderr
    assert result.stdout == ""


async def test_show_asks_for_app_and_user_when_an_id_is_reused(db_path: Path) -> None:
    async with SessionService(SqliteStore(db_path)) as service:
        for user in (ADA, GRACE):
            session = await service.create_session(app_name=APP, user_id=user, session_id="shared")
            await service.append_event(session, Event(author="user", invocation_id=user))

    ambiguous = run_cli("show", db_path, "shared")
    chosen = run_cli("show", db_path, "shared", "--user", GRACE, "--json")

    assert ambiguous.exit_code == 7
    assert "--user 'ada'" in ambiguous.stderr
    assert "--user 'grace'" in ambiguous.stderr
    assert chosen.exit_code == 0
    timeline = json.loads(chosen.stdout)
    assert (timeline["user_id"], timeline["events"][0]["invocation_id"]) == (GRACE, GRACE)
