"""Reading a folder written by google-adk's ``FileArtifactService``, as its own reads do.

The layout (``google.adk.artifacts.file_artifact_service``, google-adk 2.x)::

    root/apps/{app}/users/{user}/artifacts/{path}/versions/{n}/{name}       user scope
    root/apps/{app}/users/{user}/sessions/{session}/artifacts/{path}/...    a session's
        .../versions/{n}/metadata.json    FileArtifactVersion: file_name, mime_type,
                                          display_name, custom_metadata, create_time

``{path}`` comes from the filename (``/`` makes folders; ``doc`` and ``doc/nested``
are two artifacts, the second inside the first's folder), ``{name}`` is the path's last
segment. A folder is an artifact when it holds ``versions``; a version is a folder of
``versions`` whose name is an integer (``.{n}.pending`` is a save that never finished).
A version with a truthy ``mime_type`` holds bytes, otherwise UTF-8 text, as ADK loads
it. Releases before the ``apps/{app}`` level wrote ``root/users``, which records no app
and which ADK itself no longer reads: it is left out too.

Everything here is blocking file I/O; the import runs it in a thread.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.adk.artifacts.file_artifact_service import FileArtifactVersion
from google.genai import types
from pydantic import ValidationError

from adk_sqlite.errors import DatabaseUnavailableError, SchemaError

__all__ = ["AdkArtifact", "AdkVersion", "find_adk_artifacts", "read_version", "read_versions"]

_USER_PREFIX = "user:"
_VERSIONS = "versions"
_METADATA = "metadata.json"


@dataclass(frozen=True, slots=True)
class AdkArtifact:
    """One artifact of the folder: its scope, its name, where it is, its version numbers."""

    app_name: str
    user_id: str
    session_id: str | None
    """None for a user-scoped artifact."""
    filename: str
    """The name ADK's services load it by (``user:`` first for a user-scoped one)."""
    directory: Path
    versions: tuple[int, ...]
    """Published version numbers, ascending (a killed save can leave a gap)."""


@dataclass(frozen=True, slots=True)
class AdkVersion:
    """One version as ADK's ``load_artifact`` and ``list_artifact_versions`` see it.

    ``part`` is None when ADK cannot load it (its payload is missing or unreadable).
    """

    part: types.Part | None
    custom_metadata: dict[str, Any]
    create_time: float


def find_adk_artifacts(root: Path) -> list[AdkArtifact]:
    """Every artifact under ``root``, sorted by scope and name.

    Raises:
        DatabaseUnavailableError: ``root`` is not a folder.
        SchemaError: It holds things but no ``apps`` folder: not a FileArtifactService
            root, or one written by a release before ``apps/{app}`` (ADK no longer
            reads that tree either).
    """
    if not root.is_dir():
        raise DatabaseUnavailableError(f"{root}: no such folder")
    apps = root / "apps"
    if not apps.is_dir():
        if (root / "users").is_dir():
            raise SchemaError(
                f"{root}: its artifacts are in a users/ folder, written by a google-adk release"
                " before the apps/{app_name} level; that tree records no app name, and"
                " ADK's FileArtifactService no longer reads it either"
            )
        if any(root.iterdir()):
            raise SchemaError(
                f"{root}: not a folder written by ADK's FileArtifactService (it has no apps/)"
            )
        return []
    found: list[AdkArtifact] = []
    for app in _folders(apps):
        for user in _folders(app / "users"):
            found += _artifacts_in(user / "artifacts", app.name, user.name, None)
            for session in _folders(user / "sessions"):
                found += _artifacts_in(session / "artifacts", app.name, user.name, session.name)
    return sorted(found, key=lambda a: (a.app_name, a.user_id, a.session_id or "", a.filename))


def _folders(parent: Path) -> list[Path]:
    if not parent.is_dir():
        return []
    return sorted(child for child in parent.iterdir() if child.is_dir())


def _artifacts_in(
    scope: Path, app_name: str, user_id: str, session_id: str | None
) -> list[AdkArtifact]:
    found = []
    for folder, children, _ in os.walk(scope):
        directory = Path(folder)
        if _VERSIONS not in children:
            continue
        # A nested artifact ("doc/nested") sits inside another's folder ("doc"):
        # keep walking, but not into the versions themselves.
        children.remove(_VERSIONS)
        versions = _version_numbers(directory / _VERSIONS)
        if not versions:
            continue
        filename = _filename(directory, scope, versions[-1], user_scoped=session_id is None)
        found.append(AdkArtifact(app_name, user_id, session_id, filename, directory, versions))
    return found


def _version_numbers(versions: Path) -> tuple[int, ...]:
    numbers = []
    for child in versions.iterdir():
        if child.is_dir():
            try:
                numbers.append(int(child.name))  # as ADK lists them
            except ValueError:
                continue  # a save in progress or killed: .{n}.pending
    return tuple(sorted(numbers))


def _filename(directory: Path, scope: Path, newest: int, *, user_scoped: bool) -> str:
    """The newest version's recorded name, as ADK lists it; else the folder's path."""
    metadata = _metadata(directory, newest)
    if metadata is not None and metadata.file_name:
        name = metadata.file_name
    else:
        name = directory.relative_to(scope).as_posix()
    # ADK stores a name saved without a session in the user scope even without the
    # prefix, and loads it from a session as "user:<name>": the name it has here.
    if user_scoped and not name.startswith(_USER_PREFIX):
        name = _USER_PREFIX + name
    return name


def _metadata(directory: Path, version: int) -> FileArtifactVersion | None:
    try:
        raw = (directory / _VERSIONS / str(version) / _METADATA).read_text(encoding="utf-8")
        return FileArtifactVersion.model_validate_json(raw)
    except (OSError, UnicodeDecodeError, ValidationError, ValueError):
        return None


def read_version(artifact: AdkArtifact, version: int) -> AdkVersion:
    """One version's content and metadata, read exactly as ADK's service reads them."""
    metadata = _metadata(artifact.directory, version)
    payload = artifact.directory / _VERSIONS / str(version) / artifact.directory.name
    part: types.Part | None = None
    try:
        if metadata is not None and metadata.mime_type:
            blob = types.Blob(
                mime_type=metadata.mime_type,
                data=payload.read_bytes(),
                display_name=metadata.display_name,
            )
            part = types.Part(inline_data=blob)
        else:
            part = types.Part(text=payload.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        part = None
    if metadata is not None:
        return AdkVersion(part, dict(metadata.custom_metadata), metadata.create_time)
    # No readable metadata: ADK reports a fresh time on every call; the file's
    # modification time is the closest stable one.
    return AdkVersion(part, {}, _modified(payload))


def read_versions(artifact: AdkArtifact) -> list[AdkVersion]:
    """Versions 0 to the newest; a number without a readable version gets no part.

    A missing number (a save ADK never finished reserves it) takes the next version's
    create time: stable from run to run, so a second import recognises it.
    """
    found = {number: read_version(artifact, number) for number in artifact.versions}
    versions: list[AdkVersion] = []
    for number in range(artifact.versions[-1], -1, -1):
        version = found.get(number)
        if version is None:
            version = AdkVersion(None, {}, versions[-1].create_time)
        versions.append(version)
    return versions[::-1]


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return path.parent.stat().st_mtime
