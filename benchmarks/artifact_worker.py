"""Runs the artifact workloads (A1-A4) of one backend in this process and prints JSON.

Started by `benchmarks.run`, one process per backend per round, on fresh storage
for each workload. Every answer is checked: a save returns the next version, a
load returns exactly the ``Part`` saved last under its name (bytes and mime type),
and the keys listed are the names saved. The parts are built before the clock
starts, so a workload times the service.

    A1  N sequential saves of 1 KiB (inline_data bytes) across NAMES names
    A2  N sequential loads of the latest version of those names
    A3  M saves of 1 MiB across NAMES names, then M loads of the latest
    A4  list_artifact_keys of a session holding K artifacts (saving them: untimed)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from google.genai import types

from benchmarks.artifact_subjects import (
    APP,
    USER,
    ArtifactSubject,
    Unavailable,
    open_artifact_subject,
)
from benchmarks.worker import round_trip_microseconds

SMALL = 1 << 10  # A1/A2: 1 KiB
LARGE = 1 << 20  # A3: 1 MiB
NAMES = 5  # "a handful of names": each gets N / NAMES versions
LIST_CALLS = 10  # A4: timed calls, after one untimed (the check)
MIME = "application/octet-stream"

# A workload: (subject, its size, the failed checks to add to) -> its figures.
Workload = Callable[[ArtifactSubject, int, list[str]], Awaitable[dict[str, Any]]]


def make_part(index: int, size: int) -> types.Part:
    """Distinct bytes per save (its index first), so a stale version is caught."""
    head = f"{index:08d}".encode()
    body = random.Random(index).randbytes(size - len(head))
    return types.Part(inline_data=types.Blob(mime_type=MIME, data=head + body))


def _same(loaded: types.Part | None, saved: types.Part) -> bool:
    return (
        loaded is not None
        and loaded.inline_data is not None
        and saved.inline_data is not None
        and loaded.inline_data.data == saved.inline_data.data
        and loaded.inline_data.mime_type == saved.inline_data.mime_type
        and loaded == saved
    )


async def _save_many(
    subject: ArtifactSubject, session: str, names: list[str], parts: list[types.Part]
) -> tuple[list[float], list[int], float]:
    """Saves ``parts`` in order, part i under ``names[i % len(names)]``."""
    service = subject.service
    latencies = []
    versions = []
    start = time.perf_counter()
    for i, part in enumerate(parts):
        began = time.perf_counter()
        version = await service.save_artifact(
            app_name=APP, user_id=USER, session_id=session, filename=names[i % len(names)],
            artifact=part,
        )  # fmt: skip
        latencies.append(time.perf_counter() - began)
        versions.append(version)
    return latencies, versions, time.perf_counter() - start


async def _load_many(
    subject: ArtifactSubject, session: str, names: list[str], count: int
) -> tuple[list[float], list[types.Part | None], float]:
    """Loads the latest version ``count`` times, cycling through ``names``."""
    service = subject.service
    latencies = []
    loaded = []
    start = time.perf_counter()
    for i in range(count):
        began = time.perf_counter()
        part = await service.load_artifact(
            app_name=APP, user_id=USER, session_id=session, filename=names[i % len(names)]
        )
        latencies.append(time.perf_counter() - began)
        loaded.append(part)
    return latencies, loaded, time.perf_counter() - start


def _latest(parts: list[types.Part], names: int) -> list[types.Part]:
    """The part saved last under each name (part i went under name i % names)."""
    return [parts[max(range(k, len(parts), names))] for k in range(names)]


def _check_saves(workload: str, versions: list[int], names: int, checks: list[str]) -> None:
    expected = [i // names for i in range(len(versions))]
    if versions != expected:
        wrong = next(
            i for i, pair in enumerate(zip(versions, expected, strict=True)) if pair[0] != pair[1]
        )
        checks.append(
            f"{workload}: save {wrong} returned version {versions[wrong]}, not {expected[wrong]}"
        )


def _check_loads(
    workload: str,
    loaded: list[types.Part | None],
    latest: list[types.Part],
    checks: list[str],
) -> None:
    wrong = [i for i, part in enumerate(loaded) if not _same(part, latest[i % len(latest)])]
    if wrong:
        checks.append(
            f"{workload}: {len(wrong)} of {len(loaded)} loads were not the part saved last"
            f" (first: load {wrong[0]})"
        )


async def a1_a2(subject: ArtifactSubject, saves: int, checks: list[str]) -> dict[str, Any]:
    names = [f"notes-{k}.bin" for k in range(min(NAMES, saves))]
    parts = [make_part(i, SMALL) for i in range(saves)]
    await subject.ensure_session(USER, "a1")
    latencies, versions, elapsed = await _save_many(subject, "a1", names, parts)
    _check_saves("A1", versions, len(names), checks)
    latest = _latest(parts, len(names))
    _, warm_loaded, _ = await _load_many(subject, "a1", names, len(names))  # warm-up, a check
    _check_loads("A2 (warm-up)", warm_loaded, latest, checks)
    load_latencies, loaded, load_elapsed = await _load_many(subject, "a1", names, saves)
    _check_loads("A2", loaded, latest, checks)
    return {
        "a1_saves_per_s": saves / elapsed,
        "a1_p50_us": statistics.median(latencies) * 1e6,
        "a1_p99_us": sorted(latencies)[int(len(latencies) * 0.99)] * 1e6,
        "a2_loads_per_s": saves / load_elapsed,
        "a2_p50_us": statistics.median(load_latencies) * 1e6,
        "a2_p99_us": sorted(load_latencies)[int(len(load_latencies) * 0.99)] * 1e6,
    }


async def a3(subject: ArtifactSubject, saves: int, checks: list[str]) -> dict[str, Any]:
    names = [f"image-{k}.bin" for k in range(min(NAMES, saves))]
    parts = [make_part(i, LARGE) for i in range(saves)]
    await subject.ensure_session(USER, "a3")
    latencies, versions, elapsed = await _save_many(subject, "a3", names, parts)
    _check_saves("A3 save", versions, len(names), checks)
    latest = _latest(parts, len(names))
    _, warm_loaded, _ = await _load_many(subject, "a3", names, len(names))  # warm-up, a check
    _check_loads("A3 load (warm-up)", warm_loaded, latest, checks)
    load_latencies, loaded, load_elapsed = await _load_many(subject, "a3", names, saves)
    _check_loads("A3 load", loaded, latest, checks)
    del loaded, warm_loaded
    return {
        "a3_save_ms": elapsed / saves * 1e3,
        "a3_save_p50_ms": statistics.median(latencies) * 1e3,
        "a3_load_ms": load_elapsed / saves * 1e3,
        "a3_load_p50_ms": statistics.median(load_latencies) * 1e3,
    }


async def a4(subject: ArtifactSubject, artifacts: int, checks: list[str]) -> dict[str, Any]:
    service = subject.service
    await subject.ensure_session(USER, "a4")
    names = [f"docs/page-{n:05d}.txt" for n in range(artifacts)]
    for n, name in enumerate(names):  # the setup: not timed
        await service.save_artifact(
            app_name=APP, user_id=USER, session_id="a4", filename=name,
            artifact=make_part(n, SMALL),
        )  # fmt: skip
    listed = await service.list_artifact_keys(app_name=APP, user_id=USER, session_id="a4")
    if listed != names:  # warm-up, and the check (ADK's services return the keys sorted)
        checks.append(f"A4: listed {len(listed)} keys, not the {artifacts} names saved, sorted")
    timings = []
    for _ in range(LIST_CALLS):
        start = time.perf_counter()
        await service.list_artifact_keys(app_name=APP, user_id=USER, session_id="a4")
        timings.append(time.perf_counter() - start)
    return {"a4_list_ms": statistics.median(timings) * 1e3}


async def run_in_process(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(args.folder)
    checks: list[str] = []
    result: dict[str, Any] = {
        "backend": args.backend,
        "round_trip_us_start": await round_trip_microseconds(),
    }
    workloads: tuple[tuple[str, str, Workload, int], ...] = (
        ("A1/A2", "a1", a1_a2, args.saves),
        ("A3", "a3", a3, args.large_saves),
        ("A4", "a4", a4, args.listed),
    )
    for name, directory, workload, size in workloads:
        (folder / directory).mkdir(parents=True, exist_ok=True)
        try:
            async with open_artifact_subject(args.backend, folder / directory) as subject:
                result.update(await workload(subject, size, checks))
        except Unavailable as exc:
            return {"backend": args.backend, "skipped": str(exc), "checks": []}
        except Exception as exc:  # a crash is a failed check, not the end of the run
            checks.append(f"{name} crashed: {type(exc).__name__}: {exc}"[:200])
    result["round_trip_us_end"] = await round_trip_microseconds()
    result["checks"] = checks
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("backend")
    parser.add_argument("folder")
    parser.add_argument("--saves", type=int, default=1000, help="A1 saves, A2 loads (1000)")
    parser.add_argument("--large-saves", type=int, default=20, help="A3 saves and loads (20)")
    parser.add_argument("--listed", type=int, default=1000, help="A4 artifacts (1000)")
    args = parser.parse_args()
    os.makedirs(args.folder, exist_ok=True)
    print(json.dumps(asyncio.run(run_in_process(args))))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
