"""The decision rule (ODD 7.1 to 7.3): the work norm, state utilities and logit choice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.model.compiled import kernel
from sim.model.constants import EFFORT, MISTAKE_EXPOSURE, N_STATES, SUPERIOR_NORM_WEIGHT
from sim.model.processes.reports import state_visibilities
from sim.model.processes.stakes import (
    RankFactors,
    Stakes,
    eligible_at_next_evaluation,
    paid,
    population_stakes,
    rank_factors,
)
from sim.model.stacking import RunParams, Runs, run_table, run_values, strided
from sim.model.state import (
    BoolArray,
    FloatArray,
    IntArray,
    Organisation,
    Population,
    superior_of,
)
from sim.parameters.values import Params

__all__ = [
    "choose_by_probabilities",
    "choose_states",
    "decide",
    "norm_shares",
    "population_utilities",
    "softmax_probabilities",
    "state_utilities",
]


def state_utilities(
    *,
    ability: FloatArray,
    idealism: FloatArray,
    risk_aversion: FloatArray,
    belief_exemption: FloatArray,
    belief_false: FloatArray,
    belief_promotion: FloatArray,
    belief_vindication: FloatArray,
    previous_state: IntArray,
    norm_shares: FloatArray,
    eligible: BoolArray,
    paid: BoolArray,
    stake: Stakes,
    report_exposure: FloatArray,
    accountability: FloatArray,
    params: Params | RunParams,
    workload: Any,
    unfit_rate: Sequence[Any],
    choice_noise: Any = None,
) -> FloatArray:
    """Monthly utility of each work state for each cadre, shape ``(3, n)`` (one row per state).

    ``U[i, s] = idealism * service(s) + (1 - idealism) * career(s)
    - demotion(s) - cost(s) - risk_aversion * sanctions(s) + habit + conformity``, with

    * service: ``service_motivation * ability * effort(s)`` (public service
      motivation, lasting achievement: the idealist's logic);
    * career: performance pay, ``material_reward * paid * ability *
      effort(s)`` (forfeited while barred: ``paid`` is False), plus the
      tournament return to performance, ``prize * belief_promotion *
      eligible * performance_weight * ability * effort(s) / (1 +
      evaluation_noise)`` (nothing for a cadre who cannot be promoted at the
      next evaluation: ``eligible`` is False) (the realist's logic);
    * demotion: ``demotion.intensity * unfit_rate(s) * stake.demotion``;
    * cost: ``effort_cost * workload * effort(s)**2``;
    * sanctions: expected loss from an honest mistake that is reported (a
      case, then a sanction unless exempted; honest mistakes scale with
      ``accountability``, the failures a post answers for), plus from false
      reports (believed rate times ``report_exposure``, the post's exposure;
      a case, a wrongful sanction unless cleared, less the reputation a
      public clarification restores), each valued by the realised
      consequences in ``stake`` (:func:`sim.model.processes.stakes.stakes`;
      Epstein 2002: risk aversion times perceived sanction probability; Png
      1986: wrongful sanctions shrink the gap between acting and not acting).

    ``workload`` is work per cadre relative to the start and ``unfit_rate``
    the perceived chance of being judged unfit after a year in each state
    (each a number, or one value per row when runs are stacked; or the
    three given as one float64 array of each run's rates, shape ``(runs, 3)``);
    every other number is a parameter in ``params``. ``norm_shares`` (shape
    ``(3, n)``) is overwritten by the utilities, which are returned;
    nothing else changes. With ``choice_noise`` (a number or one per row)
    each column is returned scaled and shifted for the exponential
    (``U / choice_noise`` less its largest entry, as :func:`softmax_probabilities`
    takes it) in the same pass.
    """
    u = norm_shares
    n = u.shape[1]
    fixed, run = run_table(params, n, _utility_numbers)
    table = fixed.copy()
    # the numbers that change from month to month: each run's workload and unfit rates
    load = run_values(params, workload)
    table[:, _MISTAKE_K] = fixed[:, _MISTAKE_RATE] * load * fixed[:, _MISTAKE_REPORT]
    if isinstance(unfit_rate, np.ndarray) and unfit_rate.ndim == 2:  # each run's three rates
        table[:, _UNFIT : _UNFIT + N_STATES] = unfit_rate
    else:
        for s in range(N_STATES):
            table[:, _UNFIT + s] = run_values(params, unfit_rate[s])
    table[:, _EFFORT_COST] = fixed[:, _EFFORT_COST_RATE] * load
    _utilities_kernel(
        ability,
        idealism,
        risk_aversion,
        belief_exemption,
        belief_false,
        belief_promotion,
        belief_vindication,
        previous_state,
        np.asarray(eligible, dtype=np.bool_),
        np.asarray(paid, dtype=np.bool_),
        stake.case,
        stake.case_reputation,
        stake.punishment,
        stake.demotion,
        report_exposure,
        accountability,
        table,
        run,
        _STATE_CONSTANTS,
        choice_noise is not None,
        *strided(1.0 if choice_noise is None else choice_noise),
        u,
    )
    return u


#: Columns of :func:`_utility_numbers` (as :func:`_utilities_kernel` reads them).
_MISTAKE_K, _UNFIT, _EFFORT_COST = 4, 13, 16
#: Columns of :func:`_utility_numbers` the month's columns are computed from.
_MISTAKE_RATE, _MISTAKE_REPORT, _EFFORT_COST_RATE = 17, 18, 19


def _utility_numbers(p: Params, pick: Any) -> list[float]:
    """One run's numbers for :func:`_utilities_kernel` from its parameters (a table's row).

    Columns 4 (``mistake_rate * workload * mistake_report_prob``), 13 to 15
    (the unfit rates) and 16 (``effort_cost * workload``) change from month
    to month: :func:`state_utilities` fills them in from columns 17 to 19.
    """
    behaviour, career, accusation = p.behaviour, p.career, p.accusation
    return [
        behaviour.service_motivation,
        career.material_reward,
        career.prize * career.performance_weight / (1.0 + career.evaluation_noise),
        p.demotion.intensity,
        0.0,  # mistake_rate * workload * mistake_report_prob
        p.fault_tolerance.mitigation,
        accusation.investigation_accuracy,
        p.clarification.restoration,
        behaviour.conformity,
        behaviour.habit,
        *state_visibilities(accusation.visibility_active),
        0.0,  # unfit rates (3)
        0.0,
        0.0,
        0.0,  # effort_cost * workload
        behaviour.mistake_rate,
        accusation.mistake_report_prob,
        behaviour.effort_cost,
    ]


#: Per state: effort, mistake exposure and effort squared (as numpy squares a number).
_STATE_CONSTANTS = np.array(
    [[EFFORT[s], MISTAKE_EXPOSURE[s], EFFORT[s] ** 2] for s in range(N_STATES)]
)


@kernel
def _utilities_kernel(
    ability,
    idealism,
    risk_aversion,
    belief_exemption,
    belief_false,
    belief_promotion,
    belief_vindication,
    previous_state,
    eligible,
    paid,
    case,
    case_reputation,
    punishment,
    demotion_stake,
    report_exposure,
    accountability,
    table,
    run,
    per_state,
    shift,
    noise,
    n_stride,
    u,
):  # pragma: no cover - compiled
    """The equations of :func:`state_utilities` by row; ``u`` holds the norm, then utilities.

    With one run (``table`` of one row) ``run`` is not read. With ``shift``
    each column is then :func:`_scaled_and_shifted` by its ``noise``.
    """
    several = table.shape[0] > 1
    for i in range(u.shape[1]):
        p = table[run[i] if several else 0]
        service, material_reward, tournament, intensity = p[0], p[1], p[2], p[3]
        mistake_k, mitigation, accuracy, restoration = p[4], p[5], p[6], p[7]
        conformity, habit, effort_cost = p[8], p[9], p[16]
        career_weight = 1.0 - idealism[i]
        pay = material_reward * (1.0 if paid[i] else 0.0)
        hope = tournament * belief_promotion[i] * (1.0 if eligible[i] else 0.0)
        # service + career return per unit of effort
        effort_gain = (idealism[i] * service + career_weight * (pay + hope)) * ability[i]
        # expected demotion loss per unit of perceived unfitness
        demotion = intensity * demotion_stake[i]
        # expected loss from honest mistakes per unit of mistake exposure
        sanction = case[i] + (1.0 - belief_exemption[i] * mitigation) * punishment[i]
        mistake_loss = risk_aversion[i] * mistake_k * accountability[i] * sanction
        # expected loss from false reports per unit of visibility
        false_harm = (
            case[i]
            + (1.0 - accuracy) * punishment[i]
            - belief_vindication[i] * restoration * case_reputation[i]
        )
        false_loss = risk_aversion[i] * belief_false[i] * report_exposure[i] * false_harm
        for s in range(3):
            term = effort_gain * per_state[s, 0]
            term -= demotion * p[13 + s]
            term -= mistake_loss * per_state[s, 1]
            term -= false_loss * p[10 + s]
            term -= effort_cost * per_state[s, 2]
            value = conformity * u[s, i] + term
            if previous_state[i] == s:
                value += habit
            u[s, i] = value
        if shift:
            _scaled_and_shifted(u, i, noise[i * n_stride])


def softmax_probabilities(utilities: FloatArray, noise: Any) -> FloatArray:
    """Logit choice probabilities ``exp(U / noise)`` normalised over states, in place.

    ``utilities`` has one row per state, shape ``(3, n)``; it is overwritten
    by the probabilities, which are returned.
    """
    _normalise(_exponentiate(utilities, noise))
    return utilities


def _exponentiate(utilities: FloatArray, noise: Any) -> FloatArray:
    """``exp(U / noise - max)`` per column, in place (softmax before normalising)."""
    _scale_and_shift(utilities, *strided(noise))
    return np.exp(utilities, out=utilities)


@kernel
def _larger(a: float, b: float) -> float:  # pragma: no cover - compiled
    """``np.maximum`` of two numbers (NaN wins)."""
    return a if (a >= b or a != a) else b


@kernel
def _scaled_and_shifted(z, i, d):  # pragma: no cover - compiled
    """Column ``i`` of ``z`` divided by ``d`` less its largest entry, in place."""
    a, b, c = z[0, i] / d, z[1, i] / d, z[2, i] / d
    top = _larger(_larger(a, b), c)
    z[0, i], z[1, i], z[2, i] = a - top, b - top, c - top


@kernel
def _scale_and_shift(z, noise, stride):  # pragma: no cover - compiled
    """``z / noise`` less its largest entry per column, in place (before the exponential)."""
    for i in range(z.shape[1]):
        _scaled_and_shifted(z, i, noise[i * stride])


@kernel
def _normalised(a, b, c):  # pragma: no cover - compiled
    """``(a, b, c)`` divided by their sum ``(a + b) + c``."""
    total = a + b
    total += c
    return a / total, b / total, c / total


@kernel
def _normalise(z):  # pragma: no cover - compiled
    """Each column of ``z`` divided by its sum, in place (:func:`_normalised`)."""
    for i in range(z.shape[1]):
        z[0, i], z[1, i], z[2, i] = _normalised(z[0, i], z[1, i], z[2, i])


def choose_states(utilities: FloatArray, noise: Any, uniforms: FloatArray) -> IntArray:
    """Draw each cadre's work state by logit choice, given uniform draws (overwrites ``utilities``).

    The state is the first whose cumulative probability exceeds the cadre's
    uniform number, so a given draw always gives the same choice.
    """
    return choose_by_probabilities(softmax_probabilities(utilities, noise), uniforms)


def choose_by_probabilities(probabilities: FloatArray, uniforms: FloatArray) -> IntArray:
    """The first state whose cumulative probability (``(3, n)``) exceeds each uniform number."""
    choice = np.empty(probabilities.shape[1], dtype=np.int64)
    _choose(probabilities, np.asarray(uniforms, dtype=np.float64), choice)
    return choice


@kernel
def _choice(x, p0, p1):  # pragma: no cover - compiled
    """The first state whose cumulative probability exceeds the uniform number ``x``."""
    return (1 if x >= p0 else 0) + (1 if x >= p0 + p1 else 0)


@kernel
def _choose(p, uniforms, choice):  # pragma: no cover - compiled
    """:func:`choose_by_probabilities` row by row into ``choice``."""
    for i in range(choice.size):
        choice[i] = _choice(uniforms[i], p[0, i], p[1, i])


@kernel
def _normalise_and_choose(z, uniforms, choice):  # pragma: no cover - compiled
    """:func:`_normalise` then :func:`_choose` in one pass; ``z`` is left as it was."""
    for i in range(choice.size):
        p0, p1, _ = _normalised(z[0, i], z[1, i], z[2, i])
        choice[i] = _choice(uniforms[i], p0, p1)


def norm_shares(
    pop: Population, org: Organisation, runs: Runs | None = None, out: FloatArray | None = None
) -> FloatArray:
    """The work norm each cadre sees, shape ``(3, n)`` (one row per state).

    The shares of its unit's serving cadres (itself included) in each state,
    with weight ``1 - SUPERIOR_NORM_WEIGHT`` when it has a superior, whose
    state gets the rest; a unit with nobody serving counts as uniform.
    ``runs`` lays out a stack of runs (default: one run). The norm is written
    into ``out`` (float64, ``(3, n)``) when given, else into a new array.
    The unit counts go into a scratch array of ``pop.workspace``.
    """
    runs = runs or Runs.single(pop.alive.size, org.n_units)
    n = pop.alive.size
    norm = np.empty((N_STATES, n)) if out is None else out
    n_units = runs.count * runs.units
    _norm_kernel(
        pop.alive,
        pop.post,
        pop.state,
        org.post_unit,
        org.post_parent,
        org.post_holder,
        runs.run,
        runs.count > 1,
        runs.size,
        runs.units,
        pop.workspace.array("norm_counts", (n_units, N_STATES + 1), np.int32),
        pop.workspace.array("norm_unit", (n,), np.int64),
        norm,
    )
    return norm


@kernel
def _norm_kernel(
    alive,
    post,
    state,
    post_unit,
    post_parent,
    post_holder,
    run,
    several,
    size,
    units,
    counts,
    unit,
    norm,
):  # pragma: no cover - compiled
    """The equations of :func:`norm_shares` into ``norm``.

    ``counts`` (one row per unit: serving cadres in each state, then their
    total) and ``unit`` (each row's unit) are scratch arrays, overwritten here.
    ``run`` (each row's run) is read only for ``several`` runs.
    """
    counts[:] = 0
    for i in range(alive.size):
        k = post_unit[post[i]] + (run[i] * units if several else 0)
        unit[i] = k
        if alive[i]:
            counts[k, state[i]] += 1
            counts[k, 3] += 1
    keep = 1.0 - SUPERIOR_NORM_WEIGHT
    uniform = 1.0 / 3
    for i in range(alive.size):
        sup = superior_of(
            post_parent[post[i]], alive[i], post_holder, run[i] * size if several else 0
        )
        k = unit[i]
        total = counts[k, 3]
        for s in range(3):
            value = counts[k, s] / total if total > 0 else uniform
            if sup >= 0:
                value = value * keep
                if state[sup] == s:
                    value = value + SUPERIOR_NORM_WEIGHT
            norm[s, i] = value


def population_utilities(
    pop: Population,
    org: Organisation,
    params: Params | RunParams,
    workload: Any,
    unfit_rate: Sequence[Any],
    month: int,
    runs: Runs | None = None,
    out: FloatArray | None = None,
    ranks: RankFactors | None = None,
    choice_noise: Any = None,
) -> FloatArray:
    """:func:`state_utilities` of every row in ``month``: traits, beliefs, post and norm.

    Shape ``(3, n)``. ``workload`` and each of the three ``unfit_rate``
    entries are a number or one value per row (or ``unfit_rate`` each run's
    three, as for :func:`state_utilities`); ``runs`` lays out a stack.
    The utilities are written into ``out`` (float64, ``(3, n)``) when given;
    the stakes go into a scratch array of ``pop.workspace``. ``ranks`` are
    the rows' :func:`~sim.model.processes.stakes.rank_factors` when the
    caller has them. ``choice_noise`` as for :func:`state_utilities`.
    """
    ranks = ranks or rank_factors(pop, org, params)
    return state_utilities(
        ability=pop.ability,
        idealism=pop.idealism,
        risk_aversion=pop.risk_aversion,
        belief_exemption=pop.belief_exemption,
        belief_false=pop.belief_false,
        belief_promotion=pop.belief_promotion,
        belief_vindication=pop.belief_vindication,
        previous_state=pop.state,
        norm_shares=norm_shares(pop, org, runs, out),
        eligible=eligible_at_next_evaluation(pop, params, month),
        paid=paid(pop, month),
        stake=population_stakes(
            pop,
            org,
            params,
            month,
            pop.workspace.array("stakes", (6, pop.alive.size)),
            ranks.level,
        ),
        report_exposure=ranks.exposure,
        accountability=ranks.accountability,
        params=params,
        workload=workload,
        unfit_rate=unfit_rate,
        choice_noise=choice_noise,
    )


def decide(
    pop: Population,
    org: Organisation,
    params: Params | RunParams,
    workload: Any,
    unfit_rate: Sequence[Any],
    uniforms: FloatArray,
    month: int,
    runs: Runs | None = None,
    ranks: RankFactors | None = None,
) -> None:
    """Every row chooses its work state for ``month`` at once (sets ``pop.state``).

    ``uniforms`` holds one uniform number per row for the logit choice
    (:func:`choose_states`); the utilities go into a scratch array of
    ``pop.workspace``. ``ranks`` as for :func:`population_utilities`.
    """
    scratch = pop.workspace.array("utilities", (N_STATES, pop.alive.size))
    noise = params.behaviour.choice_noise
    utilities = population_utilities(
        pop, org, params, workload, unfit_rate, month, runs, scratch, ranks, noise
    )
    # softmax_probabilities (scaled and shifted with the utilities), normalised as each
    # choice is made
    np.exp(utilities, out=utilities)
    _normalise_and_choose(utilities, np.asarray(uniforms, dtype=np.float64), pop.state)
