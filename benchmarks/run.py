"""Runs the benchmark suite: every backend, every workload, several rounds, one machine.

    python -m benchmarks.run                 # the full suite, 3 rounds
    python -m benchmarks.run --quick         # a small smoke run (what CI runs)

Each backend runs in its own process on fresh database files; the order of the
backends rotates between rounds. The result is a Markdown table of medians with
min-max and ratios to ADK's SqliteSessionService and to the one-hop floor, plus
the raw JSON, in ``benchmarks/results/<timestamp>/``. A backend whose answers
were wrong (events missing, "recent" not the newest) is flagged in the table.
Exits non-zero if any correctness check failed for adk-sqlite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.subjects import BACKENDS

REFERENCE = "adk-sqlite-service"
FLOOR = "floor-thread-1hop"
OURS = "adk-sqlite"

# (key, column title, higher is better)
METRICS = (
    ("w1_events_per_s", "W1 append ev/s", True),
    ("w1_p50_ms", "W1 p50 ms", False),
    ("w1_p99_ms", "W1 p99 ms", False),
    ("w2_get_all_ms", "W2 get all ms", False),
    ("w2_get_all_released_ms", "W2 get all + release ms", False),
    ("w2_get_recent_ms", "W2 recent 20 ms", False),
    ("w2r_get_all_ms", "W2r realistic get ms", False),
    ("w3_create_per_s", "W3 create/s", True),
    ("w3_list_user_ms", "W3 list user ms", False),
    ("w3_list_all_ms", "W3 list all ms", False),
    ("w4_events_per_s", "W4 concurrent ev/s", True),
    ("w5_events_per_s", "W5 4 processes ev/s", True),
    ("m_peak_rss_mib", "M peak RSS MiB", False),
    ("m_db_mib", "M db MiB", False),
)


def run_backend(backend: str, folder: Path, sizes: dict[str, int]) -> dict[str, Any]:
    """Runs one backend's workloads in a fresh process and returns its JSON."""
    command = [sys.executable, "-m", "benchmarks.worker", backend, str(folder)]
    for name, value in sizes.items():
        command += [f"--{name.replace('_', '-')}", str(value)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    if completed.returncode != 0:
        return {"backend": backend, "checks": [f"crashed: {completed.stderr.strip()[-500:]}"]}
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def summarise(rounds: list[list[dict[str, Any]]], backends: list[str]) -> dict[str, Any]:
    """Medians, min and max of every metric per backend, and the checks that failed."""
    summary: dict[str, Any] = {}
    for backend in backends:
        runs = [run for round_ in rounds for run in round_ if run["backend"] == backend]
        entry: dict[str, Any] = {"checks": sorted({c for run in runs for c in run["checks"]})}
        for key, _, _ in METRICS:
            values = [run[key] for run in runs if key in run]
            if values:
                entry[key] = {
                    "median": statistics.median(values),
                    "min": min(values),
                    "max": max(values),
                }
        summary[backend] = entry
    return summary


def _ratio(ours: float, other: float, higher_is_better: bool) -> float:
    return ours / other if higher_is_better else other / ours


def markdown(summary: dict[str, Any], backends: list[str], regimes: list[float]) -> str:
    """The results table, then the ratios of adk-sqlite to the reference and the floor."""
    lines = [
        "| backend | " + " | ".join(title for _, title, _ in METRICS) + " |",
        "|---|" + "---|" * len(METRICS),
    ]
    for backend in backends:
        entry = summary[backend]
        cells = []
        for key, _, _ in METRICS:
            if key in entry:
                value = entry[key]
                cells.append(f"{_fmt(value['median'])} ({_fmt(value['min'])}-{_fmt(value['max'])})")
            else:
                cells.append("n/a")
        flag = " **WRONG: " + "; ".join(entry["checks"]) + "**" if entry["checks"] else ""
        lines.append(f"| {backend}{flag} | " + " | ".join(cells) + " |")
    lines += ["", f"Ratios of {OURS} (medians; > 1 means {OURS} is better):", ""]
    lines += ["| workload | vs ADK SqliteSessionService | vs one-hop floor |", "|---|---|---|"]
    ours = summary.get(OURS, {})
    for key, title, higher in METRICS:
        cells = []
        for other in (REFERENCE, FLOOR):
            theirs = summary.get(other, {})
            if key in ours and key in theirs and ours[key]["median"] and theirs[key]["median"]:
                cells.append(f"{_ratio(ours[key]['median'], theirs[key]['median'], higher):.2f}x")
            else:
                cells.append("n/a")
        lines.append(f"| {title} | {cells[0]} | {cells[1]} |")
    lines += [
        "",
        "Event loop -> thread -> event loop round trip at the start/end of each backend run"
        f" (the timing regime): median {statistics.median(regimes):.0f} µs,"
        f" range {min(regimes):.0f}-{max(regimes):.0f} µs.",
    ]
    return "\n".join(lines) + "\n"


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Benchmark adk-sqlite against ADK's session services, sqlspec and floors.",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds, order rotated (3)")
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    parser.add_argument("--quick", action="store_true", help="small sizes, one round (smoke)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args(argv)

    sizes = {"events": 2000, "sessions": 1000, "concurrent_sessions": 20,
             "concurrent_events": 100, "processes": 4, "process_events": 500}  # fmt: skip
    rounds_count = args.rounds
    if args.quick:
        sizes = {"events": 100, "sessions": 50, "concurrent_sessions": 5,
                 "concurrent_events": 10, "processes": 2, "process_events": 20}  # fmt: skip
        rounds_count = 1
    backends: list[str] = args.backends
    rounds: list[list[dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="adk-sqlite-bench-") as scratch:
        for round_number in range(rounds_count):
            shift = round_number % len(backends)
            order = backends[shift:] + backends[:shift]
            results = []
            for backend in order:
                folder = Path(scratch) / f"round{round_number}" / backend
                folder.mkdir(parents=True)
                print(f"round {round_number + 1}/{rounds_count}: {backend}", file=sys.stderr)
                results.append(run_backend(backend, folder, sizes))
            rounds.append(results)

    summary = summarise(rounds, backends)
    regimes = [
        run[key]
        for round_ in rounds
        for run in round_
        for key in ("round_trip_us_start", "round_trip_us_end")
        if key in run
    ]
    table = markdown(summary, backends, regimes or [0.0])
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = args.out / stamp
    out.mkdir(parents=True, exist_ok=True)
    machine = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "sizes": sizes,
        "rounds": rounds_count,
    }
    (out / "raw.json").write_text(json.dumps({"machine": machine, "rounds": rounds}, indent=2))
    (out / "summary.md").write_text(table)
    print(table)
    print(f"written to {out}", file=sys.stderr)
    return 1 if summary.get(OURS, {}).get("checks") else 0


if __name__ == "__main__":
    raise SystemExit(main())
