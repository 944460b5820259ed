"""New cadres (ODD section 5): traits, initial beliefs, and the burn-in of the first population.

The same trait and belief draws serve the population at the start and every
recruit later (:func:`sim.model.processes.demography.recruit`). The burn-in
runs silent decision rounds so that month 0 starts near the regime's
quasi-steady state; the warm-up months after it are ordinary months, run by
:class:`sim.model.CadreModel`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.constants import (
    BURN_IN_ROUNDS,
    IDEALISM_BETA,
    IDEALISM_TENURE_DECAY,
    RECRUIT_AGE,
    REPUTATION_BASELINE,
    RETIREMENT_AGE,
    ROUTINE,
)
from sim.model.kinds import CaseKind, Orientation
from sim.model.processes.decision import decide
from sim.model.processes.evaluation import expected_unfit_rates
from sim.model.processes.reports import visibility
from sim.model.state import FloatArray, IntArray, Organisation, Population, workload
from sim.parameters.values import Params

__all__ = [
    "BeliefTruths",
    "belief_truths",
    "draw_traits",
    "expected_promotion_rates",
    "initial_beliefs",
    "initialise_population",
]


def draw_traits(pop: Population, rows: IntArray, params: Params, rng: np.random.Generator) -> None:
    """Draw ability, risk aversion, orientation, idealism and reputation for new cadres.

    Draws, in order: ability ``N(1, 0.25)``, the risk-aversion multiplier
    ``LogNormal(-0.045, 0.3)``, orientation, idealism from both
    ``IDEALISM_BETA`` distributions, reputation noise ``N(0, 0.05)``. Sets
    the rest of the rows' state to that of a newcomer (serving, no case,
    counters zero).
    """
    k = rows.size
    pop.ability[rows] = np.clip(rng.normal(1.0, 0.25, k), 0.3, 2.0)
    pop.risk_aversion[rows] = params.behaviour.risk_aversion * rng.lognormal(-0.045, 0.3, k)
    idealist = rng.random(k) < params.workforce.idealist_share
    pop.orientation[rows] = np.where(idealist, int(Orientation.IDEALIST), int(Orientation.REALIST))
    a_i, b_i = IDEALISM_BETA[Orientation.IDEALIST]
    a_r, b_r = IDEALISM_BETA[Orientation.REALIST]
    theta = np.where(idealist, rng.beta(a_i, b_i, k), rng.beta(a_r, b_r, k))
    pop.idealism[rows] = theta
    pop.idealism_base[rows] = theta
    pop.reputation[rows] = np.clip(REPUTATION_BASELINE + rng.normal(0.0, 0.05, k), 0.0, 1.0)
    pop.case_kind[rows] = int(CaseKind.NONE)
    pop.case_months_left[rows] = 0
    pop.punished_until[rows] = -1
    pop.cleared_month[rows] = -(10**6)
    pop.performance[rows] = 0.0
    pop.active_months[rows] = 0
    pop.flat_months[rows] = 0
    pop.tenure[rows] = 0
    pop.alive[rows] = True


def expected_promotion_rates(org: Organisation, params: Params) -> FloatArray:
    """Yearly promotion rate at each level (promotions per cadre), in steady state.

    Vacancies at level ``l + 1`` arise from retirements (about one cadre
    in ``RETIREMENT_AGE - mean recruit age`` a year) and from promotions
    out of it; each is filled from level ``l``.
    """
    sizes = org.level_sizes.astype(float)
    turnover = 1.0 / (RETIREMENT_AGE - np.mean(RECRUIT_AGE)) if params.workforce.demography else 0.0
    rates = np.zeros(sizes.size)
    outflow = np.zeros(sizes.size)
    for lvl in range(sizes.size - 2, -1, -1):
        vacancies = sizes[lvl + 1] * (turnover + outflow[lvl + 1])
        outflow[lvl] = vacancies / sizes[lvl]
        rates[lvl] = min(1.0, outflow[lvl])
    return rates


@dataclass(frozen=True, slots=True)
class BeliefTruths:
    """What the current regime really implies, for new cadres' beliefs.

    Attributes:
        exemption: chance that an honest mistake is exempted.
        false: monthly chance of a false report per unit of visibility.
        vindication: chance that a false report ends in public clarification.
        promotion: yearly promotion rate at each level.

    """

    exemption: float
    false: float
    vindication: float
    promotion: FloatArray


def belief_truths(
    pop: Population, org: Organisation, params: Params, deterrence: float
) -> BeliefTruths:
    """The regime's true rates, given the serving cadres' states and ``deterrence``."""
    accusation = params.accusation
    serving = pop.alive
    n = max(int(serving.sum()), 1)
    vis = visibility(accusation.visibility_active)[pop.state]
    mean_vis = float(vis[serving].sum() / n) if serving.any() else 1.0
    rate = accusation.false_report_rate * (1.0 - params.crackdown.deterrence_strength * deterrence)
    return BeliefTruths(
        exemption=params.fault_tolerance.coverage * params.fault_tolerance.credibility,
        false=rate / max(mean_vis, 1e-9),
        vindication=accusation.investigation_accuracy * params.clarification.coverage,
        promotion=expected_promotion_rates(org, params),
    )


def initial_beliefs(
    pop: Population,
    org: Organisation,
    rows: IntArray,
    params: Params,
    deterrence: float,
    rng: np.random.Generator,
) -> None:
    """Beliefs of new cadres: the regime in force, with individual noise.

    Each belief is the regime's truth (:func:`belief_truths`) times a
    ``LogNormal(0, 0.25)`` draw (drawn as one ``(4, k)`` block), clipped to [0, 1].
    """
    k = rows.size
    spread = rng.lognormal(0.0, 0.25, (4, k))
    truth = belief_truths(pop, org, params, deterrence)
    pop.belief_exemption[rows] = np.clip(truth.exemption * spread[0], 0.0, 1.0)
    pop.belief_false[rows] = np.clip(truth.false * spread[1], 0.0, 1.0)
    pop.belief_promotion[rows] = np.clip(
        truth.promotion[org.post_level[pop.post[rows]]] * spread[2], 0.0, 1.0
    )
    pop.belief_vindication[rows] = np.clip(truth.vindication * spread[3], 0.0, 1.0)


def initialise_population(
    pop: Population,
    org: Organisation,
    params: Params,
    deterrence: float,
    rng: np.random.Generator,
) -> FloatArray:
    """Fill every post, draw traits, ages and tenure, then burn in states and beliefs.

    Post ``k`` is held by row ``k``. Ages are uniform between the youngest
    recruit age and ``RETIREMENT_AGE``; long-run idealism has decayed over
    the years served since the mean recruit age. The burn-in is
    ``BURN_IN_ROUNDS`` silent rounds (no events) of: beliefs at the regime's
    truth, perceived unfit rates at the evaluation rule's expected values,
    and a decision, so that month 0 starts near the regime's quasi-steady
    state with beliefs consistent with the states they produce; beliefs are
    drawn once more at the end. Returns the perceived unfit rates by state.
    """
    rows = np.arange(org.n_posts, dtype=np.int64)
    pop.post[:] = rows
    draw_traits(pop, rows, params, rng)
    pop.age[:] = rng.uniform(RECRUIT_AGE[0], RETIREMENT_AGE, rows.size)
    months_served = 12.0 * np.maximum(pop.age - np.mean(RECRUIT_AGE), 0.0)
    pop.idealism_base *= (1.0 - IDEALISM_TENURE_DECAY) ** months_served
    pop.idealism[:] = pop.idealism_base
    pop.tenure[:] = rng.integers(0, 60, rows.size)
    pop.state[:] = ROUTINE
    unfit_rate = np.array([0.0, 0.0, 1.0])
    # every post is held: the workload is the starting one
    load = workload(pop, org.n_posts)
    for _ in range(BURN_IN_ROUNDS):
        initial_beliefs(pop, org, rows, params, deterrence, rng)
        unfit_rate = expected_unfit_rates(pop, org, params, rng)
        decide(pop, org, params, load, unfit_rate, rng.random(rows.size))
    initial_beliefs(pop, org, rows, params, deterrence, rng)
    return unfit_rate
