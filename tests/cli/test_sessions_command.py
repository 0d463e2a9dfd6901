"""``adk-sqlite sessions`` and `list_session_summaries`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from adk_sqlite import list_session_summaries
from support.conversations import ADA, APP, GRACE, OTHER_APP, SALES_TICKET, SHORT_TICKET, TICKET

from .conftest import run_cli, sql


def test_sessions_lists_newest_activity_first_with_event_counts(db_path: Path) -> None:
    result = run_cli("sessions", db_path, "--json")

    assert result.exit_code == 0, result.output
    listing = json.loads(result.stdout)
    stored = sql(
        db_path,
        "SELECT s.id, (SELECT count(*) FROM adk_events e WHERE e.session_id = s.id)"
        " FROM adk_sessions s ORDER BY s.update_time_unix DESC",
    )
    assert [(s["id"], s["events"]) for s in listing["sessions"]] == stored
    assert [s["id"] for s in listing["sessions"]] == [SALES_TICKET, SHORT_TICKET, TICKET]
    assert listing["total"] == 3


def test_sessions_filter_by_app_and_user(db_path: Path) -> None:
    support = json.loads(run_cli("sessions", db_path, "--app", APP, "--json").stdout)
    ada = json.loads(run_cli("sessions", db_path, "--user", ADA, "--json").stdout)
    both = json.loads(run_cli("sessions", db_path, "--app", APP, "--user", GRACE, "--json").stdout)

    assert {s["id"] for s in support["sessions"]} == {TICKET, SHORT_TICKET}
    assert {(s["app_name"], s["id"]) for s in ada["sessions"]} == {
        (APP, TICKET),
        (OTHER_APP, SALES_TICKET),
    }
    assert [s["id"] for s in both["sessions"]] == [SHORT_TICKET]


def test_sessions_limit_shows_fewer_but_counts_all(db_path: Path) -> None:
    listing = json.loads(run_cli("sessions", db_path, "--limit", "1", "--json").stdout)
    table = run_cli("sessions", db_path, "--limit", "2")

    assert [s["id"] for s in listing["sessions"]] == [SALES_TICKET]
    assert listing["total"] == 3
    assert "2 of 3 sessions" in table.stdout


def test_sessions_json_times_are_iso_utc_and_exact_epoch_seconds(db_path: Path) -> None:
    listing = json.loads(run_cli("sessions", db_path, "--json").stdout)
    [(created, updated)] = sql(
        db_path,
        "SELECT create_time_unix, update_time_unix FROM adk_sessions WHERE id = ?",
        (TICKET,),
    )

    ticket = next(s for s in listing["sessions"] if s["id"] == TICKET)
    assert ticket["created"]["unix"] == created
    assert ticket["last_update"]["unix"] == updated
    iso = ticket["last_update"]["iso"]
    assert iso.endswith("Z")
    parsed = datetime.fromisoformat(iso)
    assert parsed.utcoffset() is not None
    assert parsed.utcoffset().total_seconds() == 0
    assert parsed == datetime.fromtimestamp(updated, tz=UTC)


def test_sessions_state_size_counts_the_sessions_own_keys(db_path: Path) -> None:
    listing = list_session_summaries(db_path, app_name=APP, user_id=ADA)

    [ticket] = listing.sessions
    # channel (from create_session) and last_saved (from the tool); app:/user: keys are shared.
    assert ticket.state_keys == 2
    [(size,)] = sql(db_path, "SELECT length(state) FROM adk_sessions WHERE id = ?", (TICKET,))
    assert ticket.state_bytes == size


@pytest.fixture
def tokyo_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Makes the local time zone Asia/Tokyo (UTC+9, no daylight saving) for the test."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_sessions_table_shows_last_update_in_local_time(db_path: Path, tokyo_time: None) -> None:
    [(updated,)] = sql(db_path, "SELECT update_time_unix FROM adk_sessions WHERE id = ?", (TICKET,))

    result = run_cli("sessions", db_path)

    assert result.exit_code == 0
    in_tokyo = datetime.fromtimestamp(updated, tz=ZoneInfo("Asia/Tokyo"))
    assert in_tokyo.strftime("%Y-%m-%d %H:%M:%S") in result.stdout
    assert "Last update (JST)" in result.stdout


def test_sessions_of_an_app_without_sessions_says_so(db_path: Path) -> None:
    result = run_cli("sessions", db_path, "--app", "nobody")

    assert result.exit_code == 0
    assert "No sessions match." in result.stdout
