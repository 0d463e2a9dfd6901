"""The write path of a SQLite store: group commit, a cross-process lock, checkpoints.

* `GroupCommitter` runs write jobs on the writer connection's thread, as many as
  are waiting in one ``BEGIN IMMEDIATE ... COMMIT``, each in its own savepoint.
* `write_lock.WriteLock` (re-exported here) orders adk-sqlite writers of other
  processes before they reach SQLite's busy handler.
* WAL checkpoints run on a separate connection in the background
  (`Checkpointer`), so a commit never pays for copying the log into the
  database; the writer's automatic checkpoint is switched off for that.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from adk_sqlite.sqlite.engine.connection import (
    DatabaseTarget,
    is_busy_error,
    patient,
    run_on_connection,
    sqlite_errors,
    translate_sqlite_error,
)
from adk_sqlite.sqlite.engine.worker_connection import WorkerConnection
from adk_sqlite.sqlite.engine.write_lock import SLOW_LOCK_WAIT, WriteLock
from adk_sqlite.sqlite.schema import sql as _sql

__all__ = ["INLINE_WRITE_BYTES", "SLOW_LOCK_WAIT", "Checkpointer", "GroupCommitter", "WriteLock"]

_logger = logging.getLogger("adk_sqlite.sqlite")

T = TypeVar("T")
Job = Callable[[sqlite3.Connection], Any]

# A group-committed transaction holds the write lock; bound how long.
_MAX_JOBS_PER_TRANSACTION = 256
# Commits between background checkpoints (each commit adds a few WAL pages).
_COMMITS_PER_CHECKPOINT = 200

INLINE_WRITE_BYTES = 256 << 10
"""Bytes a transaction may write on the event loop's thread: SQLite copies about 4 KiB
into the WAL per 10-20 µs, so a larger one runs on the writer thread (a group commit
of twenty 150 KiB tool answers took 7 ms on the loop's)."""


class Checkpointer:
    """Copies the WAL into the database from its own connection, off the write path."""

    def __init__(self, connection: WorkerConnection, target: DatabaseTarget) -> None:
        self._connection = connection
        self._target = target
        self._running: asyncio.Task[None] | None = None
        self._restart_next = False

    def request(self, *, restart: bool = False) -> None:
        """Starts a checkpoint unless one is running.

        A passive one by default: it copies what it can without waiting for
        writers. With ``restart``, it waits for the writer in progress, copies the
        whole WAL and has the next write begin the WAL again: for after large writes,
        which a passive checkpoint racing a stream of them never catches up with. The
        WAL file keeps its size (the writer's ``journal_size_limit`` caps it), so the
        writes after it reuse its blocks rather than grow the file again: 1 MiB saves
        were 10-15% faster here than after ``TRUNCATE``, which empties it. A restart
        asked for while another checkpoint runs is run after it (a passive one can
        leave the WAL as long as it found it).
        """
        if self._running is None:
            job = _restarting_checkpoint if restart else _passive_checkpoint
            self._running = asyncio.ensure_future(self._checkpoint(job))
        elif restart:
            self._restart_next = True

    async def settled(self) -> None:
        """Waits until no checkpoint runs, a restart queued behind one included."""
        while self._running is not None:
            await asyncio.shield(self._running)

    async def _checkpoint(self, job: Callable[[sqlite3.Connection], None]) -> None:
        try:
            with sqlite_errors(self._target):
                await run_on_connection(self._connection, job)
        except Exception:
            # A checkpoint is an optimisation: the next request retries it.
            _logger.info(
                "WAL checkpoint of %s failed; retried later", self._target.describe(), exc_info=True
            )
        finally:
            self._running = None
            if self._restart_next:
                self._restart_next = False
                self._running = asyncio.ensure_future(self._checkpoint(_restarting_checkpoint))

    async def close(self) -> None:
        await self.settled()
        await self._connection.close()

    async def truncate_now(self) -> None:
        """Copies the whole WAL into the database and empties it, now (waits for writers)."""
        await self.settled()
        with sqlite_errors(self._target):
            await run_on_connection(self._connection, _truncating_checkpoint)

    def stop(self) -> None:
        """Stops the connection's thread without waiting (for ``__del__``)."""
        self._connection.stop()

    def close_sync(self, *, timeout: float) -> bool:
        """Closes from synchronous code (interpreter exit); see `WorkerConnection.close_sync`."""
        return self._connection.close_sync(timeout=timeout)


def _passive_checkpoint(connection: sqlite3.Connection) -> None:
    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()


def _restarting_checkpoint(connection: sqlite3.Connection) -> None:
    connection.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()


def _truncating_checkpoint(connection: sqlite3.Connection) -> None:
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()


@dataclass(slots=True)
class _Pending:
    job: Job
    future: asyncio.Future[Any]
    size: int = 0  # about the bytes the job writes, when its caller knows (see submit)


class GroupCommitter:
    """Runs write jobs on the writer connection, many to a transaction.

    While one transaction is being written, new jobs queue up; the next
    transaction takes all of them. Each job runs inside its own SAVEPOINT, so one
    that fails is rolled back alone and fails alone, while the others commit.
    Every caller's future resolves only after the COMMIT that made its job
    durable.

    With ``inline`` (file databases whose commits do not fsync), a transaction
    runs on the event loop's own thread whenever the write lock is free at
    once: a commit in WAL mode with ``synchronous=NORMAL`` is a write into the
    page cache, cheaper than the two thread crossings it would otherwise cost.
    The flush waits one turn of the event loop, so every task that is ready to
    write joins the same transaction. When another writer holds the lock, the
    batch goes to the writer connection's thread, which waits for the lock (up
    to the busy timeout) without blocking the loop.
    """

    def __init__(
        self,
        connection: WorkerConnection,
        target: DatabaseTarget,
        *,
        lock: WriteLock | None = None,
        checkpointer: Checkpointer | None = None,
        inline: bool = False,
        busy_timeout_ms: int = 0,
    ) -> None:
        self._connection = connection
        self._target = target
        self._lock = lock
        self._checkpointer = checkpointer
        self._commits_since_checkpoint = 0
        self._queue: list[_Pending] = []
        self._drainer: asyncio.Task[None] | None = None
        self._leading = False
        # Inline, the writer connection's own busy timeout is 0 (the loop must
        # never sleep in SQLite's busy handler); the thread path restores this.
        self._inline = inline
        self._busy_timeout_ms = busy_timeout_ms if inline else None
        self._flush_scheduled = False

    async def submit(
        self, job: Callable[[sqlite3.Connection], T], *, off_loop: bool = False, size: int = 0
    ) -> T:
        """Runs ``job`` in a write transaction and returns its result once committed.

        ``off_loop`` keeps the job off the event loop's thread even with ``inline``
        (a write whose copy takes long, such as a large artifact's bytes).
        ``size``, about the bytes the job writes: a job over `INLINE_WRITE_BYTES`
        runs off the loop, and so does an inline batch whose jobs add up to more.
        """
        off_loop = off_loop or size > INLINE_WRITE_BYTES
        if self._drainer is None and not self._leading and not self._inline:
            return await self._lead(job)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.append(_Pending(job, future, size))
        if self._drainer is None and not self._leading:
            if not self._inline or off_loop:
                self._drainer = asyncio.ensure_future(self._drain())
            elif not self._flush_scheduled:
                self._flush_scheduled = True
                loop.call_soon(self._flush_inline)
        return await future

    async def _lead(self, job: Callable[[sqlite3.Connection], T]) -> T:
        # Nothing is being written: this caller commits its own job, without a
        # drainer task and the extra event-loop turns it costs. Jobs arriving
        # meanwhile queue up and are handed to a drainer when this one is done
        # (also when this caller is cancelled half-way).
        self._leading = True
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        try:
            await self._commit([_Pending(job, future)])
        finally:
            self._leading = False
            if self._queue and self._drainer is None:
                self._drainer = asyncio.ensure_future(self._drain())
        return future.result()

    def _flush_inline(self) -> None:
        """Commits the queued jobs on the loop's thread, or hands them to the writer thread."""
        self._flush_scheduled = False
        if self._drainer is not None or not self._queue:
            return  # the writer thread is busy: it takes the queue when done
        batch = self._queue[:_MAX_JOBS_PER_TRANSACTION]
        if sum(pending.size for pending in batch) > INLINE_WRITE_BYTES:
            # Many large jobs at once (long tool answers from many sessions): the
            # writer thread takes the whole queue, and the loop stays free.
            self._drainer = asyncio.ensure_future(self._drain())
            return
        del self._queue[:_MAX_JOBS_PER_TRANSACTION]
        try:
            with sqlite_errors(self._target):
                outcomes = _try_batch_at_once(self._connection.raw, batch, self._lock)
        except BaseException as exc:
            self._fail_batch(batch, exc)
        else:
            if outcomes is None:  # another writer holds a lock: wait for it off the loop
                self._queue[:0] = batch
                self._drainer = asyncio.ensure_future(self._drain())
                return
            self._settle_batch(batch, outcomes)
        if self._queue:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_inline)

    async def wait_idle(self) -> None:
        """Waits until every submitted job has been committed or failed."""
        while self._drainer is not None or self._leading or self._queue:
            if self._drainer is not None:
                await asyncio.shield(self._drainer)
            else:
                await asyncio.sleep(0.001)

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch = self._queue[:_MAX_JOBS_PER_TRANSACTION]
                del self._queue[:_MAX_JOBS_PER_TRANSACTION]
                await self._commit(batch)
        finally:
            self._drainer = None

    async def _commit(self, batch: list[_Pending]) -> None:
        lock, busy_timeout_ms = self._lock, self._busy_timeout_ms
        try:
            with sqlite_errors(self._target):
                outcomes = await run_on_connection(
                    self._connection,
                    lambda raw: _run_locked_batch(raw, batch, lock, busy_timeout_ms),
                )
        except BaseException as exc:
            self._fail_batch(batch, exc)
            return
        self._settle_batch(batch, outcomes)

    def _fail_batch(self, batch: list[_Pending], exc: BaseException) -> None:
        for pending in batch:
            _settle(pending.future, exc)
        if not isinstance(exc, Exception):
            raise exc

    def _settle_batch(self, batch: list[_Pending], outcomes: list[tuple[bool, Any]]) -> None:
        for pending, (succeeded, value) in zip(batch, outcomes, strict=True):
            if succeeded:
                if not pending.future.done():
                    pending.future.set_result(value)
            elif isinstance(value, sqlite3.Error):
                error = translate_sqlite_error(value, self._target)
                error.__cause__ = value
                _settle(pending.future, error)
            else:
                _settle(pending.future, value)
        self._commits_since_checkpoint += 1
        if self._checkpointer and self._commits_since_checkpoint >= _COMMITS_PER_CHECKPOINT:
            self._commits_since_checkpoint = 0
            self._checkpointer.request()


def _settle(future: asyncio.Future[Any], error: BaseException) -> None:
    # Never set a result on a future whose caller was cancelled.
    if not future.done():
        future.set_exception(error)


def _try_batch_at_once(
    connection: sqlite3.Connection, batch: list[_Pending], lock: WriteLock | None
) -> list[tuple[bool, Any]] | None:
    """Runs the batch if both write locks are free right now; None if either is taken."""
    if lock is not None and not lock.try_acquire():
        return None
    try:
        try:
            connection.execute(_sql.BEGIN_WRITE)  # busy timeout 0: fails at once if taken
        except sqlite3.OperationalError as exc:
            if is_busy_error(exc):
                return None
            raise
        return _run_begun_batch(connection, batch)
    finally:
        if lock is not None:
            lock.release()


def _run_locked_batch(
    connection: sqlite3.Connection,
    batch: list[_Pending],
    lock: WriteLock | None,
    busy_timeout_ms: int | None,
) -> list[tuple[bool, Any]]:
    """Runs on the writer thread: waits for the write lock, then runs the batch."""
    with patient(connection, busy_timeout_ms):
        if lock is not None:
            lock.acquire()
        try:
            connection.execute(_sql.BEGIN_WRITE)
            return _run_begun_batch(connection, batch)
        finally:
            if lock is not None:
                lock.release()


def _run_begun_batch(
    connection: sqlite3.Connection, batch: list[_Pending]
) -> list[tuple[bool, Any]]:
    """Runs the jobs inside the transaction just begun, and commits it."""
    outcomes: list[tuple[bool, Any]] = []
    try:
        if len(batch) == 1:
            # Alone in its transaction, a job needs no savepoint: failing, it
            # rolls the whole transaction back.
            try:
                outcomes.append((True, batch[0].job(connection)))
            except Exception as exc:
                if connection.in_transaction:
                    connection.execute(_sql.ROLLBACK)
                return [(False, exc)]
        else:
            for pending in batch:
                outcomes.append(_run_in_savepoint(connection, pending.job))
        connection.execute(_sql.COMMIT)
    except BaseException:
        if connection.in_transaction:
            connection.execute(_sql.ROLLBACK)
        raise
    return outcomes


def _run_in_savepoint(connection: sqlite3.Connection, job: Job) -> tuple[bool, Any]:
    connection.execute(_sql.SAVEPOINT)
    try:
        value = job(connection)
    except Exception as exc:
        if not connection.in_transaction:
            # SQLite rolled the whole transaction back (a full disk, say): the
            # jobs before this one are undone too, so the batch fails as one.
            raise
        connection.execute(_sql.ROLLBACK_TO_SAVEPOINT)
        connection.execute(_sql.RELEASE_SAVEPOINT)
        return (False, exc)
    connection.execute(_sql.RELEASE_SAVEPOINT)
    return (True, value)
