"""Differential fuzzing: adk-sqlite against ADK's InMemorySessionService, step by step.

Hypothesis drives a `RuleBasedStateMachine` through sequences of create, append, get (with
and without `GetSessionConfig`), list, delete and get_user_state. Every step runs on
``SessionService(SqliteStore(<file>))`` and on ADK's ``InMemorySessionService`` with the
same arguments, and everything observable must match: return values, which error is
raised, and the caller's ``Session`` object after an append.

Inputs: state deltas over every scope (``app:``, ``user:``, ``temp:``, no prefix, and keys
that collide after the prefix is stripped), nested lists and dicts, floats such as
``0.1 + 0.2``, ``5e-324`` and ``1e308``, integers beyond 64 bits, ``None``, booleans,
unicode (emoji, NUL, RTL text) and strings of up to 200,000 characters; ids with padding
that ADK strips, the empty user id, and timestamps that tie.

Documented differences are kept out of the comparison, on purpose and only these
(see docs/adk-compatibility.md):

* Sessions are compared field by field (id, app, user, state, events, last update time),
  never with ``==``, because ours carry a revision marker in a private attribute.
* Event timestamps never decrease: we return events in timestamp order (ties in append
  order), InMemory in append order, and the two agree exactly when time does not go back.
* Values are JSON data: we store state as JSON, InMemory keeps Python objects, and the
  coercion of other values is tested in ``test_bad_input.py``.
* ``temp:`` keys on the caller's ``Session`` are compared right after the append that set
  them, not later: after a refused append they differ between ADK's own backends
  (InMemory checks the session before it applies them, ADK's SQLite service, and
  adk-sqlite with it, after).
* Every event id is new: InMemory keeps two events with one id, we refuse the second.
* Session ids are never blank (each side would generate a different UUID), and a deleted
  session's old ``Session`` object is not reused after the id is created again (ours is
  then stale by design, InMemory appends to the new session).
"""

from __future__ import annotations

import asyncio
import copy
import math
import operator
import shutil
import tempfile
from collections.abc import Awaitable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from google.adk.errors.already_exists_error import AlreadyExistsError
from google.adk.errors.session_not_found_error import SessionNotFoundError
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from google.adk.platform import time as platform_time
from google.adk.sessions.base_session_service import GetSessionConfig
from google.adk.sessions.in_memory_session_service import InMemorySessionService
from google.adk.sessions.session import Session
from google.genai import types
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from adk_sqlite import SessionService, SqliteStore, StaleSessionError

T = TypeVar("T")

APPS = ("app1", "app2")
USERS = ("u1", "u2", "", "ünï 😀")
# Padded spellings strip to the same id, as ADK specifies.
SESSION_SPELLINGS = ("s1", "s2", "s-é😀", " s1 ", "s2\n", "\ts-é😀")

TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
LONG_TEXT = st.builds(
    operator.mul, st.sampled_from(["a", "é", "😀", "\x00", "\n", "\u202e"]), st.integers(1, 200_000)
)
FLOATS = st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(
    [0.1 + 0.2, 1e308, -1e308, 5e-324, 2.2250738585072014e-308, 1727500000.1234567, -0.0]
)
INTEGERS = st.integers() | st.sampled_from([2**53 + 1, 2**63, -(2**63) - 1, 2**64, 10**30])
LEAVES = st.none() | st.booleans() | INTEGERS | FLOATS | TEXT | LONG_TEXT
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=8,
)
KEYS = st.builds(
    operator.add,
    st.sampled_from(["", "", "app:", "user:", "temp:"]),
    st.sampled_from(["a", "b", "ключ", "😀", "x.y", "", "app:", " "]) | TEXT,
)
STATES = st.dictionaries(KEYS, VALUES, max_size=5)
TIME_STEPS = st.sampled_from([0.0, 0.0, 1e-6, 0.001, 1.0, 86_400.5])


@dataclass
class Outcome:
    """What one call did: its value, or the kind of error it raised."""

    value: Any = None
    error: str | None = None


def _kind(exc: Exception) -> str:
    # ADK's classes: ours subclass them, so one name covers both backends.
    for kind in (StaleSessionError, AlreadyExistsError, SessionNotFoundError):
        if isinstance(exc, kind):
            return kind.__name__
    return f"unexpected {type(exc).__name__}: {exc}"


def event_view(event: Event) -> dict[str, Any]:
    return event.model_dump()


def session_view(session: Session, *, without_temp: bool = False) -> dict[str, Any]:
    """Every field of a Session but the private revision marker."""
    state = session.state
    if without_temp:
        state = {key: value for key, value in state.items() if not key.startswith("temp:")}
    return {
        "id": session.id,
        "app_name": session.app_name,
        "user_id": session.user_id,
        "state": state,
        "last_update_time": session.last_update_time,
        "events": [event_view(event) for event in session.events],
    }


def assert_same_value(ours: Any, theirs: Any) -> None:
    """Equal, with floats compared bit for bit (so -0.0 is not 0.0)."""
    assert _exact(ours) == _exact(theirs)


def _exact(value: Any) -> Any:
    if isinstance(value, float):
        return ("float", value.hex()) if math.isfinite(value) else ("float", repr(value))
    if isinstance(value, dict):
        return {key: _exact(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_exact(item) for item in value]
    return value


class AgainstInMemory(RuleBasedStateMachine):
    """Runs every step on both services and compares what each returns."""

    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp(prefix="adk-sqlite-differential-"))
        self.loop = asyncio.new_event_loop()
        self.ours = SessionService(SqliteStore(self.directory / "sessions.db"))
        self.theirs = InMemorySessionService()
        # Both services read the clock for create_session's time: give them one clock.
        self.now = 1_700_000_000.0
        platform_time.set_time_provider(lambda: self.now)
        self.objects: dict[tuple[str, str, str], tuple[Session, Session]] = {}
        self.timestamps: list[float] = []
        self.events_made = 0

    def teardown(self) -> None:
        platform_time.reset_time_provider()
        self.loop.run_until_complete(self.ours.close())
        self.loop.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    # --- running both ------------------------------------------------------------------

    def _run(self, awaitable: Awaitable[T]) -> Outcome:
        try:
            return Outcome(value=self.loop.run_until_complete(awaitable))
        except Exception as exc:
            return Outcome(error=_kind(exc))

    def both(self, ours: Awaitable[Any], theirs: Awaitable[Any]) -> tuple[Any, Any] | None:
        """Runs a call on each service; asserts the same error or returns both values."""
        mine, reference = self._run(ours), self._run(theirs)
        assert mine.error == reference.error, (mine, reference)
        assert mine.error is None or not mine.error.startswith("unexpected"), mine
        return None if mine.error else (mine.value, reference.value)

    # --- steps -------------------------------------------------------------------------

    @initialize(app=st.sampled_from(APPS), state=STATES)
    def start_with_a_session(self, app: str, state: dict[str, Any]) -> None:
        self.create_session(app, USERS[0], SESSION_SPELLINGS[0], state)

    @rule(
        app=st.sampled_from(APPS),
        user=st.sampled_from(USERS),
        spelling=st.sampled_from(SESSION_SPELLINGS),
        state=STATES | st.none(),
    )
    def create_session(
        self, app: str, user: str, spelling: str, state: dict[str, Any] | None
    ) -> None:
        results = self.both(
            self.ours.create_session(
                app_name=app, user_id=user, session_id=spelling, state=copy.deepcopy(state)
            ),
            self.theirs.create_session(
                app_name=app, user_id=user, session_id=spelling, state=copy.deepcopy(state)
            ),
        )
        if results is not None:
            ours, theirs = results
            assert_same_value(session_view(ours), session_view(theirs))
            self.objects[(app, user, ours.id)] = (ours, theirs)

    @precondition(lambda self: self.objects)
    @rule(
        data=st.data(),
        delta=STATES,
        step=TIME_STEPS,
        text=st.none() | TEXT | LONG_TEXT,
        partial=st.sampled_from([None, None, None, False, True]),
    )
    def append_event(
        self,
        data: st.DataObject,
        delta: dict[str, Any],
        step: float,
        text: str | None,
        partial: bool | None,
    ) -> None:
        key = data.draw(st.sampled_from(sorted(self.objects)))
        ours_session, their_session = self.objects[key]
        self.now += step
        self.events_made += 1
        event = Event(
            id=f"event-{self.events_made}",
            invocation_id=f"inv-{self.events_made}",
            author="agent",
            timestamp=self.now,
            partial=partial,
            content=None
            if text is None
            else types.Content(role="model", parts=[types.Part(text=text)]),
            actions=EventActions(state_delta=delta),
        )
        results = self.both(
            self.ours.append_event(ours_session, event.model_copy(deep=True)),
            self.theirs.append_event(their_session, event.model_copy(deep=True)),
        )
        # temp: keys are compared only for the append that set them: after a refused
        # append they differ between ADK's own backends (InMemory checks the session
        # before it applies them to the caller's Session, SqliteSessionService and ours
        # after), and such a difference would otherwise stay on the objects.
        assert_same_value(
            session_view(ours_session, without_temp=True),
            session_view(their_session, without_temp=True),
        )
        if results is not None:
            assert_same_value(event_view(results[0]), event_view(results[1]))
            if not partial:
                self.timestamps.append(self.now)
                for name, value in delta.items():
                    if name.startswith("temp:"):
                        assert_same_value(ours_session.state[name], their_session.state[name])
                        assert_same_value(ours_session.state[name], value)

    @precondition(lambda self: self.objects)
    @rule(
        data=st.data(),
        num_recent_events=st.none() | st.integers(0, 6),
        after=st.none() | st.floats(1.6e9, 1.8e9) | st.just("existing"),
        use_config=st.booleans(),
    )
    def get_session(
        self, data: st.DataObject, num_recent_events: int | None, after: Any, use_config: bool
    ) -> None:
        app, user, session_id = data.draw(st.sampled_from(sorted(self.objects)))
        spelling = data.draw(st.sampled_from([session_id, f" {session_id}\n", "missing"]))
        if after == "existing":
            after = data.draw(st.sampled_from(self.timestamps)) if self.timestamps else None
        config = (
            GetSessionConfig(num_recent_events=num_recent_events, after_timestamp=after)
            if use_config
            else None
        )
        key = {"app_name": app, "user_id": user, "session_id": spelling}
        results = self.both(
            self.ours.get_session(**key, config=config),
            self.theirs.get_session(**key, config=copy.deepcopy(config)),
        )
        assert results is not None
        ours, theirs = results
        assert (ours is None) == (theirs is None)
        if ours is not None:
            assert_same_value(session_view(ours), session_view(theirs))
            # Carry on with fresh copies: both services must accept them.
            self.objects[(app, user, session_id)] = (ours, theirs)

    @rule(app=st.sampled_from((*APPS, "no-such-app")), user=st.sampled_from((*USERS, None, "x")))
    def list_sessions(self, app: str, user: str | None) -> None:
        results = self.both(
            self.ours.list_sessions(app_name=app, user_id=user),
            self.theirs.list_sessions(app_name=app, user_id=user),
        )
        assert results is not None
        ours, theirs = results
        # Both sort by (last update time, user id, session id).
        assert_same_value(
            [session_view(session) for session in ours.sessions],
            [session_view(session) for session in theirs.sessions],
        )

    @precondition(lambda self: self.objects)
    @rule(data=st.data())
    def delete_session(self, data: st.DataObject) -> None:
        app, user, session_id = data.draw(st.sampled_from(sorted(self.objects)))
        spelling = data.draw(st.sampled_from([session_id, f"{session_id} ", "missing"]))
        key = {"app_name": app, "user_id": user, "session_id": spelling}
        assert self.both(self.ours.delete_session(**key), self.theirs.delete_session(**key)) == (
            None,
            None,
        )

    @rule(app=st.sampled_from((*APPS, "no-such-app")), user=st.sampled_from((*USERS, "x")))
    def get_user_state(self, app: str, user: str) -> None:
        results = self.both(
            self.ours.get_user_state(app_name=app, user_id=user),
            self.theirs.get_user_state(app_name=app, user_id=user),
        )
        assert results is not None
        assert_same_value(*results)
        app_state = self.loop.run_until_complete(self.ours.get_app_state(app_name=app))
        assert_same_value(app_state, self.theirs.app_state.get(app, {}))


SHORT = settings(
    max_examples=30,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
LONG = settings(SHORT, max_examples=3000, stateful_step_count=50)


class TestAgainstInMemory(AgainstInMemory.TestCase):
    settings = SHORT


@pytest.mark.slow
class TestAgainstInMemoryAtLength(AgainstInMemory.TestCase):
    settings = LONG
