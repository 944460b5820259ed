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
from sim.model.state import (
    BoolArray,
    FloatArray,
    IntArray,
    Organisation,
    Population,
    units_in_use,
)
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
    totals: tuple[IntArray, Sequence[float]] | None = None,
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

    The three beliefs are updated in one compiled pass over the rows (after one
    pass counting the units' reports); units and counts go into scratch
    arrays of ``pop.workspace``. Totals over a run are numpy's (per run).
    ``visibility`` is each row's visibility times exposure, 0 where not
    serving, when the caller has it (:attr:`~sim.model.processes.reports.Reports.visibility`
    of this month's states); by default it is computed. ``totals`` are each
    run's false reports and sum of ``visibility`` (numpy's, per run) when
    the caller has them (with ``visibility``).
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
    # each run's units in use lie in first:stop (the other units' numbers are never read)
    first, stop = units_in_use(org)
    in_use = (runs.count, runs.units, first, stop)
    _unit_reports(
        false_report, vis, pop.post, org.post_unit, runs.run, several, *in_use, unit, per_unit
    )
    reported, seen = (
        (runs.counts(false_report), runs.sums(vis))
        if totals is None or visibility is None
        else totals
    )
    public_rate = np.array([int(k) / max(t, 1e-9) for k, t in zip(reported, seen, strict=True)])
    reach = strided(params.clarification.reach)
    verdict_units = scratch.array("learn_verdict_units", (4, n_units))
    cases = []
    for rows, verdict, name in (
        (verdicts.mistake_rows, verdicts.exempted, "learn_case_mistake"),
        (verdicts.false_rows, verdicts.vindicated, "learn_case_false"),
    ):
        # each run's share of 1s among its verdicts
        flags = np.asarray(verdict, dtype=np.bool_)
        sizes, shares = np.empty(runs.count, dtype=np.int64), np.empty(runs.count)
        _run_shares(rows, flags, runs.size, sizes, shares)
        cases += [rows.size > 0, rows, flags, sizes > 0, shares, scratch.array(name, (n,), np.int8)]
    _learn_beliefs(
        pop.belief_false,
        false_report,
        vis,
        per_unit,
        public_rate,
        pop.belief_exemption,
        pop.belief_vindication,
        *cases,
        verdict_units,
        *in_use,
        alive,
        unit,
        runs.run,
        several,
        reach_draw,
        *reach,
        *weights,
        *total,
        BELIEF_SPEED,
    )


@kernel
def _run_shares(rows, verdict, size, sizes, shares):  # pragma: no cover - compiled
    """Each run's number of ``rows`` (runs of ``size`` rows) and its share of them with ``verdict``.

    A sum of 0s and 1s is exact in any order, so a share is the run's own
    mean; 0 for a run with none.
    """
    sizes[:] = 0
    ones = np.zeros(sizes.size)
    for j in range(rows.size):
        r = rows[j] // size
        sizes[r] += 1
        ones[r] += 1.0 if verdict[j] else 0.0
    for r in range(sizes.size):
        shares[r] = ones[r] / sizes[r] if sizes[r] > 0 else 0.0


@kernel
def _unit_reports(
    false_report, vis, post, post_unit, run, several, count, units, first, stop, unit, per_unit
):  # pragma: no cover - compiled
    """Each row's unit into ``unit``; each unit's false reports per visibility into ``per_unit``.

    ``per_unit[1, k]`` is unit ``k``'s visibility and ``per_unit[0, k]`` its
    false reports divided by it (0 where it is not positive), once per unit,
    for the units ``first:stop`` of each of the ``count`` runs (of ``units``
    units), where every row's unit lies (the rest of ``per_unit`` is left as
    it was). ``run`` is read only for ``several`` runs (as in the kernels below).
    """
    for r in range(count):
        per_unit[:, r * units + first : r * units + stop] = 0.0
    for i in range(vis.size):
        k = post_unit[post[i]] + (run[i] * units if several else 0)
        unit[i] = k
        per_unit[0, k] += 1.0 if false_report[i] else 0.0
        per_unit[1, k] += vis[i]
    for r in range(count):
        for k in range(r * units + first, r * units + stop):
            seen = per_unit[1, k]
            per_unit[0, k] = per_unit[0, k] / seen if seen > 0 else 0.0


@kernel
def _false_belief(
    b, false_report, vis, in_unit, public, alive, w_own, w_peer, w_pub, total, speed
):  # pragma: no cover - compiled
    """A row's false-accusation belief of :func:`learn_monthly`.

    Sources: own false reports per unit of visibility (0 if unseen), the
    unit's rate ``in_unit``, and the run's ``public`` rate; serving cadres
    see all three.
    """
    if false_report or vis != vis:
        own = (1.0 if false_report else 0.0) / max(vis, 1e-9)
    else:  # 0 / max(vis, 1e-9), a positive number
        own = 0.0
    step = 0.0
    step += _source_term(w_own, alive, own, b)
    step += _source_term(w_peer, alive, in_unit, b)
    step += _source_term(w_pub, alive, public, b)
    return _moved(b, step, speed, total)


@kernel
def _verdict_belief(
    b, case, in_unit, count, seen_public, share, w_own, w_peer, w_pub, alive, total, speed
):  # pragma: no cover - compiled
    """A row's conditional belief of :func:`learn_monthly` from verdicts.

    Sources: the row's own verdict (``case``: 1 or 0 where its case
    concluded, else -1), its unit's mean verdict ``in_unit`` (of its
    ``count`` verdicts; serving cadres of units with such a case) and its
    run's ``share`` (where ``seen_public``).
    """
    own = 1.0 if case == 1 else 0.0
    step = 0.0
    step += _source_term(w_own, case >= 0, own, b)
    step += _source_term(w_peer, alive and count > 0, in_unit, b)
    step += _source_term(w_pub, seen_public, share, b)
    return _moved(b, step, speed, total)


@kernel
def _verdict_units(
    rows, verdict, unit, case, per_unit, at, count, units, first, stop
):  # pragma: no cover - compiled
    """Each row's verdict into ``case`` (1 or 0; -1 for none); per unit, its mean into ``per_unit``.

    ``per_unit[at + 1, k]`` counts unit ``k``'s verdicts, ``per_unit[at, k]``
    is their share of 1s (0 for a unit with none), once per unit, for the
    units ``first:stop`` of each of the ``count`` runs (of ``units`` units),
    where every row's unit lies (the rest of ``per_unit`` is left as it was).
    """
    for r in range(count):
        per_unit[at : at + 2, r * units + first : r * units + stop] = 0.0
    case[:] = -1
    for j in range(rows.size):
        r = rows[j]
        case[r] = 1 if verdict[j] else 0
        k = unit[r]
        per_unit[at, k] += 1.0 if verdict[j] else 0.0
        per_unit[at + 1, k] += 1.0
    for r in range(count):
        for k in range(r * units + first, r * units + stop):
            verdicts = per_unit[at + 1, k]
            per_unit[at, k] = per_unit[at, k] / verdicts if verdicts > 0 else 0.0


@kernel
def _learn_beliefs(
    belief_false,
    false_report,
    vis,
    per_unit,
    public_rate,
    belief_exemption,
    belief_vindication,
    any_mistake,
    mistake_rows,
    exempted,
    run_has_mistake,
    exempted_share,
    mistake_case,
    any_false,
    false_rows,
    vindicated,
    run_has_false,
    vindicated_share,
    false_case,
    verdict_units,
    count,
    units,
    first,
    stop,
    alive,
    unit,
    run,
    several,
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
    """The three beliefs of :func:`learn_monthly`, in one pass over the rows, in place.

    The false-accusation belief (:func:`_false_belief`, from the units'
    rates in ``per_unit[0]`` and each run's ``public_rate``)
    for every row; the exemption belief from the verdicts on
    ``mistake_rows`` and the vindication belief from those on ``false_rows``
    (:func:`_verdict_belief`; the public only where ``reach_draw < reach``),
    each only if there is any such verdict (``any_mistake``, ``any_false``).
    ``verdict_units``, ``mistake_case`` and ``false_case`` are scratch
    arrays, overwritten here (``verdict_units`` for the units ``first:stop``
    of each of the ``count`` runs of ``units`` units, where every row's unit lies).
    """
    if any_mistake:
        _verdict_units(
            mistake_rows, exempted, unit, mistake_case, verdict_units, 0, count, units, first, stop
        )
    if any_false:
        _verdict_units(
            false_rows, vindicated, unit, false_case, verdict_units, 2, count, units, first, stop
        )
    for i in range(belief_false.size):
        k = unit[i]
        r = run[i] if several else 0
        a = alive[i]
        wo = w_own[i * o_stride]
        wp = w_peer[i * p_stride]
        wu = w_pub[i * u_stride]
        t = total[i * t_stride]
        belief_false[i] = _false_belief(
            belief_false[i],
            false_report[i],
            vis[i],
            per_unit[0, k],
            public_rate[r],
            a,
            wo,
            wp,
            wu,
            t,
            speed,
        )
        if any_mistake:
            belief_exemption[i] = _verdict_belief(
                belief_exemption[i],
                mistake_case[i],
                verdict_units[0, k],
                verdict_units[1, k],
                a and run_has_mistake[r],
                exempted_share[r],
                wo,
                wp,
                wu,
                a,
                t,
                speed,
            )
        if any_false:
            belief_vindication[i] = _verdict_belief(
                belief_vindication[i],
                false_case[i],
                verdict_units[2, k],
                verdict_units[3, k],
                (a and run_has_false[r]) and reach_draw[i] < reach[i * r_stride],
                vindicated_share[r],
                wo,
                wp,
                wu,
                a,
                t,
                speed,
            )


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
