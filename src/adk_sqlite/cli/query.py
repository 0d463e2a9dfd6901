"""``adk-sqlite query``: read-only SQL, for the questions no command answers."""

from __future__ import annotations

import base64
import csv
import sys
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from adk_sqlite.cli._output import (
    busy_timeout_option,
    database_command,
    emit_json,
    plural,
    progress_bar,
)
from adk_sqlite.cli._output import stdout_console as console
from adk_sqlite.tools.readonly_query import QueryResult, run_readonly_query
from adk_sqlite.tools.session_folder import is_session_folder, query_session_folder

__all__ = ["command"]

# Fewer characters than this per column and a table is unreadable: records instead.
_READABLE_WIDTH = 12


class _SqlCommand(click.Command):
    """Takes SQL that starts with a ``--`` comment as SQL, not as an unknown option.

    click reads every argument that starts with ``-`` as an option. One that
    starts with ``--``, holds whitespace (``-- events per author\nSELECT ...``)
    and does not name one of the command's options can only be SQL: it gets a
    leading space, which SQL ignores and click does not mistake for an option.
    An option's value (``--param``, ``--combine``) is never touched.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        names = {name for param in self.params for name in (*param.opts, *param.secondary_opts)}
        takes_value = {
            name
            for param in self.params
            if isinstance(param, click.Option) and not param.is_flag
            for name in param.opts
        }
        rewritten: list[str] = []
        value_next = False
        for position, arg in enumerate(args):
            if arg == "--":
                rewritten += args[position:]
                break
            if not value_next and _is_sql_comment(arg, names):
                arg = " " + arg
            value_next = arg in takes_value
            rewritten.append(arg)
        return super().parse_args(ctx, rewritten)


def _is_sql_comment(arg: str, option_names: set[str]) -> bool:
    name = arg.split("=", 1)[0]
    return arg.startswith("--") and name not in option_names and any(c.isspace() for c in arg)


@database_command(
    "query",
    "adk-sqlite query sessions.db "
    '"SELECT author, count(*) AS events FROM adk_events GROUP BY author" --csv',
    "adk-sqlite query sessions.db "
    '"SELECT id FROM adk_sessions WHERE app_name = ?" --param support --json',
    "adk-sqlite query agent-sessions/ "
    '"SELECT author, count(*) AS n FROM adk_events GROUP BY author" '
    '--combine "SELECT author, sum(n) FROM rows GROUP BY author"',
    "adk-sqlite query sessions.db $'-- events per author\\nSELECT author, count(*) FROM adk_events"
    " GROUP BY author'",
    cls=_SqlCommand,
)
@click.argument("sql", metavar="SQL")
@click.option(
    "--param",
    "-p",
    "parameters",
    multiple=True,
    metavar="VALUE",
    help="A value for the next ? placeholder (repeat for several).",
)
@click.option("--json", "as_json", is_flag=True, help="Print columns and rows as JSON.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV with a header row.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=None,
    help="Return at most this many rows.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Stop the query after this many seconds.",
)
@click.option(
    "--combine",
    metavar="SQL",
    help="With a folder: a second read-only statement over all the rows, as a table named rows.",
)
@click.option(
    "--archived",
    "include_archived",
    is_flag=True,
    help="With a folder: query the files in archive/ too.",
)
@busy_timeout_option(5.0)
def command(
    database: str,
    sql: str,
    parameters: tuple[str, ...],
    as_json: bool,
    as_csv: bool,
    limit: int | None,
    timeout: float | None,
    combine: str | None,
    include_archived: bool,
    busy_timeout: float,
) -> None:
    """Run one read-only SQL statement.

    The database is opened read-only (mode=ro and query_only) and an
    authorizer refuses anything but reading: INSERT, UPDATE, DELETE, DDL,
    ATTACH and pragmas that change settings fail with exit code 8 and nothing
    runs. BLOB values (the actions column) print as base64. The tables are
    described in docs/schema.md.

    DB may be a folder of one file per session: the statement then runs in
    every session file (read-only, the same guards) and each row starts with
    the session_file it came from; --combine aggregates across files.
    """
    if as_json and as_csv:
        raise click.UsageError("choose one of --json and --csv")
    if is_session_folder(database):
        with progress_bar("Querying session files", enabled=not as_json) as progress:
            result = query_session_folder(
                database,
                sql,
                parameters,
                combine=combine,
                include_archived=include_archived,
                max_rows=limit,
                timeout=timeout,
                busy_timeout=busy_timeout,
                progress=progress,
            )
    elif combine is not None or include_archived:
        raise click.UsageError("--combine and --archived need a folder of session files")
    else:
        result = run_readonly_query(
            database, sql, parameters, max_rows=limit, timeout=timeout, busy_timeout=busy_timeout
        )
    if as_json:
        emit_json(result)
    elif as_csv:
        _write_csv(result)
    else:
        _render(result)


def _cell(value: Any) -> Any:
    return base64.b64encode(value).decode() if isinstance(value, bytes) else value


def _write_csv(result: QueryResult) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(result.columns)
    writer.writerows([_cell(value) for value in row] for row in result.rows)


def _render(result: QueryResult) -> None:
    out = console()
    if not result.rows and not _fits_as_table(result, out.width):
        out.print(Text("columns: " + ", ".join(result.columns)))
    elif _fits_as_table(result, out.width):
        table = Table()
        for column in result.columns:
            table.add_column(Text(column), overflow="fold")
        for row in result.rows:
            table.add_row(*(_text(value) for value in row))
        out.print(table)
    else:
        _render_records(result, out)
    cut = " (cut at --limit)" if result.truncated else ""
    out.print(Text(plural(len(result.rows), "row") + cut))


def _fits_as_table(result: QueryResult, width: int) -> bool:
    """Whether a table leaves every column at least `_READABLE_WIDTH` (or its whole width).

    Past that, rich would squeeze the columns to a few characters each and
    fold every value down the screen; the rows are printed as records instead.
    """
    needed = 1 + 3 * len(result.columns)  # the borders and the padding around each cell
    for index, column in enumerate(result.columns):
        widest = max([len(column), *(len(_text(row[index]).plain) for row in result.rows)])
        needed += min(widest, _READABLE_WIDTH)
    return needed <= width


def _render_records(result: QueryResult, out: Console) -> None:
    """One record per row, one line per column (``name  value``), as psql's ``\\x`` does.

    Each value is printed on its line as it is, never folded by rich: an id
    stays whole for grep and copy, and the terminal wraps what is too long.
    """
    name_width = max(len(column) for column in result.columns)
    for number, row in enumerate(result.rows, start=1):
        out.print(Text(f"-[ row {number} ]" + "-" * max(name_width - 6, 4)))
        for column, value in zip(result.columns, row, strict=True):
            line = Text(column.ljust(name_width) + "  ", style="bold").append_text(_text(value))
            out.print(line, soft_wrap=True)


def _text(value: Any) -> Text:
    if value is None:
        return Text("NULL", style="dim")
    if isinstance(value, bytes):
        return Text(f"<{len(value)} bytes>", style="dim")
    return Text(str(value))
