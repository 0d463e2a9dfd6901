"""Artifact service, "Scope and names": who sees an artifact, and how names are kept.

Covers adk-services.md, Artifact service / Scope and names: ``user:`` names are
one copy per app and user, reachable from every session and from none, listed with
the prefix; other names are per session, and need a session to be saved; apps
(and users) are isolated in every operation; resource-path app names and user ids
with ``/``; session ids ``user``, ``user/...``, ``user\\...`` (refused on save by
the flat in-memory reference, accepted and kept apart by our backends); filenames
with ``/``. Also: names are stored exactly (case, spaces, Unicode normal forms,
NUL, very long names). The id-validation line is covered by test_validation.py.
"""

from __future__ import annotations

import unicodedata

import pytest
from google.adk.artifacts.base_artifact_service import BaseArtifactService
from google.adk.errors.input_validation_error import InputValidationError

from ._support import (
    OTHER_APP,
    OTHER_SESSION,
    OTHER_USER,
    SESSION,
    load_every_version,
    save_all,
    text,
    where,
)
from .conftest import OpenService

RESOURCE_APP = "projects/123/locations/us-central1/reasoningEngines/456"
SLASHED_USER = "group/user123"


# --- user-scoped names ---------------------------------------------------------------


async def test_user_scoped_artifact_is_reachable_from_every_session_and_from_none(
    artifact_service: BaseArtifactService,
) -> None:
    saved = text("dark mode")
    await artifact_service.save_artifact(**where(), filename="user:prefs", artifact=saved)

    for session in (SESSION, OTHER_SESSION, None):
        loaded = await artifact_service.load_artifact(
            **where(session=session), filename="user:prefs"
        )
        assert loaded == saved, f"session {session!r}"
        assert await artifact_service.list_versions(
            **where(session=session), filename="user:prefs"
        ) == [0]


async def test_user_scoped_artifact_saved_without_a_session_is_seen_by_sessions(
    artifact_service: BaseArtifactService,
) -> None:
    await artifact_service.save_artifact(
        **where(session=None), filename="user:profile", artifact=text("ada")
    )

    assert await artifact_service.load_artifact(**where(), filename="user:profile") == text("ada")
    assert await artifact_service.list_artifact_keys(**where()) == ["user:profile"]


async def test_user_scoped_artifact_is_one_copy_whatever_session_saves_it(
    artifact_service: BaseArtifactService,
) -> None:
    first = await artifact_service.save_artifact(
        **where(session=SESSION), filename="user:notes", artifact=text("one")
    )
    second = await artifact_service.save_artifact(
        **where(session=OTHER_SESSION), filename="user:notes", artifact=text("two")
    )
    third = await artifact_service.save_artifact(
        **where(session=None), filename="user:notes", artifact=text("three")
    )

    assert (first, second, third) == (0, 1, 2)
    assert await load_every_version(artifact_service, "user:notes", **where(session=None)) == [
        text("one"),
        text("two"),
        text("three"),
    ]


async def test_user_scoped_names_are_listed_with_their_prefix_in_every_session(
    artifact_service: BaseArtifactService,
) -> None:
    await artifact_service.save_artifact(**where(), filename="user:b", artifact=text("b"))
    await artifact_service.save_artifact(**where(), filename="user:a", artifact=text("a"))

    for session in (SESSION, OTHER_SESSION, None):
        keys = await artifact_service.list_artifact_keys(**where(session=session))
        assert keys == ["user:a", "user:b"], f"session {session!r}"


@pytest.mark.parametrize(
    "other",
    [{"user": OTHER_USER}, {"app": OTHER_APP}],
    ids=["other-user", "other-app"],
)
async def test_user_scoped_artifact_is_invisible_to_other_users_and_apps(
    artifact_service: BaseArtifactService, other: dict[str, str]
) -> None:
    await artifact_service.save_artifact(**where(), filename="user:prefs", artifact=text("mine"))

    for session in (SESSION, None):
        scope = where(session=session, **other)
        assert await artifact_service.load_artifact(**scope, filename="user:prefs") is None
        assert await artifact_service.list_versions(**scope, filename="user:prefs") == []
        assert await artifact_service.list_artifact_keys(**scope) == []


# --- session-scoped names --------------------------------------------------------------


async def test_session_scoped_artifact_is_invisible_from_another_session(
    artifact_service: BaseArtifactService,
) -> None:
    await artifact_service.save_artifact(**where(), filename="draft.md", artifact=text("mine"))

    other = where(session=OTHER_SESSION)
    assert await artifact_service.load_artifact(**other, filename="draft.md") is None
    assert await artifact_service.list_versions(**other, filename="draft.md") == []
    assert await artifact_service.list_artifact_versions(**other, filename="draft.md") == []
    assert await artifact_service.get_artifact_version(**other, filename="draft.md") is None
    assert await artifact_service.list_artifact_keys(**other) == []
    assert await artifact_service.list_artifact_keys(**where(session=None)) == []


async def test_same_name_in_two_sessions_is_two_artifacts(
    artifact_service: BaseArtifactService,
) -> None:
    assert await save_all(artifact_service, "draft.md", [text("a0"), text("a1")]) == [0, 1]
    assert await save_all(
        artifact_service, "draft.md", [text("b0")], **where(session=OTHER_SESSION)
    ) == [0]

    assert await load_every_version(artifact_service, "draft.md") == [text("a0"), text("a1")]
    assert await load_every_version(
        artifact_service, "draft.md", **where(session=OTHER_SESSION)
    ) == [text("b0")]


async def test_saving_a_session_scoped_artifact_without_a_session_is_an_input_error(
    artifact_service: BaseArtifactService,
) -> None:
    with pytest.raises(InputValidationError, match=r"(?i)session"):
        await artifact_service.save_artifact(
            **where(session=None), filename="draft.md", artifact=text("x")
        )

    assert await artifact_service.list_artifact_keys(**where(session=None)) == []
    assert await artifact_service.list_artifact_keys(**where()) == []


# --- isolation of apps and users -------------------------------------------------------


@pytest.mark.parametrize(
    "other",
    [{"app": OTHER_APP}, {"user": OTHER_USER}],
    ids=["other-app", "other-user"],
)
@pytest.mark.parametrize("filename", ["doc", "user:doc"])
async def test_apps_and_users_are_isolated_in_every_operation(
    artifact_service: BaseArtifactService, other: dict[str, str], filename: str
) -> None:
    mine, theirs = where(), where(**other)
    await artifact_service.save_artifact(
        **mine, filename=filename, artifact=text("mine"), custom_metadata={"who": "me"}
    )

    assert await artifact_service.load_artifact(**theirs, filename=filename) is None
    assert await artifact_service.list_artifact_keys(**theirs) == []
    assert await artifact_service.list_versions(**theirs, filename=filename) == []
    assert await artifact_service.list_artifact_versions(**theirs, filename=filename) == []
    assert await artifact_service.get_artifact_version(**theirs, filename=filename) is None
    await artifact_service.delete_artifact(**theirs, filename=filename)
    # Their first save is their version 0, not a continuation of ours.
    assert (
        await artifact_service.save_artifact(**theirs, filename=filename, artifact=text("theirs"))
        == 0
    )

    assert await artifact_service.load_artifact(**mine, filename=filename) == text("mine")
    assert await artifact_service.list_versions(**mine, filename=filename) == [0]
    version = await artifact_service.get_artifact_version(**mine, filename=filename)
    assert version is not None
    assert version.custom_metadata == {"who": "me"}
    assert await artifact_service.load_artifact(**theirs, filename=filename) == text("theirs")


@pytest.mark.parametrize("filename", ["report.txt", "user:report.txt"])
async def test_resource_path_app_name_and_slashed_user_id_work_in_every_operation(
    artifact_service: BaseArtifactService, filename: str
) -> None:
    scope = where(app=RESOURCE_APP, user=SLASHED_USER)
    assert await save_all(artifact_service, filename, [text("v0"), text("v1")], **scope) == [0, 1]

    assert await artifact_service.load_artifact(**scope, filename=filename) == text("v1")
    assert await artifact_service.load_artifact(**scope, filename=filename, version=0) == text("v0")
    assert await artifact_service.list_artifact_keys(**scope) == [filename]
    assert await artifact_service.list_versions(**scope, filename=filename) == [0, 1]
    listed = await artifact_service.list_artifact_versions(**scope, filename=filename)
    assert [entry.version for entry in listed] == [0, 1]
    newest = await artifact_service.get_artifact_version(**scope, filename=filename)
    assert newest is not None
    assert newest.version == 1

    await artifact_service.delete_artifact(**scope, filename=filename)
    assert await artifact_service.load_artifact(**scope, filename=filename) is None
    assert await artifact_service.list_artifact_keys(**scope) == []


async def test_app_and_user_ids_with_slashes_never_alias(
    artifact_service: BaseArtifactService, is_reference: bool, request: pytest.FixtureRequest
) -> None:
    if is_reference:
        # InMemoryArtifactService keys entries by f"{app}/{user}/{session}/{filename}"
        # (in_memory_artifact_service.py, _artifact_path), so these pairs share a key.
        request.applymarker(
            pytest.mark.xfail(strict=True, reason="ADK's in-memory keys alias across '/'")
        )
    await artifact_service.save_artifact(
        **where(app="a", user="b/c"), filename="f", artifact=text("a + b/c")
    )
    await artifact_service.save_artifact(
        **where(app="a", user="group/user123", session=None),
        filename="user:x",
        artifact=text("user scope of group/user123"),
    )

    assert await artifact_service.load_artifact(**where(app="a/b", user="c"), filename="f") is None
    assert await artifact_service.list_artifact_keys(**where(app="a/b", user="c")) == []
    aliased = where(app="a", user="group", session="user123")
    assert await artifact_service.load_artifact(**aliased, filename="user/user:x") is None
    assert await artifact_service.list_artifact_keys(**aliased) == []


# --- session ids that are, or start with, "user" --------------------------------------

USER_LIKE_SESSIONS = pytest.mark.parametrize(
    "session", ["user", "user/x", "user\\x"], ids=["user", "user-slash", "user-backslash"]
)


@USER_LIKE_SESSIONS
async def test_session_named_like_the_user_scope_on_save(
    artifact_service: BaseArtifactService, is_reference: bool, session: str
) -> None:
    scope = where(session=session)
    if is_reference:
        # ADK's flat layouts store user-scoped artifacts under the segment "user"
        # and refuse such a session (artifact_util._validate_session_id_for_flat_storage).
        with pytest.raises(InputValidationError, match="reserved value 'user'"):
            await artifact_service.save_artifact(**scope, filename="report.txt", artifact=text("s"))
        assert await artifact_service.list_artifact_keys(**scope) == []
        assert await artifact_service.list_artifact_keys(**where(session=None)) == []
        return

    # Ours keep the scopes apart, like ADK's FileArtifactService.
    await artifact_service.save_artifact(**scope, filename="report.txt", artifact=text("session"))
    await artifact_service.save_artifact(**scope, filename="user:report.txt", artifact=text("user"))

    assert await artifact_service.load_artifact(**scope, filename="report.txt") == text("session")
    assert await artifact_service.load_artifact(**scope, filename="user:report.txt") == text("user")
    assert await artifact_service.list_artifact_keys(**scope) == ["report.txt", "user:report.txt"]
    assert await artifact_service.list_artifact_keys(**where()) == ["user:report.txt"]
    assert await artifact_service.list_artifact_keys(**where(session=None)) == ["user:report.txt"]
    assert await artifact_service.load_artifact(**where(), filename="report.txt") is None


@USER_LIKE_SESSIONS
async def test_reads_and_deletes_with_a_session_named_like_the_user_scope_are_harmless(
    artifact_service: BaseArtifactService, session: str
) -> None:
    await artifact_service.save_artifact(**where(), filename="user:report.txt", artifact=text("u"))
    scope = where(session=session)

    assert await artifact_service.load_artifact(**scope, filename="report.txt") is None
    assert await artifact_service.list_versions(**scope, filename="report.txt") == []
    assert await artifact_service.list_artifact_versions(**scope, filename="report.txt") == []
    assert await artifact_service.get_artifact_version(**scope, filename="report.txt") is None
    assert await artifact_service.list_artifact_keys(**scope) == ["user:report.txt"]
    await artifact_service.delete_artifact(**scope, filename="report.txt")

    assert await artifact_service.load_artifact(**where(), filename="user:report.txt") == text("u")


# --- filenames with "/" ----------------------------------------------------------------


@pytest.mark.parametrize("scope_name", ["session", "user"])
async def test_nested_names_are_separate_artifacts_whose_versions_never_leak(
    artifact_service: BaseArtifactService, scope_name: str
) -> None:
    parent, nested = (
        ("doc", "doc/nested") if scope_name == "session" else ("user:doc", "user:doc/nested")
    )
    assert await save_all(artifact_service, parent, [text("parent v0")]) == [0]
    # More nested versions than parent ones, so a leak would show in the parent's numbers.
    assert await save_all(artifact_service, nested, [text(f"nested v{i}") for i in range(3)]) == [
        0,
        1,
        2,
    ]

    assert await artifact_service.list_versions(**where(), filename=parent) == [0]
    listed = await artifact_service.list_artifact_versions(**where(), filename=parent)
    assert [entry.version for entry in listed] == [0]
    assert await artifact_service.load_artifact(**where(), filename=parent) == text("parent v0")
    assert (
        await artifact_service.save_artifact(**where(), filename=parent, artifact=text("parent v1"))
        == 1
    )
    assert await artifact_service.list_versions(**where(), filename=nested) == [0, 1, 2]
    assert await artifact_service.load_artifact(**where(), filename=nested) == text("nested v2")
    assert await artifact_service.list_artifact_keys(**where()) == [parent, nested]


# --- names are stored exactly ----------------------------------------------------------

EXACT_NAMES = [
    "Report.txt",
    "report.txt",
    " report.txt",
    "report.txt ",
    unicodedata.normalize("NFC", "café.txt"),
    unicodedata.normalize("NFD", "café.txt"),
    "日本語/ファイル.txt",
    "emoji-🦆.png",
    "tab\tand\nnewline",
    "nul\x00inside",
    "percent%_and_underscore",
    "a" * 4096,
    "user:" + unicodedata.normalize("NFD", "école"),
    "user:" + unicodedata.normalize("NFC", "école"),
]


async def test_names_are_stored_exactly_and_listed_in_code_point_order(
    artifact_service: BaseArtifactService,
) -> None:
    for index, name in enumerate(EXACT_NAMES):
        await artifact_service.save_artifact(**where(), filename=name, artifact=text(str(index)))

    assert await artifact_service.list_artifact_keys(**where()) == sorted(EXACT_NAMES)
    for index, name in enumerate(EXACT_NAMES):
        assert await artifact_service.load_artifact(**where(), filename=name) == text(str(index)), (
            name
        )
        assert await artifact_service.list_versions(**where(), filename=name) == [0], name


async def test_a_prefix_of_a_name_is_another_name(artifact_service: BaseArtifactService) -> None:
    await artifact_service.save_artifact(**where(), filename="report.txt.bak", artifact=text("bak"))

    assert await artifact_service.load_artifact(**where(), filename="report.txt") is None
    assert await artifact_service.load_artifact(**where(), filename="report") is None
    assert await artifact_service.list_versions(**where(), filename="report.txt") == []


@pytest.mark.ours_only
async def test_names_and_ids_are_stored_exactly_across_a_reopen(
    artifact_service: BaseArtifactService, open_service: OpenService
) -> None:
    scope = where(app=RESOURCE_APP, user=SLASHED_USER, session="session/é")
    for index, name in enumerate(EXACT_NAMES):
        await artifact_service.save_artifact(**scope, filename=name, artifact=text(str(index)))

    async with open_service() as reopened:
        assert await reopened.list_artifact_keys(**scope) == sorted(EXACT_NAMES)
        for index, name in enumerate(EXACT_NAMES):
            assert await reopened.load_artifact(**scope, filename=name) == text(str(index)), name


@pytest.mark.ours_only
async def test_a_second_service_on_the_same_store_sees_the_same_scopes(
    artifact_service: BaseArtifactService, open_service: OpenService
) -> None:
    await artifact_service.save_artifact(**where(), filename="doc", artifact=text("session"))
    await artifact_service.save_artifact(**where(), filename="user:doc", artifact=text("user"))

    async with open_service() as second:
        assert await second.list_artifact_keys(**where()) == ["doc", "user:doc"]
        assert await second.list_artifact_keys(**where(session=OTHER_SESSION)) == ["user:doc"]
        assert await second.list_artifact_keys(**where(user=OTHER_USER)) == []
        assert await second.list_artifact_keys(**where(app=OTHER_APP)) == []
        assert await second.load_artifact(**where(), filename="doc") == text("session")
