"""Evaluating candidate points: the pluggable ``evaluate`` and the model-backed one.

Search, discovery and calibration never run the model themselves: each hands
a table of points to an *evaluate* callable::

    evaluate(points: DataFrame, label: str) -> DataFrame

``points`` has one row per point and one column per parameter (dotted names
for the model, any labels for a closed-form test problem); ``label`` names
the round (``generation_003``, ...). The answer has one row per finished run:
``point`` (the row's position in ``points``), ``replicate`` and one column
per metric. The tests pass closed-form functions of known answer through the
very same pipelines; :class:`ModelEvaluator` is just another evaluate.

:class:`ModelEvaluator` turns each point into a scenario with
:meth:`Scenario.with_overrides` and runs every round through
:func:`sim.batch.run_batch`, into its own folder ``OUT/rounds/<label>``:
the same store, executors and progress bar as ``cadre-sim batch``, and the
same replicate seeds in every round (common random numbers across all
candidates). Resuming re-runs the whole pipeline; rounds already finished
are read back from their stores and an interrupted round is completed with
``resume=True``, so the pipeline reaches exactly the result it would have
reached without the interruption.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.errors import InputError
from sim.fileio import atomic_write_text
from sim.runs import store

if TYPE_CHECKING:
    from sim.runs.batch import BatchSummary
    from sim.scenarios import Scenario

__all__ = [
    "ROUNDS_DIR",
    "SETTINGS_FILE",
    "Evaluate",
    "ModelEvaluator",
    "RunPlan",
    "RunsFailedError",
    "prepare_folder",
]

#: ``evaluate(points, label) -> runs`` (see the module docstring).
Evaluate = Callable[[pd.DataFrame, str], pd.DataFrame]
#: Folder (under a results folder) holding one batch store per round.
ROUNDS_DIR = "rounds"
#: The settings a results folder was made with, checked on resume.
SETTINGS_FILE = "decide.json"


@dataclass(frozen=True)
class RunPlan:
    """How each point is run: base scenario, replicates, months, seeds, size.

    Attributes:
        base: the scenario every point changes.
        replicates: runs per point; replicate ``k`` of every point and every
            round shares its seed.
        steps: months per run.
        seed: root seed of the runs (and of the method's own sampling).
        population: ``workforce.population`` of every run, or None.
        window: months at the end of each run that its summaries average.

    """

    base: Scenario
    replicates: int
    steps: int
    seed: int
    population: int | None
    window: int

    def to_dict(self) -> dict[str, Any]:
        """Plain data (settings files)."""
        return {
            "scenario": self.base.name,
            "scenario_digest": self.base.digest(),
            "replicates": self.replicates,
            "steps": self.steps,
            "seed": self.seed,
            "population": self.population,
            "window": self.window,
        }


class RunsFailedError(RuntimeError):
    """Some runs of a round raised; the method needs every point.

    Attributes:
        summary: the round's batch summary (``summary.failures`` lists them).
        folder: the round's folder, or None.

    """

    def __init__(self, summary: BatchSummary, folder: Path | None) -> None:
        self.summary = summary
        self.folder = folder
        super().__init__(f"{summary.failed} run(s) failed")


@dataclass
class ModelEvaluator:
    """The model-backed evaluate: each round of points is one batch of runs.

    Attributes:
        plan: base scenario, replicates, steps, seed, population, window.
        metrics: outputs each run is summarised by (mean over the window).
        out: the results folder (rounds go to ``out/rounds/<label>``), or
            None to run each round in a temporary folder.
        resume: continue rounds already started in ``out``.
        executor: ``process``, ``serial``, ``dask`` or an Executor.
        workers: worker processes.
        scheduler: a Dask scheduler address.
        progress: show a progress bar per round (default: only on a terminal).
        command: the command line, recorded in each round's manifest.
        announce: called with a one-line message before each round.
        runs_done: runs executed by this evaluator so far.
        runs_reused: runs found finished in a resumed round.

    """

    plan: RunPlan
    metrics: tuple[str, ...]
    out: Path | None = None
    resume: bool = False
    executor: str | cf.Executor = "process"
    workers: int | None = None
    scheduler: str | None = None
    progress: bool | None = None
    command: Sequence[str] | None = None
    announce: Callable[[str], None] | None = None
    runs_done: int = 0
    runs_reused: int = 0
    _rounds: list[str] = field(default_factory=list)

    @property
    def runs_used(self) -> int:
        """Every run the method's rounds consist of (executed now or before a resume)."""
        return self.runs_done + self.runs_reused

    def scenarios(self, points: pd.DataFrame) -> list[Scenario]:
        """The points as scenarios ``point_0000``, ... (validated by the scenario layer)."""
        width = max(4, len(str(max(len(points) - 1, 0))))
        return [
            self.plan.base.with_overrides(
                {name: _plain(value) for name, value in row.items()},
                name=f"point_{i:0{width}d}",
                origin=f"point {i}",
            )
            for i, row in enumerate(points.to_dict("records"))
        ]

    def __call__(self, points: pd.DataFrame, label: str) -> pd.DataFrame:
        """Run every point ``plan.replicates`` times; one row per run (see the module)."""
        from sim.runs.batch import run_batch

        scenarios = self.scenarios(points)
        folder = None if self.out is None else self.out / ROUNDS_DIR / label
        resume = bool(folder is not None and self.resume and (folder / store.MANIFEST).is_file())
        if self.announce is not None:
            self.announce(
                f"{label}: {len(scenarios)} points x {self.plan.replicates} replicates"
                + (f" -> {folder}" if folder is not None else "")
                + (" (resumed)" if resume else "")
            )
        summary = run_batch(
            scenarios,
            self.plan.replicates,
            steps=self.plan.steps,
            root_seed=self.plan.seed,
            out=folder,
            executor=self.executor,
            workers=self.workers,
            scheduler=self.scheduler,
            resume=resume,
            population=self.plan.population,
            summary_metrics=self.metrics,
            summary_window=self.plan.window,
            progress=self.progress,
            command=self.command,
        )
        self.runs_done += summary.done
        self.runs_reused += summary.skipped
        self._rounds.append(label)
        if summary.failed:
            raise RunsFailedError(summary, folder)
        index = {s.name: i for i, s in enumerate(scenarios)}
        runs = summary.runs
        frame = pd.DataFrame(
            {
                "point": runs["scenario"].astype(str).map(index).astype("int64"),
                "replicate": runs["replicate"].astype("int64"),
            }
        )
        for metric in self.metrics:
            frame[metric] = runs[metric].astype("float64").to_numpy()
        return frame.sort_values(["point", "replicate"], kind="stable").reset_index(drop=True)


def _plain(value: Any) -> Any:
    """A table cell as a plain Python number (pandas hands out numpy scalars)."""
    return value.item() if hasattr(value, "item") else value


def _normalised(data: Mapping[str, Any]) -> Any:
    """Settings as JSON would give them back (tuples -> lists, ...), for comparison."""
    return json.loads(json.dumps(data, sort_keys=True, default=str))


def prepare_folder(
    out: str | os.PathLike[str], kind: str, settings: Mapping[str, Any], resume: bool
) -> Path:
    """Make (or, to resume, check) the results folder of a search, discovery or calibration.

    A new run needs a new or empty folder and records its settings in
    ``decide.json``; a resumed run needs that file to hold the same settings.

    Args:
        out: the results folder.
        kind: ``search``, ``discover`` or ``calibrate``.
        settings: everything the result depends on (plain data).
        resume: continue the run recorded in ``out``.

    Raises:
        InputError: a folder in use by something else, or a resume whose
            settings differ from the folder's.

    """
    folder = Path(out).expanduser().resolve()
    target = folder / SETTINGS_FILE
    wanted = {"kind": f"cadre-sim {kind}", **_normalised(settings)}
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} exists and is not a folder")
    if resume:
        if not target.is_file():
            raise InputError(f"cannot resume: {folder} holds no {kind} ({SETTINGS_FILE} missing)")
        try:
            stored = json.loads(target.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot resume: {target} is unreadable: {exc}") from None
        if stored != wanted:
            changed = sorted(
                key for key in set(stored) | set(wanted) if stored.get(key) != wanted.get(key)
            )
            raise InputError(
                f"cannot resume: {folder} holds another {stored.get('kind', 'run')} "
                f"(different {', '.join(changed)}); rerun with the same file and options, "
                "or choose another folder"
            )
        return folder
    if folder.exists() and any(folder.iterdir()):
        hint = "; continue it with resume" if target.is_file() else ""
        raise InputError(f"{folder} is not empty{hint}; choose a new or empty folder")
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, json.dumps(wanted, indent=1, sort_keys=True) + "\n")
    return folder
