"""New cadres (ODD section 5): traits and initial beliefs.

The same trait and belief draws serve the population at the start
(:func:`sim.model.processes.initial.initialise_population`) and every
recruit later (:func:`sim.model.processes.demography.recruit`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.constants import (
    ABILITY_BOUNDS,
    ABILITY_MEAN,
    ABILITY_SD,
    BELIEF_NOISE,
    IDEALISM_BETA,
    LONG_AGO,
    RECRUIT_AGE,
    REPUTATION_BASELINE,
    REPUTATION_NOISE,
    RETIREMENT_AGE,
    RISK_AVERSION_LOG_MEAN,
    RISK_AVERSION_LOG_SD,
)
from sim.model.kinds import CaseKind, Orientation
from sim.model.processes.reports import false_report_intensity, report_exposure, visibility
from sim.model.state import FloatArray, IntArray, Organisation, Population
from sim.parameters.values import Params

__all__ = [
    "BeliefTruths",
    "belief_truths",
    "draw_traits",
    "expected_promotion_rates",
    "initial_beliefs",
    "learned_false_report_rate",
]


def draw_traits(pop: Population, rows: IntArray, params: Params, rng: np.random.Generator) -> None:
    """Draw ability, risk aversion, orientation, idealism and reputation for new cadres.

    Draws, in order: ability ``clip(N(ABILITY_MEAN, ABILITY_SD),
    *ABILITY_BOUNDS)``, the risk-aversion multiplier
    ``LogNormal(RISK_AVERSION_LOG_MEAN, RISK_AVERSION_LOG_SD)``, orientation
    (idealist with ``workforce.idealist_share``), idealism from both
    ``IDEALISM_BETA`` distributions (each cadre keeps its orientation's),
    reputation noise ``N(0, REPUTATION_NOISE)``. Sets the rest of the rows'
    state to that of a newcomer (serving, no case, never barred or cleared,
    counters zero).
    """
    k = rows.size
    pop.ability[rows] = np.clip(rng.normal(ABILITY_MEAN, ABILITY_SD, k), *ABILITY_BOUNDS)
    pop.risk_aversion[rows] = params.behaviour.risk_aversion * rng.lognormal(
        RISK_AVERSION_LOG_MEAN, RISK_AVERSION_LOG_SD, k
    )
    idealist = rng.random(k) < params.workforce.idealist_share
    pop.orientation[rows] = np.where(idealist, int(Orientation.IDEALIST), int(Orientation.REALIST))
    a_i, b_i = IDEALISM_BETA[Orientation.IDEALIST]
    a_r, b_r = IDEALISM_BETA[Orientation.REALIST]
    theta = np.where(idealist, rng.beta(a_i, b_i, k), rng.beta(a_r, b_r, k))
    pop.idealism[rows] = theta
    pop.idealism_base[rows] = theta
    pop.reputation[rows] = np.clip(
        REPUTATION_BASELINE + rng.normal(0.0, REPUTATION_NOISE, k), 0.0, 1.0
    )
    pop.case_kind[rows] = int(CaseKind.NONE)
    pop.case_months_left[rows] = 0
    pop.punished_until[rows] = LONG_AGO
    pop.removal_pending[rows] = False
    pop.cleared_month[rows] = LONG_AGO
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
        false: each row's monthly false-report rate per unit of visibility x
            exposure, at the fixed point of its learning
            (:func:`learned_false_report_rate`).
        vindication: chance that a false report ends in public clarification.
        promotion: yearly promotion rate at each level (for the eligible).

    """

    exemption: float
    false: FloatArray
    vindication: float
    promotion: FloatArray


def learned_false_report_rate(
    pop: Population, org: Organisation, params: Params, deterrence: float
) -> FloatArray:
    """Each row's belief about false reports at the fixed point of its learning.

    Learning (:func:`sim.model.processes.learning.learn_monthly`) moves the
    belief towards three monthly signals, each a rate per unit of visibility
    x exposure: the cadre's own reports, its unit's and everyone's. Its
    expected value is the weighted mean of their expectations, ``(w_own *
    lambda_i / v_i + w_peer * sum_unit lambda / sum_unit v + w_pub * sum
    lambda / sum v) / (w_own + w_peer + w_pub)``, with ``lambda`` the monthly
    false-report hazard (:func:`~sim.model.processes.reports.false_report_intensity`)
    and ``v`` visibility x exposure in the current states.
    """
    accusation, behaviour = params.accusation, params.behaviour
    alive = pop.alive
    exposure = report_exposure(pop, org, params)
    lam = false_report_intensity(
        state=pop.state,
        ability=pop.ability,
        alive=alive,
        exposure=exposure,
        base_rate=accusation.false_report_rate,
        deterrence=deterrence,
        deterrence_strength=params.crackdown.deterrence_strength,
        visibility_active=accusation.visibility_active,
        rival_share=accusation.rival_share,
    )
    vis = visibility(accusation.visibility_active)[pop.state] * exposure * alive
    own = np.divide(lam, vis, out=np.zeros_like(vis), where=vis > 0)
    unit = org.post_unit[pop.post]
    unit_lam = np.bincount(unit, weights=lam * alive, minlength=org.n_units)
    unit_vis = np.bincount(unit, weights=vis, minlength=org.n_units)
    unit_rate = np.divide(unit_lam, unit_vis, out=np.zeros(org.n_units), where=unit_vis > 0)
    public = float((lam * alive).sum() / max(vis.sum(), 1e-9))
    w_own, w_peer, w_pub = (
        behaviour.learning_own,
        behaviour.learning_peer,
        behaviour.learning_public,
    )
    total = w_own + w_peer + w_pub
    if total <= 0:
        return np.full(alive.size, public)
    return (w_own * own + w_peer * unit_rate[unit] + w_pub * public) / total


def belief_truths(
    pop: Population,
    org: Organisation,
    params: Params,
    deterrence: float,
    promotion_rate: FloatArray | None = None,
) -> BeliefTruths:
    """The regime's true rates, given the serving cadres' states and ``deterrence``.

    The promotion rates are the last evaluation's (``promotion_rate``) once
    there has been one, else the steady state's (:func:`expected_promotion_rates`).
    """
    accusation = params.accusation
    return BeliefTruths(
        exemption=params.fault_tolerance.coverage * params.fault_tolerance.credibility,
        false=learned_false_report_rate(pop, org, params, deterrence),
        vindication=accusation.investigation_accuracy * params.clarification.coverage,
        promotion=(
            expected_promotion_rates(org, params) if promotion_rate is None else promotion_rate
        ),
    )


def initial_beliefs(
    pop: Population,
    org: Organisation,
    rows: IntArray,
    params: Params,
    deterrence: float,
    rng: np.random.Generator,
    promotion_rate: FloatArray | None = None,
) -> None:
    """Beliefs of new cadres: the regime in force, with mean-preserving individual noise.

    Each belief is the regime's truth (:func:`belief_truths`) times a
    ``LogNormal(-BELIEF_NOISE**2 / 2, BELIEF_NOISE)`` draw (drawn as one
    ``(4, k)`` block: exemption, false reports, promotion, vindication),
    clipped to [0, 1].
    """
    k = rows.size
    spread = rng.lognormal(-(BELIEF_NOISE**2) / 2.0, BELIEF_NOISE, (4, k))
    truth = belief_truths(pop, org, params, deterrence, promotion_rate)
    pop.belief_exemption[rows] = np.clip(truth.exemption * spread[0], 0.0, 1.0)
    pop.belief_false[rows] = np.clip(truth.false[rows] * spread[1], 0.0, 1.0)
    pop.belief_promotion[rows] = np.clip(
        truth.promotion[org.post_level[pop.post[rows]]] * spread[2], 0.0, 1.0
    )
    pop.belief_vindication[rows] = np.clip(truth.vindication * spread[3], 0.0, 1.0)
