"""A child process for tests/postgres/test_large_artifacts.py (run as a script, never collected).

Usage::

    python _large_artifact_child.py DSN SIZE_MB

Saves an artifact of SIZE_MB MiB through `ArtifactService` on `PostgresStore` (DSN names
the test's schema), loads it back, checks it byte for byte, and prints the process's peak
resident memory growth over its start, in bytes. A process of its own, so that the peak
is this round trip's alone.
"""

from __future__ import annotations

import asyncio
import resource
import sys

from google.genai import types

from adk_sqlite import ArtifactService, PostgresStore

SCOPE = {"app_name": "app", "user_id": "u", "session_id": "s"}


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


async def round_trip(dsn: str, size_mb: int) -> None:
    async with PostgresStore(dsn) as store:
        service = ArtifactService(store)
        # The table, the pool and the imports first: the peak measured is the bytes'.
        await service.save_artifact(filename="warm", artifact=types.Part(text="x"), **SCOPE)
        start = _peak_rss()
        data = bytes(range(256)) * ((size_mb << 20) // 256)
        part = types.Part.from_bytes(data=data, mime_type="application/x-test")
        await service.save_artifact(filename="big.bin", artifact=part, **SCOPE)
        del part
        loaded = await service.load_artifact(filename="big.bin", **SCOPE)
        assert loaded is not None
        assert loaded.inline_data is not None
        assert loaded.inline_data.data == data
    print(_peak_rss() - start, flush=True)


if __name__ == "__main__":
    asyncio.run(round_trip(sys.argv[1], int(sys.argv[2])))
