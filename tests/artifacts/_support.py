"""Names and builders shared by the artifact contract tests."""

from __future__ import annotations

from typing import Any

from google.adk.artifacts.base_artifact_service import BaseArtifactService
from google.genai import types

APP = "my_app"
USER = "user0"
SESSION = "s1"
OTHER_SESSION = "s2"
OTHER_USER = "user1"
OTHER_APP = "other_app"


def where(*, app: str = APP, user: str = USER, session: str | None = SESSION) -> dict[str, Any]:
    """The scope keywords every artifact-service call takes."""
    return {"app_name": app, "user_id": user, "session_id": session}


def text(value: str) -> types.Part:
    """A text artifact."""
    return types.Part(text=value)


def blob(
    data: bytes, mime_type: str = "application/pdf", display_name: str | None = None
) -> types.Part:
    """A bytes artifact."""
    return types.Part(
        inline_data=types.Blob(data=data, mime_type=mime_type, display_name=display_name)
    )


def pointer(uri: str | None, mime_type: str | None = None) -> types.Part:
    """A ``file_data`` artifact: a pointer to content stored elsewhere."""
    return types.Part(file_data=types.FileData(file_uri=uri, mime_type=mime_type))


def session_ref(
    filename: str,
    version: int,
    *,
    app: str = APP,
    user: str = USER,
    session: str = SESSION,
) -> str:
    """ADK's ``artifact://`` URI of a session-scoped artifact version."""
    return (
        f"artifact://apps/{app}/users/{user}/sessions/{session}"
        f"/artifacts/{filename}/versions/{version}"
    )


def user_ref(filename: str, version: int, *, app: str = APP, user: str = USER) -> str:
    """ADK's ``artifact://`` URI of a user-scoped artifact version.

    ``filename`` keeps its ``user:`` prefix, as in ADK's URIs.
    """
    return f"artifact://apps/{app}/users/{user}/artifacts/{filename}/versions/{version}"


async def save_all(
    service: BaseArtifactService,
    filename: str,
    artifacts: list[types.Part],
    **scope: Any,
) -> list[int]:
    """Saves ``artifacts`` as successive versions of ``filename``; returns the versions."""
    scope = scope or where()
    return [
        await service.save_artifact(**scope, filename=filename, artifact=artifact)
        for artifact in artifacts
    ]


async def load_every_version(
    service: BaseArtifactService, filename: str, **scope: Any
) -> list[types.Part | None]:
    """Every listed version of ``filename``, loaded one by one, oldest first."""
    scope = scope or where()
    versions = await service.list_versions(**scope, filename=filename)
    return [
        await service.load_artifact(**scope, filename=filename, version=version)
        for version in versions
    ]
