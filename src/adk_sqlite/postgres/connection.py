"""PostgreSQL connections: where they point, the pool, and the one place errors are mapped.

asyncpg talks to the server from the event loop itself (no threads), so an
operation costs one network round trip per statement; each store operation
runs its statements on one pooled connection inside one transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import asyncpg
import asyncpg.exceptions._base as asyncpg_base

from adk_sqlite import errors

__all__ = [
    "PostgresTarget",
    "create_pool",
    "parse_dsn",
    "postgres_errors",
    "translate_postgres_error",
]

_SCHEMES = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "postgresql+asyncpg": "postgresql",
}

# SQLSTATEs (or their two-character classes) and what they mean to a caller.
_UNAVAILABLE_CLASSES = ("08", "28", "3D")  # connection, authorization, no such database
_UNAVAILABLE_STATES = ("57P01", "57P02", "57P03", "53300")  # shutdown, cannot connect, too many
_LOCKED_STATES = ("55P03", "40P01", "40001")  # lock_timeout, deadlock, serialization
_CONSTRAINT_CLASSES = ("23", "22")  # integrity constraint, a value the column refuses


@dataclass(frozen=True, slots=True)
class PostgresTarget:
    """Where a store's database lives.

    Attributes:
        dsn: The ``postgresql://`` URL asyncpg receives.
        query_keys: The parameters the URL's query sets (server settings the
            caller chose, which the store's defaults must not override).
    """

    dsn: str
    query_keys: frozenset[str]

    def describe(self) -> str:
        """The URL with any password masked, for messages and reprs."""
        parts = urlsplit(self.dsn)
        if parts.password is None:
            return self.dsn
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urlunsplit(parts._replace(netloc=netloc))


def parse_dsn(dsn: object) -> PostgresTarget:
    """Checks a ``postgresql://``, ``postgres://`` or ``postgresql+asyncpg://`` URL.

    Raises:
        ConfigurationError: Not a string, or another scheme.
    """
    if not isinstance(dsn, str):
        raise errors.ConfigurationError(
            f"dsn_or_pool={dsn!r}: expected a postgresql:// URL or an asyncpg pool"
        )
    scheme, separator, rest = dsn.partition("://")
    if not separator or scheme.lower() not in _SCHEMES:
        shown = PostgresTarget(dsn, frozenset()).describe()  # a password is masked here too
        raise errors.ConfigurationError(
            f"{shown!r} is not a PostgreSQL URL: write postgresql://user@host:5432/database,"
            " with the password in PGPASSWORD or ~/.pgpass rather than in the URL"
        )
    normalised = f"{_SCHEMES[scheme.lower()]}://{rest}"
    query = urlsplit(normalised).query
    return PostgresTarget(normalised, frozenset(key for key, _ in parse_qsl(query)))


async def create_pool(
    target: PostgresTarget,
    *,
    min_size: int,
    max_size: int,
    connect_timeout: float,
    lock_timeout: float | None,
) -> asyncpg.Pool:
    """Opens an asyncpg pool (``min_size`` connections at once), errors mapped."""
    settings = {"application_name": "adk-sqlite"}
    if lock_timeout is not None:
        settings["lock_timeout"] = str(int(lock_timeout * 1000))
    # A setting given in the URL's query wins over the store's default.
    settings = {key: value for key, value in settings.items() if key not in target.query_keys}
    with postgres_errors(target.describe()):
        pool: asyncpg.Pool = await asyncpg.create_pool(
            target.dsn,
            min_size=min_size,
            max_size=max_size,
            timeout=connect_timeout,
            server_settings=settings,
        )
    return pool


@contextlib.contextmanager
def postgres_errors(where: str) -> Iterator[None]:
    """Maps asyncpg and socket errors to the public error tree; the one place that does."""
    try:
        yield
    except errors.AdkSqliteError:
        raise
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError) as exc:
        raise translate_postgres_error(exc, where) from exc


def translate_postgres_error(exc: BaseException, where: str) -> errors.AdkSqliteError:
    """Returns the public error for a driver or socket error, keyed on its SQLSTATE."""
    if isinstance(exc, asyncpg_base.ClientConfigurationError):
        return errors.ConfigurationError(f"{where}: {exc}")
    if isinstance(exc, asyncpg_base.DataError):
        # Raised by asyncpg before sending: a Python value its column's type cannot hold.
        return errors.ConstraintError(f"{where}: a value does not fit its column's type: {exc}")
    if isinstance(exc, OSError | TimeoutError):
        return errors.DatabaseUnavailableError(f"{where}: cannot connect to the server: {exc!r}")
    state: str = getattr(exc, "sqlstate", None) or ""
    detail = _describe(exc)
    if state[:2] in _UNAVAILABLE_CLASSES or state in _UNAVAILABLE_STATES:
        return errors.DatabaseUnavailableError(f"{where}: cannot use this database: {detail}")
    if state == "25006":
        return errors.ReadOnlyDatabaseError(f"{where}: the database is read-only: {detail}")
    if state in _LOCKED_STATES:
        return errors.DatabaseLockedError(f"{where}: locked by another writer: {detail}")
    if state[:2] in _CONSTRAINT_CLASSES:
        return errors.ConstraintError(f"{where}: the database refused the write: {detail}")
    if state == "53100":
        return errors.DatabaseError(f"{where}: the disk is full; nothing was written: {detail}")
    return errors.DatabaseError(f"{where}: {detail}")


def _describe(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    detail: Any = getattr(exc, "detail", None)
    return f"{text} ({detail})" if detail else text
