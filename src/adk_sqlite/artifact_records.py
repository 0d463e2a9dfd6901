"""The plain records an artifact store takes and returns.

An artifact version is stored as its ``Part`` in JSON with the inline bytes left
out (``part``), and those bytes apart (``data``), so a backend keeps them as a
BLOB or BYTEA, never as base64 text, and can stream a large one. The artifact
service converts between these records and ADK's ``types.Part`` and
``ArtifactVersion``; a store knows nothing of either.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

__all__ = [
    "USER_SCOPE",
    "ArtifactKey",
    "ArtifactPayload",
    "ArtifactVersionRecord",
    "StoredArtifact",
    "stored_artifact",
    "version_record",
]

USER_SCOPE = ""
"""The ``session_id`` of a user-scoped artifact. ADK refuses an empty session id,
so no session-scoped artifact can have it."""


class ArtifactKey(msgspec.Struct, frozen=True):
    """Which artifact: its scope and its name (``user:`` names are user-scoped)."""

    app_name: str
    user_id: str
    session_id: str  # USER_SCOPE for a user-scoped artifact
    filename: str


class ArtifactPayload(msgspec.Struct, frozen=True, kw_only=True):
    """What one save stores.

    Attributes:
        part: The ``Part`` as a JSON object, without ``inline_data.data``.
        data: ``inline_data.data`` (``b""`` when present but empty), or None.
        mime_type: The version's mime type, as ADK's services report it.
        custom_metadata: The caller's metadata, a JSON object.
        create_time: Unix seconds.
        size: The content's size in bytes (the inline bytes, or the text in UTF-8).
    """

    part: str
    data: bytes | None
    mime_type: str | None
    custom_metadata: str
    create_time: float
    size: int


class ArtifactVersionRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One version's metadata, without its content."""

    version: int
    mime_type: str | None
    custom_metadata: str
    create_time: float
    size: int


class StoredArtifact(msgspec.Struct, frozen=True, kw_only=True):
    """One version as loaded."""

    version: int
    payload: ArtifactPayload


def version_record(columns: Sequence[Any]) -> ArtifactVersionRecord:
    """A version's metadata from its columns ``version, mime_type, custom_metadata,
    create_time, size``, in that order (both backends read them so)."""
    version, mime_type, custom_metadata, create_time, size = columns
    return ArtifactVersionRecord(
        version=version,
        mime_type=mime_type,
        custom_metadata=custom_metadata,
        create_time=create_time,
        size=size,
    )


def stored_artifact(columns: Sequence[Any], part: str, data: bytes | None) -> StoredArtifact:
    """A loaded version: its columns as `version_record` takes them, its part and bytes."""
    record = version_record(columns)
    return StoredArtifact(
        version=record.version,
        payload=ArtifactPayload(
            part=part,
            data=data,
            mime_type=record.mime_type,
            custom_metadata=record.custom_metadata,
            create_time=record.create_time,
            size=record.size,
        ),
    )
