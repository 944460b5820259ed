"""The notebooks' size and results folder, read from the environment.

``CADRE_SIM_NOTEBOOK_SCALE`` (``small``, ``default`` or ``large``) sizes every
experiment a notebook runs; ``CADRE_SIM_NOTEBOOK_OUT`` is the folder results
go under (default ``results/notebooks`` in the repository).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sim.analysis.experiment.schema import EXPERIMENT_DIR
from sim.analysis.experiment.spec import Experiment
from sim.errors import InputError
from sim.runs import store

__all__ = ["OUT_VARIABLE", "SCALES", "SCALE_VARIABLE", "NotebookScale", "notebook_scale"]

#: Environment variable choosing the notebooks' size: ``small``, ``default`` or ``large``.
SCALE_VARIABLE = "CADRE_SIM_NOTEBOOK_SCALE"
#: Environment variable naming the folder notebooks write their results under.
OUT_VARIABLE = "CADRE_SIM_NOTEBOOK_OUT"
#: Notebook scales.
SCALES: tuple[str, ...] = ("small", "default", "large")


@dataclass(frozen=True)
class NotebookScale:
    """How big the notebooks' experiments are, and where their results go.

    ``small`` (for the test suite: seconds) shrinks every experiment to two
    replicates of 150 cadres over 36 months with a 12-month warm-up and the
    smallest sensitivity designs, run in this process; ``default`` runs the
    shipped experiment files as they are (a few minutes on two cores);
    ``large`` runs four times their replicates.

    Attributes:
        name: ``small``, ``default`` or ``large``.
        root: the folder notebooks write under (``$CADRE_SIM_NOTEBOOK_OUT``,
            default ``results/notebooks`` in the repository).
        executor: ``serial`` for small, ``process`` otherwise.

    """

    name: str
    root: Path
    executor: str

    def apply(self, experiment: Experiment) -> Experiment:
        """Return the experiment at this scale."""
        if self.name == "small":
            return experiment.with_sizes(
                replicates=min(experiment.replicates, 2),
                steps=min(experiment.steps, 36),
                population=150,
                window=min(experiment.window, 12),
                samples=min(experiment.samples, 8),
                trajectories=2,
                base_samples=8,
            ).with_overrides({"simulation.warmup_months": 12}, origin=f"{SCALE_VARIABLE}=small")
        if self.name == "large":
            return experiment.with_sizes(replicates=experiment.replicates * 4)
        return experiment

    def folder(self, notebook: str) -> Path:
        """A fresh results folder for one notebook: ``ROOT/<notebook>-<scale>``.

        A previous results folder of the same notebook and scale is removed
        first; a folder that is not a cadre-sim results folder is left alone
        (``InputError``).
        """
        target = self.root / f"{notebook}-{self.name}"
        if target.exists():
            if not target.is_dir() or (
                any(target.iterdir()) and not (target / store.MANIFEST).is_file()
            ):
                raise InputError(
                    f"{target} exists and is not a cadre-sim results folder; "
                    f"move it away or set {OUT_VARIABLE} to another folder"
                )
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        return target


def notebook_scale(environ: Mapping[str, str] | None = None) -> NotebookScale:
    """Read the notebooks' scale and results folder from the environment.

    ``CADRE_SIM_NOTEBOOK_SCALE`` is ``small``, ``default`` (when unset) or
    ``large``; ``CADRE_SIM_NOTEBOOK_OUT`` is the folder results go under
    (default ``results/notebooks`` in the repository).

    Raises:
        InputError: an unknown scale.

    """
    env = os.environ if environ is None else environ
    name = env.get(SCALE_VARIABLE, "default").strip().lower() or "default"
    if name not in SCALES:
        raise InputError(f"{SCALE_VARIABLE}={name!r}: choose one of {', '.join(SCALES)}")
    root = env.get(OUT_VARIABLE) or str(EXPERIMENT_DIR.parent / "results" / "notebooks")
    return NotebookScale(
        name=name,
        root=Path(root).expanduser().resolve(),
        executor="serial" if name == "small" else "process",
    )
