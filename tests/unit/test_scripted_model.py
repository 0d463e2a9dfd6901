"""ScriptedModel: a BaseLlm that answers from a fixed script."""

from __future__ import annotations

import pytest
from google.adk.agents import LlmAgent
from google.adk.models import BaseLlm
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.genai import types

from adk_sqlite.testing import ScriptedModel, ScriptExhaustedError, call_tool, say


def request(text: str) -> LlmRequest:
    return LlmRequest(contents=[types.Content(role="user", parts=[types.Part(text=text)])])


async def reply(model: ScriptedModel, text: str = "hi") -> list[LlmResponse]:
    return [response async for response in model.generate_content_async(request(text))]


def test_scripted_model_is_accepted_as_an_agents_model() -> None:
    model = ScriptedModel(["hello"])
    agent = LlmAgent(name="assistant", model=model)

    assert isinstance(model, BaseLlm)
    assert agent.canonical_model is model


async def test_scripted_model_returns_the_script_in_order() -> None:
    model = ScriptedModel([call_tool("lookup", name="Ada", limit=3), say("first"), "second"])

    replies = [await reply(model) for _ in range(3)]

    assert [[r.content for r in rs] for rs in replies] == [
        [
            types.Content(
                role="model",
                parts=[
                    types.Part(
                        function_call=types.FunctionCall(
                            name="lookup", args={"name": "Ada", "limit": 3}
                        )
                    )
                ],
            )
        ],
        [types.Content(role="model", parts=[types.Part(text="first")])],
        [types.Content(role="model", parts=[types.Part(text="second")])],
    ]
    assert model.remaining == 0


async def test_scripted_model_raises_a_clear_error_when_the_script_runs_out() -> None:
    model = ScriptedModel(["only answer"])
    await reply(model)

    with pytest.raises(ScriptExhaustedError, match=r"called 2 times .* only 1 responses.*'again'"):
        await reply(model, "again")


async def test_scripted_model_records_each_request() -> None:
    model = ScriptedModel(["one", "two"])

    await reply(model, "first question")
    await reply(model, "second question")

    assert [r.contents[0].parts[0].text for r in model.requests if r.contents[0].parts] == [
        "first question",
        "second question",
    ]


async def test_scripted_model_leaves_its_script_unchanged_when_callers_edit_replies() -> None:
    model = ScriptedModel([call_tool("lookup", name="Ada")])

    (response,) = await reply(model)
    response.get_function_calls()[0].id = "assigned-by-adk"

    assert model.script[0].get_function_calls()[0].id is None


async def test_scripted_model_reports_zero_token_usage() -> None:
    (response,) = await reply(ScriptedModel(["hi"]))

    assert response.usage_metadata is not None
    assert response.usage_metadata.total_token_count == 0


def test_scripted_model_accepts_the_script_by_keyword() -> None:
    assert ScriptedModel(script=["hi"]).script == [say("hi")]


def test_scripted_model_rejects_a_bare_string_as_a_script() -> None:
    with pytest.raises(ValueError, match="list of responses"):
        ScriptedModel("hello")
