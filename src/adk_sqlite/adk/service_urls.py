"""Service URLs: which adk-sqlite store a URL names, and with which options. Pure, no I/O.

The URLs ``adk web``, ``adk api_server`` and ``get_fast_api_app`` take as
``--session_service_uri`` (and ``--artifact_service_uri``), once
`adk_sqlite.adk.registry` is imported::

    adk-sqlite:///relative/path.db           SqliteStore("relative/path.db")
    adk-sqlite:////absolute/path.db          SqliteStore("/absolute/path.db")
    adk-sqlite:///:memory:                   SqliteStore(":memory:")
    adk-sqlite+folder:///path/to/folder      PerSessionSqliteStore("path/to/folder")
    adk-sqlite+postgresql://user@host/db     PostgresStore("postgresql://user@host/db")

A relative path is relative to the working directory, as in ADK's own
``sqlite://`` and SQLAlchemy's URLs. The store's keyword options go in the query
string by their constructor names (``?session_table=chat_sessions&inline_io=false``);
`STORE_OPTIONS` lists them for each store, with how each value is read. An unknown
option, or a value that is not of the option's type, raises
`adk_sqlite.errors.ConfigurationError`, which names the option and the valid ones.
For PostgreSQL, a query parameter that is not a store option belongs to the
PostgreSQL URL itself (``sslmode``, or a server setting such as ``search_path``)
and is passed on; only a near-miss of a store option's name is refused.

ADK's own ``sqlite://`` scheme is left alone: it opens ADK's ``SqliteSessionService``
with ADK's schema, and a database written by one cannot be read by the other.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from adk_sqlite.errors import ConfigurationError

__all__ = [
    "SCHEMES",
    "STORE_OPTIONS",
    "OptionType",
    "OptionValue",
    "StoreKind",
    "StoreUrl",
    "parse_store_url",
]

StoreKind = Literal["sqlite", "folder", "postgresql"]
OptionValue = str | bool | int | float | None

SCHEMES: Mapping[str, StoreKind] = {
    "adk-sqlite": "sqlite",
    "adk-sqlite+folder": "folder",
    "adk-sqlite+postgresql": "postgresql",
}
"""Each URL scheme, and the kind of store it opens."""

_STORE_CLASSES: Mapping[StoreKind, str] = {
    "sqlite": "SqliteStore",
    "folder": "PerSessionSqliteStore",
    "postgresql": "PostgresStore",
}
_MEMORY = ":memory:"
# How close an unknown PostgreSQL parameter must be to a store option's name to be
# taken for a misspelling of it (difflib's ratio) rather than a server setting.
_NEAR_MISS = 0.8


@dataclass(frozen=True, slots=True)
class OptionType:
    """How the text of one option in a URL's query becomes the constructor's value.

    Attributes:
        expected: What the value must look like, for error messages and the docs.
        convert: Turns the text into the value; raises ``ValueError`` if it cannot.
    """

    expected: str
    convert: Callable[[str], OptionValue] = field(repr=False)


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise ValueError(text)


def _integer(text: str) -> int:
    # int() alone would also take "1_000" and surrounding blanks.
    if not text.lstrip("-").isdigit():
        raise ValueError(text)
    return int(text)


def _seconds(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _seconds_or_none(text: str) -> float | None:
    return None if text.lower() == "none" else _seconds(text)


def _synchronous(text: str) -> str:
    level = text.upper()
    if level not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        raise ValueError(text)
    return level


def _session_artifacts(text: str) -> str:
    choice = text.lower()
    if choice not in ("keep", "delete"):
        raise ValueError(text)
    return choice


TEXT = OptionType("text", str)
BOOLEAN = OptionType("true or false (or 1/0, yes/no)", _boolean)
INTEGER = OptionType("an integer", _integer)
SECONDS = OptionType("a number of seconds", _seconds)
SECONDS_OR_NONE = OptionType("a number of seconds, or none", _seconds_or_none)
SYNCHRONOUS = OptionType("OFF, NORMAL, FULL or EXTRA", _synchronous)
SESSION_ARTIFACTS = OptionType("keep or delete", _session_artifacts)

_NAMING_OPTIONS: Mapping[str, OptionType] = {
    "session_table": TEXT,
    "events_table": TEXT,
    "app_state_table": TEXT,
    "user_state_table": TEXT,
    "owner_id_column": TEXT,
    "artifact_table": TEXT,
    "memory_table": TEXT,
    "session_artifacts": SESSION_ARTIFACTS,
}

STORE_OPTIONS: Mapping[StoreKind, Mapping[str, OptionType]] = {
    "sqlite": {
        **_NAMING_OPTIONS,
        "busy_timeout": SECONDS,
        "synchronous": SYNCHRONOUS,
        "inline_io": BOOLEAN,
    },
    "folder": {
        **_NAMING_OPTIONS,
        "busy_timeout": SECONDS,
        "synchronous": SYNCHRONOUS,
        "max_open_sessions": INTEGER,
        "threads": INTEGER,
    },
    "postgresql": {
        **_NAMING_OPTIONS,
        "min_pool_size": INTEGER,
        "max_pool_size": INTEGER,
        "connect_timeout": SECONDS,
        "lock_timeout": SECONDS_OR_NONE,
    },
}
"""The keyword options of each store's constructor a URL may set, and their types.

``tests/server/test_service_urls.py`` checks these against the constructors'
signatures, so an option added to a store fails that test until it is listed here.
"""


@dataclass(frozen=True, slots=True)
class StoreUrl:
    """A parsed service URL: the store it names, where, and with which options.

    Two URLs that differ only in the order or spelling of their options
    (``inline_io=1`` and ``inline_io=true``) parse to equal `StoreUrl` objects.

    Attributes:
        kind: Which store: ``"sqlite"``, ``"folder"`` or ``"postgresql"``.
        location: The database file or folder, as written (relative paths are
            relative to the working directory), or the ``postgresql://`` URL the
            store receives (the password kept: see `describe` for messages).
        options: The store's keyword options, sorted by name.
    """

    kind: StoreKind
    location: str
    options: tuple[tuple[str, OptionValue], ...] = ()

    @property
    def store_class(self) -> str:
        """The name of the store class this URL opens."""
        return _STORE_CLASSES[self.kind]

    @property
    def in_memory(self) -> bool:
        """Whether this is ``adk-sqlite:///:memory:``."""
        return self.kind == "sqlite" and self.location == _MEMORY

    def keywords(self) -> dict[str, OptionValue]:
        """The options as the store constructor's keyword arguments."""
        return dict(self.options)

    def with_location(self, location: str) -> StoreUrl:
        """The same URL naming another file or folder (e.g. the resolved path)."""
        return StoreUrl(self.kind, location, self.options)

    def describe(self) -> str:
        """The store and where it is, any password masked: for messages and logs."""
        return f"{self.store_class}({_masked(self.location)!r})"

    def __repr__(self) -> str:
        return f"StoreUrl({self.kind!r}, {_masked(self.location)!r}, options={self.options!r})"


def parse_store_url(url: object) -> StoreUrl:
    """Reads an ``adk-sqlite://``, ``adk-sqlite+folder://`` or ``adk-sqlite+postgresql://`` URL.

    Raises:
        ConfigurationError: Not a string, another scheme, a missing path, a
            host in a file URL, an option given twice, an unknown option, or a
            value that is not of its option's type. The message names the
            option and lists the valid ones.
    """
    if not isinstance(url, str):
        raise ConfigurationError(f"service URL {url!r}: expected a string")
    shown = _masked(url)
    scheme = url.partition("://")[0].lower() if "://" in url else ""
    kind = SCHEMES.get(scheme)
    if kind is None:
        raise ConfigurationError(_unknown_scheme(shown, scheme))
    parts = urlsplit(url)
    if parts.fragment:
        raise ConfigurationError(f"{shown}: write '#' in a path as %23")
    pairs = _query_pairs(shown, parts.query)
    if kind == "postgresql":
        options, passed_on = _postgres_options(shown, pairs)
        query = urlencode(sorted(passed_on), quote_via=quote)
        dsn = urlunsplit(("postgresql", parts.netloc, parts.path, query, ""))
        return StoreUrl(kind, dsn, options)
    return StoreUrl(
        kind, _file_path(shown, kind, parts.netloc, parts.path), _options(shown, kind, pairs)
    )


def _unknown_scheme(shown: str, scheme: str) -> str:
    known = ", ".join(f"{name}://" for name in SCHEMES)
    if scheme in ("sqlite", "sqlite+aiosqlite"):
        return (
            f"{shown}: {scheme}:// is ADK's own SqliteSessionService, with ADK's schema;"
            f" for an adk-sqlite store write adk-sqlite:///path/to/file.db (schemes: {known})"
        )
    return f"{shown}: not an adk-sqlite service URL; the schemes are {known}"


def _query_pairs(shown: str, query: str) -> list[tuple[str, str]]:
    pairs = parse_qsl(query, keep_blank_values=True)
    seen: set[str] = set()
    for name, text in pairs:
        if name in seen:
            raise ConfigurationError(f"{shown}: option {name!r} is given twice")
        if not text:
            raise ConfigurationError(f"{shown}: option {name!r} has no value")
        seen.add(name)
    return pairs


def _file_path(shown: str, kind: StoreKind, netloc: str, path: str) -> str:
    scheme = next(name for name, named in SCHEMES.items() if named == kind)
    if netloc:
        raise ConfigurationError(
            f"{shown}: a file URL has no host; write {scheme}:///relative/path"
            f" or {scheme}:////absolute/path"
        )
    # The first "/" separates the empty host from the path, as in sqlite:///.
    location = unquote(path)[1:]
    if not location:
        raise ConfigurationError(
            f"{shown}: no path; write {scheme}:///relative/path or {scheme}:////absolute/path"
        )
    if location == _MEMORY and kind == "folder":
        raise ConfigurationError(f"{shown}: a folder of session files cannot be in memory")
    return location


def _options(
    shown: str, kind: StoreKind, pairs: list[tuple[str, str]]
) -> tuple[tuple[str, OptionValue], ...]:
    valid = STORE_OPTIONS[kind]
    values: dict[str, OptionValue] = {}
    for name, text in pairs:
        option = valid.get(name)
        if option is None:
            raise ConfigurationError(
                f"{shown}: unknown option {name!r} for {_STORE_CLASSES[kind]};"
                f" the options are {', '.join(sorted(valid))}"
            )
        values[name] = _convert(shown, name, option, text)
    return tuple(sorted(values.items()))


def _postgres_options(
    shown: str, pairs: list[tuple[str, str]]
) -> tuple[tuple[tuple[str, OptionValue], ...], list[tuple[str, str]]]:
    valid = STORE_OPTIONS["postgresql"]
    ours = [(name, text) for name, text in pairs if name in valid]
    passed_on = [(name, text) for name, text in pairs if name not in valid]
    for name, _ in passed_on:
        near = difflib.get_close_matches(name, list(valid), n=1, cutoff=_NEAR_MISS)
        if near:
            raise ConfigurationError(
                f"{shown}: unknown option {name!r} (did you mean {near[0]!r}?);"
                f" the PostgresStore options are {', '.join(sorted(valid))}, and other"
                " parameters are passed on to PostgreSQL"
            )
    return _options(shown, "postgresql", ours), passed_on


def _convert(shown: str, name: str, option: OptionType, text: str) -> OptionValue:
    try:
        return option.convert(text)
    except ValueError:
        raise ConfigurationError(
            f"{shown}: option {name}={text!r}: expected {option.expected}"
        ) from None


def _masked(url: str) -> str:
    """``url`` with the password of its user part, if any, replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
