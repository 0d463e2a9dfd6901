"""Fixtures of the memory contract suite: one service per registered backend.

Every test that takes ``memory_service`` (or ``backend_name``) runs once per
entry of `_backends.BACKENDS`, against a fresh, empty service built in the
test's own ``tmp_path`` and closed after it. Tests marked ``ours_only`` are
generated for the reference backends too, but skipped there with the reason, so
the report shows what ADK's references do not promise. Tests decorated with
`_support.xfail_on` are strict xfails on the named reference only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest
from google.adk.memory.base_memory_service import BaseMemoryService

from ._backends import BACKENDS, LOOP_BOUND_BACKENDS, SINGLE_INSTANCE_BACKENDS, is_reference
from ._support import xfail_marks

OpenService = Callable[[], AbstractAsyncContextManager[BaseMemoryService]]

_OURS_ONLY_SKIP = pytest.mark.skip(
    reason="ours_only: a guarantee of adk-sqlite's backends that ADK's references do not make"
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend_name" not in metafunc.fixturenames:
        return
    ours_only = metafunc.definition.get_closest_marker("ours_only") is not None
    params = []
    for name in BACKENDS:
        marks = xfail_marks(metafunc.function, name)
        if ours_only and is_reference(name):
            marks = [_OURS_ONLY_SKIP]
        params.append(pytest.param(name, id=name, marks=marks))
    metafunc.parametrize("backend_name", params)


@pytest.fixture
def backend_name(request: pytest.FixtureRequest) -> str:
    """The registry name of the backend this test runs against."""
    name: str = request.param
    return name


@pytest.fixture(name="is_reference")
def is_reference_fixture(backend_name: str) -> bool:
    """True on ADK's reference services."""
    return is_reference(backend_name)


@pytest.fixture
def open_service(backend_name: str, tmp_path: Path) -> OpenService:
    """Opens a service instance over the storage ``memory_service`` uses."""
    return lambda: BACKENDS[backend_name](tmp_path)


@pytest.fixture
async def memory_service(open_service: OpenService) -> AsyncIterator[BaseMemoryService]:
    """A fresh, empty memory service of the backend under test."""
    async with open_service() as built:
        yield built


@pytest.fixture
def open_second_service(
    backend_name: str, open_service: OpenService, memory_service: BaseMemoryService
) -> OpenService:
    """Opens another instance over ``memory_service``'s storage (opened first).

    Skips on a backend whose second instance would be a separate, empty store.
    """
    if backend_name in SINGLE_INSTANCE_BACKENDS:
        pytest.skip(f"{backend_name}: a second instance is a separate, empty store")
    return open_service


@pytest.fixture
def open_thread_service(
    backend_name: str, open_service: OpenService, memory_service: BaseMemoryService
) -> OpenService:
    """The service a thread running its own event loop opens and uses.

    ``memory_service`` itself (one instance shared by every thread and loop), or,
    on a backend in `LOOP_BOUND_BACKENDS`, an instance of the thread's own over
    the same storage.
    """
    if backend_name in LOOP_BOUND_BACKENDS:
        return open_service

    @asynccontextmanager
    async def shared() -> AsyncIterator[BaseMemoryService]:
        yield memory_service

    return shared
