"""The events the fast path's self-check decodes both ways: one of each shape it treats apart.

Each sample takes a different branch of `adk_sqlite.codec.fast.events`: the
one-pass messages of text, function call and function response parts, the
converters (function calls and responses, thought signatures, inline bytes as
base64), the tagged JSON of non-finite floats and
tag-shaped objects (with bytes beside them), the fields stored in ``extra``
(enums, a set ``NodeInfo``, ``Any`` values, a negative zero timestamp), every
metadata column, and pickled actions holding nested models.
"""

from __future__ import annotations

import math
import struct
from typing import Any

from google.adk.events.event import Event, NodeInfo
from google.adk.events.event_actions import EventActions, EventCompaction
from google.adk.tools.tool_confirmation import ToolConfirmation
from google.genai import types

__all__ = ["sample_events"]

_TIMESTAMP = 1700000000.125


def _nan_with_payload() -> float:
    # A NaN other than Python's own: its bits are tagged and must come back. Used
    # only in custom_metadata: elsewhere the reference, pydantic's JSON reader,
    # makes every NaN the standard one, while the fast path keeps the bits.
    nan: float = struct.unpack("<d", struct.pack("<Q", 0x7FF8000000000001))[0]
    return nan


def _message(role: str | None, *parts: types.Part) -> types.Content:
    return types.Content(role=role, parts=list(parts))


def _call(args: dict[str, object]) -> types.Part:
    return types.Part(
        function_call=types.FunctionCall(id="call-1", name="lookup", args=args),
        thought_signature=b"\x00signature\xff",
    )


def _inline_bytes() -> types.Part:
    return types.Part.from_bytes(data=b"\x00\xffpng", mime_type="image/png")


def _actions() -> EventActions:
    return EventActions(
        skip_summarization=True,
        state_delta={"count": 1, "app:flag": True, "user:name": "ada", "nested": {"l": [1, 2.5]}},
        artifact_delta={"report.txt": 2},
        transfer_to_agent="billing",
        escalate=False,
        requested_tool_confirmations={
            "call-1": ToolConfirmation(hint="go?", confirmed=False, payload={"n": 1.5})
        },
        compaction=EventCompaction(
            start_timestamp=1.0,
            end_timestamp=2.0,
            compacted_content=_message("model", types.Part(text="summary")),
        ),
        agent_state={"step": 3},
        end_of_agent=True,
    )


def _event(event_id: str, author: str, **fields: Any) -> Event:
    fields.setdefault("timestamp", _TIMESTAMP)
    return Event(id=event_id, author=author, invocation_id="inv-1", **fields)


def sample_events() -> list[Event]:
    """One event of each shape, built through ADK's own (validating) constructors."""
    return [
        _event(
            "text",
            "user",
            content=_message("user", types.Part(text="hello"), types.Part(text="héllo ✓")),
        ),
        _event("bare", "agent"),
        _event("thought", "model", content=_message("model", types.Part(text="hm", thought=True))),
        _event(
            "function-call",
            "model",
            content=_message("model", _call({"q": "x", "n": 2, "f": 0.5, "d": {"l": [1, None]}})),
            long_running_tool_ids={"call-1"},
            finish_reason=types.FinishReason.STOP,
            model_version="gemini-sample",
            avg_logprobs=-0.25,
            usage_metadata=types.GenerateContentResponseUsageMetadata(
                prompt_token_count=10,
                candidates_token_count=3,
                total_token_count=13,
                prompt_tokens_details=[
                    types.ModalityTokenCount(modality=types.MediaModality.TEXT, token_count=10)
                ],
            ),
        ),
        _event(
            "function-response",
            "user",
            content=_message(
                "user",
                types.Part(
                    function_response=types.FunctionResponse(
                        id="call-1", name="lookup", response={"result": [1.5, "two", None]}
                    )
                ),
            ),
            actions=_actions(),
        ),
        _event(
            "tool-turn",
            "model",
            content=_message(
                "model",
                types.Part(text="checking"),
                types.Part(function_call=types.FunctionCall(name="lookup", args={})),
                types.Part(
                    function_response=types.FunctionResponse(name="lookup", response={"ok": 1})
                ),
            ),
        ),
        _event(
            "inline-bytes",
            "user",
            content=_message("user", types.Part(text="see"), _inline_bytes()),
        ),
        _event(
            "non-finite",
            "model",
            content=_message(None, _call({"nan": math.nan, "inf": math.inf, "ninf": -math.inf})),
            custom_metadata={
                "nan": _nan_with_payload(),
                "zero": -0.0,
                "big": 2**70,
                "tag-shaped": {"$float": "NaN"},
                "nested": {"l": [math.inf, "x"]},
            },
            output={"scores": [math.nan, 0.1 + 0.2]},
        ),
        _event(
            "tag-beside-bytes",
            "model",
            content=_message("model", _call({"$float": "not a tag", "k": 1}), _inline_bytes()),
        ),
        _event(
            "metadata",
            "model",
            branch="root.sub",
            partial=False,
            turn_complete=True,
            interrupted=False,
            error_code="E1",
            error_message="failed",
            node_info=NodeInfo(path="root/sub@1", output_for=["root"]),
            turn_complete_reason=types.TurnCompleteReason.MALFORMED_FUNCTION_CALL,
            interaction_status=types.InteractionStatus.IN_PROGRESS,
            live_session_id="live-1",
            logprobs_result=types.LogprobsResult(
                chosen_candidates=[types.LogprobsResultCandidate(token="a", log_probability=-0.1)]
            ),
            grounding_metadata=types.GroundingMetadata(
                search_entry_point=types.SearchEntryPoint(rendered_content="r", sdk_blob=b"blob"),
                web_search_queries=["query"],
            ),
            citation_metadata=types.CitationMetadata(
                citations=[types.Citation(uri="https://example.com", start_index=0, end_index=4)]
            ),
            input_transcription=types.Transcription(text="in", finished=True),
            output_transcription=types.Transcription(text="out", finished=False),
        ),
        _event("negative-zero", "agent", timestamp=-0.0),
    ]
