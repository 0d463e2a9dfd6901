"""Fixtures of the artifact contract suite: one service per registered backend.

Every test that takes ``artifact_service`` (or ``backend_name``) runs once per
entry of `_backends.BACKENDS`, against a fresh, empty service built in the
test's own ``tmp_path`` and closed after it. Tests marked ``ours_only`` are
generated for the reference backends too, but skipped there with the reason, so
the report shows what ADK's reference does not promise.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest
from google.adk.artifacts.base_artifact_service import BaseArtifactService

from ._backends import BACKENDS, is_reference

OpenService = Callable[[], AbstractAsyncContextManager[BaseArtifactService]]

_OURS_ONLY_SKIP = pytest.mark.skip(
    reason="ours_only: a guarantee of adk-sqlite's backends that ADK's reference does not make"
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend_name" not in metafunc.fixturenames:
        return
    ours_only = metafunc.definition.get_closest_marker("ours_only") is not None
    params = [
        pytest.param(
            name, id=name, marks=[_OURS_ONLY_SKIP] if ours_only and is_reference(name) else []
        )
        for name in BACKENDS
    ]
    metafunc.parametrize("backend_name", params)


@pytest.fixture
def backend_name(request: pytest.FixtureRequest) -> str:
    """The registry name of the backend this test runs against."""
    name: str = request.param
    return name


@pytest.fixture(name="is_reference")
def is_reference_fixture(backend_name: str) -> bool:
    """True on ADK's reference service, where ADK's own documented behaviour is asserted."""
    return is_reference(backend_name)


@pytest.fixture
def open_service(backend_name: str, tmp_path: Path) -> OpenService:
    """Opens another service instance over the storage ``artifact_service`` uses."""
    return lambda: BACKENDS[backend_name](tmp_path)


@pytest.fixture
async def artifact_service(open_service: OpenService) -> AsyncIterator[BaseArtifactService]:
    """A fresh, empty artifact service of the backend under test."""
    async with open_service() as built:
        yield built
