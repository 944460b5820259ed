"""Work (ODD 7.4): effort, public value, innovations, honest mistakes and misconduct."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.model.constants import ACTIVE, EFFORT, FLAT, INNOVATION_VALUE, MISTAKE_EXPOSURE
from sim.model.processes.stakes import rank_factor
from sim.model.stacking import RunParams, Runs
from sim.model.state import BoolArray, FloatArray, IntArray, Organisation, Population
from sim.parameters.values import Params

__all__ = ["Work", "do_work", "initial_public_value"]


@dataclass(frozen=True, slots=True)
class Work:
    """What the month's work produced, one mask entry per population row.

    Attributes:
        active: serving and active this month.
        mistake: made an honest mistake.
        misconduct: committed real misconduct.
        public_value: public value per serving cadre (output plus
            innovations), one per run.
        counts: ``innovations`` and ``honest_mistakes``, one count per run.

    """

    active: BoolArray
    mistake: BoolArray
    misconduct: BoolArray
    public_value: list[float]
    counts: dict[str, IntArray]


def do_work(
    pop: Population,
    org: Organisation,
    params: Params | RunParams,
    workload: Any,
    draws: FloatArray,
    runs: Runs | None = None,
) -> Work:
    """Work under this month's states; adds to each cadre's yearly performance and counters.

    ``draws`` holds three uniform numbers per row: innovation (``draws[0]``),
    honest mistake (``draws[1]``; its chance ``mistake_rate * workload *
    MISTAKE_EXPOSURE[state] * rank_factor(level, discipline.accountability)``,
    at most 1: a post answers for its unit's failures) and misconduct
    (``draws[2]``). Changes
    ``pop.performance``, ``pop.active_months`` and ``pop.flat_months``.
    ``workload`` is a number or one value per row; ``runs`` lays out a stack.
    """
    runs = runs or Runs.single(pop.alive.size, org.n_units)
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
    innovations = runs.counts(innovation)
    public_value = [
        float((total + INNOVATION_VALUE * k) / max(int(n), 1))
        for total, k, n in zip(
            runs.sums(output, alive), innovations, runs.counts(alive), strict=True
        )
    ]
    output += INNOVATION_VALUE * innovation
    np.add(pop.performance, output, out=pop.performance, where=alive)
    pop.active_months += active
    pop.flat_months += (state == FLAT) & alive
    counts = {"innovations": innovations, "honest_mistakes": runs.counts(mistake)}
    return Work(active, mistake, misconduct, public_value, counts)


def initial_public_value(pop: Population) -> float:
    """Public value per cadre slot of the starting states (month 0 has no innovations)."""
    return float((pop.ability * EFFORT[pop.state]).mean())
