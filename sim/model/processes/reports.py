"""Reports to the discipline channel and the deterrence of false accusers (ODD 7.5, 7.13).

True reports follow real honest mistakes and misconduct; false reports fall on
cadres in proportion to their visibility and their post's exposure and, for
rivals, their ability.
Deterrence, the would-be accusers' perceived risk, moves towards what the
current crackdown and publicity imply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.model.compiled import kernel
from sim.model.constants import ACTIVE, FLAT_VISIBILITY, RIVAL_ABILITY_EXPONENT
from sim.model.processes.stakes import rank_factor
from sim.model.processes.work import Work
from sim.model.stacking import RunParams, Runs, strided
from sim.model.state import BoolArray, FloatArray, IntArray, Organisation, Population
from sim.parameters.values import Params

__all__ = [
    "Reports",
    "deterrence_target",
    "false_report_intensity",
    "file_reports",
    "next_deterrence",
    "report_exposure",
    "report_hazard",
    "update_deterrence",
    "visibility",
]


def visibility(visibility_active: float) -> FloatArray:
    """Visibility of (active, routine, flat) cadres to reporters."""
    return np.array([visibility_active, 1.0, FLAT_VISIBILITY])


def state_visibilities(visibility_active: Any) -> tuple[Any, float, float]:
    """:func:`visibility` as three values, each a number or one per row (stacked runs)."""
    if np.ndim(visibility_active) == 0:
        return tuple(visibility(visibility_active))  # type: ignore[return-value]
    return (visibility_active, 1.0, FLAT_VISIBILITY)


def visibility_of(state: IntArray, visibility_active: Any) -> FloatArray:
    """Each row's visibility in its work ``state``."""
    if np.ndim(visibility_active) == 0:
        return visibility(visibility_active)[state]
    return np.where(state == ACTIVE, visibility_active, visibility(0.0)[state])


def false_report_intensity(
    *,
    state: IntArray,
    ability: FloatArray,
    alive: BoolArray,
    exposure: FloatArray,
    base_rate: Any,
    deterrence: Any,
    deterrence_strength: Any,
    visibility_active: Any,
    rival_share: Any,
    runs: Runs | None = None,
    weights: tuple[FloatArray, FloatArray] | None = None,
    totals: list[float] | None = None,
    serving: IntArray | None = None,
) -> FloatArray:
    """Monthly probability that each cadre is the target of a false report.

    Disgruntled parties report in proportion to visibility times the post's
    ``exposure`` (leaders are more exposed:
    :func:`sim.model.processes.stakes.rank_factor`); rivals in the promotion
    tournament (Lazear 1989) aim at the visible and the able (weight
    ``visibility * exposure * ability**RIVAL_ABILITY_EXPONENT``). See
    :func:`report_hazard` (also for ``weights``, ``totals`` and ``serving``).
    """
    return report_hazard(
        visible=visibility_of(state, visibility_active) * exposure,
        ability=ability,
        alive=alive,
        base_rate=base_rate,
        deterrence=deterrence,
        deterrence_strength=deterrence_strength,
        rival_share=rival_share,
        runs=runs,
        weights=weights,
        totals=totals,
        serving=serving,
    )


def report_hazard(
    *,
    visible: FloatArray,
    ability: FloatArray,
    alive: BoolArray,
    base_rate: Any,
    deterrence: Any,
    deterrence_strength: Any,
    rival_share: Any,
    runs: Runs | None = None,
    weights: tuple[FloatArray, FloatArray] | None = None,
    totals: list[float] | None = None,
    serving: IntArray | None = None,
) -> FloatArray:
    """:func:`false_report_intensity` for given visibilities (state visibility x exposure).

    Both weights (``visible`` and ``visible * ability**RIVAL_ABILITY_EXPONENT``)
    are normalised to mean one over each run's serving cadres, so
    ``base_rate`` is the average rate at unit visibility; deterrence removes
    up to ``deterrence_strength`` of reports. ``runs`` lays out a stack
    (default: one run); numbers may be one value per row. ``weights``, two
    float64 arrays of one entry per row, receive the two weights before
    normalising (the first: ``visible``, 0 where not serving); by default
    they are new arrays. ``totals``, a list, receives each run's sum of the
    first weight when given.
    """
    runs = runs or Runs.single(alive.size, 0)
    rows = alive.size
    vis, rival = weights if weights is not None else (np.empty(rows), np.empty(rows))
    _hazard_weights(
        np.asarray(visible, dtype=np.float64),
        np.asarray(ability, dtype=np.float64),
        alive,
        vis,
        rival,
    )
    counted = runs.counts(alive) if serving is None else serving
    n = [max(int(k), 1) for k in counted]
    vis_totals = runs.sums(vis)
    if totals is not None:
        totals.extend(vis_totals)
    vis_mean = np.array([t / k for t, k in zip(vis_totals, n, strict=True)])
    rival_mean = np.array([t / k for t, k in zip(runs.sums(rival), n, strict=True)])
    rate = base_rate * (1.0 - deterrence_strength * deterrence)
    hazard = np.empty(rows)
    _hazard(
        vis,
        rival,
        vis_mean,
        rival_mean,
        runs.run,
        runs.count > 1,
        *strided(1.0 - rival_share),
        *strided(rival_share),
        *strided(rate),
        hazard,
    )
    return hazard


@kernel
def _hazard_weights(visible, ability, alive, vis, rival):  # pragma: no cover - compiled
    """The two report weights of :func:`report_hazard` before normalising, row by row.

    ``vis = visible * alive``; ``rival = vis * ability**RIVAL_ABILITY_EXPONENT``.
    """
    for i in range(vis.size):
        v = visible[i] * (1.0 if alive[i] else 0.0)
        vis[i] = v
        rival[i] = v * ability[i] ** RIVAL_ABILITY_EXPONENT


@kernel
def _hazard(
    vis,
    rival,
    vis_mean,
    rival_mean,
    run,
    several,
    share,
    s_stride,
    rival_share,
    r_stride,
    rate,
    t_stride,
    out,
):  # pragma: no cover - compiled
    """:func:`report_hazard` from the weights and each run's means, row by row into ``out``.

    Each weight counts where its run's mean is positive;
    ``min(rate * weight, 1)``. ``run`` is read only for ``several`` runs.
    """
    for i in range(out.size):
        r = run[i] if several else 0
        weight = 0.0
        if vis_mean[r] > 0:
            weight += share[i * s_stride] * vis[i] / vis_mean[r]
        if rival_mean[r] > 0:
            weight += rival_share[i * r_stride] * rival[i] / rival_mean[r]
        chance = rate[i * t_stride] * weight
        out[i] = 1.0 if chance > 1.0 else chance


@dataclass(frozen=True, slots=True)
class Reports:
    """The month's reports, one mask entry per population row.

    Attributes:
        mistake_reported: an honest mistake reached the discipline channel.
        misconduct: real misconduct (always reported).
        false_report: the cadre is the target of a false report.
        counts: ``true_reports``, ``false_reports``, ``false_reports_on_active``,
            one count per run.
        visibility: each row's visibility in its state times its post's
            exposure, 0 where not serving (what false reports fall on), or
            None when not kept.
        visibility_totals: each run's sum of ``visibility`` (numpy's, per
            run), or None when not kept.

    """

    mistake_reported: BoolArray
    misconduct: BoolArray
    false_report: BoolArray
    counts: dict[str, IntArray]
    visibility: FloatArray | None = None
    visibility_totals: list[float] | None = None


def report_exposure(pop: Population, org: Organisation, params: Params | RunParams) -> FloatArray:
    """Each row's exposure to false reports, from its level (``accusation.rank_exposure``)."""
    return rank_factor(org.post_level[pop.post], params.accusation.rank_exposure)


def file_reports(
    pop: Population,
    org: Organisation,
    params: Params | RunParams,
    deterrence: Any,
    work: Work,
    draws: FloatArray,
    runs: Runs | None = None,
    exposure: FloatArray | None = None,
    serving: IntArray | None = None,
) -> Reports:
    """Which honest mistakes are reported (``draws[0]``) and who is falsely reported (``draws[1]``).

    Changes nothing; ``draws`` holds two uniform numbers per row;
    ``deterrence`` is a number or one value per row (stacked runs). The
    reports keep each row's visibility and each run's total of it
    (:attr:`Reports.visibility`, :attr:`Reports.visibility_totals`).
    ``exposure`` is the rows' :func:`report_exposure` and ``serving`` each
    run's number of serving rows when the caller has them.
    """
    if exposure is None:
        exposure = report_exposure(pop, org, params)
    runs = runs or Runs.single(pop.alive.size, org.n_units)
    accusation = params.accusation
    alive = pop.alive
    mistake_reported = work.mistake & (draws[0] < accusation.mistake_report_prob)
    n = alive.size
    weights = (np.empty(n), pop.workspace.array("report_rival_weight", (n,)))
    totals: list[float] = []
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
        runs=runs,
        weights=weights,
        totals=totals,
        serving=serving,
    )
    false_report = alive & (draws[1] < lam)
    counts = {
        "true_reports": runs.counts(mistake_reported) + runs.counts(work.misconduct),
        "false_reports": runs.counts(false_report),
        "false_reports_on_active": runs.counts(false_report & work.active),
    }
    return Reports(mistake_reported, work.misconduct, false_report, counts, weights[0], totals)


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


def next_deterrence(deterrence: float, params: Params) -> float:
    """This month's deterrence, moved from last month's towards the regime's target."""
    crackdown = params.crackdown
    return update_deterrence(
        deterrence,
        deterrence_target(crackdown.trace_probability, params.clarification.typical_cases),
        crackdown.deterrence_build,
        crackdown.deterrence_fade,
    )
