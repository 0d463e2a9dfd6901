"""The tagged JSON of non-finite floats (adk_sqlite.codec.exact_json): pure, no database."""

from __future__ import annotations

import math
import struct
from typing import Any

import msgspec
import pytest

from adk_sqlite.codec.exact_json import may_hold_tags, needs_json_form, tag, untag


def _bits(value: float) -> int:
    return int(struct.unpack("<Q", struct.pack("<d", value))[0])


def _float(bits: int) -> float:
    return float(struct.unpack("<d", struct.pack("<Q", bits))[0])


@pytest.mark.parametrize(
    "value",
    [
        math.nan,
        math.inf,
        -math.inf,
        -0.0,
        [1.5, math.nan, {"x": -math.inf}],
        {"$float": "NaN"},
        {"$object": {"a": 1}},
        {"$float": 1, "other": 2},
        {"$float": {"$float": "Infinity"}},
    ],
)
def test_tagged_json_round_trips(value: Any) -> None:
    text = msgspec.json.encode(tag(value))
    assert repr(untag(msgspec.json.decode(text))) == repr(value)


def test_a_nan_with_a_payload_keeps_its_bits() -> None:
    payload_nan = _float(0x7FF4000000000001)
    assert math.isnan(payload_nan)
    tagged = tag([payload_nan, math.nan])
    assert tagged == [{"$float": "NaN:7ff4000000000001"}, {"$float": "NaN"}]
    read = untag(msgspec.json.decode(msgspec.json.encode(tagged)))
    assert [_bits(item) for item in read] == [0x7FF4000000000001, _bits(math.nan)]


@pytest.mark.parametrize(
    "bad", [{"$float": "nan"}, {"$float": 1}, {"$float": "NaN:zz"}, {"$object": [1]}]
)
def test_a_malformed_tag_is_refused(bad: Any) -> None:
    with pytest.raises(ValueError, match=r"\$"):
        untag(bad)


def test_plain_json_needs_no_tags_and_the_quick_test_says_so() -> None:
    plain = {"a": [1, 2.5, None, "NaN", "Infinity"], "b": {"c": True}}
    assert not needs_json_form(plain)
    assert needs_json_form({"x": math.nan})
    assert not needs_json_form({"x": math.nan}, tags=False)
    assert needs_json_form({"x": (1, 2)}, tags=False)
    assert not may_hold_tags(msgspec.json.encode(tag(plain)))
    assert may_hold_tags(msgspec.json.encode(tag({"x": math.nan})).decode())


def nested(depth: int, leaf: Any) -> Any:
    """``leaf`` inside ``depth`` containers, dicts and lists in turn."""
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"inner": value}
    return value


def test_the_walk_finds_what_needs_a_json_form_at_any_depth_and_position() -> None:
    assert not needs_json_form(nested(100, 1.5))
    assert needs_json_form(nested(100, math.inf))
    assert needs_json_form(nested(60, b"bytes"))
    assert needs_json_form([{"a": 1}, {"b": [1, 2, {"c": (3,)}]}], tags=False)
    assert needs_json_form([{"a": 1}, {"b": [1, 2, {5: "int key"}]}], tags=False)
    assert needs_json_form({"rows": [{"x": 1}, {"$float": "NaN"}]})
    assert not needs_json_form({"rows": [{"x": 1}, {"$float": "NaN"}]}, tags=False)


def test_nesting_too_deep_to_walk_or_a_circular_reference_takes_the_careful_path() -> None:
    # The careful path (tag, json_form) refuses what pydantic cannot write; the walk
    # itself must end, and must not call plain what it did not see whole.
    circular: list[Any] = [1, 2]
    circular.append(circular)
    inside_a_dict: dict[str, Any] = {"rows": []}
    inside_a_dict["rows"].append(inside_a_dict)

    assert needs_json_form(circular)
    assert needs_json_form(inside_a_dict, tags=False)
    assert needs_json_form(nested(101, "plain"))
