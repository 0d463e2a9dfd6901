"""Artifact service, "References": ``artifact://`` pointers to other artifact versions.

Covers adk-services.md, Artifact service / References: a reference saved as
``file_data`` loads as the referenced version's content, session and user scope,
target names with ``/``; a reference into another user's or app's artifacts is
refused on save, one to the same session or to the same user's ``user:``
artifacts is fine; a reference pointing at another session is refused on load; a
cycle ends in an error, not a hang. Beyond that, as ADK's in-memory service
(our choice (4)): a session reference saved from another session is refused on
save; a malformed ``artifact://`` URI is refused; a missing target loads as
``None``; chains of up to five references resolve (ADK's
``artifact_util._MAX_ARTIFACT_REFERENCE_DEPTH``), a sixth hop is an error; each
hop is resolved in the scope of the URI it follows, so after a hop into user
scope a further hop into a session is "another session".
"""

from __future__ import annotations

import asyncio

import pytest
from google.adk.artifacts.base_artifact_service import BaseArtifactService
from google.adk.errors.input_validation_error import InputValidationError

from ._support import (
    OTHER_APP,
    OTHER_SESSION,
    OTHER_USER,
    SESSION,
    blob,
    pointer,
    save_all,
    session_ref,
    text,
    user_ref,
    where,
)

# Long enough for any backend's round trips, short enough that a hang fails the test.
HANG_TIMEOUT_SECONDS = 10


async def _save_ref(
    service: BaseArtifactService, filename: str, uri: str, session: str | None = SESSION
) -> int:
    return await service.save_artifact(
        **where(session=session), filename=filename, artifact=pointer(uri)
    )


# --- resolution ------------------------------------------------------------------------


async def test_a_session_reference_loads_the_referenced_version(
    artifact_service: BaseArtifactService,
) -> None:
    await save_all(artifact_service, "doc", [text("first"), text("second")])

    assert await _save_ref(artifact_service, "ref", session_ref("doc", 0)) == 0

    assert await artifact_service.load_artifact(**where(), filename="ref") == text("first")
    assert await artifact_service.load_artifact(**where(), filename="ref", version=0) == text(
        "first"
    )


async def test_a_reference_to_bytes_loads_the_bytes_with_their_mime_type(
    artifact_service: BaseArtifactService,
) -> None:
    target = blob(b"\x89PNG", "image/png", "duck.png")
    await artifact_service.save_artifact(**where(), filename="photo", artifact=target)
    await artifact_service.save_artifact(
        **where(),
        filename="ref",
        artifact=pointer(session_ref("photo", 0), "text/plain"),
    )

    assert await artifact_service.load_artifact(**where(), filename="ref") == target


@pytest.mark.parametrize("ref_name", ["ref", "user:ref"])
async def test_a_reference_to_a_user_scoped_artifact_loads_it(
    artifact_service: BaseArtifactService, ref_name: str
) -> None:
    await save_all(artifact_service, "user:shared", [text("shared v0"), text("shared v1")])

    await _save_ref(artifact_service, ref_name, user_ref("user:shared", 1))

    assert await artifact_service.load_artifact(**where(), filename=ref_name) == text("shared v1")


async def test_a_user_scoped_reference_to_user_scope_loads_from_any_session_and_none(
    artifact_service: BaseArtifactService,
) -> None:
    await save_all(artifact_service, "user:shared", [text("shared")], **where(session=None))
    await _save_ref(artifact_service, "user:ref", user_ref("user:shared", 0), session=None)

    for session in (SESSION, OTHER_SESSION, None):
        loaded = await artifact_service.load_artifact(**where(session=session), filename="user:ref")
        assert loaded == text("shared"), f"session {session!r}"


@pytest.mark.parametrize("target", ["folder/file456", "a/b/c/versions/d", "user:dir/x"])
async def test_a_reference_target_name_may_contain_slashes(
    artifact_service: BaseArtifactService, target: str
) -> None:
    await save_all(artifact_service, target, [text(f"content of {target}")])
    uri = user_ref(target, 0) if target.startswith("user:") else session_ref(target, 0)

    await _save_ref(artifact_service, "ref", uri)

    assert await artifact_service.load_artifact(**where(), filename="ref") == text(
        f"content of {target}"
    )


async def test_each_version_of_a_reference_artifact_resolves_on_its_own(
    artifact_service: BaseArtifactService,
) -> None:
    await save_all(artifact_service, "doc", [text("doc v0")])
    await save_all(artifact_service, "alias", [text("plain v0")])
    assert await _save_ref(artifact_service, "alias", session_ref("doc", 0)) == 1

    assert await artifact_service.load_artifact(**where(), filename="alias", version=0) == text(
        "plain v0"
    )
    assert await artifact_service.load_artifact(**where(), filename="alias") == text("doc v0")
    assert await artifact_service.list_versions(**where(), filename="alias") == [0, 1]


@pytest.mark.parametrize("version", [0, 5], ids=["missing-artifact", "missing-version"])
async def test_a_reference_to_a_missing_target_loads_as_none(
    artifact_service: BaseArtifactService, version: int
) -> None:
    if version:
        await save_all(artifact_service, "doc", [text("only v0")])

    await _save_ref(artifact_service, "ref", session_ref("doc", version))

    assert await artifact_service.load_artifact(**where(), filename="ref") is None


async def test_a_reference_follows_its_target_being_deleted(
    artifact_service: BaseArtifactService,
) -> None:
    await save_all(artifact_service, "doc", [text("doc")])
    await _save_ref(artifact_service, "ref", session_ref("doc", 0))

    await artifact_service.delete_artifact(**where(), filename="doc")

    assert await artifact_service.load_artifact(**where(), filename="ref") is None
    assert await artifact_service.list_versions(**where(), filename="ref") == [0]


async def test_a_chain_of_five_references_resolves(artifact_service: BaseArtifactService) -> None:
    await save_all(artifact_service, "target", [text("end of chain")])
    previous = "target"
    for hop in range(5):
        await _save_ref(artifact_service, f"hop{hop}", session_ref(previous, 0))
        previous = f"hop{hop}"

    async with asyncio.timeout(HANG_TIMEOUT_SECONDS):
        loaded = await artifact_service.load_artifact(**where(), filename="hop4")

    assert loaded == text("end of chain")


async def test_a_sixth_reference_hop_is_an_error(artifact_service: BaseArtifactService) -> None:
    await save_all(artifact_service, "target", [text("end of chain")])
    previous = "target"
    for hop in range(6):
        await _save_ref(artifact_service, f"hop{hop}", session_ref(previous, 0))
        previous = f"hop{hop}"

    with pytest.raises(InputValidationError, match="depth"):
        async with asyncio.timeout(HANG_TIMEOUT_SECONDS):
            await artifact_service.load_artifact(**where(), filename="hop5")


# --- scope on save ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        session_ref("doc", 0, user=OTHER_USER),
        user_ref("user:doc", 0, user=OTHER_USER),
        session_ref("doc", 0, app=OTHER_APP),
        user_ref("user:doc", 0, app=OTHER_APP),
    ],
    ids=[
        "other-user-session",
        "other-user-user-scope",
        "other-app-session",
        "other-app-user-scope",
    ],
)
@pytest.mark.parametrize("ref_name", ["ref", "user:ref"])
async def test_a_reference_into_another_user_or_app_is_refused_on_save(
    artifact_service: BaseArtifactService, uri: str, ref_name: str
) -> None:
    with pytest.raises(InputValidationError, match="app and user"):
        await _save_ref(artifact_service, ref_name, uri)

    assert await artifact_service.list_artifact_keys(**where()) == []


@pytest.mark.parametrize(
    ("ref_name", "session"),
    [("ref", OTHER_SESSION), ("user:ref", OTHER_SESSION), ("user:ref", None)],
    ids=["from-other-session", "user-scope-from-other-session", "user-scope-without-session"],
)
async def test_a_session_reference_saved_from_outside_that_session_is_refused(
    artifact_service: BaseArtifactService, ref_name: str, session: str | None
) -> None:
    await save_all(artifact_service, "doc", [text("in s1")])

    with pytest.raises(InputValidationError, match="session"):
        await _save_ref(artifact_service, ref_name, session_ref("doc", 0), session=session)

    assert await artifact_service.list_versions(**where(session=session), filename=ref_name) == []


@pytest.mark.parametrize(
    "uri",
    [
        "artifact://nonsense",
        "artifact://apps/my_app/users/user0/sessions/s1/artifacts/doc",
        "artifact://apps/my_app/users/user0/sessions/s1/artifacts/doc/versions/latest",
        "artifact://apps/my_app/users/user0/artifacts/user:doc/versions/-1",
    ],
    ids=["nonsense", "no-version", "non-numeric-version", "negative-version"],
)
async def test_a_malformed_artifact_uri_is_refused_on_save(
    artifact_service: BaseArtifactService, uri: str
) -> None:
    with pytest.raises(InputValidationError, match="artifact reference"):
        await _save_ref(artifact_service, "ref", uri)

    assert await artifact_service.list_artifact_keys(**where()) == []


# --- scope on load ---------------------------------------------------------------------


async def test_a_reference_to_another_session_is_refused_on_load(
    artifact_service: BaseArtifactService,
) -> None:
    await save_all(artifact_service, "doc", [text("in s1")])
    # A user-scoped reference saved from s1 may point into s1...
    await _save_ref(artifact_service, "user:ref", session_ref("doc", 0))
    assert await artifact_service.load_artifact(**where(), filename="user:ref") == text("in s1")

    # ...but from anywhere else it points into another session.
    for session in (OTHER_SESSION, None):
        with pytest.raises(InputValidationError, match="session"):
            await artifact_service.load_artifact(**where(session=session), filename="user:ref")


# --- cycles ----------------------------------------------------------------------------


async def test_a_reference_to_itself_ends_in_an_error(
    artifact_service: BaseArtifactService,
) -> None:
    await _save_ref(artifact_service, "loop", session_ref("loop", 0))

    with pytest.raises(InputValidationError, match="depth"):
        async with asyncio.timeout(HANG_TIMEOUT_SECONDS):
            await artifact_service.load_artifact(**where(), filename="loop")


@pytest.mark.parametrize(
    "names",
    [("a", "b"), ("user:a", "user:b"), ("a", "b", "c", "d", "e", "f", "g")],
    ids=["session-scope", "user-scope", "seven-long"],
)
async def test_a_reference_cycle_ends_in_an_error(
    artifact_service: BaseArtifactService, names: tuple[str, ...]
) -> None:
    def uri(name: str) -> str:
        return user_ref(name, 0) if name.startswith("user:") else session_ref(name, 0)

    for name, target in zip(names, (*names[1:], names[0]), strict=True):
        await _save_ref(artifact_service, name, uri(target))

    for name in names:
        with pytest.raises(InputValidationError, match="depth"):
            async with asyncio.timeout(HANG_TIMEOUT_SECONDS):
                await artifact_service.load_artifact(**where(), filename=name)


async def test_a_hop_through_a_user_scoped_reference_leaves_the_session(
    artifact_service: BaseArtifactService,
) -> None:
    # ADK's in-memory service resolves each hop in the scope of the URI it follows:
    # after a hop into user scope there is no session, so a further hop into the
    # session is "another session" (in_memory_artifact_service.py, _load_artifact).
    await save_all(artifact_service, "doc", [text("in s1")])
    await _save_ref(artifact_service, "user:via", session_ref("doc", 0))
    await _save_ref(artifact_service, "start", user_ref("user:via", 0))

    assert await artifact_service.load_artifact(**where(), filename="user:via") == text("in s1")
    with pytest.raises(InputValidationError, match="session"):
        await artifact_service.load_artifact(**where(), filename="start")
