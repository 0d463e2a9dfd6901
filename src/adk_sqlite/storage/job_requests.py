"""The requests a store hands, unchanged, through its hooks to the jobs that serve them.

A store checks a call's owner once (`adk_sqlite.storage.store_base.StoreBase`) and
builds one of these; each layer below (the hook, a layout's job, the shared
job) passes it on whole, so their signatures are not written again at every
level.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from adk_sqlite.records import EventRecord, EventView, StaleCheck, StateDelta

__all__ = ["Append", "SessionsOf"]


class Append(NamedTuple):
    """One append, its owner checked.

    The event, the state delta it carries, what the writer believes is stored
    (checked before anything is written), the owner it is confined to, and the
    event's view (stored beside it; None leaves the view columns NULL).
    """

    event: EventRecord
    delta: StateDelta
    expected: StaleCheck
    owner_id: Any
    view: EventView | None = None


class SessionsOf(NamedTuple):
    """The sessions a listing (or a page of one) reads.

    An app's; of those, one user's (None: every user's) and one owner's (None:
    every owner's).
    """

    app_name: str
    user_id: str | None
    owner_id: Any
