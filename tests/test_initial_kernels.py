"""The compiled kernels of the first population and of new cadres, against numpy's readings."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.model import stacking
from sim.model.stacking import Runs, binomial_draws, draw_binomial


# --- binomial draws ------------------------------------------------------------------------
def _inversion(trials: int, p: float, uniforms: list[float]) -> int:
    """numpy's ``random_binomial`` by inversion for one row, reading ``uniforms`` (popped)."""
    if trials == 0 or p == 0.0:
        return 0
    flip = p > 0.5
    if flip:
        p = 1.0 - p
    q = 1.0 - p
    qn = math.exp(trials * math.log(q))
    mean = trials * p
    bound = int(min(trials, mean + 10.0 * math.sqrt(mean * q + 1)))
    x, px, u = 0, qn, uniforms.pop(0)
    while u > px:
        x += 1
        if x > bound:
            x, px, u = 0, qn, uniforms.pop(0)
        else:
            u -= px
            px = ((trials - x + 1) * p * px) / (x * q)
    return trials - x if flip else x


def _chances(rng: np.random.Generator, n: int) -> np.ndarray:
    """Chances with zeros, ones, halves, tiny and near-half values among uniform ones."""
    p = rng.random(n)
    p[rng.random(n) < 0.05] = 0.0
    p[rng.random(n) < 0.02] = 1.0
    p[rng.random(n) < 0.02] = 0.5
    tiny = rng.random(n) < 0.05
    p[tiny] = rng.random(tiny.sum()) * 1e-12
    near = rng.random(n) < 0.05
    p[near] = 0.5 + (rng.random(near.sum()) - 0.5) * 1e-9
    near = rng.random(n) < 0.02
    p[near] = np.nextafter(0.5, rng.choice([0.0, 1.0], near.sum()))
    return p


@pytest.mark.parametrize("trials", [12, 0, 1, 2, 5, 11, 40, 60])
def test_binomial_draws_are_numpys_with_the_same_generator_state(trials: int) -> None:
    source = np.random.default_rng(trials)
    for seed in range(20):
        p = _chances(source, int(source.integers(0, 3000)))
        ours, theirs = np.random.default_rng(seed), np.random.default_rng(seed)
        got = binomial_draws(ours, trials, p)
        want = theirs.binomial(trials, p)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
        assert ours.bit_generator.state == theirs.bit_generator.state


def test_a_million_binomial_draws_of_twelve_are_numpys() -> None:
    p = np.random.default_rng(3).random(1_000_000)
    got = binomial_draws(np.random.default_rng(4), 12, p)
    np.testing.assert_array_equal(got, np.random.default_rng(4).binomial(12, p))


@pytest.mark.parametrize(
    "trials, p",
    [
        (100, np.full(50, 0.4)),  # BTPE
        (12, np.array([0.2, np.nan])),
        (12, np.array([0.2, 1.5])),
        (12, np.array([-0.1, 0.2])),
        (-1, np.array([0.2])),
        (np.int64(12), np.array([[0.2, 0.7], [0.0, 1.0]])),
    ],
)
def test_binomial_draws_leave_the_rest_to_numpy(trials: int, p: np.ndarray) -> None:
    ours, theirs = np.random.default_rng(1), np.random.default_rng(1)
    try:
        want = theirs.binomial(trials, p)
    except ValueError:
        with pytest.raises(ValueError):
            binomial_draws(ours, trials, p)
        return
    np.testing.assert_array_equal(binomial_draws(ours, trials, p), want)
    assert ours.bit_generator.state == theirs.bit_generator.state


def _restarting_chance(trials: int, u: float) -> float:
    """A chance whose inversion from ``u`` passes its bound (numpy would restart)."""
    for p in np.random.default_rng(0).random(100_000) * 0.5:
        try:
            _inversion(trials, float(p), [u])
        except IndexError:  # it wanted another number
            return float(p)
    raise AssertionError("no restarting chance found")


def test_a_restarted_inversion_takes_the_next_numbers() -> None:
    top = float(np.nextafter(1.0, 0.0))
    p0 = _restarting_chance(12, top)
    p = np.array([0.3, p0, 0.0, 0.6, p0, 0.2])
    uniforms = [0.5, top, 0.25, 0.7, top, top, 0.1, 0.9]
    want = [_inversion(12, float(c), uniforms) for c in p]
    assert not uniforms
    out = np.empty(p.size, dtype=np.int64)
    given = np.array([0.5, top, 0.25, 0.7, top])  # one number per drawing row
    start = stacking._binomial_inversion(12, p, given, 0, out)
    assert start == 4  # row 4 restarted after the last number
    start = stacking._binomial_inversion(12, p, np.array([top, 0.1, 0.9]), start, out)
    assert start == p.size
    np.testing.assert_array_equal(out, want)
    assert stacking._binomial_uniforms(12, p) == 5


def test_drawn_binomials_of_a_stack_are_each_runs_own() -> None:
    runs = Runs.stacked(3, 500, 4)
    p = _chances(np.random.default_rng(9), runs.rows)
    got = draw_binomial(runs, [np.random.default_rng(s) for s in range(3)], 12, p)
    want = [np.random.default_rng(s).binomial(12, p[runs.bounds(s)]) for s in range(3)]
    np.testing.assert_array_equal(got, np.concatenate(want))
