"""``adk-sqlite prune --artifacts``: what pruning sessions does to their artifacts.

By default a pruned session's artifacts stay, as ADK's services and our
``delete_session`` keep them; ``--artifacts`` (``artifacts=True``) removes the
session-scoped versions of the sessions pruned in the same transaction, and never
a ``user:`` artifact.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from google.genai import types

from adk_sqlite import (
    ArtifactService,
    ConfigurationError,
    DatabaseError,
    SqliteStore,
    prune_idle_sessions,
)
from support.conversations import ADA, APP, GRACE, OTHER_APP, SALES_TICKET, SHORT_TICKET, TICKET

from .conftest import age_session, run_cli, sql


async def _save_artifacts(db_path: Path, *, artifact_table: str = "adk_artifacts") -> None:
    """Two versions in Ada's ticket, one in Grace's and in the sales ticket, user: ones."""
    store = SqliteStore(db_path, artifact_table=artifact_table)
    async with ArtifactService(store) as service:
        for session_app, user, session_id, versions in (
            (APP, ADA, TICKET, 2),
            (APP, GRACE, SHORT_TICKET, 1),
            (OTHER_APP, ADA, SALES_TICKET, 1),
        ):
            for n in range(versions):
                await service.save_artifact(
                    app_name=session_app,
                    user_id=user,
                    session_id=session_id,
                    filename="notes/summary.txt",
                    artifact=types.Part(text=f"{session_id} v{n}"),
                )
            await service.save_artifact(
                app_name=session_app,
                user_id=user,
                session_id=session_id,
                filename="user:profile.png",
                artifact=types.Part.from_bytes(
                    data=b"\x89PNG" + user.encode(), mime_type="image/png"
                ),
            )


def _artifact_rows(db_path: Path, table: str = "adk_artifacts") -> dict[tuple[str, str], int]:
    rows = sql(db_path, f'SELECT user_id, session_id, count(*) FROM "{table}" GROUP BY 1, 2')
    return {(user, session): count for user, session, count in rows}


def _prune(db_path: Path, *args: str) -> dict[str, Any]:
    result = run_cli("prune", db_path, *args, "--json")
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


async def test_pruning_sessions_keeps_their_artifacts_by_default(db_path: Path) -> None:
    await _save_artifacts(db_path)
    before = _artifact_rows(db_path)
    age_session(db_path, TICKET, 40)

    report = _prune(db_path, "--idle-days", "30")

    assert report["sessions_deleted"] == 1
    assert (report["artifacts_deleted"], report["artifact_table"]) == (0, None)
    assert _artifact_rows(db_path) == before
    async with ArtifactService(SqliteStore(db_path)) as service:
        kept = await service.load_artifact(
            app_name=APP, user_id=ADA, session_id=TICKET, filename="notes/summary.txt"
        )
    assert kept == types.Part(text=f"{TICKET} v1")


async def test_prune_artifacts_deletes_the_pruned_sessions_own_versions(db_path: Path) -> None:
    await _save_artifacts(db_path)
    age_session(db_path, TICKET, 40)
    age_session(db_path, SHORT_TICKET, 35)

    report = _prune(db_path, "--idle-days", "30", "--artifacts")

    assert report["sessions_deleted"] == 2
    assert (report["artifacts_deleted"], report["artifact_table"]) == (3, "adk_artifacts")
    # The sales ticket is active; user: artifacts (session id '') belong to the users.
    assert _artifact_rows(db_path) == {(ADA, SALES_TICKET): 1, (ADA, ""): 2, (GRACE, ""): 1}
    async with ArtifactService(SqliteStore(db_path)) as service:
        gone = await service.list_artifact_keys(app_name=APP, user_id=ADA, session_id=TICKET)
    assert gone == ["user:profile.png"]


async def test_prune_artifacts_dry_run_counts_them_and_deletes_nothing(db_path: Path) -> None:
    await _save_artifacts(db_path)
    before = _artifact_rows(db_path)
    age_session(db_path, TICKET, 40)

    report = _prune(db_path, "--idle-days", "30", "--artifacts", "--dry-run")
    table = run_cli("prune", db_path, "--idle-days", "30", "--artifacts", "--dry-run")

    assert (report["sessions_deleted"], report["artifacts_deleted"]) == (1, 2)
    assert _artifact_rows(db_path) == before
    assert "and 2 artifact versions (adk_artifacts)." in table.stdout


async def test_prune_artifacts_in_small_batches_counts_every_version_once(db_path: Path) -> None:
    await _save_artifacts(db_path)
    for session_id in (TICKET, SHORT_TICKET, SALES_TICKET):
        age_session(db_path, session_id, 40)

    report = prune_idle_sessions(db_path, idle_days=30, batch_size=1, artifacts=True)

    assert (report.sessions_deleted, report.artifacts_deleted) == (3, 4)
    assert _artifact_rows(db_path) == {(ADA, ""): 2, (GRACE, ""): 1}


async def test_a_session_and_its_artifacts_go_in_one_transaction(db_path: Path) -> None:
    """A failure after the session's delete, inside the batch, leaves both in place."""
    await _save_artifacts(db_path)
    before = _artifact_rows(db_path)
    age_session(db_path, TICKET, 40)
    # A trigger refuses the artifacts' delete: the session's delete must roll back too.
    sql(
        db_path,
        "CREATE TRIGGER refuse BEFORE DELETE ON adk_artifacts"
        " BEGIN SELECT RAISE(ABORT, 'refused'); END",
    )

    with pytest.raises(DatabaseError, match="refused"):
        prune_idle_sessions(db_path, idle_days=30, artifacts=True)

    assert _artifact_rows(db_path) == before
    assert sql(db_path, "SELECT count(*) FROM adk_sessions WHERE id = ?", (TICKET,)) == [(1,)]


def test_prune_artifacts_on_a_file_without_artifacts_deletes_the_sessions(db_path: Path) -> None:
    age_session(db_path, TICKET, 40)

    report = _prune(db_path, "--idle-days", "30", "--artifacts")

    assert (report["sessions_deleted"], report["artifacts_deleted"]) == (1, 0)
    assert report["artifact_table"] is None


async def test_several_artifacts_tables_need_artifact_table(db_path: Path) -> None:
    await _save_artifacts(db_path)
    await _save_artifacts(db_path, artifact_table="bot_files")
    age_session(db_path, TICKET, 40)

    refused = run_cli("prune", db_path, "--idle-days", "30", "--artifacts")
    with pytest.raises(ConfigurationError, match="no_such_table"):
        prune_idle_sessions(db_path, idle_days=30, artifacts=True, artifact_table="no_such_table")
    report = _prune(db_path, "--idle-days", "30", "--artifacts", "--artifact-table", "bot_files")

    assert refused.exit_code == 2
    assert "adk_artifacts, bot_files" in refused.stderr
    assert (report["artifacts_deleted"], report["artifact_table"]) == (2, "bot_files")
    assert (ADA, TICKET) not in _artifact_rows(db_path, "bot_files")
    assert _artifact_rows(db_path, "adk_artifacts")[(ADA, TICKET)] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--events-older-than", "7", "--artifacts"), "--artifacts goes with --idle-days"),
        (("--idle-days", "7", "--artifact-table", "t"), "--artifact-table goes with --artifacts"),
    ],
)
def test_artifact_options_outside_idle_pruning_are_usage_errors(
    db_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = run_cli("prune", db_path, *args)

    assert result.exit_code == 2
    assert message in result.stderr


async def test_prune_artifacts_with_vacuum_keeps_the_other_artifacts_bytes(db_path: Path) -> None:
    """--vacuum rebuilds the whole file: the artifacts that stay come through intact."""
    await _save_artifacts(db_path)
    age_session(db_path, TICKET, 40)

    report = _prune(db_path, "--idle-days", "30", "--artifacts", "--vacuum")

    assert (report["artifacts_deleted"], report["vacuum"] is not None) == (2, True)
    async with ArtifactService(SqliteStore(db_path)) as service:
        kept = await service.load_artifact(
            app_name=APP, user_id=GRACE, session_id=SHORT_TICKET, filename="user:profile.png"
        )
    assert kept is not None
    assert kept.inline_data is not None
    assert kept.inline_data.data == b"\x89PNG" + GRACE.encode()
