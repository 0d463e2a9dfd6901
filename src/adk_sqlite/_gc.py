"""Pausing the cyclic garbage collector around bulk allocation of live objects.

Reading a long session allocates tens of thousands of containers (row tuples,
models, their dicts), every one of them kept. With google-adk loaded a process
holds about a million objects, and those allocations trigger collections that
traverse them all: measured on a 2,000-event session, half the time of
`get_session`. Nothing allocated in these loops is garbage, so the collector is
paused for their duration and runs normally afterwards.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["paused_gc"]


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Disables the collector for the block, if it was enabled, and restores it."""
    # The switch is process-wide: only the caller that turned it off turns it
    # back on, so nested or concurrent pauses never leave it disabled.
    was_enabled = gc.isenabled()
    if was_enabled:
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
