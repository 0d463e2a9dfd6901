"""The ``adk-sqlite`` command line: read, audit, back up, prune, import and export sessions.

Each command is a thin shell over one public library function; this package
only parses options, renders results (rich tables, or ``--json``) and maps
errors to exit codes. ``import adk_sqlite`` never imports it (click and rich
load only when the command line runs).
"""

from __future__ import annotations

from adk_sqlite.cli._app import main, run

__all__ = ["main", "run"]
