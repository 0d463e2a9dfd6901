"""`let_others_run`: one turn of the loop before a long read's next slice, up to three
while the loop stays busy.

A task counts the turns it gets while the read waits between two slices. Quiet, that
task does nothing in its turn; busy, it works for 2 ms of each turn, four times
`BUSY_TURN_SECONDS`.
"""

from __future__ import annotations

from adk_sqlite.codec.fast.slices import BUSY_TURN_SECONDS, BUSY_TURNS, let_others_run
from support.turns import counting_turns

_BUSY = 4 * BUSY_TURN_SECONDS


async def _turns_others_got(work_per_turn: float) -> int:
    _, turns = await counting_turns(let_others_run(), work_per_turn=work_per_turn)
    return turns


async def test_a_quiet_loop_gives_the_turn_straight_back() -> None:
    # The fewest of a few tries: a machine busy with other processes may pause this
    # one for longer than BUSY_TURN_SECONDS in any single turn.
    assert min([await _turns_others_got(0.0) for _ in range(5)]) == 1


async def test_a_busy_loop_gets_busy_turns_before_the_next_slice() -> None:
    assert await _turns_others_got(_BUSY) == BUSY_TURNS


async def test_a_loop_busy_once_then_quiet_gets_two_turns() -> None:
    # Busy in its first turn only: the second, quiet, gives the read its turn back.
    # (The fewest of a few tries, as above.)
    tries = []
    for _ in range(5):
        _, turns = await counting_turns(let_others_run(), work_per_turn=[_BUSY])
        tries.append(turns)
    assert min(tries) == 2
