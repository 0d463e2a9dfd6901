"""Keyset pages in the one-file-per-session layout: sessions from the catalog, events
from each session's own file (the statements are `adk_sqlite.page_statements`')."""

from __future__ import annotations

from typing import Any

from adk_sqlite import records
from adk_sqlite.page_statements import PageStatements
from adk_sqlite.sqlite.per_session.folder import SessionFolder, transaction
from adk_sqlite.sqlite.per_session.jobs import Slot, open_file
from adk_sqlite.sqlite.schema import sql as _sql
from adk_sqlite.sqlite.shared_file.page_jobs import event_page_in, session_page_in

__all__ = ["list_session_page", "read_event_page"]

Key = tuple[str, str, str]


def list_session_page(
    folder: SessionFolder,
    statements: PageStatements,
    app_name: str,
    user_id: str | None,
    query: records.SessionPageQuery,
    owner_id: Any,
) -> records.SessionPage:
    """One page of the catalog's list of sessions, in one catalog snapshot."""
    with folder.catalog.snapshot() as reader:
        return session_page_in(reader, statements, app_name, user_id, query, owner_id)


def read_event_page(
    folder: SessionFolder,
    slot: Slot,
    key: Key,
    statements: PageStatements,
    query: records.EventPageQuery,
    owner_id: Any,
) -> records.EventPage | None:
    """One page of a session's events, read from its file in one snapshot."""
    file = open_file(folder, slot, key)
    if file is None:
        return None
    with transaction(file.connection, _sql.BEGIN_READ):
        return event_page_in(file.connection, statements, key, query, owner_id)
