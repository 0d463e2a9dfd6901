"""Which thread ran a store's job: the job function wrapped, the job itself still run."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest


def record_job_threads(
    monkeypatch: pytest.MonkeyPatch, module: ModuleType, name: str, calls: list[str]
) -> None:
    """Appends ``"<name> on the loop"`` or ``"<name> on a thread"`` to ``calls`` each time
    ``module.<name>`` runs (the tests' event loop runs on the main thread)."""
    original: Callable[..., Any] = getattr(module, name)

    def recording(*args: Any, **kwargs: Any) -> Any:
        on_loop = threading.get_ident() == threading.main_thread().ident
        calls.append(f"{name} on {'the loop' if on_loop else 'a thread'}")
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, recording)
