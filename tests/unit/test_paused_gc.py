"""`paused_gc`: off inside, on after, and what the block built skips the young generations."""

from __future__ import annotations

import gc

from adk_sqlite.codec.fast.gc_pause import paused_gc


class _Node:
    """A container the collector tracks."""


def test_the_collector_is_off_inside_and_on_after() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():  # nested: only the outer block turns it back on
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_objects_built_inside_go_straight_to_the_oldest_generation() -> None:
    with paused_gc():
        built = [_Node() for _ in range(100)]
    young = {id(item) for item in gc.get_objects(generation=0)}
    young |= {id(item) for item in gc.get_objects(generation=1)}
    assert not young & {id(node) for node in built}
    oldest = {id(item) for item in gc.get_objects(generation=2)}
    assert {id(node) for node in built} <= oldest


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
