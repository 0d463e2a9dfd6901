"""Exit codes: each library error maps to one, in this one place.

=====  ==============================================================
code   meaning
=====  ==============================================================
0      success
1      ``check`` found problems, or another error
2      usage error: a bad option or argument value
3      the file is missing or is not a SQLite database
4      the file is not an adk-sqlite database (or a newer schema)
5      the database is locked by another writer
6      the database is read-only
7      no such session (or the id is ambiguous without --app/--user)
8      ``query`` refused a statement that would write
9      ``export``: the target differs from the source, or changed on its own
10     a module the command needs is not installed (the message says
       what to ``pip install``)
=====  ==============================================================
"""

from __future__ import annotations

from typing import NoReturn

import click

from adk_sqlite.errors import (
    AdkSqliteError,
    AmbiguousSessionError,
    ConfigurationError,
    DatabaseLockedError,
    DatabaseUnavailableError,
    ExportError,
    QueryRefusedError,
    ReadOnlyDatabaseError,
    SchemaError,
    SessionNotFoundError,
)

__all__ = [
    "EXIT_CODES",
    "EXIT_MISSING_DEPENDENCY",
    "EXIT_PROBLEMS_FOUND",
    "INSTALL_COMMANDS",
    "exit_code_for",
    "fail",
    "fail_missing_dependency",
    "install_command_for",
]

EXIT_PROBLEMS_FOUND = 1
EXIT_MISSING_DEPENDENCY = 10

# The modules a command may import only when it needs them: (what needs it, what to install).
INSTALL_COMMANDS: dict[str, tuple[str, str]] = {
    "asyncpg": ("PostgreSQL", 'pip install "adk-sqlite[postgres]"'),
    "sqlite_vec": ("vector search", 'pip install "adk-sqlite[vector]"'),
    "numpy": ("vector search", 'pip install "adk-sqlite[vector]"'),
    "jinja2": ("show --html", "pip install jinja2"),
    "markupsafe": ("show --html", "pip install jinja2"),
}

# Checked in order: the first matching class decides.
EXIT_CODES: tuple[tuple[type[AdkSqliteError], int], ...] = (
    (ConfigurationError, 2),
    (DatabaseUnavailableError, 3),
    (SchemaError, 4),
    (DatabaseLockedError, 5),
    (ReadOnlyDatabaseError, 6),
    (SessionNotFoundError, 7),
    (AmbiguousSessionError, 7),
    (QueryRefusedError, 8),
    (ExportError, 9),
)


def exit_code_for(error: AdkSqliteError) -> int:
    """The exit code a library error ends the command with."""
    for error_type, code in EXIT_CODES:
        if isinstance(error, error_type):
            return code
    return 1


def install_command_for(error: ImportError) -> tuple[str, str] | None:
    """(what needs it, what to install) when ``error`` is a known module missing; else None."""
    root = (error.name or "").partition(".")[0]
    return INSTALL_COMMANDS.get(root)


def fail_missing_dependency(error: ImportError, needed_for: str, install: str) -> NoReturn:
    """Prints the one line naming the missing module and the install command; exits 10."""
    module = (error.name or "?").partition(".")[0]
    click.echo(
        f"Error: {needed_for} needs the {module} module, which is not installed: {install}",
        err=True,
    )
    raise click.exceptions.Exit(EXIT_MISSING_DEPENDENCY)


def fail(error: AdkSqliteError) -> NoReturn:
    """Prints ``Error: <message>`` on stderr and exits with the error's code."""
    click.echo(f"Error: {error}", err=True)
    raise click.exceptions.Exit(exit_code_for(error))
