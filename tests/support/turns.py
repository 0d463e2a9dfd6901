"""Counting the turns of the event loop another task got while a call was awaited."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def counting_turns(call: Awaitable[T], *, work_per_turn: float = 0.0) -> tuple[T, int]:
    """What ``call`` returns, and how many times another task ran while it was awaited.

    ``work_per_turn``: seconds the other task keeps the loop busy in each of its turns.
    """
    turns = 0
    running = True

    async def tick() -> None:
        nonlocal turns
        while running:
            turns += 1
            busy_until = time.perf_counter() + work_per_turn
            while time.perf_counter() < busy_until:
                pass
            await asyncio.sleep(0)

    ticker = asyncio.ensure_future(tick())
    await asyncio.sleep(0)  # the ticker is running
    before = turns
    result = await call
    during = turns - before
    running = False
    await ticker
    return result, during
