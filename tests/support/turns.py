"""Counting the turns of the event loop another task got while a call was awaited."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Sequence
from typing import TypeVar

T = TypeVar("T")


async def counting_turns(
    call: Awaitable[T], *, work_per_turn: float | Sequence[float] = 0.0
) -> tuple[T, int]:
    """What ``call`` returns, and how many times another task ran while it was awaited.

    ``work_per_turn``: seconds the other task keeps the loop busy in each of its turns;
    or a sequence, the seconds of each of its turns once ``call`` is awaited, one after
    the other, and none in the turns after the last.
    """
    turns = 0
    running = True

    started = False
    turns_since_started = 0

    def work() -> float:
        nonlocal turns_since_started
        if isinstance(work_per_turn, float | int):
            return work_per_turn
        if not started:
            return 0.0
        turns_since_started += 1
        index = turns_since_started - 1
        return work_per_turn[index] if index < len(work_per_turn) else 0.0

    async def tick() -> None:
        nonlocal turns
        while running:
            turns += 1
            busy_until = time.perf_counter() + work()
            while time.perf_counter() < busy_until:
                pass
            await asyncio.sleep(0)

    ticker = asyncio.ensure_future(tick())
    await asyncio.sleep(0)  # the ticker is running
    before = turns
    started = True
    result = await call
    during = turns - before
    running = False
    await ticker
    return result, during
