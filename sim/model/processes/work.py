"""Work (ODD 7.4): effort, public value, innovations, honest mistakes and misconduct."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.model.compiled import kernel
from sim.model.constants import ACTIVE, EFFORT, FLAT, INNOVATION_VALUE, MISTAKE_EXPOSURE
from sim.model.processes.stakes import rank_factor
from sim.model.stacking import RunParams, Runs, strided
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
    accountability: FloatArray | None = None,
    serving: IntArray | None = None,
) -> Work:
    """Work under this month's states; adds to each cadre's yearly performance and counters.

    ``draws`` holds three uniform numbers per row: innovation (``draws[0]``),
    honest mistake (``draws[1]``; its chance ``mistake_rate * workload *
    MISTAKE_EXPOSURE[state] * rank_factor(level, discipline.accountability)``,
    at most 1: a post answers for its unit's failures) and misconduct
    (``draws[2]``). Changes
    ``pop.performance``, ``pop.active_months`` and ``pop.flat_months``.
    ``workload`` is a number or one value per row; ``runs`` lays out a stack;
    ``accountability`` is the rows' ``rank_factor`` above and ``serving``
    each run's number of serving rows when the caller has them.
    """
    if accountability is None:
        accountability = rank_factor(org.post_level[pop.post], params.discipline.accountability)
    runs = runs or Runs.single(pop.alive.size, org.n_units)
    behaviour = params.behaviour
    n = pop.alive.size
    active, innovation = np.empty(n, dtype=np.bool_), np.empty(n, dtype=np.bool_)
    mistake, misconduct = np.empty(n, dtype=np.bool_), np.empty(n, dtype=np.bool_)
    output = pop.workspace.array("work_output", (n,))
    _work_kernel(
        pop.alive,
        pop.state,
        pop.ability,
        accountability,
        draws,
        *strided(behaviour.innovation_rate),
        *strided(behaviour.mistake_rate * workload),
        *strided(params.discipline.misconduct_rate),
        EFFORT,
        MISTAKE_EXPOSURE,
        output,
        active,
        innovation,
        mistake,
        misconduct,
        pop.performance,
        pop.active_months,
        pop.flat_months,
    )
    innovations = runs.counts(innovation)
    serving = runs.counts(pop.alive) if serving is None else serving
    # every row serving: the sum over the serving is the sum over all rows
    mask = None if int(serving.sum()) == n else pop.alive
    public_value = [
        float((total + INNOVATION_VALUE * k) / max(int(s), 1))
        for total, k, s in zip(runs.sums(output, mask), innovations, serving, strict=True)
    ]
    counts = {"innovations": innovations, "honest_mistakes": runs.counts(mistake)}
    return Work(active, mistake, misconduct, public_value, counts)


@kernel
def _work_kernel(
    alive,
    state,
    ability,
    accountability,
    draws,
    innovation_rate,
    i_stride,
    mistake_k,
    k_stride,
    misconduct_rate,
    m_stride,
    effort,
    mistake_exposure,
    output,
    active,
    innovation,
    mistake,
    misconduct,
    performance,
    active_months,
    flat_months,
):  # pragma: no cover - compiled
    """The equations of :func:`do_work`, row by row.

    Writes each row's output before innovations (``ability * EFFORT[state]``)
    into ``output`` and the four masks; adds output plus ``INNOVATION_VALUE``
    per innovation to ``performance`` and the month to ``active_months`` or
    ``flat_months`` of serving rows. ``mistake_k`` is ``mistake_rate *
    workload``; ``accountability`` each row's ``rank_factor``.
    """
    for i in range(alive.size):
        serving = alive[i]
        s = state[i]
        a = ability[i]
        done = a * effort[s]
        output[i] = done
        is_active = s == ACTIVE and serving
        active[i] = is_active
        innovated = is_active and draws[0, i] < innovation_rate[i * i_stride] * a
        innovation[i] = innovated
        chance = mistake_k[i * k_stride] * mistake_exposure[s] * accountability[i]
        if chance > 1.0:
            chance = 1.0
        mistake[i] = serving and draws[1, i] < chance
        misconduct[i] = serving and draws[2, i] < misconduct_rate[i * m_stride]
        if serving:
            performance[i] += done + INNOVATION_VALUE * (1.0 if innovated else 0.0)
            if s == ACTIVE:
                active_months[i] += 1
            elif s == FLAT:
                flat_months[i] += 1


def initial_public_value(pop: Population) -> float:
    """Public value per cadre slot of the starting states (month 0 has no innovations)."""
    return float((pop.ability * EFFORT[pop.state]).mean())
