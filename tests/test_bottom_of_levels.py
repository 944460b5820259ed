"""The bottom of each level by selection is the bottom of the order by (score, row)."""

from __future__ import annotations

import numpy as np

from sim.model.processes import evaluation


def _by_sorting(score, level, alive, share, n_levels):
    """The bottom ``share`` of each level, from a full stable sort (``np.lexsort``)."""
    rows = np.flatnonzero(alive)
    order = rows[np.lexsort((score[rows], level[rows]))]
    group = level[order]
    size = np.bincount(group, minlength=n_levels)
    k = np.floor((share[order] if np.ndim(share) else share) * size[group]).astype(np.int64)
    rank = np.arange(order.size) - (np.cumsum(size) - size)[group]
    bottom = np.zeros(alive.size, dtype=bool)
    bottom[order[rank < k]] = True
    return bottom


def test_bottom_of_levels_is_that_of_a_stable_sort():
    rng = np.random.default_rng(12)
    for trial in range(400):
        n, n_levels, kind = int(rng.integers(0, 600)), int(rng.integers(1, 30)), trial % 5
        score = rng.standard_normal(n) if kind in (0, 4) else rng.integers(0, 4, n).astype(float)
        if kind == 2 and n:
            score[::5] = -0.0
        if kind == 3 and n:
            score[rng.integers(0, n)] = np.nan
        level = rng.integers(0, n_levels, n)
        alive = rng.random(n) < 0.9
        share = rng.random(n_levels)[level] if kind == 4 else float(rng.choice([0, 0.1, 0.5, 1]))
        np.testing.assert_array_equal(
            evaluation.bottom_of_levels(score, level, alive, share, n_levels),
            _by_sorting(score, level, alive, share, n_levels),
        )
