"""`BaseAsyncStore`: the async contract every storage backend implements.

A store knows SQL (or whatever it stores in) and nothing of ADK beyond the
records in `adk_sqlite.records`: it never sees a pydantic model, never strips a
``temp:`` key and never merges prefixes. `adk_sqlite.SessionService` does all
of that over any object that satisfies this protocol, so a third party can add
a backend by implementing these methods alone.

Rules every implementation keeps:

* Every write is one transaction. `append_event` in particular checks the
  writer is not stale, merges the three state deltas, bumps the session's
  revision and update time and inserts the event, all or nothing, with the
  decision taken inside the database (two processes get the same guarantee as
  two coroutines).
* State merges have ``dict.update`` semantics: a delta value replaces the stored
  one whole, ``None`` is stored, floats come back bit for bit.
* Times are handed back exactly as given (``float`` epoch seconds).
* Events come back oldest first, ties in append order.
* ``owner_id`` (when not None) confines an operation to sessions stamped with
  that owner; a store without an owner column raises
  `adk_sqlite.errors.ConfigurationError` when given one.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from adk_sqlite import records

__all__ = ["BaseAsyncStore"]


@runtime_checkable
class BaseAsyncStore(Protocol):
    """The storage contract behind `adk_sqlite.SessionService`."""

    async def create_tables(self) -> None:
        """Creates or migrates the tables; safe to call any number of times.

        Other methods call it on first use, so calling it is optional.
        """
        ...

    async def create_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        state: records.StateDelta,
        create_time: float,
        owner_id: Any = None,
    ) -> records.SessionSnapshot:
        """Inserts a session and merges ``state.app``/``state.user`` into the shared scopes.

        Returns the new session with the app and user state as they are after
        the merge, and no events.

        Raises:
            SessionAlreadyExistsError: (app_name, user_id, session_id) exists;
                the message contains the id.
        """
        ...

    async def read_session(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        events: records.EventQuery | None = None,
        owner_id: Any = None,
    ) -> records.SessionSnapshot | None:
        """Reads a session, its app and user state and its events in one snapshot.

        ``events=None`` reads every event. Returns None when the session does
        not exist (or belongs to another owner).
        """
        ...

    async def list_sessions(
        self, *, app_name: str, user_id: str | None = None, owner_id: Any = None
    ) -> records.SessionListing:
        """Lists the sessions of an app (of one user unless ``user_id`` is None).

        Ordered by update time ascending, ties by user id, then session id.
        """
        ...

    async def list_session_page(
        self,
        *,
        app_name: str,
        user_id: str | None = None,
        page: records.SessionPageQuery,
        owner_id: Any = None,
    ) -> records.SessionPage:
        """Reads one page of an app's (or one user's) sessions, in creation order.

        Ordered by (create time, user id, session id), ascending or, with
        ``page.newest_first``, descending; the page holds the sessions strictly
        after ``page.after`` in that order. The order does not depend on update
        times, so appends never move a session between pages. One snapshot; a
        page costs the same however many sessions the app has (an index serves
        the order).
        """
        ...

    async def read_event_page(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        page: records.EventPageQuery,
        owner_id: Any = None,
    ) -> records.EventPage | None:
        """Reads one page of a session's events, strictly after ``page.after``.

        Ordered by (timestamp, append order), ascending or, with
        ``page.newest_first``, descending. Returns None when the session does
        not exist (or belongs to another owner).
        """
        ...

    async def delete_session(
        self, *, app_name: str, user_id: str, session_id: str, owner_id: Any = None
    ) -> bool:
        """Deletes a session and, by cascade, its events. Returns whether one existed."""
        ...

    async def append_event(
        self,
        *,
        event: records.EventRecord,
        delta: records.StateDelta,
        expected: records.StaleCheck,
        owner_id: Any = None,
    ) -> records.AppendResult:
        """Appends one event atomically (see the module docstring).

        The session is the one ``event``'s app_name, user_id and session_id
        name. Its update time becomes ``event.timestamp``, even when that is
        earlier than the current one.

        Raises:
            SessionNotFoundError: The session does not exist (nothing is created).
            StaleSessionError: ``expected`` does not match storage.
            DuplicateEventError: The session already has an event with this id.
        """
        ...

    async def get_events(
        self,
        *,
        app_name: str,
        user_id: str,
        session_id: str,
        query: records.EventQuery | None = None,
    ) -> list[records.EventRecord]:
        """Returns a session's events: ``timestamp >= after_timestamp``, newest ``limit``."""
        ...

    async def get_app_state(self, *, app_name: str) -> dict[str, Any]:
        """Returns the app-scoped state with bare keys (``{}`` when there is none)."""
        ...

    async def get_user_state(self, *, app_name: str, user_id: str) -> dict[str, Any]:
        """Returns the user-scoped state with bare keys (``{}`` when there is none)."""
        ...

    async def close(self) -> None:
        """Releases connections; idempotent. Later calls raise StoreClosedError."""
        ...
