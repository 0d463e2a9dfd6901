"""`ArtifactService`: ADK's artifact service over an adk-sqlite store.

The service knows ADK's semantics (scopes, ``user:`` names, validation, references,
the rewind marker, ``ArtifactVersion``); the store knows SQL and numbers the versions
inside the save's transaction (`adk_sqlite.artifact_store.ArtifactStore`).
"""

from __future__ import annotations

import os
import time
from typing import Any

import msgspec
from google.adk.artifacts import artifact_util
from google.adk.artifacts.base_artifact_service import (
    ArtifactVersion,
    BaseArtifactService,
    ensure_part,
)
from google.adk.errors.input_validation_error import InputValidationError
from google.genai import types

from adk_sqlite.adk.store_argument import StoreService, store_or_url
from adk_sqlite.artifact_records import (
    USER_SCOPE,
    ArtifactKey,
    ArtifactPayload,
    ArtifactVersionRecord,
)
from adk_sqlite.artifact_store import ArtifactStore
from adk_sqlite.errors import ArtifactTooLargeError, ConfigurationError

__all__ = ["DEFAULT_MAX_ARTIFACT_SIZE", "ArtifactService"]

DEFAULT_MAX_ARTIFACT_SIZE = 512 * 1024 * 1024
"""The default largest content a save accepts, in bytes (512 MiB)."""

# How many artifact:// references one load follows, as ADK's own services.
_MAX_REFERENCE_DEPTH = 5
_USER_PREFIX = "user:"
# The part a session rewind saves to hide an artifact (google-adk's rewind marker, an
# empty application/octet-stream payload): every ADK service loads it as absent.
_REWIND_MARKER = types.Part(inline_data=types.Blob(mime_type="application/octet-stream", data=b""))
_EMPTY_PART = types.Part()
_metadata_encoder = msgspec.json.Encoder()


class ArtifactService(StoreService[ArtifactStore], BaseArtifactService):
    """ADK's ``BaseArtifactService`` over an adk-sqlite store.

    Give it the store your `adk_sqlite.SessionService` uses, and the sessions and
    artifacts of an app live in one database::

        store = SqliteStore("./agent.db")
        runner = Runner(
            agent=agent,
            app_name="support",
            session_service=SessionService(store),
            artifact_service=ArtifactService(store),
        )

    Behaviour is that of ADK's own services: versions start at 0 and grow by one per
    save; ``user:`` names are shared by all of a user's sessions; ids are validated as
    ADK validates them (``InputValidationError``). Unlike ADK's in-memory and cloud
    services, a session id ``user`` or ``user/...`` is accepted: the two scopes are kept
    apart by a column, not by a path.

    Args:
        store: `SqliteStore`, `PerSessionSqliteStore` or `PostgresStore`.
        max_artifact_size: The largest content (inline bytes, or text in UTF-8) a save
            accepts, in bytes; a larger one raises `ArtifactTooLargeError` before
            anything is written.
        uri: Instead of ``store``: a service URL (``adk-sqlite:///agent.db``), opened
            with `adk_sqlite.adk.registry.open_store`, so a `SessionService` built from
            the same URL shares the store. This is how a ``services.yaml`` in an ADK
            agents folder builds the service (``class: adk_sqlite.ArtifactService``).
        agents_dir: Accepted because ADK passes it with ``uri``; not used.

    Raises:
        InvalidArgumentError: Both ``store`` and ``uri`` were given, or neither.
        ConfigurationError: The store holds no artifacts, ``uri`` is not a valid
            service URL, or ``max_artifact_size`` is not a size.
    """

    def __init__(
        self,
        store: ArtifactStore | None = None,
        *,
        max_artifact_size: int = DEFAULT_MAX_ARTIFACT_SIZE,
        uri: str | None = None,
        agents_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        store = store_or_url(store, uri, service="ArtifactService")
        if not isinstance(store, ArtifactStore):
            raise ConfigurationError(f"{type(store).__name__} does not store artifacts")
        if not isinstance(max_artifact_size, int) or max_artifact_size < 0:
            raise ConfigurationError(
                f"max_artifact_size={max_artifact_size!r}: expected a number of bytes >= 0"
            )
        self._store = store
        self._max_size = max_artifact_size

    # --- saving ---------------------------------------------------------------------

    async def save_artifact(
        self,
        *,
        app_name: str,
        user_id: str,
        filename: str,
        artifact: types.Part | dict[str, Any],
        session_id: str | None = None,
        custom_metadata: dict[str, Any] | None = None,
    ) -> int:
        key = _key(app_name, user_id, filename, session_id)
        part = ensure_part(artifact)
        payload = self._payload(part, key, session_id, custom_metadata)
        return await self._store.save_artifact(key, payload)

    def _payload(
        self,
        part: types.Part,
        key: ArtifactKey,
        session_id: str | None,
        custom_metadata: dict[str, Any] | None,
    ) -> ArtifactPayload:
        data: bytes | None = None
        stored = part
        if part.inline_data is not None:
            if part.inline_data.data is None:
                raise InputValidationError("an inline_data artifact must hold data")
            data = part.inline_data.data
            mime_type = part.inline_data.mime_type
            size = len(data)
            # The bytes are stored apart from the part's JSON (never as base64).
            stored = part.model_copy(
                update={"inline_data": part.inline_data.model_copy(update={"data": None})}
            )
        elif part.text is not None:
            mime_type, size = "text/plain", len(part.text.encode("utf-8"))
        elif part.file_data is not None:
            mime_type, size = self._file_data_mime_type(part, key, session_id), 0
        else:
            raise InputValidationError("Not supported artifact type.")
        if size > self._max_size:
            raise ArtifactTooLargeError(
                f"artifact {key.filename!r} holds {size} bytes, more than this service's"
                f" max_artifact_size ({self._max_size})"
            )
        try:
            metadata = _metadata_encoder.encode(custom_metadata or {}).decode()
        except (TypeError, msgspec.EncodeError) as exc:
            raise InputValidationError(f"custom_metadata has no JSON form: {exc}") from exc
        return ArtifactPayload(
            part=stored.model_dump_json(exclude_none=True),
            data=data,
            mime_type=mime_type,
            custom_metadata=metadata,
            create_time=time.time(),
            size=size,
        )

    @staticmethod
    def _file_data_mime_type(
        part: types.Part, key: ArtifactKey, session_id: str | None
    ) -> str | None:
        file_data = part.file_data
        assert file_data is not None
        if not file_data.file_uri:
            raise InputValidationError("a file_data artifact must have a file_uri")
        if not artifact_util.is_artifact_ref(part):
            return file_data.mime_type
        target = artifact_util.parse_artifact_uri(file_data.file_uri)
        if target is None:
            raise InputValidationError(f"Invalid artifact reference URI: {file_data.file_uri}")
        artifact_util.validate_artifact_reference_scope(
            app_name=key.app_name,
            user_id=key.user_id,
            # The caller's session, also for a user: name, as ADK's services check it.
            session_id=session_id,
            parsed_uri=target,
        )
        return None  # known only when the reference is loaded

    # --- reading --------------------------------------------------------------------

    async def load_artifact(
        self,
        *,
        app_name: str,
        user_id: str,
        filename: str,
        session_id: str | None = None,
        version: int | None = None,
    ) -> types.Part | None:
        key = _key(app_name, user_id, filename, session_id)
        return await self._load(key, session_id, version, _MAX_REFERENCE_DEPTH)

    async def _load(
        self, key: ArtifactKey, session_id: str | None, version: int | None, remaining_depth: int
    ) -> types.Part | None:
        """The part stored under ``key`` (``session_id``: the caller's, which scopes the
        references it may follow), following artifact:// references."""
        stored = await self._store.load_artifact(key, version)
        if stored is None:
            return None
        part = types.Part.model_validate_json(stored.payload.part)
        if stored.payload.data is not None and part.inline_data is not None:
            # Assigned, not validated again: the bytes are the ones stored.
            part.inline_data.data = stored.payload.data
        if artifact_util.is_artifact_ref(part):
            assert part.file_data is not None
            assert part.file_data.file_uri is not None
            target = artifact_util.resolve_artifact_reference(
                file_uri=part.file_data.file_uri,
                app_name=key.app_name,
                user_id=key.user_id,
                session_id=session_id,
                remaining_depth=remaining_depth,
            )
            target_key = _key(target.app_name, target.user_id, target.filename, target.session_id)
            return await self._load(
                target_key, target.session_id, target.version, remaining_depth - 1
            )
        if part in (_EMPTY_PART, _REWIND_MARKER):
            return None
        return part

    async def list_artifact_keys(
        self, *, app_name: str, user_id: str, session_id: str | None = None
    ) -> list[str]:
        artifact_util.validate_path_segment(app_name, "app_name")
        artifact_util.validate_path_segment(user_id, "user_id")
        if session_id is not None:
            artifact_util.validate_path_segment(session_id, "session_id")
        names = await self._store.list_artifact_keys(
            app_name=app_name, user_id=user_id, session_id=session_id
        )
        return sorted(set(names))

    async def delete_artifact(
        self, *, app_name: str, user_id: str, filename: str, session_id: str | None = None
    ) -> None:
        await self._store.delete_artifact(_key(app_name, user_id, filename, session_id))

    async def list_versions(
        self, *, app_name: str, user_id: str, filename: str, session_id: str | None = None
    ) -> list[int]:
        key = _key(app_name, user_id, filename, session_id)
        return [record.version for record in await self._store.list_artifact_versions(key)]

    async def list_artifact_versions(
        self, *, app_name: str, user_id: str, filename: str, session_id: str | None = None
    ) -> list[ArtifactVersion]:
        key = _key(app_name, user_id, filename, session_id)
        return [_version(key, record) for record in await self._store.list_artifact_versions(key)]

    async def get_artifact_version(
        self,
        *,
        app_name: str,
        user_id: str,
        filename: str,
        session_id: str | None = None,
        version: int | None = None,
    ) -> ArtifactVersion | None:
        key = _key(app_name, user_id, filename, session_id)
        records = await self._store.list_artifact_versions(key)
        if not records:
            return None
        if version is None:
            return _version(key, records[-1])
        for record in records:
            if record.version == version:
                return _version(key, record)
        return None

    def __repr__(self) -> str:
        return f"ArtifactService({self._store!r})"


def _key(app_name: str, user_id: str, filename: str, session_id: str | None) -> ArtifactKey:
    """The artifact's key, after ADK's checks of the ids that scope it."""
    artifact_util.validate_path_segment(app_name, "app_name")
    artifact_util.validate_path_segment(user_id, "user_id")
    if not isinstance(filename, str) or not filename:
        raise InputValidationError("filename must be a non-empty string.")
    if filename.startswith(_USER_PREFIX):
        return ArtifactKey(app_name, user_id, USER_SCOPE, filename)
    if session_id is None:
        raise InputValidationError("Session ID must be provided for session-scoped artifacts.")
    artifact_util.validate_path_segment(session_id, "session_id")
    return ArtifactKey(app_name, user_id, session_id, filename)


def _version(key: ArtifactKey, record: ArtifactVersionRecord) -> ArtifactVersion:
    session_id = None if key.session_id == USER_SCOPE else key.session_id
    return ArtifactVersion(
        version=record.version,
        canonical_uri=artifact_util.get_artifact_uri(
            key.app_name, key.user_id, key.filename, record.version, session_id
        ),
        custom_metadata=msgspec.json.decode(record.custom_metadata),
        create_time=record.create_time,
        mime_type=record.mime_type,
    )
