"""A scripted stand-in for an LLM, so agents run offline in tests and demos.

`ScriptedModel` is a real `google.adk.models.BaseLlm`: give it to an
`LlmAgent` and a `Runner` drives it exactly as it drives Gemini (tool calls
are executed, events are appended to the session service), but each model
call returns the next response from a fixed script instead of going to the
network. Every request it receives is recorded, so a test can check what the
model was shown, e.g. that history survived a restart::

    from google.adk.agents import LlmAgent

    from adk_sqlite.testing import ScriptedModel, call_tool, say

    model = ScriptedModel(
        [
            call_tool("remember", key="name", value="Ada"),  # turn 1: use a tool,
            say("Nice to meet you, Ada."),  # then answer with the tool's result.
            "Hello again!",  # turn 2: a plain string is short for say(...).
        ]
    )
    agent = LlmAgent(name="assistant", model=model, tools=[remember])
    ...
    assert model.remaining == 0
    assert model.requests[-1].contents[0].parts[0].text == "My name is Ada."

One script entry answers one model call. A turn in which the model uses a tool
takes two calls (the call, then the answer after the tool's result), so it
needs two entries.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from typing import Any

from google.adk.models import BaseLlm, LlmCapabilities
from google.adk.models.llm_request import LlmRequest
from google.adk.models.llm_response import LlmResponse
from google.genai import types
from pydantic import Field, PrivateAttr, field_validator

from adk_sqlite.errors import AdkSqliteError

__all__ = [
    "ScriptExhaustedError",
    "ScriptedModel",
    "call_tool",
    "say",
]

ScriptEntry = LlmResponse | str
"""One model call's answer: a full `LlmResponse`, or a string to say."""


class ScriptExhaustedError(AdkSqliteError, RuntimeError):
    """The model was called more times than its script has responses."""


def say(text: str) -> LlmResponse:
    """Builds a response in which the model answers with text.

    Args:
        text: What the model says.

    Returns:
        A complete (non-partial) model response holding one text part.
    """
    return LlmResponse(content=types.Content(role="model", parts=[types.Part(text=text)]))


def call_tool(name: str, /, **args: Any) -> LlmResponse:
    """Builds a response in which the model calls one tool.

    The function call carries no id: ADK assigns one before it runs the tool,
    as it does for real models that omit it.

    Args:
        name: The tool's name (for a function tool, the function's name).
            Positional-only, so a tool argument may itself be called ``name``.
        **args: The arguments to call the tool with.

    Returns:
        A complete (non-partial) model response holding one function call.
    """
    call = types.FunctionCall(name=name, args=args)
    return LlmResponse(content=types.Content(role="model", parts=[types.Part(function_call=call)]))


# A scripted model spends no tokens. Reporting zero, rather than nothing, keeps
# ADK's telemetry from logging a "missing token usage" warning on every call.
_NO_TOKENS = types.GenerateContentResponseUsageMetadata(
    prompt_token_count=0, candidates_token_count=0, total_token_count=0
)


class ScriptedModel(BaseLlm):
    """An LLM that answers each call with the next response of a fixed script.

    Each call to `generate_content_async` records the request and yields one
    complete response (in streaming mode too: a single final chunk is a valid
    stream). A response that reports no token usage is given a zero count.
    When the script is used up the call raises `ScriptExhaustedError`, which
    `Runner.run_async` propagates, so an agent that calls the model more often
    than a test expected fails loudly instead of hanging or inventing text.

    One instance may be shared by several agents and sessions; calls take
    responses in the order they arrive.

    Attributes:
        model: The name reported to ADK (in events' telemetry and requests).
        script: The responses, in the order they are returned. Strings given
            to the constructor are turned into `say` responses.
    """

    model: str = "scripted"
    script: list[LlmResponse] = Field(default_factory=list)

    # Private, so that the progress through the script and the recorded
    # requests stay out of the model's validated and serialized fields.
    _next: int = PrivateAttr(default=0)
    _requests: list[LlmRequest] = PrivateAttr(default_factory=list)

    def __init__(self, script: Iterable[ScriptEntry] | None = None, /, **data: Any) -> None:
        """Creates a model that will answer with ``script``, in order.

        Args:
            script: The responses, one per model call. A string is short for
                ``say(string)``. May also be passed as the ``script`` keyword.
            **data: Other fields, e.g. ``model="my-test-model"``.

        Raises:
            TypeError: If the script is given both positionally and by keyword.
            pydantic.ValidationError: If the script is a single string or
                response rather than a list of them.
        """
        if script is not None:
            if "script" in data:
                raise TypeError("ScriptedModel got the script twice (positional and keyword)")
            data["script"] = script
        super().__init__(**data)

    @field_validator("script", mode="before")
    @classmethod
    def _expand_strings(cls, value: Any) -> Any:
        # A bare string is iterable too; treating it as a script of
        # one-character replies would be a confusing silent mistake.
        if isinstance(value, str | LlmResponse):
            raise ValueError("script must be a list of responses, not a single response")
        return [say(entry) if isinstance(entry, str) else entry for entry in value]

    @property
    def capabilities(self) -> LlmCapabilities:
        """Declares no optional capabilities.

        Declaring them explicitly keeps ADK from falling back to its deprecated
        guess from the model's name.
        """
        return LlmCapabilities()

    @property
    def requests(self) -> list[LlmRequest]:
        """The requests received so far, oldest first.

        Each is a copy taken when the call arrived, with its ``contents``
        deep-copied, so it shows exactly the history the model was sent.
        """
        return list(self._requests)

    @property
    def remaining(self) -> int:
        """How many scripted responses have not been returned yet."""
        return len(self.script) - self._next

    async def generate_content_async(
        self, llm_request: LlmRequest, stream: bool = False
    ) -> AsyncGenerator[LlmResponse, None]:
        """Records the request and yields the next scripted response.

        Args:
            llm_request: The request ADK built for this model call.
            stream: Whether ADK asked for streaming; the reply is the same.

        Yields:
            One complete `LlmResponse`: a deep copy of the next script entry,
            so ADK can annotate it (e.g. assign function-call ids) without
            altering the script.

        Raises:
            ScriptExhaustedError: If every scripted response was already used.
        """
        # Claim the entry before any await, so that concurrent calls each get
        # a different response.
        index = self._next
        if index >= len(self.script):
            raise ScriptExhaustedError(
                f"ScriptedModel {self.model!r} was called {index + 1} times but its"
                f" script has only {len(self.script)} responses; the request ended"
                f" with: {_describe_last_content(llm_request)}"
            )
        self._next = index + 1
        # The request stays ADK's to change after this call; the record keeps
        # its own copy of the history as the model was shown it.
        self._requests.append(
            llm_request.model_copy(
                update={"contents": [c.model_copy(deep=True) for c in llm_request.contents]}
            )
        )
        response = self.script[index].model_copy(deep=True)
        if response.usage_metadata is None:
            response.usage_metadata = _NO_TOKENS.model_copy()
        yield response


def _describe_last_content(llm_request: LlmRequest) -> str:
    """Summarizes the request's last content, to say where the script ran out."""
    if not llm_request.contents:
        return "no contents"
    content = llm_request.contents[-1]
    pieces: list[str] = []
    for part in content.parts or []:
        if part.text is not None:
            pieces.append(repr(part.text))
        elif part.function_call is not None:
            pieces.append(f"call {part.function_call.name}(...)")
        elif part.function_response is not None:
            pieces.append(f"result of {part.function_response.name}")
        else:
            pieces.append("a non-text part")
    return f"{content.role}: {', '.join(pieces) or 'no parts'}"
