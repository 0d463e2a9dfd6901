"""The ``adk-sqlite`` command group and the registry of its commands.

To add a command, write a module in this package that defines a
``click.Command`` named ``command`` (over a public library function, with an
example in its epilog) and add a `CommandEntry` for it to `COMMANDS`.

The command line starts quickly because nothing is imported before it is
needed: ``--version`` and ``--help`` import click and none of the library, and a
command's module, with rich and the library code it runs, is imported only when
that command runs or its own ``--help`` is asked for.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Iterator, MutableMapping
from typing import Any, NamedTuple

import click

from adk_sqlite import __version__
from adk_sqlite.cli._help import example

__all__ = ["COMMANDS", "CommandEntry", "LazyCommands", "main", "run"]


class CommandEntry(NamedTuple):
    """A command of the group, known without importing its module.

    ``module`` (in this package) defines the command as ``command``; ``summary``
    is what ``adk-sqlite --help`` lists: the first sentence of the command's own
    help (a test checks that the two agree).
    """

    name: str
    module: str
    summary: str


# The order here is the order `adk-sqlite --help` lists the commands in.
COMMANDS: tuple[CommandEntry, ...] = (
    CommandEntry("sessions", "sessions", "List sessions, most recently active first."),
    CommandEntry("show", "show", "Show a session as a timeline."),
    CommandEntry("tools", "tools", "Audit tool calls across all sessions."),
    CommandEntry(
        "artifacts",
        "artifacts",
        "List the artifacts a database holds, or write one version's content out.",
    ),
    CommandEntry("memory", "memory", "List a user's memories, newest first, or search them."),
    CommandEntry("stats", "stats", "Show figures about a database."),
    CommandEntry("query", "query", "Run one read-only SQL statement."),
    CommandEntry("check", "check", "Check a database and exit 1 if anything is wrong."),
    CommandEntry("backup", "backup", "Copy a database while agents keep writing to it."),
    CommandEntry("prune", "prune", "Delete idle sessions, old events or compacted events."),
    CommandEntry(
        "forget", "forget", "Erase everything a database holds about one user of one app."
    ),
    CommandEntry(
        "import",
        "import_sessions",
        "Import sessions, artifacts or memories from google-adk's own stores.",
    ),
    CommandEntry(
        "export",
        "export",
        "Copy sessions, events, app:/user: state, artifacts and memories into PostgreSQL.",
    ),
)


class LazyCommands(MutableMapping[str, click.Command]):
    """The group's commands by name, in registration order.

    Listing the names or their summaries imports nothing; looking a command up
    imports its module (once).
    """

    def __init__(self, entries: tuple[CommandEntry, ...]) -> None:
        self._entries = {entry.name: entry for entry in entries}
        self._commands: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        command = self._commands.get(name)
        if command is None:
            entry = self._entries[name]
            module = importlib.import_module(f"{__package__}.{entry.module}")
            command = self._commands[name] = module.command
        return command

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._commands[name] = command

    def __delitem__(self, name: str) -> None:
        if name not in self:
            raise KeyError(name)
        self._entries.pop(name, None)
        self._commands.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        yield from self._entries
        yield from (name for name in self._commands if name not in self._entries)

    def __len__(self) -> int:
        return len(self._entries.keys() | self._commands.keys())

    def __contains__(self, name: object) -> bool:
        return name in self._entries or name in self._commands

    def summary(self, name: str, limit: int) -> str:
        """What ``--help`` lists for a command, at most ``limit`` characters."""
        command = self._commands.get(name)
        if command is None:
            # Shortened exactly as click shortens a loaded command's help.
            command = click.Command(name, help=self._entries[name].summary)
        return command.get_short_help_str(limit)


class _CommandGroup(click.Group):
    """Lists commands in registration order and turns library errors into exit codes.

    A module that a command imports only when it needs it (asyncpg for a
    ``postgresql://`` URL, Jinja2 for ``show --html``) and that is missing ends
    the command with one line naming the ``pip install`` command (exit code
    10), not a traceback. Any other ImportError is a bug and is raised.
    """

    commands: LazyCommands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list of commands and their summaries, without importing the commands."""
        names = self.list_commands(ctx)
        if not names:
            return
        # click's own layout: the summaries get the width the longest name leaves.
        limit = formatter.width - 6 - max(map(len, names))
        with formatter.section("Commands"):
            formatter.write_dl([(name, self.commands.summary(name, limit)) for name in names])

    def invoke(self, ctx: click.Context) -> Any:
        # Imported here, as every command needs them, but --version and --help do not.
        from adk_sqlite.cli._errors import fail, fail_missing_dependency, install_command_for
        from adk_sqlite.errors import AdkSqliteError

        try:
            return super().invoke(ctx)
        except AdkSqliteError as exc:
            fail(exc)
        except ImportError as exc:
            known = install_command_for(exc)
            if known is None:
                raise
            fail_missing_dependency(exc, *known)


@click.group(
    cls=_CommandGroup,
    commands=LazyCommands(COMMANDS),
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=example("adk-sqlite sessions sessions.db --app support"),
)
@click.version_option(__version__, prog_name="adk-sqlite")
def main() -> None:
    """Read, audit, back up, prune, import and export adk-sqlite session databases.

    DB is a database file (or a sqlite:/// URL; ?mode=ro is honoured). Reading
    commands open it read-only, so they are safe while agents are writing.
    """


def run(prog_name: str | None = None) -> None:
    """The ``adk-sqlite`` process: runs `main`, then exits without a final sweep of the heap.

    The process ends right after the command. Python's shutdown would first run
    full collections over every object still alive: after a command that
    decodes events, the hundred thousand objects the collector tracks for ADK's
    and google-genai's models, about 0.1 s of a 0.5 s ``check``. `gc.freeze`
    moves them out of the collector's reach, and the OS takes the memory back
    with the process.
    Only the command's own process does this (the console script and
    ``python -m adk_sqlite``): `main` called in another program leaves its
    collector alone. Exit handlers still run, so a store left open is still
    closed and checkpointed.
    """
    try:
        main(prog_name=prog_name)
    finally:
        gc.freeze()
