"""``adk-sqlite show``: one conversation as a readable timeline."""

from __future__ import annotations

import functools
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from adk_sqlite.cli._output import (
    app_option,
    compact_json,
    database_command,
    database_options,
    emit_json,
    local_time,
    local_zone,
    plural,
    print_result,
    printable,
    refuse_table_set_for_folder,
    shorten,
    timeline_time,
    user_option,
)
from adk_sqlite.cli._output import stdout_console as console
from adk_sqlite.cli.memory import show_memories
from adk_sqlite.tools.memories import list_memories
from adk_sqlite.tools.session_folder import is_session_folder
from adk_sqlite.tools.session_ids import resolve_session_id
from adk_sqlite.tools.timeline import Timeline, TimelineEvent
from adk_sqlite.tools.timeline_reader import timeline_reader

__all__ = ["command"]

# How much of a text, an argument list or a result the timeline shows without --full.
_TEXT_LIMIT = 300
_VALUE_LIMIT = 160


@database_command("show", "adk-sqlite show sessions.db 5f0c3e1a-7b2d-4c89-9e61-2a4b8d7f3c10 --full")
@click.argument("session_id", metavar="SESSION_ID")
@app_option("The session's app, if the id is reused.")
@user_option("The session's user, if the id is reused.")
@click.option("--full", is_flag=True, help="Show texts, arguments and results in full.")
@click.option(
    "--memories",
    is_flag=True,
    help="Instead of the timeline: the memories MemoryService indexed from this session.",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, writable=True),
    metavar="PATH",
    help="Instead of the timeline: write the session as one self-contained web page.",
)
@database_options(5.0)
def command(
    database: str,
    session_id: str,
    app_name: str | None,
    user_id: str | None,
    full: bool,
    memories: bool,
    html_path: str | None,
    table_set: str | None,
    busy_timeout: float,
    as_json: bool,
) -> None:
    """Show a session as a timeline.

    One row per event: its time (local), its author, and what happened: text
    (truncated unless --full), tool calls with their arguments, tool results,
    errors, state changes, agent transfers and the artifacts an event saved
    (name and version). The session's current state follows. --json always
    holds everything, untruncated. DB may be a folder of one file per
    session: the live session, else an archived one. SESSION_ID may be a
    unique prefix of the id.

    --memories lists instead the memories MemoryService indexed from the
    session, newest first (as adk-sqlite memory DB --app APP --user USER
    --session SESSION_ID, the session's app and user found for you).

    --html PATH writes instead one HTML page that opens offline: the timeline
    grouped by turn and agent, a waterfall of the tool calls with their
    durations, errors highlighted, state changes, artifacts and a search box.
    """
    if html_path is not None and memories:
        raise click.UsageError("--html and --memories cannot be combined")
    session_id = resolve_session_id(
        database, session_id, app_name=app_name, user_id=user_id, busy_timeout=busy_timeout
    )
    # DB may also be a folder of one file per session: live, else archived.
    if is_session_folder(database):
        refuse_table_set_for_folder(table_set)
    read = timeline_reader(database, busy_timeout=busy_timeout, table_set=table_set)
    timeline = read(session_id, app_name=app_name, user_id=user_id)
    if html_path is not None:
        _write_html(database, timeline, html_path, busy_timeout=busy_timeout, as_json=as_json)
        return
    if memories:
        found = list_memories(
            database,
            app_name=timeline.app_name,
            user_id=timeline.user_id,
            session_id=timeline.id,
            limit=None,
            busy_timeout=busy_timeout,
        )
        show_memories(found, as_json=as_json, text_limit=None if full else _TEXT_LIMIT)
        return
    render = functools.partial(
        _render,
        text_limit=None if full else _TEXT_LIMIT,
        value_limit=None if full else _VALUE_LIMIT,
    )
    print_result(timeline, as_json=as_json, render=render)


def _write_html(
    database: str, timeline: Timeline, path: str, *, busy_timeout: float, as_json: bool
) -> None:
    # Imported here: Jinja2 is loaded only by the command that writes a page.
    from adk_sqlite.tools.html_view import write_timeline_html

    try:
        written = write_timeline_html(database, timeline, path, busy_timeout=busy_timeout)
    except OSError as exc:
        raise click.FileError(path, hint=exc.strerror or str(exc)) from exc
    if as_json:
        emit_json({"html": str(written), "events": len(timeline.events)})
    else:
        console().print(
            Text(f"Wrote {printable(str(written))} ({plural(len(timeline.events), 'event')})"),
            soft_wrap=True,  # a path is never broken across lines
        )


def _render(timeline: Timeline, *, text_limit: int | None, value_limit: int | None) -> None:
    out = console()
    header = Text()
    header.append("Session ", style="bold").append(timeline.id)
    header.append(f"\napp {timeline.app_name!r}, user {timeline.user_id!r}, ")
    header.append(f"{plural(len(timeline.events), 'event')}, ")
    header.append(f"created {local_time(timeline.created)}, ")
    header.append(f"last update {local_time(timeline.last_update)} ({local_zone()})")
    out.print(header)
    table = Table(show_lines=True)
    table.add_column(f"Time ({local_zone()})", no_wrap=True)
    table.add_column("Author", no_wrap=True)
    table.add_column("Event", overflow="fold", ratio=1)
    previous = None
    for event in timeline.events:
        time, previous = timeline_time(event.time, previous), event.time
        table.add_row(
            time,
            Text(event.author),
            _describe(event, text_limit=text_limit, value_limit=value_limit),
        )
    out.print(table)
    state = Table(title="State", title_justify="left")
    state.add_column("Key", overflow="fold")
    state.add_column("Value", overflow="fold")
    for key, value in timeline.state.items():
        state.add_row(Text(key), Text(shorten(compact_json(value), value_limit)))
    out.print(state if timeline.state else Text("State: empty"))


def _describe(event: TimelineEvent, *, text_limit: int | None, value_limit: int | None) -> Text:
    lines: list[Text] = []
    for text in event.texts:
        lines.append(Text(shorten(text, text_limit)))
    for thought in event.thoughts:
        lines.append(Text(f"(thought) {shorten(thought, text_limit)}", style="dim"))
    for call in event.tool_calls:
        lines.append(
            Text(f"→ {call.name}({shorten(_arguments(call.args), value_limit)})", style="cyan")
        )
    for result in event.tool_results:
        failed = "error" in result.response
        lines.append(
            Text(
                f"{'✗' if failed else '←'} {result.name}: "
                f"{shorten(compact_json(result.response), value_limit)}",
                style="red" if failed else "green",
            )
        )
    lines += [Text(part, style="dim") for part in event.other_parts]
    if event.error is not None:
        detail = ": ".join(p for p in (event.error.code, event.error.message) if p)
        lines.append(Text(f"✗ error {detail}", style="bold red"))
    if event.state_delta:
        changes = ", ".join(f"{k}={compact_json(v)}" for k, v in event.state_delta.items())
        lines.append(Text(f"state: {shorten(changes, value_limit)}", style="yellow"))
    if event.transfer_to_agent is not None:
        lines.append(Text(f"⇒ transfer to {event.transfer_to_agent}", style="magenta"))
    if event.escalate:
        lines.append(Text("↑ escalate", style="magenta"))
    for name, version in event.artifacts.items():
        # Names are whatever a tool chose: escaped, so they cannot restyle the terminal.
        lines.append(Text(f"⇣ saved artifact {printable(name)} (version {version})", style="blue"))
    if event.problem is not None:
        lines.append(Text(f"! {event.problem}", style="bold red"))
    return Text("\n").join(lines) if lines else Text("(no content)", style="dim")


def _arguments(args: dict[str, Any]) -> str:
    return ", ".join(f"{name}={compact_json(value)}" for name, value in args.items())
