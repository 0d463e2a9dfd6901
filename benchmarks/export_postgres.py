"""Benchmarks `export_to_postgres`: a SQLite file of 1,000,000 events into PostgreSQL.

    python -m benchmarks.export_postgres                       # 1,000 sessions x 1,000 events
    python -m benchmarks.export_postgres --sessions 100 --events 100   # a quick run

The source is built fast but honestly: one template session is written through
`SessionService` (so every row is our codec's output: text, tool calls and
responses, state deltas), then copied inside SQLite to the other sessions under
new ids. The export goes into a fresh schema of the server named by
``ADK_SQLITE_BENCH_POSTGRES_DSN`` (default: the tests' server), which is dropped
afterwards. Printed: the time of each phase, events/s for the whole export,
and the time of a second run (which finds everything copied and only verifies).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.genai import types

from adk_sqlite import ExportProgress, SessionService, SqliteStore, export_to_postgres

DEFAULT_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
APP = "bench"
TEXT = "The quick brown fox jumps over the lazy dog. " * 5  # ~225 characters


def _template_event(n: int) -> Event:
    """One of four kinds, as a conversation alternates them."""
    kind = n % 4
    if kind == 0:
        content = types.Content(role="user", parts=[types.Part(text=f"{n}: {TEXT}")])
        return Event(author="user", invocation_id=f"inv-{n // 4}", content=content)
    if kind == 1:
        call = types.FunctionCall(id=f"call-{n}", name="lookup", args={"query": TEXT[:60], "n": n})
        content = types.Content(role="model", parts=[types.Part(function_call=call)])
        return Event(author="assistant", invocation_id=f"inv-{n // 4}", content=content)
    if kind == 2:
        response = types.FunctionResponse(
            id=f"call-{n - 1}", name="lookup", response={"result": TEXT, "score": n / 7}
        )
        content = types.Content(role="user", parts=[types.Part(function_response=response)])
        return Event(
            author="assistant",
            invocation_id=f"inv-{n // 4}",
            content=content,
            actions=EventActions(state_delta={"last_lookup": n, "user:lookups": n // 4}),
        )
    content = types.Content(role="model", parts=[types.Part(text=f"Answer {n}. {TEXT}")])
    return Event(author="assistant", invocation_id=f"inv-{n // 4}", content=content)


async def build_source(path: Path, sessions: int, events: int) -> None:
    """``sessions`` sessions of ``events`` events each, every row from our codec."""
    async with SessionService(SqliteStore(path)) as service:
        template = await service.create_session(
            app_name=APP, user_id="user-0", session_id="session-0", state={"app:plan": "pro"}
        )
        for n in range(events):
            await service.append_event(template, _template_event(n))
        for s in range(1, sessions):
            await service.create_session(
                app_name=APP, user_id=f"user-{s % 50}", session_id=f"session-{s}"
            )
    _copy_template_events(path, sessions)


def _copy_template_events(path: Path, sessions: int) -> None:
    """Copies session-0's events to every other session, inside SQLite, adapting to the schema."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        columns = [
            row[1] for row in connection.execute("PRAGMA table_info(adk_events)") if row[1] != "seq"
        ]
        session_columns = [row[1] for row in connection.execute("PRAGMA table_info(adk_sessions)")]
        # Per-session values, looked up once per session and bound as parameters.
        per_session = [c for c in ("user_id", "session_key") if c in session_columns]
        values = {"id": "id || '-' || :session_id", "session_id": ":session_id"}
        values.update({column: f":{column}" for column in per_session})
        select = ", ".join(values.get(column, column) for column in columns)
        sql = (
            f"INSERT INTO adk_events ({', '.join(columns)}) SELECT {select}"
            " FROM adk_events WHERE session_id = 'session-0' ORDER BY seq"
        )
        lookup = f"SELECT {', '.join(per_session)} FROM adk_sessions WHERE app_name = ? AND id = ?"
        connection.execute("BEGIN")
        for s in range(1, sessions):
            session_id = f"session-{s}"
            found = connection.execute(lookup, (APP, session_id)).fetchone()
            connection.execute(
                sql, {"session_id": session_id, **dict(zip(per_session, found, strict=True))}
            )
        connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


class PhaseClock:
    """Records when each export phase starts, from the progress callback."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}

    def __call__(self, step: ExportProgress) -> None:
        self.started.setdefault(step.phase, time.perf_counter())

    def durations(self, end: float) -> dict[str, float]:
        phases = list(self.started.items())
        return {
            phase: (phases[i + 1][1] if i + 1 < len(phases) else end) - start
            for i, (phase, start) in enumerate(phases)
        }


async def _admin(dsn: str, sql: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


def _with_search_path(dsn: str, schema: str) -> str:
    parts = urlsplit(dsn)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "search_path"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("search_path", schema)])))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=1_000)
    parser.add_argument("--events", type=int, default=1_000, help="events per session")
    parser.add_argument("--batch-size", type=int, default=10_000)
    parser.add_argument("--source", type=Path, help="reuse (or keep) this SQLite file")
    arguments = parser.parse_args()
    base = os.environ.get("ADK_SQLITE_BENCH_POSTGRES_DSN") or DEFAULT_DSN
    total = arguments.sessions * arguments.events

    with tempfile.TemporaryDirectory() as scratch:
        source = arguments.source or Path(scratch) / "source.db"
        if not source.exists():
            started = time.perf_counter()
            await build_source(source, arguments.sessions, arguments.events)
            print(f"built {source} ({total:,} events) in {time.perf_counter() - started:.1f} s")
        print(f"source: {source.stat().st_size / 2**20:,.0f} MiB")

        schema = f"adk_bench_{uuid.uuid4().hex[:12]}"
        await _admin(base, f'CREATE SCHEMA "{schema}"')
        try:
            dsn = _with_search_path(base, schema)
            clock = PhaseClock()
            started = time.perf_counter()
            report = await export_to_postgres(
                source, dsn, batch_size=arguments.batch_size, progress=clock
            )
            elapsed = time.perf_counter() - started
            if not report.verified or report.events.verified_rows != total:
                raise SystemExit(f"the export was not verified: {report!r}")
            started_again = time.perf_counter()
            again = await export_to_postgres(source, dsn, batch_size=arguments.batch_size)
            rerun = time.perf_counter() - started_again
            if again.events.copied_rows != 0:
                raise SystemExit(f"the second run copied events: {again!r}")
        finally:
            await _admin(base, f'DROP SCHEMA "{schema}" CASCADE')

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    for phase, seconds in clock.durations(started + elapsed).items():
        print(f"  {phase:<9} {seconds:7.1f} s")
    print(
        f"export: {total:,} events, {arguments.sessions:,} sessions in {elapsed:.1f} s"
        f" = {total / elapsed:,.0f} events/s (verified)"
    )
    print(f"second run (nothing to copy, verification only): {rerun:.1f} s")


if __name__ == "__main__":
    asyncio.run(main())
