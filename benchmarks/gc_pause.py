"""What pausing the garbage collector buys a large ``get_session``, measured in pairs.

One process, one 2,000-event session on a file (W2's text events, or W2r's
realistic turns), read again and again with the pause as it is (a scoped
``gc.disable()``), with no pause at all, and with the ``gc.freeze()`` move the
library used before (for comparison only: it moved every object of the process).
The variants alternate within each round, so the machine's speed swings hit them
alike. Each round times ten reads one after the other, to their return, and
the whole sequence, which also counts the collections a read leaves for later
and the freeing of the previous result. ``fast_decoding=False`` reads are
timed too, with the pause as it is.

    python -m benchmarks.gc_pause [--workload w2|w2r] [--rounds 8]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import google.adk.agents  # an application's heap: ADK's agents and runner
import google.adk.runners  # noqa: F401

import adk_sqlite.adk.sessions
import adk_sqlite.codec.fast
import adk_sqlite.sqlite.shared_file.jobs
from adk_sqlite import SessionService, SqliteStore
from benchmarks.subjects import make_event, make_turn_events

_PAUSING_MODULES = (
    adk_sqlite.codec.fast,
    adk_sqlite.adk.sessions,
    adk_sqlite.sqlite.shared_file.jobs,
)


@contextlib.contextmanager
def _freeze_move() -> Iterator[None]:
    """The previous pause: the block's objects (and everyone else's) to the oldest generation."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()


VARIANTS: dict[str, Callable[[], Any]] = {
    "scoped pause": adk_sqlite.codec.fast.paused_gc,
    "no pause": contextlib.nullcontext,
    "freeze move (before)": _freeze_move,
    "scoped pause, fast_decoding=False": adk_sqlite.codec.fast.paused_gc,
}


def _use(pause: Callable[[], Any]) -> None:
    for module in _PAUSING_MODULES:
        module.paused_gc = pause  # type: ignore[attr-defined]


async def _fill(service: SessionService, workload: str) -> None:
    session = await service.create_session(app_name="a", user_id="u", session_id="s")
    base = time.time()
    if workload == "w2":
        events = [make_event(index, timestamp=base + index * 0.001) for index in range(2000)]
    else:
        events = [
            event
            for turn in range(500)
            for event in make_turn_events(turn, timestamp=base + turn * 0.001)
        ]
    for event in events:
        await service.append_event(session, event)


async def _round(service: SessionService) -> tuple[float, float]:
    """Median ms of ten reads to their return, and ms per read of the whole sequence."""
    await service.get_session(app_name="a", user_id="u", session_id="s")  # warm
    returned = []
    start = time.perf_counter()
    for _ in range(10):
        began = time.perf_counter()
        read = await service.get_session(app_name="a", user_id="u", session_id="s")
        returned.append(time.perf_counter() - began)
        del read
    per_read = (time.perf_counter() - start) / 10
    return statistics.median(returned) * 1e3, per_read * 1e3


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", choices=["w2", "w2r"], default="w2")
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    store = SqliteStore(Path(tempfile.mkdtemp()) / "sessions.db")
    await store.create_tables()
    services = {name: SessionService(store, fast_decoding="False" not in name) for name in VARIANTS}
    await _fill(services["scoped pause"], args.workload)
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in VARIANTS}
    for index in range(args.rounds):
        names = list(VARIANTS) if index % 2 == 0 else list(reversed(VARIANTS))
        for name in names:
            _use(VARIANTS[name])
            results[name].append(await _round(services[name]))
    _use(adk_sqlite.codec.fast.paused_gc)
    await store.close()
    print(f"{args.workload}, {args.rounds} rounds; {len(gc.get_objects())} objects tracked")
    for name, rounds in results.items():
        call = [first for first, _ in rounds]
        sequence = [second for _, second in rounds]
        print(
            f"{name:36} get_session {statistics.median(call):6.2f} ms"
            f" ({min(call):.2f}-{max(call):.2f});"
            f" per read in a sequence {statistics.median(sequence):6.2f} ms"
            f" ({min(sequence):.2f}-{max(sequence):.2f})"
        )


if __name__ == "__main__":
    asyncio.run(main())
