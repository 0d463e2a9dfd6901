"""`StampedArtifactStore`: a destination store whose saves carry a create time given by the import.

`adk_sqlite.transfer.artifact_import` saves through `ArtifactService`, which builds each
payload as a live save does (ADK's checks, the bytes apart from the part's JSON) and
stamps it with the current time; this wrapper puts the time the source recorded in its
place, and passes every other call through.
"""

from __future__ import annotations

import msgspec

from adk_sqlite.artifact_records import (
    ArtifactKey,
    ArtifactPayload,
    ArtifactVersionRecord,
    StoredArtifact,
)
from adk_sqlite.artifact_store import ArtifactStore

__all__ = ["StampedArtifactStore"]


class StampedArtifactStore:
    """An `ArtifactStore` saving with ``create_time`` (set before each save)."""

    def __init__(self, store: ArtifactStore) -> None:
        self._store = store
        self.create_time = 0.0

    async def save_artifact(self, key: ArtifactKey, payload: ArtifactPayload) -> int:
        stamped = msgspec.structs.replace(payload, create_time=self.create_time)
        return await self._store.save_artifact(key, stamped)

    async def load_artifact(self, key: ArtifactKey, version: int | None) -> StoredArtifact | None:
        return await self._store.load_artifact(key, version)

    async def list_artifact_keys(
        self, *, app_name: str, user_id: str, session_id: str | None
    ) -> list[str]:
        return await self._store.list_artifact_keys(
            app_name=app_name, user_id=user_id, session_id=session_id
        )

    async def list_artifact_versions(self, key: ArtifactKey) -> list[ArtifactVersionRecord]:
        return await self._store.list_artifact_versions(key)

    async def delete_artifact(self, key: ArtifactKey) -> int:
        return await self._store.delete_artifact(key)

    async def close(self) -> None:
        close = getattr(self._store, "close", None)
        if close is not None:
            await close()
