"""Fixtures of the server tests: shared stores closed; SIGTERM and module caches restored."""

from __future__ import annotations

import signal
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from adk_sqlite.adk.registry import close_stores, shared_stores


@pytest.fixture(autouse=True)
async def _close_shared_stores() -> AsyncIterator[None]:
    """Each test starts and ends with no store opened from a URL in this process."""
    await close_stores()
    yield
    await close_stores()
    assert len(shared_stores) == 0


@pytest.fixture(autouse=True)
def _restore_sigterm_handler() -> Iterator[None]:
    """Building a service from a URL installs a SIGTERM handler: not beyond the test."""
    handler = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, handler)


@pytest.fixture
def forget_agents_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Undoes what loading an agents folder in this process leaves behind.

    ADK puts the folder on ``sys.path`` and imports ``services`` and the agents by
    their bare names; the next test's folder must not find them cached.
    """
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    root = str(tmp_path)
    for name, module in list(sys.modules.items()):
        if (getattr(module, "__file__", None) or "").startswith(root):
            del sys.modules[name]
