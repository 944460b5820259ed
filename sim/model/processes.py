"""The model's processes as small pure functions, vectorised over cadres.

Every function here takes numpy arrays (one entry per cadre) and plain
numbers, and returns new arrays; none touches the model or draws random
numbers itself: random draws are passed in, so each process can be tested on
its own with chosen inputs. :class:`sim.model.CadreModel` composes them.
Equations are given in ``docs/ODD.md`` (section 7, submodels).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.model.agents import WorkState

__all__ = [
    "EFFORT",
    "FLAT_VISIBILITY",
    "MISTAKE_EXPOSURE",
    "REPUTATION_VALUE",
    "SUPERIOR_NORM_WEIGHT",
    "DecisionInputs",
    "choose_states",
    "deterrence_target",
    "false_report_intensity",
    "group_mean",
    "learn",
    "resolve_false_reports",
    "resolve_misconduct",
    "review_mistakes",
    "softmax_probabilities",
    "state_utilities",
    "update_deterrence",
    "visibility",
    "within_group_zscore",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: Effort of each work state (active, routine, flat), as a share of full effort.
EFFORT: FloatArray = np.array([1.0, 0.6, 0.15])
#: Exposure to honest mistakes of each state, relative to an active cadre:
#: initiative, reform and innovation are where honest mistakes happen.
MISTAKE_EXPOSURE: FloatArray = np.array([1.0, 0.25, 0.05])
#: Visibility (reportability) of a flat cadre relative to a routine one.
FLAT_VISIBILITY = 0.5
#: Weight of the superior's work state in the work norm a cadre sees; the
#: rest is the share of colleagues in the unit in each state.
SUPERIOR_NORM_WEIGHT = 0.3

N_STATES = len(WorkState)


def visibility(visibility_active: float) -> FloatArray:
    """Visibility of (active, routine, flat) cadres to reporters."""
    return np.array([visibility_active, 1.0, FLAT_VISIBILITY])


@dataclass(frozen=True, slots=True)
class DecisionInputs:
    """The policy and behavioural numbers the decision rule needs this month.

    Attributes mirror parameters in :mod:`sim.params` (see ``docs/ODD.md``):
    they are copied out of the parameter dict once a month so the rule itself
    is a pure function of arrays and these numbers.
    """

    service_motivation: float
    effort_cost: float
    workload: float
    prize: float
    performance_weight: float
    evaluation_noise: float
    demotion_loss: float
    demotion_intensity: float
    unfit_rate: FloatArray  # (3,) perceived chance of being judged unfit, by state
    mistake_rate: float
    mistake_report_prob: float
    exemption_relief: float  # share of the penalty waived when exempted
    severity: float
    investigation_months: float
    investigation_harm: float
    investigation_accuracy: float
    reputation_damage: float
    restoration: float
    visibility_active: float
    habit: float
    conformity: float


#: Utility value of a full reputation (reputation runs from 0 to 1): what a
#: cadre loses, in the same units as penalties, if its name is ruined.
REPUTATION_VALUE = 30.0


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
    d: DecisionInputs,
) -> FloatArray:
    """Monthly utility of each work state for each cadre, shape ``(n, 3)``.

    ``U[i, s] = idealism * service(s) + (1 - idealism) * career(s)
    - cost(s) - risk_aversion * sanctions(s) + habit + conformity``, with

    * service: ``service_motivation * ability * effort(s)`` (public service
      motivation, lasting achievement: the idealist's logic);
    * career: the tournament return to performance, ``prize *
      belief_promotion * performance_weight * ability * effort(s) / (1 +
      evaluation_noise)``, minus the expected demotion loss ``demotion_loss *
      demotion_intensity * unfit_rate(s)`` (the realist's logic);
    * cost: ``effort_cost * workload * effort(s)**2``;
    * sanctions: expected loss from an honest mistake that is reported and
      not exempted, plus from false reports (Epstein 2002: risk aversion
      times perceived sanction probability; Png 1986: wrongful sanctions
      shrink the gap between acting and not acting).
    """
    # Each term is a per-cadre coefficient times a per-state constant, so the
    # (n, 3) matrix is built column by column from n-vectors.
    career_weight = 1.0 - idealism
    tournament = d.prize * d.performance_weight / (1.0 + d.evaluation_noise)
    # service + career return per unit of effort
    effort_gain = (
        idealism * d.service_motivation + career_weight * tournament * belief_promotion
    ) * ability
    # expected demotion loss per unit of perceived unfitness
    demotion = career_weight * (d.demotion_loss * d.demotion_intensity)
    investigation_cost = d.investigation_months * d.investigation_harm
    # expected loss from honest mistakes per unit of mistake exposure
    mistake_loss = (
        risk_aversion
        * (d.mistake_rate * d.workload * d.mistake_report_prob)
        * (
            investigation_cost
            + REPUTATION_VALUE * d.reputation_damage
            + d.severity * (1.0 - belief_exemption * d.exemption_relief)
        )
    )
    # expected loss from false reports per unit of visibility
    false_harm = (
        investigation_cost
        + (1.0 - d.investigation_accuracy) * d.severity
        + REPUTATION_VALUE * d.reputation_damage * (1.0 - belief_vindication * d.restoration)
    )
    false_loss = risk_aversion * belief_false * false_harm
    vis = visibility(d.visibility_active)
    u = d.conformity * norm_shares
    for s in range(N_STATES):
        u[:, s] += (
            effort_gain * EFFORT[s]
            - demotion * d.unfit_rate[s]
            - mistake_loss * MISTAKE_EXPOSURE[s]
            - false_loss * vis[s]
            - d.effort_cost * d.workload * EFFORT[s] ** 2
        )
    u[np.arange(u.shape[0]), previous_state] += d.habit
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


def false_report_intensity(
    *,
    state: IntArray,
    ability: FloatArray,
    alive: BoolArray,
    base_rate: float,
    deterrence: float,
    deterrence_strength: float,
    visibility_active: float,
    rival_share: float,
) -> FloatArray:
    """Monthly probability that each cadre is the target of a false report.

    Disgruntled parties report in proportion to visibility; rivals in the
    promotion tournament (Lazear 1989) aim at the visible and the able
    (weight ``visibility * ability**2``). Both weights are normalised to mean
    one over serving cadres so ``base_rate`` is the average rate at unit
    visibility; deterrence removes up to ``deterrence_strength`` of reports.
    """
    vis = visibility(visibility_active)[state] * alive
    rival = vis * ability**2
    n = max(int(alive.sum()), 1)
    vis_mean = vis.sum() / n
    rival_mean = rival.sum() / n
    weight = np.zeros_like(vis)
    if vis_mean > 0:
        weight += (1.0 - rival_share) * vis / vis_mean
    if rival_mean > 0:
        weight += rival_share * rival / rival_mean
    rate = base_rate * (1.0 - deterrence_strength * deterrence)
    return np.minimum(rate * weight, 1.0)


def deterrence_target(trace_probability: float, typical_cases: float) -> float:
    """Would-be false accusers' perceived risk of punishment.

    Tracing and punishing accusers, and publicising typical cases, are two
    independent channels: ``1 - (1 - trace) * (1 - typical_cases)``.
    """
    return 1.0 - (1.0 - trace_probability) * (1.0 - typical_cases)


def update_deterrence(current: float, target: float, build: float, fade: float) -> float:
    """Move deterrence towards its target: quickly up (``build``), slowly down (``fade``)."""
    speed = build if target > current else fade
    return current + speed * (target - current)


def review_mistakes(
    qualify_draw: FloatArray, credible_draw: FloatArray, coverage: float, credibility: float
) -> BoolArray:
    """Fault-tolerance review: which honest mistakes are exempted.

    A mistake qualifies with probability ``coverage`` (it falls under one of
    the listed situations) and a qualifying case is really exempted with
    probability ``credibility``.
    """
    return (qualify_draw < coverage) & (credible_draw < credibility)


def resolve_false_reports(
    accuracy_draw: FloatArray,
    clarify_draw: FloatArray,
    trace_draw: FloatArray,
    accuracy: float,
    clarification_coverage: float,
    trace_probability: float,
) -> tuple[BoolArray, BoolArray, BoolArray]:
    """Verdicts on false reports: (cleared, publicly clarified, accuser punished).

    A false report is seen to be false with probability ``accuracy``;
    otherwise the cadre is wrongly punished. A cleared cadre is publicly
    clarified with probability ``clarification_coverage``; the accuser of a
    report found false is traced and punished with ``trace_probability``.
    """
    cleared = accuracy_draw < accuracy
    clarified = cleared & (clarify_draw < clarification_coverage)
    accuser_punished = cleared & (trace_draw < trace_probability)
    return cleared, clarified, accuser_punished


def resolve_misconduct(accuracy_draw: FloatArray, accuracy: float) -> BoolArray:
    """Real misconduct is punished when the investigation gets it right."""
    return accuracy_draw < accuracy


def group_mean(
    groups: IntArray, values: FloatArray, mask: BoolArray, n_groups: int
) -> tuple[FloatArray, FloatArray]:
    """Per-group mean of ``values`` over ``mask``, and the per-group count.

    Groups with no member in ``mask`` get mean 0 and count 0.
    """
    g = groups[mask]
    count = np.bincount(g, minlength=n_groups).astype(np.float64)
    total = np.bincount(g, weights=values[mask], minlength=n_groups)
    mean = np.divide(total, count, out=np.zeros(n_groups), where=count > 0)
    return mean, count


def learn(
    belief: FloatArray,
    sources: Sequence[tuple[FloatArray | float, float, BoolArray | bool]],
    speed: float,
) -> FloatArray:
    """Move beliefs towards what each cadre observed this month.

    ``sources`` is a list of ``(signal, weight, available)``: own experience,
    colleagues in the unit and public events, each with its weight
    (``behaviour.learning_own`` and so on) and a mask of cadres who observed
    it. The belief moves by ``speed * sum(w * available * (signal -
    belief)) / sum(w)``: the more (and the more vivid) the sources a cadre
    saw, the more it moves; with no source it stays put.
    """
    total_weight = sum(w for _, w, _ in sources)
    if total_weight <= 0:
        return belief
    step = np.zeros_like(belief)
    for signal, weight, available in sources:
        step += weight * np.asarray(available, dtype=np.float64) * (signal - belief)
    return np.clip(belief + speed * step / total_weight, 0.0, 1.0)


def within_group_zscore(
    values: FloatArray, groups: IntArray, mask: BoolArray, n_groups: int
) -> FloatArray:
    """Standardise ``values`` within each group (level) over ``mask``; 0 elsewhere."""
    mean, count = group_mean(groups, values, mask, n_groups)
    sq, _ = group_mean(groups, values**2, mask, n_groups)
    sd = np.sqrt(np.maximum(sq - mean**2, 0.0))
    sd_i = sd[groups]
    z = np.divide(values - mean[groups], sd_i, out=np.zeros_like(values), where=sd_i > 1e-12)
    return np.where(mask, z, 0.0)
