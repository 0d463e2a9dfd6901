"""`ArtifactService` on `PostgresStore`: what the shared contract suite cannot show.

Version numbers taken by several pools and processes at once, the table (its name,
its columns, its creation on the first save, reads before it exists), and saves
that fail part way leaving the previous versions as they were.
"""

from __future__ import annotations

import asyncio
import json
import sys
import textwrap
from typing import Any

import asyncpg
import pytest
from google.adk.errors.input_validation_error import InputValidationError
from google.genai import types

from adk_sqlite import ArtifactService, PostgresStore
from adk_sqlite.artifact_records import ArtifactKey, ArtifactPayload
from adk_sqlite.errors import ConfigurationError, ConstraintError, UnencodableValueError

SCOPE = {"app_name": "app", "user_id": "u", "session_id": "s"}


async def _table_exists(sql: asyncpg.Connection, name: str) -> bool:
    return bool(await sql.fetchval("SELECT to_regclass(quote_ident($1)) IS NOT NULL", name))


def _text(value: str) -> types.Part:
    return types.Part(text=value)


# --- version numbers --------------------------------------------------------------------


async def test_concurrent_saves_from_two_stores_get_distinct_versions_and_lose_none(
    dsn: str,
) -> None:
    # Both stores start on an empty schema, so their first saves also race to create
    # the table.
    async with (
        PostgresStore(dsn, max_pool_size=5) as first,
        PostgresStore(dsn, max_pool_size=5) as second,
    ):
        services = [ArtifactService(first), ArtifactService(second)] * 20
        contents = [f"save {n}" for n in range(len(services))]

        versions = await asyncio.gather(
            *(
                service.save_artifact(**SCOPE, filename="doc", artifact=_text(content))
                for service, content in zip(services, contents, strict=True)
            )
        )

        assert sorted(versions) == list(range(40))
        reader = ArtifactService(second)
        assert await reader.list_versions(**SCOPE, filename="doc") == list(range(40))
        for version, content in zip(versions, contents, strict=True):
            loaded = await reader.load_artifact(**SCOPE, filename="doc", version=version)
            assert loaded == _text(content)


_SAVER = textwrap.dedent(
    """
    import asyncio, json, sys
    from google.genai import types
    from adk_sqlite import ArtifactService, PostgresStore

    async def main(dsn, name):
        async with PostgresStore(dsn, max_pool_size=4) as store:
            service = ArtifactService(store)
            await service.list_artifact_keys(app_name="app", user_id="u")  # pool open
            print("ready", flush=True)
            sys.stdin.readline()  # "go": every saver is connected by now
            versions = await asyncio.gather(*(
                service.save_artifact(
                    app_name="app", user_id="u", filename="user:shared",
                    artifact=types.Part(text=f"{name} {n}"),
                )
                for n in range(10)
            ))
            print(json.dumps(versions), flush=True)

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


async def test_saves_of_one_name_from_two_processes_get_consecutive_versions(dsn: str) -> None:
    savers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _SAVER,
            dsn,
            f"p{n}",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        for n in range(2)
    ]
    for saver in savers:
        assert saver.stdout is not None
        assert await asyncio.wait_for(saver.stdout.readline(), timeout=120) == b"ready\n"
    for saver in savers:
        assert saver.stdin is not None
        saver.stdin.write(b"go\n")
    outputs = [json.loads((await saver.communicate())[0]) for saver in savers]

    assert all(saver.returncode == 0 for saver in savers)
    assert sorted(outputs[0] + outputs[1]) == list(range(20))
    async with PostgresStore(dsn) as store:
        service = ArtifactService(store)
        for saver, versions in enumerate(outputs):
            for n, version in enumerate(versions):
                loaded = await service.load_artifact(
                    app_name="app", user_id="u", filename="user:shared", version=version
                )
                assert loaded == _text(f"p{saver} {n}")


async def test_after_a_delete_the_next_save_is_version_zero_again(dsn: str) -> None:
    async with PostgresStore(dsn) as store:
        service = ArtifactService(store)
        for content in ("a", "b"):
            await service.save_artifact(**SCOPE, filename="doc", artifact=_text(content))

        await service.delete_artifact(**SCOPE, filename="doc")

        assert await service.save_artifact(**SCOPE, filename="doc", artifact=_text("c")) == 0
        assert await service.list_versions(**SCOPE, filename="doc") == [0]


# --- saves that fail --------------------------------------------------------------------


class _NoJson:
    pass


@pytest.mark.parametrize(
    ("artifact", "custom_metadata", "error"),
    [
        pytest.param(_text("new"), {"bad": _NoJson()}, InputValidationError, id="metadata"),
        pytest.param(_text("x" * 101), None, InputValidationError, id="too-large"),
    ],
)
async def test_a_save_the_service_refuses_leaves_the_previous_version_unchanged(
    dsn: str, artifact: types.Part, custom_metadata: dict[str, Any] | None, error: type
) -> None:
    async with PostgresStore(dsn) as store:
        service = ArtifactService(store, max_artifact_size=100)
        await service.save_artifact(
            **SCOPE, filename="doc", artifact=_text("old"), custom_metadata={"v": 0}
        )
        before = await service.list_artifact_versions(**SCOPE, filename="doc")

        with pytest.raises(error):
            await service.save_artifact(
                **SCOPE, filename="doc", artifact=artifact, custom_metadata=custom_metadata
            )

        assert await service.load_artifact(**SCOPE, filename="doc") == _text("old")
        assert await service.list_artifact_versions(**SCOPE, filename="doc") == before


async def test_a_save_refused_inside_its_transaction_rolls_back_and_releases_the_name(
    dsn: str,
) -> None:
    key = ArtifactKey("app", "u", "s", "doc")
    async with PostgresStore(dsn) as store:
        service = ArtifactService(store)
        await service.save_artifact(**SCOPE, filename="doc", artifact=_text("old"))
        # A size no BIGINT holds: refused by the INSERT, after the name's lock is taken.
        unstorable = ArtifactPayload(
            part='{"text":"new"}',
            data=None,
            mime_type="text/plain",
            custom_metadata="{}",
            create_time=1.0,
            size=2**63,
        )

        with pytest.raises(ConstraintError):
            await store.save_artifact(key, unstorable)

        assert await service.load_artifact(**SCOPE, filename="doc") == _text("old")
        assert await service.list_versions(**SCOPE, filename="doc") == [0]
        # The lock went with the rollback: the next save neither waits nor skips a number.
        saved = service.save_artifact(**SCOPE, filename="doc", artifact=_text("next"))
        assert await asyncio.wait_for(saved, timeout=10) == 1


async def test_a_nul_in_the_mime_type_is_refused_before_anything_is_written(dsn: str) -> None:
    async with PostgresStore(dsn) as store:
        service = ArtifactService(store)
        await service.save_artifact(**SCOPE, filename="doc", artifact=_text("old"))

        with pytest.raises(UnencodableValueError, match="mime_type"):
            await service.save_artifact(
                **SCOPE,
                filename="doc",
                artifact=types.Part.from_bytes(data=b"x", mime_type="image/png\x00"),
            )

        assert await service.load_artifact(**SCOPE, filename="doc") == _text("old")
        assert await service.list_versions(**SCOPE, filename="doc") == [0]


# --- the table --------------------------------------------------------------------------


async def test_reads_before_the_first_save_find_nothing_and_create_no_table(
    dsn: str, sql: asyncpg.Connection
) -> None:
    async with PostgresStore(dsn) as store:
        service = ArtifactService(store)

        assert await service.load_artifact(**SCOPE, filename="doc") is None
        assert await service.list_artifact_keys(**SCOPE) == []
        assert await service.list_versions(**SCOPE, filename="doc") == []
        await service.delete_artifact(**SCOPE, filename="doc")

    assert not await _table_exists(sql, "adk_artifacts")


async def test_a_custom_artifact_table_is_used_by_every_store_opened_with_it(
    dsn: str, sql: asyncpg.Connection
) -> None:
    # Mixed case: the name is quoted in every statement and in the existence check.
    async with PostgresStore(dsn, artifact_table="Agent_Files") as store:
        assert store.artifact_table == "Agent_Files"
        await ArtifactService(store).save_artifact(**SCOPE, filename="a.txt", artifact=_text("hi"))

    assert await sql.fetchval('SELECT count(*) FROM "Agent_Files"') == 1
    assert not await _table_exists(sql, "adk_artifacts")
    async with PostgresStore(dsn, artifact_table="Agent_Files") as reopened:
        service = ArtifactService(reopened)
        assert await service.load_artifact(**SCOPE, filename="a.txt") == _text("hi")
    async with PostgresStore(dsn) as default:
        assert await ArtifactService(default).list_artifact_keys(**SCOPE) == []


@pytest.mark.parametrize("name", ["adk_events", "ADK_SESSIONS", "files; DROP TABLE x", "", 7])
def test_an_artifact_table_name_that_is_invalid_or_taken_is_refused(name: object) -> None:
    with pytest.raises(ConfigurationError, match="artifact_table"):
        PostgresStore("postgresql://localhost/db", artifact_table=name)  # type: ignore[arg-type]


async def test_bytes_and_names_are_stored_as_bytea_apart_from_the_parts_json(
    dsn: str, sql: asyncpg.Connection
) -> None:
    data = bytes(range(256)) * 8
    name = "nul\x00inside ü"
    async with PostgresStore(dsn) as store:
        part = types.Part.from_bytes(data=data, mime_type="image/png")
        await ArtifactService(store).save_artifact(**SCOPE, filename=name, artifact=part)

    row = await sql.fetchrow("SELECT filename, data, part, size, mime_type FROM adk_artifacts")
    assert row["filename"] == name.encode()
    assert row["data"] == data
    assert row["size"] == len(data)
    assert row["mime_type"] == "image/png"
    assert "data" not in json.loads(row["part"])["inline_data"]
