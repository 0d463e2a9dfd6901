"""Artifact service, "Versions": numbering, loading by version, version metadata, atomicity.

Covers adk-services.md, Artifact service / Versions: ``save_artifact`` returns 0
then one more per save of a name in a scope; ``list_versions`` ascending and
numeric, ``[]`` when unknown, bytes and text versions mixed; ``load_artifact``
newest by default, ``version=i`` the i-th, ``None`` for unknown names and
versions; ``list_artifact_versions`` one `ArtifactVersion` per version with that
save's ``custom_metadata``, the mime type, a non-empty ``canonical_uri`` distinct
per version and a ``create_time``; ``get_artifact_version`` newest by default,
``None`` when unknown or out of range; overlapping saves get distinct versions; a
failed save publishes nothing. Our backends also: overlapping saves from two
service instances on one store, and versions kept exactly across a reopen.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from google.adk.artifacts.base_artifact_service import BaseArtifactService

from ._support import OTHER_SESSION, blob, load_every_version, pointer, save_all, text, where
from .conftest import OpenService

# --- numbering -------------------------------------------------------------------------


async def test_save_returns_zero_then_one_more_per_save(
    artifact_service: BaseArtifactService,
) -> None:
    versions = await save_all(artifact_service, "doc", [text("a"), text("b"), text("c")])

    assert versions == [0, 1, 2]


async def test_each_name_and_scope_counts_its_own_versions(
    artifact_service: BaseArtifactService,
) -> None:
    await save_all(artifact_service, "doc", [text("a"), text("b"), text("c")])

    assert await artifact_service.save_artifact(**where(), filename="doc2", artifact=text("x")) == 0
    assert (
        await artifact_service.save_artifact(
            **where(session=OTHER_SESSION), filename="doc", artifact=text("x")
        )
        == 0
    )
    assert (
        await artifact_service.save_artifact(**where(), filename="user:doc", artifact=text("x"))
        == 0
    )
    assert await artifact_service.save_artifact(**where(), filename="doc", artifact=text("d")) == 3


async def test_list_versions_is_ascending_and_numeric(
    artifact_service: BaseArtifactService,
) -> None:
    # 12 versions: a text sort would put 10 and 11 before 2.
    await save_all(artifact_service, "doc", [text(f"v{i}") for i in range(12)])

    assert await artifact_service.list_versions(**where(), filename="doc") == list(range(12))


async def test_list_versions_of_an_unknown_artifact_is_empty(
    artifact_service: BaseArtifactService,
) -> None:
    assert await artifact_service.list_versions(**where(), filename="doc") == []
    assert await artifact_service.list_versions(**where(), filename="user:doc") == []


async def test_one_artifact_mixes_bytes_and_text_versions(
    artifact_service: BaseArtifactService,
) -> None:
    parts = [blob(b"\x00\x01", "image/png"), text("hello"), blob(b"%PDF", "application/pdf")]
    assert await save_all(artifact_service, "doc", parts) == [0, 1, 2]

    assert await artifact_service.list_versions(**where(), filename="doc") == [0, 1, 2]
    assert await load_every_version(artifact_service, "doc") == parts


# --- loading by version ----------------------------------------------------------------


async def test_load_without_a_version_gives_the_newest(
    artifact_service: BaseArtifactService,
) -> None:
    await save_all(artifact_service, "doc", [text("old"), text("middle"), text("new")])

    assert await artifact_service.load_artifact(**where(), filename="doc") == text("new")


async def test_load_with_version_i_gives_the_ith_save(
    artifact_service: BaseArtifactService,
) -> None:
    await save_all(artifact_service, "doc", [text(f"v{i}") for i in range(12)])

    for version in range(12):
        loaded = await artifact_service.load_artifact(**where(), filename="doc", version=version)
        assert loaded == text(f"v{version}")


async def test_load_of_an_unknown_artifact_gives_none(
    artifact_service: BaseArtifactService,
) -> None:
    assert await artifact_service.load_artifact(**where(), filename="doc") is None
    assert await artifact_service.load_artifact(**where(), filename="doc", version=0) is None
    assert await artifact_service.load_artifact(**where(), filename="user:doc") is None


@pytest.mark.parametrize("version", [2, 3, 1000, -1], ids=lambda v: f"v{v}")
async def test_load_of_an_unknown_version_gives_none(
    artifact_service: BaseArtifactService, version: int
) -> None:
    await save_all(artifact_service, "doc", [text("v0"), text("v1")])

    assert await artifact_service.load_artifact(**where(), filename="doc", version=version) is None


# --- version metadata ------------------------------------------------------------------


async def test_list_artifact_versions_gives_each_versions_metadata(
    artifact_service: BaseArtifactService,
) -> None:
    metadata: list[dict[str, Any] | None] = [
        {"step": 0, "tags": ["draft"]},
        None,
        {"step": 2, "nested": {"ok": True, "none": None, "ratio": 0.5, "name": "é"}},
    ]
    parts = [
        blob(b"png", "image/png"),
        text("text"),
        pointer("gs://bucket/r.pdf", "application/pdf"),
    ]
    before = time.time()
    for part, custom in zip(parts, metadata, strict=True):
        await artifact_service.save_artifact(
            **where(), filename="doc", artifact=part, custom_metadata=custom
        )
    after = time.time()

    listed = await artifact_service.list_artifact_versions(**where(), filename="doc")

    assert [entry.version for entry in listed] == [0, 1, 2]
    assert [entry.custom_metadata for entry in listed] == [metadata[0], {}, metadata[2]]
    assert [entry.mime_type for entry in listed] == ["image/png", "text/plain", "application/pdf"]
    uris = [entry.canonical_uri for entry in listed]
    assert all(isinstance(uri, str) and uri for uri in uris), uris
    assert len(set(uris)) == 3, uris
    times = [entry.create_time for entry in listed]
    assert all(isinstance(moment, float) for moment in times), times
    # A second either side: stores may keep time with millisecond precision.
    assert before - 1 <= times[0] <= times[1] <= times[2] <= after + 1, (before, times, after)


async def test_canonical_uris_are_distinct_across_names_and_scopes(
    artifact_service: BaseArtifactService,
) -> None:
    await save_all(artifact_service, "doc", [text("a"), text("b")])
    await save_all(artifact_service, "doc/nested", [text("c")])
    await save_all(artifact_service, "user:doc", [text("d")])
    await save_all(artifact_service, "doc", [text("e")], **where(session=OTHER_SESSION))

    uris = [
        entry.canonical_uri
        for filename, scope in [
            ("doc", where()),
            ("doc/nested", where()),
            ("user:doc", where()),
            ("doc", where(session=OTHER_SESSION)),
        ]
        for entry in await artifact_service.list_artifact_versions(**scope, filename=filename)
    ]

    assert len(uris) == 5
    assert len(set(uris)) == 5, uris


async def test_custom_metadata_is_copied_on_save(artifact_service: BaseArtifactService) -> None:
    custom: dict[str, Any] = {"tags": ["a"]}
    await artifact_service.save_artifact(
        **where(), filename="doc", artifact=text("x"), custom_metadata=custom
    )
    custom["tags"].append("b")
    custom["new"] = 1

    version = await artifact_service.get_artifact_version(**where(), filename="doc")
    assert version is not None
    assert version.custom_metadata == {"tags": ["a"]}


async def test_list_artifact_versions_of_an_unknown_artifact_is_empty(
    artifact_service: BaseArtifactService,
) -> None:
    assert await artifact_service.list_artifact_versions(**where(), filename="doc") == []


async def test_get_artifact_version_without_a_version_is_the_newest(
    artifact_service: BaseArtifactService,
) -> None:
    for step in range(3):
        await artifact_service.save_artifact(
            **where(), filename="doc", artifact=text(f"v{step}"), custom_metadata={"step": step}
        )

    newest = await artifact_service.get_artifact_version(**where(), filename="doc")

    assert newest is not None
    assert newest.version == 2
    assert newest.custom_metadata == {"step": 2}


async def test_get_artifact_version_i_matches_the_listed_entry(
    artifact_service: BaseArtifactService,
) -> None:
    for step in range(3):
        await artifact_service.save_artifact(
            **where(), filename="doc", artifact=text(f"v{step}"), custom_metadata={"step": step}
        )
    listed = await artifact_service.list_artifact_versions(**where(), filename="doc")

    for step in range(3):
        got = await artifact_service.get_artifact_version(**where(), filename="doc", version=step)
        assert got == listed[step]


@pytest.mark.parametrize("version", [None, 0], ids=["newest", "v0"])
async def test_get_artifact_version_of_an_unknown_artifact_gives_none(
    artifact_service: BaseArtifactService, version: int | None
) -> None:
    got = await artifact_service.get_artifact_version(**where(), filename="doc", version=version)

    assert got is None


@pytest.mark.parametrize("version", [2, 1000, -1], ids=lambda v: f"v{v}")
async def test_get_artifact_version_out_of_range_gives_none(
    artifact_service: BaseArtifactService, version: int
) -> None:
    await save_all(artifact_service, "doc", [text("v0"), text("v1")])

    got = await artifact_service.get_artifact_version(**where(), filename="doc", version=version)

    assert got is None


# --- overlapping and failing saves -----------------------------------------------------


async def test_overlapping_saves_get_distinct_versions_all_loadable(
    artifact_service: BaseArtifactService,
) -> None:
    contents = [f"save {i}" for i in range(10)]

    versions = await asyncio.gather(
        *(
            artifact_service.save_artifact(**where(), filename="doc", artifact=text(content))
            for content in contents
        )
    )

    assert sorted(versions) == list(range(10))
    assert await artifact_service.list_versions(**where(), filename="doc") == list(range(10))
    for version, content in zip(versions, contents, strict=True):
        loaded = await artifact_service.load_artifact(**where(), filename="doc", version=version)
        assert loaded == text(content)


class _Unstorable:
    """A metadata value no backend can copy or serialise."""

    def __deepcopy__(self, memo: dict[int, Any]) -> _Unstorable:
        raise _UnstorableError("cannot be copied")

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise _UnstorableError("cannot be pickled")


class _UnstorableError(TypeError):
    pass


async def test_a_failed_save_publishes_nothing(artifact_service: BaseArtifactService) -> None:
    await artifact_service.save_artifact(
        **where(), filename="doc", artifact=blob(b"v0", "image/png"), custom_metadata={"v": 0}
    )

    with pytest.raises((TypeError, ValueError)):
        await artifact_service.save_artifact(
            **where(),
            filename="doc",
            artifact=blob(b"v1", "image/png"),
            custom_metadata={"bad": _Unstorable()},
        )

    assert await artifact_service.load_artifact(**where(), filename="doc") == blob(
        b"v0", "image/png"
    )
    assert await artifact_service.list_versions(**where(), filename="doc") == [0]
    listed = await artifact_service.list_artifact_versions(**where(), filename="doc")
    assert [(entry.version, entry.custom_metadata) for entry in listed] == [(0, {"v": 0})]
    assert await artifact_service.save_artifact(**where(), filename="doc", artifact=text("v1")) == 1


async def test_a_failed_first_save_leaves_no_artifact(
    artifact_service: BaseArtifactService,
) -> None:
    with pytest.raises((TypeError, ValueError)):
        await artifact_service.save_artifact(
            **where(), filename="doc", artifact=text("x"), custom_metadata={"bad": _Unstorable()}
        )

    assert await artifact_service.list_artifact_keys(**where()) == []
    assert await artifact_service.list_versions(**where(), filename="doc") == []
    assert await artifact_service.load_artifact(**where(), filename="doc") is None
    assert await artifact_service.save_artifact(**where(), filename="doc", artifact=text("x")) == 0


# --- our backends: two instances, and a reopen -----------------------------------------


@pytest.mark.ours_only
async def test_overlapping_saves_from_two_services_on_one_store_get_distinct_versions(
    artifact_service: BaseArtifactService, open_service: OpenService
) -> None:
    async with open_service() as second:
        services = [artifact_service, second] * 10
        contents = [f"save {i}" for i in range(len(services))]

        versions = await asyncio.gather(
            *(
                service.save_artifact(**where(), filename="doc", artifact=text(content))
                for service, content in zip(services, contents, strict=True)
            )
        )

        assert sorted(versions) == list(range(20))
        for service in (artifact_service, second):
            assert await service.list_versions(**where(), filename="doc") == list(range(20))
            for version, content in zip(versions, contents, strict=True):
                loaded = await service.load_artifact(**where(), filename="doc", version=version)
                assert loaded == text(content)


@pytest.mark.ours_only
async def test_versions_and_their_metadata_survive_a_reopen(
    artifact_service: BaseArtifactService, open_service: OpenService
) -> None:
    parts = [blob(b"\x00\xff", "image/png", "a.png"), text(""), pointer("gs://b/o", "video/mp4")]
    for step, part in enumerate(parts):
        await artifact_service.save_artifact(
            **where(), filename="doc", artifact=part, custom_metadata={"step": step}
        )
    listed = await artifact_service.list_artifact_versions(**where(), filename="doc")

    async with open_service() as reopened:
        assert await load_every_version(reopened, "doc") == parts
        assert await reopened.list_artifact_versions(**where(), filename="doc") == listed
