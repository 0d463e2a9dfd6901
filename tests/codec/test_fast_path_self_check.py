"""The fast path checks itself at first use and falls back to validation, warning once."""

from __future__ import annotations

import logging
import math
import threading
from typing import Any

import google.genai._common
import pydantic._internal._model_construction
import pytest
from google.adk.events.event import Event
from google.genai import types

from adk_sqlite import SessionService, SqliteStore
from adk_sqlite.codec import fast
from adk_sqlite.codec.events import encode_event
from adk_sqlite.codec.fast.samples import sample_events
from adk_sqlite.codec.fast.self_check import differences, missing_hooks, run_self_check
from adk_sqlite.records import EventRecord

LOGGER = "adk_sqlite.codec.fast"


def _fast_path_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == LOGGER]


async def _write_and_read_twice(store: SqliteStore) -> list[Event]:
    """Appends the samples through one service, then reads them back twice."""
    service = SessionService(store)
    session = await service.create_session(app_name="a", user_id="u", session_id="s")
    for event in sample_events():
        await service.append_event(session, event)
    for _ in range(2):
        read = await service.get_session(app_name="a", user_id="u", session_id="s")
        assert read is not None
    return read.events


def _assert_correct(events: list[Event]) -> None:
    """The events read are the samples, exactly as ADK's own validation makes them."""
    expected = {sample.id: sample for sample in sample_events()}
    assert sorted(event.id for event in events) == sorted(expected)
    for got in events:
        assert got.author == expected[got.id].author
        assert got.model_dump_json() == expected[got.id].model_dump_json()


def test_the_self_check_passes_on_the_installed_versions() -> None:
    assert missing_hooks() == []
    checked = run_self_check()
    assert checked.problems == ()
    assert checked.fast_path is not None


def test_the_samples_fill_every_column_of_the_events_table() -> None:
    records = [encode_event(e, app_name="a", user_id="u", session_id="s") for e in sample_events()]
    empty = [
        name
        for name in EventRecord.__struct_fields__
        if all(getattr(record, name) is None for record in records)
    ]
    assert empty == []


def test_the_comparison_sees_a_nan_payload_and_a_field_set_by_hand() -> None:
    other_nan = float.fromhex("nan")  # a second NaN object: equal bits
    assert differences([math.nan], [other_nan], "x") == []
    assert differences([0.0], [-0.0], "x") == ["x[0]: -0.0 instead of 0.0"]
    plain, explicit = types.Content(), types.Content(role=None)
    assert plain == explicit
    assert differences(plain, explicit, "part") != []


async def test_a_builder_that_gets_one_field_wrong_turns_the_fast_path_off_with_one_warning(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import adk_sqlite.codec.fast.events as fast_events

    assemble = fast_events._assemble_event

    def one_field_wrong(data: dict[str, Any], fields_set: set[str], private: Any = None) -> Any:
        data["author"] = data["author"].upper()  # as a changed pydantic might
        return assemble(data, fields_set, private)

    monkeypatch.setattr(fast_events, "_assemble_event", one_field_wrong)
    caplog.set_level(logging.WARNING, logger=LOGGER)
    events = await _write_and_read_twice(store)
    _assert_correct(events)
    warnings = _fast_path_warnings(caplog)
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    message = warnings[0].getMessage()
    assert ".author" in message
    assert "validates with pydantic" in message
    assert fast.fast_path() is None


@pytest.mark.parametrize(
    ("owner", "hook"),
    [
        (google.genai._common.BaseModel, "_check_field_type_mismatches"),
        (pydantic._internal._model_construction, "init_private_attributes"),
    ],
    ids=["google-genai type-mismatch hook", "pydantic private-attribute initializer"],
)
async def test_a_missing_private_hook_turns_the_fast_path_off_with_one_warning(
    store: SqliteStore,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    owner: object,
    hook: str,
) -> None:
    monkeypatch.delattr(owner, hook)
    caplog.set_level(logging.WARNING, logger=LOGGER)
    events = await _write_and_read_twice(store)
    _assert_correct(events)
    warnings = _fast_path_warnings(caplog)
    assert len(warnings) == 1
    assert hook in warnings[0].getMessage()
    assert "pydantic 2." in warnings[0].getMessage()  # says which versions it checked


async def test_a_self_check_that_raises_turns_the_fast_path_off_with_one_warning(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import adk_sqlite.codec.fast.self_check

    def broken() -> list[Event]:
        raise RuntimeError("a sample no longer builds")

    await _write_and_read_twice(store)  # the samples written while they still build
    fast.reset_self_check()
    monkeypatch.setattr(adk_sqlite.codec.fast.self_check, "sample_events", broken)
    caplog.set_level(logging.WARNING, logger=LOGGER)
    read = await SessionService(store).get_session(app_name="a", user_id="u", session_id="s")
    assert read is not None
    assert fast.fast_path() is None
    warnings = _fast_path_warnings(caplog)
    assert len(warnings) == 1
    assert "a sample no longer builds" in warnings[0].getMessage()


def test_a_failed_check_warns_once_when_threads_read_at_the_same_time(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delattr(google.genai._common.BaseModel, "_check_field_type_mismatches")
    caplog.set_level(logging.WARNING, logger=LOGGER)
    start = threading.Barrier(8)
    found: list[object] = []

    def read() -> None:
        start.wait(5)
        found.append(fast.fast_path())

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert found == [None] * 8
    assert len(_fast_path_warnings(caplog)) == 1


def test_a_passed_check_is_cached_and_logs_no_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    runs: list[int] = []

    def counted() -> Any:
        runs.append(1)
        return run_self_check()

    monkeypatch.setattr(fast, "run_self_check", counted)
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    assert fast.fast_path() is not None
    assert fast.fast_path() is not None
    assert runs == [1]
    assert [record.levelno for record in _fast_path_warnings(caplog)] == [logging.DEBUG]
