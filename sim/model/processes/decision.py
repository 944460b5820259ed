"""The decision rule (ODD 7.1 to 7.3): the work norm, state utilities and logit choice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.model.constants import EFFORT, MISTAKE_EXPOSURE, N_STATES, SUPERIOR_NORM_WEIGHT
from sim.model.processes.reports import state_visibilities
from sim.model.processes.stakes import (
    Stakes,
    eligible_at_next_evaluation,
    paid,
    population_stakes,
    rank_factor,
)
from sim.model.stacking import RunParams, Runs
from sim.model.state import (
    BoolArray,
    FloatArray,
    IntArray,
    Organisation,
    Population,
    superior_rows,
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
    (each a number, or one value per row when runs are stacked);
    every other number is a parameter in ``params``. ``norm_shares`` (shape
    ``(3, n)``) is overwritten by the utilities, which are returned;
    nothing else changes.
    """
    behaviour, career, accusation = params.behaviour, params.career, params.accusation
    # Each term is a per-cadre coefficient times a per-state constant, so the
    # (3, n) matrix is built state by state from n-vectors.
    career_weight = 1.0 - idealism
    tournament = career.prize * career.performance_weight / (1.0 + career.evaluation_noise)
    # service + career return per unit of effort
    effort_gain = (
        idealism * behaviour.service_motivation
        + career_weight * (career.material_reward * paid + tournament * belief_promotion * eligible)
    ) * ability
    # expected demotion loss per unit of perceived unfitness
    demotion = params.demotion.intensity * stake.demotion
    # expected loss from honest mistakes per unit of mistake exposure
    mistake_loss = (
        risk_aversion
        * (behaviour.mistake_rate * workload * accusation.mistake_report_prob)
        * accountability
        * (
            stake.case
            + (1.0 - belief_exemption * params.fault_tolerance.mitigation) * stake.punishment
        )
    )
    # expected loss from false reports per unit of visibility
    false_harm = (
        stake.case
        + (1.0 - accusation.investigation_accuracy) * stake.punishment
        - belief_vindication * params.clarification.restoration * stake.case_reputation
    )
    false_loss = risk_aversion * belief_false * report_exposure * false_harm
    vis = state_visibilities(accusation.visibility_active)
    # the (3, n) norm buffer becomes the utilities, one contiguous row per state
    u = np.multiply(behaviour.conformity, norm_shares, out=norm_shares)
    term = np.empty_like(u[0])
    part = np.empty_like(u[0])
    for s in range(N_STATES):
        np.multiply(effort_gain, EFFORT[s], out=term)
        term -= np.multiply(demotion, unfit_rate[s], out=part)
        term -= np.multiply(mistake_loss, MISTAKE_EXPOSURE[s], out=part)
        term -= np.multiply(false_loss, vis[s], out=part)
        term -= behaviour.effort_cost * workload * EFFORT[s] ** 2
        u[s] += term
        np.add(u[s], behaviour.habit, out=u[s], where=previous_state == s)
    return u


def softmax_probabilities(utilities: FloatArray, noise: Any) -> FloatArray:
    """Logit choice probabilities ``exp(U / noise)`` normalised over states, in place.

    ``utilities`` has one row per state, shape ``(3, n)``; it is overwritten
    by the probabilities, which are returned.
    """
    z = np.divide(utilities, noise, out=utilities)
    z -= np.maximum(np.maximum(z[0], z[1]), z[2])
    np.exp(z, out=z)
    total = z[0] + z[1]
    total += z[2]
    z /= total
    return z


def choose_states(utilities: FloatArray, noise: Any, uniforms: FloatArray) -> IntArray:
    """Draw each cadre's work state by logit choice, given uniform draws (overwrites ``utilities``).

    The state is the first whose cumulative probability exceeds the cadre's
    uniform number, so a given draw always gives the same choice.
    """
    return choose_by_probabilities(softmax_probabilities(utilities, noise), uniforms)


def choose_by_probabilities(probabilities: FloatArray, uniforms: FloatArray) -> IntArray:
    """The first state whose cumulative probability (``(3, n)``) exceeds each uniform number."""
    p = probabilities
    choice = (uniforms >= p[0]).astype(np.int64)
    choice += uniforms >= p[0] + p[1]
    return choice


def norm_shares(pop: Population, org: Organisation, runs: Runs | None = None) -> FloatArray:
    """The work norm each cadre sees, shape ``(3, n)`` (one row per state).

    The shares of its unit's serving cadres (itself included) in each state,
    with weight ``1 - SUPERIOR_NORM_WEIGHT`` when it has a superior, whose
    state gets the rest; a unit with nobody serving counts as uniform.
    ``runs`` lays out a stack of runs (default: one run).
    """
    runs = runs or Runs.single(pop.alive.size, org.n_units)
    unit = org.post_unit[pop.post] + runs.unit_offset
    alive = pop.alive
    n_units = runs.count * runs.units
    counts = np.bincount(
        unit[alive] * N_STATES + pop.state[alive], minlength=n_units * N_STATES
    ).reshape(n_units, N_STATES)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.full(counts.shape, 1.0 / N_STATES), where=totals > 0)
    norm = np.take(shares.T, unit, axis=1)
    sup = superior_rows(pop, org, runs.row_offset)
    has_sup = sup >= 0
    w = SUPERIOR_NORM_WEIGHT
    np.multiply(norm, 1.0 - w, out=norm, where=has_sup)
    sup_state = pop.state[sup]
    for s in range(N_STATES):
        np.add(norm[s], w, out=norm[s], where=has_sup & (sup_state == s))
    return norm


def population_utilities(
    pop: Population,
    org: Organisation,
    params: Params | RunParams,
    workload: Any,
    unfit_rate: Sequence[Any],
    month: int,
    runs: Runs | None = None,
) -> FloatArray:
    """:func:`state_utilities` of every row in ``month``: traits, beliefs, post and norm.

    Shape ``(3, n)``. ``workload`` and each of the three ``unfit_rate``
    entries are a number or one value per row; ``runs`` lays out a stack.
    """
    level = org.post_level[pop.post]
    return state_utilities(
        ability=pop.ability,
        idealism=pop.idealism,
        risk_aversion=pop.risk_aversion,
        belief_exemption=pop.belief_exemption,
        belief_false=pop.belief_false,
        belief_promotion=pop.belief_promotion,
        belief_vindication=pop.belief_vindication,
        previous_state=pop.state,
        norm_shares=norm_shares(pop, org, runs),
        eligible=eligible_at_next_evaluation(pop, params, month),
        paid=paid(pop, month),
        stake=population_stakes(pop, org, params, month),
        report_exposure=rank_factor(level, params.accusation.rank_exposure),
        accountability=rank_factor(level, params.discipline.accountability),
        params=params,
        workload=workload,
        unfit_rate=unfit_rate,
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
) -> None:
    """Every row chooses its work state for ``month`` at once (sets ``pop.state``).

    ``uniforms`` holds one uniform number per row for the logit choice.
    """
    utilities = population_utilities(pop, org, params, workload, unfit_rate, month, runs)
    pop.state[:] = choose_states(utilities, params.behaviour.choice_noise, uniforms)
