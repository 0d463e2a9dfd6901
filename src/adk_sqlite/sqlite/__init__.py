"""The SQLite backend: one shared file (`SqliteStore`) or one file per session.

The two stores are imported on first access: the tools reach into this package
(``database_file``, ``schema``, ``engine``) without loading the stores and the
event codec behind them, which keeps the command line's start-up short.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from adk_sqlite.sqlite.per_session.store import PerSessionSqliteStore
    from adk_sqlite.sqlite.shared_file.store import SqliteStore

_STORE_MODULES = {
    "PerSessionSqliteStore": "adk_sqlite.sqlite.per_session.store",
    "SqliteStore": "adk_sqlite.sqlite.shared_file.store",
}


def __getattr__(name: str) -> Any:
    """Imports a store's module when the store is first used."""
    try:
        module_name = _STORE_MODULES[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = ["PerSessionSqliteStore", "SqliteStore"]
