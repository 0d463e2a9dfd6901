"""Listing data on its way to the catalog: the write-behind that keeps appends parallel.

An append to a session file changes the session's listing data (its own state,
update time and revision), which `list_sessions` reads from the catalog. Writing
the catalog in every append would make the catalog the one file every append
waits for, which is what one file per session avoids. So an append returns once
its session file has committed, and its listing data waits here: shortly after
(`DELAY`), or as soon as `BATCH` sessions are waiting, one catalog transaction
copies all of it. `list_sessions` and `close` write what waits first, so this
process always lists its own appends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from adk_sqlite.sqlite.per_session.jobs import Key, ListingUpdate

__all__ = ["ListingQueue"]

_logger = logging.getLogger("adk_sqlite.sqlite.per_session")

DELAY = 0.05
BATCH = 256


class ListingQueue:
    """Newest listing data per session, written to the catalog in batches.

    Args:
        write: Writes a batch to the catalog (on a worker thread).
        track: Registers a background task, so the store's `close` waits for it.
    """

    def __init__(
        self,
        write: Callable[[list[ListingUpdate]], Awaitable[None]],
        track: Callable[[asyncio.Future[Any]], None],
    ) -> None:
        self._write = write
        self._track = track
        self._waiting: dict[Key, ListingUpdate] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._lock = asyncio.Lock()
        self._stopped = False

    def add(self, update: ListingUpdate | None) -> None:
        """Queues a session's listing data, unless newer data for it is already waiting."""
        if update is None:
            return
        known = self._waiting.get(update.key)
        if (
            known is None
            or known.generation != update.generation
            or known.revision < update.revision
        ):
            self._waiting[update.key] = update
        if len(self._waiting) >= BATCH:
            self._start()
        else:
            self._schedule()

    def discard(self, key: Key) -> None:
        """Forgets a session's waiting data (it was deleted or archived)."""
        self._waiting.pop(key, None)

    def stop(self) -> None:
        """No more background writes; `flush` still writes."""
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def take_all(self) -> list[ListingUpdate]:
        """Removes and returns everything waiting (for a synchronous close at exit)."""
        batch = list(self._waiting.values())
        self._waiting.clear()
        return batch

    async def flush(self, *, background: bool = False) -> None:
        """Writes everything waiting; a failed write is kept for the next try."""
        async with self._lock:
            if not self._waiting:
                return
            batch = list(self._waiting.values())
            self._waiting.clear()
            try:
                await self._write(batch)
            except Exception:
                for update in batch:
                    self._waiting.setdefault(update.key, update)
                if not background:
                    raise
                _logger.warning(
                    "writing the listing of %d session(s) to the catalog failed; retrying",
                    len(batch),
                    exc_info=True,
                )
                self._schedule()

    def _schedule(self) -> None:
        if self._timer is None and not self._stopped:
            self._timer = asyncio.get_running_loop().call_later(DELAY, self._start)

    def _start(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._stopped:
            self._track(asyncio.ensure_future(self.flush(background=True)))
