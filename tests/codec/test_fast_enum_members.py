"""The fast path's enum converter: the member validation gives, from an exact value only.

Every enum of google-genai's types is tried with each of its members' values,
and with values validation would have to interpret (another case, another type,
an unknown name): the converter either returns exactly the member pydantic's
JSON validation returns, or leaves the value to validation.
"""

from __future__ import annotations

import enum
import inspect
import json
from typing import Any

import pytest
from google.genai import types
from pydantic import TypeAdapter

from adk_sqlite.codec.fast.json_models import NotPlainJsonError, json_converter

_GENAI_ENUMS = [
    kind
    for _, kind in inspect.getmembers(types, inspect.isclass)
    if issubclass(kind, enum.Enum) and kind.__module__ == types.__name__
]


class _Mixed(enum.Enum):
    ONE = 1
    TRUE = True  # an alias of ONE: 1 == True
    TEXT = "1"


def test_there_are_enums_to_try() -> None:
    assert len(_GENAI_ENUMS) > 20


@pytest.mark.parametrize("kind", [*_GENAI_ENUMS, _Mixed], ids=lambda kind: kind.__name__)
def test_an_enum_value_converts_to_the_member_validation_gives(kind: type[enum.Enum]) -> None:
    convert = json_converter(kind)
    adapter: TypeAdapter[Any] = TypeAdapter(kind)
    members = list(kind)
    values: list[Any] = [member.value for member in members]
    values += [1, 0, True, 1.0, "", "unknown-value", None]
    values += [value.lower() for value in values if isinstance(value, str)]
    converted: set[tuple[type, Any]] = set()
    for value in values:
        try:
            got = convert(value)
        except NotPlainJsonError:
            continue
        converted.add((type(value), value))
        assert type(got.value) is type(value)
        assert got is adapter.validate_json(json.dumps(value)), (kind, value)
    assert converted == {(type(member.value), member.value) for member in members}
