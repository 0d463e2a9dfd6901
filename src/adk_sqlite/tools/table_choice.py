"""Choosing which of a file's artifacts (or memories) tables a tool works on.

A store creates its artifacts or memories table under the name it was given
(``artifact_table=``, ``memory_table=``), and a file records no link between a table
set and those tables, so a file may hold none, one or several of each kind. A
`TableChooser` finds the file's tables of its kind and picks the one asked for (names
compare case-insensitively, as SQLite's do), else the only one.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from adk_sqlite.errors import ConfigurationError

__all__ = ["TableChooser", "table_named"]


def table_named(found: Sequence[str], wanted: str) -> str | None:
    """The table of ``found`` that ``wanted`` names (in any case), or None."""
    return next((name for name in found if name.lower() == wanted.lower()), None)


@dataclass(frozen=True, kw_only=True)
class TableChooser:
    """Chooses one table of a kind in a file (see `__call__`).

    Attributes:
        tables_in: Finds the file's tables of the kind (validated names).
        one: How a message names one table of the kind (``"an artifacts table"``).
        several: How a message names several (``"artifacts tables"``).
        option: How a caller names the table by default, for the message that asks
            for it (``"--artifact-table NAME (artifact_table= in Python)"``).
    """

    tables_in: Callable[[sqlite3.Connection], Sequence[str]]
    one: str
    several: str
    option: str

    def __call__(
        self,
        connection: sqlite3.Connection,
        wanted: str | None,
        where: str,
        *,
        option: str | None = None,
    ) -> str | None:
        """``wanted`` if the file holds that table, else the only one, else None.

        Args:
            connection: An open connection to the file.
            wanted: The table asked for (``--artifact-table``, say), or None.
            where: The file, for messages.
            option: How the caller names the table, for the message that asks for
                it (default: the chooser's).

        Returns:
            The table's (validated) name, or None when the file holds no table of
            the kind (its store never wrote one) and none was asked for.

        Raises:
            ConfigurationError: ``wanted`` is not a table of the kind in the file, or
                none was asked for and the file holds several (the message lists them).
        """
        found = self.tables_in(connection)
        if wanted is not None:
            match = table_named(found, wanted)
            if match is None:
                raise ConfigurationError(
                    f"{where}: {wanted!r} is not {self.one} of this file"
                    f" ({self.several}: {', '.join(found) or 'none'})"
                )
            return match
        if len(found) > 1:
            raise ConfigurationError(
                f"{where}: holds {len(found)} {self.several} ({', '.join(found)}); choose one"
                f" with {self.option if option is None else option}"
            )
        return found[0] if found else None
