from __future__ import annotations

import datetime
import math

import pytest

from adk_sqlite.codec.state import (
    decode_state,
    encode_state,
    json_safe,
    merged_state,
    split_state_delta,
)


def test_split_state_delta_strips_prefixes_and_drops_temp_keys() -> None:
    split = split_state_delta({"app:a": 1, "user:u": 2, "temp:t": 3, "plain": 4})
    assert split.app == {"a": 1}
    assert split.user == {"u": 2}
    assert split.session == {"plain": 4}


def test_split_state_delta_of_none_is_empty() -> None:
    split = split_state_delta(None)
    assert (split.app, split.user, split.session) == ({}, {}, {})


def test_json_safe_turns_a_callable_into_its_string() -> None:
    coerced = json_safe({"callback": lambda: 1, "ok": 2})
    assert coerced["ok"] == 2
    assert isinstance(coerced["callback"], str)


def test_json_safe_keeps_nested_plain_values_next_to_a_callable() -> None:
    coerced = json_safe({"nested": {"fn": print, "n": [1, 2.5, None, True]}})
    assert coerced["nested"]["n"] == [1, 2.5, None, True]
    assert isinstance(coerced["nested"]["fn"], str)


def test_json_safe_writes_datetimes_as_iso_strings() -> None:
    moment = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    assert json_safe({"at": moment}) == {"at": "2024-01-02T03:04:05Z"}


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_json_safe_keeps_non_finite_floats(value: float) -> None:
    assert repr(json_safe({"x": value})) == repr({"x": value})


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, -0.0])
def test_encode_decode_state_keeps_non_finite_floats_and_negative_zero(value: float) -> None:
    state = {"x": value, "nested": [{"y": value}], "none": None}
    assert repr(decode_state(encode_state(state), what="state")) == repr(state)


def test_tag_shaped_state_objects_are_escaped_not_mistaken_for_tags() -> None:
    state = {"a": {"$float": "NaN"}, "b": {"$object": {"$float": "x"}}, "c": {"$float": 1, "d": 2}}
    assert decode_state(encode_state(state), what="state") == state


def test_json_safe_converts_keys_by_one_rule_beside_unencodable_values() -> None:
    plain = json_safe({True: 1, (1, 2): 2})
    beside_a_callable = json_safe({True: 1, (1, 2): 2, "f": print})
    assert list(plain) == ["true", "1,2"]
    assert list(beside_a_callable) == ["true", "1,2", "f"]


@pytest.mark.parametrize("value", [0.1 + 0.2, 1727500000.1234567, 5e-324, 1.7976931348623157e308])
def test_encode_decode_state_keeps_floats_bit_exact(value: float) -> None:
    assert decode_state(encode_state({"f": value}), what="x")["f"].hex() == value.hex()


def test_encode_decode_state_keeps_booleans_boolean_and_none_stored() -> None:
    decoded = decode_state(encode_state({"t": True, "f": False, "n": None}), what="x")
    assert decoded["t"] is True
    assert decoded["f"] is False
    assert "n" in decoded
    assert decoded["n"] is None


def test_encode_decode_state_keeps_integers_beyond_64_bits() -> None:
    big = 2**80 + 1
    assert decode_state(encode_state({"big": big}), what="x") == {"big": big}


def test_decode_state_refuses_a_non_object() -> None:
    with pytest.raises(ValueError, match="session 's' state is not a JSON object"):
        decode_state("[1, 2]", what="session 's' state")


def test_merged_state_restores_prefixes() -> None:
    merged = merged_state({"k": 1}, {"a": 2}, {"u": 3})
    assert merged == {"k": 1, "app:a": 2, "user:u": 3}
