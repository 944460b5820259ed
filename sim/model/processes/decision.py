"""The decision rule (ODD 7.1 to 7.3): the work norm, state utilities and logit choice."""

from __future__ import annotations

import numpy as np

from sim.model.constants import EFFORT, MISTAKE_EXPOSURE, N_STATES, SUPERIOR_NORM_WEIGHT
from sim.model.processes.reports import visibility
from sim.model.processes.stakes import (
    Stakes,
    eligible_at_next_evaluation,
    paid,
    population_stakes,
    rank_factor,
)
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
    params: Params,
    workload: float,
    unfit_rate: FloatArray,
) -> FloatArray:
    """Monthly utility of each work state for each cadre, shape ``(n, 3)``.

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
    the perceived chance of being judged unfit after a year in each state;
    every other number is a parameter in ``params``. Changes nothing.
    """
    behaviour, career, accusation = params.behaviour, params.career, params.accusation
    # Each term is a per-cadre coefficient times a per-state constant, so the
    # (n, 3) matrix is built column by column from n-vectors.
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
    vis = visibility(accusation.visibility_active)
    u = behaviour.conformity * norm_shares
    for s in range(N_STATES):
        u[:, s] += (
            effort_gain * EFFORT[s]
            - demotion * unfit_rate[s]
            - mistake_loss * MISTAKE_EXPOSURE[s]
            - false_loss * vis[s]
            - behaviour.effort_cost * workload * EFFORT[s] ** 2
        )
    u[np.arange(u.shape[0]), previous_state] += behaviour.habit
    return u


def softmax_probabilities(utilities: FloatArray, noise: float) -> FloatArray:
    """Logit choice probabilities ``exp(U / noise)`` normalised over states."""
    z = utilities / noise
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def choose_states(utilities: FloatArray, noise: float, uniforms: FloatArray) -> IntArray:
    """Draw each cadre's work state by logit choice, given uniform draws.

    The state is the first whose cumulative probability exceeds the cadre's
    uniform number, so a given draw always gives the same choice.
    """
    cumulative = np.cumsum(softmax_probabilities(utilities, noise), axis=1)
    return (uniforms[:, None] >= cumulative[:, :-1]).sum(axis=1).astype(np.int64)


def norm_shares(pop: Population, org: Organisation) -> FloatArray:
    """The work norm each cadre sees, shape ``(n, 3)``.

    The shares of its unit's serving cadres (itself included) in each state,
    with weight ``1 - SUPERIOR_NORM_WEIGHT`` when it has a superior, whose
    state gets the rest; a unit with nobody serving counts as uniform.
    """
    unit = org.post_unit[pop.post]
    alive = pop.alive
    counts = np.bincount(
        unit[alive] * N_STATES + pop.state[alive], minlength=org.n_units * N_STATES
    ).reshape(org.n_units, N_STATES)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.full(counts.shape, 1.0 / N_STATES), where=totals > 0)
    norm = shares[unit]
    sup = superior_rows(pop, org)
    has_sup = sup >= 0
    w = SUPERIOR_NORM_WEIGHT
    norm[has_sup] *= 1.0 - w
    norm[has_sup, pop.state[sup[has_sup]]] += w
    return norm


def population_utilities(
    pop: Population,
    org: Organisation,
    params: Params,
    workload: float,
    unfit_rate: FloatArray,
    month: int,
) -> FloatArray:
    """:func:`state_utilities` of every row in ``month``: traits, beliefs, post and norm."""
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
        norm_shares=norm_shares(pop, org),
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
    params: Params,
    workload: float,
    unfit_rate: FloatArray,
    uniforms: FloatArray,
    month: int,
) -> None:
    """Every row chooses its work state for ``month`` at once (sets ``pop.state``).

    ``uniforms`` holds one uniform number per row for the logit choice.
    """
    utilities = population_utilities(pop, org, params, workload, unfit_rate, month)
    pop.state[:] = choose_states(utilities, params.behaviour.choice_noise, uniforms)
