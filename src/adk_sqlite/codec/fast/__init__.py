"""Decoding without re-validation: the codec's fast path, behind one switch and a self-check.

Events read back from a store were validated by pydantic when they were made,
so they can be rebuilt from their JSON without validating them again
(`events`, `sessions`, over `model_builder` and `json_models`), several times
faster than `adk_sqlite.codec.events.decode_event_validated`, the reference.
To do so the fast modules write pydantic's instance slots directly, build
functions with ``exec``, and rely on private hooks of pydantic
(``init_private_attributes``) and google-genai (``_check_field_type_mismatches``,
the class ``google.genai.types.Part`` by name). A release of either could change
what validation makes and leave the fast path building wrong objects silently,
so this module, the one entry point the rest of adk-sqlite uses, guards it:

- **A switch.** ``SessionService(store, fast_decoding=False)`` sends every read
  of that service through validation; the environment variable
  ``ADK_SQLITE_FAST_DECODING=0`` (or ``false``, ``no``, ``off``) does it for
  every service of the process, whatever their option says. Off wins: the fast
  path runs only where the option is on and the variable does not say off. The
  variable is read at every read, so it also takes effect for services
  already made.
- **A self-check at first use** (`self_check.run_self_check`): every private
  hook is looked for, then a set of representative events is decoded both ways
  and compared exactly. If a hook is missing or anything differs, reads
  validate for the rest of the process, and the ``adk_sqlite.codec.fast``
  logger says once, at WARNING, what differed. The result is cached.

Tested on pydantic 2.14.4 (pydantic-core 2.50.5), google-genai 2.34.0 and
google-adk 2.13.0, on Python 3.11.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from google.adk.events.event import Event
from google.adk.sessions.session import Session

from adk_sqlite.codec.events import decode_event_validated
from adk_sqlite.codec.fast.gc_pause import paused_gc
from adk_sqlite.codec.fast.release import free_events_later
from adk_sqlite.codec.fast.self_check import FastPath, SelfCheck, run_self_check
from adk_sqlite.codec.fast.validated_session import session_validated
from adk_sqlite.records import EventRecord, SessionRecord

__all__ = [
    "FAST_DECODING_VARIABLE",
    "SelfCheck",
    "build_session",
    "decode_event",
    "decode_events",
    "environment_allows_fast_decoding",
    "event_decoder",
    "fast_path",
    "free_events_later",
    "paused_gc",
    "reset_self_check",
    "self_check_result",
    "session_builder",
]

FAST_DECODING_VARIABLE = "ADK_SQLITE_FAST_DECODING"
"""The environment variable that turns the fast path off process-wide (``0``)."""

_OFF_VALUES = frozenset({"0", "false", "no", "off"})
_logger = logging.getLogger("adk_sqlite.codec.fast")
_lock = threading.Lock()
_checked: SelfCheck | None = None

SessionBuilder = Callable[[SessionRecord, dict[str, Any], list[Event]], Session]


def environment_allows_fast_decoding() -> bool:
    """False when ``ADK_SQLITE_FAST_DECODING`` is ``0``, ``false``, ``no`` or ``off``."""
    return os.environ.get(FAST_DECODING_VARIABLE, "").strip().lower() not in _OFF_VALUES


def self_check_result() -> SelfCheck:
    """The self-check's outcome: run at the first call, then cached for the process."""
    global _checked
    checked = _checked
    if checked is None:
        # One check and at most one warning, even if two threads read at once.
        with _lock:
            if _checked is None:
                try:
                    _checked = run_self_check()
                except Exception as exc:  # a check that cannot run has not passed
                    _checked = SelfCheck(None, (f"the self-check raised {exc!r}",))
                _report(_checked)
            checked = _checked
    return checked


def reset_self_check() -> None:
    """Forgets the cached outcome: the next fast read checks again (for tests)."""
    global _checked
    with _lock:
        _checked = None


def fast_path(*, fast: bool = True) -> FastPath | None:
    """The fast path's functions, or None when reads must validate.

    Args:
        fast: The caller's option (a service's ``fast_decoding``); False means
            validate, whatever the environment and the self-check say.
    """
    if not fast or not environment_allows_fast_decoding():
        return None
    return self_check_result().fast_path


def event_decoder(*, fast: bool = True) -> Callable[[EventRecord], Event]:
    """The function that decodes one event record, chosen once for a whole read."""
    path = fast_path(fast=fast)
    return decode_event_validated if path is None else path.decode_event


def decode_event(record: EventRecord, *, fast: bool = True) -> Event:
    """Rebuilds the ``Event`` a record holds (see `adk_sqlite.codec.events`).

    Raises:
        UnsafePayloadError: The row's actions blob was refused.
        CorruptRecordError: The row's JSON columns are invalid.
    """
    return event_decoder(fast=fast)(record)


def decode_events(records: list[EventRecord], *, fast: bool = True) -> list[Event]:
    """Decodes a session's events in order, with the collector paused (see `gc_pause`)."""
    decode = event_decoder(fast=fast)
    with paused_gc():
        return [decode(record) for record in records]


def session_builder(*, fast: bool = True) -> SessionBuilder:
    """The function that makes a ``Session`` from its record, state and events."""
    path = fast_path(fast=fast)
    return session_validated if path is None else path.build_session


def build_session(
    record: SessionRecord, state: dict[str, Any], events: list[Event], *, fast: bool = True
) -> Session:
    """The ``Session`` of ``record``, carrying its revision marker."""
    return session_builder(fast=fast)(record, state, events)


def _report(checked: SelfCheck) -> None:
    versions = ", ".join(
        f"{name} {_version(name)}" for name in ("pydantic", "pydantic-core", "google-genai")
    )
    if checked.fast_path is not None:
        _logger.debug("fast decoding passed its self-check on %s", versions)
        return
    _logger.warning(
        "fast decoding failed its self-check on %s (%s); every read of this process now"
        " validates with pydantic instead (same results, slower)",
        versions,
        "; ".join(checked.problems),
    )


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "(unknown version)"
