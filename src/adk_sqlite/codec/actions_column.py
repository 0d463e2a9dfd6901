"""The ``actions`` column: an event's ``EventActions``, pickled, and loaded back safely.

Default (empty) actions are stored as NULL: nothing to pickle, nothing to
unpickle. Otherwise the actions are pickled (the layout of the seed schema),
with the state delta in its JSON-safe form and every ``Any``-typed value that
is not JSON data replaced by its JSON form, so that the restricted unpickler
(`adk_sqlite.codec.actions_pickle`) can always load them back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions

from adk_sqlite.codec.actions_pickle import UnsafePickleError, dumps_actions, loads_actions
from adk_sqlite.codec.exact_json import json_form
from adk_sqlite.codec.model_json import (
    SERIALIZATION_ERRORS,
    fields_to_check,
    needs_preparing,
    prepared,
)
from adk_sqlite.codec.state import json_safe
from adk_sqlite.errors import UnencodableValueError, UnsafePayloadError
from adk_sqlite.records import EventRecord

__all__ = ["encode_actions", "load_actions"]

_DEFAULT_ACTIONS = EventActions()


def encode_actions(event: Event, state_delta: Mapping[str, Any] | None) -> bytes | None:
    """The actions column of ``event``: its restricted pickle, or None for default actions.

    Args:
        event: The event being stored.
        state_delta: The JSON-safe form of the event's state delta, if the
            caller already made it (see `adk_sqlite.codec.events.encode_event`).

    Raises:
        UnencodableValueError: The actions hold a value with no JSON form or
            one the restricted unpickler could not load back.
    """
    actions = event.actions
    # Most events carry untouched actions (compared by value: ADK mutates them in place).
    if not actions.model_fields_set and actions == _DEFAULT_ACTIONS:
        return None
    updates: dict[str, Any] = {}
    if actions.state_delta:
        updates["state_delta"] = (
            json_safe(actions.state_delta) if state_delta is None else dict(state_delta)
        )
    # Every field that can reach an Any value (the compaction's content holds
    # function call arguments too), not only those needs_load_check names.
    check = any(
        (value := getattr(actions, name)) is not None and (value or type(value) not in (dict, list))
        for name in _ACTIONS_FIELDS_REACHING_ANY
    )
    if check:
        try:
            updates.update(_json_forms_of_any_fields(actions))
        except SERIALIZATION_ERRORS as exc:
            raise UnencodableValueError(
                f"event {event.id!r}: its actions cannot be stored: {exc}"
            ) from exc
    if updates:
        # A shallow copy whose values are replaced in its __dict__: model_fields_set
        # stays the caller's (model_copy(update=) would add the replaced names to it).
        # model_construct of the whole model, which does the same, took 17 µs to this
        # copy's 2, on every event with a state delta.
        actions = actions.model_copy()
        actions.__dict__.update(updates)
    if actions == _DEFAULT_ACTIONS and not actions.model_fields_set:
        return None
    try:
        return dumps_actions(actions, check=check)
    except UnsafePickleError as exc:
        raise UnencodableValueError(
            f"event {event.id!r}: its actions cannot be stored safely: {exc}"
        ) from exc


_ACTIONS_FIELDS_REACHING_ANY = tuple(
    name for name in fields_to_check(EventActions) if name != "state_delta"
)


def _json_forms_of_any_fields(actions: EventActions) -> dict[str, Any]:
    """The Any-typed values of ``actions`` that are not JSON data, as their JSON form.

    Stored as ADK's database services store them (a model as the dict of its
    fields, a tuple as a list, bytes as base64 text): the restricted unpickler
    could not load an application's class back, and the invariant says what a
    JSON store keeps. An ``AuthConfig`` stays itself: the unpickler knows it.
    Every field is looked at, set or not: ADK fills these dicts in place.
    """
    updates: dict[str, Any] = {}
    for name, any_typed in fields_to_check(EventActions).items():
        value = getattr(actions, name)
        if value is None or name == "state_delta":
            continue
        if name == "requested_auth_configs":
            if any(_auth_config_needs_json_form(item) for item in value.values()):
                updates[name] = {
                    key: json_form(item) if _auth_config_needs_json_form(item) else item
                    for key, item in value.items()
                }
        elif needs_preparing(value, in_any=any_typed, tags=False):
            try:
                updates[name] = prepared(value, in_any=any_typed, tags=False)
            except SERIALIZATION_ERRORS as exc:
                raise ValueError(f"actions.{name} holds a value with no JSON form: {exc}") from exc
    return updates


def _auth_config_needs_json_form(value: Any) -> bool:
    # Imported here: most events hold no auth configs, and the auth models are
    # heavy to import (see _pickle.allowed_globals).
    from google.adk.auth.auth_tool import AuthConfig

    return not isinstance(value, AuthConfig) and needs_preparing(value, in_any=True, tags=False)


def load_actions(blob: bytes, record: EventRecord) -> EventActions:
    """Unpickles a row's actions through the restricted unpickler.

    Raises:
        UnsafePayloadError: The blob names a forbidden type or is malformed
            (nothing from it is executed).
    """
    try:
        return loads_actions(blob)
    except UnsafePickleError as exc:
        raise UnsafePayloadError(
            f"event {record.id!r} of session {record.session_id!r}: its actions blob"
            f" was refused and nothing in it was run: {exc}"
        ) from exc
