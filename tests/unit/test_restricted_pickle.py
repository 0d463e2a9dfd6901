"""The actions blob is untrusted: crafted pickles must be refused and never run."""

from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from google.adk.events.event import Event
from google.adk.events.event_actions import EventActions

from adk_sqlite.codec.actions_pickle import (
    UnsafePickleError,
    allowed_globals,
    dumps_actions,
    loads_actions,
)
from adk_sqlite.codec.events import encode_event
from adk_sqlite.codec.fast import decode_event
from adk_sqlite.errors import UnsafePayloadError
from support.events import rich_actions


class _Reduce:
    """Pickles as a call of ``function(*arguments)``: the classic pickle exploit."""

    def __init__(self, function: Any, *arguments: Any) -> None:
        self.function = function
        self.arguments = arguments

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return self.function, self.arguments


def _payloads(marker: Path) -> dict[str, bytes]:
    command = f"touch {marker}"
    return {
        "os.system": pickle.dumps(_Reduce(os.system, command)),
        "builtins.eval": pickle.dumps(_Reduce(eval, f"open({str(marker)!r}, 'w')")),
        "builtins.exec": pickle.dumps(_Reduce(exec, f"open({str(marker)!r}, 'w')")),
        "builtins.open": pickle.dumps(_Reduce(open, str(marker), "w")),
        "subprocess.Popen": pickle.dumps(_Reduce(subprocess.Popen, ["touch", str(marker)])),
        "protocol 0 GLOBAL": f"cos\nsystem\n(S'{command}'\ntR.".encode(),
        "getattr smuggling": pickle.dumps(_Reduce(getattr, _Reduce(__import__, "os"), "system")),
        "nested in EventActions": pickle.dumps(
            EventActions(agent_state={"x": _Reduce(os.system, command)})
        ),
    }


@pytest.mark.parametrize(
    "name",
    [
        "os.system",
        "builtins.eval",
        "builtins.exec",
        "builtins.open",
        "subprocess.Popen",
        "protocol 0 GLOBAL",
        "getattr smuggling",
        "nested in EventActions",
    ],
)
def test_malicious_blob_is_refused_and_nothing_runs(name: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    blob = _payloads(marker)[name]
    with pytest.raises(UnsafePickleError, match="forbidden global"):
        loads_actions(blob)
    assert not marker.exists()


def test_malicious_blob_in_an_event_row_raises_an_error_naming_the_event(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    record = encode_event(Event(id="evil-1"), app_name="a", user_id="u", session_id="s")
    record.actions = _payloads(marker)["os.system"]
    with pytest.raises(UnsafePayloadError, match=r"event 'evil-1'.*(os|posix)\.system"):
        decode_event(record)
    assert not marker.exists()


@pytest.mark.parametrize(
    "blob",
    [b"", b"\x80\x05", b"not a pickle at all", pickle.dumps(EventActions())[:-5]],
)
def test_malformed_blob_is_refused(blob: bytes) -> None:
    with pytest.raises(UnsafePickleError):
        loads_actions(blob)


def test_a_blob_of_another_allowed_type_is_refused() -> None:
    with pytest.raises(UnsafePickleError, match="not EventActions"):
        loads_actions(pickle.dumps({"state_delta": {}}))


def test_every_real_action_round_trips() -> None:
    actions = rich_actions()
    assert loads_actions(dumps_actions(actions)) == actions


def test_the_allowlist_holds_no_callable_that_could_run_code() -> None:
    dangerous = {"eval", "exec", "getattr", "setattr", "open", "system", "Popen", "__import__"}
    assert not {name for _, name in allowed_globals()} & dangerous
    assert not {module for module, _ in allowed_globals()} & {"os", "subprocess", "sys", "posix"}


def test_a_blob_from_an_older_eventactions_gains_the_new_fields() -> None:
    actions = EventActions(state_delta={"k": 1})
    del actions.__dict__["set_model_response"]  # as if pickled before that field existed
    buffer = io.BytesIO()
    pickle.Pickler(buffer, protocol=5).dump(actions)
    loaded = loads_actions(buffer.getvalue())
    assert loaded.state_delta == {"k": 1}
    assert loaded.set_model_response is None


def test_a_blob_without_auth_configs_loads_without_importing_the_auth_models() -> None:
    # The auth models pull in ~7 MB of modules; a plain state delta must not pay it.
    script = (
        "import sys\n"
        "from google.adk.events.event_actions import EventActions\n"
        "from adk_sqlite.codec.actions_pickle import dumps_actions, loads_actions\n"
        "blob = dumps_actions(EventActions(state_delta={'k': 1}))\n"
        "assert 'google.adk.auth.auth_tool' not in sys.modules, 'imported before loading'\n"
        "assert loads_actions(blob).state_delta == {'k': 1}\n"
        "assert 'google.adk.auth.auth_tool' not in sys.modules, 'imported by loading'\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
