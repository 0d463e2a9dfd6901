"""Attacks on the restricted unpickler that loads the ``actions`` column.

Two tripwires show whether anything ran: `TRIPS`, a module-level list that `trip` (and
every hook of `Tripwire`) appends to, and a marker file that the shell commands in the
payloads would create. The payloads name these and the classic dangerous callables through
every opcode that can reach a global (GLOBAL, STACK_GLOBAL, INST, OBJ, NEWOBJ, NEWOBJ_EX,
REDUCE, BUILD, EXT1/2/4 via copyreg's extension registry) and through persistent ids; the
hypothesis test strings random opcodes together. Every load must end in
``UnsafePickleError`` (or an ``EventActions`` built from allowed types only), with both
tripwires untouched.
"""

from __future__ import annotations

import contextlib
import copyreg
import os
import pickle
import struct
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adk_sqlite import SessionService, SqliteStore, UnsafePayloadError
from adk_sqlite.codec.actions_pickle import UnsafePickleError, dumps_actions, loads_actions

TRIPS: list[str] = []
MARKER = Path(os.environ.get("TMPDIR", "/tmp")) / f"adk-sqlite-pwned-{os.getpid()}"


def trip(*arguments: Any) -> None:
    """Stands for any code an attacker wants run."""
    TRIPS.append(f"trip{arguments!r}")
    MARKER.touch()


class Tripwire:
    """Every hook pickle could call on a class it resolves."""

    def __new__(cls, *arguments: Any, **keywords: Any) -> Tripwire:
        trip("__new__", arguments)
        return super().__new__(cls)

    def __init__(self, *arguments: Any) -> None:
        trip("__init__", arguments)

    def __setstate__(self, state: Any) -> None:
        trip("__setstate__", state)

    def __reduce__(self) -> tuple[Any, ...]:
        return (trip, ("__reduce__",))


@pytest.fixture(autouse=True)
def tripwires() -> Iterator[None]:
    TRIPS.clear()
    MARKER.unlink(missing_ok=True)
    yield
    assert TRIPS == []
    assert not MARKER.exists()


def refused(blob: bytes) -> None:
    with pytest.raises(UnsafePickleError):
        loads_actions(blob)


# --- opcode building blocks ----------------------------------------------------------


def unicode(text: str) -> bytes:
    data = text.encode()
    return pickle.BINUNICODE + struct.pack("<I", len(data)) + data


def stack_global(module: str, name: str) -> bytes:
    return unicode(module) + unicode(name) + pickle.STACK_GLOBAL


def text_global(module: str, name: str) -> bytes:
    return pickle.GLOBAL + f"{module}\n{name}\n".encode()


def args(*values: str) -> bytes:
    return pickle.MARK + b"".join(unicode(value) for value in values) + pickle.TUPLE


HEADER = pickle.PROTO + b"\x05"
THIS_MODULE = __name__
COMMAND = f"touch {MARKER}"


# (module, name) pairs an attacker would reach for.
DANGEROUS = [
    ("os", "system"),
    ("posix", "system"),
    ("subprocess", "Popen"),
    ("subprocess", "check_output"),
    ("builtins", "eval"),
    ("builtins", "exec"),
    ("builtins", "getattr"),
    ("builtins", "__import__"),
    ("builtins", "open"),
    ("builtins", "breakpoint"),
    ("importlib", "import_module"),
    ("pickle", "loads"),
    ("_pickle", "loads"),
    ("copyreg", "_reconstructor"),
    ("functools", "partial"),
    ("operator", "attrgetter"),
    ("operator", "methodcaller"),
    ("types", "FunctionType"),
    ("code", "InteractiveInterpreter"),
    ("shutil", "rmtree"),
    (THIS_MODULE, "trip"),
    (THIS_MODULE, "Tripwire"),
    # Dotted names reach attributes of allowed objects (protocol 4 resolves them).
    ("builtins", "dict.fromkeys"),
    ("google.adk.events.event_actions", "EventActions.model_validate"),
    ("google.adk.events.event_actions", "EventActions.__init__"),
    ("google.adk.events.event_actions", "EventActions.__class__"),
]


def _exploits() -> dict[str, bytes]:
    exploits: dict[str, bytes] = {}
    for module, name in DANGEROUS:
        exploits[f"STACK_GLOBAL+REDUCE {module}.{name}"] = (
            HEADER + stack_global(module, name) + args(COMMAND) + pickle.REDUCE + pickle.STOP
        )
        exploits[f"GLOBAL+REDUCE {module}.{name}"] = (
            b"(" + text_global(module, name) + b"(S'" + COMMAND.encode() + b"'\ntR."
        )[1:]
        exploits[f"INST {module}.{name}"] = (
            pickle.MARK + unicode(COMMAND) + pickle.INST + f"{module}\n{name}\n".encode() + b"."
        )
        exploits[f"OBJ {module}.{name}"] = (
            HEADER
            + pickle.MARK
            + stack_global(module, name)
            + unicode(COMMAND)
            + pickle.OBJ
            + pickle.STOP
        )
        exploits[f"NEWOBJ {module}.{name}"] = (
            HEADER + stack_global(module, name) + args(COMMAND) + pickle.NEWOBJ + pickle.STOP
        )
        exploits[f"NEWOBJ_EX {module}.{name}"] = (
            HEADER
            + stack_global(module, name)
            + args(COMMAND)
            + pickle.EMPTY_DICT
            + pickle.NEWOBJ_EX
            + pickle.STOP
        )
    # getattr(__import__('os'), 'system')('touch ...'), built from the pieces.
    exploits["getattr chain"] = (
        HEADER
        + stack_global("builtins", "getattr")
        + pickle.MARK
        + stack_global("builtins", "__import__")
        + args("os")
        + pickle.REDUCE
        + unicode("system")
        + pickle.TUPLE
        + pickle.REDUCE
        + args(COMMAND)
        + pickle.REDUCE
        + pickle.STOP
    )
    # A real EventActions pickle with a payload hidden inside an allowed container.
    exploits["nested in EventActions.state_delta"] = pickle.dumps(
        EventActions(state_delta={"x": [{"y": Tripwire.__new__(Tripwire)}]}), protocol=5
    )
    exploits["nested in EventActions.agent_state"] = pickle.dumps(
        EventActions(agent_state={"x": Tripwire.__new__(Tripwire)}), protocol=5
    )
    TRIPS.clear()  # building the payloads above ran __new__ here, not in the unpickler
    # BUILD on an allowed object: __setstate__ of a model, then of a forbidden class.
    exploits["BUILD EventActions with a forbidden object in __dict__"] = (
        HEADER
        + stack_global("google.adk.events.event_actions", "EventActions")
        + pickle.EMPTY_TUPLE
        + pickle.NEWOBJ
        + pickle.EMPTY_DICT
        + unicode("__dict__")
        + pickle.EMPTY_DICT
        + unicode("state_delta")
        + stack_global(THIS_MODULE, "Tripwire")
        + pickle.EMPTY_TUPLE
        + pickle.NEWOBJ
        + pickle.SETITEM
        + pickle.SETITEM
        + pickle.BUILD
        + pickle.STOP
    )
    exploits["BUILD slot state naming __class__"] = (
        HEADER
        + stack_global("collections", "OrderedDict")
        + pickle.EMPTY_TUPLE
        + pickle.REDUCE
        + pickle.NONE
        + pickle.EMPTY_DICT
        + unicode("__class__")
        + stack_global(THIS_MODULE, "Tripwire")
        + pickle.SETITEM
        + pickle.TUPLE2
        + pickle.BUILD
        + pickle.STOP
    )
    exploits["persistent id (PERSID)"] = b"P" + COMMAND.encode() + b"\n."
    exploits["persistent id (BINPERSID)"] = (
        HEADER + unicode(COMMAND) + pickle.BINPERSID + pickle.STOP
    )
    exploits["BUILD EventActions with a state that is not a dict"] = (
        HEADER
        + stack_global("google.adk.events.event_actions", "EventActions")
        + pickle.EMPTY_TUPLE
        + pickle.NEWOBJ
        + pickle.EMPTY_LIST
        + pickle.BUILD
        + pickle.STOP
    )
    exploits["reduce of EventActions with a callable argument"] = (
        HEADER
        + stack_global("google.adk.events.event_actions", "EventActions")
        + pickle.MARK
        + stack_global("os", "system")
        + pickle.TUPLE
        + pickle.REDUCE
        + pickle.STOP
    )
    return exploits


EXPLOITS = _exploits()


@pytest.mark.parametrize("name", list(EXPLOITS))
def test_hand_written_exploits_are_refused_and_run_nothing(name: str) -> None:
    refused(EXPLOITS[name])


FORMS = ("STACK_GLOBAL+REDUCE", "GLOBAL+REDUCE", "INST", "OBJ", "NEWOBJ", "NEWOBJ_EX")


@pytest.mark.parametrize("form", FORMS)
def test_each_exploit_form_does_run_code_under_plain_pickle(form: str) -> None:
    # The tripwires work: plain pickle.loads trips them through every form, so their
    # silence elsewhere means the restricted unpickler refused, not that a payload was
    # malformed.
    for name in ("trip", "Tripwire"):
        # Some forms can only call a class, not a function: one of the two must trip.
        with contextlib.suppress(Exception):
            pickle.loads(EXPLOITS[f"{form} {THIS_MODULE}.{name}"])
    assert TRIPS
    TRIPS.clear()
    MARKER.unlink(missing_ok=True)


EXTENSION_CODES = {"EXT1": 0xF0, "EXT2": 0x1234, "EXT4": 0x12345678}


@pytest.mark.parametrize("opcode", list(EXTENSION_CODES))
def test_extension_codes_registered_with_copyreg_are_refused(opcode: str) -> None:
    code = EXTENSION_CODES[opcode]
    copyreg.add_extension(THIS_MODULE, "trip", code)
    try:
        if opcode == "EXT1":
            reference = pickle.EXT1 + bytes([code])
        elif opcode == "EXT2":
            reference = pickle.EXT2 + struct.pack("<H", code)
        else:
            reference = pickle.EXT4 + struct.pack("<i", code)
        blob = HEADER + reference + args(COMMAND) + pickle.REDUCE + pickle.STOP
        refused(blob)
        assert TRIPS == []
        pickle.loads(blob)  # the same blob does run under plain pickle
        assert [f"trip({COMMAND!r},)"] == TRIPS
        TRIPS.clear()
        MARKER.unlink()
    finally:
        copyreg.remove_extension(THIS_MODULE, "trip", code)


async def test_a_planted_exploit_is_refused_when_the_session_is_read(tmp_path: Path) -> None:
    database = tmp_path / "planted.db"
    async with SessionService(SqliteStore(database)) as service:
        session = await service.create_session(app_name="a", user_id="u", session_id="s")
        await service.append_event(session, Event(id="victim", author="agent"))
    import sqlite3

    with sqlite3.connect(database) as connection:
        connection.execute(
            "UPDATE adk_events SET actions = ? WHERE id = 'victim'",
            (EXPLOITS["getattr chain"],),
        )
    connection.close()
    async with SessionService(SqliteStore(database)) as service:
        with pytest.raises(UnsafePayloadError, match="victim"):
            await service.get_session(app_name="a", user_id="u", session_id="s")


# --- generated opcode streams --------------------------------------------------------

GLOBAL_NAMES = st.sampled_from(
    [
        *DANGEROUS,
        ("google.adk.events.event_actions", "EventActions"),
        ("builtins", "dict"),
        ("builtins", "bytes"),
        ("collections", "OrderedDict"),
        ("datetime", "datetime"),
        ("uuid", "UUID"),
        ("decimal", "Decimal"),
    ]
)
SMALL_TEXT = st.sampled_from(["", "x", COMMAND, "os", "system", "__dict__", "state_delta"])


@st.composite
def opcode_chunk(draw: st.DrawFn) -> bytes:
    kind = draw(st.integers(0, 17))
    if kind == 0:
        return stack_global(*draw(GLOBAL_NAMES))
    if kind == 1:
        module, name = draw(GLOBAL_NAMES)
        return text_global(module, name)
    if kind == 2:
        module, name = draw(GLOBAL_NAMES)
        return pickle.INST + f"{module}\n{name}\n".encode()
    if kind == 3:
        return unicode(draw(SMALL_TEXT))
    if kind == 4:
        # Small: what a large size costs is tested on its own, below.
        return pickle.BININT + struct.pack("<i", draw(st.integers(-1000, 100_000)))
    if kind == 5:
        return pickle.EXT1 + bytes([draw(st.integers(1, 255))])
    if kind == 6:
        return pickle.BINPERSID
    if kind == 7:
        return pickle.BINGET + bytes([draw(st.integers(0, 3))])
    if kind == 8:
        return pickle.MEMOIZE
    return draw(
        st.sampled_from(
            [
                pickle.MARK,
                pickle.REDUCE,
                pickle.BUILD,
                pickle.OBJ,
                pickle.NEWOBJ,
                pickle.NEWOBJ_EX,
                pickle.TUPLE,
                pickle.EMPTY_TUPLE,
                pickle.EMPTY_DICT,
                pickle.EMPTY_LIST,
                pickle.SETITEM,
                pickle.SETITEMS,
                pickle.APPEND,
                pickle.APPENDS,
                pickle.NONE,
                pickle.DUP,
                pickle.POP,
                pickle.STOP,
            ]
        )
    )


@st.composite
def opcode_streams(draw: st.DrawFn) -> bytes:
    chunks = draw(st.lists(opcode_chunk(), min_size=1, max_size=40))
    return draw(st.sampled_from([HEADER, b""])) + b"".join(chunks) + pickle.STOP


def _load_and_check(blob: bytes) -> None:
    """Loads a blob: whatever it raises, nothing it names may have run.

    Which error a malformed blob raises is checked on its own (a renamed field escapes
    as a pydantic error today, see the xfail below); here the point is the tripwires.
    """
    try:
        loaded = loads_actions(blob)
    except Exception:
        pass
    else:
        assert isinstance(loaded, EventActions)
    assert TRIPS == []
    assert not MARKER.exists()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(opcode_streams())
def test_generated_opcode_streams_never_run_code(blob: bytes) -> None:
    _load_and_check(blob)


@pytest.mark.slow
@settings(max_examples=30_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(opcode_streams())
def test_many_generated_opcode_streams_never_run_code(blob: bytes) -> None:
    _load_and_check(blob)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=64), st.integers(0, 600), st.binary(max_size=16))
def test_real_actions_pickles_with_bytes_spliced_in_are_refused_or_loaded(
    insert: bytes, at: int, replace: bytes
) -> None:
    blob = bytearray(dumps_actions(EventActions(state_delta={"k": [1, "two"]})))
    blob[at : at + len(replace)] = replace
    blob[at:at] = insert
    _load_and_check(bytes(blob))


# --- what a blob may cost ------------------------------------------------------------


def _reduce_builtin(name: str, size: int) -> bytes:
    return (
        HEADER
        + stack_global("builtins", name)
        + pickle.BININT
        + struct.pack("<i", size)
        + pickle.TUPLE1
        + pickle.REDUCE
        + pickle.STOP
    )


@pytest.mark.parametrize("name", ["bytearray", "bytes"])
def test_a_tiny_blob_cannot_make_the_reader_allocate_a_large_buffer(name: str) -> None:
    blob = _reduce_builtin(name, 64 * 1024 * 1024)
    assert len(blob) < 50
    tracemalloc.start()
    try:
        with pytest.raises(UnsafePickleError):
            loads_actions(blob)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024


def test_a_renamed_field_raises_the_unpicklers_own_error() -> None:
    blob = dumps_actions(EventActions()).replace(b"transfer_reason", b"tran\x16\x11\x0er_reason")
    with pytest.raises(UnsafePickleError):
        loads_actions(blob)


def test_the_tripwire_module_is_importable_by_its_name() -> None:
    # The payloads name THIS_MODULE; if pickle could not import it, a refusal would prove
    # nothing. Plain pickle resolves the name.
    assert pickle.loads(pickle.dumps(trip)) is trip
