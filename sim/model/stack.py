"""Several runs of equal structure stepped together in one set of arrays.

A :class:`RunStack` keeps ``K`` runs in one
:class:`~sim.model.state.Population` of ``K * size`` rows, each run with its
own generator. It builds them together: the first populations of every run
are filled in one call
(:func:`sim.model.processes.initial.initialise_population`, the function
:class:`sim.model.CadreModel` calls with one run), and steps them together:
the monthly processes run once over every row
(:func:`sim.model.processes.month.advance_month`), and so do the annual
evaluation (:func:`sim.model.processes.annual.annual_evaluation`) and the
outputs (:func:`sim.model.outputs.stack_output_table`). Each run's time
series is identical, bit for bit, to the same run alone (tested). There are
no Mesa agents: a stack is for batches, where only the time series is kept.

Runs can be stacked when they share the structure (:func:`structure`):
headcount, levels, span and warm-up months; every other parameter, the
timeline and the seed may differ from run to run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.model.outputs import output_names, series_columns, series_frame, stack_output_table
from sim.model.processes import annual, initial, reports, work
from sim.model.processes.month import advance_month
from sim.model.stacking import (
    RunParams,
    Runs,
    population_view,
    stacked_organisation,
)
from sim.model.state import FloatArray, Population, build_organisation
from sim.parameters.timeline import PolicyChange, Schedule
from sim.parameters.values import Params

__all__ = ["RunSpec", "RunStack", "structure"]


def structure(params: Params) -> tuple[int, int, int, int]:
    """What runs must share to be stacked: headcount, levels, span and warm-up months."""
    return (
        params.workforce.population,
        params.workforce.levels,
        params.career.span,
        params.simulation.warmup_months,
    )


@dataclass(frozen=True, slots=True)
class RunSpec:
    """One run of a stack: its parameters, its timeline and its integer seed.

    The seed seeds ``numpy.random.default_rng``, as an integer ``rng`` does
    for :class:`sim.model.CadreModel`.
    """

    params: Params
    timeline: tuple[PolicyChange, ...]
    seed: int


class RunStack:
    """``K`` runs of equal structure, built, warmed up and stepped together.

    Args:
        specs: the runs, in order.

    Raises:
        ValueError: no runs, or runs of different :func:`structure`.

    Attributes:
        month: the current month (0 after building).
        output_names: every output, in column order.

    """

    def __init__(self, specs: Sequence[RunSpec]) -> None:
        """Build every run's first population at once (as alone), warm up and record month 0."""
        if not specs:
            raise ValueError("a stack needs at least one run")
        shapes = {structure(spec.params) for spec in specs}
        if len(shapes) > 1:
            raise ValueError(f"runs of different structure cannot be stacked: {sorted(shapes)}")
        self.specs = tuple(specs)
        self._schedules = [Schedule(spec.params, spec.timeline) for spec in specs]
        self.rngs = [np.random.default_rng(spec.seed) for spec in specs]
        params = [schedule.at(0) for schedule in self._schedules]
        first = params[0]
        org = build_organisation(
            first.workforce.population, first.workforce.levels, first.career.span
        )
        size = org.n_posts
        self.runs = Runs.stacked(len(specs), size, org.n_units)
        self.headcount = size
        self.org = stacked_organisation(org, self.runs.count)
        self.pop = Population.empty(self.runs.rows)
        self.deterrence = [
            reports.deterrence_target(p.crackdown.trace_probability, p.clarification.typical_cases)
            for p in params
        ]
        self._run_params: tuple[tuple[int, ...], Params | RunParams] | None = None
        starts = initial.initialise_population(
            self.pop, self.org, self.runs, self._params_for(params), self.deterrence, self.rngs
        )
        self.unfit_rate: list[FloatArray] = [start.unfit_rate for start in starts]
        self.promotion_rate: list[FloatArray | None] = [start.promotion_rate for start in starts]
        self.output_names = output_names(self.org.n_levels)
        self._tables: list[FloatArray] = []  # every run's outputs, month after month
        self._params_by_month = [[p] for p in params]
        self.month = 0
        public_value = [
            work.initial_public_value(population_view(self.pop, self.runs.bounds(r)))
            for r in range(self.runs.count)
        ]
        for month in range(1 - first.simulation.warmup_months, 1):
            _, public_value = self._advance(month, params)
        self._record([{} for _ in specs], public_value)

    def _params_for(self, params: Sequence[Params]) -> Params | RunParams:
        """The processes' view of every run's parameters (kept while they stay the same)."""
        key = tuple(id(p) for p in params)
        if self._run_params is None or self._run_params[0] != key:
            value = params[0] if len(params) == 1 else RunParams(params, self.runs)
            self._run_params = (key, value)
        return self._run_params[1]

    def _advance(
        self, month: int, params: Sequence[Params]
    ) -> tuple[list[dict[str, int]], list[float]]:
        """Every run's month: the monthly processes and the annual evaluation, all runs at once."""
        done = advance_month(
            self.pop,
            self.org,
            self.runs,
            self._params_for(params),
            month,
            self.headcount,
            self.deterrence,
            self.unfit_rate,
            self.rngs,
        )
        self.deterrence = done.deterrence
        if month % 12 == 0:
            year_end = annual.annual_evaluation(
                self.pop,
                self.org,
                self.runs,
                self._params_for(params),
                month,
                self.unfit_rate,
                self.deterrence,
                self.rngs,
            )
            for r, result in enumerate(year_end):
                self.unfit_rate[r] = result.unfit_rate
                self.promotion_rate[r] = result.promotion_rate
                done.events[r].update(result.counts)
        return done.events, done.public_value

    def _record(self, events: Sequence[dict[str, int]], public_value: Sequence[float]) -> None:
        """Every run's outputs for the current month (one row of outputs per run)."""
        self._tables.append(
            stack_output_table(
                self.pop, self.org, self.runs, self.month, events, public_value, self.deterrence
            )
        )

    def step(self) -> None:
        """Advance every run one month."""
        self.month += 1
        params = [schedule.at(self.month) for schedule in self._schedules]
        for history, p in zip(self._params_by_month, params, strict=True):
            history.append(p)
        events, public_value = self._advance(self.month, params)
        self._record(events, public_value)

    def run(self, steps: int) -> None:
        """Advance every run ``steps`` months."""
        for _ in range(steps):
            self.step()

    def timeseries(self, run: int) -> pd.DataFrame:
        """Run ``run``'s monthly time series, as :meth:`CadreModel.timeseries` gives it."""
        return series_frame(*self._series(run))

    def series_columns(self, run: int) -> dict[str, Sequence[Any]]:
        """Run ``run``'s monthly time series as columns (:func:`~sim.model.outputs.series_columns`).

        The columns of :meth:`timeseries`, without building a frame: what a
        batch stores of the run.
        """
        return series_columns(*self._series(run))

    def _series(self, run: int) -> tuple[dict[str, FloatArray], list[Params], list[str]]:
        """Run ``run``'s outputs (one array each, by month), parameters in force, changed names."""
        by_output = np.ascontiguousarray(np.stack([table[run] for table in self._tables]).T)
        values = {name: by_output[j] for j, name in enumerate(self.output_names)}
        return values, self._params_by_month[run], self._schedules[run].changed_names()
