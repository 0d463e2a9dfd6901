"""Artifact service, "Scope and names" / id validation: ADK's rules for ids, exactly.

Covers adk-services.md, Artifact service / Scope and names, the validation line:
``app_name``, ``user_id`` and ``session_id`` are checked on save, load, delete and
list keys (and, as ADK does, on the three version calls), raising
``InputValidationError`` with a message that names the field and the rule, for:
empty (or blank), ``.`` / ``..`` or any traversal segment, a NUL byte, a leading
``/`` or ``\\``, a drive-qualified value (``C:\\x``, ``C:/x``, ``C:x``, and so any
value starting with a letter and a colon), a segment equal to a layout word
(``sessions``, ``artifacts``, ``apps``, ``users``, ``versions``, in any case)
when the value has more than one segment. The rules are ADK's
``artifact_util.validate_path_segment``; values it lets through (a lone layout
word, ``a/./b``, ``...``) are accepted and stored exactly.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from google.adk.artifacts.base_artifact_service import BaseArtifactService
from google.adk.errors.input_validation_error import InputValidationError

from ._support import text, where

Operation = Callable[[BaseArtifactService, dict[str, Any], str], Awaitable[object]]

OPERATIONS: dict[str, Operation] = {
    "save_artifact": lambda service, scope, filename: service.save_artifact(
        **scope, filename=filename, artifact=text("x")
    ),
    "load_artifact": lambda service, scope, filename: service.load_artifact(
        **scope, filename=filename
    ),
    "delete_artifact": lambda service, scope, filename: service.delete_artifact(
        **scope, filename=filename
    ),
    "list_artifact_keys": lambda service, scope, filename: service.list_artifact_keys(**scope),
    "list_versions": lambda service, scope, filename: service.list_versions(
        **scope, filename=filename
    ),
    "list_artifact_versions": lambda service, scope, filename: service.list_artifact_versions(
        **scope, filename=filename
    ),
    "get_artifact_version": lambda service, scope, filename: service.get_artifact_version(
        **scope, filename=filename
    ),
}

EMPTY = "must not be empty"
TRAVERSAL = "must not contain traversal segments"
NUL = "must not contain null bytes"
ROOTED = "must not be an absolute path or start with a slash"
DRIVE = "must not be drive-qualified"
RESERVED = "must not contain reserved path segments"

INVALID_IDS = [
    pytest.param("", EMPTY, id="empty"),
    pytest.param("   ", EMPTY, id="blank"),
    pytest.param(".", TRAVERSAL, id="dot"),
    pytest.param("..", TRAVERSAL, id="dot-dot"),
    pytest.param("../x", TRAVERSAL, id="leading-dot-dot"),
    pytest.param("x/../y", TRAVERSAL, id="inner-dot-dot"),
    pytest.param("x/..", TRAVERSAL, id="trailing-dot-dot"),
    pytest.param("x\\..\\y", TRAVERSAL, id="backslash-dot-dot"),
    pytest.param("a\x00b", NUL, id="nul"),
    pytest.param("\x00", NUL, id="only-nul"),
    pytest.param("/x", ROOTED, id="slash"),
    pytest.param("\\x", ROOTED, id="backslash"),
    pytest.param("//server/share", ROOTED, id="unc"),
    pytest.param("C:\\x", DRIVE, id="drive-backslash"),
    pytest.param("C:/x", DRIVE, id="drive-slash"),
    pytest.param("C:x", DRIVE, id="drive-relative"),
    pytest.param("u:1", DRIVE, id="letter-colon"),
    pytest.param("x/sessions", RESERVED, id="sessions"),
    pytest.param("artifacts/x", RESERVED, id="artifacts"),
    pytest.param("x/apps/y", RESERVED, id="apps"),
    pytest.param("x/users", RESERVED, id="users"),
    pytest.param("x\\versions", RESERVED, id="versions-backslash"),
    pytest.param("x/Sessions", RESERVED, id="any-case"),
]

FIELDS = pytest.mark.parametrize("field", ["app_name", "user_id", "session_id"])


def _scope_with(field: str, value: str) -> dict[str, Any]:
    scope = where()
    scope[field] = value
    return scope


async def _refusal(
    operation: Operation, service: BaseArtifactService, scope: dict[str, Any], filename: str
) -> str | None:
    """The message of the InputValidationError the call raises, None if it returns."""
    try:
        await operation(service, scope, filename)
    except InputValidationError as exc:
        return str(exc)
    return None


@FIELDS
@pytest.mark.parametrize(("value", "rule"), INVALID_IDS)
async def test_an_invalid_id_is_refused_by_every_operation_naming_the_rule(
    artifact_service: BaseArtifactService, field: str, value: str, rule: str
) -> None:
    scope = _scope_with(field, value)
    # A session id only matters for session-scoped names; app and user ids for both.
    filenames = ["doc"] if field == "session_id" else ["doc", "user:doc"]
    expected = re.compile(rf"^{field}\b.*{re.escape(rule)}", re.DOTALL)

    outcomes = {
        (name, filename): await _refusal(operation, artifact_service, scope, filename)
        for name, operation in OPERATIONS.items()
        for filename in filenames
    }

    wrong = {
        call: message
        for call, message in outcomes.items()
        if message is None or not expected.search(message)
    }
    assert wrong == {}, f"expected InputValidationError matching {expected.pattern!r}"


@FIELDS
async def test_an_invalid_id_saves_nothing(
    artifact_service: BaseArtifactService, field: str
) -> None:
    with pytest.raises(InputValidationError):
        await artifact_service.save_artifact(
            **_scope_with(field, "x/../y"), filename="doc", artifact=text("x")
        )

    # Nothing under the id as given, nor under what a path-normalising store would make of it.
    for scope in (where(), _scope_with(field, "x"), _scope_with(field, "y")):
        assert await artifact_service.list_artifact_keys(**scope) == [], scope


ACCEPTED_IDS = [
    pytest.param("sessions", id="lone-layout-word"),
    pytest.param("Versions", id="lone-layout-word-any-case"),
    pytest.param("a/./b", id="dot-segment"),
    pytest.param("...", id="three-dots"),
    pytest.param("x..y", id="inner-dots"),
    pytest.param("1:x", id="digit-colon"),
    pytest.param("name with spaces", id="spaces"),
    pytest.param("a\\b", id="inner-backslash"),
    pytest.param("group/user123", id="slash"),
    pytest.param("projects/123/locations/us-central1/reasoningEngines/456", id="resource-path"),
    pytest.param("ünï/cødé/日本", id="unicode"),
]


@FIELDS
@pytest.mark.parametrize("value", ACCEPTED_IDS)
async def test_an_id_that_adk_accepts_works_in_every_operation(
    artifact_service: BaseArtifactService, field: str, value: str
) -> None:
    scope = _scope_with(field, value)
    for version, content in enumerate(["v0", "v1"]):
        saved = await artifact_service.save_artifact(
            **scope, filename="doc", artifact=text(content)
        )
        assert saved == version

    assert await artifact_service.load_artifact(**scope, filename="doc") == text("v1")
    assert await artifact_service.list_artifact_keys(**scope) == ["doc"]
    assert await artifact_service.list_versions(**scope, filename="doc") == [0, 1]
    listed = await artifact_service.list_artifact_versions(**scope, filename="doc")
    assert [entry.version for entry in listed] == [0, 1]
    newest = await artifact_service.get_artifact_version(**scope, filename="doc")
    assert newest is not None
    assert newest.version == 1
    # Stored under exactly this id: the plain scope does not see it.
    assert await artifact_service.list_artifact_keys(**where()) == []

    await artifact_service.delete_artifact(**scope, filename="doc")
    assert await artifact_service.list_artifact_keys(**scope) == []
