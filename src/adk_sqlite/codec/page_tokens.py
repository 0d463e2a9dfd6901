"""Page tokens: a page's end position as an opaque string, and back. Pure.

A token is URL-safe base64 (no padding) of ``payload + check``: ``payload`` is
the JSON array ``[1, kind, newest_first, *position]`` (kind ``"s"`` for sessions,
``"e"`` for events; the position of the last row of the page, floats written
exactly), and ``check`` is 12 bytes of BLAKE2b over the payload, keyed by the
listing the token was made for (app name, user id or none, session id for
events, and the order).

Tokens come back from callers, so they are untrusted input: a token that does
not decode, was altered or truncated, or was made for another listing (another
app, user, session or order) raises `adk_sqlite.errors.InvalidArgumentError`,
before anything is read. The check is not a secret signature: anyone can build
a valid token for a listing they know. That is harmless by design: a token only
says where in a listing to start; which sessions the listing may show (app,
user, owner) always comes from the call, never from the token, and positions
reach SQL only as bound parameters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any

import msgspec

from adk_sqlite.errors import InvalidArgumentError
from adk_sqlite.records import EventPosition, SessionPosition

__all__ = [
    "decode_event_token",
    "decode_session_token",
    "encode_event_token",
    "encode_session_token",
]

_VERSION = 1
_CHECK_SIZE = 12
# Far above any real token (ids are a few dozen characters); refused before decoding.
_MAX_TOKEN_LENGTH = 4096
_SESSION, _EVENT = "s", "e"


def encode_session_token(
    position: SessionPosition, *, app_name: str, user_id: str | None, newest_first: bool
) -> str:
    """The token of the page that starts after ``position`` in this listing."""
    scope = (_SESSION, app_name, user_id, newest_first)
    return _encode(scope, [position.create_time, position.user_id, position.id])


def decode_session_token(
    token: object, *, app_name: str, user_id: str | None, newest_first: bool
) -> SessionPosition:
    """The position a session page token names; raises InvalidArgumentError if invalid."""
    scope = (_SESSION, app_name, user_id, newest_first)
    values = _decode(token, scope)
    try:
        return msgspec.convert(values, SessionPosition, strict=True)
    except msgspec.ValidationError as exc:
        raise _invalid() from exc


def encode_event_token(
    position: EventPosition, *, key: tuple[str, str, str], newest_first: bool
) -> str:
    """The token of the page of a session's events that starts after ``position``."""
    return _encode((_EVENT, *key, newest_first), [position.timestamp, position.seq])


def decode_event_token(
    token: object, *, key: tuple[str, str, str], newest_first: bool
) -> EventPosition:
    """The position an event page token names; raises InvalidArgumentError if invalid."""
    values = _decode(token, (_EVENT, *key, newest_first))
    try:
        return msgspec.convert(values, EventPosition, strict=True)
    except msgspec.ValidationError as exc:
        raise _invalid() from exc


def _check(payload: bytes, scope: tuple[Any, ...]) -> bytes:
    # The listing is hashed into the key (BLAKE2b keys are at most 64 bytes).
    key = hashlib.blake2b(msgspec.json.encode(scope), digest_size=32).digest()
    return hashlib.blake2b(payload, key=key, digest_size=_CHECK_SIZE).digest()


def _encode(scope: tuple[Any, ...], position: list[Any]) -> str:
    payload = msgspec.json.encode([_VERSION, scope[0], scope[-1], *position])
    raw = payload + _check(payload, scope)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(token: object, scope: tuple[Any, ...]) -> list[Any]:
    if not isinstance(token, str):
        raise InvalidArgumentError(f"page_token must be a str, not {type(token).__name__}")
    if not token or len(token) > _MAX_TOKEN_LENGTH or not token.isascii():
        raise _invalid()
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError) as exc:
        raise _invalid() from exc
    payload, check = raw[:-_CHECK_SIZE], raw[-_CHECK_SIZE:]
    if len(raw) <= _CHECK_SIZE or not hmac.compare_digest(check, _check(payload, scope)):
        raise _invalid()
    try:
        values = msgspec.json.decode(payload)
    except msgspec.DecodeError as exc:
        raise _invalid() from exc
    if not (isinstance(values, list) and len(values) >= 3 and values[0] == _VERSION):
        raise _invalid()
    return values[3:]


def _invalid() -> InvalidArgumentError:
    return InvalidArgumentError(
        "page_token is not a page token of this listing: it was altered or truncated, or"
        " made for another app, user, session or order; start again without a page_token"
    )
