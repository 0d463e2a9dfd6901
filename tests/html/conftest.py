"""Headless Chromium for the session page's tests, and the sample session's files.

The browser is the system's Chromium (Debian's ``chromium`` package, which
``.ci/run`` installs), driven by Playwright: Playwright's own browser download is
not used. Without Chromium or Playwright the browser tests are skipped with the
reason, unless ``ADK_SQLITE_REQUIRE_BROWSER=1`` (set by ``.ci/run``), which turns
the skip into a failure.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from adk_sqlite import SqliteStore
from support.session_pages import write_sample_session

REQUIRE_VARIABLE = "ADK_SQLITE_REQUIRE_BROWSER"
T = TypeVar("T")


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_VARIABLE) == "1":
        pytest.fail(f"{reason} ({REQUIRE_VARIABLE}=1)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium from the system's packages, for one test module.

    Not for the whole run: while it is open, Playwright's sync API keeps an event
    loop running in the main thread, where other modules' `asyncio.run` would fail.
    """
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        _unavailable("no chromium on PATH: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium refuses its sandbox.
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class OpenedPage:
    """A page loaded from a file, with what it said on its console and the dialogs it opened."""

    page: Any
    console: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture
def open_page(browser: Any) -> Iterator[Any]:
    """Opens an HTML file (file://) and waits for the page's first rows."""
    contexts: list[Any] = []

    def open_file(
        path: Path, *, width: int = 1280, height: int = 900, enforce_csp: bool = False
    ) -> OpenedPage:
        # The page's Content-Security-Policy is bypassed unless asked for: the
        # hostile-content tests prove the escaping alone keeps text inert, and
        # Playwright's wait_for_function needs eval, which the policy forbids.
        context = browser.new_context(
            viewport={"width": width, "height": height}, bypass_csp=not enforce_csp
        )
        contexts.append(context)
        page = context.new_page()
        opened = OpenedPage(page)
        page.on("console", lambda m: opened.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: opened.console.append(f"pageerror: {e}"))
        page.on("dialog", lambda d: (opened.dialogs.append(d.message), d.dismiss()))
        page.on(
            "request",
            lambda r: (
                None
                if r.url.startswith(("file:", "data:"))
                else opened.console.append(f"request: {r.url}")
            ),
        )
        page.goto(path.resolve().as_uri())
        page.wait_for_selector("html[data-rendered=true]", timeout=30_000)
        return opened

    yield open_file
    for context in contexts:
        context.close()


async def _write(store: SqliteStore | Any) -> None:
    async with store:
        await write_sample_session(store)


def run_outside_the_browser_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Runs ``coroutine`` to completion in a thread of its own.

    Playwright's sync API keeps an event loop running in this thread while the
    browser is open, where `asyncio.run` refuses to start another.
    """
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A shared database file holding the sample session; never modify it."""
    path = tmp_path_factory.mktemp("sample") / "shop.db"
    run_outside_the_browser_loop(_write(SqliteStore(path)))
    return path


@pytest.fixture(scope="session")
def sample_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of one file per session holding the sample session; never modify it."""
    folder = tmp_path_factory.mktemp("sample-folder") / "sessions"
    run_outside_the_browser_loop(_write(SqliteStore.per_session_files(folder)))
    return folder
