"""A heartbeat task that shows whether the event loop kept running during an operation."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass


@dataclass
class Heartbeat:
    """What a task that sleeps 1 ms in a loop saw: how often it woke, its longest wait."""

    ticks: int = 0
    longest_stall: float = 0.0


@asynccontextmanager
async def heartbeat() -> AsyncIterator[Heartbeat]:
    """Runs a 1 ms heartbeat for the body of the ``async with``, and stops it after."""
    seen = Heartbeat()
    running = True

    async def beat() -> None:
        while running:
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            seen.longest_stall = max(seen.longest_stall, time.perf_counter() - before)
            seen.ticks += 1

    beats = asyncio.ensure_future(beat())
    await asyncio.sleep(0)  # the heartbeat is running before the body starts
    try:
        yield seen
    finally:
        running = False
        await beats
