"""``skip_damaged_events`` lives in the service, so it holds over PostgreSQL too."""

from __future__ import annotations

import logging
import os
import pickle

import asyncpg
import pytest

from adk_sqlite import CorruptRecordError, SessionService
from support.damaged_events import (
    APP,
    DAMAGED_ID,
    EVENT_IDS,
    SESSION,
    USER,
    event,
    write_conversation,
)

_GOOD_IDS = [event_id for event_id in EVENT_IDS if event_id != DAMAGED_ID]
# content is a json column on PostgreSQL, so only damage that is still valid JSON can
# be stored there: a value that is not a Content, or an actions pickle that is refused.
_DAMAGES = {
    "not_a_content": ("UPDATE adk_events SET content = $1::json", '{"parts": 5}'),
    "refused_pickle": ("UPDATE adk_events SET actions = $1", pickle.dumps(os.system)),
}


@pytest.fixture(params=sorted(_DAMAGES))
async def damaged(request: pytest.FixtureRequest, dsn: str) -> str:
    from adk_sqlite.postgres import PostgresStore

    async with SessionService(PostgresStore(dsn)) as service:
        await write_conversation(service)
    update, value = _DAMAGES[request.param]
    connection = await asyncpg.connect(dsn)
    try:
        result = await connection.execute(
            f"{update} WHERE id = $2 AND session_id = $3", value, DAMAGED_ID, SESSION
        )
    finally:
        await connection.close()
    assert result == "UPDATE 1"
    return dsn


async def test_postgres_get_session_raises_by_default(damaged: str) -> None:
    from adk_sqlite.postgres import PostgresStore

    async with SessionService(PostgresStore(damaged)) as service:
        with pytest.raises(CorruptRecordError, match=DAMAGED_ID):
            await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)


async def test_postgres_skip_damaged_events_reads_logs_and_appends(
    damaged: str, caplog: pytest.LogCaptureFixture
) -> None:
    from adk_sqlite.postgres import PostgresStore

    async with SessionService(PostgresStore(damaged), skip_damaged_events=True) as service:
        with caplog.at_level(logging.WARNING, logger="adk_sqlite"):
            session = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)
        assert session is not None
        assert [e.id for e in session.events] == _GOOD_IDS
        [record] = [r for r in caplog.records if r.name.startswith("adk_sqlite")]
        assert repr(DAMAGED_ID) in record.getMessage()

        await service.append_event(session, event("e4", "after the damage", 1010.0))
        again = await service.get_session(app_name=APP, user_id=USER, session_id=SESSION)

    assert again is not None
    assert [e.id for e in again.events] == [*_GOOD_IDS, "e4"]
