"""§3 State value fidelity, and §10 large state.

State deltas merge with ``dict.update`` semantics (whole values replaced, ``None``
stored), and every value reads back exactly: ``bool`` stays ``bool``, floats are
bit-exact in all three scopes.
"""

from __future__ import annotations

import struct

import pytest
from google.adk.sessions.base_session_service import BaseSessionService

from ._support import APP, make_event

TRICKY_FLOATS = {"sum": 0.1 + 0.2, "epoch": 1727500000.1234567}
SCOPE_PREFIXES = pytest.mark.parametrize(
    "prefix", ["", "user:", "app:"], ids=["session", "user", "app"]
)


def _bits(value: float) -> bytes:
    return struct.pack("<d", value)


async def test_dict_valued_state_delta_replaces_stored_value(service: BaseSessionService) -> None:
    session = await service.create_session(
        app_name=APP,
        user_id="u1",
        session_id="s1",
        state={"profile": {"name": "ada", "role": "admin"}},
    )

    await service.append_event(session, make_event(state_delta={"profile": {"name": "bob"}}))
    got = await service.get_session(app_name=APP, user_id="u1", session_id="s1")

    assert got is not None
    assert got.state["profile"] == {"name": "bob"}
    assert session.state["profile"] == {"name": "bob"}


async def test_app_state_dict_valued_delta_replaces_stored_value(
    service: BaseSessionService,
) -> None:
    session1 = await service.create_session(
        app_name=APP, user_id="u1", session_id="s1", state={"app:cfg": {"a": 1, "b": 2}}
    )

    await service.append_event(session1, make_event(state_delta={"app:cfg": {"a": 9}}))
    other = await service.create_session(app_name=APP, user_id="u2", session_id="s2")

    assert other.state == {"app:cfg": {"a": 9}}
    assert session1.state["app:cfg"] == {"a": 9}


async def test_none_valued_state_delta_is_stored_not_dropped(service: BaseSessionService) -> None:
    session = await service.create_session(
        app_name=APP, user_id="u1", session_id="s1", state={"flag": True}
    )

    await service.append_event(session, make_event(state_delta={"flag": None}))
    got = await service.get_session(app_name=APP, user_id="u1", session_id="s1")

    assert got is not None
    assert "flag" in got.state
    assert got.state["flag"] is None
    assert "flag" in session.state
    assert session.state["flag"] is None


async def test_user_state_none_valued_delta_is_stored_not_dropped(
    service: BaseSessionService,
) -> None:
    session1 = await service.create_session(
        app_name=APP, user_id="u1", session_id="s1", state={"user:pref": "dark"}
    )

    await service.append_event(session1, make_event(state_delta={"user:pref": None}))
    sibling = await service.create_session(app_name=APP, user_id="u1", session_id="s2")

    assert sibling.state == {"user:pref": None}
    assert "user:pref" in session1.state
    assert session1.state["user:pref"] is None
    assert await service.get_user_state(app_name=APP, user_id="u1") == {"pref": None}


@SCOPE_PREFIXES
async def test_booleans_survive_an_unrelated_state_delta(
    service: BaseSessionService, prefix: str
) -> None:
    session = await service.create_session(
        app_name=APP, user_id="u1", session_id="s1", state={f"{prefix}off": False}
    )

    await service.append_event(session, make_event(state_delta={f"{prefix}on": True}))
    got = await service.get_session(app_name=APP, user_id="u1", session_id="s1")

    assert got is not None
    assert got.state[f"{prefix}off"] is False
    assert got.state[f"{prefix}on"] is True


@SCOPE_PREFIXES
async def test_floats_survive_an_unrelated_state_delta(
    service: BaseSessionService, prefix: str
) -> None:
    session = await service.create_session(
        app_name=APP,
        user_id="u1",
        session_id="s1",
        state={prefix + key: value for key, value in TRICKY_FLOATS.items()},
    )

    await service.append_event(session, make_event(state_delta={f"{prefix}other": 1}))
    got = await service.get_session(app_name=APP, user_id="u1", session_id="s1")

    assert got is not None
    for key, value in TRICKY_FLOATS.items():
        assert type(got.state[prefix + key]) is float
        assert _bits(got.state[prefix + key]) == _bits(value)


@SCOPE_PREFIXES
async def test_float_state_delta_is_stored_bit_exact(
    service: BaseSessionService, prefix: str
) -> None:
    session = await service.create_session(
        app_name=APP, user_id="u1", session_id="s1", state={f"{prefix}existing": "x"}
    )

    await service.append_event(
        session,
        make_event(state_delta={prefix + key: value for key, value in TRICKY_FLOATS.items()}),
    )
    got = await service.get_session(app_name=APP, user_id="u1", session_id="s1")

    assert got is not None
    assert got.state[f"{prefix}existing"] == "x"
    for key, value in TRICKY_FLOATS.items():
        assert _bits(got.state[prefix + key]) == _bits(value)


async def test_integers_strings_and_nesting_round_trip_exactly(
    service: BaseSessionService,
) -> None:
    value = {
        "big": 2**63 - 1,
        "negative": -(2**63),
        "zero": 0,
        "text": 'héllo ✓ \u0000 "quoted" \n',
        "nested": {"list": [1, "two", 3.5, None, True, {"deep": [[]]}], "empty": {}},
    }
    session = await service.create_session(
        app_name=APP, user_id="u1", session_id="s1", state={"v": value, "user:v": value}
    )

    await service.append_event(session, make_event(state_delta={"app:v": value, "other": 1}))
    got = await service.get_session(app_name=APP, user_id="u1", session_id="s1")

    assert got is not None
    assert got.state == {"v": value, "user:v": value, "app:v": value, "other": 1}
    assert type(got.state["v"]["big"]) is int
    assert type(got.state["v"]["nested"]["list"][2]) is float


async def test_large_state_round_trips_exactly(service: BaseSessionService) -> None:
    big_text = "x" * (2 * 1024 * 1024)
    many_keys = {f"key{i:05d}": i / 7 for i in range(5000)}
    session = await service.create_session(
        app_name=APP, user_id="u1", session_id="s1", state={"blob": big_text, **many_keys}
    )

    await service.append_event(
        session, make_event(state_delta={"user:blob": big_text, "key00001": -1})
    )
    got = await service.get_session(app_name=APP, user_id="u1", session_id="s1")

    assert got is not None
    assert got.state == {**many_keys, "blob": big_text, "user:blob": big_text, "key00001": -1}
    assert got == session
