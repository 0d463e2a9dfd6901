"""Runs one scale measurement in this process and prints its JSON.

    python -m benchmarks.scale_worker '{"workload": "page", "backend": "adk-sqlite", ...}'

Started by `benchmarks.scale`, one process per workload, backend and size, on a
database `benchmarks.scale_build` built, so no measurement inherits another's
caches or memory. Each one checks its answers (the newest page really the newest
sessions, every event back in order, the newest 20 really the newest) and
reports a failed check instead of a figure it cannot vouch for.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from benchmarks import scale_build
from benchmarks.scale_build import ADK_SQLITE, OURS, event_id
from benchmarks.settle import freed_behind
from benchmarks.subjects import APP, make_event

PAGE_SIZE = 50
RECENT = 20
COLD_AFTER_S = 10.0
DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"


@asynccontextmanager
async def open_service(backend: str, path: Path) -> AsyncIterator[Any]:
    """The session service of ``backend`` on the built database ``path``."""
    if backend == OURS:
        from adk_sqlite import SessionService, SqliteStore

        async with SessionService(SqliteStore(path)) as service:
            yield service
    elif backend == ADK_SQLITE:
        from google.adk.sessions.sqlite_session_service import SqliteSessionService

        adk_service = SqliteSessionService(str(path))
        try:
            yield adk_service
        finally:
            await adk_service.close()
    else:
        raise ValueError(f"unknown backend {backend!r}")


def peak_rss_mib() -> float:
    """This process's peak resident set so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class PeakRss:
    """The peak RSS of this process during a block, and its RSS before it.

    Linux resets a process's peak (``VmHWM``) when 5 is written to
    ``/proc/self/clear_refs``, so the peak of the block alone is measured even
    after importing ADK peaked higher. Elsewhere, the lifetime peak is used.
    """

    def __enter__(self) -> PeakRss:
        self.before = self._status("VmRSS") or peak_rss_mib()
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self.resettable = True
        except OSError:
            self.resettable = False
        return self

    def __exit__(self, *exc: object) -> None:
        self.peak = (self._status("VmHWM") if self.resettable else None) or peak_rss_mib()
        self.added = self.peak - self.before

    @staticmethod
    def _status(field: str) -> float | None:
        try:
            lines = Path("/proc/self/status").read_text().splitlines()
        except OSError:
            return None
        for line in lines:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
        return None


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile: with fewer than 100 samples p99 is the maximum."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))]


async def repeat(
    call: Callable[[], Awaitable[Any]], check: Callable[[Any], str | None], spec: dict[str, Any]
) -> dict[str, Any]:
    """One checked warm-up call, then timed calls until ``repeats`` or ``budget_s`` is reached
    (at least one); median and p99 in ms. A warm-up call that alone took longer than the
    budget, and over `COLD_AFTER_S`, is the one sample (``cold``): a second call of a minute
    would tell little more."""
    started = time.perf_counter()
    problem = check(await call())
    warm_up = time.perf_counter() - started
    await freed_behind()
    if problem:
        return {"checks": [problem]}
    if warm_up > max(spec["budget_s"], COLD_AFTER_S):
        ms = warm_up * 1e3
        return {"median_ms": ms, "p99_ms": ms, "samples": 1, "cold": True, "checks": []}
    timings: list[float] = []
    deadline = time.perf_counter() + spec["budget_s"]
    while len(timings) < spec["repeats"] and (not timings or time.perf_counter() < deadline):
        started = time.perf_counter()
        result = await call()
        timings.append(time.perf_counter() - started)
        del result
        await freed_behind()  # not in the next call's time (benchmarks.settle)
    return {
        "median_ms": statistics.median(timings) * 1e3,
        "p99_ms": percentile(timings, 0.99) * 1e3,
        "samples": len(timings),
        "checks": [],
    }


async def page(service: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """The newest page of 50 sessions of the app; ADK's services have no pages, so for them
    the whole listing, which is what a caller of theirs must read to show that page."""
    total = spec["size"]
    newest = f"s{total - 1:07d}"
    if spec["backend"] == OURS:

        async def call() -> Any:
            return await service.list_sessions(app_name=APP, page_size=PAGE_SIZE, newest_first=True)

        def check(listing: Any) -> str | None:
            ids = [session.id for session in listing.sessions]
            expected = [f"s{n:07d}" for n in range(total - 1, total - 1 - PAGE_SIZE, -1)]
            return None if ids == expected else f"page: not the newest {PAGE_SIZE} sessions"

    else:

        async def call() -> Any:
            return await service.list_sessions(app_name=APP)

        def check(listing: Any) -> str | None:
            ids = {session.id for session in listing.sessions}
            if len(ids) != total or newest not in ids:
                return f"whole listing: {len(ids)} sessions, not {total}"
            return None

    return await repeat(call, check, spec)


async def user_listing(service: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """Every session of one user (ADK's ``list_sessions(app_name, user_id)``) among all."""
    count = spec["size"]

    async def call() -> Any:
        return await service.list_sessions(app_name=APP, user_id=f"solo-{count}")

    def check(listing: Any) -> str | None:
        owners = {session.user_id for session in listing.sessions}
        if len(listing.sessions) != count or owners != {f"solo-{count}"}:
            return f"user listing: {len(listing.sessions)} sessions, not the user's {count}"
        return None

    return await repeat(call, check, spec)


async def append(service: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """``append_event`` into a new session of a database of ``size`` events; the session is
    deleted afterwards, so the cached database is left as it was."""
    calls = spec["append_calls"]
    warm_up = 20
    user, session_id = "append-probe", f"probe-{uuid.uuid4().hex[:8]}"
    session = await service.create_session(app_name=APP, user_id=user, session_id=session_id)
    base = time.time()
    events = [
        make_event(i, timestamp=base + i * 0.001, scope=session_id) for i in range(warm_up + calls)
    ]
    latencies = []
    try:
        for number, event in enumerate(events):
            started = time.perf_counter()
            await service.append_event(session, event)
            if number >= warm_up:
                latencies.append(time.perf_counter() - started)
        stored = await service.get_session(app_name=APP, user_id=user, session_id=session_id)
    finally:
        await service.delete_session(app_name=APP, user_id=user, session_id=session_id)
    if [event.id for event in stored.events] != [event.id for event in events]:
        return {"checks": ["append: the session does not hold the events appended, in order"]}
    return {
        "p50_ms": percentile(latencies, 0.50) * 1e3,
        "p99_ms": percentile(latencies, 0.99) * 1e3,
        "samples": len(latencies),
        "checks": [],
    }


def _expected_ids(size: int, newest: int | None = None) -> list[str]:
    first = 0 if newest is None else size - newest
    return [event_id(f"events-{size}", index) for index in range(first, size)]


async def recent(service: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """``get_session`` with ``num_recent_events=20`` of a session of ``size`` events."""
    from google.adk.sessions.base_session_service import GetSessionConfig

    size = spec["size"]
    expected = _expected_ids(size, RECENT)

    async def call() -> Any:
        return await service.get_session(
            app_name=APP,
            user_id=f"reader-{size}",
            session_id=f"events-{size}",
            config=GetSessionConfig(num_recent_events=RECENT),
        )

    def check(session: Any) -> str | None:
        ids = [event.id for event in session.events]
        return None if ids == expected else f"newest {RECENT}: not the newest, oldest first"

    return await repeat(call, check, spec)


async def full(service: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """``get_session`` of a whole session of ``size`` events."""
    size = spec["size"]
    expected = _expected_ids(size)

    async def call() -> Any:
        return await service.get_session(
            app_name=APP, user_id=f"reader-{size}", session_id=f"events-{size}"
        )

    def check(session: Any) -> str | None:
        ids = [event.id for event in session.events]
        return None if ids == expected else f"full read: {len(ids)} events, not the {size}"

    return await repeat(call, check, spec)


def _compacted_session(size: int, session_id: str) -> dict[str, Any]:
    """The ``get_session`` arguments of the compacted session of ``size`` events."""
    return {"app_name": APP, "user_id": f"reader-{size}", "session_id": session_id}


async def compacted(service: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """``get_session`` of a session compacted by a sliding window, of ``size`` events, by a
    service opened with ``skip_compacted_events=True``; the same read without the option,
    for comparison."""
    size = spec["size"]
    where = _compacted_session(size, scale_build.compacted_session_id(size))
    everything = await service.get_session(**where)
    all_ids = [event.id for event in everything.events]
    del everything

    def check(session: Any) -> str | None:
        ids = [event.id for event in session.events]
        if not ids or ids[-1] != all_ids[-1] or not set(ids) <= set(all_ids):
            return "compacted read: not a subset of the session ending with its last event"
        return None

    return await _compacted_read(
        service, spec, where, scale_build.compaction_config(), check, len(all_ids)
    )


async def token_compacted(service: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """``get_session`` with ``skip_compacted_events=True`` of a session compacted by a token
    threshold, of ``size`` events (each summary contains every earlier one); the same read
    without the option, for comparison. The read must return the newest compaction and
    every event from the end of its range on (the option leaves out [start, end): the
    event at the end is read, and ADK drops it), nothing else. (That the model then gets
    the same requests as from the whole session is proven by tests/compaction with real
    Runners, through ADK's public API; this check needs none of ADK's private helpers.)"""
    size = spec["size"]
    where = _compacted_session(size, scale_build.token_compacted_session_id(size))
    everything = await service.get_session(**where)
    total = len(everything.events)
    compactions = [event for event in everything.events if event.actions.compaction]
    if not compactions:
        return {"checks": ["token-threshold read: the built session holds no compaction"]}
    newest = compactions[-1]
    cut = newest.actions.compaction.end_timestamp
    expected = [
        event.id
        for event in everything.events
        if event is newest or (not event.actions.compaction and event.timestamp >= cut)
    ]

    del everything, compactions, newest
    # The shape's most: the summary, the event at its end and the newest invocations.
    most = 2 + 4 * scale_build.TOKEN_COMPACTION_EVERY

    def check(session: Any) -> str | None:
        ids = [event.id for event in session.events]
        if ids != expected:
            return (
                f"token-threshold read: {len(ids)} events, not the newest compaction and the"
                f" {len(expected) - 1} from the end of its range on"
            )
        if len(ids) > most:
            return f"token-threshold read: {len(ids)} events, more than the shape's {most}"
        return None

    return await _compacted_read(
        service, spec, where, scale_build.token_compaction_config(), check, total
    )


async def _compacted_read(
    service: Any,
    spec: dict[str, Any],
    where: dict[str, Any],
    config: Any,
    check: Callable[[Any], str | None],
    total: int,
) -> dict[str, Any]:
    """Times the read of ``where`` by a service skipping compacted events under ``config``
    (checked by ``check``), then the read of every event by ``service``."""
    from adk_sqlite import SessionService, SqliteStore

    skipping = SessionService(
        SqliteStore(Path(spec["db"])), skip_compacted_events=True, events_compaction_config=config
    )
    async with skipping:
        returned: list[int] = []

        async def call() -> Any:
            return await skipping.get_session(**where)

        def counted(session: Any) -> str | None:
            returned.append(len(session.events))
            return check(session)

        result = await repeat(call, counted, spec)

    async def call_all() -> Any:
        return await service.get_session(**where)

    if result["checks"]:
        return result
    without = await repeat(call_all, lambda _: None, spec)
    result.update(
        events_total=total,
        events_returned=returned[0],
        without_option_ms=without.get("median_ms"),
    )
    return result


async def full_read_rss(service: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """Peak RSS of this (fresh) process reading a whole session of ``size`` events, and how
    much the read added to the peak the process had before it."""
    from google.adk.sessions.base_session_service import GetSessionConfig

    size = spec["size"]
    where: dict[str, Any] = {
        "app_name": APP,
        "user_id": f"reader-{size}",
        "session_id": f"events-{size}",
    }
    # The database opened and one event decoded: the process as it is before a read.
    await service.get_session(**where, config=GetSessionConfig(num_recent_events=1))
    with PeakRss() as rss:
        session = await service.get_session(**where)
    if len(session.events) != size:
        return {"checks": [f"full read: {len(session.events)} events, not the {size}"]}
    return {"peak_rss_mib": rss.peak, "read_rss_mib": rss.added, "checks": []}


def _with_search_path(dsn: str, schema: str) -> str:
    parts = urlsplit(dsn)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "search_path"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("search_path", schema)])))


async def export(spec: dict[str, Any]) -> dict[str, Any]:
    """`export_to_postgres` of a database of ``size`` events into a fresh PostgreSQL schema
    (dropped afterwards): events/s and the peak RSS of this process."""
    try:
        import asyncpg
    except ImportError:
        return {"skipped": "asyncpg is not installed (the postgres extra)", "checks": []}
    from adk_sqlite import export_to_postgres

    base = os.environ.get("ADK_SQLITE_BENCH_POSTGRES_DSN") or DEFAULT_DSN
    try:
        admin = await asyncpg.connect(base, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        return {"skipped": f"no PostgreSQL server at {base}: {exc}"[:200], "checks": []}
    schema = f"adk_scale_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        with PeakRss() as rss:
            started = time.perf_counter()
            report = await export_to_postgres(Path(spec["db"]), _with_search_path(base, schema))
            elapsed = time.perf_counter() - started
    finally:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await admin.close()
    if not report.verified or report.events.verified_rows != spec["size"]:
        return {"checks": [f"export: not verified ({report.events.verified_rows} events)"]}
    return {
        "seconds": elapsed,
        "events_per_s": spec["size"] / elapsed,
        "peak_rss_mib": rss.peak,
        "export_rss_mib": rss.added,
        "checks": [],
    }


WORKLOADS: dict[str, Callable[[Any, dict[str, Any]], Awaitable[dict[str, Any]]]] = {
    "page": page,
    "user": user_listing,
    "append": append,
    "recent": recent,
    "full": full,
    "compacted": compacted,
    "compacted-token": token_compacted,
    "rss": full_read_rss,
}


async def measure(spec: dict[str, Any]) -> dict[str, Any]:
    if spec["workload"] == "export":
        return await export(spec)
    async with open_service(spec["backend"], Path(spec["db"])) as service:
        return await WORKLOADS[spec["workload"]](service, spec)


def measure_guarded(spec: dict[str, Any]) -> dict[str, Any]:
    """A measurement's figures, or its crash as a failed check."""
    try:
        return asyncio.run(measure(spec))
    except Exception as exc:
        return {"checks": [f"crashed: {type(exc).__name__}: {exc}"[:300]]}


def main() -> None:
    """One measurement (a JSON object), or several in turn (a JSON list: the smoke run)."""
    specs = json.loads(sys.argv[1])
    if isinstance(specs, list):
        print(json.dumps([measure_guarded(spec) for spec in specs]))
    else:
        print(json.dumps(measure_guarded(specs)))


if __name__ == "__main__":
    main()
