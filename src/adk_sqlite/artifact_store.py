"""`ArtifactStore`: what `adk_sqlite.ArtifactService` needs of a store.

Every built-in store (`SqliteStore`, `PerSessionSqliteStore`, `PostgresStore`)
implements it beside `adk_sqlite.store.BaseAsyncStore`, so one store object holds an
app's sessions and artifacts. Versions are numbered by the store, inside the save's
transaction: two concurrent saves of one name (two tasks or two processes) get n and
n + 1. A save is one transaction: it publishes the whole version or nothing.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from adk_sqlite.artifact_records import (
    ArtifactKey,
    ArtifactPayload,
    ArtifactVersionRecord,
    StoredArtifact,
)

__all__ = ["ArtifactStore"]


@runtime_checkable
class ArtifactStore(Protocol):
    """Artifact versions, keyed by `ArtifactKey`."""

    async def save_artifact(self, key: ArtifactKey, payload: ArtifactPayload) -> int:
        """Stores a new version and returns its number (0 for the first)."""
        ...

    async def load_artifact(self, key: ArtifactKey, version: int | None) -> StoredArtifact | None:
        """The given version (the newest when None), or None when there is none."""
        ...

    async def list_artifact_keys(
        self, *, app_name: str, user_id: str, session_id: str | None
    ) -> list[str]:
        """The names with at least one version: the user's user-scoped names, plus
        the session's when ``session_id`` is given; unsorted."""
        ...

    async def list_artifact_versions(self, key: ArtifactKey) -> list[ArtifactVersionRecord]:
        """Every version's metadata, oldest first; [] for an unknown artifact."""
        ...

    async def delete_artifact(self, key: ArtifactKey) -> int:
        """Removes every version; returns how many there were."""
        ...
