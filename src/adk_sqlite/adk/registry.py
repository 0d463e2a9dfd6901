"""adk-sqlite's URL schemes in ``adk web``, ``adk api_server`` and ``get_fast_api_app``.

Importing this module registers factories for ``adk-sqlite://``,
``adk-sqlite+folder://`` and ``adk-sqlite+postgresql://`` (see
`adk_sqlite.adk.service_urls`) with google-adk's service registry. ADK imports the
agents folder's ``services.py`` before it resolves ``--session_service_uri`` and
``--artifact_service_uri``, so one line there is enough::

    import adk_sqlite.adk.registry  # noqa: F401

and then::

    adk api_server --session_service_uri adk-sqlite:///agents.db path/to/agents

One store per URL per process: the session, artifact and memory services opened
from the same URL (the same file once resolved, the same options in any order)
share one store object, kept in `shared_stores`. ADK never closes its services;
`close_stores` closes every store opened here (a server's shutdown hook, a test's
teardown). Closing one service closes the store under all of them. Otherwise the
stores close when the process ends: at exit (`adk_sqlite.closing.close_at_exit`),
and, for a server ADK built from these URLs, on SIGTERM too (see `StoreServiceFactory`).

Each service kind is registered when its module can be imported; see
`SERVICE_FACTORIES`. A memory service with an embedder is code, not a URL option:
register a factory of your own for the scheme after importing this module (see
docs/memory.md).
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from google.adk.cli.service_registry import ServiceRegistry, get_service_registry

from adk_sqlite.adk.service_urls import SCHEMES, StoreUrl, parse_store_url
from adk_sqlite.closing import close_on_sigterm
from adk_sqlite.errors import ConfigurationError
from adk_sqlite.sqlite import PerSessionSqliteStore, SqliteStore
from adk_sqlite.store import BaseAsyncStore

__all__ = [
    "SERVICE_FACTORIES",
    "ServiceKind",
    "SharedStores",
    "StoreServiceFactory",
    "build_store",
    "close_stores",
    "normalised",
    "open_store",
    "register",
    "shared_stores",
]

ServiceKind = Literal["session", "artifact", "memory"]

_POSTGRES_MODULE = "adk_sqlite.postgres"
_POSTGRES_INSTALL = 'pip install "adk-sqlite[postgres]"'


class SharedStores:
    """The stores opened from URLs in this process: one per normalised URL.

    A URL is normalised by `parse_store_url` (options sorted, values parsed) and
    by resolving a file or folder path against the working directory, so
    ``adk-sqlite:///agents.db?inline_io=1&busy_timeout=5`` and
    ``adk-sqlite:////srv/agents.db?busy_timeout=5.0&inline_io=true`` (run from
    ``/srv``) share one `SqliteStore`.
    """

    def __init__(self) -> None:
        self._stores: dict[StoreUrl, BaseAsyncStore] = {}
        # ADK builds its services on one thread, but a store must never be built
        # twice for one URL whoever calls.
        self._lock = threading.Lock()

    def open(self, url: str) -> BaseAsyncStore:
        """The store ``url`` names: the one already opened for it, or a new one.

        Building a store does no I/O; it opens its database on first use.

        Raises:
            ConfigurationError: An invalid URL or option (see `parse_store_url`),
                or ``adk-sqlite+postgresql://`` without the postgres extra.
        """
        key = normalised(parse_store_url(url))
        with self._lock:
            store = self._stores.get(key)
            if store is None:
                store = self._stores[key] = build_store(key)
            return store

    def __len__(self) -> int:
        return len(self._stores)

    async def close_all(self) -> None:
        """Closes every store opened here and forgets it; the next `open` builds anew.

        Every store is closed even if closing one fails; the first failure is raised.
        """
        with self._lock:
            stores = list(self._stores.values())
            self._stores.clear()
        failures: list[Exception] = []
        for store in stores:
            try:
                await store.close()
            except Exception as exc:
                failures.append(exc)
        if failures:
            raise failures[0]


shared_stores = SharedStores()
"""The process's stores opened from URLs, shared by every service built from them."""


def open_store(url: str) -> BaseAsyncStore:
    """The store a service URL names, shared with every other opener of the same URL.

    Raises:
        ConfigurationError: An invalid URL or option, or a missing extra.
    """
    return shared_stores.open(url)


async def close_stores() -> None:
    """Closes every store opened from a URL in this process (`shared_stores`)."""
    await shared_stores.close_all()


def normalised(url: StoreUrl) -> StoreUrl:
    """``url`` with its file or folder resolved to an absolute path (symlinks followed)."""
    if url.kind == "postgresql" or url.in_memory:
        return url
    return url.with_location(str(Path(url.location).resolve()))


def build_store(url: StoreUrl) -> BaseAsyncStore:
    """A new store for a parsed URL (not shared: `open_store` shares)."""
    options: dict[str, Any] = url.keywords()
    if url.kind == "sqlite":
        return SqliteStore(url.location, **options)
    if url.kind == "folder":
        return PerSessionSqliteStore(url.location, **options)
    try:
        # By name, as adk_sqlite's own lazy exports do: importing this module
        # must not import asyncpg.
        postgres = importlib.import_module(_POSTGRES_MODULE)
    except ImportError as exc:
        raise ConfigurationError(
            f"{url.describe()}: adk-sqlite+postgresql:// needs the postgres extra"
            f" (asyncpg): {_POSTGRES_INSTALL}"
        ) from exc
    store: BaseAsyncStore = postgres.PostgresStore(url.location, **options)
    return store


@dataclass(frozen=True, slots=True)
class StoreServiceFactory:
    """An ADK service factory: the service class of one kind over the URL's shared store.

    Called by ADK as ``factory(uri, agents_dir=..., **kwargs)``. ``agents_dir``
    is not used (a relative path is relative to the working directory, as in
    ADK's ``sqlite://``); the other keyword arguments (``session_db_kwargs`` of
    ``get_fast_api_app``, e.g. ``owner_id``) go to the service's constructor.

    A call also installs `adk_sqlite.closing.close_on_sigterm` (from the main
    thread, over SIGTERM's default action only), so that a server stopped by
    SIGTERM closes its stores, as one stopped by Ctrl-C does through ``atexit``.

    Attributes:
        kind: Which ADK service.
        module: The module that defines the service class, imported at the
            first call, not when registering.
        class_name: The service class, built as ``cls(store, **kwargs)``.
        optional: Registered only once ``module`` exists (a service not written yet).
    """

    kind: ServiceKind
    module: str
    class_name: str
    optional: bool = False

    def __call__(self, uri: str, **kwargs: Any) -> Any:
        kwargs.pop("agents_dir", None)
        service_class = self.service_class()
        service = service_class(open_store(uri), **kwargs)
        # ADK builds its services before uvicorn serves; uvicorn then takes SIGTERM
        # and, after its graceful shutdown, raises it again with the handler it found:
        # this one closes the stores (the WAL checkpointed) before the process ends.
        close_on_sigterm()
        return service

    def available(self) -> bool:
        """Whether the service's module is part of this installation."""
        return importlib.util.find_spec(self.module) is not None

    def service_class(self) -> Callable[..., Any]:
        """The service class, imported now.

        Raises:
            ConfigurationError: This adk-sqlite has no such service yet.
        """
        if not self.available():
            raise ConfigurationError(
                f"this adk-sqlite has no {self.kind} service yet ({self.module}.{self.class_name})"
            )
        service_class: Callable[..., Any] = getattr(
            importlib.import_module(self.module), self.class_name
        )
        return service_class


SERVICE_FACTORIES: Mapping[ServiceKind, StoreServiceFactory] = {
    "session": StoreServiceFactory("session", "adk_sqlite.adk.sessions", "SessionService"),
    "artifact": StoreServiceFactory("artifact", "adk_sqlite.adk.artifacts", "ArtifactService"),
    "memory": StoreServiceFactory(
        "memory", "adk_sqlite.adk.memory", "MemoryService", optional=True
    ),
}
"""Each ADK service adk-sqlite offers over its stores, and its factory."""

_REGISTER: Mapping[ServiceKind, Callable[[ServiceRegistry], Callable[[str, Any], None]]] = {
    "session": lambda registry: registry.register_session_service,
    "artifact": lambda registry: registry.register_artifact_service,
    "memory": lambda registry: registry.register_memory_service,
}


def register(registry: ServiceRegistry | None = None) -> None:
    """Registers adk-sqlite's URL schemes with ADK's service registry. Idempotent.

    Importing this module already did it for ADK's global registry.

    Args:
        registry: The registry; ADK's global one (``get_service_registry()``) if None.
    """
    target = get_service_registry() if registry is None else registry
    for kind, factory in SERVICE_FACTORIES.items():
        if factory.optional and not factory.available():
            continue
        add = _REGISTER[kind](target)
        for scheme in SCHEMES:
            add(scheme, factory)


register()
