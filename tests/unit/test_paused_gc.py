"""`paused_gc`: off inside, restored after, across nesting and threads, and nothing moved."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from adk_sqlite.codec.fast.gc_pause import paused_gc


class _Node:
    """A container the collector tracks."""

    def __init__(self) -> None:
        self.other: _Node | None = None


def test_the_collector_is_off_inside_and_on_after() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():  # nested: only the outer block turns it back on
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_is_back_on_after_a_block_that_raised() -> None:
    with pytest.raises(RuntimeError), paused_gc():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_pauses_on_two_threads_turn_it_on_only_when_both_ended() -> None:
    first_inside = threading.Event()
    first_may_leave = threading.Event()
    seen_after_first: list[bool] = []

    def first() -> None:
        with paused_gc():
            first_inside.set()
            first_may_leave.wait(5)

    thread = threading.Thread(target=first)
    thread.start()
    assert first_inside.wait(5)
    with paused_gc():
        first_may_leave.set()
        thread.join(5)
        seen_after_first.append(gc.isenabled())  # the first thread's pause has ended
    assert seen_after_first == [False]
    assert gc.isenabled()


def test_objects_built_inside_stay_young() -> None:
    # Nothing is moved between generations: the block's objects age as any others.
    gc.collect()
    with paused_gc():
        built = [_Node() for _ in range(100)]
    young = {id(item) for item in gc.get_objects(generation=0)}
    assert {id(node) for node in built} <= young


def test_the_applications_young_garbage_is_reclaimed_by_the_next_young_collection() -> None:
    gc.collect()
    collected = []
    first, second = _Node(), _Node()
    first.other, second.other = second, first  # a cycle: only the collector frees it
    weakref.finalize(first, collected.append, "first")
    del first, second
    with paused_gc():
        built = [_Node() for _ in range(1000)]
        assert collected == []  # the collector is off
    gc.collect(0)  # if the allocations above have not triggered one already
    assert collected == ["first"]
    assert built


def test_objects_the_application_froze_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with paused_gc():
            built = [_Node() for _ in range(100)]
        assert gc.get_freeze_count() == frozen
        assert built
    finally:
        gc.unfreeze()
