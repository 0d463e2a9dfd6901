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

__all__ = ["CompactionViewReads", "compaction_view_reads", "view_unsure"]

# The role `adk_sqlite.records.EventRole` stores for a compaction.
_COMPACTION = "view_role = 1"


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
