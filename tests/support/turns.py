"""Counting the turns of the event loop another task got while a call was awaited."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")


async def counting_turns(call: Awaitable[T]) -> tuple[T, int]:
    """What ``call`` returns, and how many times another task ran while it was awaited."""
    turns = 0
    running = True

    async def tick() -> None:
        nonlocal turns
        while running:
            turns += 1
            await asyncio.sleep(0)

    ticker = asyncio.ensure_future(tick())
    await asyncio.sleep(0)  # the ticker is running
    before = turns
    result = await call
    during = turns - before
    running = False
    await ticker
    return result, during
