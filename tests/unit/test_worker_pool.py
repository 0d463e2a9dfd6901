"""WorkerPool: one hop per job, results and errors back on the loop, cancellation-safe."""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import AsyncIterator

import pytest

from adk_sqlite.sqlite.engine.worker_pool import WorkerPool


@pytest.fixture
async def pool() -> AsyncIterator[WorkerPool]:
    workers = WorkerPool(2, "test-pool")
    try:
        yield workers
    finally:
        await workers.wait_idle()
        workers.stop()


async def test_a_job_runs_on_a_worker_thread_and_its_result_comes_back(pool: WorkerPool) -> None:
    result = await pool.submit(lambda: threading.current_thread().name)

    assert result.startswith("test-pool-")


async def test_an_exception_comes_back_as_it_was_raised(pool: WorkerPool) -> None:
    def fail() -> None:
        raise KeyError("boom")

    with pytest.raises(KeyError, match="boom"):
        await pool.submit(fail)


async def test_done_runs_when_the_job_ends_not_when_its_caller_is_cancelled(
    pool: WorkerPool,
) -> None:
    release = threading.Event()
    events: list[str] = []
    future = pool.submit(lambda: release.wait(5), done=lambda: events.append("done"))
    waiter = asyncio.ensure_future(future)
    await asyncio.sleep(0.01)

    waiter.cancel()
    await asyncio.sleep(0.01)
    assert events == []  # the job still runs: whatever it holds is not freed yet

    release.set()
    await pool.wait_idle()
    assert events == ["done"]
    assert future.cancelled()  # and it never got a result


async def test_many_waiting_jobs_all_complete_in_order_per_caller(pool: WorkerPool) -> None:
    results = await asyncio.gather(*(pool.submit(functools.partial(pow, n, 2)) for n in range(200)))

    assert results == [n * n for n in range(200)]


async def test_wait_idle_waits_for_every_job(pool: WorkerPool) -> None:
    finished: list[int] = []
    release = threading.Event()

    def job(n: int) -> None:
        release.wait(5)
        finished.append(n)

    for n in range(5):
        pool.submit(functools.partial(job, n))
    waiting = asyncio.ensure_future(pool.wait_idle())
    await asyncio.sleep(0.01)
    assert not waiting.done()

    release.set()
    await waiting

    assert sorted(finished) == [0, 1, 2, 3, 4]


async def test_stop_ends_the_threads() -> None:
    workers = WorkerPool(3, "stopping-pool")
    await workers.submit(lambda: None)

    workers.stop()

    assert not [t for t in threading.enumerate() if t.name.startswith("stopping-pool")]
