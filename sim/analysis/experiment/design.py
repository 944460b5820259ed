"""Design points: grids, Latin hypercubes, Morris and Sobol' samples, or whole scenarios.

:func:`build` turns an experiment into a :class:`Design`: one scenario per
point, named ``point_0000``, ``point_0001``, ... (the scenario names for a
``scenarios`` design), made by
:meth:`~sim.scenarios.Scenario.with_overrides` of the base scenario. The
design is a pure function of the experiment and its seed, so ``--resume``
re-creates it exactly; :meth:`Design.write` saves the point -> values table
as ``design.csv`` and :meth:`Design.check_against` compares it on resume.

``grid``: every combination of the entries' values (first entry slowest).
``lhs``: :class:`scipy.stats.qmc.LatinHypercube` over the entries' ranges.
``morris`` / ``sobol``: :func:`sim.analysis.sensitivity.sample` (SALib).
Sampled whole-number parameters are rounded (:func:`~.schema.sampled_value`).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.stats import qmc

from sim.analysis import sensitivity
from sim.analysis.experiment.schema import DESIGN_FILE, DESIGNS, RANGE_DESIGNS, Value, sampled_value
from sim.errors import InputError
from sim.fileio import atomic_write_text
from sim.scenarios import Scenario

if TYPE_CHECKING:
    from sim.analysis.experiment.spec import Experiment, Vary

__all__ = ["Design", "build", "from_matrix"]

#: Digits of the point numbers (more when a design has more points).
POINT_WIDTH = 4


@dataclass(frozen=True)
class Design:
    """The points of an experiment as scenarios, with the parameter values of each.

    Attributes:
        experiment: the experiment the design belongs to.
        method: the design method (``grid``, ``lhs``, ``morris``, ``sobol``,
            ``scenarios``).
        table: one row per point: ``point`` (the scenario name) and one
            column per varied parameter (the values applied), or
            ``description`` for a scenarios design.
        matrix: the sampled values before rounding (range designs), one row
            per point, as a sensitivity analysis needs them; None otherwise.
        scenarios: one scenario per point, named as in ``table``.

    """

    experiment: Experiment
    method: str
    table: pd.DataFrame
    matrix: np.ndarray | None
    scenarios: tuple[Scenario, ...]

    def __len__(self) -> int:
        return len(self.scenarios)

    @property
    def points(self) -> list[str]:
        """Point (scenario) names in design order."""
        return [s.name for s in self.scenarios]

    def write(self, folder: str | os.PathLike[str]) -> Path:
        """Write ``design.csv`` into ``folder`` and return its path."""
        target = Path(folder) / DESIGN_FILE
        atomic_write_text(target, self.table.to_csv(index=False))
        return target

    def check_against(self, folder: str | os.PathLike[str]) -> None:
        """Raise ``InputError`` if ``folder/design.csv`` holds another design.

        Used before resuming: the design re-created from the file and its
        seed must be the one the folder's runs were made for.
        """
        path = Path(folder) / DESIGN_FILE
        if not path.is_file():
            return
        try:
            stored = pd.read_csv(path)
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot resume: {path} is unreadable: {exc}") from None
        mine = self.table
        same = list(stored.columns) == list(mine.columns) and len(stored) == len(mine)
        if same:
            for column in mine.columns:
                left, right = stored[column], mine[column]
                if column in ("point", "description"):
                    same = same and list(left.astype(str)) == list(right.astype(str))
                else:
                    same = same and bool(
                        np.allclose(
                            left.astype("float64"),
                            right.astype("float64"),
                            rtol=1e-9,
                            atol=1e-12,
                        )
                    )
        if not same:
            raise InputError(
                f"cannot resume: {path} holds another design than {self.experiment.origin} "
                f"gives now ({len(stored)} vs {len(mine)} points, or other values): the file, "
                "its seed or the sampling options changed; choose another results folder",
                arguments=("out",),
            )


def build(experiment: Experiment, method: str | None = None) -> Design:
    """Return an experiment's design points as scenarios (deterministic given its seed).

    Args:
        experiment: the experiment.
        method: ``morris`` or ``sobol`` to sample a range design by that
            method instead of the experiment's ``design``; default: its design.

    Raises:
        InputError: the method does not fit the experiment.

    """
    chosen = experiment.design if method is None else method
    if chosen not in DESIGNS:
        raise InputError(f"unknown design {chosen!r}; choose one of {', '.join(DESIGNS)}")
    if chosen != experiment.design and (
        chosen not in RANGE_DESIGNS or experiment.design not in RANGE_DESIGNS
    ):
        raise InputError(
            f"{experiment.origin}: cannot use the {experiment.design!r} design as {chosen!r}: "
            "only designs with ranges (lhs, morris, sobol) can be sampled by another method"
        )
    if chosen == "scenarios":
        table = pd.DataFrame(
            {
                "point": [s.name for s in experiment.scenarios],
                "description": [s.description for s in experiment.scenarios],
            }
        )
        return Design(experiment, chosen, table, None, experiment.scenarios)
    if chosen == "grid":
        rows = [
            dict(zip(experiment.parameters, combo, strict=True)) for combo in _grid(experiment.vary)
        ]
        return _points(experiment, chosen, rows, None)
    if chosen == "lhs":
        matrix = _latin_hypercube(experiment)
    else:
        matrix = sensitivity.sample(
            chosen,
            experiment.problem(),
            trajectories=experiment.trajectories,
            levels=experiment.levels,
            base_samples=experiment.base_samples,
            seed=experiment.seed,
        )
    return from_matrix(experiment, matrix, chosen)


def from_matrix(experiment: Experiment, matrix: np.ndarray, method: str) -> Design:
    """Turn sampled parameter values (one row per point) into a design.

    Whole-number parameters are rounded; every value is checked by the
    parameter validator.
    """
    matrix = np.asarray(matrix, dtype="float64")
    if matrix.ndim != 2 or matrix.shape[1] != len(experiment.vary):
        raise InputError(
            f"{experiment.origin}: a design matrix needs {len(experiment.vary)} columns "
            f"({', '.join(experiment.parameters)}), got shape {matrix.shape}"
        )
    params = [v.param for v in experiment.vary]
    rows = [
        {p.name: sampled_value(p, x) for p, x in zip(params, row, strict=True)} for row in matrix
    ]
    return _points(experiment, method, rows, matrix)


def _points(
    experiment: Experiment,
    method: str,
    rows: Sequence[Mapping[str, Value]],
    matrix: np.ndarray | None,
) -> Design:
    """Name the points ``point_NNNN`` and build their scenarios."""
    width = max(POINT_WIDTH, len(str(max(len(rows) - 1, 0))))
    names = [f"point_{i:0{width}d}" for i in range(len(rows))]
    scenarios = tuple(
        experiment.base.with_overrides(row, name=name, origin=f"{experiment.origin}: {name}")
        for name, row in zip(names, rows, strict=True)
    )
    table = pd.DataFrame.from_records(list(rows), columns=list(experiment.parameters))
    table.insert(0, "point", names)
    return Design(experiment, method, table, matrix, scenarios)


def _grid(vary: Sequence[Vary]) -> list[tuple[Value, ...]]:
    """Every combination of the entries' values; the first entry varies slowest."""
    return list(itertools.product(*(v.values for v in vary)))


def _latin_hypercube(experiment: Experiment) -> np.ndarray:
    """``samples`` points of a Latin hypercube over the entries' ranges (seeded)."""
    dims = len(experiment.vary)
    generator = np.random.default_rng(experiment.seed)
    try:
        sampler = qmc.LatinHypercube(d=dims, rng=generator)
    except TypeError:  # scipy < 1.15 calls it seed
        sampler = qmc.LatinHypercube(d=dims, seed=generator)
    unit = sampler.random(experiment.samples)
    lows = np.array([v.low for v in experiment.vary], dtype="float64")
    highs = np.array([v.high for v in experiment.vary], dtype="float64")
    return qmc.scale(unit, lows, highs)
