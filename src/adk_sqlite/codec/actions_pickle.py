"""Pickled ``EventActions``, loaded as untrusted input.

The events table keeps ``actions`` as a pickled ``EventActions`` (the layout of
the seed schema, which ADK's own v0 tables also use). A session database is a
file people copy around, so bytes read from one may be hostile: unpickling them
with `pickle.loads` would run whatever callable they name. `loads_actions`
resolves only the globals an ``EventActions`` can really contain:

* the pydantic models and enums reachable from ``EventActions``'s field
  annotations (walked once, so the list follows ADK and google-genai as they
  grow), plus ``AuthConfig``, which ``EventActions`` annotates as ``Any``;
* a fixed set of inert builtin and stdlib data types.

Anything else (``os.system``, ``builtins.eval``, ``subprocess.Popen``...) is
refused before it is ever imported or called.
"""

from __future__ import annotations

import enum
import functools
import io
import pickle
import typing
from typing import Any

from google.adk.events.event_actions import EventActions
from pydantic import BaseModel

__all__ = ["allowed_globals", "dumps_actions", "loads_actions"]

_PROTOCOL = 5

# Builtins and stdlib types whose reconstruction only stores plain data. Each is
# called (by REDUCE/NEWOBJ) with values built from the same allowlist, so none of
# them can be steered into running code. bytes and bytearray are left out on
# purpose: protocol-5 pickles hold them as opcodes, never by name, and
# ``bytearray(n)`` called by name would let a tiny blob allocate n bytes.
_INERT_GLOBALS: frozenset[tuple[str, str]] = frozenset(
    {
        ("builtins", "dict"),
        ("builtins", "list"),
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("builtins", "tuple"),
        ("builtins", "str"),
        ("builtins", "int"),
        ("builtins", "float"),
        ("builtins", "bool"),
        ("builtins", "complex"),
        ("collections", "OrderedDict"),
        ("datetime", "date"),
        ("datetime", "datetime"),
        ("datetime", "time"),
        ("datetime", "timedelta"),
        ("datetime", "timezone"),
        ("decimal", "Decimal"),
        ("uuid", "UUID"),
    }
)


def _reachable_model_types(roots: list[Any]) -> set[tuple[str, str]]:
    """Returns (module, qualname) of every model and enum the roots' fields can hold."""
    found: set[tuple[str, str]] = set()
    visited: set[int] = set()
    pending = list(roots)
    while pending:
        annotation = pending.pop()
        if id(annotation) in visited:
            continue
        visited.add(id(annotation))
        arguments = typing.get_args(annotation)
        if arguments:  # Optional[X], list[X], dict[K, V], X | Y, Literal[...]
            pending.extend(arguments)
            continue
        if not isinstance(annotation, type):
            continue
        if issubclass(annotation, BaseModel):
            found.add((annotation.__module__, annotation.__qualname__))
            pending.extend(field.annotation for field in annotation.model_fields.values())
            # Subclasses can stand where the base is annotated.
            pending.extend(annotation.__subclasses__())
        elif issubclass(annotation, enum.Enum):
            found.add((annotation.__module__, annotation.__qualname__))
    return found


@functools.cache
def _event_actions_globals() -> frozenset[tuple[str, str]]:
    return _INERT_GLOBALS | frozenset(_reachable_model_types([EventActions]))


@functools.cache
def allowed_globals() -> frozenset[tuple[str, str]]:
    """The (module, name) pairs `loads_actions` may resolve, computed once."""
    # Imported here: the auth models pull in ~7 MB of modules (FastAPI's among
    # them), and only a blob that really holds an auth config needs them.
    from google.adk.auth.auth_tool import AuthConfig

    return _event_actions_globals() | frozenset(_reachable_model_types([AuthConfig]))


def _is_allowed(module: str, name: str) -> bool:
    # Most blobs name only EventActions' own types: they never pay for the
    # auth models' import (see `allowed_globals`).
    key = (module, name)
    return key in _event_actions_globals() or key in allowed_globals()


# Read once: pydantic computes ``model_fields`` afresh on every class access.
_ACTIONS_FIELD_NAMES = EventActions.model_fields.keys()

# Allowed globals already resolved: nearly every blob names EventActions, and
# a dict lookup is cheaper than the allowlist check plus the module lookup.
_resolved_globals: dict[tuple[str, str], Any] = {}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        key = (module, name)
        resolved = _resolved_globals.get(key)
        if resolved is None:
            if not _is_allowed(module, name):
                raise pickle.UnpicklingError(f"forbidden global {module}.{name}")
            resolved = _resolved_globals[key] = super().find_class(module, name)
        return resolved


class UnsafePickleError(Exception):
    """Raised by `loads_actions`; the codec turns it into the public error."""


def loads_actions(data: bytes) -> EventActions:
    """Loads a stored actions blob, resolving only allowlisted globals.

    Raises:
        UnsafePickleError: The blob names a forbidden global, is malformed, or
            does not hold an ``EventActions``.
    """
    try:
        value = _RestrictedUnpickler(io.BytesIO(data)).load()
    except pickle.UnpicklingError as exc:
        raise UnsafePickleError(str(exc)) from exc
    except Exception as exc:  # truncated or garbled bytes raise many types
        raise UnsafePickleError(f"malformed pickle ({type(exc).__name__}: {exc})") from exc
    if not isinstance(value, EventActions):
        raise UnsafePickleError(f"holds {type(value).__name__}, not EventActions")
    if value.__dict__.keys() != _ACTIONS_FIELD_NAMES:
        # Written by another ADK version: fields were added or removed since.
        # Re-validating fills defaults and drops what no longer exists.
        try:
            value = EventActions.model_validate(value.__dict__)
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            raise UnsafePickleError(f"holds an EventActions that does not validate: {exc}") from exc
    return value


# EventActions fields whose type admits arbitrary objects (``Any`` somewhere in
# it). Every other field is typed down to models, enums and JSON data, which
# the allowlist covers by construction.
_FIELDS_HOLDING_ANY = (
    "agent_state",
    "requested_auth_configs",
    "requested_tool_confirmations",
    "set_model_response",
    "render_ui_widgets",
)


def needs_load_check(actions: EventActions) -> bool:
    """Whether ``actions`` holds a field where an arbitrary object could hide."""
    return any(getattr(actions, name) for name in _FIELDS_HOLDING_ANY)


def dumps_actions(actions: EventActions, *, check: bool = True) -> bytes:
    """Pickles ``actions``, refusing values that `loads_actions` would not load.

    With ``check`` (see `needs_load_check`), the blob is loaded back through the
    restricted unpickler before it is returned, so a session never becomes
    unreadable because an ``Any``-typed field held an object of some arbitrary
    class. ``state_delta`` must already be JSON-safe.

    Raises:
        UnsafePickleError: The actions hold something that cannot be stored safely.
    """
    try:
        data = pickle.dumps(actions, protocol=_PROTOCOL)
    except Exception as exc:
        raise UnsafePickleError(f"cannot be pickled ({type(exc).__name__}: {exc})") from exc
    if check:
        loads_actions(data)
    return data
