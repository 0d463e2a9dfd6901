"""Which artifacts table of a database file a tool works on.

A store creates its artifacts table on its first save, under the name it was given
(``artifact_table=``), and a file records no link between a table set and an
artifacts table; `adk_sqlite.sqlite.table_sets.artifact_tables_in` finds them by
their columns. A file usually holds none or one; one holding several (several
stores with their own ``artifact_table``) needs the caller to name the one to use.
"""

from __future__ import annotations

import sqlite3

from adk_sqlite.errors import ConfigurationError
from adk_sqlite.sqlite.table_sets import artifact_tables_in

__all__ = ["choose_artifact_table"]


def choose_artifact_table(
    connection: sqlite3.Connection,
    wanted: str | None,
    where: str,
    *,
    option: str = "--artifact-table NAME (artifact_table= in Python)",
) -> str | None:
    """``wanted`` if the file holds that artifacts table, else the only one, else None.

    Args:
        connection: An open connection to the file.
        wanted: The artifacts table asked for (``--artifact-table``), or None.
        where: The file, for messages.
        option: How the caller names the table, for the message that asks for it.

    Returns:
        The table's (validated) name, or None when the file holds no artifacts
        table (no artifact has been saved in it) and none was asked for.

    Raises:
        ConfigurationError: ``wanted`` is not an artifacts table of the file, or
            none was asked for and the file holds several (the message lists them).
    """
    found = artifact_tables_in(connection)
    if wanted is not None:
        match = next((name for name in found if name.lower() == wanted.lower()), None)
        if match is None:
            raise ConfigurationError(
                f"{where}: {wanted!r} is not an artifacts table of this file"
                f" (artifacts tables: {', '.join(found) or 'none'})"
            )
        return match
    if len(found) > 1:
        raise ConfigurationError(
            f"{where}: holds {len(found)} artifacts tables ({', '.join(found)}); choose one"
            f" with {option}"
        )
    return found[0] if found else None
