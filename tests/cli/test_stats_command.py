"""``adk-sqlite stats`` and `database_stats`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from adk_sqlite import database_stats
from adk_sqlite.sqlite.schema.sql import SCHEMA_VERSION
from support.conversations import ADA, APP, GRACE, OTHER_APP

from .conftest import run_cli, sql


def test_stats_counts_sessions_and_events_per_app_and_user(db_path: Path) -> None:
    result = run_cli("stats", db_path, "--json")

    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    per_user = sql(
        db_path,
        "SELECT s.app_name, s.user_id, count(DISTINCT s.id), count(e.seq) FROM adk_sessions s"
        " LEFT JOIN adk_events e ON e.app_name = s.app_name AND e.user_id = s.user_id"
        " AND e.session_id = s.id GROUP BY s.app_name, s.user_id ORDER BY 1, 2",
    )
    assert [(u["app_name"], u["user_id"], u["sessions"], u["events"]) for u in stats["users"]] == [
        tuple(row) for row in per_user
    ]
    assert [(a["app_name"], a["users"], a["sessions"]) for a in stats["apps"]] == [
        (OTHER_APP, 1, 1),
        (APP, 2, 2),
    ]
    assert {(u["app_name"], u["user_id"]) for u in stats["users"]} == {
        (APP, ADA),
        (APP, GRACE),
        (OTHER_APP, ADA),
    }
    [(events,)] = sql(db_path, "SELECT count(*) FROM adk_events")
    assert stats["events"] == events
    assert stats["sessions"] == 3


def test_stats_events_per_session_are_min_median_max(db_path: Path) -> None:
    counts = sorted(
        n for (n,) in sql(db_path, "SELECT count(*) FROM adk_events GROUP BY session_id")
    )

    stats = database_stats(db_path)

    assert stats.events_per_session is not None
    assert (
        stats.events_per_session.min,
        stats.events_per_session.median,
        stats.events_per_session.max,
    ) == (counts[0], float(counts[1]), counts[2])


def test_stats_reports_the_schema_version_and_file_sizes(db_path: Path) -> None:
    stats = database_stats(db_path)

    assert stats.schema_version == stats.library_schema_version == SCHEMA_VERSION
    assert stats.file_bytes == db_path.stat().st_size
    assert stats.page_size * stats.page_count == stats.file_bytes
    assert stats.wal_bytes == 0
    assert stats.oldest_update is not None
    assert stats.newest_update is not None
    assert stats.oldest_update.unix <= stats.newest_update.unix


def test_stats_counts_the_wal_while_a_writer_holds_it(db_path: Path) -> None:
    writer = sqlite3.connect(db_path, isolation_level=None)
    try:
        writer.execute("PRAGMA journal_mode = WAL")
        writer.execute("UPDATE adk_sessions SET revision = revision + 1")
        wal = db_path.with_name(db_path.name + "-wal")

        stats = database_stats(db_path)

        assert wal.stat().st_size > 0
        assert stats.wal_bytes == wal.stat().st_size
    finally:
        writer.close()


def test_stats_table_lists_apps_and_users(db_path: Path) -> None:
    result = run_cli("stats", db_path)

    assert result.exit_code == 0, result.output
    for text in ("Schema version", "Per app", "Per user", OTHER_APP, GRACE, "median"):
        assert text in result.stdout
