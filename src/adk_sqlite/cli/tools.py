"""``adk-sqlite tools``: the audit trail of tool calls, and figures per tool."""

from __future__ import annotations

import functools
from collections.abc import Callable

import click
from rich.table import Table
from rich.text import Text

from adk_sqlite.cli._output import (
    app_option,
    compact_json,
    database_command,
    database_options,
    human_seconds,
    id_column,
    limit_option,
    local_time,
    local_zone,
    print_result,
    print_table,
    refuse_table_set_for_folder,
    session_option,
    shorten,
)
from adk_sqlite.cli._output import stdout_console as console
from adk_sqlite.tools.folder_figures import audit_folder_tool_calls
from adk_sqlite.tools.session_folder import is_session_folder
from adk_sqlite.tools.session_ids import resolve_session_id
from adk_sqlite.tools.tool_audit import ToolAudit, audit_tool_calls

__all__ = ["command"]

_VALUE_LIMIT = 80


@database_command(
    "tools",
    "adk-sqlite tools sessions.db --tool lookup_order --errors",
    "adk-sqlite tools agent-sessions/ --session 5f0c",
)
@session_option(
    metavar="ID",
    help="Only calls made in this session (or a unique prefix of its id).",
)
@app_option("Only calls made in this app.")
@click.option("--tool", metavar="NAME", help="Only calls of this tool.")
@click.option("--errors", "errors_only", is_flag=True, help="List only calls that failed.")
@limit_option("List at most this many calls (the newest); 0 lists all. --json lists all.")
@database_options(5.0)
def command(
    database: str,
    session_id: str | None,
    app_name: str | None,
    tool: str | None,
    errors_only: bool,
    limit: int,
    table_set: str | None,
    busy_timeout: float,
    as_json: bool,
) -> None:
    """Audit tool calls across all sessions.

    Every call with its arguments, its result or error, and the time from call
    to response (from event timestamps); then, per tool: calls, errors, error
    rate, calls without a response, and p50/p95 durations. A call failed when
    its response has an "error" key, the response event has an error code, or
    the tool raised (ADK then records an error event with the exception's
    class and message, and no response). --session takes a unique prefix of
    the id.

    DB may be a folder of one file per session: the calls of every live
    session's file, audited together.
    """
    folder = is_session_folder(database)
    if folder:
        refuse_table_set_for_folder(table_set)
    if session_id is not None:
        session_id = resolve_session_id(
            database, session_id, app_name=app_name, table_set=table_set, busy_timeout=busy_timeout
        )
    # A folder has no table sets (refused above): only a file's audit takes one.
    audit_calls: Callable[..., ToolAudit] = (
        audit_folder_tool_calls
        if folder
        else functools.partial(audit_tool_calls, table_set=table_set)
    )
    audit = audit_calls(
        database,
        session_id=session_id,
        app_name=app_name,
        tool=tool,
        errors_only=errors_only,
        busy_timeout=busy_timeout,
    )
    print_result(audit, as_json=as_json, render=functools.partial(_render, limit=limit or None))


def _render(audit: ToolAudit, limit: int | None) -> None:
    out = console()
    if not audit.tools:
        out.print("No tool calls match.")
        return
    shown = audit.calls if limit is None else audit.calls[-limit:]
    calls = Table(
        title="Tool calls",
        title_justify="left",
        caption=(
            f"the newest {len(shown)} of {len(audit.calls)} calls (--limit 0 lists all)"
            if len(shown) < len(audit.calls)
            else None
        ),
    )
    calls.add_column(f"Called ({local_zone()})", no_wrap=True)
    id_column(calls, "Session")
    calls.add_column("Tool")
    calls.add_column("Arguments", overflow="fold")
    calls.add_column("Result or error", overflow="fold")
    calls.add_column("Took", justify="right", no_wrap=True)
    for call in shown:
        if call.status == "error":
            outcome = Text(f"✗ {shorten(call.error or '', _VALUE_LIMIT)}", style="red")
        elif call.status == "no_response":
            outcome = Text("no response", style="yellow")
        else:
            outcome = Text(shorten(compact_json(call.response), _VALUE_LIMIT))
        calls.add_row(
            local_time(call.called_at),
            Text(call.session_id),
            Text(call.tool),
            Text(shorten(compact_json(call.args), _VALUE_LIMIT)),
            outcome,
            human_seconds(call.duration_seconds),
        )
    if shown:
        print_table(out, calls)
    else:
        out.print(Text("No calls failed."))
    summary = Table(title="Per tool", title_justify="left")
    for name in ("Tool", "Calls", "Errors", "Error rate", "No response", "p50", "p95"):
        summary.add_column(name, justify="left" if name == "Tool" else "right")
    for stats in audit.tools:
        summary.add_row(
            Text(stats.tool),
            str(stats.calls),
            str(stats.errors),
            f"{stats.error_rate:.0%}",
            str(stats.no_response),
            human_seconds(stats.p50_seconds),
            human_seconds(stats.p95_seconds),
        )
    out.print(summary)
