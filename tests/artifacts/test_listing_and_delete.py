"""Artifact service, "Listing and delete": ``list_artifact_keys`` and ``delete_artifact``.

Covers adk-services.md, Artifact service / Listing and delete: keys of a session
are its names plus the user's ``user:`` names, ascending, ``[]`` for an empty
scope; ``delete_artifact`` removes every version (load gives ``None``,
``list_versions`` ``[]``), deleting something absent is a no-op, nested names and
other apps (and users, sessions, scopes) are untouched. Also, as every ADK
service does: a name saved again after a delete starts at version 0. Our
backends also: a delete through one service instance is seen by another on the
same store.
"""

from __future__ import annotations

import pytest
from google.adk.artifacts.base_artifact_service import BaseArtifactService

from ._support import (
    OTHER_APP,
    OTHER_SESSION,
    OTHER_USER,
    blob,
    save_all,
    text,
    where,
)
from .conftest import OpenService

# --- listing ---------------------------------------------------------------------------


async def test_keys_of_a_session_are_its_names_and_the_users_names_ascending(
    artifact_service: BaseArtifactService,
) -> None:
    for name in ["b.txt", "user:z", "a.txt", "C.txt", "user:c", "doc/nested", "_x", "user:A"]:
        await artifact_service.save_artifact(**where(), filename=name, artifact=text(name))
    await artifact_service.save_artifact(
        **where(session=OTHER_SESSION), filename="other.txt", artifact=text("other")
    )

    assert await artifact_service.list_artifact_keys(**where()) == [
        "C.txt",
        "_x",
        "a.txt",
        "b.txt",
        "doc/nested",
        "user:A",
        "user:c",
        "user:z",
    ]
    assert await artifact_service.list_artifact_keys(**where(session=OTHER_SESSION)) == [
        "other.txt",
        "user:A",
        "user:c",
        "user:z",
    ]


async def test_keys_without_a_session_are_the_users_names(
    artifact_service: BaseArtifactService,
) -> None:
    await save_all(artifact_service, "session.txt", [text("s")])
    await save_all(artifact_service, "user:b", [text("b")])
    await save_all(artifact_service, "user:a", [text("a")], **where(session=None))

    assert await artifact_service.list_artifact_keys(**where(session=None)) == ["user:a", "user:b"]


async def test_each_name_is_listed_once_whatever_its_versions(
    artifact_service: BaseArtifactService,
) -> None:
    await save_all(artifact_service, "doc", [text("0"), blob(b"1", "image/png"), text("2")])
    await save_all(artifact_service, "user:doc", [text("0"), text("1")])

    assert await artifact_service.list_artifact_keys(**where()) == ["doc", "user:doc"]


@pytest.mark.parametrize("session", ["s1", None], ids=["session", "no-session"])
async def test_keys_of_an_empty_scope_are_empty(
    artifact_service: BaseArtifactService, session: str | None
) -> None:
    assert await artifact_service.list_artifact_keys(**where(session=session)) == []


# --- delete ----------------------------------------------------------------------------


@pytest.mark.parametrize("filename", ["doc", "user:doc"])
async def test_delete_removes_every_version(
    artifact_service: BaseArtifactService, filename: str
) -> None:
    await save_all(artifact_service, filename, [text("0"), blob(b"1", "image/png"), text("2")])

    await artifact_service.delete_artifact(**where(), filename=filename)

    assert await artifact_service.load_artifact(**where(), filename=filename) is None
    for version in range(3):
        loaded = await artifact_service.load_artifact(**where(), filename=filename, version=version)
        assert loaded is None, version
    assert await artifact_service.list_versions(**where(), filename=filename) == []
    assert await artifact_service.list_artifact_versions(**where(), filename=filename) == []
    assert await artifact_service.get_artifact_version(**where(), filename=filename) is None
    assert await artifact_service.list_artifact_keys(**where()) == []


async def test_a_user_scoped_artifact_deleted_from_one_session_is_gone_from_all(
    artifact_service: BaseArtifactService,
) -> None:
    await save_all(artifact_service, "user:doc", [text("shared")])

    await artifact_service.delete_artifact(**where(session=OTHER_SESSION), filename="user:doc")

    for session in ("s1", OTHER_SESSION, None):
        scope = where(session=session)
        assert await artifact_service.load_artifact(**scope, filename="user:doc") is None
        assert await artifact_service.list_artifact_keys(**scope) == []


async def test_a_name_saved_again_after_delete_starts_at_version_zero(
    artifact_service: BaseArtifactService,
) -> None:
    await save_all(artifact_service, "doc", [text("old 0"), text("old 1")])
    await artifact_service.delete_artifact(**where(), filename="doc")

    assert (
        await artifact_service.save_artifact(**where(), filename="doc", artifact=text("new")) == 0
    )
    assert await artifact_service.list_versions(**where(), filename="doc") == [0]
    assert await artifact_service.load_artifact(**where(), filename="doc") == text("new")


@pytest.mark.parametrize("filename", ["doc", "user:doc"])
async def test_deleting_an_absent_artifact_is_a_no_op(
    artifact_service: BaseArtifactService, filename: str
) -> None:
    await artifact_service.delete_artifact(**where(), filename=filename)
    await save_all(artifact_service, "keep", [text("keep")])

    await artifact_service.delete_artifact(**where(), filename=filename)
    await artifact_service.delete_artifact(**where(), filename=filename)

    assert await artifact_service.list_artifact_keys(**where()) == ["keep"]
    assert await artifact_service.load_artifact(**where(), filename="keep") == text("keep")


async def test_deleting_twice_is_a_no_op(artifact_service: BaseArtifactService) -> None:
    await save_all(artifact_service, "doc", [text("doc")])

    await artifact_service.delete_artifact(**where(), filename="doc")
    await artifact_service.delete_artifact(**where(), filename="doc")

    assert await artifact_service.list_versions(**where(), filename="doc") == []


@pytest.mark.parametrize(
    ("deleted", "kept"),
    [
        ("doc", ["doc/nested", "doc/nested/deeper", "doc.txt", "do", "docs"]),
        ("doc/nested", ["doc", "doc/nested/deeper", "doc/nestedx"]),
        ("user:doc", ["user:doc/nested", "user:docs", "doc"]),
    ],
    ids=["parent", "middle", "user-scope"],
)
async def test_delete_never_touches_nested_or_prefixed_names(
    artifact_service: BaseArtifactService, deleted: str, kept: list[str]
) -> None:
    for name in [deleted, *kept]:
        await save_all(artifact_service, name, [text(f"{name} v0"), text(f"{name} v1")])

    await artifact_service.delete_artifact(**where(), filename=deleted)

    assert await artifact_service.list_artifact_keys(**where()) == sorted(kept)
    for name in kept:
        assert await artifact_service.list_versions(**where(), filename=name) == [0, 1], name
        assert await artifact_service.load_artifact(**where(), filename=name) == text(f"{name} v1")


@pytest.mark.parametrize("filename", ["doc", "user:doc"])
async def test_delete_never_touches_other_apps_users_or_sessions(
    artifact_service: BaseArtifactService, filename: str
) -> None:
    elsewhere = [where(app=OTHER_APP), where(user=OTHER_USER)]
    if not filename.startswith("user:"):
        # Another session of the same user shares user-scoped names by design.
        elsewhere.append(where(session=OTHER_SESSION))
    for scope in [where(), *elsewhere]:
        await save_all(artifact_service, filename, [text("copy")], **scope)

    await artifact_service.delete_artifact(**where(), filename=filename)

    assert await artifact_service.load_artifact(**where(), filename=filename) is None
    for scope in elsewhere:
        assert await artifact_service.load_artifact(**scope, filename=filename) == text("copy"), (
            scope
        )
        assert await artifact_service.list_artifact_keys(**scope) == [filename], scope


async def test_deleting_a_session_name_keeps_the_user_name_and_vice_versa(
    artifact_service: BaseArtifactService,
) -> None:
    await save_all(artifact_service, "doc", [text("session")])
    await save_all(artifact_service, "user:doc", [text("user")])

    await artifact_service.delete_artifact(**where(), filename="doc")
    assert await artifact_service.list_artifact_keys(**where()) == ["user:doc"]
    assert await artifact_service.load_artifact(**where(), filename="user:doc") == text("user")

    await save_all(artifact_service, "doc", [text("session again")])
    await artifact_service.delete_artifact(**where(), filename="user:doc")
    assert await artifact_service.list_artifact_keys(**where()) == ["doc"]
    assert await artifact_service.load_artifact(**where(), filename="doc") == text("session again")


@pytest.mark.ours_only
async def test_a_delete_through_one_service_is_seen_by_another_on_the_same_store(
    artifact_service: BaseArtifactService, open_service: OpenService
) -> None:
    await save_all(artifact_service, "doc", [text("0"), text("1")])
    await save_all(artifact_service, "keep", [text("keep")])

    async with open_service() as second:
        assert await second.list_versions(**where(), filename="doc") == [0, 1]
        await second.delete_artifact(**where(), filename="doc")

    assert await artifact_service.load_artifact(**where(), filename="doc") is None
    assert await artifact_service.list_versions(**where(), filename="doc") == []
    assert await artifact_service.list_artifact_keys(**where()) == ["keep"]
