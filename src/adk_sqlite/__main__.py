"""``python -m adk_sqlite``: the ``adk-sqlite`` command line, without the console script."""

from __future__ import annotations

from adk_sqlite.cli import run

if __name__ == "__main__":
    run(prog_name="adk-sqlite")
