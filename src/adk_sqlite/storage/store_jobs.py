"""Jobs: the built-in stores' operations, each one function run on one connection.

A backend writes each operation as a function whose first parameter is the
connection (a folder, for the one-file-per-session layout's catalog jobs) and whose
next one is what it knows of its tables (their rendered statements). A store binds
every other argument with `bind`; its runner then calls ``job(connection)``
wherever the backend runs it (a worker thread, the event loop, a pooled connection).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

__all__ = ["Job", "bind"]

P = ParamSpec("P")
R = TypeVar("R")

# A job as the runners receive it: its arguments bound, the connection to come.
Job = Callable[[Any], Any]


def bind(
    function: Callable[Concatenate[Any, P], R], /, *arguments: P.args, **keywords: P.kwargs
) -> Callable[[Any], R]:
    """``function`` as a job: ``job(connection)`` calls ``function(connection, ...)``.

    The arguments are checked (by mypy) against ``function``'s parameters after the
    connection, which ``functools.partial`` cannot bind by position.
    """
    return lambda connection: function(connection, *arguments, **keywords)
