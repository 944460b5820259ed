"""Reports to the discipline channel and the deterrence of false accusers (ODD 7.5, 7.13).

True reports follow real honest mistakes and misconduct; false reports fall on
cadres in proportion to their visibility and their post's exposure and, for
rivals, their ability.
Deterrence, the would-be accusers' perceived risk, moves towards what the
current crackdown and publicity imply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.constants import FLAT_VISIBILITY, RIVAL_ABILITY_EXPONENT
from sim.model.processes.stakes import rank_factor
from sim.model.processes.work import Work
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


def false_report_intensity(
    *,
    state: IntArray,
    ability: FloatArray,
    alive: BoolArray,
    exposure: FloatArray,
    base_rate: float,
    deterrence: float,
    deterrence_strength: float,
    visibility_active: float,
    rival_share: float,
) -> FloatArray:
    """Monthly probability that each cadre is the target of a false report.

    Disgruntled parties report in proportion to visibility times the post's
    ``exposure`` (leaders are more exposed:
    :func:`sim.model.processes.stakes.rank_factor`); rivals in the promotion
    tournament (Lazear 1989) aim at the visible and the able (weight
    ``visibility * exposure * ability**RIVAL_ABILITY_EXPONENT``). See
    :func:`report_hazard`.
    """
    return report_hazard(
        visible=visibility(visibility_active)[state] * exposure,
        ability=ability,
        alive=alive,
        base_rate=base_rate,
        deterrence=deterrence,
        deterrence_strength=deterrence_strength,
        rival_share=rival_share,
    )


def report_hazard(
    *,
    visible: FloatArray,
    ability: FloatArray,
    alive: BoolArray,
    base_rate: float,
    deterrence: float,
    deterrence_strength: float,
    rival_share: float,
) -> FloatArray:
    """:func:`false_report_intensity` for given visibilities (state visibility x exposure).

    Both weights (``visible`` and ``visible * ability**RIVAL_ABILITY_EXPONENT``)
    are normalised to mean one over serving cadres, so ``base_rate`` is the
    average rate at unit visibility; deterrence removes up to
    ``deterrence_strength`` of reports.
    """
    vis = visible * alive
    rival = vis * ability**RIVAL_ABILITY_EXPONENT
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


@dataclass(frozen=True, slots=True)
class Reports:
    """The month's reports, one mask entry per population row.

    Attributes:
        mistake_reported: an honest mistake reached the discipline channel.
        misconduct: real misconduct (always reported).
        false_report: the cadre is the target of a false report.
        counts: ``true_reports``, ``false_reports``, ``false_reports_on_active``.

    """

    mistake_reported: BoolArray
    misconduct: BoolArray
    false_report: BoolArray
    counts: dict[str, int]


def report_exposure(pop: Population, org: Organisation, params: Params) -> FloatArray:
    """Each row's exposure to false reports, from its level (``accusation.rank_exposure``)."""
    return rank_factor(org.post_level[pop.post], params.accusation.rank_exposure)


def file_reports(
    pop: Population,
    org: Organisation,
    params: Params,
    deterrence: float,
    work: Work,
    draws: FloatArray,
) -> Reports:
    """Which honest mistakes are reported (``draws[0]``) and who is falsely reported (``draws[1]``).

    Changes nothing; ``draws`` holds two uniform numbers per row.
    """
    accusation = params.accusation
    alive = pop.alive
    mistake_reported = work.mistake & (draws[0] < accusation.mistake_report_prob)
    lam = false_report_intensity(
        state=pop.state,
        ability=pop.ability,
        alive=alive,
        exposure=report_exposure(pop, org, params),
        base_rate=accusation.false_report_rate,
        deterrence=deterrence,
        deterrence_strength=params.crackdown.deterrence_strength,
        visibility_active=accusation.visibility_active,
        rival_share=accusation.rival_share,
    )
    false_report = alive & (draws[1] < lam)
    counts = {
        "true_reports": int(mistake_reported.sum() + work.misconduct.sum()),
        "false_reports": int(false_report.sum()),
        "false_reports_on_active": int((false_report & work.active).sum()),
    }
    return Reports(mistake_reported, work.misconduct, false_report, counts)


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
