"""An Event with every one of its fields set, for round-trip tests."""

from __future__ import annotations

from google.adk.events.event import Event, NodeInfo
from google.adk.events.event_actions import EventActions, EventCompaction
from google.adk.models.cache_metadata import CacheMetadata
from google.adk.tools.tool_confirmation import ToolConfirmation
from google.genai import types


def rich_actions() -> EventActions:
    """EventActions with every field set to a non-default value."""
    return EventActions(
        skip_summarization=True,
        state_delta={"plain": 1, "app:shared": [1, 2.5], "user:pref": None, "nested": {"a": True}},
        artifact_delta={"report.txt": 3},
        transfer_to_agent="billing_agent",
        transfer_reason="needs billing",
        escalate=False,
        requested_auth_configs={},
        requested_tool_confirmations={
            "call-1": ToolConfirmation(hint="confirm?", confirmed=False, payload={"n": 1.5})
        },
        compaction=EventCompaction(
            start_timestamp=1.0,
            end_timestamp=2.0,
            compacted_content=types.Content(role="model", parts=[types.Part(text="summary")]),
        ),
        end_of_agent=True,
        agent_state={"step": 3},
        rewind_before_invocation_id="inv-0",
        route=["a", 1, True],
        set_model_response={"answer": 42},
    )


def rich_event(*, event_id: str = "event-1", timestamp: float = 1700000000.123) -> Event:
    """An Event whose 35 fields are all set, including bytes and enums."""
    return Event(
        id=event_id,
        timestamp=timestamp,
        invocation_id="inv-1",
        author="agent",
        branch="root.agent",
        isolation_scope="scope-1",
        model_version="gemini-test-001",
        content=types.Content(
            role="model",
            parts=[
                types.Part(text="héllo ✓"),
                types.Part.from_bytes(data=b"\x00\xffpng", mime_type="image/png"),
                types.Part(function_call=types.FunctionCall(id="call-1", name="f", args={"x": 1})),
            ],
        ),
        grounding_metadata=types.GroundingMetadata(
            search_entry_point=types.SearchEntryPoint(sdk_blob=b"sdk-blob", rendered_content="r")
        ),
        partial=False,
        turn_complete=True,
        turn_complete_reason=types.TurnCompleteReason.MALFORMED_FUNCTION_CALL,
        interaction_status=types.InteractionStatus.IN_PROGRESS,
        finish_reason=types.FinishReason.STOP,
        error_code="E42",
        error_message="something failed",
        interrupted=False,
        custom_metadata={"trace": "abc", "score": 0.30000000000000004},
        usage_metadata=types.GenerateContentResponseUsageMetadata(
            prompt_token_count=10, candidates_token_count=5, total_token_count=15
        ),
        live_session_resumption_update=types.LiveServerSessionResumptionUpdate(
            new_handle="handle", resumable=True
        ),
        live_session_id="live-1",
        go_away=types.LiveServerGoAway(time_left="5s"),
        voice_activity=types.VoiceActivity(audio_offset="1s"),
        input_transcription=types.Transcription(text="in", finished=True),
        output_transcription=types.Transcription(text="out", finished=False),
        avg_logprobs=-0.25,
        logprobs_result=types.LogprobsResult(
            chosen_candidates=[types.LogprobsResultCandidate(token="a", log_probability=-0.1)]
        ),
        cache_metadata=CacheMetadata(fingerprint="fp", contents_count=2),
        citation_metadata=types.CitationMetadata(
            citations=[types.Citation(uri="https://example.com", start_index=1)]
        ),
        interaction_id="interaction-1",
        environment_id="env-1",
        actions=rich_actions(),
        output={"result": [1, "two", 3.0]},
        node_info=NodeInfo(path="wf/a@1", output_for=["wf"], message_as_output=True),
        long_running_tool_ids={"call-1", "call-2"},
    )
