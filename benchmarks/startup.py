"""How long the ``adk-sqlite`` command takes, start to exit, as whole processes.

Issue 17's targets: ``--version`` and ``--help`` under 0.3 s; ``sessions``,
``stats``, ``query``, ``check`` and ``backup`` under 0.6 s on a small database.
Each command runs as a new process, as a user runs it (the installed
``adk-sqlite`` script, or ``python -m adk_sqlite`` where there is none), on a
small database written by the store: a shared file, and a folder of one file per
session. The commands alternate within each run, so the machine's speed swings
hit them alike; the table gives the median and the fastest of ``--runs`` runs,
and, for scale, the same figures for a bare ``python`` and for ``import click``.

The commands run with their modules' bytecode cached, as on a user's machine:
pip compiles a wheel's modules when it installs them, and Python caches an
editable install's on first import. Where the environment forbids writing those
caches (``PYTHONDONTWRITEBYTECODE``, set on some CI machines), an editable
install would compile its ~100 modules from source at every start (~65 ms of
``check`` on the machine of docs/performance.md). So the commands run with a
bytecode cache of their own (``PYTHONPYCACHEPREFIX``, in the scratch folder),
filled by the warm-up run, which is not counted; nothing is written beside the
sources.

    python -m benchmarks.startup [--runs 10]
    python -m benchmarks.run --suites startup
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from adk_sqlite import PerSessionSqliteStore, SessionService, SqliteStore
from benchmarks.subjects import make_turn_events

VERSION_AND_HELP_TARGET = 0.3
COMMAND_TARGET = 0.6
DEFAULT_RUNS = 10

# The small database: a few users' short conversations (4 events a turn, tool calls among them).
_USERS = ("ada", "grace")
_SESSIONS_PER_USER = 2
_TURNS_PER_SESSION = 5


@dataclass(frozen=True)
class Case:
    """One command line to time, and the target it has (None: shown for scale only)."""

    label: str
    argv: tuple[str, ...]
    target: float | None


@dataclass(frozen=True)
class Timing:
    case: Case
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def met(self) -> bool | None:
        return None if self.case.target is None else self.median < self.case.target


async def _fill(store: SqliteStore | PerSessionSqliteStore) -> None:
    async with SessionService(store) as service:
        for user in _USERS:
            for number in range(_SESSIONS_PER_USER):
                session = await service.create_session(
                    app_name="support", user_id=user, session_id=f"{user}-{number}"
                )
                for turn in range(_TURNS_PER_SESSION):
                    for event in make_turn_events(
                        turn, timestamp=time.time(), scope=f"{user}-{number}"
                    ):
                        await service.append_event(session, event)


def build_databases(folder: Path) -> tuple[Path, Path]:
    """A shared-file database and a folder of session files, the same sessions in both."""
    shared_file = folder / "sessions.db"
    session_folder = folder / "sessions"
    asyncio.run(_fill(SqliteStore(shared_file)))
    asyncio.run(_fill(SqliteStore.per_session_files(session_folder)))
    return shared_file, session_folder


def command_prefix() -> tuple[str, ...]:
    """The installed ``adk-sqlite`` script beside this Python, else ``python -m adk_sqlite``."""
    script = Path(sys.executable).parent / "adk-sqlite"
    return (str(script),) if script.exists() else (sys.executable, "-m", "adk_sqlite")


def cases(shared_file: Path, session_folder: Path, backups: Path) -> list[Case]:
    """The command lines timed; ``{run}`` in an argument is replaced by the run's number."""
    cli = command_prefix()
    python = (sys.executable, "-c")
    count_events = "SELECT count(*) FROM adk_events"
    listed = [
        Case("python (for scale)", (*python, "pass"), None),
        Case("python -c 'import click' (for scale)", (*python, "import click"), None),
        Case("--version", (*cli, "--version"), VERSION_AND_HELP_TARGET),
        Case("--help", (*cli, "--help"), VERSION_AND_HELP_TARGET),
    ]
    for kind, database in (("file", shared_file), ("folder", session_folder)):
        listed += [
            Case(f"sessions ({kind})", (*cli, "sessions", str(database)), COMMAND_TARGET),
            Case(f"stats ({kind})", (*cli, "stats", str(database)), COMMAND_TARGET),
            Case(f"query ({kind})", (*cli, "query", str(database), count_events), COMMAND_TARGET),
            Case(f"check ({kind})", (*cli, "check", str(database)), COMMAND_TARGET),
        ]
    # backup copies one SQLite file: the shared file, and a session file of the folder.
    session_file = min(path for path in session_folder.rglob("*.db") if path.name != "catalog.db")
    for kind, database in (("file", shared_file), ("folder's session file", session_file)):
        destination = backups / f"{database.stem}-{{run}}.db"
        listed.append(
            Case(
                f"backup ({kind})",
                (*cli, "backup", str(database), str(destination)),
                COMMAND_TARGET,
            )
        )
    return listed


def cached_bytecode_environment(cache: Path) -> dict[str, str]:
    """This environment, with bytecode cached in ``cache`` (see the module's docstring)."""
    environment = {
        name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"
    }
    environment["PYTHONPYCACHEPREFIX"] = str(cache)
    return environment


def _time_once(case: Case, run: int, environment: dict[str, str]) -> float:
    argv = [argument.replace("{run}", str(run)) for argument in case.argv]
    started = time.perf_counter()
    result = subprocess.run(
        argv, capture_output=True, text=True, timeout=120, check=False, env=environment
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {result.returncode}: {result.stderr}")
    return elapsed


def measure(runs: int = DEFAULT_RUNS) -> list[Timing]:
    """Times every case ``runs`` times (one warm-up run first, not counted)."""
    with tempfile.TemporaryDirectory(prefix="adk-sqlite-startup-") as scratch:
        environment = cached_bytecode_environment(Path(scratch) / "bytecode")
        shared_file, session_folder = build_databases(Path(scratch))
        backups = Path(scratch) / "backups"
        backups.mkdir()
        timed = cases(shared_file, session_folder, backups)
        seconds: dict[str, list[float]] = {case.label: [] for case in timed}
        for run in range(-1, runs):  # run -1 fills the OS's file cache and the bytecode's
            for case in timed:
                elapsed = _time_once(case, run + 1, environment)
                if run >= 0:
                    seconds[case.label].append(elapsed)
            shutil.rmtree(backups)
            backups.mkdir()
        return [Timing(case, seconds[case.label]) for case in timed]


def markdown(timings: list[Timing]) -> str:
    """The table: median and fastest run per command, the target, and whether it is met."""
    runs = len(timings[0].seconds) if timings else 0
    lines = [
        f"### Start-up: `adk-sqlite` as a whole process (median of {runs} runs)",
        "",
        "| command | median s | fastest s | target s | met |",
        "|---|---:|---:|---:|---|",
    ]
    for timing in timings:
        target = "-" if timing.case.target is None else f"{timing.case.target:.1f}"
        met = {None: "-", True: "met", False: "missed"}[timing.met]
        lines.append(
            f"| {timing.case.label} | {timing.median:.3f} | {min(timing.seconds):.3f}"
            f" | {target} | {met} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.startup", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--runs", type=int, default=DEFAULT_RUNS, help=f"runs per command ({DEFAULT_RUNS})"
    )
    args = parser.parse_args(argv)
    print(f"command: {' '.join(command_prefix())}", file=sys.stderr)
    print(markdown(measure(args.runs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
