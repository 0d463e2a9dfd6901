"""``adk-sqlite artifacts``: the artifacts a database holds, and one version's content."""

from __future__ import annotations

from typing import NoReturn

import click
from rich.table import Table
from rich.text import Text

from adk_sqlite.cli._output import (
    app_option,
    busy_timeout_option,
    database_command,
    emit_json,
    human_bytes,
    id_column,
    json_option,
    local_time,
    local_zone,
    plural,
    print_result,
    print_table,
    printable,
    session_option,
    table_name_option,
    user_option,
)
from adk_sqlite.cli._output import stdout_console as console
from adk_sqlite.tools.artifacts import (
    ArtifactContent,
    ArtifactList,
    list_artifacts,
    read_artifact,
    write_artifact_content,
)
from adk_sqlite.tools.session_ids import resolve_session_id

__all__ = ["command"]

# A missing artifact ends the command as a missing session does (docs/cli.md).
EXIT_NOT_FOUND = 7
_STDOUT = "-"


@database_command(
    "artifacts",
    "adk-sqlite artifacts agent.db --app reports --user ada",
    "adk-sqlite artifacts agent.db report.md --app reports --user ada --session s1 -o report.md",
    "adk-sqlite artifacts agent-sessions/ user:profile.txt --app reports --user ada -o -",
)
@click.argument("filename", metavar="[NAME]", required=False)
@app_option("Only this app's artifacts (NAME: its app).")
@user_option("Only this user's (NAME: its user).")
@session_option(
    "Only this session's own artifacts (NAME: its session; not for user: names);"
    " a unique prefix of its id will do.",
)
@click.option(
    "--version",
    type=click.IntRange(min=0),
    metavar="N",
    help="With NAME: this version (default: the newest).",
)
@click.option(
    "--output",
    "-o",
    metavar="FILE",
    help="With NAME: write the content to FILE (- for stdout): bytes as stored, text in UTF-8.",
)
@click.option("--force", is_flag=True, help="With --output: replace FILE if it exists.")
@table_name_option(
    "--artifact-table", "For a file whose stores used several artifacts tables: only this one."
)
@busy_timeout_option(5.0)
@json_option
def command(
    database: str,
    filename: str | None,
    app_name: str | None,
    user_id: str | None,
    session_id: str | None,
    version: int | None,
    output: str | None,
    force: bool,
    artifact_table: str | None,
    busy_timeout: float,
    as_json: bool,
) -> None:
    """List the artifacts a database holds, or write one version's content out.

    Without NAME: one row per artifact name (what ADK's ArtifactService saved):
    app, user, session (user-scoped user: names have none), versions, the
    newest version's number, size and mime type, all versions' bytes, and the
    last save (local time). Names are printed with control characters escaped;
    --json gives them exactly.

    With NAME, --app, --user and (unless NAME starts with user:) --session:
    writes that artifact's newest version, or --version N, to --output FILE,
    or to stdout with -o -. An existing FILE is left alone unless --force. A
    missing artifact exits with code 7.

    DB may be a folder of one file per session: a session's artifacts are in
    its file, user: ones (and those of sessions that do not exist) in
    catalog.db.
    """
    if session_id is not None:
        session_id = resolve_session_id(
            database, session_id, app_name=app_name, user_id=user_id, busy_timeout=busy_timeout
        )
    if filename is None:
        for given, option in ((version, "--version"), (output, "--output"), (force, "--force")):
            if given not in (None, False):
                raise click.UsageError(f"{option} goes with NAME (one artifact)")
        listing = list_artifacts(
            database,
            app_name=app_name,
            user_id=user_id,
            session_id=session_id,
            artifact_table=artifact_table,
            busy_timeout=busy_timeout,
        )
        print_result(listing, as_json=as_json, render=_render)
        return
    if app_name is None or user_id is None:
        raise click.UsageError("NAME needs --app and --user (and --session for a session's own)")
    if output is None:
        raise click.UsageError("NAME needs --output FILE (or -o - for stdout)")
    if output == _STDOUT and as_json:
        raise click.UsageError("--json prints on stdout, where -o - writes the content")
    if output == _STDOUT and force:
        raise click.UsageError("--force goes with --output FILE")
    content = read_artifact(
        database,
        app_name=app_name,
        user_id=user_id,
        session_id=session_id,
        filename=filename,
        version=version,
        artifact_table=artifact_table,
        busy_timeout=busy_timeout,
    )
    if content is None:
        _not_found(filename, version, app_name, user_id, session_id)
    if output == _STDOUT:
        click.echo(content.content_bytes(), nl=False)  # bytes: written as they are
        return
    written = write_artifact_content(content, output, overwrite=force)
    if as_json:
        emit_json(content.info)
    else:
        _render_written(content, written, output)


def _not_found(
    filename: str, version: int | None, app_name: str, user_id: str, session_id: str | None
) -> NoReturn:
    which = "" if version is None else f" version {version}"
    scope = "" if session_id is None else f", session {session_id!r}"
    click.echo(
        f"Error: no artifact {filename!r}{which} for app {app_name!r}, user {user_id!r}{scope}",
        err=True,
    )
    raise click.exceptions.Exit(EXIT_NOT_FOUND)


def _render_written(content: ArtifactContent, written: int, output: str) -> None:
    info = content.info
    described = [printable(info.mime_type)] if info.mime_type is not None else []
    if info.kind == "text":
        described.append("text in UTF-8")
    message = Text(f"Wrote {plural(written, 'byte')}")
    if described:
        message.append(f" ({', '.join(described)})")
    message.append(f", version {info.version} of ")
    message.append(printable(info.filename), style="bold")
    message.append(f", to {printable(output)}")
    console().print(message)


def _render(listing: ArtifactList) -> None:
    out = console()
    artifacts = listing.artifacts
    if not artifacts:
        out.print("No artifacts match.")
        return
    versions = sum(artifact.versions for artifact in artifacts)
    stored = sum(artifact.total_bytes for artifact in artifacts)
    table = Table(
        caption=f"{plural(len(artifacts), 'artifact')}, {plural(versions, 'version')},"
        f" {human_bytes(stored)}"
    )
    several_tables = len({artifact.table for artifact in artifacts}) > 1
    table.add_column(f"Last saved ({local_zone()})", no_wrap=True)
    for name in ("App", "User", "Session", "Name"):
        if name == "Session":
            id_column(table, name)
        else:
            table.add_column(name, overflow="fold")
    table.add_column("Versions", justify="right", no_wrap=True)
    table.add_column("Latest", justify="right", no_wrap=True)
    table.add_column("Total", justify="right", no_wrap=True)
    table.add_column("Type", overflow="fold")
    if several_tables:
        table.add_column("Table")
    for artifact in artifacts:
        session = (
            Text("(user)", style="dim")
            if artifact.session_id is None
            else Text(printable(artifact.session_id))
        )
        row: list[str | Text] = [
            local_time(artifact.last_saved),
            Text(printable(artifact.app_name)),
            Text(printable(artifact.user_id)),
            session,
            Text(printable(artifact.filename)),
            str(artifact.versions),
            f"v{artifact.latest_version}, {human_bytes(artifact.latest_size)}",
            human_bytes(artifact.total_bytes),
            Text("-" if artifact.mime_type is None else printable(artifact.mime_type)),
        ]
        if several_tables:
            row.append(Text(artifact.table))
        table.add_row(*row)
    print_table(out, table)
