"""Rebuilding pydantic models from data a validated model produced, without re-validating.

Decoding a stored event through pydantic validation costs 30-60 µs, most of it
re-checking values that pydantic itself validated when the event was first
built (and, for google-genai's types, Python hooks per model and per part). The
stored JSON was written by ``model_dump_json`` of valid models, so wherever the
validated result is known in advance (see `events` and `json_models` in this package) these
builders assemble exactly that object, field for field and in field order, the
way pydantic's own ``model_construct`` does, but without its per-field Python
loop.

Anything else goes through real validation, and the unit tests compare both
paths: equality, ``model_fields_set`` and the JSON dump. The module-level
descriptor lookups below are among the hooks `self_check` looks for before
this module is first imported.
"""

from __future__ import annotations

import copy
import enum
import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeGuard, TypeVar, cast

from pydantic import BaseModel
from pydantic.fields import FieldInfo

__all__ = ["ModelBuilder"]

M = TypeVar("M", bound=BaseModel)

_IMMUTABLE_DEFAULTS = (type(None), str, int, float, bool, bytes, tuple, frozenset, enum.Enum)
_new_object = object.__new__
# BaseModel's own slots (``__dict__`` among them), set through their
# descriptors: the same effect as object.__setattr__, without its lookup on
# every instance built.
_set_dict = BaseModel.__dict__["__dict__"].__set__
_set_fields_set = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_set_extra = BaseModel.__dict__["__pydantic_extra__"].__set__
_set_private = BaseModel.__dict__["__pydantic_private__"].__set__


class ModelBuilder(Generic[M]):
    """Builds instances of one model class from already-valid field values."""

    __slots__ = (
        "_factories",
        "_field_count",
        "_private_defaults",
        "_template",
        "build_default",
        "model",
    )

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
        # Every field in declaration order, which is the order validation fills
        # ``__dict__`` in (and so the order ``model_dump`` and the JSON follow).
        # A copy of this template is each instance's ``__dict__``: required and
        # factory-made fields hold a placeholder until they are filled.
        self._template: dict[str, Any] = {}
        # Fields whose default must be made afresh for every instance. The
        # factory is called directly: FieldInfo.get_default inspects the
        # factory's signature on every call, which costs more than the rest.
        self._factories: list[tuple[str, Callable[[], Any]]] = []
        for name, field in model.model_fields.items():
            factory = field.default_factory
            self._template[name] = None
            if field.is_required():
                continue  # every caller passes it (see `build`)
            if factory is None and isinstance(field.default, _IMMUTABLE_DEFAULTS):
                self._template[name] = field.default
            elif _is_plain_model(factory):
                # A model made with no arguments (an Event's NodeInfo): building
                # it gives what validating {} gives, at a fraction of the cost.
                self._factories.append((name, ModelBuilder(factory).build_default))
            elif factory is not None and _takes_no_arguments(factory):
                self._factories.append((name, cast("Callable[[], Any]", factory)))
            else:
                self._factories.append((name, functools.partial(_copied_default, field)))
        self.build_default: Callable[[], M] = _compile_default_builder(self)
        """Returns what validating ``{}`` gives: every field at its default.

        Only for models without required fields (an ``EventActions``, say).
        """

    def build(self, values: dict[str, Any], private: dict[str, Any] | None = None) -> M:
        """Returns the instance validation of ``values`` would give.

        ``values`` must hold every required field, and only field names with
        values of the validated type (models already built, plain JSON data for
        ``Any``/``dict`` fields); ``private`` sets private attributes, as
        assigning them afterwards would.
        """
        data = self._template.copy()
        data.update(values)
        if len(values) != self._field_count:
            for name, factory in self._factories:
                if name not in values:
                    data[name] = factory()
        return self.assemble(data, set(values), private)

    def made_fields(self, given: Iterable[str]) -> tuple[tuple[str, Callable[[], Any]], ...]:
        """The fields `build` makes afresh when only ``given`` are passed, with their factories.

        For callers that fill a copy of `template` themselves: each of these
        must be set to its factory's result before `assemble`.
        """
        names = set(given)
        return tuple((name, factory) for name, factory in self._factories if name not in names)

    @property
    def template(self) -> dict[str, Any]:
        """Every field in declaration order, at its default (None if required or made).

        For hot paths that fill a copy themselves and hand it to `assemble`.
        """
        return self._template

    def assemble(
        self, data: dict[str, Any], fields_set: set[str], private: dict[str, Any] | None = None
    ) -> M:
        """Returns an instance that owns ``data`` as its ``__dict__``.

        ``data`` must be a filled copy of `template` (every field, in order,
        with values of the validated types); ``fields_set`` names the fields
        validation would have seen; ``private`` (owned by the instance from
        then on) sets private attributes, as assigning them afterwards would.
        """
        instance = _new_object(self.model)  # BaseModel has no __new__ of its own
        _set_dict(instance, data)
        _set_fields_set(instance, fields_set)
        _set_extra(instance, None)
        if self._private_defaults is None:
            _set_private(instance, None)
        elif private is not None and private.keys() == self._private_defaults.keys():
            _set_private(instance, private)  # every private attribute given: nothing to add
        else:
            _set_private(instance, {**self._private_defaults, **(private or {})})
        return instance


def _compile_default_builder(builder: ModelBuilder[M]) -> Callable[[], M]:
    """Writes out `ModelBuilder.build_default` for one model, one line per made field.

    Every event read builds an ``EventActions`` and a ``NodeInfo`` this way, so
    the loop over the factories and the calls into `ModelBuilder.assemble` are
    unrolled once, when the builder is made (as ``dataclasses`` writes its
    ``__init__``). Only identifiers reach the source: field names (checked) and
    the names of this namespace; every value is passed in the namespace.
    """
    namespace: dict[str, Any] = {
        "template": builder.template,
        "model": builder.model,
        "new_object": _new_object,
        "set_dict": _set_dict,
        "set_fields_set": _set_fields_set,
        "set_extra": _set_extra,
        "set_private": _set_private,
        "private_defaults": builder._private_defaults,
    }
    lines = ["def build_default():", "    data = template.copy()"]
    for index, (name, factory) in enumerate(builder._factories):
        if not name.isidentifier():
            raise TypeError(f"{builder.model.__name__} has a field named {name!r}")
        namespace[f"factory_{index}"] = factory
        lines.append(f"    data[{name!r}] = factory_{index}()")
    private = "None" if builder._private_defaults is None else "private_defaults.copy()"
    lines += [
        "    instance = new_object(model)",
        "    set_dict(instance, data)",
        "    set_fields_set(instance, set())",
        "    set_extra(instance, None)",
        f"    set_private(instance, {private})",
        "    return instance",
    ]
    exec("\n".join(lines), namespace)  # the source holds identifiers only (see above)
    return cast("Callable[[], M]", namespace["build_default"])


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


def _is_plain_model(factory: object) -> TypeGuard[type[BaseModel]]:
    """Whether calling ``factory()`` only validates {} into a model of plain defaults."""
    if not (isinstance(factory, type) and issubclass(factory, BaseModel)):
        return False
    decorators = factory.__pydantic_decorators__
    config = factory.model_config
    return (
        factory.__init__ is BaseModel.__init__
        and factory.__pydantic_post_init__ is None
        and not factory.__private_attributes__
        and config.get("extra") != "allow"
        and not config.get("validate_default")
        and not any(
            field.is_required() or field.validate_default for field in factory.model_fields.values()
        )
        and not (
            decorators.validators
            or decorators.field_validators
            or decorators.root_validators
            or decorators.model_validators
        )
    )
