"""Folders written by a real google-adk ``FileArtifactService``, and comparisons with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from google.adk.artifacts.file_artifact_service import FileArtifactService
from google.genai import types

from adk_sqlite import ArtifactService

# (app, user, session id or None, filename, parts in order, metadata)
SAVES: tuple[tuple[str, str, str | None, str, tuple[types.Part, ...], Any], ...] = (
    (
        "support",
        "ada",
        None,
        "user:profile.png",
        (
            types.Part.from_bytes(data=b"\x89PNG\r\n\x1a\n v0", mime_type="image/png"),
            types.Part.from_bytes(data=b"\x89PNG\r\n\x1a\n v1", mime_type="image/png"),
        ),
        {"by": "profile tool", "ratio": 0.1 + 0.2},
    ),
    (
        "support",
        "ada",
        "ticket-1",
        "report.txt",
        (types.Part(text="draft"), types.Part(text="second ✓"), types.Part(text="")),
        {"step": 3},
    ),
    (
        "support",
        "ada",
        "ticket-1",
        "docs",
        (types.Part(text="the parent of docs/nested/deep.bin"),),
        None,
    ),
    (
        "support",
        "ada",
        "ticket-1",
        "docs/nested/deep.bin",
        (
            types.Part(
                inline_data=types.Blob(
                    data=bytes(range(256)) * 4096,  # 1 MiB: above the blob I/O threshold
                    mime_type="application/octet-stream",
                    display_name="deep.bin",
                )
            ),
            types.Part.from_bytes(data=b"", mime_type="application/x-empty"),
        ),
        {"nested": {"list": [1, "two", None]}},
    ),
    (
        "support",
        "ada",
        "ticket-1",
        "rewound.txt",
        (
            types.Part(text="before the rewind"),
            # What a session rewind saves: every ADK service loads it as absent.
            types.Part(inline_data=types.Blob(mime_type="application/octet-stream", data=b"")),
        ),
        None,
    ),
    ("support", "ada", "ticket-2", "ünïcödé name.md", (types.Part(text="# hi"),), None),
    (
        "sales",
        "grace",
        "ticket-9",
        "quote.pdf",
        (types.Part.from_bytes(data=b"%PDF-1.7", mime_type="application/pdf"),),
        None,
    ),
)
NAMES = len(SAVES)
VERSIONS = sum(len(parts) for *_, parts, _ in SAVES)


async def write_folder(root: Path) -> FileArtifactService:
    """`SAVES` through ADK's own file service, rooted at ``root``."""
    service = FileArtifactService(root)
    for app, user, session_id, filename, parts, metadata in SAVES:
        for part in parts:
            await service.save_artifact(
                app_name=app,
                user_id=user,
                session_id=session_id,
                filename=filename,
                artifact=part,
                custom_metadata=metadata,
            )
    return service


async def assert_same_as_adk(adk: FileArtifactService, ours: ArtifactService) -> int:
    """Every version of `SAVES` loads alike, with the same numbers, metadata and times.

    Returns how many versions were compared. Text versions differ in one documented
    way: ADK's file service reports no mime type for them, ours ``text/plain``.
    """
    compared = 0
    for app, user, session_id, filename, _, _ in SAVES:
        key = {"app_name": app, "user_id": user, "session_id": session_id, "filename": filename}
        assert await ours.list_versions(**key) == await adk.list_versions(**key), key
        theirs = await adk.list_artifact_versions(**key)
        mine = await ours.list_artifact_versions(**key)
        assert [v.create_time for v in mine] == [v.create_time for v in theirs], key
        assert [v.custom_metadata for v in mine] == [v.custom_metadata for v in theirs], key
        for adk_version, our_version in zip(theirs, mine, strict=True):
            expected = await adk.load_artifact(**key, version=adk_version.version)
            got = await ours.load_artifact(**key, version=our_version.version)
            assert got == expected, (key, adk_version.version)
            if expected is not None and expected.inline_data is not None:
                assert our_version.mime_type == adk_version.mime_type
            compared += 1
        assert await ours.load_artifact(**key) == await adk.load_artifact(**key)
    return compared


__all__ = ["NAMES", "SAVES", "VERSIONS", "assert_same_as_adk", "write_folder"]
