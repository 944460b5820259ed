"""Tests of the second round of initialisation speed-ups (issue #12)."""

from __future__ import annotations

import numpy as np

from sim.model.draws import draw_uniform_blocks
from sim.model.stacking import Runs


def test_uniform_blocks_into_given_room_are_each_runs_own_draws() -> None:
    """Drawn into ``out``, each run's block is its ``rng.random((9, size))``, in ``out`` itself."""
    count, size = 3, 7
    runs = Runs.stacked(count, size, 2)
    room = np.full((count, 9, size), np.nan)
    got = draw_uniform_blocks(runs, [np.random.default_rng(s) for s in range(count)], 9, out=room)
    assert got is room
    for r in range(count):
        assert np.array_equal(room[r], np.random.default_rng(r).random((9, size)))
