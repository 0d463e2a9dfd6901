"""Letting adk-sqlite finish freeing a dropped session before the next timed call.

A long session that adk-sqlite returned is freed a slice at a time on the event loop
once the caller drops it (`adk_sqlite.codec.fast.release`), where ADK's services free
theirs at once, inside ``del``. Timing reads back to back would put the freeing of one
read in the next read's time, for adk-sqlite alone. So a workload calls
`freed_behind` after dropping a result: the loop runs until the lists are freed, and
the next call starts, for every backend, with nothing of the last one left to free.
"""

from __future__ import annotations

import asyncio
import sys
import time

__all__ = ["freed_behind"]

_RELEASE_MODULE = "adk_sqlite.codec.fast.release"
# Freeing 100,000 events takes about a second here; a list never freed (its loop
# stopped) must not hang the run.
_MOST_SECONDS = 60.0


async def freed_behind() -> None:
    """Returns once adk-sqlite has freed every session dropped so far (at once when it
    is not loaded: a process of another backend never imports it)."""
    release = sys.modules.get(_RELEASE_MODULE)
    if release is None:
        return
    deadline = time.perf_counter() + _MOST_SECONDS
    while time.perf_counter() < deadline:
        if not release.lists_being_freed():
            return
        await asyncio.sleep(0)  # a turn of the loop: the freeing goes on in it
