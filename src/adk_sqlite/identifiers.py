"""Validation of the names and DDL a user may put into SQL. Pure, no I/O.

Table names and the owner column are the only user-supplied text ever
interpolated into SQL (values are always bound parameters), so they are
checked here, once, before a store builds a single statement.
"""

from __future__ import annotations

import re

from adk_sqlite.errors import ConfigurationError

__all__ = ["OwnerColumn", "parse_owner_column", "validate_identifier"]

# Letters, digits and underscores, not starting with a digit; 63 characters
# keeps every name valid on PostgreSQL too (its limit), so a configuration
# moves between backends unchanged.
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_MAX_OWNER_DDL = 500
_SESSION_COLUMNS = frozenset(
    {
        "app_name",
        "user_id",
        "id",
        "state",
        "create_time",
        "update_time",
        "create_time_unix",
        "update_time_unix",
        "revision",
        "session_key",
        "rowid",
        "oid",
        "_rowid_",
    }
)


def validate_identifier(name: object, *, option: str) -> str:
    """Returns ``name`` if it is a safe SQL identifier, else raises.

    Raises:
        ConfigurationError: Names the option and says what is allowed.
    """
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise ConfigurationError(
            f"{option}={name!r} is not a valid table or column name: use 1-63 letters,"
            " digits or underscores, not starting with a digit"
        )
    if name.lower().startswith("sqlite_"):
        raise ConfigurationError(f"{option}={name!r}: names starting with 'sqlite_' are reserved")
    return name


class OwnerColumn:
    """An owner (tenant) column: its validated name and the DDL that defines it."""

    __slots__ = ("ddl", "name")

    def __init__(self, name: str, ddl: str) -> None:
        self.name = name
        self.ddl = ddl

    def __repr__(self) -> str:
        return f"OwnerColumn({self.ddl!r})"


def parse_owner_column(ddl: object) -> OwnerColumn:
    """Checks an owner column definition such as ``"tenant_id INTEGER NOT NULL"``.

    The first word is the column name and must be an identifier; the rest is the
    user's own type and constraints (``REFERENCES tenants(id) ON DELETE
    CASCADE``...). It may not end the statement or hide text in a comment, so it
    can only ever define one column.

    Raises:
        ConfigurationError: The definition is empty, too long, names an invalid
            column, or contains ``;``, a comment, or unbalanced parentheses or quotes.
    """
    if not isinstance(ddl, str) or not ddl.strip():
        raise ConfigurationError(f"owner_id_column={ddl!r}: expected a column definition")
    text = ddl.strip()
    if len(text) > _MAX_OWNER_DDL:
        raise ConfigurationError(f"owner_id_column is longer than {_MAX_OWNER_DDL} characters")
    name = text.split(None, 1)[0]
    validate_identifier(name, option="owner_id_column")
    if ";" in text or "--" in text or "/*" in text:
        raise ConfigurationError(
            f"owner_id_column={ddl!r} may not contain ';' or SQL comments: it defines one column"
        )
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
        if char == "," and depth == 0:
            raise ConfigurationError(
                f"owner_id_column={ddl!r}: a comma outside parentheses would add a second"
                " column or a table constraint; the option defines exactly one column"
            )
    if depth != 0 or text.count("'") % 2 or text.count('"') % 2:
        raise ConfigurationError(f"owner_id_column={ddl!r} has unbalanced parentheses or quotes")
    if name.lower() in _SESSION_COLUMNS:
        raise ConfigurationError(
            f"owner_id_column name {name!r} collides with a column of the sessions table"
        )
    return OwnerColumn(name, text)
