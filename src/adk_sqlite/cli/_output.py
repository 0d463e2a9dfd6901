"""How the commands print: rich tables for people, ``--json`` for programs.

``--json`` output is the library's result struct encoded as it is (times as
``{"unix": ..., "iso": ...}`` objects in UTC), so it is exactly as stable as the
documented structs. Human output shows times in local time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click
import msgspec
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from adk_sqlite.cli._errors import EXIT_PROBLEMS_FOUND
from adk_sqlite.cli._help import example
from adk_sqlite.timestamps import Instant

if TYPE_CHECKING:
    from adk_sqlite.tools.maintenance import ProgressCallback

__all__ = [
    "busy_timeout_option",
    "compact_json",
    "database_command",
    "database_options",
    "emit_json",
    "example",
    "human_bytes",
    "human_seconds",
    "id_column",
    "json_option",
    "limit_option",
    "local_time",
    "local_zone",
    "plural",
    "print_result",
    "print_table",
    "printable",
    "progress_bar",
    "refuse_table_set_for_folder",
    "shorten",
    "stdout_console",
    "table_name_option",
    "table_set_option",
    "timeline_time",
]

Result = TypeVar("Result")


def database_command(
    name: str, *examples: str, cls: type[click.Command] = click.Command
) -> Callable[[Callable[..., Any]], click.Command]:
    """``@click.command`` with its `example` epilog, taking the database (``DB``) first.

    Every command that reads or writes one database starts so; the arguments
    decorated below it follow ``DB``.
    """

    def make_command(function: Callable[..., Any]) -> click.Command:
        with_database = click.argument("database", metavar="DB")(function)
        return click.command(name, cls=cls, epilog=example(*examples))(with_database)

    return make_command


def json_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """The ``--json`` flag every command shares."""
    return click.option(
        "--json", "as_json", is_flag=True, help="Print the result as JSON (see docs/cli.md)."
    )(function)


def busy_timeout_option(default: float) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The ``--busy-timeout`` option every command shares (seconds to wait for a lock)."""
    return click.option(
        "--busy-timeout",
        type=click.FloatRange(min=0),
        default=default,
        show_default=True,
        metavar="SECONDS",
        help="How long to wait for a lock held by another connection (exit code 5 after).",
    )


table_set_option = click.option(
    "--table-set",
    metavar="NAME",
    help="For a file holding the tables of several stores: the sessions table of the one to"
    " use (default: the file's only one).",
)
"""``--table-set``: which store's tables, in a file that holds several."""


def database_options(busy_timeout: float) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--table-set``, ``--busy-timeout`` and ``--json``: every command that opens a database.

    Args:
        busy_timeout: The ``--busy-timeout`` default (longer for commands that write).
    """

    def add_options(function: Callable[..., Any]) -> Callable[..., Any]:
        # Applied innermost first, so --help lists them in this order.
        return table_set_option(busy_timeout_option(busy_timeout)(json_option(function)))

    return add_options


def limit_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--limit N`` for a listing for people: 50 by default, 0 for no limit."""
    return click.option(
        "--limit", type=click.IntRange(min=0), default=50, show_default=True, help=help
    )


def app_option(
    help: str, *, required: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--app APP``, passed as ``app_name``: the app a command is about."""
    return click.option("--app", "app_name", metavar="APP", required=required, help=help)


def user_option(
    help: str, *, required: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--user USER``, passed as ``user_id``: the user a command is about."""
    return click.option("--user", "user_id", metavar="USER", required=required, help=help)


def session_option(
    help: str, *, metavar: str = "SESSION"
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--session SESSION``, passed as ``session_id``: one session (or a prefix of its id)."""
    return click.option("--session", "session_id", metavar=metavar, help=help)


def table_name_option(flag: str, help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--X-table NAME``: the name of one table (passed as ``x_table``)."""
    return click.option(flag, metavar="NAME", help=help)


def refuse_table_set_for_folder(table_set: str | None) -> None:
    """A folder of session files has one table set: ``--table-set`` is for a file."""
    if table_set is not None:
        raise click.UsageError("--table-set applies to a database file, not a folder")


def plural(count: int, noun: str) -> str:
    """``plural(1, "session")`` -> ``"1 session"``; ``plural(2, ...)`` -> ``"2 sessions"``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def printable(value: object) -> str:
    """A value read from a database, safe to print: control and format characters escaped.

    Names and ids are data that whoever wrote the database chose: a newline, an ANSI
    escape sequence or a bidi override in one must not move the cursor, restyle or
    reorder the terminal. Each such character (every one `str.isprintable` refuses)
    is shown as its Python escape (``\\n``, ``\\x1b``, ``\\u202e``). Print the
    result as `rich.text.Text`, never as markup, so ``[bold]`` stays text.
    """
    text = value if isinstance(value, str) else repr(value)
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def timeline_time(moment: Instant, previous: Instant | None) -> str:
    """Local time to the millisecond; the date too when it differs from ``previous``'s."""
    local = datetime.fromtimestamp(moment.unix).astimezone()
    clock = local.strftime("%H:%M:%S.%f")[:-3]
    if previous is not None:
        before = datetime.fromtimestamp(previous.unix).astimezone()
        if before.date() == local.date():
            return clock
    return f"{local:%Y-%m-%d} {clock}"


# Wide enough for any table: what a table needs at least is measured against it.
_UNBOUNDED_WIDTH = 1_000_000


def id_column(table: Table, header: str) -> None:
    """Adds a column of session ids: never wrapped, never cut (see `print_table`)."""
    table.add_column(header, no_wrap=True, overflow="ignore")


def print_table(out: Console, table: Table) -> None:
    """Prints ``table`` at least as wide as its unwrappable columns need.

    On a narrow terminal (or ``COLUMNS=40`` in a pipe), rich would squeeze every
    column, cutting or folding even an `id_column`. Ids must stay whole, on
    one line, so that they can be copied and searched for: when they cannot,
    the table is printed at its natural width instead, every cell on one line
    (the terminal soft-wraps the lines; no newline ever splits an id, and a
    pipe gets whole rows).
    """
    measured = Measurement.get(out, out.options.update_width(_UNBOUNDED_WIDTH), table)
    if measured.minimum <= out.width:
        out.print(table)
        return
    width = out.width
    out.width = measured.maximum
    try:
        out.print(table)
    finally:
        out.width = width


def stdout_console() -> Console:
    """A console on the current stdout (looked up per call, so tests can capture it)."""
    return Console(highlight=False, soft_wrap=False)


def check_mark(ok: bool) -> Text:
    """The status cell of one row of a check report."""
    return Text("ok", style="green") if ok else Text("PROBLEM", style="bold red")


def print_result(result: Result, *, as_json: bool, render: Callable[[Result], None]) -> None:
    """Prints a command's result struct: as JSON with ``--json``, else as ``render`` shows it."""
    if as_json:
        emit_json(result)
    else:
        render(result)


def show_check_report(report: Any, *, as_json: bool, render: Callable[[Any], None]) -> None:
    """Prints a check report (JSON, or ``render``'s tables); exits 1 unless ``report.ok``."""
    print_result(report, as_json=as_json, render=render)
    if not report.ok:
        raise click.exceptions.Exit(EXIT_PROBLEMS_FOUND)


def emit_json(value: Any) -> None:
    """Prints ``value`` (a result struct) as indented JSON."""
    click.echo(msgspec.json.format(msgspec.json.encode(value), indent=2).decode())


def local_time(moment: Instant | None) -> str:
    """A moment in the local time zone, to the second, for people to read."""
    if moment is None:
        return "-"
    return datetime.fromtimestamp(moment.unix).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def local_zone() -> str:
    """The local time zone's abbreviation, for column titles."""
    return datetime.now().astimezone().strftime("%Z") or "local"


def shorten(text: str, limit: int | None) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis; None keeps it whole."""
    if limit is None or len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)] + "…"


def compact_json(value: Any) -> str:
    """One-line JSON for arguments, results and state values."""
    return msgspec.json.encode(value).decode()


def human_bytes(size: int) -> str:
    """``1536`` -> ``"1.5 KiB"``."""
    if size < 1024:
        return f"{size} B"
    units = ("KiB", "MiB", "GiB", "TiB")
    value, index = size / 1024, 0
    while value >= 1024 and index < len(units) - 1:
        value, index = value / 1024, index + 1
    return f"{value:.1f} {units[index]}"


def human_seconds(seconds: float | None) -> str:
    """A duration: ``"85 ms"``, ``"2.41 s"``, ``"-"`` when unknown."""
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


@contextlib.contextmanager
def progress_bar(description: str, *, enabled: bool = True) -> Iterator[ProgressCallback | None]:
    """A progress bar on stderr while long work runs; None when stderr is not a terminal."""
    console = Console(stderr=True)
    if not enabled or not console.is_terminal:
        yield None
        return
    # Only on a terminal: the bar's modules add to every command's start-up otherwise.
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update
