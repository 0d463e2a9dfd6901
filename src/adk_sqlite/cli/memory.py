"""``adk-sqlite memory``: a user's memories, newest first, or a search of them."""

from __future__ import annotations

import functools
from typing import NoReturn

import click
from rich.table import Table
from rich.text import Text

from adk_sqlite.cli._output import (
    app_option,
    busy_timeout_option,
    database_command,
    id_column,
    json_option,
    limit_option,
    local_time,
    local_zone,
    print_result,
    print_table,
    printable,
    session_option,
    shorten,
    table_name_option,
    user_option,
)
from adk_sqlite.cli._output import stdout_console as console
from adk_sqlite.tools.memories import MemoryList, list_memories, search_memories
from adk_sqlite.tools.session_ids import resolve_session_id

__all__ = ["EXIT_NO_MEMORIES", "command", "render_memories", "show_memories"]

# A database without memories ends the command as a missing session does (docs/cli.md).
EXIT_NO_MEMORIES = 7
_TEXT_LIMIT = 200


@database_command(
    "memory",
    "adk-sqlite memory agent.db --app support --user ada",
    'adk-sqlite memory agent.db "refund policy" --app support --user ada --limit 5',
    "adk-sqlite memory agent-sessions/ --app support --user ada --session s1 --json",
)
@click.argument("query", metavar="[QUERY]", required=False)
@app_option("The app.", required=True)
@user_option("The user.", required=True)
@session_option(
    "Without QUERY: only the memories of this session (or a unique prefix of its id).",
)
@limit_option("At most this many memories (0: all, when listing).")
@click.option("--full", is_flag=True, help="Show each memory's text in full.")
@table_name_option(
    "--memory-table", "For a file whose stores used several memories tables: the one to read."
)
@busy_timeout_option(5.0)
@json_option
def command(
    database: str,
    query: str | None,
    app_name: str,
    user_id: str,
    session_id: str | None,
    limit: int,
    full: bool,
    memory_table: str | None,
    busy_timeout: float,
    as_json: bool,
) -> None:
    """List a user's memories, newest first, or search them.

    Memories are what ADK's memory service (adk_sqlite.MemoryService) indexed:
    one per event with text. Without QUERY: the user's memories (or one
    session's, with --session), newest first. With QUERY: the memories a
    search finds, best first, ranked exactly as MemoryService.search_memory
    ranks them (most query words held, then the full-text rank, then newest).

    Each row: the memory's id (what delete_memory takes), its time (local),
    author, session and text (cut unless --full; control characters escaped).
    --json gives every field exactly. A database that holds no memories at
    all exits with code 7. DB may be a folder of one file per session: its
    memories are in catalog.db.
    """
    if query is not None:
        if session_id is not None:
            raise click.UsageError("--session goes without QUERY (a search covers the user)")
        if limit == 0:
            raise click.UsageError("a search needs --limit 1 or more")
        read = functools.partial(search_memories, query=query, limit=limit)
    else:
        if session_id is not None:
            session_id = resolve_session_id(
                database, session_id, app_name=app_name, user_id=user_id, busy_timeout=busy_timeout
            )
        read = functools.partial(list_memories, session_id=session_id, limit=limit or None)
    # A search and a listing read the same user's memories, from the same table.
    found = read(
        database,
        app_name=app_name,
        user_id=user_id,
        memory_table=memory_table,
        busy_timeout=busy_timeout,
    )
    show_memories(found, as_json=as_json, text_limit=None if full else _TEXT_LIMIT)


def show_memories(found: MemoryList, *, as_json: bool, text_limit: int | None) -> None:
    """Prints a listing or a search (JSON or a table); no memories table at all exits 7."""
    if found.memory_table is None:
        _no_memories(found.file)
    print_result(found, as_json=as_json, render=lambda result: render_memories(result, text_limit))


def _no_memories(file: str) -> NoReturn:
    click.echo(
        f"Error: {printable(file)} holds no memories (MemoryService has stored none in it)",
        err=True,
    )
    raise click.exceptions.Exit(EXIT_NO_MEMORIES)


def _memories(count: int) -> str:
    return f"{count} {'memory' if count == 1 else 'memories'}"


def render_memories(found: MemoryList, text_limit: int | None) -> None:
    """The table of a listing or a search."""
    out = console()
    memories = found.memories
    if not memories:
        out.print("No memories match.")
        return
    if found.query is None:
        caption = f"{len(memories)} of {_memories(found.total)}, newest first"
    else:
        caption = f"{_memories(len(memories))} found of {found.total}, best first"
    table = Table(caption=caption)
    table.add_column("Id", justify="right", no_wrap=True)
    table.add_column(f"Time ({local_zone()})", no_wrap=True)
    table.add_column("Author", overflow="fold")
    id_column(table, "Session")
    table.add_column("Text", overflow="fold", ratio=1)
    for memory in memories:
        session = (
            Text("(none)", style="dim")
            if memory.session_id is None
            else Text(printable(memory.session_id))
        )
        table.add_row(
            memory.id,
            local_time(memory.time),
            Text("-" if memory.author is None else printable(memory.author)),
            session,
            # Text written by users and models: on one line, escaped, never read as markup.
            Text(printable(shorten(" ".join(memory.text.split()), text_limit))),
        )
    print_table(out, table)
