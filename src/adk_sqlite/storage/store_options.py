"""The options every store takes, checked once for all backends. Pure, no I/O.

Each store's constructor hands its table names, owner column and timeouts to
`StoreNames.from_options` and `seconds`: the rules (and the messages a caller
sees) are the same whichever backend they choose, so a configuration moves
between backends unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from adk_sqlite.errors import ConfigurationError
from adk_sqlite.identifiers import OwnerColumn, parse_owner_column, validate_identifier

__all__ = ["StoreNames", "TableNames", "seconds"]


@dataclass(frozen=True, slots=True)
class TableNames:
    """The four table names of one store, already validated."""

    sessions: str
    events: str
    app_states: str
    user_states: str

    def by_role(self) -> dict[str, str]:
        """``{"sessions": name, "events": name, ...}``: the templates' placeholders."""
        return {
            "sessions": self.sessions,
            "events": self.events,
            "app_states": self.app_states,
            "user_states": self.user_states,
        }

    def as_tuple(self) -> tuple[str, str, str, str]:
        """The sessions, events, app-state and user-state names, in that order."""
        return (self.sessions, self.events, self.app_states, self.user_states)


# The options naming the four tables, in the order of `TableNames`' fields.
_TABLE_OPTIONS = ("session_table", "events_table", "app_state_table", "user_state_table")


@dataclass(frozen=True, slots=True)
class StoreNames:
    """Everything a store interpolates into its SQL: table names and owner column.

    ``artifacts`` and ``memories`` name the artifacts table and the memories table
    (the prefix of the memory index's tables).
    """

    tables: TableNames
    owner_column: OwnerColumn | None
    artifacts: str
    memories: str

    @classmethod
    def from_options(
        cls,
        tables: tuple[object, object, object, object],
        *,
        owner_id_column: object,
        artifact_table: object,
        memory_table: object,
    ) -> StoreNames:
        """Validates a constructor's naming options.

        Args:
            tables: The ``session_table``, ``events_table``, ``app_state_table`` and
                ``user_state_table`` options, in that order.
            owner_id_column: The ``owner_id_column`` option.
            artifact_table: The ``artifact_table`` option.
            memory_table: The ``memory_table`` option.

        Raises:
            ConfigurationError: A name is not a valid identifier, two of the four
                table names are equal (ignoring case), the artifacts or memories
                table has the name of one of them, or the owner column is invalid.
        """
        valid = TableNames(
            *(
                validate_identifier(name, option=option)
                for name, option in zip(tables, _TABLE_OPTIONS, strict=True)
            )
        )
        if len({name.lower() for name in valid.as_tuple()}) != 4:
            raise ConfigurationError("the four table names must be different")
        owner = None if owner_id_column is None else parse_owner_column(owner_id_column)
        return cls(
            valid,
            owner,
            artifacts=_another_table(valid, artifact_table, option="artifact_table"),
            memories=_another_table(valid, memory_table, option="memory_table"),
        )


def _another_table(tables: TableNames, name: object, *, option: str) -> str:
    """Validates the name of a table beside the four, which must differ from them."""
    valid = validate_identifier(name, option=option)
    if valid.lower() in {table.lower() for table in tables.as_tuple()}:
        raise ConfigurationError(
            f"{option}={valid!r} is already the name of another table of this store"
        )
    return valid


SESSION_ARTIFACTS_CHOICES = ("keep", "delete")


def deletes_session_artifacts(session_artifacts: object) -> bool:
    """Checks the ``session_artifacts`` option; True when it is ``"delete"``.

    ``"keep"`` (ADK's behaviour): deleting a session leaves its session-scoped
    artifacts loadable. ``"delete"``: they go in the same transaction as the session.
    """
    if session_artifacts not in SESSION_ARTIFACTS_CHOICES:
        raise ConfigurationError(
            f"session_artifacts={session_artifacts!r}: expected 'keep' or 'delete'"
        )
    return session_artifacts == "delete"


def seconds(option: str, value: object, *, zero_allowed: bool) -> float:
    """Returns a duration option, checked to be a number of seconds (> 0, or >= 0).

    Raises:
        ConfigurationError: Names the option and the bound.
    """
    if not isinstance(value, int | float) or value < 0 or (value == 0 and not zero_allowed):
        bound = ">= 0" if zero_allowed else "> 0"
        raise ConfigurationError(f"{option}={value!r}: expected seconds {bound}")
    return float(value)
