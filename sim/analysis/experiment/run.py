"""Running a design through the batch machinery, and the runs' per-point summaries.

:func:`run_design` runs every design point ``replicates`` times through
:func:`sim.batch.run_batch` (same store, seeds, executors, resume and
progress as ``cadre-sim batch``; replicate ``k`` of every point shares its
seed) and describes the results folder with ``design.csv`` and
``experiment.json``. :class:`ExperimentRun` joins the runs to the design.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

import sim
from sim.analysis.experiment.design import Design
from sim.analysis.experiment.schema import EXPERIMENT_FILE
from sim.analysis.experiment.spec import Experiment
from sim.analysis.stats import CONFIDENCE, summarize
from sim.fileio import atomic_write_text
from sim.runs.batch import BatchInterrupted, BatchSummary, run_batch

__all__ = ["SUMMARY_COLUMNS", "ExperimentRun", "run_design"]

#: Columns of :meth:`ExperimentRun.point_summary` after the design's own.
SUMMARY_COLUMNS: tuple[str, ...] = ("point", "metric", "n", "mean", "sd", "ci_low", "ci_high")


@dataclass
class ExperimentRun:
    """A design run through :func:`sim.batch.run_batch`.

    Attributes:
        design: the design that was run.
        batch: the batch's summary (one row per run in ``batch.runs``).
        out: the results folder, or None for a temporary one.

    """

    design: Design
    batch: BatchSummary
    out: Path | None

    @property
    def experiment(self) -> Experiment:
        """The experiment."""
        return self.design.experiment

    @property
    def runs(self) -> pd.DataFrame:
        """One row per run of the design.

        Columns: ``point``, the parameter values, ``replicate``, ``seed``,
        ``status`` and each metric's mean over the window.
        """
        frame = self.batch.runs.copy()
        frame["point"] = frame["scenario"].astype(str)
        frame = frame.drop(columns=["scenario"])
        merged = self.design.table.merge(frame, on="point", how="right")
        merged["point"] = pd.Categorical(merged["point"], categories=self.design.points)
        return merged.sort_values(["point", "replicate"], kind="stable").reset_index(drop=True)

    def point_means(self) -> pd.DataFrame:
        """One row per point: parameter values, ``n`` finished runs, replicate means.

        The replicate mean of each metric is the quantity a sensitivity
        analysis of stochastic runs uses.
        """
        runs = self.runs
        done = runs[runs["status"] == "done"]
        metrics = list(self.batch.metrics)
        grouped = done.groupby("point", observed=False)
        means = grouped[metrics].mean()
        means.insert(0, "n", grouped.size())
        table = self.design.table.set_index("point").join(means)
        table["n"] = table["n"].fillna(0).astype("int64")
        return table.reset_index()

    def point_summary(self, confidence: float = CONFIDENCE) -> pd.DataFrame:
        """Long table: per point and metric ``n``, ``mean``, ``sd`` and the t-interval."""
        runs = self.runs
        done = runs[runs["status"] == "done"]
        rows = []
        for point in self.design.points:
            values = done[done["point"] == point]
            for metric in self.batch.metrics:
                summary = summarize(values[metric], confidence)
                rows.append({"point": point, "metric": metric, **asdict(summary)})
        table = pd.DataFrame.from_records(rows, columns=list(SUMMARY_COLUMNS))
        return self.design.table.merge(table, on="point", how="right")


def run_design(
    design: Design,
    *,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    executor: str | cf.Executor = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    command: Sequence[str] | None = None,
) -> ExperimentRun:
    """Run every design point ``replicates`` times through :func:`sim.batch.run_batch`.

    Replicate ``k`` of every point shares its seed (common random numbers).
    With ``out``, the folder is the batch's store (manifest, runs, resume);
    ``design.csv`` and ``experiment.json`` are added once the batch has
    started (also when it is interrupted), so the folder describes itself.

    Args:
        design: the design (:meth:`Experiment.build_design`).
        out: results folder; None runs in a temporary folder (only the
            per-run summaries are kept).
        resume: continue the batch in ``out``; the design must be the one
            recorded there.
        executor: ``process``, ``serial``, ``dask`` or an Executor.
        workers: worker processes.
        scheduler: a Dask scheduler address.
        progress: show a progress bar (default: only on a terminal).
        command: the command line, recorded in the manifest.

    Raises:
        InputError: bad options, a folder holding another batch or design.
        sim.batch.BatchInterrupted: Ctrl-C (finished runs are kept).

    """
    experiment = design.experiment
    folder = None if out is None else Path(out).expanduser().resolve()
    if folder is not None and resume:
        design.check_against(folder)
    try:
        summary = run_batch(
            list(design.scenarios),
            experiment.replicates,
            steps=experiment.steps,
            root_seed=experiment.seed,
            out=folder,
            executor=executor,
            workers=workers,
            scheduler=scheduler,
            resume=resume,
            population=experiment.population,
            summary_metrics=experiment.metrics,
            summary_window=experiment.window,
            progress=progress,
            command=command,
        )
    except BatchInterrupted:
        if folder is not None:
            _describe_folder(design, folder)
        raise
    if folder is not None:
        _describe_folder(design, folder)
    return ExperimentRun(design=design, batch=summary, out=folder)


def _describe_folder(design: Design, folder: Path) -> None:
    """Write ``design.csv`` and ``experiment.json`` into a results folder."""
    design.write(folder)
    info = {
        "kind": "cadre-sim experiment",
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
        "cadre_sim": sim.__version__,
        "method": design.method,
        "points": len(design),
        **design.experiment.to_dict(),
    }
    atomic_write_text(folder / EXPERIMENT_FILE, json.dumps(info, indent=1) + "\n")
