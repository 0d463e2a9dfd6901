"""Pure helpers for ADK's state scopes: split, coerce, merge. No I/O.

ADK state keys carry their scope in a prefix: ``app:`` (every session of the
app), ``user:`` (every session of one user of the app), ``temp:`` (never
persisted) and no prefix (this session only). Storage keeps app and user state
under the bare key; every Session handed back carries the merged view with the
prefixes restored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from adk_sqlite.codec.exact_json import json_key, may_hold_tags, needs_json_form, tag, untag
from adk_sqlite.errors import CorruptRecordError, UnencodableValueError
from adk_sqlite.records import StateDelta

__all__ = [
    "decode_state",
    "encode_state",
    "json_safe",
    "merged_state",
    "split_state_delta",
]

# ADK's State.APP_PREFIX, USER_PREFIX and TEMP_PREFIX, written out: importing
# google.adk.sessions imports the whole of ADK, and the command line's reading
# commands need these without it (a test checks that they agree with ADK's).
_APP = "app:"
_USER = "user:"
_TEMP = "temp:"

_json_encoder = msgspec.json.Encoder()
_json_decoder = msgspec.json.Decoder(dict[str, Any])


def json_safe(value: Any) -> Any:
    """Returns ``value`` as plain JSON data, the way ADK's persistent services do.

    Rich values (datetimes, pydantic models, sets) become their JSON form. A value
    JSON cannot hold at all (a callable) becomes its ``str()`` instead of
    failing the whole write: that is ADK's rule for persisted state, and a
    conversation must not be lost because a tool stored something odd. NaN and
    the infinities stay floats (stored tagged, see `adk_sqlite.codec.exact_json`),
    as ADK's services keep them. Dict keys become strings by pydantic's rule
    (``True`` -> ``"true"``), whichever way the rest of the value is converted.

    Raises:
        UnencodableValueError: The value has no faithful JSON form at all: it
            refers to itself, is nested too deeply, holds an integer too long to
            print or a string with a lone surrogate. Nothing has been written.
    """
    # Imported here: the tools and the command line read state without it (slow to import).
    from pydantic_core import to_jsonable_python

    try:
        try:
            plain = to_jsonable_python(value)
        except Exception:  # pydantic raises several types; any of them means "not plain"
            plain = _coerce_piecewise(value, set())
        _json_encoder.encode(plain)
    except UnencodableValueError:
        raise
    except (RecursionError, ValueError, TypeError, OverflowError) as exc:
        raise UnencodableValueError(
            f"a state value cannot be stored as JSON ({type(exc).__name__}: {exc})"
        ) from exc
    return plain


def _coerce_piecewise(value: Any, open_containers: set[int]) -> Any:
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        if id(value) in open_containers:
            raise UnencodableValueError("a state value refers to itself (a circular reference)")
        open_containers.add(id(value))
        try:
            if isinstance(value, Mapping):
                return {
                    json_key(key): _coerce_piecewise(item, open_containers)
                    for key, item in value.items()
                }
            return [_coerce_piecewise(item, open_containers) for item in value]
        finally:
            open_containers.discard(id(value))
    from pydantic_core import to_jsonable_python  # see json_safe

    try:
        return to_jsonable_python(value)
    except Exception:
        return str(value)


def split_state_delta(delta: Mapping[str, Any] | None) -> StateDelta:
    """Splits a prefixed state delta into its scopes; ``temp:`` keys are dropped.

    Pass a delta already made JSON-safe by `json_safe`: values are not copied.
    """
    split = StateDelta()
    if not delta:
        return split
    for key, value in delta.items():
        if key.startswith(_APP):
            split.app[key[len(_APP) :]] = value
        elif key.startswith(_USER):
            split.user[key[len(_USER) :]] = value
        elif not key.startswith(_TEMP):
            split.session[key] = value
    return split


def merged_state(
    session_state: Mapping[str, Any],
    app_state: Mapping[str, Any],
    user_state: Mapping[str, Any],
) -> dict[str, Any]:
    """Returns the view ADK expects: session keys, then ``app:`` and ``user:`` keys."""
    merged = dict(session_state)
    for key, value in app_state.items():
        merged[_APP + key] = value
    for key, value in user_state.items():
        merged[_USER + key] = value
    return merged


def encode_state(state: Mapping[str, Any]) -> str:
    """Encodes state as JSON text; floats are written shortest-exact (bit-exact).

    msgspec writes a non-finite float as ``null``; only when ``null`` (or a
    tag-shaped key) appears is the state walked, and tagged if it must be.
    """
    text = _json_encoder.encode(state)
    if (b"null" in text or may_hold_tags(text)) and needs_json_form(dict(state)):
        text = _json_encoder.encode(tag(dict(state)))
    return text.decode()


def decode_state(text: str | bytes, *, what: str | Callable[[], str]) -> dict[str, Any]:
    """Decodes a stored state object, refusing anything but a JSON object.

    Args:
        text: The stored JSON.
        what: Names the row in the error, e.g. "session 'abc' state", or makes
            that name (listings decode thousands of rows and rarely fail).

    Raises:
        CorruptRecordError: The stored value is not a JSON object.
    """
    try:
        state = _json_decoder.decode(text)
        return untag(state) if may_hold_tags(text) else state
    except (msgspec.DecodeError, ValueError) as exc:
        label = what if isinstance(what, str) else what()
        raise CorruptRecordError(f"{label} is not a JSON object: {exc}") from exc
