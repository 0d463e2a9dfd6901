"""The identity both artifact structs of the tools take from `identity_of`."""

from __future__ import annotations

import msgspec
import pytest

from adk_sqlite.artifact_records import USER_SCOPE, ArtifactKey
from adk_sqlite.timestamps import instant_from_unix
from adk_sqlite.tools.artifact_rows import ArtifactIdentity, identity_of
from adk_sqlite.tools.artifacts import ArtifactSummary, ArtifactVersionInfo


@pytest.mark.parametrize("struct", [ArtifactSummary, ArtifactVersionInfo])
def test_the_structs_declare_the_identity_first_in_its_order(struct: type[msgspec.Struct]) -> None:
    identity = list(ArtifactIdentity.__annotations__)
    assert list(struct.__struct_fields__[: len(identity)]) == identity


@pytest.mark.parametrize(
    ("stored_session", "session_id", "scope"),
    [("s1", "s1", "session"), (USER_SCOPE, None, "user")],
)
def test_identity_of_reports_the_user_scope_as_no_session(
    stored_session: str, session_id: str | None, scope: str
) -> None:
    key = ArtifactKey("app", "ada", stored_session, "report.md")
    assert identity_of(key) == {
        "app_name": "app",
        "user_id": "ada",
        "session_id": session_id,
        "scope": scope,
        "filename": "report.md",
    }


def test_a_summary_taking_the_identity_encodes_it_first() -> None:
    key = ArtifactKey("app", "ada", USER_SCOPE, "user:profile.json")
    summary = ArtifactSummary(
        **identity_of(key),
        versions=2,
        latest_version=1,
        latest_size=5,
        total_bytes=9,
        mime_type="application/json",
        last_saved=instant_from_unix(0.0),
        file="agent.db",
        table="adk_artifacts",
    )
    encoded = msgspec.json.decode(msgspec.json.encode(summary))
    assert list(encoded)[:5] == ["app_name", "user_id", "session_id", "scope", "filename"]
    assert (encoded["session_id"], encoded["scope"]) == (None, "user")
