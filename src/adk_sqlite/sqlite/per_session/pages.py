"""Keyset pages in the one-file-per-session layout: sessions from the catalog, events
from each session's own file (the statements are `adk_sqlite.storage.page_statements`')."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from adk_sqlite import records
from adk_sqlite.sqlite.per_session.folder import SessionFolder, transaction
from adk_sqlite.sqlite.per_session.jobs import Slot, open_file
from adk_sqlite.sqlite.schema import sql as _sql
from adk_sqlite.sqlite.shared_file.page_jobs import event_page_in, session_page_in
from adk_sqlite.storage.page_statements import PageStatements

__all__ = ["list_session_page", "read_event_page"]

Key = tuple[str, str, str]
P = ParamSpec("P")
T = TypeVar("T")


def _in_catalog_snapshot(
    read: Callable[Concatenate[sqlite3.Connection, P], T],
) -> Callable[Concatenate[SessionFolder, P], T]:
    """``read``, which reads inside its caller's transaction, as a job of one catalog snapshot."""

    def job(folder: SessionFolder, /, *args: P.args, **kwargs: P.kwargs) -> T:
        with folder.catalog.snapshot() as reader:
            return read(reader, *args, **kwargs)

    return job


# One page of the catalog's list of sessions, in one catalog snapshot.
list_session_page = _in_catalog_snapshot(session_page_in)


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
