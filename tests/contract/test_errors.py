"""§8 Errors: our error tree plugs into ADK's, so ADK callers' ``except`` clauses keep working.

The error *behaviours* of §8 are pinned next to the operations that raise them
(test_create_get_list_delete, test_events, test_ids, test_adk_backend_behaviour,
test_sqlite_specifics), where shared tests catch ADK's classes and, on our
backends, also check for our subclasses; this module pins the classes themselves.
"""

from __future__ import annotations

import pytest
from google.adk.errors import StaleSessionError as AdkStaleSessionError
from google.adk.errors.already_exists_error import AlreadyExistsError
from google.adk.errors.session_not_found_error import SessionNotFoundError

import adk_sqlite
from adk_sqlite import errors


@pytest.mark.parametrize(
    ("error", "bases"),
    [
        (errors.SessionAlreadyExistsError, (errors.AdkSqliteError, AlreadyExistsError)),
        (errors.SessionNotFoundError, (errors.AdkSqliteError, SessionNotFoundError, ValueError)),
        (errors.StaleSessionError, (errors.AdkSqliteError, AdkStaleSessionError, ValueError)),
        (errors.DuplicateEventError, (errors.AdkSqliteError, AlreadyExistsError)),
        (errors.DatabaseError, (errors.AdkSqliteError,)),
        (errors.ReadOnlyDatabaseError, (errors.DatabaseError, errors.AdkSqliteError)),
        (errors.ConfigurationError, (errors.AdkSqliteError, ValueError)),
    ],
    ids=lambda value: value.__name__ if isinstance(value, type) else "",
)
def test_error_derives_from_the_classes_callers_catch(
    error: type[Exception], bases: tuple[type[Exception], ...]
) -> None:
    for base in bases:
        assert issubclass(error, base), f"{error.__name__} is not a {base.__name__}"


def test_root_error_is_an_exception_and_not_adk_specific() -> None:
    assert issubclass(errors.AdkSqliteError, Exception)
    assert not issubclass(errors.AdkSqliteError, (ValueError, AlreadyExistsError))


@pytest.mark.parametrize(
    "name",
    [
        "AdkSqliteError",
        "SessionAlreadyExistsError",
        "SessionNotFoundError",
        "StaleSessionError",
        "DuplicateEventError",
        "DatabaseError",
        "ReadOnlyDatabaseError",
        "ConfigurationError",
    ],
)
def test_error_is_reexported_from_the_package(name: str) -> None:
    assert getattr(adk_sqlite, name) is getattr(errors, name)
