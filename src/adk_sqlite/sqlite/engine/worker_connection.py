"""One SQLite connection and the thread its jobs run on: the one adapter over aiosqlite.

Why this module exists: each store operation is one Python function (a job) that must
run whole on the connection's thread, in one hop from the event loop, because a hop
costs far more than the SQL of an append. aiosqlite (tested on 0.20 to 0.22) gives one
worker thread per connection, but its public API runs one statement per hop; the call
that runs an arbitrary callable on that thread, ``Connection._execute``, is internal, as
are ``_conn`` and ``_thread``. This module is the only place in adk-sqlite that touches
them, and it checks them before relying on them:

- At the first open it checks that ``aiosqlite.Connection`` still has ``_execute``, and,
  on the opened connection, that ``_conn`` is the very ``sqlite3.Connection`` our own
  connector returned and that ``_thread`` is a live thread.
- If any of that does not hold (a future aiosqlite), it warns once on the
  ``adk_sqlite.sqlite`` logger and uses the engine's own worker for the rest of the
  process: a one-thread `worker_pool.WorkerPool` per connection (the worker model the
  one-file-per-session layout runs on), which opens the connection and runs every job on
  its one thread. Same one hop, same ordering; only aiosqlite is left out of it.

Either way the rest of the engine sees a `WorkerConnection`: ``run(job)`` (one hop),
``raw`` (the ``sqlite3.Connection``, for the inline paths that run on the loop's thread
while the store guarantees no job is running), ``close()`` and ``stop()``.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import aiosqlite

from adk_sqlite.sqlite.engine.worker_pool import WorkerPool

__all__ = ["WorkerConnection", "open_worker_connection", "uses_aiosqlite_internals"]

T = TypeVar("T")

_logger = logging.getLogger("adk_sqlite.sqlite")

# None until the first open has checked aiosqlite's internals; then whether they hold.
_internals_hold: bool | None = None


def uses_aiosqlite_internals() -> bool | None:
    """Whether jobs run through aiosqlite's worker thread (None: nothing opened yet)."""
    return _internals_hold


class WorkerConnection:
    """A ``sqlite3.Connection`` whose jobs run one at a time on its own thread."""

    def __init__(
        self,
        raw: sqlite3.Connection,
        *,
        bridge: aiosqlite.Connection | None = None,
        worker: WorkerPool | None = None,
    ) -> None:
        self._raw = raw
        self._bridge = bridge
        self._worker = worker

    @property
    def raw(self) -> sqlite3.Connection:
        """The connection itself, for work on the caller's thread while no job runs."""
        return self._raw

    async def run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Runs ``job(connection)`` on the connection's thread: one hop there and back."""
        if self._bridge is not None:
            result: T = await self._bridge._execute(job, self._raw)  # type: ignore[no-untyped-call]
            return result
        assert self._worker is not None
        raw = self._raw
        return await self._worker.submit(lambda: job(raw))

    async def close(self) -> None:
        """Closes the connection on its thread, then ends the thread."""
        if self._bridge is not None:
            await self._bridge.close()
            return
        assert self._worker is not None
        try:
            await self._worker.submit(self._raw.close)
        finally:
            self._worker.stop()

    def stop(self) -> None:
        """Ends the thread without waiting (for ``__del__`` of a store left open)."""
        if self._bridge is not None:
            self._bridge.stop()
        elif self._worker is not None:
            # No loop to wait on here: the thread ends after the jobs queued before it.
            self._worker.stop_soon()


async def open_worker_connection(connect: Callable[[], sqlite3.Connection]) -> WorkerConnection:
    """Runs ``connect`` on a new worker thread and returns the connection it made.

    ``connect`` runs on the worker thread (so creating the file costs no extra hop);
    if it raises, the thread is ended and the error propagates.
    """
    global _internals_hold
    if _internals_hold is None:
        _internals_hold = callable(getattr(aiosqlite.Connection, "_execute", None))
        if not _internals_hold:
            _warn_fallback("aiosqlite.Connection has no _execute")
    if _internals_hold:
        connection = await _open_through_aiosqlite(connect)
        if connection is not None:
            return connection
    return await _open_on_worker(connect)


async def _open_through_aiosqlite(
    connect: Callable[[], sqlite3.Connection],
) -> WorkerConnection | None:
    global _internals_hold
    opened: list[sqlite3.Connection] = []

    def connect_and_keep() -> sqlite3.Connection:
        raw = connect()
        opened.append(raw)
        return raw

    bridge = aiosqlite.Connection(connect_and_keep, iter_chunk_size=64)
    thread: Any = getattr(bridge, "_thread", None)
    if isinstance(thread, threading.Thread):
        # A forgotten store must not keep the interpreter from exiting.
        thread.daemon = True
    try:
        await bridge
    except BaseException:
        # aiosqlite stops the worker thread when connecting fails; that thread
        # still reports back to this event loop, so wait for it to finish while
        # the loop is alive (a closed loop would make it die with an error).
        while isinstance(thread, threading.Thread) and thread.is_alive():  # noqa: ASYNC110
            await asyncio.sleep(0.001)
        raise
    raw = opened[0]
    if getattr(bridge, "_conn", None) is raw and isinstance(thread, threading.Thread):
        return WorkerConnection(raw, bridge=bridge)
    _internals_hold = False
    _warn_fallback("aiosqlite.Connection's _conn or _thread are not what this adapter expects")
    # stop() closes the connection on aiosqlite's thread without going through _conn.
    stopped = bridge.stop()
    if stopped is not None:
        await stopped
    return None


async def _open_on_worker(connect: Callable[[], sqlite3.Connection]) -> WorkerConnection:
    worker = WorkerPool(1, "adk-sqlite-connection")
    try:
        raw = await worker.submit(connect)
    except BaseException:
        worker.stop_soon()
        raise
    return WorkerConnection(raw, worker=worker)


def _warn_fallback(reason: str) -> None:
    _logger.warning(
        "%s (aiosqlite %s); SQLite jobs now run on adk-sqlite's own worker thread per"
        " connection instead",
        reason,
        getattr(aiosqlite, "__version__", "unknown"),
    )
