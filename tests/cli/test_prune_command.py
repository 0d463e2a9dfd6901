"""``adk-sqlite prune``, `prune_idle_sessions`, `prune_old_events` and `vacuum_database`."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from adk_sqlite import (
    ConfigurationError,
    SessionService,
    SqliteStore,
    prune_idle_sessions,
    prune_old_events,
)
from support.conversations import ADA, APP, GRACE, OTHER_APP, SALES_TICKET, SHORT_TICKET, TICKET

from .conftest import age_events, age_session, run_cli, sql


def _counts(db_path: Path) -> dict[str, int]:
    rows = sql(
        db_path,
        "SELECT s.id, (SELECT count(*) FROM adk_events e WHERE e.session_key = s.session_key)"
        " FROM adk_sessions s",
    )
    return dict(rows)


def _prune(db_path: Path, *args: str) -> dict[str, Any]:
    result = run_cli("prune", db_path, *args, "--json")
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_prune_idle_sessions_deletes_them_with_their_events(db_path: Path) -> None:
    before = _counts(db_path)
    age_session(db_path, TICKET, 40)
    age_session(db_path, SALES_TICKET, 31)

    report = _prune(db_path, "--idle-days", "30")

    assert (report["sessions_deleted"], report["events_deleted"]) == (
        2,
        before[TICKET] + before[SALES_TICKET],
    )
    assert _counts(db_path) == {SHORT_TICKET: before[SHORT_TICKET]}
    [(orphans,)] = sql(
        db_path, "SELECT count(*) FROM adk_events WHERE session_id != ?", (SHORT_TICKET,)
    )
    assert orphans == 0


async def test_pruned_sessions_are_gone_and_shared_state_stays(db_path: Path) -> None:
    age_session(db_path, TICKET, 40)
    _prune(db_path, "--idle-days", "30")

    async with SessionService(SqliteStore(db_path)) as service:
        gone = await service.get_session(app_name=APP, user_id=ADA, session_id=TICKET)
        user_state = await service.get_user_state(app_name=APP, user_id=ADA)

    assert gone is None
    assert user_state == {"name": "Ada"}


def test_prune_dry_run_reports_and_changes_nothing(db_path: Path) -> None:
    before = _counts(db_path)
    age_session(db_path, TICKET, 40)

    report = _prune(db_path, "--idle-days", "30", "--dry-run")
    table = run_cli("prune", db_path, "--idle-days", "30", "--dry-run")

    assert report["dry_run"] is True
    assert (report["sessions_deleted"], report["events_deleted"]) == (1, before[TICKET])
    assert _counts(db_path) == before
    assert "Would delete 1 session idle since before" in table.stdout


def test_prune_only_the_given_app(db_path: Path) -> None:
    before = _counts(db_path)
    for session_id in before:
        age_session(db_path, session_id, 100)

    report = _prune(db_path, "--idle-days", "30", "--app", OTHER_APP)

    assert report["sessions_deleted"] == 1
    assert set(_counts(db_path)) == {TICKET, SHORT_TICKET}


def test_prune_old_events_keeps_the_sessions(db_path: Path) -> None:
    before = _counts(db_path)
    age_events(db_path, TICKET, 10)
    age_events(db_path, SHORT_TICKET, 10)

    report = _prune(db_path, "--events-older-than", "7")

    assert report["mode"] == "old_events"
    assert report["events_deleted"] == before[TICKET] + before[SHORT_TICKET]
    assert report["sessions_affected"] == 2
    assert report["sessions_deleted"] == 0
    assert _counts(db_path) == {TICKET: 0, SHORT_TICKET: 0, SALES_TICKET: before[SALES_TICKET]}


def test_prune_cutoff_is_days_before_now(db_path: Path) -> None:
    started = time.time()
    report = _prune(db_path, "--idle-days", "2.5", "--dry-run")

    assert started - 2.5 * 86400 <= report["cutoff"]["unix"] <= time.time() - 2.5 * 86400
    assert report["sessions_deleted"] == 0


def test_prune_vacuum_gives_the_space_back(db_path: Path) -> None:
    sql(db_path, "PRAGMA journal_mode = WAL")
    for session_id in _counts(db_path):
        age_session(db_path, session_id, 100)

    report = _prune(db_path, "--idle-days", "30", "--vacuum")

    assert report["vacuum"]["bytes_after"] < report["vacuum"]["bytes_before"]
    assert report["vacuum"]["bytes_after"] == db_path.stat().st_size
    [(free,)] = sql(db_path, "PRAGMA freelist_count")
    assert free == 0


def test_prune_needs_exactly_one_of_the_two_ages(db_path: Path) -> None:
    neither = run_cli("prune", db_path)
    both = run_cli("prune", db_path, "--idle-days", "1", "--events-older-than", "1")

    assert neither.exit_code == both.exit_code == 2
    assert "exactly one of --idle-days and --events-older-than" in neither.stderr


def test_prune_waits_for_a_locked_database_then_exits_5_and_deletes_nothing(
    db_path: Path,
) -> None:
    before = _counts(db_path)
    age_session(db_path, TICKET, 40)
    agent = sqlite3.connect(db_path, isolation_level=None)
    try:
        agent.execute("BEGIN IMMEDIATE")  # an agent in the middle of a write
        started = time.monotonic()
        result = run_cli("prune", db_path, "--idle-days", "30", "--busy-timeout", "0.3")
        waited = time.monotonic() - started
    finally:
        agent.execute("ROLLBACK")
        agent.close()

    assert result.exit_code == 5
    assert "locked" in result.stderr
    assert waited >= 0.3
    assert _counts(db_path) == before


def test_prune_a_read_only_database_exits_6(db_path: Path) -> None:
    age_session(db_path, TICKET, 40)

    result = run_cli("prune", f"sqlite:///{db_path}?mode=ro", "--idle-days", "30")
    dry_run = run_cli("prune", f"sqlite:///{db_path}?mode=ro", "--idle-days", "30", "--dry-run")

    assert result.exit_code == 6
    assert "read-only" in result.stderr
    assert dry_run.exit_code == 0
    assert TICKET in _counts(db_path)


def test_prune_deletes_in_batches_and_reports_progress(db_path: Path) -> None:
    for session_id in (TICKET, SHORT_TICKET, SALES_TICKET):
        age_session(db_path, session_id, 100)
    seen: list[tuple[int, int]] = []

    report = prune_idle_sessions(
        db_path, idle_days=30, batch_size=1, progress=lambda d, t: seen.append((d, t))
    )

    assert report.sessions_deleted == 3
    assert seen[:3] == [(1, 3), (2, 3), (3, 3)]
    assert _counts(db_path) == {}


def test_prune_old_events_in_batches_counts_each_event_once(db_path: Path) -> None:
    before = _counts(db_path)
    age_events(db_path, TICKET, 10)

    report = prune_old_events(db_path, older_than_days=7, batch_size=5)

    assert (report.events_deleted, report.sessions_affected) == (before[TICKET], 1)
    assert _counts(db_path)[TICKET] == 0


def test_prune_refuses_a_negative_age(db_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="days >= 0"):
        prune_idle_sessions(db_path, idle_days=-1)


def test_prune_never_deletes_a_session_of_another_user_that_is_active(db_path: Path) -> None:
    age_session(db_path, TICKET, 40)

    report = prune_idle_sessions(db_path, idle_days=30)

    assert report.sessions_deleted == 1
    assert sql(db_path, "SELECT user_id FROM adk_sessions ORDER BY user_id") == [(ADA,), (GRACE,)]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to a file without write permission")
def test_prune_a_file_without_write_permission_exits_6(db_path: Path) -> None:
    age_session(db_path, TICKET, 40)
    db_path.chmod(0o444)
    try:
        result = run_cli("prune", db_path, "--idle-days", "30")
    finally:
        db_path.chmod(0o600)

    assert result.exit_code == 6
    assert TICKET in _counts(db_path)
