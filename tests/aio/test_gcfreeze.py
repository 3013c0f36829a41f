"""Survivors of full collections are frozen, and thawed for one full walk every
`thaw_every` (aio/gcfreeze.py), with the real collector."""

from __future__ import annotations

import gc
import weakref

from minprow.aio.gcfreeze import FreezeSurvivors


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_survivors_are_frozen_and_thawed_on_schedule() -> None:
    now = [0.0]
    survivors = FreezeSurvivors(thaw_every=100.0, clock=lambda: now[0])
    with survivors:
        kept = [object() for _ in range(1000)]
        gc.collect()
        assert survivors.frozen == 1
        assert gc.get_freeze_count() >= len(kept)
        # A full collection walks only what came since: it does not see the frozen.
        now[0] = 150.0
        gc.collect()
        assert (survivors.frozen, survivors.thawed) == (1, 1)
        assert gc.get_freeze_count() == 0
        gc.collect()
        assert survivors.frozen == 2
    assert survivors._collected not in gc.callbacks
    assert gc.get_freeze_count() == 0


def test_a_thaw_lets_cycles_among_frozen_objects_be_collected() -> None:
    now = [0.0]
    with FreezeSurvivors(thaw_every=100.0, clock=lambda: now[0]):
        cycle = Cycle()
        alive = weakref.ref(cycle)
        gc.collect()  # the cycle survives (it is live) and is frozen
        del cycle
        gc.collect()  # frozen: not walked, so its garbage stays
        assert alive() is not None
        now[0] = 150.0
        gc.collect()  # due: thawed instead of frozen
        gc.collect()  # this one walks everything: the cycle goes
        assert alive() is None
