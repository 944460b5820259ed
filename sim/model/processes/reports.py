"""Reports to the discipline channel and the deterrence of false accusers (ODD 7.5, 7.13).

True reports follow real honest mistakes and misconduct; false reports fall on
cadres in proportion to their visibility and, for rivals, their ability.
Deterrence, the would-be accusers' perceived risk, moves towards what the
current crackdown and publicity imply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.constants import FLAT_VISIBILITY
from sim.model.processes.work import Work
from sim.model.state import BoolArray, FloatArray, IntArray, Population
from sim.parameters.values import Params

__all__ = [
    "Reports",
    "deterrence_target",
    "false_report_intensity",
    "file_reports",
    "next_deterrence",
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


def file_reports(
    pop: Population, params: Params, deterrence: float, work: Work, draws: FloatArray
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
