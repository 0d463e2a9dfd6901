"""Random ADK events for round-trip fuzzing, and the strict comparison they are checked with.

The generator does not list Event's fields: it walks ``Event.model_fields`` and, through
their annotations (Optional, Union, list, dict, set, Literal, enums, nested pydantic
models), every model reachable from it: genai's Content, Part, FunctionCall,
GroundingMetadata, UsageMetadata, LogprobsResult..., ADK's EventActions, ToolConfirmation,
EventCompaction, NodeInfo, UiWidget... A field ADK or genai adds later is generated, and
compared, without editing this module.

Values are realistic or extreme: floats at the edges (``0.1 + 0.2``, ``5e-324``, the
largest double, ``-0.0``, NaN, the infinities, a subnormal), integers beyond 64 bits,
unicode edge cases (emoji, combining marks, RTL, NUL, U+2028, long strings, keys such as
``$float`` or SQL), bytes (random, empty, not UTF-8), and, in fields typed ``Any``, deep
nesting, tuples, sets, datetimes, non-string dict keys, pydantic models of our own (with
fields at their default and None defaults) and genai models. Realistic events (text
messages, function calls and responses with nested args, thoughts with a
``thought_signature``, inline data) are mixed in.

Every event is built from ``random.Random`` seeded by ``(seed, index)``, so one event can be
rebuilt alone: ``EventFuzzer(seed).event(index)``.

A few events are *poisoned* on purpose with a value no store can keep (a lone surrogate,
a circular reference, a non-finite timestamp, an object JSON cannot encode outside
``state_delta``): `FuzzedEvent.poison` says which field, so a test can check that the store
refused it naming that field.

`event_differences` is the invariant: the event read back must equal the original, with
the same types at every node, dict keys in the same order, floats bit for bit, the same
pydantic classes and the same ``model_fields_set`` in every nested model; except that in a
field typed ``Any`` a value that is not JSON data comes back as its JSON form (what the
original's ``model_dump_json()`` writes for it), and in ``EventActions.state_delta`` a
value JSON cannot encode at all comes back as its ``str()``.
"""

from __future__ import annotations

import datetime
import enum
import math
import random
import re
import struct
import types as pytypes
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from google.adk.events.event import Event
from google.genai import types
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic_core import to_jsonable_python

__all__ = [
    "EDGE_FLOATS",
    "EDGE_INTS",
    "EDGE_STRINGS",
    "Difference",
    "EventFuzzer",
    "FuzzedEvent",
    "event_differences",
    "event_fields_set_difference",
    "is_json_data",
    "reachable_fields",
]

# --- values ----------------------------------------------------------------------------

EDGE_FLOATS: tuple[float, ...] = (
    0.1 + 0.2,
    5e-324,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    2.2250738585072014e-308,
    1e-310,
    -0.0,
    0.0,
    1.0,
    -1.5,
    1727500000.1234567,
    math.nan,
    math.inf,
    -math.inf,
)
EDGE_INTS: tuple[int, ...] = (
    0,
    -1,
    1,
    2**31,
    2**53 + 1,
    2**63 - 1,
    2**63,
    -(2**63) - 1,
    2**64,
    10**30,
    -(10**40),
    2**200 + 7,
)
EDGE_STRINGS: tuple[str, ...] = (
    "",
    " ",
    "hello",
    "héllo wörld",
    "😀👍🏽👨‍👩‍👧‍👦",
    "e\u0301\u0301\u0301",  # combining marks
    "\u05e9\u05dc\u05d5\u05dd \u202e\u0645\u0631\u062d\u0628\u0627\u202c",  # RTL
    "nul\x00inside",
    "\x00",
    "line\u2028sep\u2029para",
    "\ufeffbom",
    "\U0010ffff",
    "tab\tnew\nline\r\n",
    '"quoted" \\ back\\slash',
    "$float",
    "$object",
    "__proto__",
    "constructor",
    "'; DROP TABLE events; --",
    "NaN",
    "Infinity",
    "null",
    "{}",
    "[1, 2]",
    "app:",
    "user:x",
    "temp:",
)
# Dict keys: edge strings plus the tag names, alone, so one-member objects of them appear.
EDGE_KEYS: tuple[str, ...] = (*EDGE_STRINGS, "$float", "$object", "$float", "$object")
_ALPHABET = "abcxyzABC019 _-.:/é漢字😀\u0301\u200d\u202e\u2028\x00\x7f\ufffd\U0001f9ea\u05d0\u0645"


class FuzzPoint(BaseModel):
    """A test model for ``Any`` fields: every field has a default, one of them None."""

    x: float = 0.0
    y: float = 0.0
    label: str | None = None


class FuzzRecord(BaseModel):
    """A test model with nested models, None defaults, bytes (base64) and an Any."""

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    name: str = ""
    count: int = 0
    tags: list[str] = []
    point: FuzzPoint | None = None
    blob: bytes = b""
    extra: dict[str, Any] = {}
    note: str | None = None


class FuzzColour(enum.Enum):
    """An enum for ``Any`` fields (its JSON form is its value)."""

    RED = "red"
    BLUE = 2


class Unencodable:
    """An object JSON cannot encode at all; ADK's state rule stores its ``str()``."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __str__(self) -> str:
        return f"<unencodable {self.n}>"

    def __repr__(self) -> str:
        return f"Unencodable({self.n})"


# --- the walk over Event's annotations ----------------------------------------------------


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _strip_annotated(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _union_arms(annotation: Any) -> list[Any] | None:
    """The arms of a Union (None removed), or None if ``annotation`` is no Union."""
    annotation = _strip_annotated(annotation)
    if typing.get_origin(annotation) in (typing.Union, pytypes.UnionType):
        return [
            _strip_annotated(arm) for arm in typing.get_args(annotation) if arm is not type(None)
        ]
    return None


def _models_in(annotation: Any) -> Iterator[type[BaseModel]]:
    annotation = _strip_annotated(annotation)
    if _is_model(annotation):
        yield annotation
        return
    for argument in typing.get_args(annotation):
        if isinstance(argument, type | typing.TypeVar) or typing.get_args(argument):
            yield from _models_in(argument)
        elif _is_model(argument):
            yield argument


def reachable_models(root: type[BaseModel] = Event) -> list[type[BaseModel]]:
    """Every pydantic model reachable from ``root``'s field annotations (``root`` first)."""
    seen: list[type[BaseModel]] = []
    pending = [root]
    while pending:
        model = pending.pop(0)
        if model in seen:
            continue
        seen.append(model)
        for info in model.model_fields.values():
            pending.extend(_models_in(info.annotation))
    return seen


def field_key(model: type[BaseModel], name: str) -> str:
    return f"{model.__module__}.{model.__qualname__}.{name}"


def reachable_fields(root: type[BaseModel] = Event) -> frozenset[str]:
    """``module.Model.field`` of every field of every model reachable from ``root``."""
    return frozenset(
        field_key(model, name) for model in reachable_models(root) for name in model.model_fields
    )


# --- the generator ---------------------------------------------------------------------------


@dataclass
class FuzzedEvent:
    """One generated event, and why a store must refuse it, if it must."""

    index: int
    seed: int
    event: Event
    kind: str  # "random" or "realistic"
    # (reason, field names the refusal must mention) when the event holds a value no
    # store can keep; None for an event every store must accept.
    poison: tuple[str, tuple[str, ...]] | None = None

    @property
    def reproduce(self) -> str:
        return f"EventFuzzer({self.seed}).event({self.index})"


class _RejectedError(Exception):
    """A generated value did not validate; the caller leaves the field out."""


@dataclass
class EventFuzzer:
    """Builds random valid Events, deterministically from ``seed`` and each event's index.

    Attributes:
        covered: ``module.Model.field`` of every field set at least once at a typed
            position (not inside an ``Any`` field), over every event built so far.
    """

    seed: int
    set_probability: float = 0.5
    covered: set[str] = field(default_factory=set)
    _rng: random.Random = field(default_factory=random.Random, repr=False)
    _models: list[type[BaseModel]] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._models = [
            model for model in reachable_models() if model.__module__.startswith("google.genai")
        ]

    # --- public -----------------------------------------------------------------------------

    def event(self, index: int) -> FuzzedEvent:
        """The ``index``-th event of this seed (the same one every time)."""
        rng = self._rng
        rng.seed(f"{self.seed}:{index}")
        kind = "realistic" if rng.random() < 0.3 else "random"
        for _attempt in range(20):
            try:
                if kind == "realistic":
                    event = self._realistic_event(index)
                else:
                    event = self._random_event(index)
            except _RejectedError:
                continue
            fuzzed = FuzzedEvent(index=index, seed=self.seed, event=event, kind=kind)
            if rng.random() < 0.02:
                self._poison(fuzzed)
            return fuzzed
        raise AssertionError(f"no valid event after 20 attempts: seed {self.seed}, {index}")

    # --- events -----------------------------------------------------------------------------

    def _event_id(self, index: int) -> str:
        rng = self._rng
        base = f"e{index}-{rng.getrandbits(48):012x}"
        if rng.random() < 0.1:
            base += rng.choice(["-😀", "-é", "-'; --", "-\u202e", " "])
        return base

    def _timestamp(self, index: int) -> float:
        rng = self._rng
        roll = rng.random()
        if roll < 0.03:
            return rng.choice([-0.0, 0.0, 1e300, 1.7976931348623157e308, 5e-324, -1e9, 1e-310])
        return 1_700_000_000.0 + index * 0.25 + rng.random() * 0.01

    def _random_event(self, index: int) -> Event:
        values = self._model_values(Event, depth=0, in_any=False)
        values["id"] = self._event_id(index)
        values["timestamp"] = self._timestamp(index)
        values["partial"] = self._rng.choice([None, False])
        values.setdefault("author", self._rng.choice(["user", "agent", "root.agent"]))
        values.setdefault("invocation_id", f"inv-{index // 7}")
        if self._rng.random() < 0.03:
            # ADK's rule for persisted state: a value JSON cannot encode becomes its str().
            # The rest of this delta is JSON data: when one value cannot be serialised,
            # ADK re-serialises the whole delta by another path (bytes as UTF-8).
            values["actions"] = {
                "state_delta": {
                    self._state_key(): self._json_value(2),
                    "odd": self.unencodable_state_value(),
                    "odd_list": [1, self.unencodable_state_value()],
                }
            }
        return self._validate(Event, values, in_any=False)

    def _realistic_event(self, index: int) -> Event:
        rng = self._rng
        shape = rng.choice(["text", "call", "response", "thought", "inline", "state"])
        author = "user" if shape == "text" and rng.random() < 0.5 else "assistant"
        parts: list[types.Part] = []
        actions: dict[str, Any] = {}
        if shape == "text":
            parts = [types.Part(text=self._text()) for _ in range(rng.randint(1, 3))]
        elif shape == "call":
            parts = [
                types.Part(
                    function_call=types.FunctionCall(
                        id=f"call-{index}-{n}",
                        name=rng.choice(["get_weather", "search", "book_flight"]),
                        args=self._json_dict(depth=3),
                    )
                )
                for n in range(rng.randint(1, 2))
            ]
        elif shape == "response":
            parts = [
                types.Part(
                    function_response=types.FunctionResponse(
                        id=f"call-{index}",
                        name="get_weather",
                        response={"result": self._json_value(3), "status": "ok"},
                    )
                )
            ]
            actions["skip_summarization"] = rng.choice([None, True])
        elif shape == "thought":
            parts = [
                types.Part(text=self._text(), thought=True, thought_signature=self._bytes()),
                types.Part(text=self._text()),
            ]
        elif shape == "inline":
            parts = [
                types.Part(text="see attached"),
                types.Part(
                    inline_data=types.Blob(
                        mime_type=rng.choice(["image/png", "audio/wav", "application/pdf"]),
                        data=self._bytes(),
                    )
                ),
            ]
        else:
            actions["state_delta"] = {
                self._state_key(): self._json_value(2) for _ in range(rng.randint(1, 4))
            }
        values: dict[str, Any] = {
            "id": self._event_id(index),
            "timestamp": self._timestamp(index),
            "invocation_id": f"inv-{index // 5}",
            "author": author,
        }
        if parts:
            values["content"] = types.Content(
                role="user" if author == "user" else "model", parts=parts
            )
        if actions:
            values["actions"] = actions
        if rng.random() < 0.3:
            values["usage_metadata"] = types.GenerateContentResponseUsageMetadata(
                prompt_token_count=rng.randint(0, 10_000),
                candidates_token_count=rng.randint(0, 5_000),
                total_token_count=rng.randint(0, 15_000),
            )
        if rng.random() < 0.2:
            values["custom_metadata"] = self._json_dict(depth=2)
        if rng.random() < 0.2:
            values["turn_complete"] = True
            values["finish_reason"] = types.FinishReason.STOP
        return self._validate(Event, values, in_any=False)

    # --- poison -----------------------------------------------------------------------------

    def _poison(self, fuzzed: FuzzedEvent) -> None:
        rng = self._rng
        event = fuzzed.event
        choice = rng.choice(["timestamp", "surrogate-text", "surrogate-any", "circular"])
        if choice == "timestamp":
            event.timestamp = rng.choice([math.nan, math.inf, -math.inf])
            fuzzed.poison = ("non-finite timestamp", ("timestamp",))
        elif choice == "surrogate-text":
            event.error_message = "lone \ud800 surrogate"
            fuzzed.poison = ("lone surrogate in a str field", ("error_message",))
        elif choice == "surrogate-any":
            metadata = dict(event.custom_metadata or {})
            metadata["bad"] = ["ok", "lone \udfff surrogate"]
            event.custom_metadata = metadata
            fuzzed.poison = ("lone surrogate in an Any value", ("custom_metadata",))
        else:
            loop: dict[str, Any] = {"a": 1}
            loop["self"] = loop
            event.output = {"wrapper": [loop]}
            fuzzed.poison = ("circular reference", ("output",))

    # --- models -----------------------------------------------------------------------------

    def _validate(self, model: type[BaseModel], values: dict[str, Any], *, in_any: bool) -> Any:
        """``model`` validated from ``values``; fields that fail are left out (or rejected)."""
        for _attempt in range(8):
            try:
                built = model.model_validate(values)
            except (TypeError, ValueError) as exc:
                if not isinstance(exc, ValidationError):
                    # A validator that fails outright (ADK's AuthConfig parsing of a dict
                    # with non-string keys raises TypeError): nothing says which field.
                    raise _RejectedError(f"{model.__name__}: {exc}") from None
                bad = {error["loc"][0] for error in exc.errors() if error["loc"]}
                bad_names = {name for name in values if name in bad or _alias(model, name) in bad}
                required = {name for name in bad_names if model.model_fields[name].is_required()}
                if required or not bad_names:
                    raise _RejectedError(f"{model.__name__}: {exc}") from None
                for name in bad_names:
                    del values[name]
                continue
            if not in_any:
                self.covered.update(field_key(model, name) for name in values)
            return built
        raise _RejectedError(model.__name__)

    def _model_values(self, model: type[BaseModel], *, depth: int, in_any: bool) -> dict[str, Any]:
        rng = self._rng
        values: dict[str, Any] = {}
        probability = self.set_probability if depth else 0.3
        for name, info in model.model_fields.items():
            if not info.is_required() and rng.random() > probability:
                continue
            if not info.is_required() and rng.random() < 0.05:
                # An explicit default: it counts as set, and must come back as set.
                values[name] = info.get_default(call_default_factory=True)
                continue
            try:
                values[name] = self._value(info.annotation, depth=depth + 1, in_any=in_any)
            except _RejectedError:
                if info.is_required():
                    raise
        return values

    def _model(self, model: type[BaseModel], *, depth: int, in_any: bool) -> BaseModel:
        values = self._model_values(model, depth=depth, in_any=in_any)
        built: BaseModel = self._validate(model, values, in_any=in_any)
        return built

    # --- typed values -----------------------------------------------------------------------

    def _value(self, annotation: Any, *, depth: int, in_any: bool) -> Any:
        rng = self._rng
        annotation = _strip_annotated(annotation)
        arms = _union_arms(annotation)
        if arms is not None:
            if not arms:
                return None
            return self._value(rng.choice(arms), depth=depth, in_any=in_any)
        if annotation is Any or annotation is object:
            return self._any_value(depth=0)
        if annotation is type(None):
            return None
        if _is_model(annotation):
            if depth > 8:
                raise _RejectedError("too deep")
            return self._model(annotation, depth=depth, in_any=in_any)
        if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            return rng.choice(list(annotation))
        origin = typing.get_origin(annotation)
        arguments = typing.get_args(annotation)
        if origin is Literal:
            return rng.choice(arguments)
        if origin in (list, typing.List, set, frozenset, tuple):  # noqa: UP006
            item = arguments[0] if arguments else Any
            items = [
                self._value(item, depth=depth, in_any=in_any) for _ in range(rng.randint(0, 3))
            ]
            if origin in (set, frozenset):
                return set(items) if origin is set else frozenset(items)
            if origin is tuple:
                return tuple(items)
            return items
        if origin in (dict, typing.Dict):  # noqa: UP006
            key_type, value_type = arguments or (str, Any)
            result = {}
            for _ in range(rng.randint(0, 4)):
                key = self._value(key_type, depth=depth, in_any=in_any)
                result[key] = self._value(value_type, depth=depth, in_any=in_any)
            return result
        if annotation is bool:
            return rng.random() < 0.5
        if annotation is int:
            return self._int()
        if annotation is float:
            return self._float()
        if annotation is str:
            return self._text()
        if annotation is bytes:
            return self._bytes()
        if annotation is datetime.datetime:
            return self._datetime()
        raise _RejectedError(f"no generator for {annotation!r}")

    def _int(self) -> int:
        rng = self._rng
        if rng.random() < 0.4:
            return rng.choice(EDGE_INTS)
        return rng.randint(-(10**6), 10**6)

    def _float(self) -> float:
        rng = self._rng
        roll = rng.random()
        if roll < 0.45:
            return rng.choice(EDGE_FLOATS)
        if roll < 0.55:
            return struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        return rng.uniform(-1e6, 1e6)

    def _text(self) -> str:
        rng = self._rng
        roll = rng.random()
        if roll < 0.35:
            return rng.choice(EDGE_STRINGS)
        if roll < 0.37:
            return rng.choice(["a", "é", "😀", "\x00", "\u2028", "ab"]) * rng.randint(1_000, 30_000)
        return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 24)))

    def _bytes(self) -> bytes:
        rng = self._rng
        roll = rng.random()
        if roll < 0.15:
            return b""
        if roll < 0.3:
            return rng.choice([b"\xff\xfe\xfd", b"\x80", b"\xc3\x28", b"\x00" * 5, b"plain"])
        return rng.randbytes(rng.randint(1, 64))

    def _datetime(self) -> datetime.datetime:
        rng = self._rng
        moment = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC) + datetime.timedelta(
            seconds=rng.randint(0, 10**8), microseconds=rng.randint(0, 999_999)
        )
        return moment if rng.random() < 0.5 else moment.replace(tzinfo=None)

    def _state_key(self) -> str:
        rng = self._rng
        prefix = rng.choice(["", "", "app:", "user:", "temp:"])
        return prefix + self._key()

    def _key(self) -> str:
        rng = self._rng
        if rng.random() < 0.4:
            return rng.choice(EDGE_KEYS)
        return "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 10)))

    # --- Any values -------------------------------------------------------------------------

    def _json_value(self, depth: int) -> Any:
        """Plain JSON data (exact types), nested up to ``depth``."""
        rng = self._rng
        roll = rng.random()
        if depth > 0 and roll < 0.2:
            return self._json_dict(depth - 1)
        if depth > 0 and roll < 0.35:
            return [self._json_value(depth - 1) for _ in range(rng.randint(0, 4))]
        return self._json_leaf()

    def _json_leaf(self) -> Any:
        rng = self._rng
        pick = rng.randrange(6)
        if pick == 0:
            return None
        if pick == 1:
            return rng.random() < 0.5
        if pick == 2:
            return self._int()
        if pick == 3:
            return self._float()
        return self._text()

    def _json_dict(self, depth: int) -> dict[str, Any]:
        rng = self._rng
        if rng.random() < 0.08:
            # A one-member object named like a storage tag, holding anything.
            return {rng.choice(["$float", "$object"]): self._json_value(depth)}
        return {self._key(): self._json_value(depth) for _ in range(rng.randint(0, 4))}

    def _any_value(self, depth: int) -> Any:
        """A value for an ``Any`` field: JSON data mostly, other objects sometimes."""
        rng = self._rng
        roll = rng.random()
        if depth == 0 and roll < 0.04:
            return self._deep(rng.randint(25, 32))
        if depth < 3 and roll < 0.25:
            return {self._key(): self._any_value(depth + 1) for _ in range(rng.randint(0, 4))}
        if depth < 3 and roll < 0.4:
            return [self._any_value(depth + 1) for _ in range(rng.randint(0, 4))]
        if roll < 0.55:
            return self._object_value(depth)
        return self._json_leaf()

    def _deep(self, depth: int) -> Any:
        rng = self._rng
        value: Any = self._json_leaf()
        for _ in range(depth):
            value = {self._key() or "k": value} if rng.random() < 0.5 else [value]
        return value

    def _object_value(self, depth: int) -> Any:
        """Something in an ``Any`` field that is not JSON data."""
        rng = self._rng
        pick = rng.randrange(10)
        if pick == 0:
            return self._bytes()
        if pick == 1:
            return tuple(self._json_value(1) for _ in range(rng.randint(0, 3)))
        if pick == 2:
            return {rng.choice([1, 2, "s", 3.5, -0.0, True]) for _ in range(rng.randint(0, 3))}
        if pick == 3:
            return self._datetime()
        if pick == 4:
            return rng.choice(list(FuzzColour))
        if pick == 5:
            return {rng.choice([1, -7, 2**70, True, None]): self._json_leaf()}
        if pick in (6, 7):
            return self._fuzz_model(depth)
        try:
            return self._model(rng.choice(self._models), depth=6, in_any=True)
        except _RejectedError:
            return FuzzPoint()

    def _fuzz_model(self, depth: int) -> BaseModel:
        rng = self._rng
        if rng.random() < 0.4:
            return FuzzPoint(x=self._float()) if rng.random() < 0.5 else FuzzPoint()
        values: dict[str, Any] = {}
        if rng.random() < 0.5:
            values["name"] = self._text()
        if rng.random() < 0.3:
            values["tags"] = [self._text() for _ in range(rng.randint(0, 3))]
        if rng.random() < 0.3:
            values["point"] = FuzzPoint(y=self._float(), label=rng.choice([None, "p"]))
        if rng.random() < 0.3:
            values["blob"] = self._bytes()
        if rng.random() < 0.3 and depth < 3:
            values["extra"] = {self._key(): self._any_value(depth + 1)}
        if rng.random() < 0.1:
            values["note"] = None
        return FuzzRecord(**values)

    def unencodable_state_value(self) -> Unencodable:
        return Unencodable(self._rng.randint(0, 999))


def _alias(model: type[BaseModel], name: str) -> str:
    info = model.model_fields[name]
    return info.alias or name


# --- the comparison --------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One place where the event read back differs from what the invariant requires."""

    check: str  # "model", "dump", "json", "fields_set", "class", "event_fields_set"
    path: str
    expected: str
    got: str
    group: str = ""  # set inside an Any field: that field's path

    @property
    def where(self) -> str:
        """The path with list indices folded (and keys inside Any fields), for grouping."""
        if self.group:
            return self.group
        folded = []
        for match in _PATH_TOKEN.finditer(self.path):
            name, index, key, marker = match.groups()
            if name:
                folded.append("." + name)
            elif index:
                folded.append("[]")
            elif key:
                folded.append("[*]")
            else:
                folded.append(marker)
        return "".join(folded).lstrip(".")


# A path is built of ``.field`` (or a leading ``field``), ``[index]``, ``[repr(key)]``
# and ``<marker>``.
_PATH_TOKEN = re.compile(
    r"""(?:^|\.)(\w+)|\[(\d+)\]|\[('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")\]|(<\w+>)"""
)


def _short(value: Any, limit: int = 160) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # a repr that fails is worth seeing too
        text = f"<repr failed: {exc!r}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _float_bits(value: float) -> bytes:
    return struct.pack("<d", value)


# A NaN with a payload keeps its bits wherever the stored JSON is read without
# validation, but pydantic's JSON reader (the fallback for shapes the fast reader does not
# rebuild) makes every NaN the standard one: a documented limit, NaN stays NaN.
STRICT_NAN_PAYLOADS = False


def _same_nan(expected: float, got: float) -> bool:
    return not STRICT_NAN_PAYLOADS and math.isnan(expected) and math.isnan(got)


def is_json_data(value: Any) -> bool:
    """Plain JSON data with exact types: what must come back exactly from an Any field."""
    kind = type(value)
    if value is None or kind in (str, int, float, bool):
        return True
    if kind is dict:
        return all(type(key) is str and is_json_data(item) for key, item in value.items())
    if kind is list:
        return all(is_json_data(item) for item in value)
    return False


def strict_differences(expected: Any, got: Any, path: str, check: str) -> list[Difference]:
    """Differences of two plain values: types, key order, floats bit for bit."""
    out: list[Difference] = []
    _strict(expected, got, path, check, out)
    return out


def _strict(expected: Any, got: Any, path: str, check: str, out: list[Difference]) -> None:
    if len(out) > 20:
        return
    if type(expected) is not type(got):
        out.append(
            Difference(
                check,
                path,
                f"{type(expected).__name__} {_short(expected)}",
                f"{type(got).__name__} {_short(got)}",
            )
        )
        return
    if isinstance(expected, float):
        # Bit for bit, -0.0 and the infinities included; a NaN's payload bits only
        # where docs/adk-compatibility.md promises them (see _same_nan).
        if _float_bits(expected) != _float_bits(got) and not _same_nan(expected, got):
            out.append(Difference(check, path, repr(expected), repr(got)))
        return
    if isinstance(expected, dict):
        if list(expected) != list(got):
            out.append(
                Difference(check, path + "<keys>", _short(list(expected)), _short(list(got)))
            )
        for key in expected:
            if key in got:
                _strict(expected[key], got[key], f"{path}[{key!r}]", check, out)
        return
    if isinstance(expected, list | tuple):
        if len(expected) != len(got):
            out.append(Difference(check, path + "<len>", str(len(expected)), str(len(got))))
        for position, (left, right) in enumerate(zip(expected, got, strict=False)):
            _strict(left, right, f"{path}[{position}]", check, out)
        return
    if isinstance(expected, BaseModel):
        _strict(expected.model_dump(), got.model_dump(), path, check, out)
        return
    try:
        same = bool(expected == got)
    except Exception:
        same = False
    if not same:
        out.append(Difference(check, path, _short(expected), _short(got)))


def json_form(value: Any, *, state_rule: bool) -> Any:
    """What ``Event.model_dump_json()`` writes for a non-JSON value of an Any field.

    Bytes are base64 there (the Event's ``ser_json_bytes``), a model is the dict of all
    its fields, a tuple or set a list, a datetime its ISO text, an enum its value; a
    non-finite float stays a float (``model_dump_json`` writes ``null``, which a store
    that keeps NaN still writes). In ``state_delta`` a value with no JSON form at all
    becomes its ``str()``, ADK's rule for persisted state.
    """
    if state_rule:
        return state_form(value)
    try:
        # by_alias=False: model_dump_json writes field names, not genai's camelCase aliases.
        return to_jsonable_python(value, bytes_mode="base64", by_alias=False)
    except Exception:
        if state_rule:
            return str(value)
        raise


def state_form(value: Any) -> Any:
    """A state value as ADK's persistent services store it (``make_json_safe_state``).

    ADK's rule is pydantic's ``to_jsonable_python`` with its defaults (models by alias,
    bytes as UTF-8 text), and ``str()`` for what has no JSON form; NaN stays a float.
    """
    kind = type(value)
    if kind is dict:
        return {_json_key(key): state_form(item) for key, item in value.items()}
    if kind in (list, tuple):
        return [state_form(item) for item in value]
    try:
        return to_jsonable_python(value)
    except Exception:
        return str(value)


def with_state_rule(event: Event) -> Event:
    """``event`` with its state delta as stored by ADK's rule (what a JSON store keeps)."""
    delta = event.actions.state_delta
    if not delta:
        return event
    actions = event.actions.model_copy(update={"state_delta": state_form(delta)})
    return event.model_copy(update={"actions": actions})


def _json_key(key: Any) -> str:
    if type(key) is str:
        return key
    return str(next(iter(to_jsonable_python({key: None}))))


def _arm_for(annotation: Any, value: Any) -> Any:
    """The annotation that governs ``value`` at a position annotated ``annotation``."""
    annotation = _strip_annotated(annotation)
    arms = _union_arms(annotation)
    if arms is None:
        return annotation
    if len(arms) == 1:
        return arms[0]
    for arm in arms:
        origin = typing.get_origin(arm) or arm
        if isinstance(origin, type) and isinstance(value, origin):
            return arm
    if any(arm is Any for arm in arms):
        return Any
    return arms[0]


class _Walk:
    def __init__(self, out: list[Difference]) -> None:
        self.out = out

    def any_field(self, original: Any, read: Any, path: str, check: str) -> None:
        """An ``Any`` position reached from a typed one: its differences grouped under it."""
        start = len(self.out)
        self.any_value(original, read, path, check, _is_state_path(path))
        group = Difference(check, path, "", "").where + " (Any)"
        self.out[start:] = [replace(found, group=group) for found in self.out[start:]]

    def any_value(self, original: Any, read: Any, path: str, check: str, state: bool) -> None:
        if is_json_data(original):
            _strict(original, read, path, check, self.out)
        elif type(original) is dict and all(type(key) is str for key in original):
            if type(read) is not dict:
                self.out.append(
                    Difference(check, path, "dict", f"{type(read).__name__} {_short(read)}")
                )
                return
            if list(original) != list(read):
                self.out.append(
                    Difference(check, path + "<keys>", _short(list(original)), _short(list(read)))
                )
            for key, item in original.items():
                if key in read:
                    self.any_value(item, read[key], f"{path}[{key!r}]", check, state)
        elif type(original) is list:
            if type(read) is not list or len(read) != len(original):
                self.out.append(Difference(check, path, _short(original), _short(read)))
                return
            for position, (left, right) in enumerate(zip(original, read, strict=True)):
                self.any_value(left, right, f"{path}[{position}]", check, state)
        else:
            _strict(json_form(original, state_rule=state), read, path, check, self.out)

    # -- the objects --

    def model(self, original: BaseModel, read: Any, path: str, *, top: bool = False) -> None:
        if type(read) is not type(original):
            self.out.append(
                Difference("class", path, type(original).__qualname__, f"{type(read).__qualname__}")
            )
            return
        if not top and original.model_fields_set != read.model_fields_set:
            self.out.append(
                Difference(
                    "fields_set",
                    path,
                    _short(sorted(original.model_fields_set), 2000),
                    _short(sorted(read.model_fields_set), 2000),
                )
            )
        for name, info in type(original).model_fields.items():
            self.value(
                getattr(original, name),
                getattr(read, name),
                info.annotation,
                f"{path}.{name}" if path else name,
            )

    def value(self, original: Any, read: Any, annotation: Any, path: str) -> None:
        arm = _arm_for(annotation, original)
        if arm is Any:
            self.any_field(original, read, path, "model")
        elif isinstance(original, BaseModel):
            self.model(original, read, path)
        elif type(original) is dict and type(read) is dict:
            value_type = (typing.get_args(arm) or (str, Any))[1]
            if list(original) != list(read):
                self.out.append(
                    Difference("model", path + "<keys>", _short(list(original)), _short(list(read)))
                )
            for key, item in original.items():
                if key in read:
                    self.value(item, read[key], value_type, f"{path}[{key!r}]")
        elif type(original) is list and type(read) is list and len(original) == len(read):
            item_type = (typing.get_args(arm) or (Any,))[0]
            for position, (left, right) in enumerate(zip(original, read, strict=True)):
                self.value(left, right, item_type, f"{path}[{position}]")
        else:
            _strict(original, read, path, "model", self.out)

    # -- the dumps --

    def dump(self, original: Any, dumped: Any, read: Any, annotation: Any, path: str) -> None:
        """Walks ``original.model_dump()`` against the read one, with ``original`` alongside."""
        arm = _arm_for(annotation, original)
        if arm is Any:
            self.any_field(original, read, path, "dump")
        elif isinstance(original, BaseModel) and type(dumped) is dict and type(read) is dict:
            if list(dumped) != list(read):
                self.out.append(
                    Difference("dump", path + "<keys>", _short(list(dumped)), _short(list(read)))
                )
            for name, info in type(original).model_fields.items():
                if name in dumped and name in read:
                    self.dump(
                        getattr(original, name),
                        dumped[name],
                        read[name],
                        info.annotation,
                        f"{path}.{name}" if path else name,
                    )
        elif type(original) is dict and type(dumped) is dict and type(read) is dict:
            value_type = (typing.get_args(arm) or (str, Any))[1]
            if list(dumped) != list(read):
                self.out.append(
                    Difference("dump", path + "<keys>", _short(list(dumped)), _short(list(read)))
                )
            for key, item in original.items():
                if key in dumped and key in read:
                    self.dump(item, dumped[key], read[key], value_type, f"{path}[{key!r}]")
        elif (
            type(original) is list
            and type(dumped) is list
            and type(read) is list
            and len(dumped) == len(read) == len(original)
        ):
            item_type = (typing.get_args(arm) or (Any,))[0]
            for position, item in enumerate(original):
                self.dump(item, dumped[position], read[position], item_type, f"{path}[{position}]")
        else:
            _strict(dumped, read, path, "dump", self.out)


def _is_state_path(path: str) -> bool:
    return path == "actions.state_delta" or path.startswith("actions.state_delta[")


def event_differences(original: Event, read: Event) -> list[Difference]:
    """Every way ``read`` breaks the round-trip invariant for ``original`` (see the module).

    Checks ``model_dump_json()`` equality, ``model_dump()`` by the strict rule, and the
    objects themselves (classes and ``model_fields_set`` of every nested model). The
    top-level ``Event.model_fields_set`` is left to `event_fields_set_difference`.
    """
    out: list[Difference] = []
    try:
        expected_json: str | None = with_state_rule(original).model_dump_json()
    except Exception as exc:
        expected_json = None
        original_error = f"{type(exc).__name__}: {exc}"
    try:
        got_json: str | None = read.model_dump_json()
    except Exception as exc:
        got_json = None
        read_error = f"{type(exc).__name__}: {exc}"
    if expected_json is not None and got_json is not None:
        if expected_json != got_json:
            out.append(_json_difference(expected_json, got_json))
    elif expected_json is not None:
        out.append(Difference("json", "", "serialisable", f"raises {read_error}"))
    elif got_json is not None:
        out.append(Difference("json", "", f"raises {original_error}", "serialisable"))
    walk = _Walk(out)
    walk.model(original, read, "", top=True)
    try:
        original_dump = original.model_dump()
        read_dump = read.model_dump()
    except Exception as exc:
        out.append(Difference("dump", "", "model_dump()", f"raises {type(exc).__name__}: {exc}"))
    else:
        walk.dump(original, original_dump, read_dump, Event, "")
    return out


def _json_difference(expected: str, got: str) -> Difference:
    start = next(
        (n for n, (left, right) in enumerate(zip(expected, got, strict=False)) if left != right),
        min(len(expected), len(got)),
    )
    window = slice(max(0, start - 60), start + 80)
    return Difference("json", "", f"@{start} {expected[window]}", got[window])


def event_fields_set_difference(original: Event, read: Event) -> Difference | None:
    """The top-level ``Event.model_fields_set`` check, kept apart: it may end up documented."""
    if original.model_fields_set == read.model_fields_set:
        return None
    return Difference(
        "event_fields_set",
        "",
        _short(sorted(original.model_fields_set), 400),
        _short(sorted(read.model_fields_set), 400),
    )
