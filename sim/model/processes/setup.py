"""New cadres (ODD section 5): traits and initial beliefs.

The same trait and belief draws serve the population at the start
(:func:`sim.model.processes.initial.initialise_population`) and every
recruit later (:func:`sim.model.processes.demography.recruit`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.model.compiled import kernel
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
from sim.model.draws import generators, side_by_side
from sim.model.kinds import CaseKind, Orientation
from sim.model.processes.reports import false_report_intensity, report_exposure
from sim.model.stacking import RunParams, Runs, at_rows, params_of, strided
from sim.model.state import FloatArray, IntArray, Organisation, Population
from sim.parameters.values import Params

__all__ = [
    "BeliefTruths",
    "belief_truths",
    "draw_traits",
    "expected_promotion_rates",
    "initial_beliefs",
    "keep_learned",
    "learned_false_report_rate",
    "replayed_beliefs",
]


def draw_traits(
    pop: Population,
    rows: IntArray,
    params: Params | RunParams,
    rng: np.random.Generator | Sequence[np.random.Generator],
    runs: Runs | None = None,
) -> None:
    """Draw ability, risk aversion, orientation, idealism and reputation for new cadres.

    Draws, in order: ability ``clip(N(ABILITY_MEAN, ABILITY_SD),
    *ABILITY_BOUNDS)``, the risk-aversion multiplier
    ``LogNormal(RISK_AVERSION_LOG_MEAN, RISK_AVERSION_LOG_SD)``, orientation
    (idealist with ``workforce.idealist_share``), idealism from both
    ``IDEALISM_BETA`` distributions (each cadre keeps its orientation's),
    reputation noise ``N(0, REPUTATION_NOISE)``. Sets the rest of the rows'
    state to that of a newcomer (serving, no case, never barred or cleared,
    counters zero).

    In a stack (``runs``), ``rows`` are ascending stack rows and ``rng`` holds
    one generator per run: each run draws the above for its own rows, in that
    order, from its own generator (a run with no rows draws nothing).
    """
    runs = runs or Runs.single(pop.alive.size, 0)
    draws: list[list[FloatArray]] = [[], [], [], [], [], []]
    a_i, b_i = IDEALISM_BETA[Orientation.IDEALIST]
    a_r, b_r = IDEALISM_BETA[Orientation.REALIST]
    for generator, part in zip(generators(rng), runs.split(rows), strict=True):
        k = part.size
        if k == 0 and runs.count > 1:
            continue
        draws[0].append(generator.normal(ABILITY_MEAN, ABILITY_SD, k))
        draws[1].append(generator.lognormal(RISK_AVERSION_LOG_MEAN, RISK_AVERSION_LOG_SD, k))
        draws[2].append(generator.random(k))
        draws[3].append(generator.beta(a_i, b_i, k))
        draws[4].append(generator.beta(a_r, b_r, k))
        draws[5].append(generator.normal(0.0, REPUTATION_NOISE, k))
    if not rows.size:
        return
    ability, risk, orientation, beta_i, beta_r, noise = (side_by_side(d) for d in draws)
    pop.ability[rows] = np.clip(ability, *ABILITY_BOUNDS)
    pop.risk_aversion[rows] = at_rows(params.behaviour.risk_aversion, rows) * risk
    idealist = orientation < at_rows(params.workforce.idealist_share, rows)
    pop.orientation[rows] = np.where(idealist, int(Orientation.IDEALIST), int(Orientation.REALIST))
    theta = np.where(idealist, beta_i, beta_r)
    pop.idealism[rows] = theta
    pop.idealism_base[rows] = theta
    pop.reputation[rows] = np.clip(REPUTATION_BASELINE + noise, 0.0, 1.0)
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
        exemption: chance that an honest mistake is exempted (a number, or
            one value per row in a stack of runs with different values).
        false: each row's monthly false-report rate per unit of visibility x
            exposure, at the fixed point of its learning
            (:func:`learned_false_report_rate`).
        vindication: chance that a false report ends in public clarification
            (a number or one value per row).
        promotion: yearly promotion rate at each level (for the eligible),
            one row per run: ``promotion[run, level]``.

    """

    exemption: Any
    false: FloatArray
    vindication: Any
    promotion: FloatArray


def _each_run(value: Any, count: int) -> list[Any]:
    """One number per run: ``value`` for every run, or its entries if it has one per run."""
    return [value] * count if np.ndim(value) == 0 else list(value)


def _each_runs_rates(
    rates: FloatArray | Sequence[FloatArray | None] | None, count: int
) -> list[FloatArray | None]:
    """One run's promotion rates (or None) for every run, or the entries of one per run."""
    if rates is None or (isinstance(rates, np.ndarray) and rates.ndim == 1):
        return [rates] * count
    return list(rates)


def learned_false_report_rate(
    pop: Population,
    org: Organisation,
    params: Params | RunParams,
    deterrence: float | Sequence[float],
    runs: Runs | None = None,
) -> FloatArray:
    """Each row's belief about false reports at the fixed point of its learning.

    Learning (:func:`sim.model.processes.learning.learn_monthly`) moves the
    belief towards three monthly signals, each a rate per unit of visibility
    x exposure: the cadre's own reports, its unit's and everyone's (in its
    run). Its expected value is the weighted mean of their expectations,
    ``(w_own * lambda_i / v_i + w_peer * sum_unit lambda / sum_unit v + w_pub
    * sum lambda / sum v) / (w_own + w_peer + w_pub)``, with ``lambda`` the
    monthly false-report hazard
    (:func:`~sim.model.processes.reports.false_report_intensity`) and ``v``
    visibility x exposure in the current states. ``deterrence`` is a number
    or one value per run of ``runs`` (default: one run).
    """
    runs = runs or Runs.single(pop.alive.size, org.n_units)
    accusation = params.accusation
    alive = pop.alive
    # vis: visibility x exposure, 0 where not serving (the hazard's first weight); lam is 0
    # there too (no weight), so lam is also lam * alive, bit for bit
    vis = np.empty(alive.size)
    lam = false_report_intensity(
        state=pop.state,
        ability=pop.ability,
        alive=alive,
        exposure=report_exposure(pop, org, params),
        base_rate=accusation.false_report_rate,
        deterrence=runs.per_row(_each_run(deterrence, runs.count)),
        deterrence_strength=params.crackdown.deterrence_strength,
        visibility_active=accusation.visibility_active,
        rival_share=accusation.rival_share,
        runs=runs,
        weights=(vis, np.empty(alive.size)),
    )
    public = np.array(
        [float(t / max(v, 1e-9)) for t, v in zip(runs.sums(lam), runs.sums(vis), strict=True)]
    )
    weights = np.array(
        [_learning_weights(params_of(params, r)) for r in range(runs.count)], dtype=np.float64
    )
    out = np.empty(alive.size)
    _learned_rates(
        lam,
        vis,
        pop.post,
        org.post_unit,
        runs.size,
        runs.units,
        public,
        weights,
        np.zeros(runs.count * runs.units),
        np.zeros(runs.count * runs.units),
        out,
    )
    return out


def _learning_weights(params: Params) -> tuple[float, float, float, float]:
    """One run's weights of its own, its unit's and the public signal, and their total."""
    behaviour = params.behaviour
    own, peer, public = behaviour.learning_own, behaviour.learning_peer, behaviour.learning_public
    return own, peer, public, own + peer + public


@kernel
def _learned_rates(
    lam, vis, post, post_unit, size, units, public, weights, unit_lam, unit_vis, out
):  # pragma: no cover - compiled
    """:func:`learned_false_report_rate` of each row from its hazard ``lam`` and weight ``vis``.

    ``unit_lam`` and ``unit_vis`` (zeros, one per unit of the stack) receive
    each unit's sums, summed in row order (as ``np.bincount`` sums them),
    then ``unit_lam`` the unit's rate;
    run ``r``'s rows hold ``size`` rows and its units ``units`` units
    (row ``i``'s unit: ``post_unit[post[i]] + r * units``). Row ``i``'s
    belief is ``(w_own * own + w_peer * unit + w_pub * public[r]) / total``
    with ``own = lam / vis`` and ``unit`` its unit's ``sum lam / sum vis``
    (0 where the weight is 0) and ``weights[r] = (w_own, w_peer, w_pub,
    total)``; ``public[r]`` when the total is not positive.
    """
    count = lam.size // size
    for r in range(count):
        for i in range(r * size, (r + 1) * size):
            u = post_unit[post[i]] + r * units
            unit_lam[u] += lam[i]
            unit_vis[u] += vis[i]
    for u in range(unit_lam.size):  # each unit's rate, into unit_lam
        unit_lam[u] = unit_lam[u] / unit_vis[u] if unit_vis[u] > 0.0 else 0.0
    for r in range(count):
        w = weights[r]
        for i in range(r * size, (r + 1) * size):
            if not w[3] > 0.0:
                out[i] = public[r]
                continue
            u = post_unit[post[i]] + r * units
            own = lam[i] / vis[i] if vis[i] > 0.0 else 0.0
            out[i] = (w[0] * own + w[1] * unit_lam[u] + w[2] * public[r]) / w[3]


def belief_truths(
    pop: Population,
    org: Organisation,
    params: Params | RunParams,
    deterrence: float | Sequence[float],
    promotion_rate: FloatArray | Sequence[FloatArray | None] | None = None,
    runs: Runs | None = None,
) -> BeliefTruths:
    """The regime's true rates, given the serving cadres' states and ``deterrence``.

    The promotion rates are the last evaluation's (``promotion_rate``) once
    there has been one, else the steady state's (:func:`expected_promotion_rates`).
    In a stack (``runs``), ``deterrence`` and ``promotion_rate`` may hold one
    entry per run.
    """
    runs = runs or Runs.single(pop.alive.size, org.n_units)
    rates = _each_runs_rates(promotion_rate, runs.count)
    promotion = np.array(
        [
            expected_promotion_rates(org, params_of(params, r)) if rate is None else rate
            for r, rate in enumerate(rates)
        ],
        dtype=np.float64,
    ).reshape(runs.count, org.n_levels)
    accusation = params.accusation
    return BeliefTruths(
        exemption=params.fault_tolerance.coverage * params.fault_tolerance.credibility,
        false=learned_false_report_rate(pop, org, params, deterrence, runs),
        vindication=accusation.investigation_accuracy * params.clarification.coverage,
        promotion=promotion,
    )


def initial_beliefs(
    pop: Population,
    org: Organisation,
    rows: IntArray,
    params: Params | RunParams,
    deterrence: float | Sequence[float],
    rng: np.random.Generator | Sequence[np.random.Generator],
    promotion_rate: FloatArray | Sequence[FloatArray | None] | None = None,
    runs: Runs | None = None,
    truth: BeliefTruths | None = None,
    promotion_beliefs: bool = True,
) -> BeliefTruths | None:
    """Beliefs of new cadres: the regime in force, with mean-preserving individual noise.

    Each belief is the regime's truth (:func:`belief_truths`) times a
    ``LogNormal(-BELIEF_NOISE**2 / 2, BELIEF_NOISE)`` draw (one ``(4, k)``
    block: exemption, false reports, promotion, vindication; drawn as its
    standard normal numbers, exponentiated as ``rng.lognormal`` does),
    clipped to [0, 1]. In a stack (``runs``), ``rows`` are ascending stack
    rows, ``rng`` holds one generator per run (each run draws the block for
    its own ``k`` rows; a run with no rows draws nothing) and ``deterrence``
    and ``promotion_rate`` one entry per run. ``truth``, if given, is
    :func:`belief_truths` of the same population, parameters, ``deterrence``
    and ``promotion_rate`` (one already computed; it is not recomputed).
    With ``promotion_beliefs`` False the promotion beliefs are left as they
    are (their noise is still drawn, in the same block). Returns the truth
    used (None when there are no ``rows``).
    """
    runs = runs or Runs.single(pop.alive.size, org.n_units)
    counts = np.array([part.size for part in runs.split(rows)], dtype=np.int64)
    ends = np.cumsum(counts)
    noise = np.empty(4 * rows.size)  # each run's (4, k) block of standard normal numbers
    for generator, k, end in zip(generators(rng), counts.tolist(), ends.tolist(), strict=True):
        if k or runs.count == 1:
            generator.standard_normal(out=noise[4 * (end - k) : 4 * end])
    if not rows.size:
        return None
    if truth is None:
        truth = belief_truths(pop, org, params, deterrence, promotion_rate, runs)
    _noisy_beliefs(
        np.asarray(rows, dtype=np.int64), counts, noise, -(BELIEF_NOISE**2) / 2.0, BELIEF_NOISE,
        *strided(truth.exemption), truth.false, *strided(truth.vindication), truth.promotion,
        runs.run, pop.post, org.post_level, promotion_beliefs, pop.belief_exemption,
        pop.belief_false, pop.belief_promotion, pop.belief_vindication,
    )  # fmt: skip
    return truth


@kernel
def _unit_clip(x):  # pragma: no cover - compiled
    """``np.clip(x, 0.0, 1.0)`` of one number, as numpy clips (NaN and -0.0 stay)."""
    if x < 0.0:
        return 0.0
    return 1.0 if x > 1.0 else x


@kernel
def _noisy_beliefs(
    rows, counts, noise, mean, sd, exemption, e_stride, false, vindication, v_stride, promotion,
    run, post, post_level, promotion_beliefs, belief_exemption, belief_false, belief_promotion,
    belief_vindication,
):  # fmt: skip  # pragma: no cover - compiled
    """The beliefs of :func:`initial_beliefs` for ``rows``: each truth times its noise, clipped.

    Run ``r`` has ``counts[r]`` of the rows (``k``, in order) and its block
    of ``noise`` (``4 k`` standard normal numbers ``z``, as ``(4, k)``):
    row ``t`` of the run's takes ``exp(mean + sd * z[:, t])``, numpy's
    ``lognormal(mean, sd)`` of the same numbers (the promotion one only
    when ``promotion_beliefs``). Row ``i`` believes, clipped to [0, 1], its
    noise times: exemption ``exemption[i * e_stride]``, false reports
    ``false[i]``, promotion ``promotion[run[i], level of its post]``,
    vindication ``vindication[i * v_stride]``.
    """
    j = 0
    for r in range(counts.size):
        k = counts[r]
        block = 4 * j
        for t in range(k):
            i = rows[j + t]
            z = block + t
            spread = math.exp(mean + sd * noise[z])
            belief_exemption[i] = _unit_clip(exemption[i * e_stride] * spread)
            belief_false[i] = _unit_clip(false[i] * math.exp(mean + sd * noise[z + k]))
            if promotion_beliefs:
                chance = promotion[run[i], post_level[post[i]]]
                spread = math.exp(mean + sd * noise[z + 2 * k])
                belief_promotion[i] = _unit_clip(chance * spread)
            spread = math.exp(mean + sd * noise[z + 3 * k])
            belief_vindication[i] = _unit_clip(vindication[i * v_stride] * spread)
        j += k


def keep_learned(
    pop: Population,
    runs: Runs,
    rows: IntArray,
    learned: FloatArray,
    promotion_rate: Sequence[FloatArray | None],
) -> None:
    """Put back the promotion beliefs ``learned`` (at ``rows``) of runs an evaluation taught."""
    taught = np.array([rate is not None for rate in promotion_rate])
    if taught.all():
        pop.belief_promotion[rows] = learned
    elif taught.any():
        mine = taught[runs.run[rows]]
        pop.belief_promotion[rows[mine]] = learned[mine]


def replayed_beliefs(
    pop: Population,
    org: Organisation,
    runs: Runs,
    rows: IntArray,
    params: Params | RunParams,
    deterrence: Sequence[float],
    rngs: Sequence[np.random.Generator],
    promotion_rate: Sequence[FloatArray | None],
    truth: BeliefTruths | None = None,
) -> None:
    """Beliefs at the regime's truth, except promotion beliefs once an evaluation taught them.

    ``truth``, if given, is that truth already computed (as for the last recruits).
    """
    if all(rate is not None for rate in promotion_rate):  # every run taught: keep them all
        initial_beliefs(
            pop, org, rows, params, deterrence, rngs, promotion_rate, runs, truth, False
        )
        return
    learned = pop.belief_promotion[rows].copy()
    initial_beliefs(pop, org, rows, params, deterrence, rngs, promotion_rate, runs, truth)
    keep_learned(pop, runs, rows, learned, promotion_rate)
