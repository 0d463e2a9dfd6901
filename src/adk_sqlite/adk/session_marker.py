"""ADK's update marker on a `Session`: the one place adk-sqlite touches a private ADK attribute.

google-adk (tested on 2.13) gives every ``Session`` a private ``_storage_update_marker``
that its own persistent services set after each write and compare before the next, so
that a stale copy of a session cannot overwrite newer data. `SessionService` stores the
session's revision there for the same reason: the stale check then compares one integer.

If a google-adk release drops the attribute, the markers are neither read nor written
(one WARNING on the ``adk_sqlite.service`` logger says so), and the stale check falls back
to what needs no marker: the newest event the caller's object has seen must be the newest
stored.
"""

from __future__ import annotations

import logging

from google.adk.sessions.session import Session

__all__ = ["MARKER_ATTRIBUTE", "marker_supported", "read_marker", "write_marker"]

MARKER_ATTRIBUTE = "_storage_update_marker"

_logger = logging.getLogger("adk_sqlite.service")
_supported: bool | None = None


def marker_supported() -> bool:
    """Whether this google-adk's `Session` still has the private marker attribute."""
    global _supported
    if _supported is None:
        private = getattr(Session, "__private_attributes__", {})
        _supported = MARKER_ATTRIBUTE in private
        if not _supported:
            _logger.warning(
                "google.adk Session has no %s; stale checks compare the newest event instead",
                MARKER_ATTRIBUTE,
            )
    return _supported


def read_marker(session: Session) -> str | None:
    """The marker a service left on ``session``, or None."""
    if not marker_supported():
        return None
    # pydantic keeps the values of private attributes in the instance's documented
    # ``__pydantic_private__`` dict; reading it there costs 0.1 µs, where ``getattr``
    # of a private attribute (pydantic's ``__getattr__`` fallback) took 2.4 µs, 2-3% of
    # an append.
    values = getattr(session, "__pydantic_private__", None)  # None: no private attributes
    marker = None if values is None else values.get(MARKER_ATTRIBUTE)
    return marker if isinstance(marker, str) else None


def write_marker(session: Session, revision: int) -> None:
    """Records the stored revision ``session`` now reflects."""
    if marker_supported():
        setattr(session, MARKER_ATTRIBUTE, str(revision))
