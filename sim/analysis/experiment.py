"""Experiment files: a base scenario, parameters to vary, a design and replicates.

An experiment file is TOML data, read with :mod:`tomllib` and validated as
strictly as a scenario file: unknown keys with a "did you mean", every
varied value and range checked against the parameter's single definition in
:mod:`sim.params`, one-line :class:`~sim.errors.InputError` messages naming
the file and the key. Its layout::

    # experiments/tolerance_by_risk.toml
    [experiment]
    name = "tolerance_by_risk"           # default: the file name without .toml
    description = "Flat share over fault tolerance x false-accusation risk"
    scenario = "baseline"                # shipped name, or a .toml path relative to this file
    design = "grid"                      # grid | lhs | morris | sobol | scenarios
    replicates = 5                       # runs per design point (paired seeds)
    steps = 120                          # months per run
    seed = 2026                          # root seed of the runs and of the sampler
    population = 1000                    # optional: workforce.population of every run
    window = 24                          # months at the end of each run that are averaged
    metrics = ["flat_share", "active_share"]

    [set]                                # optional: fixed changes to the base scenario
    "accusation.investigation_months" = 6

    [[vary]]                             # grid: the values to take
    parameter = "fault_tolerance.coverage"
    values = [0.0, 0.25, 0.5, 0.75, 1.0]

    [[vary]]                             # grid: or an evenly spaced range
    parameter = "accusation.false_report_rate"
    low = 0.0
    high = 0.02
    points = 5

Designs:

``grid``
    every combination of the ``values`` of each ``[[vary]]`` entry (the first
    entry varies slowest); an entry gives ``values`` or ``low``, ``high`` and
    ``points``.
``lhs``
    ``samples`` points of a Latin hypercube (:class:`scipy.stats.qmc.LatinHypercube`)
    over the ``low``-``high`` range of each entry (default: the parameter's
    whole allowed range).
``morris``
    Morris elementary-effects trajectories (:func:`SALib.sample.morris.sample`,
    ``trajectories`` and ``levels``) over the ranges, for ``cadre-sim sensitivity``.
``sobol``
    Saltelli's extension of Sobol' sequences (:func:`SALib.sample.sobol.sample`,
    ``base_samples`` a power of two, first and total order) over the ranges.
``scenarios``
    no ``[[vary]]``: the points are whole scenarios, ``scenarios = ["baseline",
    "fault_tolerance"]`` (shipped names or paths) or ``scenarios = "shipped"``
    for the whole shipped library.

Integer parameters sampled from a range are rounded to whole numbers; true /
false parameters can only take listed ``values`` in a grid.

Each design point becomes a :class:`~sim.scenario.Scenario` through
:meth:`~sim.scenario.Scenario.with_overrides`, named ``point_0000``,
``point_0001``, ... The design is a pure function of the file and its seed,
so ``--resume`` re-creates it exactly; the mapping from point to parameter
values is saved next to the runs as ``design.csv`` (checked on resume), and
the settings as ``experiment.json``, so a results folder describes itself.
The runs go through :func:`sim.batch.run_batch` (same store, seeds,
executors, resume and progress as ``cadre-sim batch``).
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import json
import math
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

import sim
from sim import fileio as files
from sim.errors import InputError
from sim.fileio import atomic_write_text, display_path, show_value
from sim.parameters import registry as params
from sim.parameters.values import coerce_value
from sim.runs import store
from sim.scenarios import Scenario

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.analysis.sensitivity import Problem
    from sim.runs.batch import BatchSummary

__all__ = [
    "DESIGNS",
    "EXPERIMENT_DIR",
    "Design",
    "Experiment",
    "ExperimentRun",
    "NotebookScale",
    "Vary",
    "load",
    "notebook_scale",
    "draw_sweep",
    "plot_sweep",
    "run_design",
    "shipped",
    "write_sweep_report",
]

#: The folder of the shipped experiments (``experiments/`` in the repository).
EXPERIMENT_DIR: Path = Path(sim.__file__).resolve().parent.parent / "experiments"
#: Designs an experiment file can name.
DESIGNS: tuple[str, ...] = ("grid", "lhs", "morris", "sobol", "scenarios")
#: Designs whose ``[[vary]]`` entries are ranges (``low``/``high``), not value lists.
RANGE_DESIGNS: tuple[str, ...] = ("lhs", "morris", "sobol")
#: Designs analysed by ``cadre-sim sensitivity``.
SENSITIVITY_DESIGNS: tuple[str, ...] = ("morris", "sobol")
#: File names an experiment writes into its results folder.
DESIGN_FILE = "design.csv"
EXPERIMENT_FILE = "experiment.json"
SWEEP_FILE = "sweep.csv"
SWEEP_REPORT = "sweep.md"

#: Defaults of the ``[experiment]`` table.
DEFAULTS: Mapping[str, Any] = {
    "design": "grid",
    "replicates": 5,
    "steps": 120,
    "seed": 0,
    "window": 12,
    "metrics": ("flat_share",),
    "samples": 20,
    "trajectories": 10,
    "levels": 4,
    "base_samples": 64,
}

_TOP_KEYS: tuple[str, ...] = ("experiment", "set", "vary")
_SIZE_KEYS: tuple[str, ...] = (
    "replicates",
    "steps",
    "seed",
    "population",
    "window",
    "metrics",
    "samples",
    "trajectories",
    "levels",
    "base_samples",
)
_EXPERIMENT_KEYS: tuple[str, ...] = (
    "name",
    "description",
    "scenario",
    "scenarios",
    "design",
    *_SIZE_KEYS,
)
_VARY_KEYS: tuple[str, ...] = ("parameter", "values", "low", "high", "points")
_POINT_WIDTH = 4

Value = float | int | bool


# ---------------------------------------------------------------------------
# The experiment
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Vary:
    """One varied parameter of an experiment.

    Attributes:
        parameter: dotted parameter name, e.g. ``"fault_tolerance.coverage"``.
        values: the values a grid takes (empty for range designs).
        low: lower end of the sampled range (range designs).
        high: upper end of the sampled range (range designs).

    """

    parameter: str
    values: tuple[Value, ...] = ()
    low: float | None = None
    high: float | None = None

    @property
    def param(self) -> params.Param:
        """The parameter's definition in :mod:`sim.params`."""
        return params.by_name(self.parameter)

    def describe(self) -> str:
        """Return ``name in [low, high]`` or ``name = v1, v2, ...``."""
        if self.values:
            return f"{self.parameter} = {', '.join(_fmt_value(v) for v in self.values)}"
        return f"{self.parameter} in [{_fmt_value(self.low)}, {_fmt_value(self.high)}]"


@dataclass(frozen=True)
class Experiment:
    """A validated experiment: base scenario(s), design, sizes, outputs.

    Attributes:
        name: short name (results folders, titles).
        description: one-line description.
        path: the file it was read from, if any.
        base: the base scenario the design points change (``[set]`` applied).
        design: ``grid``, ``lhs``, ``morris``, ``sobol`` or ``scenarios``.
        vary: the varied parameters, in file order.
        scenarios: for ``design = "scenarios"``: the scenarios compared.
        replicates: runs per design point; replicate ``k`` of every point
            shares its seed (common random numbers).
        steps: months per run.
        seed: root seed of the runs' seeds and of the design sampler.
        population: ``workforce.population`` of every run, or None to keep
            the scenario's.
        window: months at the end of each run that per-run summaries average.
        metrics: outputs summarised and analysed.
        samples: points of a Latin hypercube.
        trajectories: Morris trajectories.
        levels: Morris grid levels.
        base_samples: Sobol' base samples ``N`` (``N * (D + 2)`` points).
        settings: fixed parameter changes applied to the base (``[set]`` and
            later overrides), by dotted name.

    """

    name: str
    description: str
    path: Path | None
    base: Scenario
    design: str
    vary: tuple[Vary, ...] = ()
    scenarios: tuple[Scenario, ...] = ()
    replicates: int = DEFAULTS["replicates"]
    steps: int = DEFAULTS["steps"]
    seed: int = DEFAULTS["seed"]
    population: int | None = None
    window: int = DEFAULTS["window"]
    metrics: tuple[str, ...] = DEFAULTS["metrics"]
    samples: int = DEFAULTS["samples"]
    trajectories: int = DEFAULTS["trajectories"]
    levels: int = DEFAULTS["levels"]
    base_samples: int = DEFAULTS["base_samples"]
    settings: Mapping[str, Value] = field(default_factory=dict)

    @property
    def parameters(self) -> tuple[str, ...]:
        """Dotted names of the varied parameters, in file order."""
        return tuple(v.parameter for v in self.vary)

    @property
    def origin(self) -> str:
        """How the experiment is named in messages: its file, or its name."""
        return display_path(self.path) if self.path is not None else f"experiment {self.name}"

    def with_sizes(
        self,
        *,
        replicates: int | None = None,
        steps: int | None = None,
        population: int | None = None,
        window: int | None = None,
        seed: int | None = None,
        metrics: Sequence[str] | None = None,
        samples: int | None = None,
        trajectories: int | None = None,
        base_samples: int | None = None,
    ) -> Experiment:
        """Return a copy with some sizes replaced (e.g. command-line options), validated.

        Raises:
            InputError: a value out of its range, a window longer than the
                run, an unknown metric.

        """
        changes: dict[str, Any] = {
            key: value
            for key, value in {
                "replicates": replicates,
                "steps": steps,
                "population": population,
                "window": window,
                "seed": seed,
                "samples": samples,
                "trajectories": trajectories,
                "base_samples": base_samples,
            }.items()
            if value is not None
        }
        if metrics is not None:
            changes["metrics"] = tuple(metrics)
        problems: list[str] = []
        origin = f"{self.origin} (options)"
        checked = _check_sizes(changes, origin, problems)
        updated = replace(self, **checked) if not problems else self
        if not problems:
            _check_consistency(updated, origin, problems)
        if problems:
            raise InputError(problems[0], problems=problems)
        return updated

    def with_overrides(self, settings: Mapping[str, Any], origin: str = "--set") -> Experiment:
        """Return a copy whose base scenario(s) have some parameters changed.

        Args:
            settings: dotted names and values, e.g. from :func:`sim.scenario.parse_set`.
            origin: what to call them in messages.

        Raises:
            InputError: an unknown name, a bad value, or a parameter the
                experiment varies.

        """
        if not settings:
            return self
        clashes = [name for name in settings if name in self.parameters]
        if clashes:
            problems = [
                f"{origin}: {name}: the experiment {self.name!r} varies this parameter; "
                "change its [[vary]] entry instead"
                for name in clashes
            ]
            raise InputError(problems[0], problems=problems)
        if self.population is not None and "workforce.population" in settings:
            raise InputError(
                f"{origin}: workforce.population: the experiment sets population = "
                f"{self.population}; use --population instead"
            )
        base = self.base.with_overrides(settings, name=self.base.name, origin=origin)
        scenarios = tuple(
            s.with_overrides(settings, name=s.name, origin=origin) for s in self.scenarios
        )
        checked = {name: base.params[name] for name in settings}
        return replace(self, base=base, scenarios=scenarios, settings={**self.settings, **checked})

    def problem(self) -> Problem:
        """The sensitivity problem: varied parameters, their ranges and which are whole numbers.

        Raises:
            InputError: the design has no ranges (a grid or scenarios).

        """
        from sim.analysis.sensitivity import Problem

        if self.design not in RANGE_DESIGNS:
            raise InputError(
                f"{self.origin}: experiment.design = {self.design!r} has no parameter ranges; "
                "sensitivity analysis needs design = 'morris' or 'sobol' (or 'lhs') with "
                "[[vary]] entries given by low and high"
            )
        return Problem(
            names=self.parameters,
            bounds=tuple((float(v.low), float(v.high)) for v in self.vary),  # type: ignore[arg-type]
            integer=tuple(v.param.type is int for v in self.vary),
        )

    def build_design(self, method: str | None = None) -> Design:
        """Return the design points as scenarios (deterministic given the file and seed).

        Args:
            method: ``morris`` or ``sobol`` to sample a range design by that
                method instead of the file's ``design`` (``cadre-sim
                sensitivity --method``); default: the file's design.

        Raises:
            InputError: the method does not fit the experiment.

        """
        chosen = self.design if method is None else method
        if chosen not in DESIGNS:
            raise InputError(f"unknown design {chosen!r}; choose one of {', '.join(DESIGNS)}")
        if chosen != self.design and (
            chosen not in RANGE_DESIGNS or self.design not in RANGE_DESIGNS
        ):
            raise InputError(
                f"{self.origin}: cannot use the {self.design!r} design as {chosen!r}: "
                "only designs with ranges (lhs, morris, sobol) can be sampled by another method"
            )
        if chosen == "scenarios":
            table = pd.DataFrame(
                {
                    "point": [s.name for s in self.scenarios],
                    "description": [s.description for s in self.scenarios],
                }
            )
            return Design(self, chosen, table, None, self.scenarios)
        if chosen == "grid":
            rows = [dict(zip(self.parameters, combo, strict=True)) for combo in _grid(self.vary)]
            return self._points(chosen, rows, None)
        if chosen == "lhs":
            matrix = _latin_hypercube(self)
        else:
            from sim.analysis import sensitivity

            matrix = sensitivity.sample(
                chosen,
                self.problem(),
                trajectories=self.trajectories,
                levels=self.levels,
                base_samples=self.base_samples,
                seed=self.seed,
            )
        return self.design_from_matrix(matrix, chosen)

    def design_from_matrix(self, matrix: np.ndarray, method: str) -> Design:
        """Turn sampled parameter values (one row per point) into a design.

        Integer parameters are rounded; every value is checked against the
        parameter's allowed range.
        """
        matrix = np.asarray(matrix, dtype="float64")
        if matrix.ndim != 2 or matrix.shape[1] != len(self.vary):
            raise InputError(
                f"{self.origin}: a design matrix needs {len(self.vary)} columns "
                f"({', '.join(self.parameters)}), got shape {matrix.shape}"
            )
        rows = [
            {v.parameter: _as_param_value(v.param, x) for v, x in zip(self.vary, row, strict=True)}
            for row in matrix
        ]
        return self._points(method, rows, matrix)

    def _points(
        self, method: str, rows: Sequence[Mapping[str, Value]], matrix: np.ndarray | None
    ) -> Design:
        """Name the points ``point_NNNN`` and build their scenarios."""
        width = max(_POINT_WIDTH, len(str(max(len(rows) - 1, 0))))
        names = [f"point_{i:0{width}d}" for i in range(len(rows))]
        scenarios = tuple(
            self.base.with_overrides(row, name=name, origin=f"{self.origin}: {name}")
            for name, row in zip(names, rows, strict=True)
        )
        table = pd.DataFrame.from_records(list(rows), columns=list(self.parameters))
        table.insert(0, "point", names)
        return Design(self, method, table, matrix, scenarios)

    def to_dict(self) -> dict[str, Any]:
        """The experiment's resolved settings as plain data (written to ``experiment.json``)."""
        return {
            "name": self.name,
            "description": self.description,
            "file": str(self.path) if self.path is not None else None,
            "scenario": self.base.name,
            "scenario_file": str(self.base.path) if self.base.path else None,
            "scenarios": [s.name for s in self.scenarios],
            "design": self.design,
            "replicates": self.replicates,
            "steps": self.steps,
            "seed": self.seed,
            "population": self.population,
            "window": self.window,
            "metrics": list(self.metrics),
            "samples": self.samples,
            "trajectories": self.trajectories,
            "levels": self.levels,
            "base_samples": self.base_samples,
            "settings": dict(self.settings),
            "vary": [
                {
                    "parameter": v.parameter,
                    **({"values": list(v.values)} if v.values else {}),
                    **({"low": v.low, "high": v.high} if not v.values else {}),
                }
                for v in self.vary
            ],
        }


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
                "its seed or the sampling options changed; choose another --out"
            )


# ---------------------------------------------------------------------------
# Loading and validation
# ---------------------------------------------------------------------------


def shipped() -> list[str]:
    """Names of the shipped experiments (``experiments/*.toml``)."""
    if not EXPERIMENT_DIR.is_dir():
        return []
    return sorted(path.stem for path in EXPERIMENT_DIR.glob("*.toml"))


def load(ref: str | os.PathLike[str]) -> Experiment:
    """Load and validate an experiment file.

    Args:
        ref: a path to a ``.toml`` file, or the name of a shipped experiment
            (``"tolerance_by_risk"``).

    Raises:
        InputError: every problem found, one line each, naming file and key.

    """
    path = _locate(ref)
    shown = display_path(path)
    data = files.read_toml(path, "experiment")
    return from_dict(data, origin=shown, folder=path.parent, path=path)


def from_dict(
    data: Mapping[str, Any],
    origin: str = "<experiment data>",
    folder: str | os.PathLike[str] | None = None,
    path: Path | None = None,
) -> Experiment:
    """Validate experiment data in the layout of a file (see the module docstring).

    Args:
        data: the parsed TOML tables.
        origin: the name used in messages (the file).
        folder: the folder scenario paths are relative to (default: the
            working folder).
        path: the file the data came from (provenance).

    Raises:
        InputError: every problem found, one per line.

    """
    problems: list[str] = []
    base_folder = Path(folder) if folder is not None else Path.cwd()
    for key in data:
        if key not in _TOP_KEYS:
            problems.append(_unknown(origin, key, key, _TOP_KEYS, "top-level key"))
    meta = data.get("experiment", {})
    if not isinstance(meta, dict):
        problems.append(
            f"{origin}: experiment must be a table ([experiment]), got {show_value(meta)}"
        )
        meta = {}
    for key in meta:
        if key not in _EXPERIMENT_KEYS:
            problems.append(
                _unknown(origin, f"experiment.{key}", key, _EXPERIMENT_KEYS, "key in [experiment]")
            )
    default_name = path.stem if path is not None else "experiment"
    name = _text(meta, "name", origin, problems, default_name)
    if name and not _safe_name(name):
        problems.append(
            f"{origin}: experiment.name = {name!r}: use letters, digits, '_', '.' and '-' "
            "(it names results folders)"
        )
    description = _text(meta, "description", origin, problems, "")

    design = meta.get("design", DEFAULTS["design"])
    if design not in DESIGNS:
        hint = params.suggest(str(design), DESIGNS)
        extra = f" (did you mean '{hint}'?)" if hint else ""
        problems.append(
            f"{origin}: experiment.design = {show_value(design)} is not a design{extra}; "
            f"choose one of {', '.join(DESIGNS)}"
        )
        design = "grid"

    sizes = {key: meta[key] for key in _SIZE_KEYS if key in meta}
    checked = _check_sizes(sizes, origin, problems)
    values = {**{k: v for k, v in DEFAULTS.items() if k != "design"}, **checked}

    settings = _settings(data.get("set", {}), origin, problems)
    base, scenarios = _scenarios(meta, design, origin, base_folder, settings, problems)
    vary = _vary_entries(data.get("vary", []), design, origin, problems)
    if design == "scenarios" and vary:
        problems.append(
            f"{origin}: vary: a 'scenarios' design compares whole scenarios; "
            "remove the [[vary]] entries or choose another design"
        )
    raw_vary = data.get("vary", [])
    if design != "scenarios" and isinstance(raw_vary, list) and not raw_vary:
        problems.append(
            f"{origin}: vary is missing: a {design!r} design needs at least one [[vary]] entry, "
            'e.g. [[vary]] parameter = "fault_tolerance.coverage" values = [0.0, 0.5, 1.0]'
        )
    for entry in vary:
        if entry.parameter in settings:
            problems.append(
                f"{origin}: set.{entry.parameter}: the parameter is also varied; "
                "a parameter is either fixed in [set] or varied in [[vary]]"
            )
    if problems or base is None:
        raise InputError(problems[0] if problems else f"{origin}: invalid", problems=problems)
    experiment = Experiment(
        name=name or default_name,
        description=description or "",
        path=path,
        base=base,
        design=design,
        vary=tuple(vary),
        scenarios=tuple(scenarios),
        settings=dict(settings),
        **values,
    )
    _check_consistency(experiment, origin, problems)
    if problems:
        raise InputError(problems[0], problems=problems)
    return experiment


#: Smallest allowed value of each whole-number size.
_SIZE_LOW: Mapping[str, int] = {
    "replicates": 1,
    "steps": 1,
    "seed": 0,
    "window": 1,
    "samples": 2,
    "trajectories": 2,
    "levels": 2,
    "base_samples": 2,
}


def _check_sizes(sizes: Mapping[str, Any], origin: str, problems: list[str]) -> dict[str, Any]:
    """Validate the size keys of ``[experiment]`` (or option overrides)."""
    out: dict[str, Any] = {}
    for key, value in sizes.items():
        where = f"{origin}: experiment.{key}"
        if key == "metrics":
            metrics = _check_metrics(value, where, problems)
            if metrics is not None:
                out[key] = metrics
            continue
        if key == "population":
            p = params.by_name("workforce.population")
            if not _is_whole(value) or not p.low <= value <= p.high:
                problems.append(
                    f"{where} must be a whole number of cadres in [{p.low}, {p.high}], "
                    f"got {show_value(value)}"
                )
                continue
            out[key] = int(value)
            continue
        low = _SIZE_LOW[key]
        if not _is_whole(value) or value < low:
            problems.append(f"{where} must be a whole number >= {low}, got {show_value(value)}")
            continue
        if key == "levels" and value % 2:
            problems.append(
                f"{where} = {value}: Morris levels must be even (4, 6, 8...) so that "
                "elementary effects are balanced"
            )
            continue
        if key == "base_samples" and value & (value - 1):
            problems.append(
                f"{where} = {value}: Sobol' base samples must be a power of two "
                "(8, 16, 32, 64, ...)"
            )
            continue
        out[key] = int(value)
    return out


def _check_metrics(value: Any, where: str, problems: list[str]) -> tuple[str, ...] | None:
    """Validate the ``metrics`` list: model outputs, at least one, no repeats."""
    from sim.model import OUTPUTS

    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not value:
        problems.append(
            f"{where} must be a list of model outputs, e.g. ['flat_share'], got {show_value(value)}"
        )
        return None
    good: list[str] = []
    for item in value:
        if not isinstance(item, str) or not store.is_known_output(item):
            hint = params.suggest(str(item), OUTPUTS)
            extra = f" (did you mean '{hint}'?)" if hint else ""
            problems.append(
                f"{where}: {show_value(item)} is not a model output{extra}; see sim.model.OUTPUTS"
            )
            continue
        good.append(item)
    return tuple(dict.fromkeys(good)) if len(good) == len(value) else None


def _check_consistency(experiment: Experiment, origin: str, problems: list[str]) -> None:
    """Checks across keys: the window fits the run; population is not also varied."""
    if experiment.population is not None and "workforce.population" in experiment.parameters:
        problems.append(
            f"{origin}: experiment.population: workforce.population is also varied "
            "([[vary]]); remove one of them"
        )
    if experiment.window > experiment.steps:
        problems.append(
            f"{origin}: experiment.window = {experiment.window} is longer than the run "
            f"(steps = {experiment.steps}); the window is the last months of each run"
        )


def _settings(raw: Any, origin: str, problems: list[str]) -> dict[str, Value]:
    """Validate the ``[set]`` table (dotted names or nested group tables)."""
    if not isinstance(raw, dict):
        problems.append(f"{origin}: set must be a table ([set]), got {show_value(raw)}")
        return {}
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, dict) and key in params.GROUPS:
            for inner, item in value.items():
                flat[f"{key}.{inner}"] = item
        else:
            flat[key] = value
    if not flat:
        return {}
    try:
        checked = Scenario(
            name="check", description="", source="", params=params.defaults()
        ).with_overrides(flat, origin=f"{origin}: set")
    except InputError as exc:
        problems.extend(exc.problems)
        return {}
    return {name: checked.params[name] for name in flat}


def _load_scenario(ref: Any, where: str, folder: Path, problems: list[str]) -> Scenario | None:
    """Load a scenario named in an experiment (shipped name or path relative to ``folder``)."""
    from sim.scenarios import load as load_scenario

    if not isinstance(ref, str) or not ref:
        problems.append(
            f"{where} must be a shipped scenario name or a .toml path, got {show_value(ref)}"
        )
        return None
    target: str | Path = ref
    if ref.endswith(".toml") or "/" in ref or os.sep in ref:
        path = Path(ref).expanduser()
        target = path if path.is_absolute() else folder / path
    try:
        return load_scenario(target)
    except InputError as exc:
        problems.extend(f"{where}: {problem}" for problem in exc.problems)
        return None


def _scenarios(
    meta: Mapping[str, Any],
    design: str,
    origin: str,
    folder: Path,
    settings: Mapping[str, Value],
    problems: list[str],
) -> tuple[Scenario | None, list[Scenario]]:
    """Resolve the base scenario and, for a scenarios design, the compared scenarios."""
    from sim.scenarios import load as load_scenario
    from sim.scenarios import shipped as shipped_scenarios

    def fixed(scenario: Scenario) -> Scenario:
        if not settings:
            return scenario
        return scenario.with_overrides(settings, name=scenario.name, origin=f"{origin}: set")

    if design != "scenarios":
        if "scenarios" in meta:
            problems.append(
                f"{origin}: experiment.scenarios applies to design = 'scenarios'; "
                "a design that varies parameters takes one base: experiment.scenario"
            )
        base = _load_scenario(
            meta.get("scenario", "baseline"), f"{origin}: experiment.scenario", folder, problems
        )
        return (fixed(base) if base is not None else None), []
    if "scenario" in meta:
        problems.append(
            f"{origin}: experiment.scenario: a 'scenarios' design lists its scenarios in "
            "experiment.scenarios (did you mean 'scenarios'?)"
        )
    refs = meta.get("scenarios")
    if refs == "shipped":
        refs = shipped_scenarios()
    if not isinstance(refs, list) or not refs:
        problems.append(
            f"{origin}: experiment.scenarios must be a non-empty list of scenario names or "
            f'paths, or "shipped" for the whole library, got {show_value(refs)}'
        )
        return None, []
    loaded: list[Scenario] = []
    for number, ref in enumerate(refs, start=1):
        scenario = _load_scenario(
            ref, f"{origin}: experiment.scenarios[{number}]", folder, problems
        )
        if scenario is not None:
            loaded.append(scenario)
    names = [s.name for s in loaded]
    for name in {n for n in names if names.count(n) > 1}:
        problems.append(f"{origin}: experiment.scenarios: scenario {name!r} is listed twice")
    if problems:
        return None, []
    try:
        base = load_scenario("baseline")
    except InputError as exc:
        problems.extend(exc.problems)
        return None, []
    return fixed(base), [fixed(s) for s in loaded]


def _vary_entries(raw: Any, design: str, origin: str, problems: list[str]) -> list[Vary]:
    """Validate the ``[[vary]]`` array for the given design."""
    if not isinstance(raw, list):
        problems.append(
            f"{origin}: vary must be an array of tables ([[vary]]), got {show_value(raw)}"
        )
        return []
    out: list[Vary] = []
    seen: set[str] = set()
    for number, entry in enumerate(raw, start=1):
        where = f"{origin}: vary[{number}]"
        if not isinstance(entry, dict):
            problems.append(f"{where} must be a table ([[vary]]), got {show_value(entry)}")
            continue
        vary = _vary_entry(entry, design, origin, f"vary[{number}]", problems)
        if vary is None:
            continue
        if vary.parameter in seen:
            problems.append(f"{where}.parameter: {vary.parameter} is varied twice")
            continue
        seen.add(vary.parameter)
        out.append(vary)
    return out


def _vary_entry(
    entry: Mapping[str, Any], design: str, origin: str, label: str, problems: list[str]
) -> Vary | None:
    """Validate one ``[[vary]]`` entry (``label`` is e.g. ``vary[2]``, counted from 1)."""
    where = f"{origin}: {label}"
    count = len(problems)
    for key in entry:
        if key not in _VARY_KEYS:
            problems.append(_unknown(origin, f"{label}.{key}", key, _VARY_KEYS, "key in [[vary]]"))
    name = entry.get("parameter")
    if not isinstance(name, str):
        problems.append(
            f"{where}.parameter is missing or not text: name a parameter, "
            'e.g. parameter = "fault_tolerance.coverage"'
        )
        return None
    try:
        param = params.by_name(name)
    except KeyError:
        hint = params.suggest(name, [p.name for p in params.PARAMS])
        extra = f" (did you mean '{hint}'?)" if hint else " (names are group.key)"
        problems.append(f"{where}.parameter = {name!r}: unknown parameter{extra}")
        return None
    if design == "grid":
        return _grid_entry(entry, param, where, problems, count)
    if design in RANGE_DESIGNS:
        return _range_entry(entry, param, design, where, problems, count)
    return None


def _grid_entry(
    entry: Mapping[str, Any], param: params.Param, where: str, problems: list[str], count: int
) -> Vary | None:
    """A grid entry: ``values`` or ``low``/``high``/``points``."""
    has_values = "values" in entry
    has_range = any(key in entry for key in ("low", "high", "points"))
    if has_values and has_range:
        problems.append(f"{where}: give either values = [...] or low, high and points, not both")
        return None
    if has_values:
        raw = entry["values"]
        if not isinstance(raw, list) or not raw:
            problems.append(f"{where}.values must be a non-empty list, got {show_value(raw)}")
            return None
        values: list[Value] = []
        for index, value in enumerate(raw, start=1):
            try:
                values.append(coerce_value(param, value))
            except ValueError:
                problems.append(
                    f"{where}.values[{index}] = {show_value(value)}: {param.name} takes "
                    f"{_allowed(param)}"
                )
        if len(set(values)) != len(values):
            problems.append(f"{where}.values lists a value twice")
        if len(problems) > count:
            return None
        return Vary(param.name, values=tuple(values))
    if param.type is bool:
        problems.append(
            f"{where}: {param.name} is true or false; list its values, e.g. values = [false, true]"
        )
        return None
    low, high = _range_bounds(entry, param, where, problems)
    points = entry.get("points")
    if not _is_whole(points) or points < 2:
        problems.append(
            f"{where}.points must be a whole number >= 2 (how many evenly spaced values "
            f"from low to high), got {show_value(points)}; or list values = [...]"
        )
    if len(problems) > count or low is None or high is None:
        return None
    grid = np.linspace(low, high, int(points))
    values = list(dict.fromkeys(_as_param_value(param, x) for x in grid))
    return Vary(param.name, values=tuple(values))


def _range_entry(
    entry: Mapping[str, Any],
    param: params.Param,
    design: str,
    where: str,
    problems: list[str],
    count: int,
) -> Vary | None:
    """A sampled entry: ``low``/``high`` (default the parameter's whole range)."""
    for key in ("values", "points"):
        if key in entry:
            problems.append(
                f"{where}.{key}: a {design!r} design samples a range; give low and high "
                "(default: the parameter's whole range), or use design = 'grid'"
            )
    if param.type is bool:
        problems.append(
            f"{where}: {param.name} is true or false and cannot be sampled from a range; "
            "fix it in [set] or use design = 'grid'"
        )
        return None
    low, high = _range_bounds(entry, param, where, problems)
    if len(problems) > count or low is None or high is None:
        return None
    return Vary(param.name, low=low, high=high)


def _range_bounds(
    entry: Mapping[str, Any], param: params.Param, where: str, problems: list[str]
) -> tuple[float | None, float | None]:
    """``low`` and ``high`` of an entry, inside the parameter's allowed range."""
    bounds: dict[str, float] = {}
    for key, fallback in (("low", param.low), ("high", param.high)):
        value = entry.get(key, fallback)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            problems.append(f"{where}.{key} must be a number, got {show_value(value)}")
            continue
        if not param.low <= value <= param.high:
            problems.append(
                f"{where}.{key} = {show_value(value)} is outside the allowed range of "
                f"{param.name}: [{param.low!r}, {param.high!r}] ({param.unit})"
            )
            continue
        bounds[key] = float(value)
    low, high = bounds.get("low"), bounds.get("high")
    if low is not None and high is not None and not low < high:
        problems.append(f"{where}: low = {show_value(low)} must be below high = {show_value(high)}")
        return None, None
    return low, high


# ---------------------------------------------------------------------------
# Designs
# ---------------------------------------------------------------------------


def _grid(vary: Sequence[Vary]) -> list[tuple[Value, ...]]:
    """Every combination of the entries' values; the first entry varies slowest."""
    return list(itertools.product(*(v.values for v in vary)))


def _latin_hypercube(experiment: Experiment) -> np.ndarray:
    """``samples`` points of a Latin hypercube over the entries' ranges (seeded)."""
    from scipy.stats import qmc

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


def _as_param_value(param: params.Param, value: float) -> Value:
    """A sampled number in the parameter's type (whole numbers rounded), clipped to its range."""
    number = min(max(float(value), float(param.low)), float(param.high))
    if param.type is int:
        return int(round(number))
    if param.type is bool:
        return bool(round(number))
    return float(number)


# ---------------------------------------------------------------------------
# Running a design through the batch machinery
# ---------------------------------------------------------------------------


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

    def point_summary(self, confidence: float = 0.95) -> pd.DataFrame:
        """Long table: per point and metric ``n``, ``mean``, ``sd`` and the t-interval."""
        from sim.analysis.compare import mean_interval

        runs = self.runs
        done = runs[runs["status"] == "done"]
        rows = []
        for point in self.design.points:
            values = done[done["point"] == point]
            for metric in self.batch.metrics:
                series = values[metric].dropna()
                mean, low, high = mean_interval(series, confidence)
                rows.append(
                    {
                        "point": point,
                        "metric": metric,
                        "n": int(series.size),
                        "mean": mean,
                        "sd": float(series.std(ddof=1)) if series.size > 1 else math.nan,
                        "ci_low": low,
                        "ci_high": high,
                    }
                )
        table = pd.DataFrame.from_records(
            rows, columns=["point", "metric", "n", "mean", "sd", "ci_low", "ci_high"]
        )
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
    from sim.runs.batch import BatchInterrupted, run_batch

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


# ---------------------------------------------------------------------------
# Sweep figures and report
# ---------------------------------------------------------------------------


def _figure(width: float, height: float) -> Figure:
    """A matplotlib Figure on an Agg canvas (pyplot's global state untouched)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _t_band(confidence: float) -> Any:
    """A seaborn ``errorbar`` callable: the t-based interval of the mean."""
    from sim.analysis.compare import mean_interval

    def interval(values: pd.Series) -> tuple[float, float]:
        mean, low, high = mean_interval(values, confidence)
        return (mean, mean) if math.isnan(low) else (low, high)

    return interval


def plot_sweep(
    run: ExperimentRun,
    metric: str,
    out_file: str | os.PathLike[str],
    confidence: float = 0.95,
) -> Path:
    """Draw a sweep's response of one metric (:func:`draw_sweep`) and write it as PNG."""
    import seaborn as sns

    target = Path(out_file)
    target.parent.mkdir(parents=True, exist_ok=True)
    with sns.axes_style("whitegrid"), sns.plotting_context("notebook"):
        figure = draw_sweep(run, metric, confidence)
        figure.savefig(target, dpi=120)
    return target


def draw_sweep(run: ExperimentRun, metric: str, confidence: float = 0.95) -> Figure:
    """Draw a sweep's response of one metric on a new matplotlib Figure (Agg canvas).

    One varied parameter: the mean over replicates against the parameter,
    with a t-based confidence band. Two (grid): a heatmap of the mean, first
    parameter across, second down. More, or a Latin hypercube: one panel per
    parameter (the mean per point, a band for grid main effects). A
    scenarios design: each scenario's mean with its interval.
    """
    import seaborn as sns

    experiment = run.experiment
    done = run.runs[run.runs["status"] == "done"].copy()
    parameters = list(experiment.parameters)
    level = f"{confidence * 100:g}%"
    caption = (
        f"{metric}: mean of months {experiment.steps - experiment.window + 1}-"
        f"{experiment.steps} over {experiment.replicates} replicate(s)"
    )
    with sns.axes_style("whitegrid"), sns.plotting_context("notebook"):
        if run.design.method == "scenarios":
            figure = _figure(8.0, 0.45 * len(run.design) + 1.8)
            axes = figure.subplots()
            done["point"] = done["point"].astype(str)
            sns.pointplot(
                data=done,
                x=metric,
                y="point",
                order=run.design.points,
                errorbar=_t_band(confidence),
                linestyle="none",
                capsize=0.2,
                color="C0",
                ax=axes,
            )
            axes.set_ylabel("")
            axes.set_title(f"{caption}, {level} t-interval", loc="left", fontsize="medium")
        elif run.design.method == "grid" and len(parameters) == 1:
            figure = _figure(7.5, 4.5)
            axes = figure.subplots()
            sns.lineplot(
                data=done, x=parameters[0], y=metric, errorbar=_t_band(confidence),
                marker="o", ax=axes,
            )  # fmt: skip
            axes.set_title(f"{caption}, {level} t-band", loc="left", fontsize="medium")
        elif run.design.method == "grid" and len(parameters) == 2:
            across, down = parameters
            means = done.groupby([down, across])[metric].mean().unstack(across)
            means = means.sort_index(ascending=False)
            figure = _figure(1.0 + 1.1 * means.shape[1] + 1.5, 1.2 + 0.6 * means.shape[0] + 0.8)
            axes = figure.subplots()
            sns.heatmap(
                means,
                annot=means.shape[0] * means.shape[1] <= 100,
                fmt=".3f",
                cmap="rocket_r",
                cbar_kws={"label": metric},
                ax=axes,
            )
            axes.set_xticklabels([_fmt_value(v) for v in means.columns], rotation=0)
            axes.set_yticklabels([_fmt_value(v) for v in means.index], rotation=0)
            axes.set_title(caption, loc="left", fontsize="medium")
        else:
            n = len(parameters)
            cols = min(n, 3)
            rows = math.ceil(n / cols)
            figure = _figure(4.2 * cols, 3.4 * rows)
            panels = np.atleast_1d(figure.subplots(rows, cols, squeeze=False).ravel())
            for axes, parameter in zip(panels, parameters, strict=False):
                if run.design.method == "grid":
                    sns.lineplot(
                        data=done, x=parameter, y=metric, errorbar=_t_band(confidence),
                        marker="o", ax=axes,
                    )  # fmt: skip
                else:
                    per_point = done.groupby("point", observed=True)[[parameter, metric]].mean()
                    sns.regplot(
                        data=per_point, x=parameter, y=metric, ci=None,
                        scatter_kws={"s": 14, "alpha": 0.7}, line_kws={"color": "C3"}, ax=axes,
                    )  # fmt: skip
            for axes in panels[n:]:
                axes.set_visible(False)
            figure.suptitle(caption, x=0.01, ha="left", fontsize="medium")
    return figure


def write_sweep_report(run: ExperimentRun, confidence: float = 0.95) -> list[Path]:
    """Write ``sweep.csv``, ``sweep.md`` and ``figures/sweep_<metric>.png`` into the folder.

    Returns:
        The files written.

    Raises:
        InputError: the run has no results folder.

    """
    if run.out is None:
        raise InputError("the sweep ran in a temporary folder: give out= to write a report")
    table = run.point_summary(confidence)
    written: list[Path] = []
    csv_file = run.out / SWEEP_FILE
    table.to_csv(csv_file, index=False)
    written.append(csv_file)
    md_file = run.out / SWEEP_REPORT
    atomic_write_text(md_file, sweep_markdown(run, table, confidence))
    written.append(md_file)
    for metric in run.batch.metrics:
        written.append(
            plot_sweep(run, metric, run.out / store.FIGURES_DIR / f"sweep_{metric}.png", confidence)
        )
    return written


def sweep_markdown(run: ExperimentRun, table: pd.DataFrame, confidence: float = 0.95) -> str:
    """A Markdown report of a sweep: settings, then one table per metric."""
    experiment = run.experiment
    level = f"{confidence * 100:g}%"
    first = experiment.steps - experiment.window + 1
    lines = [
        f"# Sweep: {experiment.name}",
        "",
        experiment.description,
        "",
        f"Design {run.design.method!r}, {len(run.design)} points x {experiment.replicates} "
        f"replicate(s), {experiment.steps} months, root seed {experiment.seed}"
        + (f", population {experiment.population}" if experiment.population else "")
        + f". Each run is reduced to its mean over months {first}-{experiment.steps}; "
        f"'mean' is the mean over replicates with its {level} t-interval. "
        f"Replicate k of every point shares its seed. Base scenario: {experiment.base.name}"
        + (
            ", with " + ", ".join(f"{k} = {_fmt_value(v)}" for k, v in experiment.settings.items())
            if experiment.settings
            else ""
        )
        + ".",
        "",
    ]
    columns = [c for c in run.design.table.columns if c != "point"]
    for metric in run.batch.metrics:
        rows = table[table["metric"] == metric]
        lines += [
            f"## {metric}",
            "",
            "| point | " + " | ".join(f"`{c}`" for c in columns) + f" | n | mean | {level} CI |",
            "|---|" + "---:|" * len(columns) + "---:|---:|---:|",
        ]
        for record in rows.to_dict("records"):
            cells = [
                str(record[c]) if c == "description" else _fmt_value(record[c]) for c in columns
            ]
            lines.append(
                f"| {record['point']} | "
                + " | ".join(cells)
                + f" | {record['n']} | {_fmt_num(record['mean'])} | "
                f"[{_fmt_num(record['ci_low'])}, {_fmt_num(record['ci_high'])}] |"
            )
        lines += ["", f"![{metric}](figures/sweep_{metric}.png)", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Notebook sizes
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def _locate(ref: str | os.PathLike[str]) -> Path:
    """A path, or the file of a shipped experiment named ``ref``."""
    return files.locate(ref, EXPERIMENT_DIR, "experiment", shipped)


def _unknown(origin: str, where: str, key: str, allowed: Sequence[str], what: str) -> str:
    """A one-line message for an unknown key, with the closest allowed one."""
    hint = params.suggest(key, allowed)
    if hint:
        return f"{origin}: {where}: unknown {what} (did you mean '{hint}'?)"
    return f"{origin}: {where}: unknown {what} (allowed: {', '.join(allowed)})"


def _text(
    table: Mapping[str, Any], key: str, origin: str, problems: list[str], default: str
) -> str | None:
    """A text value of ``[experiment]``."""
    value = table.get(key, default)
    if not isinstance(value, str):
        problems.append(f"{origin}: experiment.{key} must be text, got {show_value(value)}")
        return None
    return value


def _safe_name(name: str) -> bool:
    """Whether a name can name a results folder."""
    import re

    return re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$", name) is not None


def _is_whole(value: Any) -> bool:
    """Whether ``value`` is an int (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _allowed(param: params.Param) -> str:
    """What a parameter accepts, for messages."""
    if param.type is bool:
        return "true or false"
    kind = "whole numbers" if param.type is int else "numbers"
    return f"{kind} in [{param.low!r}, {param.high!r}] ({param.unit})"


def _fmt_value(value: Any) -> str:
    """A parameter value for tables and axis labels."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    return str(value)


def _fmt_num(value: float) -> str:
    """A number with 4 significant digits ('-' if missing)."""
    if value is None or pd.isna(value):
        return "-"
    return f"{value:.4g}"
