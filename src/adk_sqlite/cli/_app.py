"""The ``adk-sqlite`` command group and the registry of its commands.

To add a command, write a module in this package that defines a
``click.Command`` named ``command`` (over a public library function, with an
example in its epilog) and append the module to `COMMAND_MODULES`.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import click

from adk_sqlite import __version__
from adk_sqlite.cli import (
    artifacts,
    backup,
    check,
    export,
    forget,
    import_sessions,
    memory,
    prune,
    query,
    sessions,
    show,
    stats,
    tools,
)
from adk_sqlite.cli._errors import fail, fail_missing_dependency, install_command_for
from adk_sqlite.cli._output import example
from adk_sqlite.errors import AdkSqliteError

# The order here is the order `adk-sqlite --help` lists the commands in.
COMMAND_MODULES: tuple[ModuleType, ...] = (
    sessions,
    show,
    tools,
    artifacts,
    memory,
    stats,
    query,
    check,
    backup,
    prune,
    forget,
    import_sessions,
    export,
)


class _CommandGroup(click.Group):
    """Lists commands in registration order and turns library errors into exit codes.

    A module that a command imports only when it needs it (asyncpg for a
    ``postgresql://`` URL, Jinja2 for ``show --html``) and that is missing ends
    the command with one line naming the ``pip install`` command (exit code
    10), not a traceback. Any other ImportError is a bug and is raised.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)

    def invoke(self, ctx: click.Context) -> Any:
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
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog=example("adk-sqlite sessions sessions.db --app support"),
)
@click.version_option(__version__, prog_name="adk-sqlite")
def main() -> None:
    """Read, audit, back up, prune, import and export adk-sqlite session databases.

    DB is a database file (or a sqlite:/// URL; ?mode=ro is honoured). Reading
    commands open it read-only, so they are safe while agents are writing.
    """


for _module in COMMAND_MODULES:
    main.add_command(_module.command)
