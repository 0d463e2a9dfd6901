"""Pure: the file name of a session in the one-file-per-session layout.

A name is ``<app>+<user>+<session id>.db`` with each part escaped: the bytes of
its UTF-8 form that are ``a-z``, ``0-9``, ``_`` or ``-`` stay as they are, every
other byte (upper-case letters, ``.``, ``/``, ``+``, ``%``, spaces, NUL, the
bytes of non-ASCII characters) becomes ``%XX`` with upper-case hex digits. So:

* any id is safe: a name never contains ``/`` or ``\\``, is never ``.`` or
  ``..``, never starts with a dot and holds only ASCII letters, digits and
  ``_-+%.~``;
* different sessions get different names, also on case-insensitive file
  systems (macOS, Windows): a letter kept as itself is always lower case, and
  upper-case letters only ever appear as hex digits right after a ``%``;
* a name reads back as its (app, user, id) with `parse_session_file_name`.

A name longer than `MAX_NAME_LENGTH` (long ids, or ids in scripts that escape
to many bytes) keeps a readable prefix and ends in ``~`` and 32 hex digits of
a SHA-256 of the three parts: still unique, but not readable back from the
name alone. Those sessions are read back from the catalog, which stores every
file's name beside its key, or from the file's own session row.
"""

from __future__ import annotations

import hashlib
import re

__all__ = [
    "FILE_SUFFIX",
    "MAX_NAME_LENGTH",
    "escape_part",
    "parse_session_file_name",
    "session_file_name",
    "unescape_part",
]

FILE_SUFFIX = ".db"
SEPARATOR = "+"
HASHED_MARK = "~"
# Well below the 255-byte limit of common file systems, leaving room for the
# "-wal", "-shm" and temporary-name suffixes SQLite and the store add.
MAX_NAME_LENGTH = 200
_HASHED_PREFIX_LENGTH = 120
_DIGEST_LENGTH = 32
_KEPT = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789_-")
_ESCAPED_PART = re.compile(r"(?:[a-z0-9_-]|%[0-9A-F]{2})*")
# An archived copy whose name was taken gets ".<n>" before the suffix.
_COPY_NUMBER = re.compile(r"\.[1-9][0-9]*")


def escape_part(value: str) -> str:
    """Escapes one part of a key (app name, user id or session id).

    Lone surrogates are escaped as their ``surrogatepass`` bytes, so the
    function is total over ``str``.
    """
    return "".join(
        chr(byte) if byte in _KEPT else f"%{byte:02X}"
        for byte in value.encode("utf-8", "surrogatepass")
    )


def unescape_part(text: str) -> str | None:
    """The inverse of `escape_part`; None when ``text`` is not an escaped part."""
    if _ESCAPED_PART.fullmatch(text) is None:
        return None
    raw = bytearray()
    index = 0
    while index < len(text):
        if text[index] == "%":
            raw.append(int(text[index + 1 : index + 3], 16))
            index += 3
        else:
            raw.append(ord(text[index]))
            index += 1
    try:
        return bytes(raw).decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return None


def session_file_name(app_name: str, user_id: str, session_id: str) -> str:
    """The file name of a session: readable when short enough, hashed otherwise."""
    stem = SEPARATOR.join(escape_part(part) for part in (app_name, user_id, session_id))
    if len(stem) + len(FILE_SUFFIX) <= MAX_NAME_LENGTH:
        return stem + FILE_SUFFIX
    prefix = stem[:_HASHED_PREFIX_LENGTH]
    # Never cut an escape in half: drop a trailing "%" or "%X".
    cut = prefix.rfind("%", len(prefix) - 2)
    if cut != -1:
        prefix = prefix[:cut]
    return f"{prefix}{HASHED_MARK}{_digest(app_name, user_id, session_id)}{FILE_SUFFIX}"


def parse_session_file_name(name: str) -> tuple[str, str, str] | None:
    """Reads (app, user, session id) back from a file name.

    Also reads an archived copy's name (``<name>.<n>.db``). Returns None for a
    hashed (long) name, and for any name `session_file_name` cannot have
    written.
    """
    if not name.endswith(FILE_SUFFIX) or HASHED_MARK in name:
        return None
    stem = name[: -len(FILE_SUFFIX)]
    dot = stem.find(".")
    if dot != -1:
        if _COPY_NUMBER.fullmatch(stem[dot:]) is None:
            return None
        stem = stem[:dot]
    texts = stem.split(SEPARATOR)
    if len(texts) != 3:
        return None
    parts = [unescape_part(text) for text in texts]
    if parts[0] is None or parts[1] is None or parts[2] is None:
        return None
    key = (parts[0], parts[1], parts[2])
    # Only the canonical spelling counts (e.g. "%61" is not "a").
    return key if session_file_name(*key) == stem + FILE_SUFFIX else None


def _digest(app_name: str, user_id: str, session_id: str) -> str:
    hasher = hashlib.sha256()
    for part in (app_name, user_id, session_id):
        raw = part.encode("utf-8", "surrogatepass")
        # Length-prefixed, so ("a", "bc") and ("ab", "c") hash differently.
        hasher.update(len(raw).to_bytes(8, "big"))
        hasher.update(raw)
    return hasher.hexdigest()[:_DIGEST_LENGTH]
