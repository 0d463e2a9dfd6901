"""Paging while others write: a session that exists for the whole paging is seen once.

The guarantee (docs/pages.md): pages are in creation order, which appends never
change, so every session that exists from the first page request to the last
appears on exactly one page; one created or deleted meanwhile appears at most
once; no session appears twice.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions

from adk_sqlite import SessionService
from adk_sqlite.adk.session_pages import ListSessionsPage

from ._backends import LAYOUTS

APP = "busy"


async def test_pages_under_concurrent_writes_never_skip_or_repeat(
    layout: str, tmp_path: Path
) -> None:
    # The writer and the reader are two services over one store: every write
    # commits between the reader's page requests, as another client's would.
    async with LAYOUTS[layout](tmp_path, None) as store:
        reader, writer = SessionService(store), SessionService(store)
        rng = random.Random(16)
        stable = []
        for number in range(40):
            session = await writer.create_session(
                app_name=APP, user_id=f"u{number % 3}", session_id=f"stable{number:02d}"
            )
            stable.append(session)
        doomed = [
            await writer.create_session(app_name=APP, user_id="u0", session_id=f"doomed{n:02d}")
            for n in range(15)
        ]
        stop = asyncio.Event()
        counter = iter(range(10_000))

        async def write() -> None:
            while not stop.is_set():
                created = next(counter)
                action = rng.random()
                if action < 0.4:
                    # Appending moves the session's update time to now.
                    session = rng.choice(stable)
                    fresh = await writer.get_session(
                        app_name=APP, user_id=session.user_id, session_id=session.id
                    )
                    assert fresh is not None
                    await writer.append_event(
                        fresh,
                        Event(
                            author="user",
                            invocation_id="w",
                            actions=EventActions(state_delta={"n": created}),
                        ),
                    )
                elif action < 0.7:
                    await writer.create_session(
                        app_name=APP, user_id=f"u{created % 3}", session_id=f"new{created:03d}"
                    )
                elif doomed:
                    victim = doomed.pop(rng.randrange(len(doomed)))
                    await writer.delete_session(
                        app_name=APP, user_id=victim.user_id, session_id=victim.id
                    )
                await asyncio.sleep(0)

        for newest_first in (False, True):
            writing = asyncio.create_task(write())
            seen: list[str] = []
            token = None
            try:
                while True:
                    page = await reader.list_sessions(
                        app_name=APP, page_size=3, page_token=token, newest_first=newest_first
                    )
                    assert isinstance(page, ListSessionsPage)
                    seen.extend(session.id for session in page.sessions)
                    token = page.next_page_token
                    if token is None:
                        break
                    await asyncio.sleep(0.002)  # let the writer in between pages
            finally:
                stop.set()
                await writing
                stop.clear()
            assert next(counter) > 10, "the writer did not run between pages"
            assert len(seen) == len(set(seen)), "a session appeared twice"
            missing = {session.id for session in stable} - set(seen)
            assert not missing, f"sessions skipped: {sorted(missing)}"
