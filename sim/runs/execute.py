"""Executing runs: one model run, and the worker side of a batch.

:func:`simulate` runs the model of one scenario with one seed and returns
its monthly time series; a single run (:mod:`sim.runs.single`) and every
run of a batch go through it. :func:`execute_run` is what a batch's worker
does with one :class:`RunTask`: simulate, bring the series to the batch's
columns (:func:`sim.runs.store.as_batch_table`), digest and encode it
(:func:`sim.runs.store.encode_run`), and hand it back with a small summary;
the batch's parent writes it through the store, so workers need no access
to the results folder.

A run's data depend only on its scenario, its seed and the number of steps,
so they are identical whatever the executor, the number of workers or the
order runs finish in.
"""

from __future__ import annotations

import math
import os
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from sim.errors import one_line
from sim.runs import provenance, store

if TYPE_CHECKING:
    import pandas as pd

    from sim.model.stack import RunSpec
    from sim.parameters.timeline import PolicyChange
    from sim.parameters.values import Params
    from sim.scenarios import Scenario

__all__ = ["RunTask", "execute_run", "execute_stack", "simulate", "stack_key"]


def simulate(scenario: Scenario, *, steps: int, seed: int, progress: bool = False) -> pd.DataFrame:
    """Run one simulation and return its monthly time series.

    Args:
        scenario: the resolved scenario.
        steps: months to simulate.
        seed: random seed (``rng`` of the model).
        progress: show a progress bar of the months on standard error when
            it is a terminal.

    """
    from sim.model import CadreModel

    model = CadreModel(**scenario.model_kwargs(), rng=seed)
    if progress and sys.stderr.isatty():
        from tqdm import tqdm

        with tqdm(
            total=steps, desc=scenario.name, unit="month", file=sys.stderr, leave=False
        ) as bar:
            for _ in range(steps):
                model.step()
                bar.update(1)
    else:
        model.run(steps)
    return model.timeseries()


@dataclass(frozen=True, slots=True)
class RunTask:
    """Everything a worker needs for one run; small and picklable.

    Attributes:
        columns: the batch's columns, ``((name, type), ...)`` (its manifest's ``columns``).
        scenario: the resolved scenario as plain data (:meth:`Scenario.to_dict`).
        scenario_name: the scenario's name (its folder under ``runs/``).
        digest: the scenario's :meth:`~sim.scenarios.Scenario.digest`.
        replicate: replicate number ``k`` (from 0).
        seed: :func:`~sim.runs.seeding.replicate_seed` of the root seed and ``k``.
        steps: months to simulate.
        metrics: outputs to summarise for the parent.
        window: months at the end of the run the summaries average over.
        attempt: 1 for the first try, more after a worker process died.

    """

    columns: tuple[tuple[str, str], ...]
    scenario: Mapping[str, Any]
    scenario_name: str
    digest: str
    replicate: int
    seed: int
    steps: int
    metrics: tuple[str, ...]
    window: int
    attempt: int = 1


def _begin(task: RunTask) -> dict[str, Any]:
    """The parts of a run's result known before it runs."""
    stamp = provenance.run_stamp()
    return {
        "scenario": task.scenario_name,
        "replicate": task.replicate,
        "seed": task.seed,
        "attempt": task.attempt,
        "started": provenance.timestamp(),
        "host": stamp["host"],
        "pid": os.getpid(),
        "summary": {},
    }


def _finish(
    task: RunTask,
    result: dict[str, Any],
    scenario: Scenario,
    series: pd.DataFrame | Mapping[str, Sequence[Any]],
    wall_time: float,
) -> dict[str, Any]:
    """A finished run's result: its data brought to the batch's columns, digested and encoded.

    ``series`` is the run's time series, as a frame (:func:`simulate`) or as
    columns (:meth:`sim.model.stack.RunStack.series_columns`); it is left
    as it is: the identifying columns are given to
    :func:`sim.runs.store.as_batch_table` as constants, and the summary is
    taken from the table.
    """
    identity = {
        "scenario": task.scenario_name,
        "replicate": task.replicate,
        "seed": task.seed,
    }
    table = store.as_batch_table(series, _schema(task.columns), scenario, identity)
    finished = provenance.timestamp()
    record = {
        "scenario": task.scenario_name,
        "replicate": task.replicate,
        "seed": task.seed,
        "steps": task.steps,
        "digest": task.digest,
        "wall_time": wall_time,
        "started": result["started"],
        "finished": finished,
        "host": result["host"],
        "attempts": task.attempt,
        "rows": table.num_rows,
        "content": store.content_digest(table),
    }
    result.update(
        status="done",
        wall_time=wall_time,
        finished=finished,
        run=store.encode_run(table, record),
        summary=_summary(task, series, table),
    )
    return result


def _summary(
    task: RunTask, series: pd.DataFrame | Mapping[str, Sequence[Any]], table: pa.Table
) -> dict[str, float]:
    """:func:`sim.runs.store.window_means` of the run's series, taken from its table.

    A metric the series lacks is NaN (as in the series), even where the
    table holds a column of that name (a parameter another scenario's
    timeline changes, filled with this run's constant value).
    """
    own = [metric for metric in task.metrics if metric in series]
    means = store.table_window_means(table, own, task.window)
    return {metric: means.get(metric, math.nan) for metric in task.metrics}


_SCHEMAS: dict[tuple[tuple[str, str], ...], pa.Schema] = {}


def _schema(columns: tuple[tuple[str, str], ...]) -> pa.Schema:
    """:func:`sim.runs.store.batch_schema` of a batch's columns (worked out once per batch)."""
    key = tuple((name, kind) for name, kind in columns)
    known = _SCHEMAS.get(key)
    if known is None:
        known = _SCHEMAS[key] = store.batch_schema(key)
    return known


def _scenario(task: RunTask) -> Scenario:
    """The task's scenario, rebuilt from its plain data."""
    from sim.scenarios import Scenario

    return Scenario.from_dict(task.scenario, origin=f"scenario {task.scenario_name}")


def execute_run(task: RunTask) -> dict[str, Any]:
    """Run one replicate of one scenario and return its data with a small summary.

    Simulates ``task.steps`` months with ``task.seed``, brings the series
    to the batch's columns and computes its content digest. An exception
    from the model is caught and reported in the result, so one failing run
    never stops the others.

    Returns:
        ``scenario``, ``replicate``, ``seed``, ``attempt``, ``status``
        (``"done"`` or ``"error"``), ``wall_time`` (seconds to build and run
        the model), ``started``, ``finished``, ``host``, ``pid``, ``summary``
        (metric -> mean over the last ``window`` months); for a finished run
        ``run``, its data and record encoded for the store's journal
        (:class:`sim.runs.store.EncodedRun`: the parent only copies bytes);
        for an error ``error`` (one line) and ``traceback``.

    """
    result = _begin(task)
    clock = time.perf_counter()
    try:
        scenario = _scenario(task)
        frame = simulate(scenario, steps=task.steps, seed=task.seed)
        return _finish(task, result, scenario, frame, time.perf_counter() - clock)
    except Exception as exc:
        result.update(
            status="error",
            wall_time=time.perf_counter() - clock,
            finished=provenance.timestamp(),
            error=one_line(exc),
            traceback=traceback.format_exc(),
        )
    return result


def stack_key(task: RunTask) -> tuple[Any, ...]:
    """Tasks with the same key can be stepped together: months and structure.

    The structure is :func:`sim.model.stack.structure` (headcount, levels,
    span, warm-up months) of the task's scenario (worked out once per
    scenario digest).
    """
    return (task.steps, _structure(task.digest, task))


_STRUCTURES: dict[str, tuple[int, ...]] = {}


def _structure(digest: str, task: RunTask) -> tuple[int, ...]:
    """:func:`sim.model.stack.structure` of the scenario with ``digest`` (cached)."""
    known = _STRUCTURES.get(digest)
    if known is None:
        from sim.model.stack import structure
        from sim.parameters.values import Params

        try:
            known = structure(Params.from_values(_scenario(task).params))
        except Exception:  # the run will fail alone, with its own error
            return ("alone", task.scenario_name, task.replicate)
        _STRUCTURES[digest] = known
    return known


def _stack_specs(tasks: Sequence[RunTask]) -> tuple[list[Scenario], list[RunSpec]]:
    """Each task's scenario and :class:`~sim.model.stack.RunSpec`, in order.

    Tasks of one scenario (the same digest and data) share its scenario,
    parameters and timeline, built once: they are immutable, and a run's
    data depend only on their values.
    """
    from sim.model.stack import RunSpec
    from sim.parameters.timeline import coerce_timeline
    from sim.parameters.values import Params

    built: dict[str, tuple[Mapping[str, Any], Scenario, Params, tuple[PolicyChange, ...]]] = {}
    scenarios, specs = [], []
    for task in tasks:
        known = built.get(task.digest)
        if known is None or known[0] != task.scenario:
            scenario = _scenario(task)
            params = Params.from_values(scenario.params)
            known = built[task.digest] = (
                task.scenario,
                scenario,
                params,
                coerce_timeline(scenario.timeline),
            )
        _, scenario, params, timeline = known
        scenarios.append(scenario)
        specs.append(RunSpec(params, timeline, task.seed))
    return scenarios, specs


def execute_stack(tasks: tuple[RunTask, ...]) -> list[dict[str, Any]]:
    """Run several tasks of one :func:`stack_key` stepped together; one result per task, in order.

    The runs are built and stepped as a :class:`sim.model.stack.RunStack`,
    whose every run's data are identical to the run alone. If anything in
    the stack fails, every run of it is run again alone
    (:func:`execute_run`), so a failing run is reported with its own error
    and never takes the others down. Each finished run's ``wall_time`` is
    its share of the stack's time.
    """
    if len(tasks) == 1:
        return [execute_run(tasks[0])]
    results = [_begin(task) for task in tasks]
    clock = time.perf_counter()
    try:
        from sim.model.stack import RunStack

        scenarios, specs = _stack_specs(tasks)
        stack = RunStack(specs)
        stack.run(tasks[0].steps)
        runs = [stack.series_columns(r) for r in range(len(tasks))]
    except Exception:
        return [execute_run(task) for task in tasks]
    share = (time.perf_counter() - clock) / len(tasks)
    return [
        _finish(task, result, scenario, series, share)
        for task, result, scenario, series in zip(tasks, results, scenarios, runs, strict=True)
    ]
