"""Large artifacts on `PostgresStore`: bounded memory, and an event loop that keeps running.

The bytes of a large version travel in pieces (see `adk_sqlite.postgres.artifact_jobs`):
one ``bytea`` parameter of 100 MB would hold the caller's copy, asyncpg's encoded copy
and the message buffer at once, and encode on the loop's thread in one go.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
from google.genai import types

from adk_sqlite import ArtifactService, PostgresStore
from support.heartbeat import heartbeat

SCOPE = {"app_name": "app", "user_id": "u", "session_id": "s"}
CHILD = Path(__file__).with_name("_large_artifact_child.py")


def test_a_100_mb_artifact_round_trips_in_well_under_three_times_its_size(dsn: str) -> None:
    child = subprocess.run(
        [sys.executable, str(CHILD), dsn, "100"], capture_output=True, text=True, timeout=600
    )
    assert child.returncode == 0, child.stderr
    growth = int(child.stdout.split()[-1])
    # The test's own copy of the data is 1x; the save and the load add at most one more.
    assert growth < 2.5 * (100 << 20), growth


async def test_a_large_save_and_load_leave_the_event_loop_running(dsn: str) -> None:
    data = bytes(range(256)) * ((48 << 20) // 256)
    async with PostgresStore(dsn) as store:
        service = ArtifactService(store)
        await service.save_artifact(filename="warm", artifact=types.Part(text="x"), **SCOPE)
        async with heartbeat() as beats:
            started = time.perf_counter()
            await service.save_artifact(
                filename="big", artifact=types.Part.from_bytes(data=data, mime_type="a/b"), **SCOPE
            )
            loaded = await service.load_artifact(filename="big", **SCOPE)
            elapsed = time.perf_counter() - started
    assert loaded is not None
    assert loaded.inline_data is not None
    assert loaded.inline_data.data == data
    # Pieces of a MiB go one at a time: the loop gets a turn between them, so no single
    # stretch comes near the whole copy (a one-parameter save held it for all of it).
    assert beats.longest_stall < elapsed / 4, (beats.longest_stall, elapsed)


async def test_versions_of_every_size_read_back_exactly_and_delete_with_their_pieces(
    dsn: str,
) -> None:
    sizes = [0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, (3 << 20) + 12345]
    async with PostgresStore(dsn) as store:
        service = ArtifactService(store)
        payloads = [
            (bytes(range(index, 251)) * (size // 200 + 1))[:size]
            for index, size in enumerate(sizes)
        ]
        for payload in payloads:
            await service.save_artifact(
                filename="f", artifact=types.Part.from_bytes(data=payload, mime_type="a/b"), **SCOPE
            )
        for version, payload in enumerate(payloads):
            loaded = await service.load_artifact(filename="f", version=version, **SCOPE)
            assert loaded is not None
            assert loaded.inline_data is not None
            assert loaded.inline_data.data == payload, version
        sql = await asyncpg.connect(dsn)
        try:
            # Only the two versions over a MiB went in pieces: 2 and 4 of them.
            assert await sql.fetchval("SELECT count(*) FROM adk_artifacts_pieces") == 6
            await service.delete_artifact(filename="f", **SCOPE)
            assert await service.list_versions(filename="f", **SCOPE) == []
            assert await sql.fetchval("SELECT count(*) FROM adk_artifacts_pieces") == 0
        finally:
            await sql.close()


async def test_a_table_made_before_pieces_existed_gets_them_and_keeps_its_versions(
    dsn: str,
) -> None:
    sql = await asyncpg.connect(dsn)
    try:
        # The artifacts table as the previous release created it: no pieces table.
        await sql.execute(
            """CREATE TABLE adk_artifacts (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                app_name TEXT NOT NULL, user_id TEXT NOT NULL, session_id TEXT NOT NULL,
                filename BYTEA NOT NULL, version INTEGER NOT NULL, part TEXT NOT NULL,
                data BYTEA, size BIGINT NOT NULL, mime_type TEXT,
                custom_metadata TEXT NOT NULL, create_time DOUBLE PRECISION NOT NULL,
                UNIQUE (app_name, user_id, session_id, filename, version))"""
        )
        part = {"inline_data": {"mime_type": "a/b"}}
        await sql.execute(
            "INSERT INTO adk_artifacts (app_name, user_id, session_id, filename, version,"
            " part, data, size, mime_type, custom_metadata, create_time)"
            " VALUES ('app', 'u', 's', 'old'::bytea, 0, $1, $2, 3, 'a/b', '{}', 1.0)",
            json.dumps(part),
            b"old",
        )
    finally:
        await sql.close()
    big = bytes(range(256)) * ((2 << 20) // 256 + 1)
    async with PostgresStore(dsn) as store:
        service = ArtifactService(store)
        old = await service.load_artifact(filename="old", **SCOPE)
        assert old is not None
        assert old.inline_data is not None
        assert old.inline_data.data == b"old"
        await service.save_artifact(
            filename="old", artifact=types.Part.from_bytes(data=big, mime_type="a/b"), **SCOPE
        )
        loaded = await service.load_artifact(filename="old", **SCOPE)
        assert loaded is not None
        assert loaded.inline_data is not None
        assert loaded.inline_data.data == big
        assert await service.list_versions(filename="old", **SCOPE) == [0, 1]
