"""The annual evaluation's processes in schedule order (ODD 7.14, 7.15).

Every 12th month (and once a year in the career replay at initialisation):
evaluate, demote, retire, cut posts, promote, learn promotion rates, recruit,
close the year. The Mesa agents of the cadres who leave and join are the
caller's to remove and add (:class:`Annual` names their rows).

:func:`annual_evaluation` runs once over one run or a stack of runs of
equal structure (:class:`~sim.model.stacking.Runs`), as
:func:`~sim.model.processes.month.advance_month` does: each run draws from
its own generator exactly what it draws alone, in the same order, and every
per-run rate and count is taken within its run, so each run's results are
identical whether it runs alone or stacked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.model.processes import demography, evaluation, promotion
from sim.model.processes.setup import BeliefTruths
from sim.model.stacking import RunParams, Runs
from sim.model.state import FloatArray, IntArray, Organisation, Population
from sim.parameters.values import Params

__all__ = ["Annual", "annual_evaluation"]


@dataclass(frozen=True, slots=True)
class Annual:
    """What the annual evaluation returns for one run besides its changes to ``pop`` and ``org``.

    Attributes:
        unfit_rate: the perceived unfit rates by state, updated from this year.
        promotion_rate: this year's promotion rate at each level among the eligible.
        retired: rows (within the run) of the cadres who retired.
        recruited: rows (within the run) of the recruits.
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
    runs: Runs | None,
    params: Params | RunParams,
    month: int,
    unfit_rate: Sequence[FloatArray],
    deterrence: Sequence[float],
    rngs: Sequence[np.random.Generator],
    cut_posts: bool = True,
    truths: list[BeliefTruths] | None = None,
) -> list[Annual]:
    """The year's evaluation, demotions, retirements, staffing cuts, promotions and recruits.

    In order: :func:`~sim.model.processes.evaluation.evaluate`,
    :func:`~sim.model.processes.evaluation.demote`,
    :func:`~sim.model.processes.demography.retire`,
    :func:`~sim.model.processes.demography.cut_posts` (if ``cut_posts``),
    :func:`~sim.model.processes.promotion.promote`,
    :func:`~sim.model.processes.promotion.learn_promotion`,
    :func:`~sim.model.processes.demography.recruit` (recruits' promotion
    beliefs from this year's rates) and
    :func:`~sim.model.processes.evaluation.close_year`, each run drawing
    from its generator in ``rngs`` in that order. ``truths`` (a list, if
    given) receives the regime's truth the recruits' beliefs were drawn at,
    if there were recruits (:func:`~sim.model.processes.demography.recruit`).

    ``runs`` lays out the stack (None: one run of every row); ``params`` is
    one :class:`Params` or the stack's :class:`RunParams`; ``unfit_rate``,
    ``deterrence`` and ``rngs`` hold one entry per run. Returns one
    :class:`Annual` per run. Changes ``pop`` and ``org`` in place.
    """
    runs = runs or Runs.single(pop.alive.size, org.n_units)
    verdict = evaluation.evaluate(pop, org, params, month, unfit_rate, rngs, runs)
    demotion = evaluation.demote(pop, org, verdict, month, runs)
    retired = demography.retire(pop, org, params, runs)
    if cut_posts:
        demography.cut_posts(org, params, runs)
    promoted = promotion.promote(pop, org, verdict, demotion.promoted, rngs, runs)
    rates = promotion.learn_promotion(pop, org, params, verdict, promoted, runs)
    recruited = demography.recruit(pop, org, params, deterrence, rngs, rates, runs, truths)
    evaluation.close_year(pop)
    promotions = runs.counts(promoted)
    left, joined = runs.split(retired), runs.split(recruited)
    return [
        Annual(
            verdict.unfit_rate[r],
            rates[r],
            left[r] - r * runs.size,
            joined[r] - r * runs.size,
            {
                "demotions": demotion.count[r],
                "removals": demotion.removals[r],
                "retirements": int(left[r].size),
                "promotions": int(promotions[r]),
                "recruits": int(joined[r].size),
            },
        )
        for r in range(runs.count)
    ]
