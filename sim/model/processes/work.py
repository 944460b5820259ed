"""Work (ODD 7.4): effort, public value, innovations, honest mistakes and misconduct."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.constants import ACTIVE, EFFORT, FLAT, INNOVATION_VALUE, MISTAKE_EXPOSURE
from sim.model.processes.stakes import rank_factor
from sim.model.state import BoolArray, FloatArray, Organisation, Population
from sim.parameters.values import Params

__all__ = ["Work", "do_work", "initial_public_value"]


@dataclass(frozen=True, slots=True)
class Work:
    """What the month's work produced, one mask entry per population row.

    Attributes:
        active: serving and active this month.
        mistake: made an honest mistake.
        misconduct: committed real misconduct.
        public_value: public value per serving cadre (output plus innovations).
        counts: ``innovations`` and ``honest_mistakes``.

    """

    active: BoolArray
    mistake: BoolArray
    misconduct: BoolArray
    public_value: float
    counts: dict[str, int]


def do_work(
    pop: Population, org: Organisation, params: Params, workload: float, draws: FloatArray
) -> Work:
    """Work under this month's states; adds to each cadre's yearly performance and counters.

    ``draws`` holds three uniform numbers per row: innovation (``draws[0]``),
    honest mistake (``draws[1]``; its chance ``mistake_rate * workload *
    MISTAKE_EXPOSURE[state] * rank_factor(level, discipline.accountability)``,
    at most 1: a post answers for its unit's failures) and misconduct
    (``draws[2]``). Changes
    ``pop.performance``, ``pop.active_months`` and ``pop.flat_months``.
    """
    behaviour = params.behaviour
    alive, state = pop.alive, pop.state
    active = (state == ACTIVE) & alive
    output = pop.ability * EFFORT[state]
    innovation = active & (draws[0] < behaviour.innovation_rate * pop.ability)
    mistake_p = np.minimum(
        behaviour.mistake_rate
        * workload
        * MISTAKE_EXPOSURE[state]
        * rank_factor(org.post_level[pop.post], params.discipline.accountability),
        1.0,
    )
    mistake = alive & (draws[1] < mistake_p)
    misconduct = alive & (draws[2] < params.discipline.misconduct_rate)
    public_value = float(
        (output[alive].sum() + INNOVATION_VALUE * innovation.sum()) / max(int(alive.sum()), 1)
    )
    pop.performance += np.where(alive, output + INNOVATION_VALUE * innovation, 0.0)
    pop.active_months += active
    pop.flat_months += (state == FLAT) & alive
    counts = {"innovations": int(innovation.sum()), "honest_mistakes": int(mistake.sum())}
    return Work(active, mistake, misconduct, public_value, counts)


def initial_public_value(pop: Population) -> float:
    """Public value per cadre slot of the starting states (month 0 has no innovations)."""
    return float((pop.ability * EFFORT[pop.state]).mean())
