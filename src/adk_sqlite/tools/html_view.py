"""One session as a self-contained web page: timeline, tool waterfall, state and artifacts.

`write_session_html` reads a session as `read_timeline` does (a database file or a
folder of one file per session), lists its artifacts, and writes one HTML file
that needs no network to open: the style and the script are inline, and a
Content-Security-Policy lets nothing else load or run::

    from adk_sqlite.tools.html_view import write_session_html

    write_session_html("sessions.db", "ticket-42", "ticket-42.html")

Event text is untrusted. The page is rendered by Jinja2 with autoescaping; the
events go in as JSON inside a ``<script type="application/json">`` block, with
``<``, ``>``, ``&``, U+2028 and U+2029 written as ``\\uXXXX`` (and every other
non-ASCII character too), so no text can close the block; the page's script
builds rows from that JSON with ``textContent`` only. Rows are built as they
scroll into view, so a session of 10,000 events opens at once.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from adk_sqlite.errors import AdkSqliteError
from adk_sqlite.tools.artifacts import ArtifactSummary, list_artifacts
from adk_sqlite.tools.timeline import Timeline, TimelineEvent
from adk_sqlite.tools.timeline_reader import timeline_reader
from adk_sqlite.tools.tool_waterfall import tool_spans

__all__ = ["embedded_json", "render_session_html", "write_session_html", "write_timeline_html"]

_TEMPLATES = "templates"
_PAGE = "session_view.html.j2"
# Characters that could end the JSON block or an HTML comment, or that older
# JavaScript parsers take as line ends, written as JSON escapes instead.
_JSON_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def write_session_html(
    database: str | os.PathLike[str],
    session_id: str,
    path: str | os.PathLike[str],
    *,
    app_name: str | None = None,
    user_id: str | None = None,
    busy_timeout: float = 5.0,
    table_set: str | None = None,
) -> Path:
    """Writes one session as a self-contained HTML page.

    `write_timeline_html` with the timeline `timeline_reader` reads, as
    ``adk-sqlite show --html`` does.

    Args:
        database: The database file (or a ``sqlite:///`` URL), or a folder of one
            file per session (the live session, else an archived one).
        session_id: The session's id.
        path: The HTML file to write (replaced if it exists).
        app_name: Its app; needed only when the id exists in several apps.
        user_id: Its user; needed only when the id exists for several users.
        busy_timeout: Seconds to wait for a lock held by another connection.
        table_set: For a file of several stores' tables, the sessions table of
            the one to read (not for a folder).

    Returns:
        The path written.

    Raises:
        SessionNotFoundError: No such session.
        AmbiguousSessionError: The id names sessions of several apps or users.
        DatabaseUnavailableError: The file is missing or not a database.
        SchemaError: It is not an adk-sqlite database.
    """
    read = timeline_reader(database, busy_timeout=busy_timeout, table_set=table_set)
    timeline = read(session_id, app_name=app_name, user_id=user_id)
    return write_timeline_html(database, timeline, path, busy_timeout=busy_timeout)


def write_timeline_html(
    database: str | os.PathLike[str],
    timeline: Timeline,
    path: str | os.PathLike[str],
    *,
    busy_timeout: float = 5.0,
) -> Path:
    """`write_session_html` for a timeline already read from ``database``.

    The artifacts listed are read from ``database``: the session's own and its
    user's (``user:``) ones, if the store keeps artifacts there.
    """
    artifacts = _session_artifacts(database, timeline, busy_timeout)
    target = Path(path)
    target.write_text(render_session_html(timeline, artifacts), encoding="utf-8")
    return target


def render_session_html(timeline: Timeline, artifacts: Sequence[ArtifactSummary] = ()) -> str:
    """The page for a timeline already read, and the artifacts to list on it."""
    script = _asset("session_view.js")
    style = _asset("session_view.css")
    page = _environment().get_template(_PAGE)
    # Markup: the three are written for where they go (JSON escaped for a script
    # element, and this package's own style and script); everything else is escaped.
    return page.render(
        session=timeline,
        data=Markup(embedded_json(_page_data(timeline, list(artifacts)))),
        script=Markup(script),
        style=Markup(style),
        script_hash=_csp_hash(script),
        style_hash=_csp_hash(style),
    )


def embedded_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element of an HTML page.

    ASCII only (``ensure_ascii``, which also escapes U+2028, U+2029 and lone
    surrogates), with ``<``, ``>`` and ``&`` escaped, so that neither
    ``</script>`` nor ``<!--`` can appear in it.
    """
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"), default=repr)
    return text.translate(_JSON_ESCAPES)


def _session_artifacts(
    database: str | os.PathLike[str], timeline: Timeline, busy_timeout: float
) -> list[ArtifactSummary]:
    """The session's own artifacts and its user's, if the store keeps any here."""
    try:
        found = list_artifacts(
            database,
            app_name=timeline.app_name,
            user_id=timeline.user_id,
            busy_timeout=busy_timeout,
        )
    except AdkSqliteError:
        # Artifacts are an extra on this page: a file without their tables, or
        # one that cannot be listed, still shows its conversation.
        return []
    return [a for a in found.artifacts if a.session_id in (None, timeline.id)]


def _page_data(timeline: Timeline, artifacts: list[ArtifactSummary]) -> dict[str, Any]:
    return {
        "session": {
            "id": timeline.id,
            "app": timeline.app_name,
            "user": timeline.user_id,
            "created": timeline.created.unix,
            "updated": timeline.last_update.unix,
            "state": timeline.state,
        },
        "events": [_event_data(event) for event in timeline.events],
        "tools": [span.as_data() for span in tool_spans(timeline.events)],
        "artifacts": [
            {
                "name": a.filename,
                "scope": a.scope,
                "versions": a.versions,
                "latest": a.latest_version,
                "size": a.latest_size,
                "mime": a.mime_type,
                "saved": a.last_saved.unix,
            }
            for a in artifacts
        ],
    }


def _event_data(event: TimelineEvent) -> dict[str, Any]:
    data: dict[str, Any] = {
        "seq": event.seq,
        "id": event.id,
        "inv": event.invocation_id,
        "author": event.author,
        "t": event.time.unix,
    }
    optional = {
        "branch": event.branch,
        "texts": event.texts,
        "thoughts": event.thoughts,
        "calls": [{"id": c.id, "name": c.name, "args": c.args} for c in event.tool_calls],
        "results": [
            {"id": r.id, "name": r.name, "response": r.response, "failed": "error" in r.response}
            for r in event.tool_results
        ],
        "other": event.other_parts,
        "error": None
        if event.error is None
        else {"code": event.error.code, "message": event.error.message},
        "state": event.state_delta,
        "transfer": event.transfer_to_agent,
        "escalate": event.escalate,
        "artifacts": event.artifacts,
        "problem": event.problem,
    }
    # Empty fields are left out: a 10,000-event page stays small.
    data.update((key, value) for key, value in optional.items() if value)
    return data


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("adk_sqlite.tools", _TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def _asset(name: str) -> str:
    # Pasted verbatim into a <script> or <style> element: a test checks it holds no "</".
    return resources.files("adk_sqlite.tools").joinpath(_TEMPLATES, name).read_text("utf-8")


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")
