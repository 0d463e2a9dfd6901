"""``python -m adk_sqlite``: the ``adk-sqlite`` command line, without the console script."""

from __future__ import annotations

from adk_sqlite.cli import main

if __name__ == "__main__":
    main(prog_name="adk-sqlite")
