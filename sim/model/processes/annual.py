"""The annual evaluation's processes in schedule order (ODD 7.14, 7.15).

Every 12th month (and once a year in the career replay at initialisation):
evaluate, demote, retire, cut posts, promote, learn promotion rates, recruit,
close the year. The Mesa agents of the cadres who leave and join are the
caller's to remove and add (:class:`Annual` names their rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.processes import demography, evaluation
from sim.model.state import FloatArray, IntArray, Organisation, Population
from sim.parameters.values import Params

__all__ = ["Annual", "annual_evaluation"]


@dataclass(frozen=True, slots=True)
class Annual:
    """What the annual evaluation returns besides its changes to ``pop`` and ``org``.

    Attributes:
        unfit_rate: the perceived unfit rates by state, updated from this year.
        promotion_rate: this year's promotion rate at each level among the eligible.
        retired: rows of the cadres who retired.
        recruited: rows of the recruits.
        counts: ``demotions``, ``removals``, ``retirements``, ``promotions``, ``recruits``.

    """

    unfit_rate: FloatArray
    promotion_rate: FloatArray
    retired: IntArray
    recruited: IntArray
    counts: dict[str, int]


def annual_evaluation(
    pop: Population,
    org: Organisation,
    params: Params,
    month: int,
    unfit_rate: FloatArray,
    deterrence: float,
    rng: np.random.Generator,
    cut_posts: bool = True,
) -> Annual:
    """The year's evaluation, demotions, retirements, staffing cuts, promotions and recruits.

    In order: :func:`~sim.model.processes.evaluation.evaluate`,
    :func:`~sim.model.processes.evaluation.demote`,
    :func:`~sim.model.processes.demography.retire`,
    :func:`~sim.model.processes.demography.cut_posts` (if ``cut_posts``),
    :func:`~sim.model.processes.evaluation.promote`,
    :func:`~sim.model.processes.evaluation.learn_promotion`,
    :func:`~sim.model.processes.demography.recruit` (recruits' promotion
    beliefs from this year's rates) and
    :func:`~sim.model.processes.evaluation.close_year`, drawing from ``rng``
    in that order.
    """
    verdict = evaluation.evaluate(pop, org, params, month, unfit_rate, rng)
    demotion = evaluation.demote(pop, org, verdict, month)
    retired = demography.retire(pop, org, params)
    if cut_posts:
        demography.cut_posts(org, params)
    promoted = evaluation.promote(pop, org, verdict, demotion.promoted, rng)
    rates = evaluation.learn_promotion(pop, org, params, verdict, promoted)
    recruited = demography.recruit(pop, org, params, deterrence, rng, rates)
    evaluation.close_year(pop)
    counts = {
        "demotions": demotion.count,
        "removals": demotion.removals,
        "retirements": int(retired.size),
        "promotions": int(promoted.sum()),
        "recruits": int(recruited.size),
    }
    return Annual(verdict.unfit_rate, rates, retired, recruited, counts)
