"""The fused evaluation-score kernel gives the numbers of its plain reading, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.processes import ranking


@pytest.mark.parametrize("per_row", [False, True])
def test_weighted_zscores_is_the_weighted_sum_of_zscores(per_row: bool) -> None:
    rng = np.random.default_rng(3)
    n, n_groups = 3000, 12
    groups = rng.integers(0, n_groups, n)
    mask = rng.random(n) < 0.9
    a, b, c = rng.random(n) * 1e3, rng.integers(0, 200, n), rng.random(n)
    c[groups == 5] = 0.3  # a constant group: z = 0
    noise = rng.standard_normal(n)
    w = np.repeat(rng.random(3), n // 3) if per_row else 0.6
    expected = (
        w * ranking.within_group_zscore(a, groups, mask, n_groups)
        + (1.0 - w) * ranking.within_group_zscore(b.astype(float), groups, mask, n_groups)
        + 0.2 * ranking.within_group_zscore(c, groups, mask, n_groups)
        + 0.3 * noise
    )
    got = ranking.weighted_zscores((a, b, c), (w, 1.0 - w, 0.2), groups, mask, n_groups, 0.3, noise)
    np.testing.assert_array_equal(got, expected)


def _first_of_sorted(key, group, n_groups, take):  # type: ignore[no-untyped-def]
    order = ranking.sort_within_groups(key, group, n_groups)
    size = np.bincount(group, minlength=n_groups)
    rank = np.arange(order.size) - (np.cumsum(size) - size)[group[order]]
    return order[rank < take[group[order]]]


def test_best_within_groups_is_the_head_of_the_full_sort() -> None:
    rng = np.random.default_rng(1)
    for trial in range(200):
        n, n_groups = int(rng.integers(0, 300)), int(rng.integers(1, 6))
        if trial % 2:  # many ties
            key = rng.integers(0, int(rng.integers(1, 20)), n).astype(float)
        else:
            key = rng.random(n)
        if trial % 5 == 0:
            key[key == 0] = -0.0
        if trial % 7 == 0 and n:
            key[rng.integers(0, n)] = np.nan
        group = rng.integers(0, n_groups, n)
        take = rng.integers(0, 60, n_groups)
        np.testing.assert_array_equal(
            ranking.best_within_groups(key, group, n_groups, take),
            _first_of_sorted(key, group, n_groups, take),
        )
