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


def test_uniforms_and_normals_side_by_side_are_each_runs_own_draws() -> None:
    """:func:`draw_uniform` and :func:`draw_normal` lay out each run's own calls' numbers."""
    from sim.model.draws import draw_normal, draw_uniform

    for count, size in ((1, 9), (3, 7), (4, 0), (2, 1)):
        runs = Runs.stacked(count, size, 2)
        for lead in ((), (2,), (3, 2)):
            rngs = [np.random.default_rng(s) for s in range(count)]
            got = draw_uniform(runs, rngs, *lead)
            alone = [np.random.default_rng(s) for s in range(count)]
            want = np.concatenate([g.random((*lead, size)) for g in alone], axis=-1)
            assert got.shape == (*lead, count * size)
            np.testing.assert_array_equal(got, want)
            for a, b in zip(rngs, alone, strict=True):
                assert a.bit_generator.state == b.bit_generator.state
        rngs = [np.random.default_rng(s) for s in range(count)]
        alone = [np.random.default_rng(s) for s in range(count)]
        want = np.concatenate([g.standard_normal(size) for g in alone])
        np.testing.assert_array_equal(draw_normal(runs, rngs), want)
        for a, b in zip(rngs, alone, strict=True):
            assert a.bit_generator.state == b.bit_generator.state


def test_expected_unfit_rates_are_those_of_scores_ranked_without_ranges() -> None:
    """With the scores' ranges handed on, the rates are those ranked from the scores alone."""
    from sim.model import CadreModel
    from sim.model.constants import EFFORT, FLAT, N_STATES
    from sim.model.processes import evaluation
    from sim.model.processes.ranking import bottom_of_levels
    from sim.parameters.values import Params

    for seed in range(4):
        model = CadreModel(workforce_population=150, rng=seed)
        pop, org = model.pop, model.org
        gen = np.random.default_rng(seed)
        pop.state[:] = gen.integers(0, N_STATES, pop.alive.size)
        pop.alive[gen.random(pop.alive.size) < 0.1] = False
        prm = Params.from_values({"workforce.population": 150})
        got = evaluation.expected_unfit_rates(pop, org, prm, np.random.default_rng(seed))
        level = org.post_level[pop.post]
        performance = 12.0 * pop.ability * EFFORT[pop.state]
        noise = np.random.default_rng(seed).standard_normal(pop.alive.size)
        score = evaluation.evaluation_scores(pop, org, prm, performance, noise)
        share = prm.demotion.bottom_share
        bottom = bottom_of_levels(score, level, pop.alive, share, org.n_levels).astype(float)
        detect = prm.demotion.detection
        p_unfit = np.where(pop.state == FLAT, detect + (1.0 - detect) * bottom, bottom)
        for state in range(N_STATES):
            rows = pop.alive & (pop.state == state)
            want = p_unfit[rows].mean() if rows.any() else (detect if state == FLAT else 0.0)
            assert got[state] == want
