"""The cross-process write lock of a SQLite database: ``flock`` on a ``<database>-lock`` file.

`WriteLock` makes adk-sqlite writers in *other processes* queue in the kernel instead
of in SQLite's busy handler, which sleeps 1, 2, 5 ... 100 ms between retries: with four
processes appending to one file those sleeps, not the disk, set the pace. SQLite's own
locking still guards the data; the lock only orders adk-sqlite writers fairly.
"""

from __future__ import annotations

import fcntl
import logging
import os
import queue
import threading
import time
from pathlib import Path

from adk_sqlite.errors import DatabaseLockedError

__all__ = ["SLOW_LOCK_WAIT", "WriteLock"]

_logger = logging.getLogger("adk_sqlite.sqlite")

# A wait for another writer this long is worth an INFO line: writers are contending.
SLOW_LOCK_WAIT = 1.0


class WriteLock:
    """An exclusive ``flock`` on ``<database>-lock``, taken around each write transaction.

    Best effort: where the lock file cannot be created (a read-only folder),
    writers fall back to SQLite's busy timeout alone. Waiting for the lock
    honours the same busy timeout: a writer stuck while holding it costs the
    others the timeout and a `DatabaseLockedError`, never a hang.
    """

    def __init__(self, database: Path, *, timeout: float = 30.0) -> None:
        self.path = database.with_name(database.name + "-lock")
        self._timeout = timeout
        self._descriptor: int | None = None
        self._waiter: _LockWaiter | None = None

    def open(self) -> None:
        try:
            self._descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            # A read-only folder: writers then queue on SQLite's own lock alone.
            _logger.info(
                "no write lock file %s (%s); SQLite's lock alone orders writers", self.path, exc
            )

    def acquire(self) -> None:
        """Takes the lock, waiting at most the busy timeout.

        Raises:
            DatabaseLockedError: Another writer held the lock for the whole timeout.
        """
        descriptor = self._descriptor
        if descriptor is None or _try_flock(descriptor):
            return
        if self._waiter is None:
            self._waiter = _LockWaiter(descriptor)
        started = time.monotonic()
        granted = self._waiter.wait_for_lock(self._timeout)
        waited = time.monotonic() - started
        _logger.log(
            logging.INFO if waited >= SLOW_LOCK_WAIT else logging.DEBUG,
            "waited %.3f s for the write lock %s (%s)",
            waited,
            self.path,
            "granted" if granted else "timed out",
        )
        if not granted:
            raise DatabaseLockedError(
                f"{self.path}: another adk-sqlite writer held the write lock for longer"
                f" than the busy timeout ({self._timeout:g} s)"
            )

    def try_acquire(self) -> bool:
        """Takes the lock if it is free right now; never waits."""
        return self._descriptor is None or _try_flock(self._descriptor)

    def release(self) -> None:
        if self._descriptor is not None:
            fcntl.flock(self._descriptor, fcntl.LOCK_UN)

    def close(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            waiter.stop()
            if waiter.blocked:
                # Its thread is still inside flock() on this descriptor: closing it
                # would let the number be reused under that thread. The
                # descriptor is left to the process's exit instead.
                self._descriptor = None
        if self._descriptor is not None:
            os.close(self._descriptor)
            self._descriptor = None


def _try_flock(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class _LockRequest:
    __slots__ = ("abandoned", "granted", "guard")

    def __init__(self) -> None:
        self.granted = threading.Event()
        self.guard = threading.Lock()
        self.abandoned = False


class _LockWaiter:
    """A thread that blocks in ``flock`` so the writer can wait for it with a timeout.

    ``flock(2)`` itself has no timeout, and polling it would either burn the CPU
    or leave the lock idle between polls. The kernel wakes this thread the moment
    the lock is free; the lock then belongs to the file descriptor, so the
    writer thread holds it and releases it as if it had taken it itself.
    """

    def __init__(self, descriptor: int) -> None:
        self._descriptor = descriptor
        self._requests: queue.SimpleQueue[_LockRequest | None] = queue.SimpleQueue()
        self.blocked = False
        self._thread = threading.Thread(target=self._run, name="adk-sqlite-lock", daemon=True)
        self._thread.start()

    def wait_for_lock(self, timeout: float) -> bool:
        request = _LockRequest()
        self._requests.put(request)
        if request.granted.wait(timeout):
            return True
        with request.guard:
            if request.granted.is_set():  # granted while the wait was timing out
                return True
            request.abandoned = True
        return False

    def stop(self) -> None:
        self._requests.put(None)

    def _run(self) -> None:
        while (request := self._requests.get()) is not None:
            self.blocked = True
            fcntl.flock(self._descriptor, fcntl.LOCK_EX)
            self.blocked = False
            with request.guard:
                if request.abandoned:  # the writer gave up: hand the lock straight back
                    fcntl.flock(self._descriptor, fcntl.LOCK_UN)
                else:
                    request.granted.set()
