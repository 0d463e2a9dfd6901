"""Rebuilding pydantic models from data a validated model produced, without re-validating.

Decoding a stored event through pydantic validation costs ~40 µs, most of it
re-checking values that pydantic itself validated when the event was first
built (and, for google-genai's types, a Python ``__init__`` hook per part). The
stored JSON was written by ``model_dump_json`` of valid models, so for the
common shapes (text parts, function calls and responses with JSON arguments) the
validated result is known in advance: these builders assemble exactly that
object, field for field, the way pydantic's own ``model_construct`` does, but
without its per-field Python loop.

Anything outside those shapes goes through real validation (see `_codec`), and
the unit tests compare both paths, equality and ``model_fields_set`` included.
"""

from __future__ import annotations

import copy
import enum
import functools
import inspect
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

from pydantic import BaseModel
from pydantic.fields import FieldInfo

__all__ = ["ModelBuilder"]

M = TypeVar("M", bound=BaseModel)

_IMMUTABLE_DEFAULTS = (type(None), str, int, float, bool, bytes, tuple, frozenset, enum.Enum)
_set_attribute = object.__setattr__
_new_object = object.__new__
# BaseModel's own slots, set through their descriptors: the same effect as
# object.__setattr__, without its lookup on every instance built.
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


class ModelBuilder(Generic[M]):
    """Builds instances of one model class from already-valid field values."""

    __slots__ = ("_defaults", "_factories", "_field_count", "_private_defaults", "model")

    def __init__(self, model: type[M]) -> None:
        if model.model_config.get("extra") == "allow":
            # Extra fields would need per-instance state this builder does not create.
            raise TypeError(f"{model.__name__} cannot be built without validation")
        self.model = model
        self._field_count = len(model.model_fields)
        # Private attributes with plain defaults (a Session's revision marker, say).
        self._private_defaults: dict[str, Any] | None = None
        if model.__private_attributes__:
            self._private_defaults = {}
            for name, attribute in model.__private_attributes__.items():
                default = attribute.get_default()
                if not isinstance(default, _IMMUTABLE_DEFAULTS):
                    raise TypeError(f"{model.__name__}.{name} has a mutable private default")
                self._private_defaults[name] = default
        self._defaults: dict[str, Any] = {}
        # Fields whose default must be made afresh for every instance. The
        # factory is called directly: FieldInfo.get_default inspects the
        # factory's signature on every call, which costs more than the rest.
        self._factories: list[tuple[str, Callable[[], Any]]] = []
        for name, field in model.model_fields.items():
            factory = field.default_factory
            if field.is_required():
                continue  # every caller passes it (see `build`)
            if factory is None and isinstance(field.default, _IMMUTABLE_DEFAULTS):
                self._defaults[name] = field.default
            elif factory is not None and _takes_no_arguments(factory):
                self._factories.append((name, cast("Callable[[], Any]", factory)))
            else:
                self._factories.append((name, functools.partial(_copied_default, field)))

    def build_default(self) -> M:
        """Returns what validating ``{}`` gives: every field at its default.

        Only for models without required fields (an ``EventActions``, say).
        """
        data = self._defaults.copy()
        for name, factory in self._factories:
            data[name] = factory()
        instance = _new_object(self.model)
        _set_attribute(instance, "__dict__", data)
        _set_fields_set(instance, set())
        _set_extra(instance, None)
        _set_private(
            instance, None if self._private_defaults is None else {**self._private_defaults}
        )
        return instance

    def build(self, values: dict[str, Any], private: dict[str, Any] | None = None) -> M:
        """Returns the instance validation of ``values`` would give.

        ``values`` must hold every required field, and only field names with
        values of the validated type (models already built, plain JSON data for
        ``Any``/``dict`` fields); it becomes the instance's own ``__dict__`` when
        it names every field, so callers pass a dict they no longer use;
        ``private`` sets private attributes, as assigning them afterwards would.
        """
        if len(values) == self._field_count:
            data = values  # every field given (a listed Session, say): nothing to add
        else:
            data = self._defaults.copy()
            for name, factory in self._factories:
                if name not in values:
                    data[name] = factory()
            data.update(values)
        instance = _new_object(self.model)  # BaseModel has no __new__ of its own
        _set_attribute(instance, "__dict__", data)
        _set_fields_set(instance, set(values))
        _set_extra(instance, None)
        if self._private_defaults is None:
            _set_private(instance, None)
        else:
            _set_private(instance, {**self._private_defaults, **(private or {})})
        return instance


def _copied_default(field: FieldInfo) -> Any:
    # A mutable plain default (say, a list) is copied, as pydantic copies it.
    if field.default_factory is not None:
        return field.get_default(call_default_factory=True, validated_data={})
    return copy.deepcopy(field.default)


def _takes_no_arguments(factory: Callable[..., Any]) -> bool:
    try:
        inspect.signature(factory).bind()
    except TypeError:
        return False  # it wants the validated data: leave it to FieldInfo
    except ValueError:
        return True  # a builtin without a signature, such as dict
    return True
