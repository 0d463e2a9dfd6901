"""Runs the benchmark suite: every backend, every workload, several rounds, one machine.

    python -m benchmarks.run                     # the full suite, 3 rounds
    python -m benchmarks.run --quick             # a small smoke run (what CI runs)
    python -m benchmarks.run --suites artifacts  # the artifact workloads alone
    python -m benchmarks.run --suites memory --rounds 1  # memory at 100k entries (~30 min)
    python -m benchmarks.run --scale [--scale-sizes full]  # the scale curves (benchmarks/scale.py)
    python -m benchmarks.run --suites startup    # the CLI's start-up (benchmarks/startup.py)
    python -m benchmarks.run --suites heartbeat  # a busy server (benchmarks/heartbeat.py)

Three suites: ``sessions`` (W1-W5 and M, `benchmarks.worker`, the session backends
of ``--backends``), ``artifacts`` (A1-A4, `benchmarks.artifact_worker`, the
artifact services of ``--artifact-backends``) and ``memory`` (R1-R2,
`benchmarks.memory_worker`, the memory services of ``--memory-backends``, at
``--memory-entries``; only when named in ``--suites``, or with ``--quick``, as it
takes half an hour at full size). Each backend runs in its own
process on fresh database files; the order of the backends rotates between
rounds. The result is a Markdown table per suite of medians with min-max, and
ratios: for sessions to ADK's SqliteSessionService and to the one-hop floor, for
artifacts to ADK's FileArtifactService, for memory to ADK's SqliteMemoryService;
plus the raw JSON, in ``benchmarks/results/<timestamp>/``. A backend whose answers
were wrong (events missing, "recent" not the newest, a loaded artifact not the one
saved, a search missing a memory it must find) is flagged in the table; an
artifact or memory backend that cannot run here (no PostgreSQL server) is listed
as skipped. A fourth, ``startup``, times the ``adk-sqlite`` command's start-up
(`benchmarks.startup`; one run each with ``--quick``). Exits non-zero if any
correctness check failed for adk-sqlite (sessions) or for any of our artifact or
memory stores, or if a command of the start-up suite failed.
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

from benchmarks import startup
from benchmarks.artifact_subjects import ARTIFACT_BACKENDS, ARTIFACT_OURS, ARTIFACT_REFERENCE
from benchmarks.heartbeat import (
    HEARTBEAT_DEFAULT,
    HEARTBEAT_METRICS,
    HEARTBEAT_OURS,
    heartbeat_markdown,
    heartbeat_sizes,
)
from benchmarks.memory_subjects import (
    MEMORY_BACKENDS,
    MEMORY_DEFAULT,
    MEMORY_OURS,
    MEMORY_REFERENCE,
)
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

ARTIFACT_METRICS = (
    ("a1_saves_per_s", "A1 1 KiB save/s", True),
    ("a1_p50_us", "A1 save p50 µs", False),
    ("a2_loads_per_s", "A2 1 KiB load/s", True),
    ("a2_p50_us", "A2 load p50 µs", False),
    ("a3_save_ms", "A3 1 MiB save ms", False),
    ("a3_load_ms", "A3 1 MiB load ms", False),
    ("a4_list_ms", "A4 list keys ms", False),
)

SUITES = ("sessions", "artifacts", "memory", "startup", "heartbeat")
DEFAULT_SUITES = ("sessions", "artifacts")


def memory_metrics(sizes: list[int]) -> tuple[tuple[str, str, bool], ...]:
    """R1 and M figures, then R2's p50 and p99 at each snapshot size."""
    ingest = (
        ("r1_total_s", "R1 ingest s", False),
        ("r1_events_per_s", "R1 ingest ev/s", True),
        ("r1_p50_ms", "R1 call p50 ms", False),
        ("r1_p99_ms", "R1 call p99 ms", False),
        *((f"r1_{n}_ms_per_call", f"R1 ms/call to {n:,}", False) for n in sizes),
        ("m_db_mib", "M db MiB", False),
        ("m_peak_rss_mib", "M peak RSS MiB", False),
    )
    search = tuple(
        (f"r2_{n}_{stat}_ms", f"R2 {n:,} {stat} ms", False)
        for n in sizes
        for stat in ("p50", "p99")
    )
    largest = sizes[-1] if sizes else 0
    kinds = tuple(
        (f"r2_{largest}_{kind}_p50_ms", f"R2 {largest:,} {kind} p50 ms", False)
        for kind in ("common", "rare", "multi", "none")
    )
    return ingest + search + kinds


def run_backend(
    backend: str,
    folder: Path,
    sizes: dict[str, Any],
    worker: str = "benchmarks.worker",
    timeout: float = 1800,
) -> dict[str, Any]:
    """Runs one backend's workloads in a fresh process (module ``worker``); returns its JSON."""
    command = [sys.executable, "-m", worker, backend, str(folder)]
    for name, value in sizes.items():
        command += [f"--{name.replace('_', '-')}", str(value)]
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False
    )
    if completed.returncode != 0:
        return {"backend": backend, "checks": [f"crashed: {completed.stderr.strip()[-500:]}"]}
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def summarise(
    rounds: list[list[dict[str, Any]]],
    backends: list[str],
    metrics: tuple[tuple[str, str, bool], ...] = METRICS,
) -> dict[str, Any]:
    """Medians, min and max of every metric per backend, and the checks that failed."""
    summary: dict[str, Any] = {}
    for backend in backends:
        runs = [run for round_ in rounds for run in round_ if run["backend"] == backend]
        entry: dict[str, Any] = {"checks": sorted({c for run in runs for c in run["checks"]})}
        skipped = sorted({run["skipped"] for run in runs if "skipped" in run})
        if skipped:
            entry["skipped"] = skipped
        for key, _, _ in metrics:
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


def _table(
    summary: dict[str, Any], backends: list[str], metrics: tuple[tuple[str, str, bool], ...]
) -> list[str]:
    """The results table: medians (min-max) per backend and metric."""
    lines = [
        "| backend | " + " | ".join(title for _, title, _ in metrics) + " |",
        "|---|" + "---|" * len(metrics),
    ]
    for backend in backends:
        entry = summary[backend]
        cells = []
        for key, _, _ in metrics:
            if key in entry:
                value = entry[key]
                cells.append(f"{_fmt(value['median'])} ({_fmt(value['min'])}-{_fmt(value['max'])})")
            else:
                cells.append("n/a")
        flag = " **WRONG: " + "; ".join(entry["checks"]) + "**" if entry["checks"] else ""
        lines.append(f"| {backend}{flag} | " + " | ".join(cells) + " |")
    return lines


def _regime_line(regimes: list[float]) -> str:
    return (
        "Event loop -> thread -> event loop round trip at the start/end of each backend run"
        f" (the timing regime): median {statistics.median(regimes):.0f} µs,"
        f" range {min(regimes):.0f}-{max(regimes):.0f} µs."
    )


def markdown(summary: dict[str, Any], backends: list[str], regimes: list[float]) -> str:
    """The results table, then the ratios of adk-sqlite to the reference and the floor."""
    lines = _table(summary, backends, METRICS)
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
    lines += ["", _regime_line(regimes)]
    return "\n".join(lines) + "\n"


def artifact_markdown(summary: dict[str, Any], backends: list[str], regimes: list[float]) -> str:
    """The artifact results table, then every other backend's ratios to ADK's File service."""
    ran = [backend for backend in backends if "skipped" not in summary[backend]]
    lines = ["Artifacts (A1-A4):", "", *_table(summary, ran, ARTIFACT_METRICS), ""]
    lines += _ratios(summary, ran, ARTIFACT_METRICS, ARTIFACT_REFERENCE, "FileArtifactService")
    return _with_skips_and_regime(lines, summary, backends, regimes)


def memory_markdown(
    summary: dict[str, Any], backends: list[str], regimes: list[float], sizes: list[int]
) -> str:
    """The memory tables (ingest, search, search by query kind), then the ratios to ADK's
    SqliteMemoryService."""
    metrics = memory_metrics(sizes)
    ingest = tuple(metric for metric in metrics if not metric[0].startswith("r2_"))
    search = tuple(metric for metric in metrics if metric[0].startswith("r2_"))
    ran = [backend for backend in backends if "skipped" not in summary[backend]]
    lines = [
        "Memory (R1 ingest, turn by turn; R2 search):",
        "",
        *_table(summary, ran, ingest),
        "",
        *_table(summary, ran, search[: 2 * len(sizes)]),
        "",
        *_table(summary, ran, search[2 * len(sizes) :]),
        "",
    ]
    lines += _ratios(summary, ran, metrics, MEMORY_REFERENCE, "SqliteMemoryService")
    return _with_skips_and_regime(lines, summary, backends, regimes)


def _ratios(
    summary: dict[str, Any],
    ran: list[str],
    metrics: tuple[tuple[str, str, bool], ...],
    reference_name: str,
    label: str,
) -> list[str]:
    """Every other backend's ratios to ``reference_name`` (ADK's ``label``)."""
    others = [backend for backend in ran if backend != reference_name]
    reference = summary.get(reference_name, {})
    lines = [
        f"Ratios to {reference_name} (ADK's {label}; medians; > 1 means faster):",
        "",
        "| workload | " + " | ".join(others) + " |",
        "|---|" + "---|" * len(others),
    ]
    for key, title, higher in metrics:
        cells = []
        for other in others:
            theirs = summary[other]
            if key in theirs and key in reference and theirs[key]["median"]:
                ratio = _ratio(theirs[key]["median"], reference[key]["median"], higher)
                cells.append(f"{ratio:.2f}x")
            else:
                cells.append("n/a")
        lines.append(f"| {title} | " + " | ".join(cells) + " |")
    return lines


def _with_skips_and_regime(
    lines: list[str], summary: dict[str, Any], backends: list[str], regimes: list[float]
) -> str:
    for backend in backends:
        for reason in summary[backend].get("skipped", []):
            lines += ["", f"Skipped {backend}: {reason}"]
    lines += ["", _regime_line(regimes)]
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
        description="Benchmark adk-sqlite against ADK's session, artifact and memory"
        " services, sqlspec and floors.",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds, order rotated (3)")
    parser.add_argument(
        "--suites",
        nargs="+",
        default=None,
        choices=SUITES,
        help="workload families: sessions (W1-W5, M), artifacts (A1-A4), memory (R1-R2),"
        " startup (the CLI); by default sessions and artifacts (all with --quick)",
    )
    parser.add_argument(
        "--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS, help="session backends"
    )
    parser.add_argument(
        "--artifact-backends",
        nargs="+",
        default=list(ARTIFACT_BACKENDS),
        choices=ARTIFACT_BACKENDS,
        help="artifact services (one that cannot run here is skipped)",
    )
    parser.add_argument(
        "--memory-backends",
        nargs="+",
        default=list(MEMORY_DEFAULT),
        choices=MEMORY_BACKENDS,
        help="memory services (one that cannot run here is skipped)",
    )
    parser.add_argument(
        "--memory-entries",
        type=int,
        default=None,
        help="memories R1 ingests, 100 events a session (100000; 2000 with --quick)",
    )
    parser.add_argument(
        "--memory-users", type=int, default=1, help="users the R1 sessions belong to (1)"
    )
    parser.add_argument(
        "--memory-search-at",
        default=None,
        help="comma-separated sizes R2 searches at (1000,10000,100000 and --memory-entries)",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, one round (smoke)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    parser.add_argument(
        "--scale", action="store_true", help="the scale workloads instead (benchmarks/scale.py)"
    )
    parser.add_argument("--scale-sizes", choices=("small", "full"), default="small")
    parser.add_argument("--scale-plots", type=Path, help="where the scale plots go (with --out)")
    args = parser.parse_args(argv)
    if args.scale:
        from benchmarks.scale import run_scale

        return run_scale(args.scale_sizes, args.out, args.scale_plots)

    sizes = {"events": 2000, "sessions": 1000, "concurrent_sessions": 20,
             "concurrent_events": 100, "processes": 4, "process_events": 500}  # fmt: skip
    artifact_sizes = {"saves": 1000, "large_saves": 20, "listed": 1000}
    memory_sizes: dict[str, Any] = {
        "entries": args.memory_entries or 100_000,
        "users": args.memory_users,
        "repeats": 5,
        "budget": 20,
    }
    rounds_count = args.rounds
    if args.quick:
        sizes = {"events": 100, "sessions": 50, "concurrent_sessions": 5,
                 "concurrent_events": 10, "processes": 2, "process_events": 20}  # fmt: skip
        artifact_sizes = {"saves": 50, "large_saves": 3, "listed": 100}
        memory_sizes.update(entries=args.memory_entries or 2000, repeats=2, budget=5)
        rounds_count = 1
    if args.memory_search_at:
        memory_sizes["search_at"] = args.memory_search_at
    selected = args.suites or (SUITES if args.quick else DEFAULT_SUITES)
    # Each suite's worker module, backends and sizes; in every round the suites run in turn.
    suites: dict[str, tuple[str, list[str], dict[str, Any]]] = {
        "sessions": ("benchmarks.worker", list(args.backends), sizes),
        "artifacts": ("benchmarks.artifact_worker", list(args.artifact_backends), artifact_sizes),
        "memory": ("benchmarks.memory_worker", list(args.memory_backends), memory_sizes),
        "heartbeat": ("benchmarks.heartbeat", list(HEARTBEAT_DEFAULT), heartbeat_sizes(args.quick)),
    }
    plan = [(suite, *suites[suite]) for suite in SUITES if suite in selected and suite in suites]
    rounds: dict[str, list[list[dict[str, Any]]]] = {suite: [] for suite, _, _, _ in plan}
    with tempfile.TemporaryDirectory(prefix="adk-sqlite-bench-") as scratch:
        for round_number in range(rounds_count):
            for suite, worker, backends, suite_sizes in plan:
                shift = round_number % len(backends)
                order = backends[shift:] + backends[:shift]
                results = []
                for backend in order:
                    name = backend if suite == "sessions" else f"{suite}-{backend}"
                    folder = Path(scratch) / f"round{round_number}" / name
                    folder.mkdir(parents=True)
                    print(f"round {round_number + 1}/{rounds_count}: {name}", file=sys.stderr)
                    # ADK's SqliteMemoryService takes ~15 min for 100k entries turn by turn.
                    timeout = 4 * 3600 if suite == "memory" else 1800
                    results.append(run_backend(backend, folder, suite_sizes, worker, timeout))
                rounds[suite].append(results)

    tables = []
    failed = False
    if "sessions" in rounds:
        summary = summarise(rounds["sessions"], args.backends)
        tables.append(markdown(summary, args.backends, _regimes(rounds["sessions"])))
        failed = bool(summary.get(OURS, {}).get("checks"))
    if "artifacts" in rounds:
        artifacts = summarise(rounds["artifacts"], args.artifact_backends, ARTIFACT_METRICS)
        tables.append(
            artifact_markdown(artifacts, args.artifact_backends, _regimes(rounds["artifacts"]))
        )
        failed = failed or any(
            artifacts.get(backend, {}).get("checks") for backend in ARTIFACT_OURS
        )
    if "memory" in rounds:
        snapshot_sizes = _memory_sizes(rounds["memory"])
        memory = summarise(rounds["memory"], args.memory_backends, memory_metrics(snapshot_sizes))
        tables.append(
            memory_markdown(
                memory, args.memory_backends, _regimes(rounds["memory"]), snapshot_sizes
            )
        )
        failed = failed or any(memory.get(backend, {}).get("checks") for backend in MEMORY_OURS)
    if "heartbeat" in rounds:
        beats = summarise(rounds["heartbeat"], list(HEARTBEAT_DEFAULT), HEARTBEAT_METRICS)
        tables.append(heartbeat_markdown(beats, list(HEARTBEAT_DEFAULT)))
        failed = failed or any(beats.get(backend, {}).get("checks") for backend in HEARTBEAT_OURS)
    if "startup" in selected:
        tables.append(startup.markdown(startup.measure(1 if args.quick else startup.DEFAULT_RUNS)))
    table = "\n".join(tables)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = args.out / stamp
    out.mkdir(parents=True, exist_ok=True)
    machine = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "sizes": sizes,
        "artifact_sizes": artifact_sizes,
        "memory_sizes": memory_sizes,
        "rounds": rounds_count,
    }
    raw = {
        "machine": machine,
        "rounds": rounds.get("sessions", []),
        "artifact_rounds": rounds.get("artifacts", []),
        "memory_rounds": rounds.get("memory", []),
        "heartbeat_rounds": rounds.get("heartbeat", []),
    }
    (out / "raw.json").write_text(json.dumps(raw, indent=2))
    (out / "summary.md").write_text(table)
    print(table)
    print(f"written to {out}", file=sys.stderr)
    return 1 if failed else 0


def _memory_sizes(rounds: list[list[dict[str, Any]]]) -> list[int]:
    """The snapshot sizes R2 searched at (every memory worker reports the same ones)."""
    return sorted({size for round_ in rounds for run in round_ for size in run.get("r2_sizes", [])})


def _regimes(rounds: list[list[dict[str, Any]]]) -> list[float]:
    """The round trips every backend process measured at its start and end."""
    regimes = [
        run[key]
        for round_ in rounds
        for run in round_
        for key in ("round_trip_us_start", "round_trip_us_end")
        if key in run
    ]
    return regimes or [0.0]


if __name__ == "__main__":
    raise SystemExit(main())
