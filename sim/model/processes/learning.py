"""Monthly learning and slow variables (ODD 7.9 to 7.12).

Beliefs about false accusation, exemption and vindication move towards what
each cadre saw this month (its own case, its unit's, public events); long-run
idealism decays with service and idealism recovers towards it; reputations
drift back to the baseline while no case is open.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numba
import numpy as np

from sim.model.constants import BELIEF_SPEED, IDEALISM_TENURE_DECAY, REPUTATION_BASELINE
from sim.model.kinds import CaseKind
from sim.model.processes.cases import Verdicts
from sim.model.processes.reports import report_exposure, visibility_of
from sim.model.stacking import RunParams, Runs, strided
from sim.model.state import BoolArray, FloatArray, IntArray, Organisation, Population
from sim.parameters.values import Params

__all__ = ["group_mean", "learn", "learn_monthly", "recover"]


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
    sources: Sequence[tuple[Any, Any, BoolArray | bool]],
    speed: float,
) -> FloatArray:
    """Move beliefs towards what each cadre observed; returns the new beliefs.

    ``sources`` is a list of ``(signal, weight, available)``: own experience,
    colleagues in the unit and public events, each with its weight
    (``behaviour.learning_own`` and so on; a number or one per row) and a
    mask of cadres who observed it. The belief moves by ``speed * sum(w *
    available * (signal - belief)) / sum(w)``: the more (and the more vivid)
    the sources a cadre saw, the more it moves; with no source it stays put.
    """
    total_weight = sum(w for _, w, _ in sources)
    if np.ndim(total_weight) == 0 and total_weight <= 0:
        return belief
    belief = np.asarray(belief, dtype=np.float64)
    step = np.zeros_like(belief)
    for signal, weight, available in sources:
        _add_source(step, belief, *strided(signal), *strided(weight), *strided(available, np.bool_))
    moved = np.empty_like(belief)
    _move(moved, belief, step, float(speed), *strided(total_weight))
    return moved


@numba.njit(cache=True, error_model="numpy")
def _add_source(step, belief, signal, s_stride, weight, w_stride, available, a_stride):
    """Adds ``weight * available * (signal - belief)`` to ``step``, row by row."""
    for i in range(step.size):
        seen = 1.0 if available[i * a_stride] else 0.0
        step[i] += weight[i * w_stride] * seen * (signal[i * s_stride] - belief[i])


@numba.njit(cache=True, error_model="numpy")
def _move(moved, belief, step, speed, total, t_stride):
    """``clip(belief + speed * step / total, 0, 1)`` where ``total > 0``, else ``belief``."""
    for i in range(moved.size):
        weight = total[i * t_stride]
        if weight > 0:
            value = belief[i] + speed * step[i] / weight
            if value < 0.0:
                value = 0.0
            elif value > 1.0:
                value = 1.0
            moved[i] = value
        else:
            moved[i] = belief[i]


def learn_monthly(
    pop: Population,
    org: Organisation,
    params: Params | RunParams,
    false_report: BoolArray,
    verdicts: Verdicts,
    reach_draw: FloatArray,
    runs: Runs | None = None,
) -> None:
    """Update beliefs from own experience, colleagues and public events (in place).

    * False accusation (``pop.belief_false``): this month's false reports per
      unit of visibility times the post's exposure (``accusation.rank_exposure``),
      for oneself, one's unit and everyone (in one's run).
    * Exemption and vindication (``pop.belief_exemption``,
      ``pop.belief_vindication``): the verdicts on the cases concluded this
      month (``verdicts``), seen by those whose case it was, by their unit and
      by the public; a clarification reaches the public only where
      ``reach_draw < clarification.reach`` (one uniform number per row). A
      run with no such verdict this month learns nothing from them.
    """
    runs = runs or Runs.single(pop.alive.size, org.n_units)
    behaviour = params.behaviour
    alive = pop.alive
    n = alive.size
    unit = org.post_unit[pop.post] + runs.unit_offset
    n_units = runs.count * runs.units
    w_own, w_peer, w_pub = (
        behaviour.learning_own,
        behaviour.learning_peer,
        behaviour.learning_public,
    )

    # false accusations: a rate per unit of visibility x exposure
    vis = (
        visibility_of(pop.state, params.accusation.visibility_active)
        * report_exposure(pop, org, params)
        * alive
    )
    own_rate, unit_rate = np.empty(n), np.empty(n)
    _false_report_rates(false_report, vis, unit, n_units, own_rate, unit_rate)
    public_rate = runs.per_row(
        [
            int(k) / max(total, 1e-9)
            for k, total in zip(runs.counts(false_report), runs.sums(vis), strict=True)
        ]
    )
    pop.belief_false[:] = learn(
        pop.belief_false,
        [(own_rate, w_own, alive), (unit_rate, w_peer, alive), (public_rate, w_pub, alive)],
        BELIEF_SPEED,
    )

    # conditional beliefs from concluded cases
    for rows, verdict, belief, public_mask in (
        (verdicts.mistake_rows, verdicts.exempted, pop.belief_exemption, alive),
        (
            verdicts.false_rows,
            verdicts.vindicated,
            pop.belief_vindication,
            alive & (reach_draw < params.clarification.reach),
        ),
    ):
        if rows.size == 0:
            continue
        outcome = np.zeros(n)
        outcome[rows] = verdict
        had_case = np.zeros(n, dtype=bool)
        had_case[rows] = True
        unit_mean, unit_count = group_mean(unit, outcome, had_case, n_units)
        parts = runs.split(rows)
        shares = [float(outcome[part].mean()) if part.size else 0.0 for part in parts]
        if runs.count > 1:  # a run with no such verdict this month learns nothing from them
            public_mask = public_mask & np.repeat([part.size > 0 for part in parts], runs.size)
        belief[:] = learn(
            belief,
            [
                (outcome, w_own, had_case),
                (unit_mean[unit], w_peer, alive & (unit_count[unit] > 0)),
                (runs.per_row(shares), w_pub, public_mask),
            ],
            BELIEF_SPEED,
        )


@numba.njit(cache=True, error_model="numpy")
def _false_report_rates(false_report, vis, unit, n_units, own_rate, unit_rate):
    """Each row's false reports per unit of visibility, its own and its unit's (0 if unseen)."""
    reports = np.zeros(n_units)
    seen = np.zeros(n_units)
    for i in range(vis.size):
        reports[unit[i]] += 1.0 if false_report[i] else 0.0
        seen[unit[i]] += vis[i]
    for i in range(vis.size):
        own_rate[i] = (1.0 if false_report[i] else 0.0) / max(vis[i], 1e-9)
        k = unit[i]
        unit_rate[i] = reports[k] / seen[k] if seen[k] > 0 else 0.0


def recover(pop: Population, params: Params | RunParams) -> None:
    """Slow variables: idealism decays and recovers; reputation drifts back to its baseline.

    Long-run idealism decays with service (``IDEALISM_TENURE_DECAY``) and
    idealism recovers towards it; reputation drifts back to
    ``REPUTATION_BASELINE`` while no case is open and loses
    ``accusation.investigation_harm`` a month (not below 0) while one is.
    """
    behaviour = params.behaviour
    pop.idealism_base *= 1.0 - IDEALISM_TENURE_DECAY
    pop.idealism += behaviour.idealism_recovery * (pop.idealism_base - pop.idealism)
    not_investigated = pop.case_kind == int(CaseKind.NONE)
    pop.reputation += np.where(
        not_investigated,
        behaviour.reputation_recovery * (REPUTATION_BASELINE - pop.reputation),
        -params.accusation.investigation_harm,
    )
    np.maximum(pop.reputation, 0.0, out=pop.reputation)
