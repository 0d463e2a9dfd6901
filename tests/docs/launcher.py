"""Runs one docs example in a process of its own; started by the docs tests, not imported.

Starting Python and importing google-adk takes 2-3 s on the machines CI runs on, and the
docs hold about a hundred examples. So the tests start this script once, as
``python launcher.py --serve``: it imports adk_sqlite, its command line, google-adk and
pytest, then reads one request per line on stdin and forks a child process for each. The
child changes to the example's directory, takes the request's environment, writes its
stdout and stderr to the request's files, runs the example and exits with its status;
nothing an example does reaches the launcher or another example. With
``ADK_SQLITE_DOCS_COLD=1``, or where ``os.fork`` does not exist, each example runs as
``python launcher.py --once REQUEST.json`` instead: a fresh interpreter, as a user's.

A request is a JSON object: ``kind`` (``"python"``, ``"cli"`` or ``"pytest"``), ``cwd``,
``env``, ``stdout`` and ``stderr`` (file paths), ``timeout`` (seconds), and

- for ``python``: ``parts``, a list of ``{"filename", "first_line", "source"}`` run in one
  namespace, in order; a part with top-level ``await`` runs on one event loop shared by
  the parts;
- for ``cli``: ``argv``, the arguments of ``adk-sqlite``;
- for ``pytest``: ``path``, the test module.

The answer (``--serve``: one JSON line on stdout) is ``{"returncode", "timed_out"}``.
"""

from __future__ import annotations

import ast
import asyncio
import atexit
import contextlib
import gc
import importlib
import inspect
import json
import os
import signal
import sys
import time
import traceback
from typing import Any, NoReturn

# The launcher's own folder is not the example's: examples import from their directory.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)


def _run_python(parts: list[dict[str, Any]]) -> int:
    namespace: dict[str, Any] = {"__name__": "__main__"}
    runner: asyncio.Runner | None = None
    try:
        for part in parts:
            # Leading newlines keep line numbers those of the page in tracebacks.
            source = "\n" * (part["first_line"] - 1) + part["source"]
            code = compile(
                source,
                part["filename"],
                "exec",
                flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                dont_inherit=True,
            )
            if code.co_flags & inspect.CO_COROUTINE:
                runner = runner or asyncio.Runner()
                runner.run(eval(code, namespace))
            else:
                exec(code, namespace)
    finally:
        if runner is not None:
            runner.close()
    return 0


def _run_cli(argv: list[str]) -> NoReturn:
    from adk_sqlite.cli import main

    sys.argv = ["adk-sqlite", *argv]
    main.main(args=argv, prog_name="adk-sqlite")  # exits with the command's status


def _run_pytest(path: str, cwd: str) -> int:
    import pytest

    return int(
        pytest.main(
            [path, "-q", "-p", "no:cacheprovider", "-o", "asyncio_mode=auto", "--rootdir", cwd]
        )
    )


def run_request(request: dict[str, Any]) -> int:
    """Runs the request in this process, which it changes; returns the exit status."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.path.insert(0, request["cwd"])
    for descriptor, name, mode in ((1, "stdout", "wb"), (2, "stderr", "wb")):
        with open(request[name], mode) as target:
            os.dup2(target.fileno(), descriptor)
    with open(os.devnull, "rb") as nothing:
        os.dup2(nothing.fileno(), 0)
    try:
        if request["kind"] == "python":
            status = _run_python(request["parts"])
        elif request["kind"] == "cli":
            status = _run_cli(request["argv"])
        else:
            status = _run_pytest(request["path"], request["cwd"])
    except SystemExit as exit_:
        code = exit_.code
        status = code if isinstance(code, int) else (0 if code is None else 1)
        if code is not None and not isinstance(code, int):
            print(code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
        status = 1
    return status


def _warm_up() -> None:
    """Imports once what examples pay for: google-adk, the commands, pytest's plugins."""
    from importlib.metadata import entry_points

    import _pytest.config
    import click
    import google.adk.agents
    import google.adk.runners

    from adk_sqlite.cli import main

    context = click.Context(main)
    for name in main.list_commands(context):  # the command line loads commands lazily
        main.get_command(context, name)
    for plugin in entry_points(group="pytest11"):
        plugin.load()
    for name in _pytest.config.default_plugins:
        importlib.import_module(f"_pytest.{name}")
    with contextlib.suppress(ImportError):  # its plugin imports it when pytest configures
        importlib.import_module("hypothesis")
    # A Runner's first turn imports some 500 more modules (google-adk's flows, auth, ...).
    asyncio.run(_one_scripted_turn(google.adk.agents, google.adk.runners))
    # The children share these objects; a collection in a child then never walks them.
    gc.freeze()


async def _one_scripted_turn(agents: Any, runners: Any) -> None:
    from google.adk.sessions import InMemorySessionService
    from google.genai import types

    from adk_sqlite.testing import ScriptedModel

    agent = agents.LlmAgent(name="warm_up", model=ScriptedModel(["Ready."]))
    service = InMemorySessionService()
    async with runners.Runner(agent=agent, app_name="warm_up", session_service=service) as runner:
        session = await service.create_session(app_name="warm_up", user_id="launcher")
        message = types.Content(role="user", parts=[types.Part(text="Warm up.")])
        async for _ in runner.run_async(
            user_id="launcher", session_id=session.id, new_message=message
        ):
            pass


def _serve() -> None:
    _warm_up()
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _exit(run_request(request))
        print(json.dumps(_wait(pid, request["timeout"])), flush=True)


def _exit(status: int) -> NoReturn:
    """Ends a child as a Python process ends, but for tearing down the warm modules.

    Exit hooks run (the stores an example left open are closed by theirs) and the streams
    are flushed; the interpreter's teardown of every module the launcher imported, which
    takes a second or more here and is the launcher's, not the example's, is skipped.
    """
    try:
        atexit._run_exitfuncs()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)


def _wait(pid: int, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return {"returncode": os.waitstatus_to_exitcode(status), "timed_out": False}
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return {"returncode": -signal.SIGKILL, "timed_out": True}
        time.sleep(0.005)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        _serve()
    elif sys.argv[1:2] == ["--once"] and len(sys.argv) == 3:
        with open(sys.argv[2], encoding="utf-8") as file:
            request = json.load(file)
        sys.exit(run_request(request))
    else:
        sys.exit("usage: launcher.py --serve | --once REQUEST.json")
