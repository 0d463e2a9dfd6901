"""The fast path's check of itself: the private hooks it relies on, then its results.

`run_self_check` first looks for every private hook of pydantic and google-genai
that the fast modules use or assume (see `missing_hooks`); only if all are
there does it import them. It then encodes each of `samples.sample_events`,
decodes the record both ways, through the fast path and through
`adk_sqlite.codec.events.decode_event_validated`, and compares the two events
exactly (`differences`): the same types, the same field values in the same
order (floats bit for bit, so NaN payloads and negative zeros count), the same
``model_fields_set``, private attributes and extras on every nested model, and
the same JSON dump. A ``Session`` is built both ways too.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable
from typing import Any

from google.adk.events.event import Event
from google.adk.sessions.session import Session
from google.genai import types
from pydantic import BaseModel

from adk_sqlite.codec.events import decode_event_validated, encode_event
from adk_sqlite.codec.fast.samples import sample_events
from adk_sqlite.codec.fast.validated_session import session_validated
from adk_sqlite.records import EventRecord, SessionRecord

__all__ = ["FastPath", "SelfCheck", "differences", "missing_hooks", "run_self_check"]

# The instance slots `model_builder` writes through their descriptors.
_MODEL_SLOTS = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
# The class attributes `model_builder` and `json_models` read to tell a plain model.
_MODEL_CLASS_ATTRIBUTES = (
    "__pydantic_custom_init__",
    "__pydantic_post_init__",
    "__pydantic_decorators__",
    "__pydantic_root_model__",
    "__private_attributes__",
    "model_fields",
    "model_config",
)
_MAX_REPORTED = 5


@dataclasses.dataclass(frozen=True)
class FastPath:
    """The fast path's functions, once checked."""

    decode_event: Callable[[EventRecord], Event]
    build_session: Callable[[SessionRecord, dict[str, Any], list[Event]], Session]


@dataclasses.dataclass(frozen=True)
class SelfCheck:
    """The outcome of `run_self_check`: the fast path if it passed, else what went wrong."""

    fast_path: FastPath | None
    problems: tuple[str, ...]


def missing_hooks() -> list[str]:
    """The private hooks of pydantic and google-genai the fast path needs and cannot find."""
    missing = [
        f"pydantic's BaseModel.{slot} slot descriptor"
        for slot in _MODEL_SLOTS
        if not hasattr(BaseModel.__dict__.get(slot), "__set__")
    ]
    if BaseModel.__new__ is not object.__new__:
        missing.append("pydantic's BaseModel instances made by object.__new__")
    missing += [
        f"pydantic's model attribute {name}"
        for name in _MODEL_CLASS_ATTRIBUTES
        if not hasattr(Session, name)
    ]
    try:
        from pydantic._internal._model_construction import init_private_attributes
    except ImportError:
        missing.append("pydantic._internal._model_construction.init_private_attributes")
    else:
        if Session.model_post_init is not init_private_attributes:
            missing.append("init_private_attributes as the post-init of models with private state")
    missing += _missing_genai_hooks()
    return missing


def _missing_genai_hooks() -> list[str]:
    try:
        from google.genai._common import BaseModel as GenaiModel

        hook = GenaiModel._check_field_type_mismatches.__func__
    except (ImportError, AttributeError):
        return ["google.genai._common.BaseModel._check_field_type_mismatches"]
    missing = []
    validators = types.Content.__pydantic_decorators__.model_validators.values()
    if [getattr(item.func, "__func__", None) for item in validators] != [hook]:
        missing.append("_check_field_type_mismatches as google-genai's one model validator")
    # json_models keys on this class by name: a Part whose __init__ only drops None.
    if f"{types.Part.__module__}.{types.Part.__qualname__}" != "google.genai.types.Part" or (
        not types.Part.__pydantic_custom_init__
    ):
        missing.append("google.genai.types.Part with an __init__ of its own")
    return missing


def run_self_check() -> SelfCheck:
    """Checks the hooks, then decodes every sample both ways and compares the results."""
    missing = missing_hooks()
    if missing:
        return SelfCheck(None, tuple(f"missing: {name}" for name in missing))
    try:
        # Imported only now: their builders are made at import time, through
        # the hooks just checked.
        from adk_sqlite.codec.fast.events import decode_event
        from adk_sqlite.codec.fast.sessions import build_session
    except Exception as exc:  # any failure means: validate instead
        return SelfCheck(None, (f"the fast modules do not import: {exc!r}",))
    fast_path = FastPath(decode_event=decode_event, build_session=build_session)
    problems = _compare_samples(fast_path)
    return SelfCheck(None if problems else fast_path, tuple(problems))


def _compare_samples(fast_path: FastPath) -> list[str]:
    problems: list[str] = []
    events: list[Event] = []
    for sample in sample_events():
        record = encode_event(sample, app_name="check", user_id="check", session_id="check")
        expected = decode_event_validated(record)
        events.append(expected)
        problems += _compared(f"event {sample.id!r}", expected, fast_path.decode_event, record)
    session = SessionRecord(
        app_name="check", user_id="check", id="check", state={}, create_time=1.0, update_time=2.5
    )
    state = {"k": [1, 2.5], "app:x": None}
    expected_session = session_validated(session, dict(state), events)
    problems += _compared(
        "session", expected_session, fast_path.build_session, session, dict(state), events
    )
    return problems[:_MAX_REPORTED]


def _compared(
    what: str, expected: BaseModel, build: Callable[..., BaseModel], *arguments: Any
) -> list[str]:
    try:
        got = build(*arguments)
    except Exception as exc:  # the fast path must decode whatever validation decodes
        return [f"{what}: the fast path raised {exc!r}"]
    found = differences(expected, got, what)
    if not found and expected.model_dump_json() != got.model_dump_json():
        found.append(f"{what}: the JSON dumps differ")
    return found


def differences(expected: Any, got: Any, path: str) -> list[str]:
    """Where ``got`` differs from ``expected``, one line each; empty if they are the same.

    Stricter than ``==``: types must match exactly, floats bit for bit, dicts
    and model fields in the same order, and every nested model must have the
    same ``model_fields_set``, extras and private attributes.
    """
    if type(expected) is not type(got):
        return [f"{path}: {type(got).__name__} instead of {type(expected).__name__}"]
    if isinstance(expected, BaseModel):
        return _model_differences(expected, got, path)
    if isinstance(expected, dict):
        if list(expected) != list(got):
            return [f"{path}: keys {list(got)!r} instead of {list(expected)!r}"]
        return [
            line
            for key, value in expected.items()
            for line in differences(value, got[key], f"{path}[{key!r}]")
        ]
    if isinstance(expected, (list, tuple)):
        if len(expected) != len(got):
            return [f"{path}: {len(got)} items instead of {len(expected)}"]
        return [
            line
            for index, (item, got_item) in enumerate(zip(expected, got, strict=True))
            for line in differences(item, got_item, f"{path}[{index}]")
        ]
    if isinstance(expected, float):
        same = struct.pack("<d", expected) == struct.pack("<d", got)
    else:
        same = bool(expected == got)
    return [] if same else [f"{path}: {got!r} instead of {expected!r}"]


def _model_differences(expected: BaseModel, got: BaseModel, path: str) -> list[str]:
    found = []
    if expected.model_fields_set != got.model_fields_set:
        found.append(
            f"{path}: fields set {sorted(got.model_fields_set)}"
            f" instead of {sorted(expected.model_fields_set)}"
        )
    for slot in ("__pydantic_extra__", "__pydantic_private__"):
        if getattr(expected, slot) != getattr(got, slot):
            found.append(f"{path}: {slot} differs")
    fields, got_fields = expected.__dict__, got.__dict__
    if list(fields) != list(got_fields):
        return [*found, f"{path}: fields {list(got_fields)} instead of {list(fields)}"]
    for name, value in fields.items():
        found += differences(value, got_fields[name], f"{path}.{name}")
    return found
