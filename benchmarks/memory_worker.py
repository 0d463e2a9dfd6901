"""Runs the memory workloads (R1-R2) of one backend in this process and prints JSON.

Started by `benchmarks.run`, one process per backend per round, on fresh storage.

    R1  ingest: SESSIONS conversations of 100 events (`benchmarks.memory_corpus`), added
        turn by turn as apps do: after each user/model pair is appended to the session,
        ``add_session_to_memory(session)`` with every event so far (50 calls a session)
    R2  search: at each snapshot size (1k, 10k, 100k entries by default), while R1 is
        paused, the fixed query set (`memory_corpus.queries`): one untimed pass (the
        checks), then timed passes (at least one, up to ``--repeats``, within
        ``--budget`` seconds)

Sessions belong to ``--users`` users in turn (1 by default: every memory is one user's,
the worst case for a search, which is scoped to one user); searches are user ``u0``'s.
The ``Session`` objects are built before each call's clock starts, so a call times the
service. Checks: a query of a word the corpus holds finds memories, each holding the
word, at least as many as the corpus has (up to 10, the smallest service limit); a query
of words it does not hold finds nothing (keyword search; a hybrid search also returns the
memories nearest by vector, so there only the memories holding the word are counted).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from google.adk.memory.base_memory_service import BaseMemoryService
from google.adk.sessions.session import Session

from benchmarks import memory_corpus as corpus
from benchmarks.memory_subjects import Unavailable, open_memory_subject
from benchmarks.worker import round_trip_microseconds

BASE_TIMESTAMP = 1_767_225_600.0  # 2026-01-01, so every process stores the same timestamps
SMALLEST_LIMIT = 10  # InMemoryMemoryService returns at most 10 memories
SNAPSHOTS = (1_000, 10_000, 100_000)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def snapshot_sizes(entries: int, requested: list[int] | None) -> list[int]:
    """The sizes R2 searches at: the requested ones (or 1k/10k/100k) up to ``entries``."""
    sizes = [size for size in (requested or SNAPSHOTS) if size <= entries]
    if not requested and entries not in sizes:
        sizes.append(entries)
    return sorted(set(sizes))


def user_of(session: int, users: int) -> str:
    return f"u{session % users}"


class RareIndex:
    """Which events of user u0 hold each rare word, as the corpus made them (for checks)."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def add_session(self, session: int) -> None:
        for index in range(corpus.EVENTS_PER_SESSION):
            word = corpus.rare_word_of(session, index)
            if word:
                self.counts[word] = self.counts.get(word, 0) + 1


def _texts(response: Any) -> Iterator[str]:
    for memory in response.memories:
        parts = memory.content.parts or []
        yield " ".join(part.text or "" for part in parts).lower()


async def search_snapshot(
    service: BaseMemoryService,
    queries: list[corpus.Query],
    rare: RareIndex,
    size: int,
    args: argparse.Namespace,
    checks: list[str],
) -> dict[str, Any]:
    """R2 at one size: the checked warm-up pass, then timed passes; the figures."""
    for query in queries:  # the warm-up, and the checks
        response = await service.search_memory(app_name=corpus.APP, user_id="u0", query=query.text)
        found = list(_texts(response))
        # A hybrid search also returns the nearest vectors when no word matches.
        if query.expect == "nothing" and found and not args.hybrid:
            checks.append(f"R2 {size}: {query.text!r} found {len(found)} memories, not none")
        if query.expect == "hits" and not found:
            checks.append(f"R2 {size}: {query.text!r} found nothing")
        if query.kind == "rare":
            wanted = min(rare.counts.get(query.text, 0), SMALLEST_LIMIT)
            holding = [text for text in found if query.text in text]
            if len(holding) < wanted or (not args.hybrid and len(holding) != len(found)):
                checks.append(
                    f"R2 {size}: {query.text!r} found {len(found)} memories, {len(holding)}"
                    f" holding it; the corpus holds {rare.counts.get(query.text, 0)}"
                )
    timings: dict[str, list[float]] = {query.kind: [] for query in queries}
    began = time.perf_counter()
    passes = 0
    while passes < args.repeats and (passes == 0 or time.perf_counter() - began < args.budget):
        for query in queries:
            start = time.perf_counter()
            await service.search_memory(app_name=corpus.APP, user_id="u0", query=query.text)
            timings[query.kind].append(time.perf_counter() - start)
        passes += 1
    every = [value for values in timings.values() for value in values]
    result = {
        f"r2_{size}_p50_ms": statistics.median(every) * 1e3,
        f"r2_{size}_p99_ms": percentile(every, 0.99) * 1e3,
        f"r2_{size}_passes": passes,
    }
    for kind, values in timings.items():
        result[f"r2_{size}_{kind}_p50_ms"] = statistics.median(values) * 1e3
    return result


async def ingest_and_search(
    service: BaseMemoryService, args: argparse.Namespace, checks: list[str]
) -> dict[str, Any]:
    """R1, pausing at each snapshot size for R2."""
    sessions = max(1, args.entries // corpus.EVENTS_PER_SESSION)
    sizes = snapshot_sizes(sessions * corpus.EVENTS_PER_SESSION, args.search_at)
    queries = corpus.queries(sessions)
    rare = RareIndex()
    result: dict[str, Any] = {"r1_sessions": sessions, "r2_sizes": sizes}
    latencies: list[float] = []
    band_start = 0  # the calls since the last snapshot, for the ingest figure per band
    for session in range(sessions):
        user = user_of(session, args.users)
        events = corpus.make_events(session, base_timestamp=BASE_TIMESTAMP)
        adk_session = Session(
            id=corpus.session_id(session), app_name=corpus.APP, user_id=user, events=[]
        )
        for turn in range(0, corpus.EVENTS_PER_SESSION, 2):
            adk_session.events.extend(events[turn : turn + 2])
            start = time.perf_counter()
            await service.add_session_to_memory(adk_session)
            latencies.append(time.perf_counter() - start)
        if user == "u0":
            rare.add_session(session)
        entries = (session + 1) * corpus.EVENTS_PER_SESSION
        if entries in sizes:
            band = latencies[band_start:]
            result[f"r1_{entries}_ms_per_call"] = statistics.fmean(band) * 1e3
            band_start = len(latencies)
            result.update(await search_snapshot(service, queries, rare, entries, args, checks))
            print(f"{entries} entries: ingest {sum(latencies):.1f} s", file=sys.stderr)
    total = sum(latencies)
    result.update(
        {
            "r1_total_s": total,
            "r1_events_per_s": sessions * corpus.EVENTS_PER_SESSION / total,
            "r1_p50_ms": statistics.median(latencies) * 1e3,
            "r1_p99_ms": percentile(latencies, 0.99) * 1e3,
        }
    )
    return result


def _folder_mib(folder: Path) -> float:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) / 2**20


async def run_in_process(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(args.folder)
    checks: list[str] = []
    result: dict[str, Any] = {
        "backend": args.backend,
        "round_trip_us_start": await round_trip_microseconds(),
    }
    try:
        async with open_memory_subject(args.backend, folder) as service:
            result.update(await ingest_and_search(service, args, checks))
        if _folder_mib(folder):  # measured closed (checkpointed); PostgreSQL: no files
            result["m_db_mib"] = _folder_mib(folder)
    except Unavailable as exc:
        return {"backend": args.backend, "skipped": str(exc), "checks": []}
    except Exception as exc:  # a crash is a failed check, not the end of the run
        checks.append(f"crashed: {type(exc).__name__}: {exc}"[:300])
    result["m_peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["round_trip_us_end"] = await round_trip_microseconds()
    result["checks"] = checks
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("backend")
    parser.add_argument("folder")
    parser.add_argument(
        "--entries", type=int, default=100_000, help="events ingested, 100 a session (100000)"
    )
    parser.add_argument("--users", type=int, default=1, help="users the sessions belong to (1)")
    parser.add_argument(
        "--search-at",
        type=lambda text: [int(size) for size in text.split(",") if size],
        default=None,
        help="comma-separated snapshot sizes (default 1000,10000,100000 and --entries)",
    )
    parser.add_argument("--repeats", type=int, default=5, help="timed query passes at most (5)")
    parser.add_argument(
        "--budget", type=float, default=20.0, help="seconds of timed passes per snapshot (20)"
    )
    args = parser.parse_args()
    args.hybrid = args.backend.endswith("-hybrid")
    os.makedirs(args.folder, exist_ok=True)
    print(json.dumps(asyncio.run(run_in_process(args))))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
