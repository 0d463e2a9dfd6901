"""Artifact service, "Content": what a saved `Part` loads back as.

Covers adk-services.md, Artifact service / Content: bytes with their mime type
and ``inline_data.display_name``; empty bytes present but empty; ``inline_data``
without data refused (our backends; ADK's in-memory reference stores it); text
as text, the empty string and JSON-looking text included; a plain dict in
camelCase or snake_case stored as the equivalent `Part`; a ``file_data`` pointer
kept as that pointer with its URI and mime type, an empty URI refused (our
backends; the reference stores it). Also, as every ADK service does: a `Part`
with no content is refused, ADK's rewind marker loads as absent, and saved and
loaded parts are copies.
"""

from __future__ import annotations

import base64

import pytest
from google.adk.artifacts.base_artifact_service import BaseArtifactService
from google.adk.errors.input_validation_error import InputValidationError
from google.genai import types

from ._support import blob, pointer, text, where

# --- bytes -----------------------------------------------------------------------------


async def test_bytes_round_trip_with_mime_type_and_display_name(
    artifact_service: BaseArtifactService,
) -> None:
    saved = blob(b"\x89PNG\r\n\x1a\n\x00\xff", "image/png", "photo of a duck.png")
    await artifact_service.save_artifact(**where(), filename="photo", artifact=saved)

    loaded = await artifact_service.load_artifact(**where(), filename="photo")

    assert loaded == saved
    assert loaded is not None
    assert loaded.inline_data is not None
    assert loaded.inline_data.display_name == "photo of a duck.png"
    assert loaded.text is None


async def test_bytes_without_display_name_load_without_one(
    artifact_service: BaseArtifactService,
) -> None:
    await artifact_service.save_artifact(
        **where(), filename="data", artifact=blob(b"abc", "application/x-custom")
    )

    loaded = await artifact_service.load_artifact(**where(), filename="data")

    assert loaded == types.Part(
        inline_data=types.Blob(data=b"abc", mime_type="application/x-custom")
    )


async def test_every_byte_value_round_trips(artifact_service: BaseArtifactService) -> None:
    payload = bytes(range(256)) * 64 + b"\x00"
    await artifact_service.save_artifact(
        **where(), filename="raw", artifact=blob(payload, "application/octet-stream")
    )

    loaded = await artifact_service.load_artifact(**where(), filename="raw")

    assert loaded is not None
    assert loaded.inline_data is not None
    assert loaded.inline_data.data == payload


async def test_empty_bytes_load_as_present_but_empty(
    artifact_service: BaseArtifactService,
) -> None:
    await artifact_service.save_artifact(
        **where(), filename="empty", artifact=blob(b"", "image/png")
    )

    loaded = await artifact_service.load_artifact(**where(), filename="empty")

    assert loaded == blob(b"", "image/png")
    assert loaded is not None
    assert loaded.inline_data is not None
    assert loaded.inline_data.data == b""


async def test_the_rewind_marker_loads_as_absent_and_keeps_history(
    artifact_service: BaseArtifactService,
) -> None:
    # A session rewind "removes" an artifact by saving empty application/octet-stream
    # bytes (artifact_util._new_rewind_tombstone); every ADK service loads it as None.
    await artifact_service.save_artifact(**where(), filename="doc", artifact=text("before"))
    marker = blob(b"", "application/octet-stream")
    assert await artifact_service.save_artifact(**where(), filename="doc", artifact=marker) == 1

    assert await artifact_service.load_artifact(**where(), filename="doc") is None
    assert await artifact_service.load_artifact(**where(), filename="doc", version=1) is None
    assert await artifact_service.load_artifact(**where(), filename="doc", version=0) == text(
        "before"
    )
    assert await artifact_service.list_versions(**where(), filename="doc") == [0, 1]


async def test_inline_data_without_data(
    artifact_service: BaseArtifactService, is_reference: bool
) -> None:
    no_data = types.Part(inline_data=types.Blob(mime_type="image/png"))
    if is_reference:
        # InMemoryArtifactService only checks `inline_data is not None`; ADK's file
        # and cloud-storage services refuse it ("Artifact inline_data must contain data.").
        assert await artifact_service.save_artifact(**where(), filename="x", artifact=no_data) == 0
        assert await artifact_service.load_artifact(**where(), filename="x") == no_data
        return

    with pytest.raises(InputValidationError, match="data"):
        await artifact_service.save_artifact(**where(), filename="x", artifact=no_data)
    assert await artifact_service.list_versions(**where(), filename="x") == []


# --- text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "hello",
        "",
        '{"inline_data": {"data": "aGk="}, "n": 1}',
        "[1, 2, 3]",
        "null",
        "42",
        "true",
        "line one\nline two\r\n\ttabbed",
        "naïve café 日本語 🦆",
        "nul\x00inside",
    ],
    ids=[
        "plain",
        "empty",
        "json-object",
        "json-array",
        "json-null",
        "json-number",
        "json-bool",
        "whitespace",
        "unicode",
        "nul",
    ],
)
async def test_text_round_trips_as_text(artifact_service: BaseArtifactService, value: str) -> None:
    await artifact_service.save_artifact(**where(), filename="note", artifact=text(value))

    loaded = await artifact_service.load_artifact(**where(), filename="note")

    assert loaded == types.Part(text=value)
    assert loaded is not None
    assert loaded.text == value
    assert loaded.inline_data is None
    assert loaded.file_data is None


# --- plain dicts -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "artifact",
    [
        {
            "inlineData": {
                "mimeType": "image/png",
                "data": base64.b64encode(b"hello").decode(),
                "displayName": "hi.png",
            }
        },
        {"inline_data": {"mime_type": "image/png", "data": b"hello", "display_name": "hi.png"}},
    ],
    ids=["camelCase", "snake_case"],
)
async def test_a_dict_with_inline_data_is_stored_as_the_equivalent_part(
    artifact_service: BaseArtifactService, artifact: dict[str, object]
) -> None:
    assert await artifact_service.save_artifact(**where(), filename="d", artifact=artifact) == 0

    assert await artifact_service.load_artifact(**where(), filename="d") == blob(
        b"hello", "image/png", "hi.png"
    )
    version = await artifact_service.get_artifact_version(**where(), filename="d")
    assert version is not None
    assert version.mime_type == "image/png"


@pytest.mark.parametrize(
    ("artifact", "expected"),
    [
        ({"text": "from a dict"}, text("from a dict")),
        (
            {"fileData": {"fileUri": "gs://bucket/a.pdf", "mimeType": "application/pdf"}},
            pointer("gs://bucket/a.pdf", "application/pdf"),
        ),
        (
            {"file_data": {"file_uri": "gs://bucket/a.pdf", "mime_type": "application/pdf"}},
            pointer("gs://bucket/a.pdf", "application/pdf"),
        ),
    ],
    ids=["text", "file-data-camelCase", "file-data-snake_case"],
)
async def test_a_dict_with_text_or_file_data_is_stored_as_the_equivalent_part(
    artifact_service: BaseArtifactService, artifact: dict[str, object], expected: types.Part
) -> None:
    await artifact_service.save_artifact(**where(), filename="d", artifact=artifact)

    assert await artifact_service.load_artifact(**where(), filename="d") == expected


# --- file_data pointers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "mime_type"),
    [
        ("gs://bucket/reports/q3.pdf", "application/pdf"),
        ("https://example.com/video.mp4?sig=a%2Fb", "video/mp4"),
    ],
    ids=["gcs", "https"],
)
async def test_a_file_data_pointer_loads_back_as_that_pointer(
    artifact_service: BaseArtifactService, uri: str, mime_type: str
) -> None:
    await artifact_service.save_artifact(
        **where(), filename="ptr", artifact=pointer(uri, mime_type)
    )

    loaded = await artifact_service.load_artifact(**where(), filename="ptr")

    assert loaded == pointer(uri, mime_type)
    assert loaded is not None
    assert loaded.inline_data is None
    version = await artifact_service.get_artifact_version(**where(), filename="ptr")
    assert version is not None
    assert version.mime_type == mime_type


@pytest.mark.parametrize("uri", ["", None], ids=["empty", "missing"])
async def test_a_file_data_pointer_without_a_uri(
    artifact_service: BaseArtifactService, is_reference: bool, uri: str | None
) -> None:
    no_uri = pointer(uri, "application/pdf")
    if is_reference:
        # InMemoryArtifactService stores any file_data; ADK's cloud-storage service
        # refuses it ("Artifact file_data must have a file_uri.").
        assert await artifact_service.save_artifact(**where(), filename="p", artifact=no_uri) == 0
        assert await artifact_service.load_artifact(**where(), filename="p") == no_uri
        return

    with pytest.raises(InputValidationError, match=r"(?i)uri"):
        await artifact_service.save_artifact(**where(), filename="p", artifact=no_uri)
    assert await artifact_service.list_versions(**where(), filename="p") == []


# --- parts with no content, and copies -------------------------------------------------


@pytest.mark.parametrize(
    "artifact",
    [types.Part(), {}, types.Part(thought=True)],
    ids=["empty-part", "empty-dict", "thought-only"],
)
async def test_a_part_with_no_content_is_refused(
    artifact_service: BaseArtifactService, artifact: types.Part | dict[str, object]
) -> None:
    with pytest.raises(InputValidationError):
        await artifact_service.save_artifact(**where(), filename="nothing", artifact=artifact)

    assert await artifact_service.list_artifact_keys(**where()) == []


async def test_changing_a_part_after_saving_it_changes_nothing_stored(
    artifact_service: BaseArtifactService,
) -> None:
    saved = blob(b"original", "image/png", "a.png")
    await artifact_service.save_artifact(**where(), filename="doc", artifact=saved)
    assert saved.inline_data is not None
    saved.inline_data.data = b"changed"
    saved.inline_data.display_name = "b.png"

    assert await artifact_service.load_artifact(**where(), filename="doc") == blob(
        b"original", "image/png", "a.png"
    )


async def test_changing_a_loaded_part_changes_nothing_stored(
    artifact_service: BaseArtifactService,
) -> None:
    await artifact_service.save_artifact(**where(), filename="doc", artifact=text("original"))
    loaded = await artifact_service.load_artifact(**where(), filename="doc")
    assert loaded is not None
    loaded.text = "changed"

    assert await artifact_service.load_artifact(**where(), filename="doc") == text("original")
