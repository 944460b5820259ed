"""Running the stylized facts: their regimes through the batch machinery, then judged.

:func:`run` runs the regimes of the chosen facts through
:func:`sim.batch.run_batch` (replicate ``k`` of every regime shares its seed)
and evaluates each fact on the runs; ``cadre-sim validate`` prints the
:class:`~sim.analysis.validation.report.Validation` and exits 1 when a fact fails.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.analysis.stats import CONFIDENCE
from sim.analysis.validation.blocks import Fact
from sim.analysis.validation.evaluation import evaluate, regime_scenarios
from sim.analysis.validation.facts import FACTS
from sim.analysis.validation.report import Validation
from sim.errors import InputError
from sim.runs import store
from sim.runs.batch import run_batch
from sim.scenarios import load

__all__ = ["DEFAULT_POPULATION", "DEFAULT_REPLICATES", "DEFAULT_STEPS", "run"]

#: Default size of ``cadre-sim validate``: enough replicates that the weakest
#: fact (fault tolerance's effect on the flat share, about one standard
#: deviation of its paired differences) is clear, and enough cadres that the
#: levels above the bottom hold hundreds (fact 9: 248 of 1,000 with the
#: default pyramid).
DEFAULT_REPLICATES = 20
DEFAULT_POPULATION = 1000
DEFAULT_STEPS = 96


def run(
    facts: Sequence[Fact] = FACTS,
    *,
    replicates: int = DEFAULT_REPLICATES,
    population: int | None = DEFAULT_POPULATION,
    steps: int = DEFAULT_STEPS,
    root_seed: int = 0,
    overrides: Mapping[str, Any] | None = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    executor: str | cf.Executor = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    command: Sequence[str] | None = None,
    confidence: float = CONFIDENCE,
) -> Validation:
    """Run the regimes of ``facts`` through :func:`sim.batch.run_batch` and evaluate them.

    Args:
        facts: the facts to judge (default: all nine).
        replicates: runs per regime, paired across regimes by seed.
        population: cadres per run (None: the baseline's).
        steps: months per run.
        root_seed: root of the replicate seeds.
        overrides: parameters changed in the baseline under every regime
            (``--set``); each regime's own changes apply on top.
        out: results folder for the batch and the report (default: a
            temporary folder, removed at the end).
        resume: continue the batch in ``out``.
        executor: ``process``, ``serial``, ``dask`` or an Executor.
        workers: worker processes.
        scheduler: a Dask scheduler address.
        progress: show a progress bar (default: only on a terminal).
        command: the command line, recorded in the batch manifest.
        confidence: level of the intervals.

    Raises:
        InputError: bad sizes or overrides, runs too short for a fact.

    """
    chosen = tuple(facts)
    if not chosen:
        raise InputError("no stylized facts chosen")
    too_short = [item for item in chosen if steps < item.needs_steps]
    if too_short:
        problems = [
            f"steps = {steps}: stylized fact {item.id} needs runs of at least "
            f"{item.needs_steps} months (its windows reach month {item.needs_steps})"
            for item in too_short
        ]
        raise InputError(problems[0], problems=problems, arguments=("steps",))
    base = load("baseline")
    cadres = base.params["workforce.population"] if population is None else population
    too_small = [item for item in chosen if cadres < item.min_population]
    if too_small:
        problems = [
            f"population = {cadres}: stylized fact {item.id} needs at least "
            f"{item.min_population} cadres (so that the upper levels hold hundreds)"
            for item in too_small
        ]
        raise InputError(problems[0], problems=problems, arguments=("population",))
    settings: dict[str, Any] = {}
    if overrides:
        base = base.with_overrides(dict(overrides), name=base.name, origin="overrides")
        settings = {name: base.params[name] for name in overrides}
    scenarios = regime_scenarios(chosen, base)
    metrics = tuple(dict.fromkeys(m for item in chosen for m in item.metrics))
    with tempfile.TemporaryDirectory(prefix="cadre-sim-validate-") as scratch:
        folder = Path(out) if out is not None else Path(scratch) / "runs"
        summary = run_batch(
            scenarios,
            replicates,
            steps=steps,
            root_seed=root_seed,
            out=folder,
            executor=executor,
            workers=workers,
            scheduler=scheduler,
            resume=resume,
            population=population,
            summary_metrics=("flat_share",),
            summary_window=min(12, steps),
            progress=progress,
            command=command,
        )
        frame = store.load(folder, columns=list(metrics))
    results = [evaluate(item, frame, steps, confidence) for item in chosen]
    return Validation(
        results=results,
        replicates=replicates,
        population=population,
        steps=steps,
        root_seed=root_seed,
        settings=settings,
        confidence=confidence,
        out=Path(out).resolve() if out is not None else None,
        failed_runs=int(summary.failed),
    )
