"""A busy server: how long each backend keeps the event loop from running other tasks.

A heartbeat task sleeps 1 ms again and again and records how late each wake-up
is, while the backend serves one of three workloads (issue 16's table):

- **H1 appenders**: 20 sessions appended to concurrently, 100 events each (W4's shape);
- **H2 long reads**: `get_session` of one 10,000-event session, 10 times in a row;
- **H3 mixed**: H1's appends to 20 new sessions while another task reads the
  10,000-event session back to back until the appends are done;
- **H4 large events**: `get_session` of one 1,000-event session whose events are
  tool responses of 40 KiB of JSON each, 5 times in a row (a slice of a hundred
  such events is tens of milliseconds of decoding, where W1's events take one).

Per workload: the heartbeat's p50/p99/max lateness; the longest single stall (the
longest callback the loop ran, timed by wrapping ``asyncio.Handle._run``), and the
same without the garbage collections that ran inside it; the collector's pauses,
timed apart with ``gc.callbacks`` (count, total and longest, per generation; the
heartbeat's p99 over the wake-ups no collection delayed is given too); and the
operations' throughput (appends/s and their latency, reads/s). The process imports
ADK's agents and runner first, so a full collection costs what it costs in a server.
Each workload starts once the loop is quiet (`quiet_loop`): sessions an earlier
workload dropped are freed a slice per turn, and that belongs to the earlier one.

Each backend runs in its own process, on fresh files:

    python -m benchmarks.heartbeat                         # every backend, one round
    python -m benchmarks.heartbeat --backends adk-sqlite adk-sqlite-service --rounds 3
    python -m benchmarks.run --suites heartbeat            # the same, as a suite of the harness

Backends: ``adk-sqlite`` (shared file, default options), ``adk-sqlite-threads``
(``inline_io=False``), ``adk-sqlite-per-session``, ``adk-sqlite-postgres`` (a fresh
schema on ``ADK_SQLITE_BENCH_POSTGRES_DSN``; skipped without a server), ADK's
``adk-sqlite-service`` (``SqliteSessionService``) and ``adk-database-service``
(``DatabaseSessionService`` over ``sqlite+aiosqlite``; not in the default set: filling
its 10,000-event session takes about a minute).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import gc
import json
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

HEARTBEAT_BACKENDS = (
    "adk-sqlite",
    "adk-sqlite-threads",
    "adk-sqlite-per-session",
    "adk-sqlite-postgres",
    "adk-sqlite-service",
    "adk-database-service",
)
HEARTBEAT_DEFAULT = tuple(name for name in HEARTBEAT_BACKENDS if name != "adk-database-service")
HEARTBEAT_OURS = (
    "adk-sqlite",
    "adk-sqlite-threads",
    "adk-sqlite-per-session",
    "adk-sqlite-postgres",
)
WORKLOADS = (
    ("h1", "H1 20 appenders"),
    ("h2", "H2 long reads"),
    ("h3", "H3 appends + reads"),
    ("h4", "H4 reads of large events"),
)
# The reading workloads: their throughput is reads, not appends.
_READ_ONLY = ("h2", "h4")
BEAT = 0.001  # the heartbeat's sleep, seconds
STALL = 0.005  # what counts as a stall, seconds (the target)

# (key suffix, column title, higher is better); each workload's keys are "<h>_<suffix>".
_FIGURES = (
    ("beat_p50_ms", "beat p50 ms", False),
    ("beat_p99_ms", "beat p99 ms", False),
    ("beat_max_ms", "beat max ms", False),
    ("beat_p99_no_gc_ms", "beat p99 w/o GC ms", False),
    ("stall_max_ms", "longest stall ms", False),
    ("stall_max_no_gc_ms", "longest stall w/o GC ms", False),
    ("stalls_over_5ms", "stalls > 5 ms", False),
    ("stall_max_cpu_no_gc_ms", "longest stall, CPU w/o GC ms", False),
    ("cpu_stalls_over_5ms", "CPU stalls > 5 ms", False),
    # CPython runs a full collection after 11 middle ones at the earliest, so the
    # middle count is what bounds the full ones (docs/performance.md, "A busy server").
    ("gc_gen1", "middle GCs", False),
    ("gc_gen1_max_ms", "middle GC max ms", False),
    ("gc_full", "full GCs", False),
    ("gc_full_max_ms", "full GC max ms", False),
    ("gc_total_ms", "GC total ms", False),
    ("appends_per_s", "appends/s", True),
    ("append_p50_ms", "append p50 ms", False),
    ("append_p99_ms", "append p99 ms", False),
    ("reads_per_s", "reads/s", True),
    ("read_p50_ms", "read p50 ms", False),
)
HEARTBEAT_METRICS = tuple(
    (f"{workload}_{suffix}", f"{label}: {title}", higher)
    for workload, label in WORKLOADS
    for suffix, title, higher in _FIGURES
)


def heartbeat_sizes(quick: bool) -> dict[str, int]:
    """The workload sizes a run passes to each backend's process."""
    if quick:
        return {
            "events": 500, "appenders": 5, "appends": 20, "reads": 3,
            "large_events": 50, "large_kib": 40, "large_reads": 2,
        }  # fmt: skip
    return {
        "events": 10_000, "appenders": 20, "appends": 100, "reads": 10,
        "large_events": 1_000, "large_kib": 40, "large_reads": 5,
    }  # fmt: skip


# --- what the loop and the collector did ----------------------------------------------


class LoopProbe:
    """Times every callback the event loop runs, and every garbage collection.

    Installed once per process: ``asyncio.Handle._run`` is wrapped (it runs every
    callback and every task step), and a ``gc.callbacks`` entry times collections.
    """

    def __init__(self) -> None:
        self.recording = False
        # (duration, the loop thread's CPU time in it, GC time inside it)
        self.callbacks: list[tuple[float, float, float]] = []
        self.gc_pauses: list[tuple[int, float, float]] = []  # (generation, start, end)
        self.gc_seconds = 0.0  # every collection so far, for the callbacks' share
        self._gc_started = 0.0

    def install(self) -> None:
        run = asyncio.events.Handle._run
        probe = self

        def timed_run(handle: asyncio.Handle) -> None:
            if not probe.recording:
                run(handle)
                return
            gc_before = probe.gc_seconds
            start, cpu_start = time.perf_counter(), time.thread_time()
            try:
                run(handle)
            finally:
                probe.callbacks.append(
                    (
                        time.perf_counter() - start,
                        time.thread_time() - cpu_start,
                        probe.gc_seconds - gc_before,
                    )
                )

        asyncio.events.Handle._run = timed_run  # type: ignore[method-assign]
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._gc_started = now
            return
        self.gc_seconds += now - self._gc_started
        if self.recording:
            self.gc_pauses.append((info["generation"], self._gc_started, now))

    def reset(self) -> None:
        self.callbacks = []
        self.gc_pauses = []


async def heartbeat(probe: LoopProbe, stop: asyncio.Event) -> list[tuple[float, float]]:
    """Sleeps BEAT again and again until ``stop``; returns (asleep at, woke at) of each beat."""
    beats = []
    while not stop.is_set():
        start = time.perf_counter()
        await asyncio.sleep(BEAT)
        beats.append((start, time.perf_counter()))
    return beats


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] if ordered else 0.0


def loop_figures(
    beats: list[tuple[float, float]], probe: LoopProbe, prefix: str
) -> dict[str, float]:
    """The heartbeat's lateness, the stalls and the collections, as ``<prefix>_...`` keys."""
    lateness = [max(0.0, woke - asleep - BEAT) for asleep, woke in beats]
    pauses = sorted(probe.gc_pauses, key=lambda pause: pause[1])
    pause_ends = [end for _, _, end in pauses]

    def delayed_by_gc(asleep: float, woke: float) -> bool:
        index = bisect.bisect_left(pause_ends, asleep)
        return index < len(pauses) and pauses[index][1] < woke

    clean = [late for late, beat in zip(lateness, beats, strict=True) if not delayed_by_gc(*beat)]
    stalls = [duration for duration, _, _ in probe.callbacks]
    net_stalls = [duration - in_gc for duration, _, in_gc in probe.callbacks]
    # CPU time of the loop's thread: what the callback itself computed, without the
    # time the OS ran other processes (a loaded machine) or another thread held the GIL.
    cpu_stalls = [max(0.0, cpu - in_gc) for _, cpu, in_gc in probe.callbacks]
    figures = {
        "beat_p50_ms": _percentile(lateness, 0.5) * 1e3,
        "beat_p99_ms": _percentile(lateness, 0.99) * 1e3,
        "beat_max_ms": max(lateness, default=0.0) * 1e3,
        "beat_p99_no_gc_ms": _percentile(clean, 0.99) * 1e3,
        "beats": len(beats),
        "stall_max_ms": max(stalls, default=0.0) * 1e3,
        "stall_max_no_gc_ms": max(net_stalls, default=0.0) * 1e3,
        "stalls_over_5ms": sum(1 for stall in stalls if stall > STALL),
        "stall_max_cpu_no_gc_ms": max(cpu_stalls, default=0.0) * 1e3,
        "cpu_stalls_over_5ms": sum(1 for stall in cpu_stalls if stall > STALL),
        "gc_total_ms": sum(end - start for _, start, end in pauses) * 1e3,
    }
    for generation in (0, 1, 2):
        times = [end - start for gen, start, end in pauses if gen == generation]
        name = "full" if generation == 2 else f"gen{generation}"
        figures[f"gc_{name}"] = len(times)
        figures[f"gc_{name}_total_ms"] = sum(times) * 1e3
        figures[f"gc_{name}_max_ms"] = max(times, default=0.0) * 1e3
    return {f"{prefix}_{key}": value for key, value in figures.items()}


QUIET_LATENESS = 0.0005  # a sleep this little late: nothing else ran in the loop meanwhile
QUIET_BEATS = 10  # that many in a row: the loop is quiet
QUIET_WAIT_LIMIT = 10.0  # seconds; a loop still busy then is measured as it is


async def quiet_loop() -> float:
    """Waits until nothing but this task runs in the event loop; returns the seconds waited.

    A session a read returned is freed a slice per turn of the loop once dropped: after
    the warm-up reads, or H2's last read, that work goes on for a few hundred
    milliseconds. It belongs to the reads; a workload that began meanwhile would be
    measured with it (H1's heartbeat p99 was 5.1 ms that way, 3.7 ms once the loop had
    settled: 2026-12-05, docs/performance.md).
    """
    started = time.perf_counter()
    quiet = 0
    while quiet < QUIET_BEATS and time.perf_counter() - started < QUIET_WAIT_LIMIT:
        asleep = time.perf_counter()
        await asyncio.sleep(BEAT)
        late = time.perf_counter() - asleep - BEAT
        quiet = quiet + 1 if late < QUIET_LATENESS else 0
    return time.perf_counter() - started


async def observed(
    probe: LoopProbe, prefix: str, workload: Callable[[], Awaitable[dict[str, float]]]
) -> dict[str, float]:
    """Runs ``workload`` with the heartbeat beside it; its figures and the loop's.

    The workload starts on a quiet loop (`quiet_loop`) and a fresh collector state.
    """
    settled = await quiet_loop()
    gc.collect()  # every workload starts from the same collector state
    probe.reset()
    stop = asyncio.Event()
    beating = asyncio.ensure_future(heartbeat(probe, stop))
    await asyncio.sleep(0.01)
    probe.recording = True
    try:
        # A task of its own: this step began before the recording did.
        figures = await asyncio.ensure_future(workload())
    finally:
        probe.recording = False
        stop.set()
        beats = await beating
    return {**{f"{prefix}_{key}": value for key, value in figures.items()},
            f"{prefix}_settle_s": settled,
            **loop_figures(beats, probe, prefix)}  # fmt: skip


# --- the backends ---------------------------------------------------------------------


@asynccontextmanager
async def open_service(name: str, folder: Path) -> AsyncIterator[Any]:
    """Backend ``name`` as an ADK ``BaseSessionService`` on fresh storage in ``folder``."""
    if name == "adk-sqlite-postgres":
        from adk_sqlite import SessionService
        from benchmarks.artifact_subjects import _postgres

        async with _postgres(folder) as store, SessionService(store) as service:
            yield service
        return
    from benchmarks.subjects import ServiceSubject, open_subject

    peer = "adk-database-service" if name == "adk-database-service" else name
    async with open_subject(peer, folder / "heartbeat.db") as subject:
        assert isinstance(subject, ServiceSubject)
        yield subject.service


# --- the workloads --------------------------------------------------------------------

APP = "heartbeat"


async def fill_long_session(service: Any, events: int) -> None:
    """The session H2 and H3 read (not timed)."""
    from benchmarks.subjects import make_event

    session = await service.create_session(app_name=APP, user_id="reader", session_id="long")
    base = time.time() - events * 0.001
    for index in range(events):
        await service.append_event(
            session, make_event(index, timestamp=base + index * 0.001, scope="long")
        )


Appenders = tuple[list[Any], list[list[Any]]]


async def new_appenders(service: Any, sessions: int, appends: int, scope: str) -> Appenders:
    """``sessions`` new sessions and the events to append to each (made before the clock runs)."""
    from benchmarks.subjects import make_event

    handles = [
        await service.create_session(app_name=APP, user_id="writer", session_id=f"{scope}{n}")
        for n in range(sessions)
    ]
    base = time.time()
    prepared = [
        [make_event(i, timestamp=base + i * 0.001, scope=f"{scope}{n}") for i in range(appends)]
        for n in range(sessions)
    ]
    return handles, prepared


async def append_concurrently(service: Any, appenders: Appenders) -> dict[str, float]:
    """One task per session, each appending its events in turn."""
    handles, prepared = appenders
    latencies: list[float] = []

    async def append_all(index: int) -> None:
        for event in prepared[index]:
            began = time.perf_counter()
            await service.append_event(handles[index], event)
            latencies.append(time.perf_counter() - began)

    start = time.perf_counter()
    await asyncio.gather(*(append_all(n) for n in range(len(handles))))
    elapsed = time.perf_counter() - start
    return {
        "appends_per_s": len(latencies) / elapsed,
        "append_p50_ms": _percentile(latencies, 0.5) * 1e3,
        "append_p99_ms": _percentile(latencies, 0.99) * 1e3,
    }


def large_response(kib: int) -> dict[str, Any]:
    """A tool's answer of about ``kib`` KiB of JSON: rows of a search result."""
    rows = [
        {"id": row, "title": f"result {row}", "score": row / 7, "tags": ["doc", "web"]}
        for row in range(kib * 1024 // 80)
    ]
    return {"rows": rows}


async def fill_large_session(service: Any, events: int, kib: int) -> None:
    """The session H4 reads: tool responses of ``kib`` KiB each (not timed)."""
    from google.adk.events.event import Event
    from google.genai import types

    session = await service.create_session(app_name=APP, user_id="reader", session_id="large")
    response = large_response(kib)
    base = time.time() - events * 0.001
    for index in range(events):
        part = types.Part(
            function_response=types.FunctionResponse(
                id=f"call-{index}", name="search", response=response
            )
        )
        await service.append_event(
            session,
            Event(
                id=f"large-{index:06d}",
                invocation_id=f"inv-{index // 4}",
                author="researcher",
                timestamp=base + index * 0.001,
                content=types.Content(role="user", parts=[part]),
            ),
        )


async def read_long_session(service: Any, session_id: str = "long") -> int:
    session = await service.get_session(app_name=APP, user_id="reader", session_id=session_id)
    return len(session.events)


async def read_repeatedly(
    service: Any, reads: int, events: int, session_id: str = "long"
) -> dict[str, float]:
    timings = []
    start = time.perf_counter()
    for _ in range(reads):
        began = time.perf_counter()
        got = await read_long_session(service, session_id)
        timings.append(time.perf_counter() - began)
        if got != events:
            raise AssertionError(f"read {got} events of the {events} appended")
    elapsed = time.perf_counter() - start
    return {"reads_per_s": reads / elapsed, "read_p50_ms": statistics.median(timings) * 1e3}


async def appends_beside_reads(service: Any, appenders: Appenders, events: int) -> dict[str, float]:
    """H3: the appenders, and a reader reading the long session until they are done."""
    done = asyncio.Event()
    timings: list[float] = []

    async def read_until_done() -> None:
        while not done.is_set():
            began = time.perf_counter()
            got = await read_long_session(service)
            timings.append(time.perf_counter() - began)
            if got != events:
                raise AssertionError(f"read {got} events of the {events} appended")
            # One turn of the loop between reads, as between two requests: a read that
            # never suspends would otherwise starve the appenders for good.
            await asyncio.sleep(0)

    reader = asyncio.ensure_future(read_until_done())
    start = time.perf_counter()
    try:
        figures = await append_concurrently(service, appenders)
    finally:
        done.set()
        await reader
    elapsed = time.perf_counter() - start
    figures["reads_per_s"] = len(timings) / elapsed
    figures["read_p50_ms"] = statistics.median(timings) * 1e3 if timings else 0.0
    return figures


async def run_backend_here(name: str, folder: Path, sizes: dict[str, int]) -> dict[str, Any]:
    """Every workload on backend ``name``, in this process."""
    import google.adk.agents  # an application's heap: ADK's agents and runner
    import google.adk.runners  # noqa: F401

    from benchmarks.artifact_subjects import Unavailable

    probe = LoopProbe()
    probe.install()
    result: dict[str, Any] = {"backend": name, "checks": []}
    events, sessions, appends = sizes["events"], sizes["appenders"], sizes["appends"]
    try:
        async with open_service(name, folder) as service:
            fill_started = time.perf_counter()
            await fill_long_session(service, events)
            await fill_large_session(service, sizes["large_events"], sizes["large_kib"])
            result["fill_s"] = time.perf_counter() - fill_started
            await read_long_session(service)  # warm-up: first-use work is no stall of a server
            await read_long_session(service, "large")
            first = await new_appenders(service, sessions, appends, "h1")
            second = await new_appenders(service, sessions, appends, "h3")
            workloads = {
                "h1": lambda: append_concurrently(service, first),
                "h2": lambda: read_repeatedly(service, sizes["reads"], events),
                "h3": lambda: appends_beside_reads(service, second, events),
                "h4": lambda: read_repeatedly(
                    service, sizes["large_reads"], sizes["large_events"], "large"
                ),
            }
            for prefix, workload in workloads.items():
                try:
                    result.update(await observed(probe, prefix, workload))
                except Exception as exc:  # one workload failing leaves the others' figures
                    result["checks"].append(f"{prefix}: {type(exc).__name__}: {exc}"[:300])
    except Unavailable as exc:
        result["skipped"] = str(exc)
    except Exception as exc:
        result["checks"].append(f"crashed: {type(exc).__name__}: {exc}"[:300])
    return result


# --- the report -----------------------------------------------------------------------

_TABLE_FIGURES = (
    "beat_p50_ms",
    "beat_p99_ms",
    "beat_max_ms",
    "beat_p99_no_gc_ms",
    "stall_max_ms",
    "stall_max_no_gc_ms",
    "stalls_over_5ms",
    "stall_max_cpu_no_gc_ms",
    "cpu_stalls_over_5ms",
    "gc_gen1",
    "gc_gen1_max_ms",
    "gc_full",
    "gc_full_max_ms",
    "gc_total_ms",
)


def heartbeat_markdown(summary: dict[str, Any], backends: list[str]) -> str:
    """One table per workload: the loop's figures, then the operations' throughput."""
    from benchmarks.run import _fmt

    titles = {suffix: title for suffix, title, _ in _FIGURES}
    lines = [
        "A busy server (heartbeat: sleep 1 ms, how late each wake-up is; medians over"
        " rounds, min-max in brackets):",
    ]
    for workload, label in WORKLOADS:
        operations = ("appends_per_s", "append_p50_ms", "append_p99_ms")
        if workload != "h1":
            operations = (*operations, "reads_per_s", "read_p50_ms")
        if workload in _READ_ONLY:
            operations = ("reads_per_s", "read_p50_ms")
        columns = (*_TABLE_FIGURES, *operations)
        lines += [
            "",
            f"{label}:",
            "",
            "| backend | " + " | ".join(titles[c] for c in columns) + " |",
            "|---|" + "---|" * len(columns),
        ]
        for backend in backends:
            entry = summary.get(backend, {})
            if entry.get("skipped"):
                continue
            cells = []
            for column in columns:
                value = entry.get(f"{workload}_{column}")
                if value is None:
                    cells.append("n/a")
                elif value["min"] == value["max"]:
                    cells.append(_fmt(value["median"]))
                else:
                    cells.append(
                        f"{_fmt(value['median'])} ({_fmt(value['min'])}-{_fmt(value['max'])})"
                    )
            flag = " **FAILED: " + "; ".join(entry["checks"]) + "**" if entry.get("checks") else ""
            lines.append(f"| {backend}{flag} | " + " | ".join(cells) + " |")
    for backend in backends:
        for reason in summary.get(backend, {}).get("skipped", []):
            lines += ["", f"Skipped {backend}: {reason}"]
    return "\n".join(lines) + "\n"


def _worker_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.heartbeat BACKEND FOLDER")
    parser.add_argument("backend", choices=HEARTBEAT_BACKENDS)
    parser.add_argument("folder", type=Path)
    for name, default in heartbeat_sizes(quick=False).items():
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=int, default=default)
    args = parser.parse_args(argv)
    sizes = {name: getattr(args, name) for name in heartbeat_sizes(quick=False)}
    args.folder.mkdir(parents=True, exist_ok=True)
    print(json.dumps(asyncio.run(run_backend_here(args.backend, args.folder, sizes))))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in HEARTBEAT_BACKENDS:
        _worker_main(argv)
        return 0
    from benchmarks.run import run_backend, summarise

    parser = argparse.ArgumentParser(prog="python -m benchmarks.heartbeat", description=__doc__)
    parser.add_argument(
        "--backends", nargs="+", default=list(HEARTBEAT_DEFAULT), choices=HEARTBEAT_BACKENDS
    )
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="small sizes (smoke)")
    parser.add_argument("--out", type=Path, default=None, help="also write the raw JSON here")
    args = parser.parse_args(argv)
    sizes = heartbeat_sizes(args.quick)
    rounds = []
    with tempfile.TemporaryDirectory(prefix="adk-sqlite-heartbeat-") as scratch:
        for number in range(args.rounds):
            shift = number % len(args.backends)
            results = []
            for backend in args.backends[shift:] + args.backends[:shift]:
                print(f"round {number + 1}/{args.rounds}: {backend}", file=sys.stderr)
                folder = Path(scratch) / f"round{number}" / backend
                folder.mkdir(parents=True)
                results.append(run_backend(backend, folder, sizes, "benchmarks.heartbeat"))
            rounds.append(results)
    summary = summarise(rounds, args.backends, HEARTBEAT_METRICS)
    print(heartbeat_markdown(summary, args.backends))
    if args.out is not None:
        args.out.write_text(json.dumps(rounds, indent=2))
    return 1 if any(summary[b]["checks"] for b in args.backends) else 0


if __name__ == "__main__":
    raise SystemExit(main())
