"""Reading the parts of a stored message (the events table's ``content`` JSON). Pure.

The timeline and the tool audit look at many events but need only a few
fields of each part, so they decode the JSON with msgspec into the small
structs below instead of validating whole ADK events with pydantic. Field names
are the ones the codec writes (``model_dump_json``: snake_case); unknown fields
are ignored, so parts ADK adds later do not break reading.
"""

from __future__ import annotations

from typing import Any

import msgspec

from adk_sqlite.codec.exact_json import may_hold_tags, untag
from adk_sqlite.errors import CorruptRecordError

__all__ = [
    "FunctionCallPart",
    "FunctionResponsePart",
    "MessageContent",
    "MessagePart",
    "decode_content",
    "describe_other_part",
]


class _FunctionPart(msgspec.Struct, kw_only=True):
    """What a tool call and its response both carry: the tool's name, the call's id."""

    name: str | None = None
    id: str | None = None


class FunctionCallPart(_FunctionPart, kw_only=True):
    args: dict[str, Any] | None = None


class FunctionResponsePart(_FunctionPart, kw_only=True):
    response: dict[str, Any] | None = None


class _Media(msgspec.Struct, kw_only=True):
    """What inline bytes and a file reference both carry."""

    mime_type: str | None = None
    display_name: str | None = None


class _InlineData(_Media, kw_only=True):
    data: str | None = None  # base64, as the codec writes bytes


class _FileData(_Media, kw_only=True):
    file_uri: str | None = None


class _ExecutableCode(msgspec.Struct, kw_only=True):
    language: str | None = None
    code: str | None = None


class _CodeExecutionResult(msgspec.Struct, kw_only=True):
    outcome: str | None = None
    output: str | None = None


class MessageContent(msgspec.Struct, kw_only=True):
    """A stored ``types.Content``: its role and its parts (`MessagePart`, below)."""

    role: str | None = None
    parts: list[MessagePart] = msgspec.field(default_factory=list)


class MessagePart(msgspec.Struct, kw_only=True):
    """A ``types.Part``: the fields read here, each None when the part has none."""

    text: str | None = None
    thought: bool | None = None
    function_call: FunctionCallPart | None = None
    function_response: FunctionResponsePart | None = None
    inline_data: _InlineData | None = None
    file_data: _FileData | None = None
    executable_code: _ExecutableCode | None = None
    code_execution_result: _CodeExecutionResult | None = None


_decoder = msgspec.json.Decoder(MessageContent)


def decode_content(text: str | None, *, event_id: str) -> MessageContent | None:
    """Decodes a ``content`` column; None stays None.

    Raises:
        CorruptRecordError: The column is not the JSON of a message.
    """
    if text is None:
        return None
    try:
        content = _decoder.decode(text)
        if may_hold_tags(text):  # NaN and infinities in arguments, as the codec tags them
            for part in content.parts:
                if part.function_call is not None and part.function_call.args is not None:
                    part.function_call.args = untag(part.function_call.args)
                if part.function_response is not None and part.function_response.response:
                    part.function_response.response = untag(part.function_response.response)
    except (msgspec.DecodeError, ValueError) as exc:
        raise CorruptRecordError(f"event {event_id!r}: content is not a message: {exc}") from exc
    return content


def describe_other_part(part: MessagePart) -> str | None:
    """A one-line description of a part that is neither text nor a tool call/response."""
    if part.inline_data is not None:
        data = part.inline_data
        size = len(data.data or "") * 3 // 4  # base64 text to bytes, near enough
        name = f" {data.display_name}" if data.display_name else ""
        return f"inline data{name} ({data.mime_type or 'unknown type'}, ~{size} bytes)"
    if part.file_data is not None:
        return f"file {part.file_data.file_uri or '?'} ({part.file_data.mime_type or '?'})"
    if part.executable_code is not None:
        code = part.executable_code
        return f"code ({(code.language or '?').lower()}): {code.code or ''}"
    if part.code_execution_result is not None:
        result = part.code_execution_result
        return f"code result ({result.outcome or '?'}): {result.output or ''}"
    return None
