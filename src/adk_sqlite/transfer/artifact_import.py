"""Bringing artifacts over from google-adk's ``FileArtifactService``, every version kept.

`import_adk_artifacts` reads a folder written by ADK's file service (the layout is in
`adk_sqlite.transfer.adk_artifact_source`) and saves every version of every artifact
through `adk_sqlite.ArtifactService` into an adk-sqlite store, so each one is stored as
a live save would store it, in whichever layout the store has:

* **versions keep their numbers**: they are saved in order into a name the destination
  holds no versions of, so the store numbers them 0, 1, ... as in the source. A number
  the source lacks (a save ADK's service never finished reserves it) is filled with the
  part ADK's session rewind saves, which every ADK service loads as absent, as ADK's
  service loads the missing number; so is a version whose payload ADK cannot read.
* **metadata, mime type, display name and create time** are kept: the create time is
  the one ADK recorded (its ``metadata.json``), not the time of the import.
* **idempotent**: a version whose number the destination holds with the same create
  time is already there. Running the import again saves nothing new; versions added to
  the source since are appended. A name whose versions in the destination are not the
  source's (agents saved to it there) is left as it is and reported in
  ``artifacts_kept``.

It is async, because it writes through a store::

    import asyncio

    from adk_sqlite.transfer.artifact_import import import_adk_artifacts

    report = asyncio.run(import_adk_artifacts("my_agent/.adk/artifacts", "sessions.db"))
    print(report.versions_imported, report.versions_already_present)
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Literal

import msgspec
from google.genai import types

from adk_sqlite.adk.artifacts import ArtifactService
from adk_sqlite.artifact_records import USER_SCOPE, ArtifactKey
from adk_sqlite.artifact_store import ArtifactStore
from adk_sqlite.tools.maintenance import ProgressCallback
from adk_sqlite.transfer.adk_artifact_source import AdkArtifact, find_adk_artifacts, read_versions
from adk_sqlite.transfer.import_destination import describe_store, open_destination
from adk_sqlite.transfer.import_report import ImportReportBase
from adk_sqlite.transfer.stamped_artifact_store import StampedArtifactStore

__all__ = ["ArtifactImportReport", "import_adk_artifacts"]

# What a number the source has no readable version for becomes: the part a session
# rewind saves, which every ADK service (ours included) loads as absent.
_PLACEHOLDER = types.Part(inline_data=types.Blob(mime_type="application/octet-stream", data=b""))
_PLACEHOLDER_METADATA = {"adk_sqlite_import": "placeholder: no readable version in the source"}

# (app_name, user_id, session_id or "" for a user-scoped artifact, filename)
ArtifactName = tuple[str, str, str, str]


class ArtifactImportReport(ImportReportBase, kw_only=True):
    """What `import_adk_artifacts` wrote.

    Attributes:
        source: The folder read.
        destination: The store written.
        layout: Which ADK service wrote the source (``"file_artifact_service"``).
        artifacts: Artifacts (names) found in the source.
        versions_imported: Versions saved into the destination.
        versions_already_present: Source versions the destination already held.
        placeholders: Of the versions saved, numbers the source holds no readable
            version for (a save ADK never finished, a payload it cannot read),
            saved as the rewind marker that loads as absent.
        artifacts_kept: Names ``[app, user, session ("" for user:), filename]``
            whose versions in the destination differ from the source's: left as
            they are, nothing imported into them.
    """

    layout: Literal["file_artifact_service"] = "file_artifact_service"
    artifacts: int = 0
    versions_imported: int = 0
    versions_already_present: int = 0
    placeholders: int = 0
    artifacts_kept: list[ArtifactName] = msgspec.field(default_factory=list)


async def import_adk_artifacts(
    folder: str | os.PathLike[str],
    destination: str | os.PathLike[str] | ArtifactStore,
    *,
    progress: ProgressCallback | None = None,
    busy_timeout: float = 30.0,
) -> ArtifactImportReport:
    """Imports every version of every artifact of an ADK ``FileArtifactService`` folder.

    Args:
        folder: The service's ``root_dir`` (``adk web`` keeps one per agent, in
            ``<agent>/.adk/artifacts``).
        destination: A store (`SqliteStore`, `PerSessionSqliteStore`,
            `PostgresStore`; left open), or where one is: a SQLite file (created if
            missing), a folder of per-session files (with its ``catalog.db``), or a
            ``postgresql://`` URL (needs the ``postgres`` extra).
        progress: Called with (source versions handled, source versions in total).
        busy_timeout: Seconds to wait for a lock on a SQLite destination.

    Raises:
        DatabaseUnavailableError: ``folder`` is not a folder, or the destination
            cannot be opened.
        SchemaError: ``folder`` was not written by ``FileArtifactService`` (or by a
            release whose layout has no app level), or the destination is not an
            adk-sqlite database.
        ConfigurationError: ``destination`` is neither a store nor a location.
    """
    root = Path(folder)
    artifacts = await asyncio.to_thread(find_adk_artifacts, root)
    store, owned = (
        (destination, False)
        if isinstance(destination, ArtifactStore)
        else (await open_destination(destination, root, busy_timeout), True)
    )
    report = ArtifactImportReport(
        source=str(root), destination=describe_store(store), artifacts=len(artifacts)
    )
    stamped = StampedArtifactStore(store)
    # The store's limits apply; ADK's service accepted every version already.
    service = ArtifactService(stamped, max_artifact_size=sys.maxsize)
    total = sum(artifact.versions[-1] + 1 for artifact in artifacts)
    handled = 0
    try:
        for artifact in artifacts:
            await _import_artifact(service, stamped, artifact, report)
            handled += artifact.versions[-1] + 1
            if progress is not None:
                progress(handled, total)
    finally:
        if owned:
            await stamped.close()
    return report


async def _import_artifact(
    service: ArtifactService,
    stamped: StampedArtifactStore,
    artifact: AdkArtifact,
    report: ArtifactImportReport,
) -> None:
    """Saves the versions of one artifact the destination lacks, numbered as in the source."""
    source = await asyncio.to_thread(read_versions, artifact)
    key = _key_of(artifact)
    held = [record.create_time for record in await stamped.list_artifact_versions(key)]
    expected = [version.create_time for version in source]
    if held[: len(expected)] != expected[: len(held)]:
        report.artifacts_kept.append(_name_of(key))
        return
    report.versions_already_present += min(len(held), len(source))
    for number in range(len(held), len(source)):
        version = source[number]
        stamped.create_time = version.create_time
        saved = await service.save_artifact(
            app_name=artifact.app_name,
            user_id=artifact.user_id,
            session_id=artifact.session_id,
            filename=artifact.filename,
            artifact=version.part or _PLACEHOLDER,
            custom_metadata=version.custom_metadata if version.part else _PLACEHOLDER_METADATA,
        )
        report.versions_imported += 1
        report.placeholders += version.part is None
        if saved != number:  # an agent saved to this name meanwhile
            report.artifacts_kept.append(_name_of(key))
            return


def _key_of(artifact: AdkArtifact) -> ArtifactKey:
    """The artifact's key in the destination (a user-scoped one has session USER_SCOPE)."""
    session_id = USER_SCOPE if artifact.session_id is None else artifact.session_id
    return ArtifactKey(artifact.app_name, artifact.user_id, session_id, artifact.filename)


def _name_of(key: ArtifactKey) -> ArtifactName:
    return (key.app_name, key.user_id, key.session_id, key.filename)
