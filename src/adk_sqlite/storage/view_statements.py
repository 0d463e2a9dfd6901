"""The reads of a session's compaction views, for both backends. Pure.

A reader skipping compacted history (``skip_compacted_events``) first learns, from
the events' views alone, whether it can trust them and where the compactions lie
(`adk_sqlite.records.CompactionIndex`); each statement is served by a partial index
of its own, so none decodes or even reads an event row. The backends differ only in
their placeholders and in what an unsure event is (their plain-event test), so each
backend builds these from its own fragments.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "CompactionViewReads",
    "SkippingReads",
    "compaction_view_reads",
    "plain_event",
    "skipping_reads",
    "view_unsure",
]

# The role `adk_sqlite.records.EventRole` stores for a compaction.
_COMPACTION = "view_role = 1"


def plain_event(*, as_text: str, find: str) -> str:
    """The condition a plain event meets (`adk_sqlite.records.EventQuery`): no actions,
    branch, pending long-running ids or isolation scope.

    A backend's flagged index is made with ``WHERE NOT (...)`` of this text and its
    queries repeat it, which is how the planner knows that index serves them; released
    migrations hold it, so the text a dialect gets must never change.

    Args:
        as_text: The dialect's text of a JSON column, ``{}`` standing for the column.
        find: The dialect's function giving the position of a substring (0 if absent).
    """
    tool_ids = as_text.format("long_running_tool_ids_json")
    extra = as_text.format("extra")
    return (
        "actions IS NULL AND branch IS NULL"
        f" AND (long_running_tool_ids_json IS NULL OR {tool_ids} = '[]')"
        f""" AND (extra IS NULL OR {find}({extra}, '"isolation_scope"') = 0)"""
    )


def view_unsure(plain_event: str) -> str:
    """The condition an event meets when a reader cannot trust its view.

    Its role is WHOLE_SESSION (3, `adk_sqlite.records.EventRole`), or it has no view
    at all (written before the views existed, or exported from such rows) and is flagged: not
    ``plain_event``, the backend's plain-event test. A plain event without a view is
    plain, so skippable.
    """
    return f"(view_role = 3 OR (view_role IS NULL AND NOT ({plain_event})))"


class CompactionViewReads(NamedTuple):
    """The three statements of `compaction_view_reads`, with ``{events}``/``{sessions}``
    left to fill."""

    select_view_unsure: str
    """Whether the session has an event whose view cannot be trusted."""
    select_compaction_bounds: str
    """The smallest start and the largest end of the session's compaction ranges."""
    select_newest_compactions: str
    """The newest compactions (timestamp, seq, range), newest first, a limit of them."""


def compaction_view_reads(
    *, session_key_of: str, view_unsure: str, limit: str
) -> CompactionViewReads:
    """The compaction-view reads in one backend's SQL.

    Args:
        session_key_of: A subquery giving the session's integer key from its app,
            user and id (the backend's first three placeholders).
        view_unsure: The condition an event whose view is not to be trusted meets.
        limit: The placeholder of how many compactions to read, newest first.
    """
    of_session = 'FROM "{events}" WHERE session_key = ' + session_key_of
    return CompactionViewReads(
        select_view_unsure=f"SELECT EXISTS (SELECT 1 {of_session} AND {view_unsure})",
        select_compaction_bounds=(
            f"SELECT (SELECT min(compaction_start) {of_session} AND {_COMPACTION}),"
            f" (SELECT max(compaction_end) {of_session} AND {_COMPACTION})"
        ),
        select_newest_compactions=(
            f"SELECT timestamp_unix, seq, compaction_start, compaction_end {of_session}"
            f" AND {_COMPACTION} ORDER BY timestamp_unix DESC, seq DESC LIMIT {limit}"
        ),
    )


class SkippingReads(NamedTuple):
    """The two reads of a session's events that skip compacted history
    (`skipping_reads`), with ``{events}``/``{sessions}`` and the columns left to fill."""

    select_events_skipping_plain: str
    """Every event but the plain ones with start <= timestamp < end: three index range
    reads (before, after, and the flagged index inside), not a scan of the session."""
    select_events_skipping_span: str
    """Every event but those with start <= timestamp < end, except, inside, the NEEDED
    and unsure ones and the kept compactions: index range reads, none of them over the
    span's skippable events."""


def skipping_reads(
    *,
    columns: str,
    session_key_of: str,
    span: tuple[str, str],
    plain_event: str,
    kept_compactions: str,
) -> SkippingReads:
    """The reads that skip compacted history, in one backend's SQL.

    Args:
        columns: What each read selects (the backend's placeholder for its columns).
        session_key_of: A subquery giving the session's integer key from its app,
            user and id (the backend's first three placeholders).
        span: The placeholders of the skipped span's start and end (fourth and fifth).
        plain_event: The backend's plain-event condition (`plain_event`); the unsure
            views are found with `view_unsure` of it.
        kept_compactions: A ``UNION ALL`` member selecting the seq of the compactions
            inside the span that are kept (the sixth placeholder lists them).
    """
    start, end = span
    of_session = 'SELECT seq FROM "{events}" WHERE session_key = ' + session_key_of
    outside = (
        f"{of_session} AND timestamp_unix < {start}"
        f" UNION ALL {of_session} AND timestamp_unix >= {end}"
    )
    inside = f"{of_session} AND timestamp_unix >= {start} AND timestamp_unix < {end} AND "
    select = f'SELECT {columns} FROM "{{events}}" WHERE seq IN ('
    return SkippingReads(
        select_events_skipping_plain=(
            f"{select}{outside} UNION ALL {inside}NOT ({plain_event})) ORDER BY timestamp_unix, seq"
        ),
        select_events_skipping_span=(
            f"{select}{outside} UNION ALL {inside}view_role = 2"
            f" UNION ALL {inside}{view_unsure(plain_event)} UNION ALL {kept_compactions})"
            " ORDER BY timestamp_unix, seq"
        ),
    )
