"""Runs the workloads of one backend in this process and prints JSON.

Started by `benchmarks.run`, one process per backend per round, each on fresh
database files, so backends never share caches, threads or memory figures.
Besides timings it records correctness: the events read back must be the ones
appended, and "the n most recent" must really be the newest n.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

from benchmarks.settle import freed_behind
from benchmarks.subjects import (
    Subject,
    make_event,
    make_turn_events,
    open_subject,
    per_session_folder,
)

RECENT = 20


async def round_trip_microseconds(samples: int = 300) -> float:
    """Median cost of one event loop -> worker thread -> event loop round trip."""
    import aiosqlite

    async with aiosqlite.connect(":memory:") as connection:
        timings = []
        for _ in range(samples):
            start = time.perf_counter()
            await connection.execute("SELECT 1")
            timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1e6


async def w1_w2(subject: Subject, events: int, checks: list[str]) -> dict[str, Any]:
    base = time.time()
    prepared = [make_event(i, timestamp=base + i * 0.001) for i in range(events)]
    handle = await subject.create("u0", "w1", {"started": True})
    latencies = []
    start = time.perf_counter()
    for event in prepared:
        began = time.perf_counter()
        await subject.append(handle, event)
        latencies.append(time.perf_counter() - began)
    elapsed = time.perf_counter() - start
    expected = [event.id for event in prepared]

    all_ids = subject.ids_of(await subject.read("u0", "w1", None))  # warm-up, and the check
    if all_ids != expected:
        checks.append(f"W2 all: got {len(all_ids)} events, not the {events} appended in order")
    recent_ids = subject.ids_of(await subject.read("u0", "w1", RECENT))
    if recent_ids != expected[-RECENT:]:
        checks.append(f"W2 recent {RECENT}: not the newest {RECENT} events, oldest first")
    get_all = [await _timed_call(subject.read("u0", "w1", None)) for _ in range(5)]
    get_recent = [await _timed_call(subject.read("u0", "w1", RECENT)) for _ in range(20)]
    latencies.sort()
    return {
        "w1_events_per_s": events / elapsed,
        "w1_p50_ms": latencies[len(latencies) // 2] * 1e3,
        "w1_p99_ms": latencies[int(len(latencies) * 0.99)] * 1e3,
        "w2_get_all_ms": statistics.median(returned for returned, _ in get_all) * 1e3,
        "w2_get_all_released_ms": statistics.median(released for _, released in get_all) * 1e3,
        "w2_get_recent_ms": statistics.median(returned for returned, _ in get_recent) * 1e3,
    }


async def w2_realistic(subject: Subject, events: int, checks: list[str]) -> dict[str, Any]:
    """W2r: ``get_session`` of a session of realistic agent turns (not timed: the appends)."""
    base = time.time()
    prepared = [
        event
        for turn in range(events // 4)
        for event in make_turn_events(turn, timestamp=base + turn * 0.001)
    ]
    handle = await subject.create("u0", "w2r", {})
    for event in prepared:
        await subject.append(handle, event)
    expected = [event.id for event in prepared]
    if subject.ids_of(await subject.read("u0", "w2r", None)) != expected:  # warm-up, and the check
        checks.append(f"W2r: not the {len(expected)} realistic events appended, in order")
    timings = [await _timed_call(subject.read("u0", "w2r", None)) for _ in range(5)]
    return {"w2r_get_all_ms": statistics.median(returned for returned, _ in timings) * 1e3}


async def _timed_call(call: Awaitable[Any]) -> tuple[float, float]:
    """Seconds until the call returned, and until its result was also released.

    A read is timed to its return, as the benchmark plan measures "ms per
    call": freeing what it returned happens later, when the caller drops it
    (after an agent's turn, say). Releasing a 2,000-event session costs every
    backend a few ms of Python deallocation, so that second figure is recorded
    too, for W2, and shown in the table. It runs until adk-sqlite, which frees a
    long session over later turns of the loop, has freed it (`freed_behind`), so
    that the freeing is in this figure and not in the next call's time.
    """
    start = time.perf_counter()
    result = await call
    returned = time.perf_counter()
    del result
    await freed_behind()
    return returned - start, time.perf_counter() - start


async def w3(subject: Subject, sessions: int, checks: list[str]) -> dict[str, Any]:
    start = time.perf_counter()
    for n in range(sessions):
        await subject.create(f"user{n % 10}", f"s{n}", {"n": n, "tier": "gold"})
    created = time.perf_counter() - start
    if subject.count_of(await subject.list_sessions("user3")) != sessions // 10:
        checks.append("W3: list_sessions(app, user) returned the wrong number of sessions")
    if subject.count_of(await subject.list_sessions(None)) != sessions:
        checks.append("W3: list_sessions(app) returned the wrong number of sessions")
    per_user = [(await _timed_call(subject.list_sessions("user3")))[0] for _ in range(5)]
    per_app = [(await _timed_call(subject.list_sessions(None)))[0] for _ in range(5)]
    return {
        "w3_create_per_s": sessions / created,
        "w3_list_user_ms": statistics.median(per_user) * 1e3,
        "w3_list_all_ms": statistics.median(per_app) * 1e3,
    }


async def w4(subject: Subject, sessions: int, events: int, checks: list[str]) -> dict[str, Any]:
    handles = [await subject.create("w4", f"c{n}", {}) for n in range(sessions)]
    base = time.time()

    failures: list[str] = []
    # Built before the clock starts, as in W1: the workload times the service.
    prepared = [
        [make_event(i, timestamp=base + i * 0.001, scope=f"c{n}") for i in range(events)]
        for n in range(sessions)
    ]

    async def append_all(index: int) -> None:
        for event in prepared[index]:
            try:
                await subject.append(handles[index], event)
            except Exception as exc:
                failures.append(f"{type(exc).__name__}: {exc}"[:160])

    start = time.perf_counter()
    await asyncio.gather(*(append_all(n) for n in range(sessions)))
    elapsed = time.perf_counter() - start
    if failures:
        checks.append(f"W4: {len(failures)} appends failed ({failures[0]})")
    for n in (0, sessions - 1):
        if len(subject.ids_of(await subject.read("w4", f"c{n}", None))) != events:
            checks.append(f"W4: session c{n} lost events")
    return {"w4_events_per_s": sessions * events / elapsed}


def w5(
    backend: str, folder: Path, processes: int, events: int, checks: list[str]
) -> dict[str, Any]:
    database = folder / "w5.db"
    asyncio.run(_w5_prepare(backend, database))
    go = folder / "w5.go"
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "benchmarks.worker", "--w5-child", backend, str(database),
             str(n), str(events), str(go)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(processes)
    ]  # fmt: skip
    time.sleep(1.0)  # let every child import and open its database
    go.touch()
    outputs = [json.loads(child.communicate(timeout=600)[0]) for child in children]
    # From the first append to the last, as the children saw it: process start-up
    # and shutdown are no part of the workload.
    elapsed = max(o["finished"] for o in outputs) - min(o["started"] for o in outputs)
    appended = sum(output["appended"] for output in outputs)
    errors = sum(output["errors"] for output in outputs)
    if errors:
        checks.append(f"W5: {errors} appends failed ({outputs[0]['first_error']})")
    return {"w5_events_per_s": appended / elapsed, "w5_errors": errors}


async def _w5_prepare(backend: str, database: Path) -> None:
    async with open_subject(backend, database) as subject:
        await subject.create("setup", "setup", {})


async def _w5_child(backend: str, database: Path, index: int, events: int, go: Path) -> None:
    base = time.time()
    prepared = [make_event(i, timestamp=base + i * 0.001, scope=f"p{index}") for i in range(events)]
    async with open_subject(backend, database) as subject:
        handle = await subject.create("w5", f"p{index}", {})
        while not go.exists():  # noqa: ASYNC110, ASYNC240 - a file is the start signal across processes
            await asyncio.sleep(0.001)
        appended = errors = 0
        first_error = ""
        started = time.time()
        for event in prepared:
            try:
                await subject.append(handle, event)
                appended += 1
            except Exception as exc:
                errors += 1
                first_error = first_error or f"{type(exc).__name__}: {exc}"[:200]
        finished = time.time()
    print(
        json.dumps(
            {
                "appended": appended,
                "errors": errors,
                "first_error": first_error,
                "started": started,
                "finished": finished,
            }
        )
    )


def database_size(path: Path) -> int:
    files = [path, path.with_name(path.name + "-wal")]
    folder = per_session_folder(path)  # the one-file-per-session layout: every file in it
    if folder.is_dir():
        files += [candidate for candidate in folder.rglob("*") if candidate.is_file()]
    return sum(candidate.stat().st_size for candidate in files if candidate.exists())


async def run_in_process(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(args.folder)
    checks: list[str] = []
    result: dict[str, Any] = {
        "backend": args.backend,
        "round_trip_us_start": await round_trip_microseconds(),
    }
    w1_path = folder / "w1.db"
    async with open_subject(args.backend, w1_path) as subject:
        result.update(await _guarded("W1/W2", w1_w2(subject, args.events, checks), checks))
    # Measured closed: a closed SQLite database has checkpointed its WAL.
    result["m_db_mib"] = database_size(w1_path) / 2**20
    async with open_subject(args.backend, folder / "w2r.db") as subject:
        result.update(await _guarded("W2r", w2_realistic(subject, args.events, checks), checks))
    async with open_subject(args.backend, folder / "w3.db") as subject:
        result.update(await _guarded("W3", w3(subject, args.sessions, checks), checks))
    async with open_subject(args.backend, folder / "w4.db") as subject:
        workload = w4(subject, args.concurrent_sessions, args.concurrent_events, checks)
        result.update(await _guarded("W4", workload, checks))
        false_stale = getattr(subject, "false_stale", 0)
    if false_stale:
        checks.append(
            f"{false_stale} legitimate appends rejected as stale (retried after a re-read)"
        )
    result["m_peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["round_trip_us_end"] = await round_trip_microseconds()
    result["checks"] = checks
    return result


async def _guarded(name: str, workload: Any, checks: list[str]) -> dict[str, Any]:
    """Runs a workload; a crash is recorded as a failed check, not the end of the run."""
    try:
        figures: dict[str, Any] = await workload
    except Exception as exc:
        checks.append(f"{name} crashed: {type(exc).__name__}: {exc}"[:200])
        return {}
    return figures


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--w5-child":
        backend, database, index, events, go = sys.argv[2:7]
        asyncio.run(_w5_child(backend, Path(database), int(index), int(events), Path(go)))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("backend")
    parser.add_argument("folder")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--concurrent-sessions", type=int, default=20)
    parser.add_argument("--concurrent-events", type=int, default=100)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--process-events", type=int, default=500)
    args = parser.parse_args()
    os.makedirs(args.folder, exist_ok=True)
    result = asyncio.run(run_in_process(args))
    if args.backend != "adk-inmemory":  # in memory: nothing is shared between processes
        result.update(w5(args.backend, Path(args.folder), args.processes, args.process_events,
                         result["checks"]))  # fmt: skip
    print(json.dumps(result))


if __name__ == "__main__":
    main()
