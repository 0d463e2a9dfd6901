"""How a service is given its store (an object, or a URL: ADK's ``services.yaml`` form),
and what the session, artifact and memory services do with it alike."""

from __future__ import annotations

from typing import Any, Generic, Self, TypeVar

from adk_sqlite.closing import AsyncClosing
from adk_sqlite.errors import InvalidArgumentError

__all__ = ["StoreService", "store_or_url"]

StoreT = TypeVar("StoreT")


class StoreService(AsyncClosing, Generic[StoreT]):
    """A service over one store: ``async with``, `store`, and `close`, which closes it
    (`adk_sqlite.SessionService` also creates the tables on entering).

    A store shared with other services (the usual case) is closed by whichever closes
    first; stores' ``close`` is idempotent.
    """

    _store: StoreT

    async def __aenter__(self) -> Self:
        return self

    @property
    def store(self) -> StoreT:
        """The store this service reads and writes."""
        return self._store

    async def close(self) -> None:
        """Closes the store (idempotent); share a store between services with care."""
        close = getattr(self._store, "close", None)
        if close is not None:
            await close()


def store_or_url(store: Any, uri: str | None, *, service: str) -> Any:
    """The store a service was given, or the one its ``uri`` opens.

    A URL is opened with `adk_sqlite.adk.registry.open_store`, so services built
    from the same URL share one store.

    Raises:
        InvalidArgumentError: Both or neither were given.
        ConfigurationError: ``uri`` is not a valid service URL.
    """
    if uri is None:
        if store is None:
            raise InvalidArgumentError(f"{service} needs a store, or uri='adk-sqlite:///...'")
        return store
    if store is not None:
        raise InvalidArgumentError(f"{service} takes a store or a uri, not both")
    # Imported here: importing the registry registers its schemes with ADK, which
    # `import adk_sqlite` must not do.
    from adk_sqlite.adk.registry import open_store

    return open_store(uri)
