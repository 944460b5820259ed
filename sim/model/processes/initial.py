"""The first population (ODD 5): steady-state ages, a replay of careers, and the burn-in.

So that the status quo starts in, and stays in, its steady state, the first
population is drawn from the demographic steady state
(:func:`stationary_ages`), then ``CAREER_REPLAY_YEARS`` years of careers are
replayed once a year (:func:`replay_careers`: decisions, a discipline record
from the monthly hazards, the annual evaluation) to sort cadres into levels
as the promotion tournament does; a burn-in of silent decision rounds then
brings states and beliefs to the regime's quasi-steady state. The warm-up
months after it are ordinary months, run by :class:`sim.model.CadreModel`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.constants import (
    ACTIVE,
    BURN_IN_ROUNDS,
    CAREER_REPLAY_YEARS,
    EFFORT,
    FLAT,
    IDEALISM_TENURE_DECAY,
    INNOVATION_VALUE,
    MILD_EROSION,
    MISTAKE_EXPOSURE,
    RECRUIT_AGE,
    REPUTATION_BASELINE,
    RETIREMENT_AGE,
    ROUTINE,
)
from sim.model.kinds import CaseKind
from sim.model.processes.annual import annual_evaluation
from sim.model.processes.decision import (
    choose_by_probabilities,
    choose_states,
    population_utilities,
    softmax_probabilities,
)
from sim.model.processes.evaluation import expected_unfit_rates
from sim.model.processes.reports import report_exposure, report_hazard, visibility
from sim.model.processes.setup import draw_traits, initial_beliefs
from sim.model.processes.stakes import rank_factor, removal_probability
from sim.model.state import FloatArray, IntArray, Organisation, Population, workload
from sim.parameters.values import Params

__all__ = [
    "Initial",
    "initialise_population",
    "replay_careers",
    "replay_discipline",
    "stationary_ages",
]


def stationary_ages(
    uniforms: FloatArray, recruit_age: tuple[float, float], retirement_age: float
) -> tuple[FloatArray, FloatArray]:
    """Ages and years of service of a workforce in demographic steady state.

    Recruits join at an age ``R`` uniform on ``recruit_age`` and serve until
    ``retirement_age``, so in steady state the pair (recruit age, years
    served) has density proportional to ``1[s < retirement_age - R]``: ``R``
    is length-biased (weight ``retirement_age - R``) and ``s`` is uniform on
    ``[0, retirement_age - R)``. ``uniforms`` has shape ``(2, n)``: the first
    row draws ``R`` by inverting its distribution function, the second ``s``.
    Returns ``(age, service)`` in years.
    """
    low, high = recruit_age
    longest, shortest = (retirement_age - low) ** 2, (retirement_age - high) ** 2
    career = np.sqrt(longest - uniforms[0] * (longest - shortest))
    service = uniforms[1] * career
    return retirement_age - career + service, service


def replay_discipline(
    pop: Population,
    org: Organisation,
    params: Params,
    p: FloatArray,
    month: int,
    deterrence: float,
    rng: np.random.Generator,
) -> IntArray:
    """The year's discipline record in the career replay, from the monthly hazards.

    With ``P(s)`` the cadres' logit mix of states, the monthly hazards are:
    a reported honest mistake ``h_m = mistake_rate * sum_s P(s) m(s) *
    accountability factor * mistake_report_prob``; a false report ``h_f``
    (:func:`~sim.model.processes.reports.report_hazard` at the mixed
    visibility ``sum_s P(s) v(s)`` times the post's exposure); misconduct
    ``h_c = discipline.misconduct_rate``. Each happens in the year with
    probability ``1 - (1 - h)^12``; a false report ends in a wrongful
    sanction with ``1 - accuracy``, a mistake in a sanction unless exempted
    (``coverage * credibility``), misconduct with ``accuracy``. A sanction
    falls in a uniformly drawn month of the year: the cadre is barred for
    ``round(discipline.severity)`` months from then and a leading cadre is
    removed (at this evaluation) with ``removal_probability``. Reputation and
    idealism relax for half a year towards their long-run levels, take the
    year's losses (a case: ``reputation_damage`` and ``investigation_harm``
    for its mean length; a sanction: ``reputation_damage`` again; idealism
    the erosion of ODD 7.11), and relax for the other half. A case is open
    at the evaluation with probability ``min(1, (h_m + h_f + h_c) *
    investigation_months``): these rows (returned; marked as under
    investigation) cannot be promoted or demoted this year. Draws
    ``rng.random((9, n))``.
    """
    accusation, behaviour = params.accusation, params.behaviour
    alive = pop.alive
    level = org.post_level[pop.post]
    mistakes = (
        behaviour.mistake_rate
        * workload(pop, org.n_posts)
        * (p @ MISTAKE_EXPOSURE)
        * rank_factor(level, params.discipline.accountability)
        * accusation.mistake_report_prob
    )
    false = report_hazard(
        visible=(p @ visibility(accusation.visibility_active)) * report_exposure(pop, org, params),
        ability=pop.ability,
        alive=alive,
        base_rate=accusation.false_report_rate,
        deterrence=deterrence,
        deterrence_strength=params.crackdown.deterrence_strength,
        rival_share=accusation.rival_share,
    )
    misconduct = params.discipline.misconduct_rate
    accuracy = accusation.investigation_accuracy
    draws = rng.random((9, alive.size))
    falsely_accused = alive & (draws[0] < 1.0 - (1.0 - false) ** 12)
    mistaken = alive & (draws[1] < 1.0 - (1.0 - mistakes) ** 12)
    misbehaved = alive & (draws[2] < 1.0 - (1.0 - misconduct) ** 12)
    wrongful = falsely_accused & (draws[3] >= accuracy)
    exempt = params.fault_tolerance.coverage * params.fault_tolerance.credibility
    mistake_sanctioned = mistaken & (draws[4] >= exempt)
    sanctioned = wrongful | mistake_sanctioned | (misbehaved & (draws[5] < accuracy))
    had_case = falsely_accused | mistaken | misbehaved

    damage, erosion = accusation.reputation_damage, behaviour.idealism_erosion
    rep_half = (1.0 - behaviour.reputation_recovery) ** 6
    ideal_half = (1.0 - behaviour.idealism_recovery) ** 6
    baseline, base = REPUTATION_BASELINE, pop.idealism_base
    pop.reputation[:] = baseline + (pop.reputation - baseline) * rep_half
    pop.reputation[had_case] = np.maximum(
        pop.reputation[had_case] * (1.0 - damage)
        - accusation.investigation_harm * accusation.investigation_months,
        0.0,
    )
    pop.reputation[sanctioned] *= 1.0 - damage
    pop.reputation[:] = baseline + (pop.reputation - baseline) * rep_half
    pop.idealism[:] = base + (pop.idealism - base) * ideal_half
    pop.idealism[falsely_accused | mistake_sanctioned] *= 1.0 - MILD_EROSION * erosion
    pop.idealism[wrongful] *= 1.0 - erosion
    pop.idealism[:] = base + (pop.idealism - base) * ideal_half

    severity = params.discipline.severity
    verdict = month - np.floor(12.0 * draws[6]).astype(np.int64)
    pop.punished_until[sanctioned] = np.maximum(
        pop.punished_until[sanctioned], verdict[sanctioned] + int(round(severity))
    )
    removed = sanctioned & (level >= 1) & (draws[7] < removal_probability(severity))
    pop.removal_pending[removed] = True
    cases = mistakes + false + misconduct
    investigated = np.flatnonzero(
        alive & (draws[8] < np.minimum(cases * accusation.investigation_months, 1.0))
    )
    pop.case_kind[investigated] = int(CaseKind.FALSE_REPORT)
    return investigated


def _replayed_beliefs(
    pop: Population,
    org: Organisation,
    rows: IntArray,
    params: Params,
    deterrence: float,
    rng: np.random.Generator,
    promotion_rate: FloatArray | None,
) -> None:
    """Beliefs at the regime's truth, except promotion beliefs once an evaluation taught them."""
    learned = pop.belief_promotion[rows].copy()
    initial_beliefs(pop, org, rows, params, deterrence, rng, promotion_rate)
    if promotion_rate is not None:
        pop.belief_promotion[rows] = learned


def replay_careers(
    pop: Population,
    org: Organisation,
    params: Params,
    years: int,
    last_evaluation: int,
    deterrence: float,
    rng: np.random.Generator,
) -> tuple[FloatArray, FloatArray | None]:
    """Replay ``years`` years of careers, one decision and one evaluation a year.

    Each year every serving cadre's beliefs other than about promotion are
    set at the regime's truth (:func:`~sim.model.processes.setup.initial_beliefs`),
    its work state is drawn by the decision rule, its performance is the
    year's expected output in the logit mix of states (``12 * ability *
    sum_s P(s) * (effort(s) + innovation)``), its months active and flat are
    binomial draws, the year's ageing, tenure and idealism decay pass,
    :func:`replay_discipline` draws the year's cases and sanctions, and the
    annual evaluation (:func:`~sim.model.processes.annual.annual_evaluation`)
    demotes, retires, promotes and recruits as in a run. No post is cut
    (staffing cuts happen in real time) and nothing is recorded. The
    evaluations fall in months ``last_evaluation - 12 * (years - 1)`` to
    ``last_evaluation``; each year's decisions are made as in the month
    after the previous one. Returns the perceived unfit rates and the last
    evaluation's promotion rates (None if ``years`` is 0).
    """
    noise = params.behaviour.choice_noise
    innovation = params.behaviour.innovation_rate * INNOVATION_VALUE
    unfit_rate = np.array([0.0, 0.0, 1.0])
    promotion_rate: FloatArray | None = None
    for year in range(years):
        month = last_evaluation - 12 * (years - 1 - year)
        alive = pop.alive.copy()
        rows = np.flatnonzero(alive)
        _replayed_beliefs(pop, org, rows, params, deterrence, rng, promotion_rate)
        u = population_utilities(
            pop, org, params, workload(pop, org.n_posts), unfit_rate, month - 11
        )
        by_state = softmax_probabilities(u, noise)
        pop.state[:] = choose_by_probabilities(by_state, rng.random(alive.size))
        p = np.ascontiguousarray(by_state.T)  # one row per cadre
        output = pop.ability * (p @ EFFORT + innovation * p[:, ACTIVE])
        pop.performance[:] = np.where(alive, 12.0 * output, 0.0)
        pop.active_months[:] = np.where(alive, rng.binomial(12, p[:, ACTIVE]), 0)
        pop.flat_months[:] = np.where(alive, rng.binomial(12, p[:, FLAT]), 0)
        pop.tenure += 12 * alive
        pop.age += alive
        pop.idealism_base[alive] *= (1.0 - IDEALISM_TENURE_DECAY) ** 12
        pop.idealism[alive] *= (1.0 - IDEALISM_TENURE_DECAY) ** 12
        investigated = replay_discipline(pop, org, params, p, month, deterrence, rng)
        (year_end,) = annual_evaluation(
            pop, org, None, params, month, [unfit_rate], [deterrence], [rng], cut_posts=False
        )
        unfit_rate, promotion_rate = year_end.unfit_rate, year_end.promotion_rate
        pop.case_kind[investigated] = int(CaseKind.NONE)
    return unfit_rate, promotion_rate


@dataclass(frozen=True, slots=True)
class Initial:
    """The model state the first population leaves besides ``pop`` and ``org``.

    Attributes:
        unfit_rate: the perceived unfit rates by state.
        promotion_rate: the last replayed evaluation's promotion rates (None without
            demography: no careers are replayed).

    """

    unfit_rate: FloatArray
    promotion_rate: FloatArray | None


def initialise_population(
    pop: Population,
    org: Organisation,
    params: Params,
    deterrence: float,
    rng: np.random.Generator,
) -> Initial:
    """Fill every post, draw traits, ages and service, replay careers, burn in states and beliefs.

    Post ``k`` is held by row ``k``. Draws, in order: traits
    (:func:`~sim.model.processes.setup.draw_traits`), ``rng.random((2, n))``
    for :func:`stationary_ages` (with demography, ages and service come from
    it and long-run idealism has decayed over the years served; without,
    ages are uniform between the youngest recruit age and
    ``RETIREMENT_AGE``, from one more ``rng.random(n)``); tenure in post is
    the whole service. With demography, ``CAREER_REPLAY_YEARS`` years of
    careers are replayed (:func:`replay_careers`) with the last evaluation
    in the last multiple of 12 before the warm-up's first month. The
    burn-in is ``BURN_IN_ROUNDS`` silent rounds (no events) of: beliefs at
    the regime's truth, perceived unfit rates at the evaluation rule's
    expected values, and a decision (as in the warm-up's first month);
    beliefs are drawn once more at the end, promotion beliefs kept from the
    replay.
    """
    rows = np.arange(org.n_posts, dtype=np.int64)
    pop.post[:] = rows
    draw_traits(pop, rows, params, rng)
    age, service = stationary_ages(rng.random((2, rows.size)), RECRUIT_AGE, RETIREMENT_AGE)
    if params.workforce.demography:
        pop.age[:] = age
        pop.idealism_base *= (1.0 - IDEALISM_TENURE_DECAY) ** (12.0 * service)
    else:
        pop.age[:] = RECRUIT_AGE[0] + (RETIREMENT_AGE - RECRUIT_AGE[0]) * rng.random(rows.size)
    pop.idealism[:] = pop.idealism_base
    pop.tenure[:] = np.floor(12.0 * service).astype(np.int64)
    pop.state[:] = ROUTINE
    unfit_rate: FloatArray = np.array([0.0, 0.0, 1.0])
    promotion_rate: FloatArray | None = None
    warmup = params.simulation.warmup_months
    if params.workforce.demography:
        last_evaluation = -warmup - (warmup % 12)  # the last multiple of 12 before 1 - warmup
        unfit_rate, promotion_rate = replay_careers(
            pop, org, params, CAREER_REPLAY_YEARS, last_evaluation, deterrence, rng
        )
    rows = np.flatnonzero(pop.alive)
    first_month = 1 - warmup
    noise = params.behaviour.choice_noise
    load = workload(pop, org.n_posts)
    learned = pop.belief_promotion.copy() if promotion_rate is not None else None
    for _ in range(BURN_IN_ROUNDS):
        initial_beliefs(pop, org, rows, params, deterrence, rng, promotion_rate)
        unfit_rate = expected_unfit_rates(pop, org, params, rng)
        u = population_utilities(pop, org, params, load, unfit_rate, first_month)
        pop.state[:] = choose_states(u, noise, rng.random(pop.alive.size))
    initial_beliefs(pop, org, rows, params, deterrence, rng, promotion_rate)
    if learned is not None:
        pop.belief_promotion[:] = learned
    return Initial(unfit_rate, promotion_rate)
