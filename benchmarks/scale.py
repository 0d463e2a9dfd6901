"""The scale workloads: how each operation's cost grows with the size of the database.

    python -m benchmarks.run --scale                         # small sizes (a smoke run)
    python -m benchmarks.run --scale --scale-sizes full      # the published sizes (~30 min)
    python -m benchmarks.run --scale --scale-sizes full --scale-plots docs/images

Databases are built first (`benchmarks.scale_build`: the service writes a template
session, SQL copies its rows) and cached in ``benchmarks/.scale-cache/``; their
build times are reported apart from the measurements. Then each measurement runs
in its own process (`benchmarks.scale_worker`) with a time limit: one that does
not finish in it is reported as "did not finish". adk-sqlite and ADK's
`SqliteSessionService` run every workload at every size, on databases of the
same rows; the export runs for adk-sqlite alone (ADK has none). The results go to
``<out>/<timestamp>/`` (raw JSON and Markdown tables) and the plots to
``--scale-plots`` (by default the same folder).
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from benchmarks import scale_build
from benchmarks.scale_build import ADK_SQLITE, OURS

BACKENDS = (OURS, ADK_SQLITE)
CACHE = Path(__file__).parent / ".scale-cache"
# The compacted sessions, written through the service: the layout (also the workload that
# reads it and its cache name), its compaction, and its builder.
COMPACTED_BUILDS: tuple[tuple[str, str, Callable[[Path, Sequence[int]], None]], ...] = (
    ("compacted", "sliding window", scale_build.build_compacted),
    ("compacted-token", "token threshold", scale_build.build_token_compacted),
)


@dataclass(frozen=True)
class Sizes:
    """The sizes of one preset, and how long a measurement may take at them."""

    listing: tuple[int, ...]  # sessions in the database: the newest page
    appends: tuple[int, ...]  # events in the database: append_event
    reads: tuple[int, ...]  # events in one session: newest 20, full read, its RSS
    exports: tuple[int, ...]  # events exported to PostgreSQL
    append_calls: int  # timed appends per database
    repeats: int  # timed calls per read measurement (fewer if the budget runs out)
    budget_s: float  # time for the timed calls of one measurement
    time_limit_s: float  # a measurement process still running then did not finish
    isolate: bool = True  # one process per measurement (else one per backend: the smoke run)
    peer_max_events: int | None = None  # ADK's append databases stop here (their build time)


PRESETS = {
    "small": Sizes(
        listing=(100, 1_000),
        appends=(1_000, 10_000),
        reads=(100, 1_000),
        exports=(1_000,),
        append_calls=100,
        repeats=3,
        budget_s=0.5,
        time_limit_s=120,
        isolate=False,
    ),
    "full": Sizes(
        listing=(1_000, 10_000, 100_000, 1_000_000),
        appends=(10_000, 1_000_000, 10_000_000),
        reads=(1_000, 10_000, 100_000),
        exports=(100_000, 1_000_000),
        append_calls=1_000,
        repeats=30,
        budget_s=20,
        time_limit_s=240,
        # ADK's 10M-event file takes ~20 min to build here (its text primary key), more than
        # the rest of the run's builds together.
        peer_max_events=1_000_000,
    ),
}


def build_databases(sizes: Sizes) -> tuple[dict[tuple[str, str, int], Path], list[dict[str, Any]]]:
    """Every database the measurements read, built unless cached: paths and build times."""
    wanted: list[tuple[str, str, int, list[scale_build.SessionSpec], str]] = []
    reads_label = "-".join(str(n) for n in sizes.reads)
    for backend in BACKENDS:
        for total in sizes.listing:
            wanted.append((backend, "listing", total, scale_build.listing_sessions(total), "-"))
        for total in sizes.appends:
            if backend != OURS and total > (sizes.peer_max_events or total):
                continue
            wanted.append((backend, "events", total, scale_build.event_database(total), "-"))
        wanted.append((backend, "reads", max(sizes.reads), scale_build.event_sessions(sizes.reads),
                       reads_label))  # fmt: skip
    for total in sizes.exports:
        if total not in sizes.appends:
            wanted.append((OURS, "events", total, scale_build.event_database(total), "-"))
    # The largest last: a run short of time has everything else by then.
    wanted.sort(key=lambda item: sum(spec.events for spec in item[3]) + len(item[3]))
    paths: dict[tuple[str, str, int], Path] = {}
    builds: list[dict[str, Any]] = []
    for backend, layout, total, specs, label in wanted:
        path = scale_build.cache_path(CACHE, backend, layout, label if label != "-" else total)
        print(f"database {backend} {layout} {total:,}: ", end="", file=sys.stderr, flush=True)
        seconds = scale_build.cached_build(path, backend, specs)
        print("cached" if seconds is None else f"built in {seconds:.1f} s", file=sys.stderr)
        paths[(backend, layout, total)] = path
        builds.append(
            {
                "backend": backend,
                "layout": layout,
                "size": total,
                "sessions": len(specs),
                "events": sum(spec.events for spec in specs),
                "build_s": seconds,
                "mib": path.stat().st_size / 2**20,
            }
        )
    for layout, shape, builder in COMPACTED_BUILDS:
        path = scale_build.cache_path(CACHE, OURS, layout, reads_label)
        print(f"database {OURS} {layout} {reads_label}: ", end="", file=sys.stderr, flush=True)
        seconds = scale_build.cached_file(path, _for_sizes(builder, sizes.reads))
        print("cached" if seconds is None else f"built in {seconds:.1f} s", file=sys.stderr)
        paths[(OURS, layout, max(sizes.reads))] = path
        builds.append(
            {"backend": OURS, "layout": f"compacted, {shape} (service appends)",
             "size": max(sizes.reads), "sessions": len(sizes.reads), "events": sum(sizes.reads),
             "build_s": seconds, "mib": path.stat().st_size / 2**20}
        )  # fmt: skip
    return paths, builds


def _for_sizes(
    builder: Callable[[Path, Sequence[int]], None], sizes: Sequence[int]
) -> Callable[[Path], None]:
    """``builder`` as `scale_build.cached_file` calls it: on the file's temporary name."""
    return lambda partial: builder(partial, sizes)


def plan(sizes: Sizes, paths: dict[tuple[str, str, int], Path]) -> list[dict[str, Any]]:
    """Every measurement of a run, in the order they run."""
    common = {"repeats": sizes.repeats, "budget_s": sizes.budget_s}
    measurements: list[dict[str, Any]] = []
    for backend in BACKENDS:
        reads_db = str(paths[(backend, "reads", max(sizes.reads))])
        for total in sizes.listing:
            db = str(paths[(backend, "listing", total)])
            measurements.append({"workload": "page", "size": total, "db": db})
        for total in sizes.listing:
            db = str(paths[(backend, "listing", total)])
            for count in scale_build.solo_users(total):
                measurements.append({"workload": "user", "size": count, "among": total, "db": db})
        for total in sizes.appends:
            if (backend, "events", total) not in paths:
                measurements.append({"workload": "append", "size": total, "not_built": True})
                continue
            db = str(paths[(backend, "events", total)])
            measurements.append(
                {"workload": "append", "size": total, "db": db,
                 "append_calls": sizes.append_calls}
            )  # fmt: skip
        for workload in ("recent", "full", "rss"):
            for events in sizes.reads:
                measurements.append({"workload": workload, "size": events, "db": reads_db})
        if backend == OURS:  # the option is adk-sqlite's own; ADK has no such read
            for layout, _, _ in COMPACTED_BUILDS:
                compacted_db = str(paths[(OURS, layout, max(sizes.reads))])
                for events in sizes.reads:
                    measurements.append({"workload": layout, "size": events, "db": compacted_db})
        for measurement in measurements:
            measurement.setdefault("backend", backend)
    for total in sizes.exports:
        db = str(paths[(OURS, "events", total)])
        measurements.append({"workload": "export", "size": total, "db": db, "backend": OURS})
    return [{**common, **measurement} for measurement in measurements]


def run_measurement(spec: Any, time_limit: float) -> Any:
    """One measurement (or a list of them, in turn) in a fresh process; "did not finish"
    if it outlives ``time_limit``."""
    started = time.perf_counter()
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "benchmarks.scale_worker", json.dumps(spec)],
            capture_output=True,
            text=True,
            timeout=time_limit,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"dnf": True, "checks": [], "limit_s": time_limit}
    if completed.returncode != 0:
        return {"checks": [f"crashed: {completed.stderr.strip()[-400:]}"]}
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    if isinstance(result, dict):
        result["wall_s"] = time.perf_counter() - started
    return result


def run_scale(preset: str, out: Path, plots: Path | None) -> int:
    """Builds, measures, writes tables and plots; non-zero if a check of ours failed."""
    from benchmarks import scale_report

    sizes = PRESETS[preset]
    started = time.perf_counter()
    paths, builds = build_databases(sizes)
    built = time.perf_counter()
    results = []
    measurements = plan(sizes, paths)
    for spec in [spec for spec in measurements if spec.get("not_built")]:
        measurements.remove(spec)
        results.append({**spec, "checks": [], "skipped": "database not built (build time)"})
    if sizes.isolate:
        for spec in measurements:
            label = f"{spec['workload']} {spec['backend']} {spec['size']:,}"
            print(f"measuring {label}", file=sys.stderr, flush=True)
            result = run_measurement(spec, sizes.time_limit_s)
            results.append({**spec, **result})
    else:
        for backend in BACKENDS:
            batch = [spec for spec in measurements if spec["backend"] == backend]
            print(f"measuring {len(batch)} of {backend} in one process", file=sys.stderr)
            answers = run_measurement(batch, sizes.time_limit_s)
            if isinstance(answers, dict):  # the process crashed or did not finish
                answers = [answers] * len(batch)
            results += [{**spec, **answer} for spec, answer in zip(batch, answers, strict=True)]
    finished = time.perf_counter()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    folder = out / stamp
    folder.mkdir(parents=True, exist_ok=True)
    raw = {
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "sqlite": sqlite3.sqlite_version,
            "google_adk": version("google-adk"),
            "load_average_at_end": os.getloadavg(),
        },
        "preset": preset,
        "sizes": asdict(sizes),
        "build_s": built - started,
        "measure_s": finished - built,
        "builds": builds,
        "results": results,
    }
    (folder / "scale.json").write_text(json.dumps(raw, indent=2))
    tables = scale_report.markdown(raw)
    (folder / "scale.md").write_text(tables)
    scale_report.plot(raw, plots or folder)
    print(tables)
    print(f"written to {folder}", file=sys.stderr)
    failed = [
        result
        for result in results
        if result["backend"] == OURS and (result.get("checks") or result.get("dnf"))
    ]
    return 1 if failed else 0
