"""Turning JSON data into the pydantic models it was dumped from, without validating.

The JSON columns of the events table hold ``model_dump_json`` of models that
pydantic already validated: google-genai's ``Content``, usage metadata,
transcriptions, grounding metadata... Validating them again is exact but slow,
and for google-genai's types most of that time is one Python ``before``
validator, ``_check_field_type_mismatches``, run for every nested model. It
only logs a warning when a field holds a pydantic model of the wrong class,
which JSON data (dicts, lists, strings, numbers) never does, so for JSON input
it returns its input untouched.

`json_converter` compiles a type annotation into a function that rebuilds, from
the data ``msgspec`` decoded, exactly the value validation would give, for the
shapes where that value is known in advance: a model field holds data of
exactly its annotated type (``str``, ``int``, ``float``, ``bool``, an enum
member's value, a list or ``dict[str, ...]`` of those, a nested model, or
anything for ``Any``); bytes (base64 text in JSON) are decoded by pydantic
itself, one value at a time. Everything else raises `NotPlainJsonError`, and the
caller validates the original text instead: a union, a constrained field, an
unknown key or an alias, a model with validators of its own, an ``int`` where a
``float`` is annotated. The tests compare both paths on generated data, values,
field order and ``model_fields_set`` included.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

import msgspec
from pydantic import BaseModel, ConfigDict, TypeAdapter
from pydantic.fields import FieldInfo

from adk_sqlite.codec.fast.model_builder import ModelBuilder

__all__ = ["ModelRules", "NotPlainJsonError", "json_converter", "model_rules"]

Converter = Callable[[Any], Any]


class NotPlainJsonError(Exception):
    """The data has a shape the converter does not rebuild: validate it instead."""


# Model configuration that changes what validation makes of plain values.
_VALUE_CHANGING_CONFIG = (
    "str_strip_whitespace",
    "str_to_lower",
    "str_to_upper",
    "str_max_length",
    "str_min_length",
    "use_enum_values",
    "coerce_numbers_to_str",
    "validate_default",
)


def _genai_no_op_validator() -> Any:
    """google-genai's type-mismatch warning hook, or None if this version lacks it."""
    try:
        from google.genai._common import BaseModel as GenaiModel
    except ImportError:  # pragma: no cover - a google-genai without the hook
        return None
    return getattr(GenaiModel._check_field_type_mismatches, "__func__", None)


def _private_attribute_initializer() -> Any:
    """pydantic's own post-init of models with private attributes (ModelBuilder's job)."""
    try:
        from pydantic._internal._model_construction import init_private_attributes
    except ImportError:  # pragma: no cover - a pydantic that does it elsewhere
        return None
    return init_private_attributes


_NO_OP_VALIDATOR = _genai_no_op_validator()
_PRIVATE_ATTRIBUTE_INITIALIZER = _private_attribute_initializer()
# Models whose own __init__ (which validation calls) only drops None arguments:
# with no None value in the data, it gives what plain validation gives.
_NONE_DROPPING_INIT_MODELS = frozenset({"google.genai.types.Part"})


@functools.cache
def json_converter(annotation: Any) -> Converter:
    """Returns the converter for values annotated ``annotation`` (compiled once)."""
    return _compile(annotation, {})


@dataclasses.dataclass(frozen=True)
class ModelRules:
    """What the converter of one model accepts, for callers that rebuild a shape of it inline."""

    builder: ModelBuilder[Any]
    kept: Mapping[str, frozenset[type] | None]
    """The fields kept as they are, with the exact types accepted (None: any value)."""
    converted: Mapping[str, tuple[Converter, bool]]
    """The other fields: their converter, and whether None is kept as is."""
    required: frozenset[str]


@functools.cache
def model_rules(model: type[BaseModel]) -> ModelRules | None:
    """The rules `json_converter` follows for ``model``; None if it validates every object."""
    converter = _ModelConverter()
    converter.compile(model, {})
    if converter._builder is None:
        return None
    return ModelRules(
        builder=converter._builder,
        kept=types.MappingProxyType(converter._kept),
        converted=types.MappingProxyType(converter._converted),
        required=converter._required,
    )


def _compile(annotation: Any, models: dict[type[BaseModel], _ModelConverter]) -> Converter:
    if annotation is Any or annotation is object:
        return _as_is
    if annotation is type(None) or annotation is None:
        return _none_only
    if annotation in (str, int, float, bool):
        return _exactly(annotation)
    inner, nullable = _without_none(annotation)
    if nullable:
        return _optional(_compile(inner, models))
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return _refuse  # a union of several types: validation picks the member
    if origin is list and len(arguments) == 1:
        return _container_of(list, enumerate, _compile(arguments[0], models))
    if origin is dict and len(arguments) == 2 and arguments[0] is str:
        return _container_of(dict, dict.items, _compile(arguments[1], models))
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return _enum_member(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        existing = models.get(annotation)
        if existing is not None:  # a recursive model (a Schema's items, say)
            return existing.convert
        converter = models[annotation] = _ModelConverter()
        converter.compile(annotation, models)
        return converter.convert
    return _refuse


def _as_is(value: Any) -> Any:
    return value


def _none_only(value: Any) -> None:
    if value is not None:
        raise NotPlainJsonError


def _refuse(value: Any) -> Any:
    raise NotPlainJsonError


def _exactly(kind: type) -> Converter:
    # bool is not an int here, nor an int a float: validation would convert
    # those, so they are left to it.
    def convert(value: Any) -> Any:
        if type(value) is not kind:
            raise NotPlainJsonError
        return value

    return convert


def _optional(inner: Converter) -> Converter:
    def convert(value: Any) -> Any:
        return None if value is None else inner(value)

    return convert


def _container_of(
    kind: type[list[Any]] | type[dict[str, Any]],
    entries: Callable[[Any], Iterable[tuple[Any, Any]]],
    item: Converter,
) -> Converter:
    """A list's converter (``entries`` `enumerate`) or a dict's (`dict.items`).

    The value must be exactly ``kind``; its items (a dict's values) are replaced
    in place by ``item``'s conversions.
    """

    def convert(value: Any) -> Any:
        if type(value) is not kind:
            raise NotPlainJsonError
        if item is not _as_is:
            for key, element in entries(value):  # replaced in place
                value[key] = item(element)
        return value

    return convert


def _enum_member(kind: type[enum.Enum]) -> Converter:
    # The members by value, one table per JSON type a value can have: a member
    # is found only from a value of exactly its value's type (not True from 1).
    # Read once: a member's ``value`` is a descriptor call on every access.
    by_type: dict[type, dict[Any, enum.Enum]] = {str: {}, int: {}}
    for member in kind:
        table = by_type.get(type(member.value))
        if table is not None:
            table.setdefault(member.value, member)
    by_str, by_int = by_type[str], by_type[int]

    def convert(value: Any) -> Any:
        # Only an exact value: a case-insensitive or unknown one goes to the
        # enum's own _missing_ hook through validation.
        kind_of_value = type(value)
        table = by_str if kind_of_value is str else by_int if kind_of_value is int else None
        member = None if table is None else table.get(value)
        if member is None:
            raise NotPlainJsonError
        return member

    return convert


class _ModelConverter:
    """Rebuilds one model class from a JSON object of its field names."""

    __slots__ = ("_builder", "_converted", "_kept", "_required")

    def __init__(self) -> None:
        self._builder: ModelBuilder[Any] | None = None
        # Fields kept as they are once their type is checked (strings, numbers,
        # JSON objects for ``dict[str, Any]``...): checked inline, no call each.
        self._kept: dict[str, frozenset[type] | None] = {}
        # The other fields: their converter, and whether None is accepted as is.
        self._converted: dict[str, tuple[Converter, bool]] = {}
        self._required: frozenset[str] = frozenset()

    def compile(
        self, model: type[BaseModel], models: dict[type[BaseModel], _ModelConverter]
    ) -> None:
        if not _is_plain(model):
            return  # no builder: every object of this model is validated
        try:
            builder = ModelBuilder(model)
        except TypeError:  # per-instance state the builder cannot make
            return
        config = model.model_config
        by_name = bool(config.get("populate_by_name") or config.get("validate_by_name"))
        # A model whose __init__ drops None arguments (see _NONE_DROPPING_INIT_MODELS)
        # is converted only from data without None values.
        refuse_none = model.__pydantic_custom_init__
        for name, field in model.model_fields.items():
            if not _accepts_name(name, field, by_name) or field.metadata:
                continue  # an unknown key to the converter: the data is validated
            kept = _kept_types(field.annotation)
            if kept is _COMPOUND:
                annotation, nullable = _without_none(field.annotation)
                if annotation is bytes:  # how JSON holds bytes is the model's choice
                    converter = _bytes_as(config.get("val_json_bytes", "utf8"))
                else:
                    converter = _compile(annotation, models)
                self._converted[name] = (converter, nullable and not refuse_none)
            elif kept is None:
                self._kept[name] = None if not refuse_none else _NOT_NONE
            else:
                self._kept[name] = kept - {type(None)} if refuse_none else kept
        self._required = frozenset(
            name for name, field in model.model_fields.items() if field.is_required()
        )
        self._builder = builder

    def convert(self, value: Any) -> Any:
        builder = self._builder
        if builder is None or type(value) is not dict:
            raise NotPlainJsonError
        kept = self._kept
        for name, element in value.items():  # values replaced in place
            types_kept = kept.get(name, _CONVERTED)
            if types_kept is not _CONVERTED:
                if types_kept is not None and type(element) not in types_kept:
                    raise NotPlainJsonError
                continue
            converted = self._converted.get(name)
            if converted is None:
                raise NotPlainJsonError
            if element is None:
                if not converted[1]:
                    raise NotPlainJsonError
                continue
            value[name] = converted[0](element)
        required = self._required
        if required and not required <= value.keys():
            raise NotPlainJsonError
        return builder.build(value)


# `_kept_types` results: not a kept value (convert it), or any value but None.
_COMPOUND: Any = object()
_CONVERTED: Any = object()  # a field missing from _ModelConverter._kept
_NOT_NONE: frozenset[type] = frozenset(
    {str, int, float, bool, list, dict}
)  # every type JSON data can hold, None aside


def _kept_types(annotation: Any) -> Any:
    """The exact types of a value kept as it is, None for any value, or _COMPOUND."""
    if annotation is Any or annotation is object:
        return None
    if annotation in (str, int, float, bool):
        return frozenset({annotation})
    inner, nullable = _without_none(annotation)
    if nullable:
        kept = _kept_types(inner)
        return kept if kept is None or kept is _COMPOUND else kept | {type(None)}
    origin = typing.get_origin(annotation)
    arguments = typing.get_args(annotation)
    if (origin is list and arguments == (Any,)) or (origin is dict and arguments == (str, Any)):
        return frozenset({origin})
    return _COMPOUND


@functools.cache
def _bytes_as(json_form: str) -> Converter:
    """Bytes from their JSON string, decoded by pydantic itself (base64 has variants)."""
    adapter = TypeAdapter(bytes, config=ConfigDict(val_json_bytes=cast("Any", json_form)))
    encode = msgspec.json.encode

    def convert(value: Any) -> Any:
        if type(value) is not str:
            raise NotPlainJsonError
        try:
            return adapter.validate_json(encode(value))
        except ValueError as exc:  # not valid base64: validation reports it
            raise NotPlainJsonError from exc

    return convert


def _without_none(annotation: Any) -> tuple[Any, bool]:
    """``X`` and True for ``Optional[X]``; the annotation itself and False otherwise."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        arguments = typing.get_args(annotation)
        others = [argument for argument in arguments if argument is not type(None)]
        if len(others) == 1 and len(arguments) == 2:
            return others[0], True
    return annotation, False


def _is_plain(model: type[BaseModel]) -> bool:
    """Whether validating a model only validates its fields (nothing runs around them)."""
    config = model.model_config
    decorators = model.__pydantic_decorators__
    if model.__pydantic_custom_init__:
        qualified = f"{model.__module__}.{model.__qualname__}"
        if qualified not in _NONE_DROPPING_INIT_MODELS:
            return False
    post_init = model.__pydantic_post_init__
    return (
        (
            post_init is None
            or (
                _PRIVATE_ATTRIBUTE_INITIALIZER is not None
                and model.model_post_init is _PRIVATE_ATTRIBUTE_INITIALIZER
            )
        )
        and not model.__pydantic_root_model__
        and config.get("extra") != "allow"
        and not any(config.get(key) for key in _VALUE_CHANGING_CONFIG)
        and not (decorators.validators or decorators.field_validators or decorators.root_validators)
        and all(
            _NO_OP_VALIDATOR is not None
            and getattr(decorator.func, "__func__", None) is _NO_OP_VALIDATOR
            for decorator in decorators.model_validators.values()
        )
        and all(
            # A factory that reads the other fields' validated values is left
            # to validation, which passes them.
            not (field.validate_default or getattr(field, "default_factory_takes_data", False))
            for field in model.model_fields.values()
        )
    )


def _accepts_name(name: str, field: FieldInfo, by_name: bool) -> bool:
    """Whether validation reads this field from a key spelled as its name."""
    alias = field.validation_alias if field.validation_alias is not None else field.alias
    return alias is None or alias == name or by_name
