"""Freeing a long session's events a slice at a time, when its ``Session`` is dropped.

A decoded event is about 25 Python objects, so dropping a 10,000-event ``Session``
frees a quarter of a million objects in one go: tens of milliseconds during which
the event loop runs nothing else (an ADK server drops the session at the end of
every request). So a read of a long session watches the ``Session`` it returns
(a weak reference, nothing else of the object is touched): when the application
drops it, its events list is kept back, and the loop frees it a slice of events
per turn, the way the read decoded it (slices bounded in time as well as in events:
an event holding a large tool response is thousands of objects).

Only a list that nobody else holds is freed that way: if the application kept
``session.events`` (or the list outlived the session some other way), it is left
alone, untouched. With no running event loop (the session dropped from another
thread, or after the loop closed), the list is freed at once, as it would have
been anyway.
"""

from __future__ import annotations

import asyncio
import sys
import time
import weakref
from collections.abc import Sequence
from typing import Any

from adk_sqlite.codec.fast import slices

__all__ = ["free_events_later", "lists_being_freed"]

# The watched sessions, by the id of their weak reference (a Session is not hashable):
# the reference itself, kept alive here, and the events list to free after it.
_Watched = tuple[weakref.ref[Any], list[Any], asyncio.AbstractEventLoop, int, list[int]]
_watched: dict[int, _Watched] = {}
# References held by this module alone while a list waits: the holder and the call.
_OWN_REFERENCES = 2
# A step of freeing quicker than this doubles the next one.
_QUICK_STEP_SECONDS = 0.0001
# The holders of the dropped sessions' lists still being freed, by id (a list is not
# hashable), with the loop freeing each. Added to where a session is freed (any
# thread), taken out on the loop; each step is one atomic operation on the dict. A
# loop closed before it finished leaves its entries behind: they no longer count.
_being_freed: dict[int, asyncio.AbstractEventLoop] = {}


def free_events_later(
    session: Any, events: list[Any], slice_size: int, decoded_slices: Sequence[int] = ()
) -> None:
    """When ``session`` is dropped, frees ``events`` a slice at a time on the loop.

    ``decoded_slices``: how many events each slice of the read decoded, in order. They
    are freed the same way, the last slice first, one per turn: slices the clock
    already bounded, at no cost per event. Events the list gained since (the Runner
    appends to it), or every event when the read does not say, are freed at most
    ``slice_size`` and `slices.SLICE_SECONDS` per turn.

    Call it from the event loop's thread, with the list the session holds.
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    reference = weakref.ref(session, _session_dropped)
    _watched[id(reference)] = (reference, events, loop, slice_size, list(decoded_slices))


def lists_being_freed() -> int:
    """How many dropped sessions' event lists the running loop has yet to finish freeing
    (0 outside a running loop).

    A caller that times reads back to back (a benchmark) lets the loop run until it is
    0 between two of them, so that freeing what one read returned is not counted in
    the next read's time.
    """
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        return 0
    _forget_closed_loops()
    return sum(loop is running for loop in list(_being_freed.values()))


def _forget_closed_loops() -> None:
    for key, loop in list(_being_freed.items()):
        if loop.is_closed():
            _being_freed.pop(key, None)


def _session_dropped(reference: weakref.ref[Any]) -> None:
    # Runs where the session was freed, before its attributes are: hand the list to
    # a holder the loop empties later, so that freeing the session frees no event.
    watched = _watched.pop(id(reference), None)
    if watched is None:
        return
    _, events, loop, slice_size, decoded_slices = watched
    holder = [events]
    del events, watched
    _forget_closed_loops()
    _being_freed[id(holder)] = loop
    try:
        loop.call_soon_threadsafe(
            _free_slices, holder, loop, slice_size, decoded_slices, sum(decoded_slices)
        )
    except RuntimeError:  # the loop is closed: free it now, as without this module
        _done(holder)


def _done(holder: list[list[Any]]) -> None:
    """Lets go of the list (freeing what is left of it, unless someone else holds it)."""
    holder.clear()
    _being_freed.pop(id(holder), None)


def _free_slices(
    holder: list[list[Any]],
    loop: asyncio.AbstractEventLoop,
    size: int,
    decoded: list[int],
    decoded_left: int,
) -> None:
    if not holder:
        _being_freed.pop(id(holder), None)
        return
    events = holder[0]
    # Ours alone: the holder's reference, this frame's and getrefcount's argument.
    if sys.getrefcount(events) > _OWN_REFERENCES + 1:
        del events
        _done(holder)  # someone else kept the list: it is theirs, leave it whole
        return
    gained = len(events) - decoded_left
    if gained == 0 and decoded:
        last_slice = decoded.pop()
        if last_slice:  # (a slice of damaged events left out kept none: events[-0:] is all)
            del events[-last_slice:]  # the read's last slice, as it was decoded
            decoded_left -= last_slice
    else:
        if gained < 0:  # events were taken out: the slices no longer say where
            decoded.clear()
            decoded_left = 0
        _free_by_the_clock(events, min(size, gained) if gained > 0 else size)
    if not events:
        del events
        _done(holder)
        return
    del events
    try:
        loop.call_soon(_free_slices, holder, loop, size, decoded, decoded_left)
    except RuntimeError:
        _done(holder)


def _free_by_the_clock(events: list[Any], most: int) -> None:
    """Frees up to ``most`` events from the end of ``events``, for `slices.SLICE_SECONDS`
    at most: one event first, then twice as many while a step is quick (an event
    holding a large tool answer is thousands of objects, a plain one a few dozen)."""
    clock = time.perf_counter
    deadline = clock() + slices.SLICE_SECONDS
    step = 1
    freed = 0
    while events and freed < most:
        started = clock()
        count = min(step, most - freed)
        del events[-count:]
        freed += count
        now = clock()
        if now >= deadline:
            return
        if now - started < _QUICK_STEP_SECONDS:
            step *= 2
