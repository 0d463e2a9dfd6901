"""Model JSON that loses nothing, for the event columns. Pure.

``model_dump_json`` loses data in two ways an event column cannot afford:

* a non-finite float is written as ``null``, which then fails validation of
  a float field, or comes back as None from an optional one;
* the exclusion flags (``exclude_unset``, ``exclude_none``,
  ``exclude_defaults``) also apply to pydantic models held by ``Any``-typed
  fields: a ``Verdict()`` in ``Event.output`` is written as ``{}``, and it
  comes back as a plain dict that no default can fill in again.

`dump_json` writes a value the way ``model_dump_json(exclude_unset=True)``
does (so every model reads back with the same ``model_fields_set``), after
replacing, in a copy, what that would lose: each non-finite float by its tag
(`adk_sqlite.codec.exact_json`) and each value of an ``Any`` position by its full,
tagged JSON form. The check that decides whether a copy is needed only looks
at the fields that can hold a float or an ``Any`` value, so a text message
costs a few attribute reads.
"""

from __future__ import annotations

import functools
import math
import typing
from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic_core import PydanticSerializationError

from adk_sqlite.codec.exact_json import float_tag, json_form, needs_json_form, tag

__all__ = [
    "SERIALIZATION_ERRORS",
    "dump_json",
    "fields_to_check",
    "holds_any",
    "needs_preparing",
    "prepared",
]

SERIALIZATION_ERRORS = (PydanticSerializationError, ValueError, TypeError, RecursionError)
"""What writing a value can raise: a lone surrogate, an integer too long, a
circular reference, an object of no JSON form."""


def holds_any(annotation: Any) -> bool:
    """Whether values of ``annotation`` can hold arbitrary objects (``Any`` in it)."""
    if annotation is Any or annotation is object:
        return True
    return any(holds_any(argument) for argument in typing.get_args(annotation))


def _reaches_float_or_any(annotation: Any, visiting: frozenset[int] = frozenset()) -> bool:
    if annotation is float or holds_any(annotation):
        return True
    if id(annotation) in visiting:
        return False
    visiting = visiting | {id(annotation)}
    arguments = typing.get_args(annotation)
    if arguments:
        return any(_reaches_float_or_any(argument, visiting) for argument in arguments)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return any(
            _reaches_float_or_any(field.annotation, visiting)
            for field in annotation.model_fields.values()
        )
    return False


@functools.cache
def fields_to_check(model: type[BaseModel]) -> dict[str, bool]:
    """{name: holds Any} of the fields of ``model`` that can hold what must be prepared."""
    return {
        name: holds_any(field.annotation)
        for name, field in model.model_fields.items()
        if _reaches_float_or_any(field.annotation)
    }


def needs_preparing(value: Any, *, in_any: bool = False, tags: bool = True) -> bool:
    """Whether `dump_json` must write a prepared copy of ``value`` (see `prepared`)."""
    if in_any:
        return needs_json_form(value, tags=tags)
    kind = type(value)
    if value is None or kind in (str, int, bool, bytes):
        return False
    if kind is float:
        return tags and not math.isfinite(value)
    if isinstance(value, BaseModel):
        # Only set fields are written (exclude_unset), so only they can lose anything.
        checked = fields_to_check(type(value))
        for name in value.model_fields_set:
            any_typed = checked.get(name)
            if any_typed is not None and needs_preparing(
                getattr(value, name), in_any=any_typed, tags=tags
            ):
                return True
        return False
    if kind is list or kind is tuple:
        return any(needs_preparing(item, tags=tags) for item in value)
    if kind is dict:
        return any(needs_preparing(item, tags=tags) for item in value.values())
    return False


def prepared(value: Any, *, in_any: bool = False, tags: bool = True) -> Any:
    """A copy of ``value`` that ``model_dump_json`` writes without loss (input untouched).

    Non-finite floats become their tags, the value of an ``Any`` position its
    tagged JSON form; models are copied (``model_copy``, which keeps their
    ``model_fields_set``) only where something inside them changes. Without
    ``tags`` (for a pickle, which holds non-finite floats itself), only the
    ``Any`` positions change, to their plain JSON form.
    """
    if in_any:
        return tag(json_form(value)) if tags else json_form(value)
    kind = type(value)
    if kind is float:
        return value if not tags or math.isfinite(value) else float_tag(value)
    if isinstance(value, BaseModel):
        updates = {}
        checked = fields_to_check(type(value))
        for name in value.model_fields_set:
            any_typed = checked.get(name)
            if any_typed is None:
                continue
            item = getattr(value, name)
            if needs_preparing(item, in_any=any_typed, tags=tags):
                updates[name] = prepared(item, in_any=any_typed, tags=tags)
        return value.model_copy(update=updates) if updates else value
    if kind is list:
        return [prepared(item, tags=tags) for item in value]
    if kind is tuple:
        items = [prepared(item, tags=tags) for item in value]
        return items if tags else tuple(items)
    if kind is dict:
        return {key: prepared(item, tags=tags) for key, item in value.items()}
    return value


def dump_json(value: Any, adapter: TypeAdapter[Any] | None = None, *, in_any: bool = False) -> str:
    """``value`` as JSON text without loss, set fields only (see the module docs).

    Args:
        value: A pydantic model, or a field value when ``adapter`` is given.
        adapter: Serialises ``value`` (the field's type); None for a model.
        in_any: ``value`` sits in an ``Any`` position.

    Raises:
        ValueError, TypeError: pydantic cannot write the value (a lone
            surrogate, a circular reference...); the caller names the field.
    """
    warnings = True
    if needs_preparing(value, in_any=in_any):
        value = prepared(value, in_any=in_any)
        # A tag stands where the type says float: pydantic writes it as the
        # dict it is, and warns; the warning is the expected case here.
        warnings = False
    if adapter is None:
        return str(value.model_dump_json(exclude_unset=True, warnings=warnings))
    return adapter.dump_json(value, exclude_unset=True, warnings=warnings).decode()
