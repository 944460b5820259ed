"""Monthly learning and slow variables (ODD 7.9 to 7.12).

Beliefs about false accusation, exemption and vindication move towards what
each cadre saw this month (its own case, its unit's, public events); long-run
idealism decays with service and idealism recovers towards it; reputations
drift back to the baseline while no case is open.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.model.compiled import kernel
from sim.model.constants import BELIEF_SPEED, IDEALISM_TENURE_DECAY, REPUTATION_BASELINE
from sim.model.kinds import CaseKind
from sim.model.processes.cases import Verdicts
from sim.model.processes.reports import report_exposure, visibility_of
from sim.model.stacking import RunParams, Runs, strided
from sim.model.state import BoolArray, FloatArray, IntArray, Organisation, Population
from sim.parameters.values import Params

__all__ = ["group_mean", "learn", "learn_monthly", "recover"]

_NO_CASE = int(CaseKind.NONE)


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


@kernel
def _source_term(weight, seen, signal, belief):  # pragma: no cover - compiled
    """One source's pull on a belief: ``weight * seen * (signal - belief)``."""
    return weight * (1.0 if seen else 0.0) * (signal - belief)


@kernel
def _moved(belief, step, speed, total):  # pragma: no cover - compiled
    """``clip(belief + speed * step / total, 0, 1)`` if ``total > 0``, else ``belief``."""
    if total > 0:
        value = belief + speed * step / total
        if value < 0.0:
            value = 0.0
        elif value > 1.0:
            value = 1.0
        return value
    return belief


@kernel
def _add_source(
    step, belief, signal, s_stride, weight, w_stride, available, a_stride
):  # pragma: no cover - compiled
    """Adds :func:`_source_term` to ``step``, row by row."""
    for i in range(step.size):
        step[i] += _source_term(
            weight[i * w_stride], available[i * a_stride], signal[i * s_stride], belief[i]
        )


@kernel
def _move(moved, belief, step, speed, total, t_stride):  # pragma: no cover - compiled
    """:func:`_moved` row by row into ``moved``."""
    for i in range(moved.size):
        moved[i] = _moved(belief[i], step[i], speed, total[i * t_stride])


def learn_monthly(
    pop: Population,
    org: Organisation,
    params: Params | RunParams,
    false_report: BoolArray,
    verdicts: Verdicts,
    reach_draw: FloatArray,
    runs: Runs | None = None,
    visibility: FloatArray | None = None,
) -> None:
    """Update beliefs from own experience, colleagues and public events (in place).

    Each belief learns as :func:`learn` does from three sources, with weights
    ``behaviour.learning_own``, ``learning_peer`` and ``learning_public``:

    * False accusation (``pop.belief_false``): this month's false reports per
      unit of visibility times the post's exposure (``accusation.rank_exposure``),
      for oneself, one's unit and everyone (in one's run); every serving
      cadre sees all three.
    * Exemption and vindication (``pop.belief_exemption``,
      ``pop.belief_vindication``): the verdicts on the cases concluded this
      month (``verdicts``), seen by those whose case it was (the verdict), by
      their unit's serving cadres (the unit's mean verdict, where the unit had
      such a case) and by the public (the run's mean verdict); a
      clarification reaches the public only where ``reach_draw <
      clarification.reach`` (one uniform number per row). A run with no such
      verdict this month learns nothing from them.

    Each belief is updated in one compiled pass over the rows (after one
    pass counting the units' reports); units and counts go into scratch
    arrays of ``pop.workspace``. Totals over a run are numpy's (per run).
    ``visibility`` is each row's visibility times exposure, 0 where not
    serving, when the caller has it (:attr:`~sim.model.processes.reports.Reports.visibility`
    of this month's states); by default it is computed.
    """
    runs = runs or Runs.single(pop.alive.size, org.n_units)
    behaviour = params.behaviour
    alive = pop.alive
    n = alive.size
    n_units = runs.count * runs.units
    scratch = pop.workspace
    unit = scratch.array("learn_unit", (n,), np.int64)
    per_unit = scratch.array("learn_units", (2, n_units))
    w_own, w_peer, w_pub = (
        behaviour.learning_own,
        behaviour.learning_peer,
        behaviour.learning_public,
    )
    weights = (*strided(w_own), *strided(w_peer), *strided(w_pub))
    total = strided(w_own + w_peer + w_pub)

    # false accusations: a rate per unit of visibility x exposure
    if visibility is None:
        vis = visibility_of(pop.state, params.accusation.visibility_active)
        vis *= report_exposure(pop, org, params)
        vis *= alive
    else:
        vis = visibility
    several = runs.count > 1
    _unit_reports(
        false_report, vis, pop.post, org.post_unit, runs.run, several, runs.units, unit, per_unit
    )
    public_rate = np.array(
        [
            int(k) / max(t, 1e-9)
            for k, t in zip(runs.counts(false_report), runs.sums(vis), strict=True)
        ]
    )
    _learn_false(
        pop.belief_false,
        false_report,
        vis,
        alive,
        unit,
        per_unit,
        public_rate,
        runs.run,
        several,
        *weights,
        *total,
        BELIEF_SPEED,
    )

    # conditional beliefs from concluded cases
    reach = strided(params.clarification.reach)
    for rows, verdict, belief, public_reach in (
        (verdicts.mistake_rows, verdicts.exempted, pop.belief_exemption, False),
        (verdicts.false_rows, verdicts.vindicated, pop.belief_vindication, True),
    ):
        if rows.size == 0:
            continue
        # each run's share of 1s among its verdicts (a sum of 0s and 1s is
        # exact in any order, so this is the run's own mean)
        sizes = np.bincount(rows // runs.size, minlength=runs.count)
        ones = np.bincount(
            rows // runs.size, weights=np.asarray(verdict, dtype=np.float64), minlength=runs.count
        )
        shares = np.divide(ones, sizes, out=np.zeros(runs.count), where=sizes > 0)
        _learn_verdicts(
            belief,
            rows,
            np.asarray(verdict, dtype=np.bool_),
            alive,
            unit,
            per_unit,
            scratch.array("learn_case", (n,), np.int8),
            sizes > 0,
            shares,
            runs.run,
            several,
            public_reach,
            reach_draw,
            *reach,
            *weights,
            *total,
            BELIEF_SPEED,
        )


@kernel
def _unit_reports(
    false_report, vis, post, post_unit, run, several, units, unit, per_unit
):  # pragma: no cover - compiled
    """Each row's unit into ``unit``; each unit's false reports and visibility into ``per_unit``.

    ``run`` is read only for ``several`` runs (as in the kernels below).
    """
    per_unit[:] = 0.0
    for i in range(vis.size):
        k = post_unit[post[i]] + (run[i] * units if several else 0)
        unit[i] = k
        per_unit[0, k] += 1.0 if false_report[i] else 0.0
        per_unit[1, k] += vis[i]


@kernel
def _learn_false(
    belief,
    false_report,
    vis,
    alive,
    unit,
    per_unit,
    public_rate,
    run,
    several,
    w_own,
    o_stride,
    w_peer,
    p_stride,
    w_pub,
    u_stride,
    total,
    t_stride,
    speed,
):  # pragma: no cover - compiled
    """The false-accusation belief of :func:`learn_monthly`, row by row in place.

    Sources: own false reports per unit of visibility (0 if unseen), the
    unit's, and the run's ``public_rate``; serving cadres see all three.
    """
    for i in range(belief.size):
        b = belief[i]
        own = (1.0 if false_report[i] else 0.0) / max(vis[i], 1e-9)
        k = unit[i]
        seen = per_unit[1, k]
        in_unit = per_unit[0, k] / seen if seen > 0 else 0.0
        step = 0.0
        step += _source_term(w_own[i * o_stride], alive[i], own, b)
        step += _source_term(w_peer[i * p_stride], alive[i], in_unit, b)
        r = run[i] if several else 0
        step += _source_term(w_pub[i * u_stride], alive[i], public_rate[r], b)
        belief[i] = _moved(b, step, speed, total[i * t_stride])


@kernel
def _learn_verdicts(
    belief,
    rows,
    verdict,
    alive,
    unit,
    per_unit,
    case,
    run_has_case,
    share,
    run,
    several,
    public_reach,
    reach_draw,
    reach,
    r_stride,
    w_own,
    o_stride,
    w_peer,
    p_stride,
    w_pub,
    u_stride,
    total,
    t_stride,
    speed,
):  # pragma: no cover - compiled
    """A conditional belief of :func:`learn_monthly` from the verdicts on ``rows``, in place.

    Sources: the row's own verdict (rows whose case concluded), its unit's
    mean verdict (serving cadres of units with such a case) and its run's
    ``share`` (serving cadres of runs with such a case; with
    ``public_reach``, only where ``reach_draw < reach``). ``per_unit`` and
    ``case`` are scratch arrays, overwritten here.
    """
    per_unit[:] = 0.0
    case[:] = -1
    for j in range(rows.size):
        r = rows[j]
        case[r] = 1 if verdict[j] else 0
        k = unit[r]
        per_unit[0, k] += 1.0 if verdict[j] else 0.0
        per_unit[1, k] += 1.0
    for i in range(belief.size):
        b = belief[i]
        own = 1.0 if case[i] == 1 else 0.0
        k = unit[i]
        count = per_unit[1, k]
        in_unit = per_unit[0, k] / count if count > 0 else 0.0
        r = run[i] if several else 0
        public = alive[i] and run_has_case[r]
        if public_reach:
            public = public and reach_draw[i] < reach[i * r_stride]
        step = 0.0
        step += _source_term(w_own[i * o_stride], case[i] >= 0, own, b)
        step += _source_term(w_peer[i * p_stride], alive[i] and count > 0, in_unit, b)
        step += _source_term(w_pub[i * u_stride], public, share[r], b)
        belief[i] = _moved(b, step, speed, total[i * t_stride])


def recover(pop: Population, params: Params | RunParams) -> None:
    """Slow variables: idealism decays and recovers; reputation drifts back to its baseline.

    Long-run idealism decays with service (``IDEALISM_TENURE_DECAY``) and
    idealism recovers towards it; reputation drifts back to
    ``REPUTATION_BASELINE`` while no case is open and loses
    ``accusation.investigation_harm`` a month (not below 0) while one is.
    Every row, in one compiled pass.
    """
    behaviour = params.behaviour
    _recover(
        pop.idealism_base,
        pop.idealism,
        pop.reputation,
        pop.case_kind,
        *strided(behaviour.idealism_recovery),
        *strided(behaviour.reputation_recovery),
        *strided(params.accusation.investigation_harm),
    )


@kernel
def _recover(
    idealism_base,
    idealism,
    reputation,
    case_kind,
    idealism_recovery,
    i_stride,
    reputation_recovery,
    r_stride,
    harm,
    h_stride,
):  # pragma: no cover - compiled
    """The equations of :func:`recover`, row by row in place."""
    keep = 1.0 - IDEALISM_TENURE_DECAY
    for i in range(idealism.size):
        base = idealism_base[i] * keep
        idealism_base[i] = base
        idealism[i] = idealism[i] + idealism_recovery[i * i_stride] * (base - idealism[i])
        r = reputation[i]
        if case_kind[i] == _NO_CASE:
            r = r + reputation_recovery[i * r_stride] * (REPUTATION_BASELINE - r)
        else:
            r = r + -harm[i * h_stride]
        reputation[i] = r if (r >= 0.0 or r != r) else 0.0
