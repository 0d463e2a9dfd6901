"""Builders shared by the contract tests."""

from __future__ import annotations

from typing import Any

from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions

APP = "my_app"
USER = "user"


def make_event(
    *,
    invocation_id: str = "inv",
    author: str = "user",
    state_delta: dict[str, Any] | None = None,
    **fields: Any,
) -> Event:
    """An event with an optional state delta; any other Event field may be passed."""
    actions = EventActions(state_delta=dict(state_delta or {}))
    return Event(invocation_id=invocation_id, author=author, actions=actions, **fields)
