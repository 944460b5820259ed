"""The annual evaluation's compiled kernels give the results of their plain-numpy readings."""

from __future__ import annotations

import numpy as np

from sim.model.processes import ranking


def _best_by_sorting(key, group, n_groups, take, mask, sign):  # type: ignore[no-untyped-def]
    """The first ``take[g]`` masked entries of each group by (sign * key, index): a full lexsort."""
    rows = np.flatnonzero(mask)
    order = rows[np.lexsort((sign * key[rows], group[rows]))]
    size = np.bincount(group[order], minlength=n_groups)
    rank = np.arange(order.size) - (np.cumsum(size) - size)[group[order]]
    return order[rank < take[group[order]]]


def _random_keys(rng: np.random.Generator, n: int, trial: int) -> np.ndarray:
    """Keys with ties, signed zeros, infinities, one-valued groups and NaN, by trial."""
    kind = trial % 6
    if kind == 0:
        key = rng.standard_normal(n)
    elif kind == 1:
        key = rng.integers(0, int(rng.integers(1, 20)), n).astype(float)
    elif kind == 2:
        key = np.where(rng.random(n) < 0.5, 0.0, -0.0)
    elif kind == 3:
        key = rng.standard_normal(n) * 1e300
        key[rng.random(n) < 0.05] = np.inf
        key[rng.random(n) < 0.05] = -np.inf
    elif kind == 4:
        key = np.full(n, 2.5)
    else:
        key = rng.random(n)
        if n:
            key[rng.integers(0, n)] = np.nan
    return key


def test_best_within_groups_with_mask_and_sign_is_the_head_of_a_full_sort() -> None:
    rng = np.random.default_rng(7)
    for trial in range(600):
        n, n_groups = int(rng.integers(0, 2000)), int(rng.integers(1, 40))
        key = _random_keys(rng, n, trial)
        group = rng.integers(0, n_groups, n)
        take = rng.integers(0, int(rng.integers(1, 400)), n_groups)
        take[rng.random(n_groups) < 0.1] = n  # all of a group
        mask = rng.random(n) < rng.random() if trial % 3 else None
        sign = -1.0 if trial % 4 == 1 else 1.0
        chosen = np.ones(n, dtype=bool) if mask is None else mask
        np.testing.assert_array_equal(
            ranking.best_within_groups(key, group, n_groups, take, mask, sign),
            _best_by_sorting(key, group, n_groups, take, chosen, sign),
        )


def test_smallest_within_groups_unordered_keeps_the_same_entries() -> None:
    rng = np.random.default_rng(8)
    for trial in range(300):
        n, n_groups = int(rng.integers(0, 3000)), int(rng.integers(1, 90))
        key = _random_keys(rng, n, trial)
        group = rng.integers(0, n_groups, n)
        take = rng.integers(-2, 100, n_groups)
        mask = rng.random(n) < 0.9
        out = np.empty(n, dtype=np.int64)
        count = ranking.smallest_within_groups(key, 1.0, group, mask, 1, take, False, out)
        if np.isnan(key[mask]).any():
            assert count == -1
            continue
        expected = _best_by_sorting(key, group, n_groups, np.maximum(take, 0), mask, 1.0)
        assert count == expected.size
        np.testing.assert_array_equal(np.sort(out[:count]), np.sort(expected))


def test_verdicts_are_those_of_the_numpy_masks() -> None:
    from sim.model.constants import ACTIVE, FLAT, N_STATES, ROUTINE, UNFIT_MONTHS
    from sim.model.processes.evaluation import NO_CASE, _verdicts

    rng = np.random.default_rng(9)
    for trial in range(60):
        n_runs, size = int(rng.integers(1, 5)), int(rng.integers(0, 300))
        n = n_runs * size
        alive = rng.random(n) < (0.0 if trial == 0 else 0.9)
        flat, active = rng.integers(0, 13, n), rng.integers(0, 13, n)
        draws = rng.random((2, n))
        per_row = trial % 2 == 1
        detection = np.repeat(rng.random(n_runs), size) if per_row else np.array([0.4])
        intensity = np.repeat(rng.random(n_runs), size) if per_row else np.array([0.7])
        stride = int(per_row)
        bottom = rng.random(n) < 0.1
        pending = rng.random(n) < 0.05
        case_kind = np.where(rng.random(n) < 0.2, NO_CASE + 1, NO_CASE)
        run = np.repeat(np.arange(n_runs), size)
        demoted = np.empty(n, dtype=bool)
        judged = np.zeros(n_runs * N_STATES, dtype=np.int64)
        found = np.zeros_like(judged)
        _verdicts(alive, flat, active, draws, detection, stride, intensity, stride, bottom,
                  pending, case_kind, run, demoted, judged, found)  # fmt: skip
        dominant = np.full(n, ROUTINE)
        dominant[active >= UNFIT_MONTHS] = ACTIVE
        dominant[flat >= UNFIT_MONTHS] = FLAT
        unfit = alive & ((flat >= UNFIT_MONTHS) & (draws[0] < detection) | bottom)
        cell = run * N_STATES + dominant
        np.testing.assert_array_equal(judged, np.bincount(cell[alive], minlength=judged.size))
        np.testing.assert_array_equal(found, np.bincount(cell[unfit], minlength=judged.size))
        expected = (unfit & (draws[1] < intensity) | pending) & alive & (case_kind == NO_CASE)
        np.testing.assert_array_equal(demoted, expected)


def test_demotion_pairs_are_those_of_the_numpy_reading() -> None:
    from sim.model.processes.evaluation import _demotion_pairs

    rng = np.random.default_rng(10)
    for trial in range(80):
        n_runs, size, n_levels = int(rng.integers(1, 5)), int(rng.integers(0, 200)), 4
        n = n_runs * size
        run = np.repeat(np.arange(n_runs), size)
        level = rng.integers(0, n_levels, n)
        demoted = rng.random(n) < (0.3 if trial % 2 else 0.05)
        eligible = rng.random(n) < 0.5
        tenure, punished = rng.integers(0, 50, n), rng.integers(0, 40, n)
        pending = rng.random(n) < 0.3
        score = rng.standard_normal(n)
        cand, cand_group, cand_key = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n)
        down, take = np.empty(n, dtype=np.int64), np.zeros(n_runs * n_levels, dtype=np.int64)
        counts = np.zeros((3, n_runs), dtype=np.int64)
        t2, p2, pend2 = tenure.copy(), punished.copy(), pending.copy()
        count, n_cand = _demotion_pairs(demoted, eligible, level, score, run, n_levels, 30, t2,
                                        p2, pend2, cand, cand_group, cand_key, down, take,
                                        counts)  # fmt: skip
        n_groups = n_runs * n_levels
        g = run * n_levels + level
        bottom = demoted & (level == 0)
        rows = np.flatnonzero(demoted & (level >= 1))
        rows = rows[np.argsort(g[rows], kind="stable")]
        is_cand = eligible & (level < n_levels - 1) & ~demoted
        pairs = np.minimum(
            np.bincount(g[rows], minlength=n_groups),
            np.bincount(g[is_cand] + 1, minlength=n_groups),
        )
        size_of = np.bincount(g[rows], minlength=n_groups)
        rank = np.arange(rows.size) - (np.cumsum(size_of) - size_of)[g[rows]]
        rows = rows[rank < pairs[g[rows]]]
        np.testing.assert_array_equal(down[:count], rows)
        np.testing.assert_array_equal(take, np.append(pairs[1:], 0))
        np.testing.assert_array_equal(cand[:n_cand], np.flatnonzero(is_cand))
        np.testing.assert_array_equal(cand_group[:n_cand], g[is_cand])
        np.testing.assert_array_equal(cand_key[:n_cand], score[is_cand])
        np.testing.assert_array_equal(t2, np.where(bottom, 0, tenure))
        np.testing.assert_array_equal(p2, np.where(bottom, np.maximum(punished, 30), punished))
        removed = rows[pending[rows]]
        np.testing.assert_array_equal(pend2, pending & ~np.isin(np.arange(n), removed))
        expected = [
            np.bincount(run[x], minlength=n_runs) for x in (np.flatnonzero(bottom), rows, removed)
        ]
        np.testing.assert_array_equal(counts, np.array(expected))


def test_promotion_counts_and_public_rates_are_those_of_the_numpy_reading() -> None:
    from sim.model.processes.promotion import _count_promotions, _rate_at_level

    rng = np.random.default_rng(11)
    for _ in range(60):
        n_runs, size, n_levels = int(rng.integers(1, 5)), int(rng.integers(0, 300)), 3
        n = n_runs * size
        run = np.repeat(np.arange(n_runs), size)
        alive, eligible, promoted = (rng.random((3, n)) < [[0.9], [0.5], [0.2]]).astype(bool)
        level = rng.integers(0, n_levels, n)
        counted = np.empty(n, dtype=bool)
        promotions = np.zeros((2, n_runs * n_levels), dtype=np.int64)
        _count_promotions(alive, eligible, promoted, level, run, n_levels, counted, promotions)
        g = run * n_levels + level
        np.testing.assert_array_equal(counted, alive & eligible)
        np.testing.assert_array_equal(
            promotions,
            [
                np.bincount(g[counted & promoted], minlength=n_runs * n_levels),
                np.bincount(g[counted], minlength=n_runs * n_levels),
            ],
        )
        rate, post_level = rng.random(n_runs * n_levels), rng.integers(0, n_levels, max(size, 1))
        post = rng.integers(0, max(size, 1), n)
        out = np.empty(n)
        _rate_at_level(rate, post_level, post, run, n_levels, out)
        np.testing.assert_array_equal(out, rate[run * n_levels + post_level[post]])


def test_vacancies_and_recruit_slots_are_those_of_the_numpy_reading() -> None:
    from sim.model.processes.demography import _recruit_slots
    from sim.model.processes.promotion import _vacancies

    rng = np.random.default_rng(12)
    for _ in range(60):
        n_runs, size = int(rng.integers(1, 5)), int(rng.integers(1, 200))
        post_level = np.sort(rng.integers(0, 3, size))
        is_open = rng.random(n_runs * size) < 0.9
        holder = np.where(rng.random(n_runs * size) < 0.2, -1, 0)
        alive = rng.random(n_runs * size) < 0.85
        vacant = is_open & (holder < 0)
        for level in range(3):
            level_posts = np.flatnonzero(post_level == level)
            posts = np.empty(n_runs * size, dtype=np.int64)
            n_posts = np.empty(n_runs, dtype=np.int64)
            total = _vacancies(is_open, holder, level_posts, size, posts, n_posts)
            post_run, at = np.nonzero(vacant.reshape(n_runs, size)[:, level_posts])
            np.testing.assert_array_equal(posts[:total], level_posts[at])
            np.testing.assert_array_equal(n_posts, np.bincount(post_run, minlength=n_runs))
        on = rng.random(n_runs) < 0.8
        slots, rows = np.empty(n_runs * size, np.int64), np.empty(n_runs * size, np.int64)
        k = np.zeros(n_runs, dtype=np.int64)
        total = _recruit_slots(post_level, is_open, holder, alive, size, on, slots, rows, k)
        run = np.repeat(np.arange(n_runs), size)
        bottom_vacant = np.flatnonzero(np.tile(post_level == 0, n_runs) & vacant)
        free = np.flatnonzero(~alive)
        expected_k = np.minimum(
            np.bincount(run[bottom_vacant], minlength=n_runs),
            np.bincount(run[free], minlength=n_runs),
        )
        expected_k[~on] = 0
        np.testing.assert_array_equal(k, expected_k)
        np.testing.assert_array_equal(slots[:total], _first_of_runs(bottom_vacant, run, expected_k))
        np.testing.assert_array_equal(rows[:total], _first_of_runs(free, run, expected_k))


def _first_of_runs(rows: np.ndarray, run: np.ndarray, k: np.ndarray) -> np.ndarray:
    """The first ``k[r]`` of the ascending ``rows`` of each run ``r``."""
    size_of = np.bincount(run[rows], minlength=k.size)
    rank = np.arange(rows.size) - (np.cumsum(size_of) - size_of)[run[rows]]
    return rows[rank < k[run[rows]]]


def test_bottom_of_levels_with_the_score_ranges_is_that_without() -> None:
    from sim.model.processes import evaluation

    rng = np.random.default_rng(13)
    for trial in range(200):
        n, n_levels = int(rng.integers(0, 800)), int(rng.integers(1, 30))
        values = (rng.random(n) * 1e3, rng.integers(0, 200, n), rng.random(n))
        level = rng.integers(0, n_levels, n)
        alive = rng.random(n) < 0.9
        noise = rng.standard_normal(n)
        if trial % 4 == 0 and n:
            noise[rng.integers(0, n)] = np.nan
        if trial % 4 == 1:
            noise = np.round(noise)  # ties
        ranges = np.empty((3, n_levels))
        w = (0.5, 0.5, 0.2)
        score = ranking.weighted_zscores(values, w, level, alive, n_levels, 0.3, noise, ranges)
        np.testing.assert_array_equal(
            score, ranking.weighted_zscores(values, w, level, alive, n_levels, 0.3, noise)
        )
        served = np.flatnonzero(alive)
        np.testing.assert_array_equal(ranges[0], np.bincount(level[served], minlength=n_levels))
        for g in range(n_levels):
            in_level = score[served[level[served] == g]]
            in_level = in_level[~np.isnan(in_level)]
            if in_level.size:
                assert (ranges[1, g], ranges[2, g]) == (in_level.min(), in_level.max())
        share = rng.random(n_levels)[level] if trial % 3 == 0 else float(rng.choice([0, 0.1, 1]))
        np.testing.assert_array_equal(
            evaluation.bottom_of_levels(score, level, alive, share, n_levels, ranges),
            evaluation.bottom_of_levels(score, level, alive, share, n_levels),
        )
