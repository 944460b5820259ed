"""The truth the recruits' beliefs are drawn at is the truth of the population after the year."""

from __future__ import annotations

import numpy as np

from sim.model import CadreModel
from sim.model.constants import RETIREMENT_AGE
from sim.model.processes import evaluation, setup
from sim.model.processes.annual import annual_evaluation


def test_the_recruits_truth_is_the_truth_after_the_year() -> None:
    model = CadreModel(workforce_population=120, rng=5)
    model.run(11)  # the next month, 12, is an evaluation
    pop, org = model.pop, model.org
    pop.age[np.random.default_rng(1).choice(pop.alive.size, 6, replace=False)] = RETIREMENT_AGE
    truths: list[setup.BeliefTruths] = []
    (year,) = annual_evaluation(
        pop,
        org,
        None,
        model.params,
        12,
        [model.unfit_rate],
        [model.deterrence],
        [np.random.default_rng(2)],
        truths=truths,
    )
    assert year.recruited.size and len(truths) == 1
    evaluation.close_year(pop)
    again = setup.belief_truths(pop, org, model.params, model.deterrence, year.promotion_rate)
    np.testing.assert_array_equal(truths[0].false, again.false)
    np.testing.assert_array_equal(truths[0].promotion, again.promotion)
    assert truths[0].exemption == again.exemption
    assert truths[0].vindication == again.vindication
