"""Memory service, concurrency: threads with their own loops, two instances on one store.

Covers adk-services.md, Memory service:
- Search: searching while other threads add memories (each thread with its own
  event loop) never raises, and never shows another scope's memories.
- Ingestion: two service instances on one store adding the same session at once
  end with one memory per event (in one loop, and from two threads each with its
  own loop and its own instance); concurrent adds of different events all
  persist (one instance, and two).

In the threads test every thread shares the one ``memory_service`` instance,
used once in the test's loop first (a backend in
`_backends.LOOP_BOUND_BACKENDS` gives each thread an instance of its own over the
same storage instead). The two-instance tests take ``open_second_service``,
skipped on ADK's in-memory service (a second instance of it is a separate store);
they run on ADK's SQLite service, whose second instance opens the same file.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

from google.adk.events.event import Event
from google.adk.memory.base_memory_service import BaseMemoryService

from ._support import (
    OTHER_USER,
    T0,
    add_events,
    found,
    make_session,
    search,
    text_event,
    text_of,
)
from .conftest import OpenService

_JOIN_TIMEOUT = 60.0


def _run_in_threads(targets: list[Callable[[], Awaitable[None]]]) -> list[BaseException]:
    """Runs each target in its own thread under its own event loop; returns their errors."""
    errors: list[BaseException] = []

    def run(target: Callable[[], Awaitable[None]]) -> None:
        async def main() -> None:
            await target()

        try:
            asyncio.run(main())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(target,), daemon=True) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(_JOIN_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"
    return errors


class _Countdown:
    """Set once ``count`` callers have called `done`."""

    def __init__(self, count: int) -> None:
        self._left = count
        self._lock = threading.Lock()
        self.finished = threading.Event()

    def done(self) -> None:
        with self._lock:
            self._left -= 1
            if self._left == 0:
                self.finished.set()


async def test_searching_while_other_threads_add_never_raises(
    memory_service: BaseMemoryService, open_thread_service: OpenService
) -> None:
    writers, searchers, events_each = 3, 3, 8
    writing = _Countdown(writers)
    seen: list[list[str]] = []

    def writer(index: int) -> Callable[[], Awaitable[None]]:
        # Grows a session, adding it after each event, and adds deltas without one.
        async def write() -> None:
            try:
                async with open_thread_service() as service:
                    session = make_session(session_id=f"writer{index}")
                    for i in range(events_each):
                        session.events.append(
                            text_event(f"common session{index} item{i}", timestamp=T0 + i)
                        )
                        await service.add_session_to_memory(session)
                        await add_events(
                            service,
                            text_event(f"common delta{index} item{i}", timestamp=T0 + i),
                            session_id=None,
                        )
            finally:
                writing.done()

        return write

    async def search_until_written() -> None:
        async with open_thread_service() as service:
            rounds = 0
            while not writing.finished.is_set() or rounds < 3:
                seen.append(await found(service, "common item3"))
                assert await search(service, "common item3", user=OTHER_USER) == []
                rounds += 1

    # The service is used once in the test's own loop first: a service is built and
    # warmed up by the app, then shared. (ADK's SQLite service cannot be first used
    # from several loops at once: its schema lock, an asyncio.Lock made in __init__,
    # _sqlite_memory_service.py:200, binds to the first loop that waits on it.)
    await add_events(memory_service, text_event("warm up"), session_id="warm")
    assert await found(memory_service, "warm") == ["warm up"]

    errors = await asyncio.to_thread(
        _run_in_threads,
        [writer(index) for index in range(writers)] + [search_until_written] * searchers,
    )

    assert errors == []
    assert len(seen) >= 3 * searchers
    for result in seen:
        assert all(text.startswith("common ") for text in result), result
    for index in range(writers):
        for source in ["session", "delta"]:
            assert sorted(await found(memory_service, f"{source}{index}")) == [
                f"common {source}{index} item{i}" for i in range(events_each)
            ]


async def test_concurrent_adds_of_different_events_all_persist(
    memory_service: BaseMemoryService,
) -> None:
    await asyncio.gather(
        *(
            add_events(memory_service, text_event(f"batch{k} event"), session_id=f"s{k % 3}")
            for k in range(20)
        ),
        *(
            memory_service.add_session_to_memory(
                make_session(text_event(f"whole{k} event"), session_id=f"whole{k}")
            )
            for k in range(10)
        ),
    )

    for k in range(20):
        assert await found(memory_service, f"batch{k}") == [f"batch{k} event"]
    for k in range(10):
        assert await found(memory_service, f"whole{k}") == [f"whole{k} event"]


# --- two instances on one store ---------------------------------------------------------


def _numbered(count: int, start: int = 0) -> list[Event]:
    return [
        text_event(f"shared entry{i}", timestamp=T0 + i, event_id=f"e{i}")
        for i in range(start, start + count)
    ]


async def test_two_instances_adding_the_same_session_at_once_keep_one_memory_per_event(
    memory_service: BaseMemoryService, open_second_service: OpenService
) -> None:
    session = make_session(*_numbered(3))
    async with open_second_service() as second:
        for round_ in range(3):
            if round_:
                session.events.extend(_numbered(2, start=len(session.events)))
            await asyncio.gather(
                memory_service.add_session_to_memory(session),
                second.add_session_to_memory(session),
                second.add_session_to_memory(session),
            )

        expected = [f"shared entry{i}" for i in range(7)]
        assert sorted(await found(memory_service, "shared")) == expected
        assert sorted(await found(second, "shared")) == expected


async def test_two_instances_in_two_threads_adding_the_same_session_keep_one_memory_per_event(
    memory_service: BaseMemoryService, open_second_service: OpenService
) -> None:
    session = make_session(*_numbered(8))
    start = threading.Barrier(2)

    async def add_with_own_instance() -> None:
        async with open_second_service() as service:
            await asyncio.to_thread(start.wait, _JOIN_TIMEOUT)
            for _ in range(3):
                await service.add_session_to_memory(session)
                await add_events(service, *session.events[:4])

    errors = await asyncio.to_thread(_run_in_threads, [add_with_own_instance] * 2)

    assert errors == []
    assert sorted(await found(memory_service, "shared")) == [f"shared entry{i}" for i in range(8)]


async def test_two_instances_adding_different_events_at_once_all_persist(
    memory_service: BaseMemoryService, open_second_service: OpenService
) -> None:
    async with open_second_service() as second:
        await asyncio.gather(
            *(
                add_events(
                    (memory_service, second)[k % 2],
                    text_event(f"batch{k} event"),
                    session_id=f"s{k % 3}",
                )
                for k in range(20)
            )
        )

        for service in (memory_service, second):
            for k in range(20):
                assert await found(service, f"batch{k}") == [f"batch{k} event"]
    texts = [text_of(entry) for entry in await search(memory_service, "event")]
    assert len(texts) == len(set(texts))
