"""The plain-event condition each backend gets, to the letter.

Released migrations create each backend's flagged index with ``WHERE NOT (...)`` of this
text, and the planners pick that partial index for a query only when the query states
the same condition; so the text built for a dialect must never change. These are the
texts of the releases that made those indexes.
"""

from __future__ import annotations

from adk_sqlite.postgres import sql as postgres_sql
from adk_sqlite.sqlite.schema import sql as sqlite_sql


def test_sqlite_keeps_its_released_text() -> None:
    assert sqlite_sql.PLAIN_EVENT == (
        "actions IS NULL AND branch IS NULL"
        " AND (long_running_tool_ids_json IS NULL OR long_running_tool_ids_json = '[]')"
        """ AND (extra IS NULL OR instr(extra, '"isolation_scope"') = 0)"""
    )


def test_postgres_keeps_its_released_text() -> None:
    assert postgres_sql.PLAIN_EVENT == (
        "actions IS NULL AND branch IS NULL"
        " AND (long_running_tool_ids_json IS NULL OR long_running_tool_ids_json::text = '[]')"
        """ AND (extra IS NULL OR strpos(extra::text, '"isolation_scope"') = 0)"""
    )
