"""Writes docs/images/session-view.png: the sample session's page in headless Chromium.

Run from the repository's root: ``.venv/bin/python tests/html/make_screenshot.py``.
The session is `support.session_pages`' (a real ADK Runner, a tool that raises,
state changes, artifacts and hostile text), written to a temporary file.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from playwright.sync_api import sync_playwright  # noqa: E402

from adk_sqlite import SqliteStore  # noqa: E402
from adk_sqlite.tools.html_view import write_session_html  # noqa: E402
from support.session_pages import SESSION, write_sample_session  # noqa: E402

TARGET = ROOT / "docs" / "images" / "session-view.png"


async def _write(path: Path) -> None:
    async with SqliteStore(path) as store:
        await write_sample_session(store)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "shop.db"
        asyncio.run(_write(database))
        page_path = write_session_html(database, SESSION, Path(folder) / "page.html")
        executable = shutil.which("chromium")
        if executable is None:
            raise SystemExit("no chromium on PATH: apt-get install chromium")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1200, "height": 1500})
            page.goto(page_path.as_uri())
            page.wait_for_selector("html[data-rendered=true]")
            TARGET.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(TARGET))
            browser.close()
    print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
