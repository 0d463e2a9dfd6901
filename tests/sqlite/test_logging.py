"""What the SQLite engine reports on the ``adk_sqlite`` loggers: waits, fallbacks, failures.

Nothing is swallowed silently: a condition the engine recovers from on its own is still
logged, at a level that says how much it matters.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest

from adk_sqlite.errors import DatabaseLockedError
from adk_sqlite.sqlite.engine.writer import SLOW_LOCK_WAIT, WriteLock

ENGINE_LOG = "adk_sqlite.sqlite"


def _messages(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == ENGINE_LOG and r.levelno == level]


def test_a_write_lock_that_cannot_be_created_is_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    lock = WriteLock(tmp_path / "no such folder" / "s.db", timeout=0.1)
    with caplog.at_level(logging.INFO, logger=ENGINE_LOG):
        lock.open()
    lock.close()
    [message] = _messages(caplog, logging.INFO)
    assert "no write lock file" in message
    assert "s.db-lock" in message


def test_a_timed_out_wait_for_the_write_lock_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    holder, waiter = WriteLock(tmp_path / "s.db"), WriteLock(tmp_path / "s.db", timeout=0.05)
    holder.open()
    waiter.open()
    holder.acquire()
    try:
        with caplog.at_level(logging.DEBUG, logger=ENGINE_LOG), pytest.raises(DatabaseLockedError):
            waiter.acquire()
    finally:
        holder.release()
        holder.close()
        waiter.close()
    [message] = _messages(caplog, logging.DEBUG)
    assert "timed out" in message


def test_a_long_wait_for_the_write_lock_is_logged_at_info(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    holder, waiter = WriteLock(tmp_path / "s.db"), WriteLock(tmp_path / "s.db", timeout=30)
    holder.open()
    waiter.open()
    holder.acquire()
    releaser = threading.Timer(SLOW_LOCK_WAIT + 0.1, holder.release)
    releaser.start()
    try:
        started = time.monotonic()
        with caplog.at_level(logging.INFO, logger=ENGINE_LOG):
            waiter.acquire()
        assert time.monotonic() - started >= SLOW_LOCK_WAIT
        waiter.release()
    finally:
        releaser.join()
        holder.close()
        waiter.close()
    [message] = _messages(caplog, logging.INFO)
    assert "granted" in message
