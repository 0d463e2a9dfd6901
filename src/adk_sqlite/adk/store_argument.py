"""How a service is given its store: an object, or a URL (ADK's ``services.yaml`` form)."""

from __future__ import annotations

from typing import Any

from adk_sqlite.errors import InvalidArgumentError

__all__ = ["store_or_url"]


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
