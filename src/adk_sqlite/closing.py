"""Closing: ``async with`` for objects closed with ``await close()``, and closing at exit.

The service, the stores and the export's source end an ``async with`` block the
same way: whatever the block raised, they close. Each says only how it closes
(its `close`) and what entering does.

Not every host closes what it opened: ADK's ``adk web`` and ``adk api_server`` never
close their services, and a script may simply end. Every acknowledged write is
already committed, so nothing is lost; but a SQLite database left open keeps its
``-wal`` file beside it. A store that opens file connections therefore registers with
`close_at_exit`, and an ``atexit`` hook closes whatever is still open when the
interpreter ends (a script's end, Ctrl-C), through the store's `ClosesSync.close_sync`:
the last connection to close checkpoints the WAL and removes it. SIGTERM ends a process
without ``atexit`` hooks; `close_on_sigterm` (which the ADK server wiring installs)
closes them first.
"""

from __future__ import annotations

import atexit
import logging
import signal
import threading
import weakref
from types import FrameType, TracebackType
from typing import Protocol

__all__ = [
    "AsyncClosing",
    "ClosesSync",
    "close_at_exit",
    "close_on_sigterm",
    "forget_at_exit",
]

_logger = logging.getLogger("adk_sqlite")


class AsyncClosing:
    """Leaving an ``async with`` block awaits `close`."""

    __slots__ = ()

    async def close(self) -> None:
        """Releases what the object holds."""
        raise NotImplementedError

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()


class ClosesSync(Protocol):
    """An object that can be closed from synchronous code when no event loop runs it."""

    def close_sync(self) -> None:
        """Closes what is still open, waiting a bounded time for running work."""
        ...


_open_at_exit: weakref.WeakSet[ClosesSync] = weakref.WeakSet()
_registration = threading.Lock()
_hook_registered = False


def close_at_exit(closeable: ClosesSync) -> None:
    """Closes ``closeable`` when the interpreter exits, unless it was closed before.

    Holds it weakly: a store that is garbage-collected is not kept alive by this.
    """
    global _hook_registered
    with _registration:
        if not _hook_registered:
            atexit.register(_close_all_at_exit)
            _hook_registered = True
        _open_at_exit.add(closeable)


def forget_at_exit(closeable: ClosesSync) -> None:
    """Drops ``closeable`` from the exit hook (it has been closed)."""
    _open_at_exit.discard(closeable)


def close_on_sigterm() -> bool:
    """Also closes the registered objects when SIGTERM ends the process.

    SIGTERM's default action ends the process without running ``atexit`` hooks.
    uvicorn (under ``adk api_server`` and ``adk web``) handles SIGTERM while it
    serves, shuts down gracefully, then restores the handler it found and raises the
    signal again: with this installed, that handler closes what is open and then lets
    the signal end the process as it would have.

    Installed only from the main thread, and only over SIGTERM's default action
    (a handler someone else installed is left alone). Returns whether it is installed.
    """
    if threading.current_thread() is not threading.main_thread():
        return False
    current = signal.getsignal(signal.SIGTERM)
    if current is _close_and_terminate:
        return True
    if current is not signal.SIG_DFL:
        return False
    signal.signal(signal.SIGTERM, _close_and_terminate)
    return True


def _close_and_terminate(signum: int, frame: FrameType | None) -> None:
    _close_all_at_exit()
    signal.signal(signum, signal.SIG_DFL)
    signal.raise_signal(signum)


def _close_all_at_exit() -> None:
    for closeable in list(_open_at_exit):
        try:
            closeable.close_sync()
        except Exception:
            # Exiting anyway: say what stayed open rather than hide it.
            _logger.warning("closing %r at exit failed", closeable, exc_info=True)
    _open_at_exit.clear()
