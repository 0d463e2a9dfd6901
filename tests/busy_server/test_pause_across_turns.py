"""A long read holds the collector's pause over a few slices, never for good.

`decoded_in_slices` keeps the collector off for `PAUSE_SECONDS` of its decoding,
across the slices and the turns of the loop between them, so that the collector
runs once per pause rather than once per slice. Another task watches, at each of
its turns, whether the collector is on. The items decoded are synthetic: each
burns a fixed amount of CPU, so that the slices' lengths are known.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging
import subprocess
import sys
import textwrap
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from adk_sqlite.codec.fast import gc_pause, slices
from adk_sqlite.codec.fast.gc_pause import MAX_HELD_SECONDS, HeldPause, paused_for, paused_gc

ITEM_SECONDS = 20e-6  # CPU per decoded item: 25 items make a 0.5 ms slice
# Containers the collector tracks per item, as an event is a dozen or more: 25 items
# allocate more than the 700 that trigger a young collection once the collector is on.
CONTAINERS = 40


def _built(item: int) -> list[Any]:
    return [item, *([] for _ in range(CONTAINERS - 1))]


def _decode(item: int) -> list[Any]:
    busy_until = time.perf_counter() + ITEM_SECONDS
    while time.perf_counter() < busy_until:
        pass
    return _built(item)


class _Watcher:
    """Samples, at each of its turns, whether the collector is on, with the time."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, bool]] = []
        self._running = True

    async def run(self) -> None:
        while self._running:
            self.samples.append((time.perf_counter(), gc.isenabled()))
            await asyncio.sleep(0)

    def stop(self) -> None:
        self._running = False

    def longest_off(self) -> float:
        """The longest time between two samples that saw the collector on."""
        on_times = [at for at, enabled in self.samples if enabled]
        return max((b - a for a, b in itertools.pairwise(on_times)), default=0.0)


@contextmanager
def _young_collections() -> Iterator[list[int]]:
    counted = [0]

    def count(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and info["generation"] == 0:
            counted[0] += 1

    gc.callbacks.append(count)
    try:
        yield counted
    finally:
        gc.callbacks.remove(count)


async def _watched(*reads: int, most: int = 1000) -> tuple[_Watcher, list[list[Any]]]:
    watcher = _Watcher()
    watching = asyncio.ensure_future(watcher.run())
    await asyncio.sleep(0)
    try:
        results = await asyncio.gather(
            *(slices.decoded_in_slices(deque(range(n)), _decode, most=most) for n in reads)
        )
    finally:
        watcher.stop()
        await watching
    return watcher, results


async def test_a_pause_spans_slices_and_turns_and_the_collector_runs_between_pauses() -> None:
    assert gc.isenabled()
    sizes: list[int] = []
    with _young_collections() as collections:
        decoded = await slices.decoded_in_slices(
            deque(range(2000)), _decode, most=1000, slice_sizes=sizes
        )
    assert decoded == [_built(item) for item in range(2000)]
    assert gc.isenabled()
    # ~80 slices of 0.5 ms, four to a 2 ms pause: the collector ran about once per
    # pause, where a pause per slice makes it run once per slice (the bound leaves
    # room for a busy machine, whose preempted slices and pauses end early).
    assert len(sizes) > 20
    assert 0 < collections[0] <= len(sizes) * 3 // 4


async def test_small_slices_do_not_make_the_collector_run_more_often() -> None:
    # Slices of 10 items (0.2 ms each): a pause still spans 2 ms of decoding, ten slices,
    # so about 20 young collections for the 2,000 items; ended after each slice's 10
    # events as well (as before), there were 90 here.
    sizes: list[int] = []
    with _young_collections() as collections:
        await slices.decoded_in_slices(deque(range(2000)), _decode, most=10, slice_sizes=sizes)

    assert len(sizes) == 200
    assert 0 < collections[0] <= len(sizes) // 4


async def test_other_tasks_see_the_collector_off_at_some_turns_and_on_at_others() -> None:
    watcher, _ = await _watched(2000)
    seen = {enabled for _, enabled in watcher.samples}
    assert seen == {True, False}


async def test_overlapping_reads_let_the_collector_run_every_max_held_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each read alone would hold its pause for good (a pause of 10 s of decoding): only
    # the process-wide bound lets the collector on, once it has been off for
    # MAX_HELD_SECONDS, whichever read keeps it off.
    monkeypatch.setattr(slices, "PAUSE_SECONDS", 10.0)
    watcher, results = await _watched(25_000, 25_000, most=10**9)
    assert [len(result) for result in results] == [25_000, 25_000]
    assert gc.isenabled()
    elapsed = watcher.samples[-1][0] - watcher.samples[0][0]
    assert elapsed > 40 * MAX_HELD_SECONDS  # the reads took far longer than the bound
    # Without the bound the collector stays off for all of it. With it, off for the
    # bound, one slice of each read and a few turns at a time: on every 20-30 ms here.
    # The margins are for a busy machine, which can stall this process for a few
    # hundred milliseconds (CI once: 231 ms with the collector off).
    on_turns = sum(enabled for _, enabled in watcher.samples)
    assert on_turns >= elapsed / (10 * MAX_HELD_SECONDS)
    assert watcher.longest_off() < elapsed / 3


async def test_a_read_cancelled_between_slices_lets_the_collector_on() -> None:
    read = asyncio.ensure_future(slices.decoded_in_slices(deque(range(5000)), _decode, most=10**9))
    await asyncio.sleep(0.005)
    read.cancel()
    with pytest.raises(asyncio.CancelledError):
        await read
    assert gc.isenabled()
    assert paused_for() == 0.0


def test_a_held_pause_is_idempotent_and_measured() -> None:
    pause = HeldPause()
    assert paused_for() == 0.0
    pause.hold()
    pause.hold()  # already held: no second pause
    assert pause.held
    assert not gc.isenabled()
    time.sleep(0.002)
    assert paused_for() >= 0.002
    pause.release()
    assert not pause.held
    assert gc.isenabled()
    pause.release()  # already released: the collector's state is left alone
    assert gc.isenabled()
    assert paused_for() == 0.0


def test_a_read_left_suspended_on_a_stopped_loop_does_not_keep_the_collector_off(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A task mid-read, holding its pause between two slices, on a loop that stops and
    # is neither closed nor run again: the holder never comes back to let go. The
    # watchdog ends the pause (it may first sleep out a longer period begun before).
    monkeypatch.setattr(gc_pause, "ABANDONED_AFTER_SECONDS", 0.2)
    monkeypatch.setattr(slices, "PAUSE_SECONDS", 10.0)
    monkeypatch.setattr(slices, "MAX_HELD_SECONDS", 10.0)  # held at whatever turn it stops
    loop = asyncio.new_event_loop()
    try:
        read = loop.create_task(
            slices.decoded_in_slices(deque(range(100_000)), _decode, most=10**9)
        )
        loop.run_until_complete(asyncio.sleep(0.01))
        assert not read.done()
        assert not gc.isenabled()  # held across the turn the loop stopped in
        with caplog.at_level(logging.WARNING, logger="adk_sqlite.codec.fast"):
            # The watchdog ends the pause, then logs (outside its lock): wait for both.
            for _ in range(400):
                if gc.isenabled() and "never resumed" in caplog.text:
                    break
                time.sleep(0.01)
        assert gc.isenabled()
        assert paused_for() == 0.0
        assert "never resumed" in caplog.text
    finally:
        read.cancel()
        loop.run_until_complete(asyncio.gather(read, return_exceptions=True))
        loop.close()
    # The cancelled read's own release found its pause ended: nothing is counted twice.
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_forked_child_drops_the_pauses_its_parent_held() -> None:
    # A fresh process holds a pause (as a read between two slices does), then forks: the
    # child runs none of the parent's tasks, so their pauses end there, and the collector
    # is back on in the child; a holder's later release there changes nothing.
    script = textwrap.dedent(
        """
        import gc, os
        from adk_sqlite.codec.fast.gc_pause import HeldPause, paused_for

        pause = HeldPause()
        pause.hold()
        assert not gc.isenabled()
        child = os.fork()
        if child == 0:
            ok = gc.isenabled() and paused_for() == 0.0
            pause.release()
            ok = ok and gc.isenabled()
            os._exit(0 if ok else 1)
        _, status = os.waitpid(child, 0)
        assert os.waitstatus_to_exitcode(status) == 0, status
        assert not gc.isenabled()  # the parent's pause is its own, still held
        pause.release()
        assert gc.isenabled()
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_the_watchdog_starts_with_the_first_pause_held_across_a_turn() -> None:
    # A fresh process: a read that fits in one slice holds nothing across a turn and
    # starts no thread (a program that forks after short reads, as the crash tests'
    # writer does, has none to wait for); a long one starts the watchdog, a daemon.
    script = textwrap.dedent(
        """
        import asyncio, threading, time
        from collections import deque
        from adk_sqlite.codec.fast import slices

        def decode(item):  # 20 µs each: slices end by the clock, before 1,000 items
            busy_until = time.perf_counter() + 20e-6
            while time.perf_counter() < busy_until:
                pass
            return [item]

        def watchdogs():
            return [t for t in threading.enumerate() if t.name == "adk-sqlite-gc-watchdog"]

        asyncio.run(slices.decoded_in_slices(deque(range(10)), decode, most=1000))
        assert watchdogs() == [], watchdogs()
        asyncio.run(slices.decoded_in_slices(deque(range(500)), decode, most=1000))
        assert [t.daemon for t in watchdogs()] == [True], watchdogs()
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
