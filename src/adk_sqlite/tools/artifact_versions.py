"""One stored artifact version with its content, and writing that content to a file.

`adk_sqlite.tools.artifacts.read_artifact` returns an `ArtifactContent`: the version's
metadata (`ArtifactVersionInfo`, what ``adk-sqlite artifacts NAME --json`` prints) and
its bytes or text, decoded here from the row the store wrote (the part's JSON, apart
from its bytes). Both structs are exported from `adk_sqlite.tools.artifacts` too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import msgspec

from adk_sqlite.artifact_records import ArtifactKey, StoredArtifact
from adk_sqlite.errors import ConfigurationError, CorruptRecordError, DatabaseUnavailableError
from adk_sqlite.timestamps import Instant, instant_from_unix
from adk_sqlite.tools.artifact_rows import Scope, identity_of, scope_of

__all__ = [
    "ArtifactContent",
    "ArtifactVersionInfo",
    "Scope",
    "scope_of",
    "version_content",
    "write_artifact_content",
]


class ArtifactVersionInfo(msgspec.Struct, kw_only=True):
    """One stored version, without its content.

    Attributes:
        session_id: None for a user-scoped artifact.
        kind: ``"bytes"`` (inline data), ``"text"``, or ``"file"`` (a ``file_data``
            reference to ``file_uri``, such as ``gs://...`` or ADK's ``artifact://``;
            the version holds no content of its own).
        size: The content's size in bytes (text in UTF-8).
        custom_metadata: The metadata saved with it (any JSON value); None if the
            stored metadata is not valid JSON.
        display_name: The inline data's display name, if any.
        file: The database file that holds it (in a folder, relative to the folder).
    """

    app_name: str
    user_id: str
    session_id: str | None
    scope: Scope
    filename: str
    version: int
    kind: Literal["bytes", "text", "file"]
    mime_type: str | None
    size: int
    custom_metadata: Any
    saved: Instant
    file_uri: str | None
    display_name: str | None
    file: str
    table: str


class ArtifactContent(msgspec.Struct, kw_only=True):
    """One version and its content: ``data`` for bytes, ``text`` for text, else neither."""

    info: ArtifactVersionInfo
    data: bytes | None
    text: str | None

    def content_bytes(self) -> bytes:
        """The content as bytes: ``data`` as stored, text in UTF-8.

        Raises:
            ConfigurationError: The version is a ``file_data`` reference: it holds no
                content of its own.
            CorruptRecordError: The text has no UTF-8 form (a lone surrogate).
        """
        if self.data is not None:
            return self.data
        if self.text is None:
            raise ConfigurationError(
                f"version {self.info.version} of {self.info.filename!r} holds no content:"
                f" it refers to {self.info.file_uri!r}"
            )
        try:
            return self.text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise CorruptRecordError(
                f"version {self.info.version} of {self.info.filename!r} holds text with no"
                f" UTF-8 form: {exc}"
            ) from exc


def version_content(
    key: ArtifactKey, stored: StoredArtifact, file: str, table: str
) -> ArtifactContent:
    """The `ArtifactContent` of a version the store read, found in ``table`` of ``file``.

    Raises:
        CorruptRecordError: The row holds no bytes, text or file reference.
    """
    payload = stored.payload
    part = _json_object(payload.part)
    inline = _field(part, "inline_data", "inlineData")
    file_data = _field(part, "file_data", "fileData")
    text = part.get("text")
    kind: Literal["bytes", "text", "file"]
    if payload.data is not None:
        kind = "bytes"
    elif isinstance(text, str):
        kind = "text"
    elif isinstance(_field(file_data, "file_uri", "fileUri"), str):
        kind = "file"
    else:
        raise CorruptRecordError(
            f"{file}: version {stored.version} of {key.filename!r} in {table} holds no bytes,"
            " text or file reference (adk-sqlite check reports such rows)"
        )
    return ArtifactContent(
        info=ArtifactVersionInfo(
            **identity_of(key),
            version=stored.version,
            kind=kind,
            mime_type=payload.mime_type,
            size=payload.size,
            custom_metadata=_json_or_none(payload.custom_metadata),
            saved=instant_from_unix(payload.create_time),
            file_uri=_field(file_data, "file_uri", "fileUri") if kind == "file" else None,
            display_name=_field(inline, "display_name", "displayName"),
            file=file,
            table=table,
        ),
        data=payload.data,
        text=text if kind == "text" else None,
    )


def _json_or_none(text: str) -> Any:
    try:
        return msgspec.json.decode(text)
    except (msgspec.DecodeError, TypeError):
        return None


def _json_object(text: str) -> dict[str, Any]:
    value = _json_or_none(text)
    return value if isinstance(value, dict) else {}


def _field(value: Any, snake: str, camel: str) -> Any:
    """A part field by either spelling (ADK writes snake_case; both are valid)."""
    if not isinstance(value, dict):
        return None
    return value.get(snake, value.get(camel))


def write_artifact_content(
    content: ArtifactContent, destination: str | os.PathLike[str], *, overwrite: bool = False
) -> int:
    """Writes a version's content to a new file (bytes as stored, text in UTF-8).

    The file is created exclusively, so an existing file (or a link) is never
    written through unless ``overwrite`` is given; a write that fails removes what
    it created. Returns the bytes written.

    Raises:
        ConfigurationError: ``destination`` exists and ``overwrite`` is False, cannot
            be written, or the version is a ``file_data`` reference with no content
            of its own.
        DatabaseUnavailableError: ``destination``'s folder does not exist.
    """
    data = content.content_bytes()
    path = Path(destination)
    try:
        output = path.open("wb" if overwrite else "xb")
    except FileExistsError:
        raise ConfigurationError(f"{path}: already exists; --force replaces it") from None
    except FileNotFoundError:
        raise DatabaseUnavailableError(f"{path}: folder {path.parent} does not exist") from None
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot be written: {exc.strerror}") from exc
    try:
        with output:
            output.write(data)
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise ConfigurationError(f"{path}: writing failed: {exc.strerror}") from exc
    return len(data)
