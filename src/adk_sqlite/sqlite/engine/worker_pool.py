"""The engine's worker threads: one hop per operation, as cheap as it gets.

Like aiosqlite's worker (the model in STYLE.md), each thread takes work from a
queue and hands the outcome back with ``call_soon_threadsafe``; unlike it,
several threads share the queue, because a store of many session files can
write several of them at once, and a thread that finds more jobs waiting runs
them before it reports, so that the loop is woken once for all of them.
``loop.run_in_executor`` does the same job but costs ~25 µs more per round trip
on our machines (its future chaining), which is a fifth of an append.

A job's ``done`` callback runs on the event loop when the job has finished,
also when its caller was cancelled meanwhile: the store frees a session's
file only then. A cancelled caller's future never gets a result.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

__all__ = ["WorkerPool"]

T = TypeVar("T")
# How many waiting jobs one thread runs before it reports back.
_MAX_JOBS_PER_WAKE_UP = 16


def _outcome(job: Callable[[], Any]) -> tuple[bool, Any]:
    try:
        return (True, job())
    except BaseException as exc:  # handed to the caller, whatever it is
        return (False, exc)


@dataclass(slots=True)
class _Work(Generic[T]):
    job: Callable[[], T]
    future: asyncio.Future[T]
    loop: asyncio.AbstractEventLoop
    done: Callable[[], None] | None


class WorkerPool:
    """``threads`` daemon threads running jobs from one queue.

    Daemon threads, as the shared layout's connection threads: a store that was
    never closed must not keep the interpreter from exiting.
    """

    def __init__(self, threads: int, name: str) -> None:
        self._queue: queue.SimpleQueue[_Work[Any] | None] = queue.SimpleQueue()
        self._running = 0
        self._idle: asyncio.Event | None = None
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{number}", daemon=True)
            for number in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def submit(
        self, job: Callable[[], T], *, done: Callable[[], None] | None = None
    ) -> asyncio.Future[T]:
        """Queues ``job``; the future resolves on the calling loop when it has run."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._running += 1
        self._queue.put(_Work(job, future, loop, done))
        return future

    async def wait_idle(self) -> None:
        """Waits until every submitted job has finished (and its ``done`` has run)."""
        while self._running:
            self._idle = self._idle or asyncio.Event()
            await self._idle.wait()

    def stop(self, *, timeout: float | None = None) -> bool:
        """Ends the threads once the queue is drained; waits for them (up to ``timeout``).

        Returns whether every thread has ended.
        """
        self.stop_soon()
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in self._threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads)

    def stop_soon(self) -> None:
        """Ends the threads once the queue is drained, without waiting (no loop needed)."""
        for _ in self._threads:
            self._queue.put(None)

    def _work(self) -> None:
        stopping = False
        while not stopping:
            work = self._queue.get()
            done: list[tuple[_Work[Any], tuple[bool, Any]]] = []
            # Jobs already waiting run now and report together: one wake-up of
            # the loop for all of them (each still commits its own file).
            while work is not None:
                done.append((work, _outcome(work.job)))
                if len(done) == _MAX_JOBS_PER_WAKE_UP:
                    break
                try:
                    work = self._queue.get_nowait()
                except queue.Empty:
                    break
            else:
                stopping = True
            loops = {work.loop for work, _ in done}
            for loop in loops:
                batch = done if len(loops) == 1 else [d for d in done if d[0].loop is loop]
                # A closed loop: nobody is waiting any more.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(self._settle_all, batch)

    def _settle_all(self, done: list[tuple[_Work[Any], tuple[bool, Any]]]) -> None:
        for work, outcome in done:
            self._settle(work, outcome)

    def _settle(self, work: _Work[Any], outcome: tuple[bool, Any]) -> None:
        self._running -= 1
        if work.done is not None:
            work.done()
        future = work.future
        if not future.cancelled():
            succeeded, value = outcome
            if succeeded:
                future.set_result(value)
            else:
                future.set_exception(value)
        if not self._running and self._idle is not None:
            self._idle.set()
            self._idle = None
