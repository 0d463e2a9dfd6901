"""JSON text that holds every float: NaN and the infinities, tagged. Pure.

JSON has no NaN, ``Infinity`` or ``-Infinity``; pydantic and msgspec write
them as ``null``, which loses them (and makes a float field unreadable). ADK's
in-memory service keeps them, so adk-sqlite stores them too, as a one-member
object naming the value::

    {"scores": [0.9, {"$float": "NaN"}, {"$float": "-Infinity"}]}

Every column stays valid JSON (PostgreSQL's ``json`` type, SQLite's JSON
functions and any JSON reader accept it), and a plain SQL reader sees what the
value was. So that no stored object is ever mistaken for a tag, an object that
itself consists of exactly one member named ``$float`` or ``$object`` is
escaped as ``{"$object": {...}}``. Anything else is stored untouched, so the
tags cost nothing unless they are needed, and `may_hold_tags` tells a reader
with one substring test whether a text needs untagging at all.

`json_form` is the rule for values of ``Any``-typed fields that are not JSON
data: they are stored as the JSON form their event's ``model_dump_json()``
writes for them (a pydantic model with all its fields, bytes as base64, a tuple
as a list), which is also what ADK's own database services keep.
"""

from __future__ import annotations

import math
import struct
from typing import Any

__all__ = [
    "FLOAT_TAG",
    "OBJECT_TAG",
    "float_tag",
    "json_form",
    "json_key",
    "may_hold_tags",
    "needs_json_form",
    "tag",
    "untag",
]

FLOAT_TAG = "$float"
OBJECT_TAG = "$object"
_TAGS = frozenset({FLOAT_TAG, OBJECT_TAG})
_NON_FINITE_NAMES = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}

_CANONICAL_NAN_BITS = struct.unpack("<Q", struct.pack("<d", math.nan))[0]
_NAN_BITS_PREFIX = "NaN:"


def float_tag(value: float) -> dict[str, str]:
    """The tag of a non-finite float. A NaN other than Python's own keeps its bits
    (``"NaN:7ff8000000000001"``): float bits are part of what round-trips."""
    if value != value:  # NaN is the one float unequal to itself
        bits = struct.unpack("<Q", struct.pack("<d", value))[0]
        if bits == _CANONICAL_NAN_BITS:
            return {FLOAT_TAG: "NaN"}
        return {FLOAT_TAG: f"{_NAN_BITS_PREFIX}{bits:016x}"}
    return {FLOAT_TAG: "Infinity" if value > 0 else "-Infinity"}


def _tagged_float(name: Any) -> float:
    if type(name) is str:
        named = _NON_FINITE_NAMES.get(name)
        if named is not None:
            return named
        if name.startswith(_NAN_BITS_PREFIX) and len(name) == len(_NAN_BITS_PREFIX) + 16:
            try:
                bits = int(name[len(_NAN_BITS_PREFIX) :], 16)
            except ValueError:
                pass
            else:
                value: float = struct.unpack("<d", struct.pack("<Q", bits))[0]
                if value != value:
                    return value
    raise ValueError(f"a {FLOAT_TAG} tag holds {name!r}, not a non-finite float")


_PLAIN_LEAVES = frozenset({str, int, bool, type(None)})
# Nesting deeper than this takes the careful path (`tag`, `json_form`), which refuses a
# circular reference and nesting too deep to write, as pydantic does.
_DEEPEST_WALKED = 100


def needs_json_form(value: Any, *, tags: bool = True) -> bool:
    """Whether ``value`` is anything but plain JSON data, in one walk.

    With ``tags``, JSON data that needs tagging (a non-finite float, a
    tag-shaped object) counts too: it is what `tag` would change. A container
    nested more than `_DEEPEST_WALKED` deep (or inside itself) counts as well.
    """
    kind = type(value)
    if kind in _PLAIN_LEAVES:
        return False
    if kind is float:
        return tags and not math.isfinite(value)
    if kind is not dict and kind is not list:
        return True
    # Iterative, with the leaves checked in place: a tool's answer can be tens of
    # thousands of values, and a call per value was most of an append's encoding.
    containers: list[tuple[Any, int]] = [(value, 1)]
    while containers:
        container, depth = containers.pop()
        if depth > _DEEPEST_WALKED:
            return True
        if type(container) is dict:
            if tags and len(container) == 1 and next(iter(container)) in _TAGS:
                return True
            for key in container:
                if type(key) is not str:
                    return True
            items = container.values()
        else:
            items = container
        for item in items:
            kind = type(item)
            if kind in _PLAIN_LEAVES:
                continue
            if kind is float:
                if tags and not math.isfinite(item):
                    return True
            elif kind is dict or kind is list:
                containers.append((item, depth + 1))
            else:
                return True
    return False


def tag(value: Any) -> Any:
    """JSON data with every non-finite float tagged and every tag-shaped object escaped."""
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else float_tag(value)
    if kind is dict:
        tagged = {key: tag(item) for key, item in value.items()}
        if len(value) == 1 and next(iter(value)) in _TAGS:
            return {OBJECT_TAG: tagged}
        return tagged
    if kind is list:
        return [tag(item) for item in value]
    return value


def untag(value: Any) -> Any:
    """The inverse of `tag`.

    Raises:
        ValueError: A ``$float`` tag names no non-finite float, or an
            ``$object`` tag does not hold an object (the text was not written
            by `tag`).
    """
    kind = type(value)
    if kind is dict:
        if len(value) == 1:
            key, inner = next(iter(value.items()))
            if key == FLOAT_TAG:
                return _tagged_float(inner)
            if key == OBJECT_TAG:
                if type(inner) is not dict:
                    raise ValueError(f"an {OBJECT_TAG} tag holds {type(inner).__name__}")
                return {name: untag(item) for name, item in inner.items()}
        return {name: untag(item) for name, item in value.items()}
    if kind is list:
        return [untag(item) for item in value]
    return value


def may_hold_tags(text: str | bytes) -> bool:
    """False when ``text`` certainly holds no tag (one substring test per tag)."""
    if isinstance(text, str):
        return '"$float"' in text or '"$object"' in text
    return b'"$float"' in text or b'"$object"' in text


def json_key(key: Any) -> str:
    """The string a dict key becomes in JSON, by pydantic's rule (``True`` -> ``"true"``)."""
    if type(key) is str:
        return key
    from pydantic_core import to_jsonable_python  # see json_form

    try:
        converted = to_jsonable_python({key: None})
    except Exception:  # pydantic raises several types for a key it cannot convert
        return str(key)
    return str(next(iter(converted)))


def json_form(value: Any) -> Any:
    """``value`` as JSON data: JSON data itself, anything else as its JSON form.

    JSON data (nested dicts with string keys, lists, strings, numbers of any
    size, non-finite floats included, booleans, None) is returned as it is; a
    pydantic model becomes the dict of all its fields, bytes base64 text, a
    tuple or set a list, a datetime its ISO text, as ``model_dump_json`` writes
    them for an event.

    Raises:
        ValueError, TypeError: pydantic cannot convert a value (the caller
            names the field).
    """
    kind = type(value)
    if value is None or kind in (str, int, float, bool):
        return value
    if kind is dict:
        return {json_key(key): json_form(item) for key, item in value.items()}
    if kind is list:
        return [json_form(item) for item in value]
    # Imported on first use: the readers of this module (the tools, the command
    # line) only untag, and pydantic_core is slow to import.
    from pydantic_core import to_jsonable_python

    # Field names, not aliases: what the event's model_dump_json() writes.
    return to_jsonable_python(value, bytes_mode="base64", by_alias=False)
