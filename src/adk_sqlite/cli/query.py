"""``adk-sqlite query``: read-only SQL, for the questions no command answers."""

from __future__ import annotations

import base64
import csv
import sys
from typing import Any

import click
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


@database_command(
    "query",
    "adk-sqlite query sessions.db "
    '"SELECT author, count(*) AS events FROM adk_events GROUP BY author" --csv',
    "adk-sqlite query sessions.db "
    '"SELECT id FROM adk_sessions WHERE app_name = ?" --param support --json',
    "adk-sqlite query agent-sessions/ "
    '"SELECT author, count(*) AS n FROM adk_events GROUP BY author" '
    '--combine "SELECT author, sum(n) FROM rows GROUP BY author"',
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
    table = Table()
    for column in result.columns:
        table.add_column(Text(column), overflow="fold")
    for row in result.rows:
        table.add_row(*(_text(value) for value in row))
    out.print(table)
    cut = " (cut at --limit)" if result.truncated else ""
    out.print(Text(plural(len(result.rows), "row") + cut))


def _text(value: Any) -> Text:
    if value is None:
        return Text("NULL", style="dim")
    if isinstance(value, bytes):
        return Text(f"<{len(value)} bytes>", style="dim")
    return Text(str(value))
