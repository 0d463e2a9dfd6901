"""The target of `adk_sqlite.export_to_postgres`: a `PostgresStore`, or one built from a URL.

`TargetOptions` carries `PostgresStore`'s table-name and owner-column options, for a
target given by its URL (the command line's ``--session-table`` ... ``--owner-column``):
the export then builds the store, uses those names, and closes it afterwards. Options
left None keep `PostgresStore`'s defaults. asyncpg is imported only when a store is
built.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from adk_sqlite.errors import ConfigurationError

if TYPE_CHECKING:
    from adk_sqlite.postgres import PostgresStore

__all__ = ["TargetOptions", "target_store"]


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetOptions:
    """`PostgresStore` options for an export target given by its URL.

    Attributes:
        session_table: The sessions table's name (default ``adk_sessions``).
        events_table: The events table's name (default ``adk_events``).
        app_state_table: The ``app:`` state table's name (default ``adk_app_states``).
        user_state_table: The ``user:`` state table's name (default ``adk_user_states``).
        artifact_table: The artifacts table's name (default ``adk_artifacts``).
        memory_table: The memories table's name (default ``adk_memories``).
        owner_id_column: The owner column's DDL, e.g. ``"tenant_id BIGINT NOT NULL"``
            (default: none).
    """

    session_table: str | None = None
    events_table: str | None = None
    app_state_table: str | None = None
    user_state_table: str | None = None
    artifact_table: str | None = None
    owner_id_column: str | None = None
    memory_table: str | None = None

    def store_options(self) -> dict[str, str]:
        """The options that were given, as `PostgresStore` keyword arguments."""
        given = ((field.name, getattr(self, field.name)) for field in fields(self))
        return {name: value for name, value in given if value is not None}


def target_store(target: object, options: TargetOptions | None) -> tuple[PostgresStore, bool]:
    """The target store, and whether the export built it (and so closes it).

    Raises:
        ConfigurationError: ``target`` is neither a URL nor a `PostgresStore`, options
            were given with a store (it names its own tables), or an option is invalid.
    """
    from adk_sqlite.postgres import PostgresStore

    if isinstance(target, PostgresStore):
        if options is not None and options.store_options():
            raise ConfigurationError(
                "target_options are for a target given by its URL; a PostgresStore names"
                " its own tables"
            )
        return target, False
    if isinstance(target, str):
        store_options = {} if options is None else options.store_options()
        return PostgresStore(target, **store_options), True  # type: ignore[arg-type]
    raise ConfigurationError(f"target={target!r}: expected a postgresql:// URL or a PostgresStore")
