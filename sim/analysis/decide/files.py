"""Experiment files of the three decision methods: policy search, scenario discovery, calibration.

Each file is TOML data whose first table names its kind (``[search]``,
``[discover]`` or ``[calibrate]``), validated as strictly as a scenario
file: unknown keys get a "did you mean", every parameter name is looked up
in the registry (:mod:`sim.parameters.registry`), every value and range
end is checked by :func:`sim.parameters.values.coerce_value`, names by
:func:`sim.parameters.names.name_problem`, and every problem is a one-line
:class:`~sim.errors.InputError` message naming the file and the key. Levers
(``[[lever]]``) must be policy levers of the registry (``Param.lever``);
uncertain constants (``[[uncertain]]``) and calibrated ones
(``[[parameter]]``) must be behavioural constants (not levers, not
structural). A range end left out is the parameter's allowed end.

Common keys of the first table: ``name`` (default: the file name),
``description``, ``scenario`` (shipped name or a ``.toml`` path relative to
the file; default ``baseline``), ``replicates``, ``steps``, ``seed``,
``population``, ``window``; ``[set]`` fixes parameters of the base scenario.
The layout of each kind is in ``docs/decide.md``.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from sim import fileio
from sim.analysis.decide import calibrate, discover, search
from sim.analysis.decide.calibrate import CalibrateProblem, Target
from sim.analysis.decide.checks import SIZES, Reader
from sim.analysis.decide.discover import DIRECTIONS as SIDES
from sim.analysis.decide.discover import DiscoverProblem
from sim.analysis.decide.evaluate import SETTINGS_FILE, Evaluate, RunPlan
from sim.analysis.decide.search import ROBUSTNESS, Objective, SearchProblem
from sim.analysis.decide.space import Range
from sim.analysis.experiment.schema import DECISION_KINDS, EXPERIMENT_DIR
from sim.errors import InputError
from sim.fileio import display_path, show_value
from sim.parameters import registry
from sim.parameters.names import name_problem
from sim.scenarios import Scenario

__all__ = [
    "KINDS",
    "SMALL",
    "DecideExperiment",
    "at_scale",
    "from_dict",
    "load",
    "notebook_folder",
    "shipped",
]

#: The three kinds of decision experiment, each named by its file's first table.
KINDS: tuple[str, ...] = DECISION_KINDS

_COMMON = ("name", "description", "scenario", "replicates", "steps", "seed", "population", "window")
_KEYS: Mapping[str, tuple[str, ...]] = {
    "search": (*_COMMON, "candidates", "generations", "robustness", "percentile", "samples"),
    "discover": (
        *_COMMON,
        "samples",
        "metric",
        "threshold",
        "direction",
        "paired",
        "boxes",
        "min_coverage",
        "peel_alpha",
        "paste_alpha",
        "mass_min",
    ),  # fmt: skip
    "calibrate": (*_COMMON, "particles", "generations", "max_evaluations", "quantile"),
}
_ENTRIES: Mapping[str, tuple[str, ...]] = {
    "search": ("lever", "objective", "uncertain"),
    "discover": ("lever", "uncertain"),
    "calibrate": ("parameter", "target"),
}
Value = float | int | bool


@dataclass(frozen=True)
class DecideExperiment:
    """A validated search, discovery or calibration experiment.

    Attributes:
        kind: ``search``, ``discover`` or ``calibrate``.
        name: short name (results folders, titles).
        description: one line.
        path: the file it was read from, if any.
        plan: how each point is run (base scenario, replicates, steps, seed, ...).
        problem: the method's problem (:class:`SearchProblem`,
            :class:`DiscoverProblem` or :class:`CalibrateProblem`).
        settings: fixed parameter changes of the base scenario (``[set]``).

    """

    kind: str
    name: str
    description: str
    path: Path | None
    plan: RunPlan
    problem: SearchProblem | DiscoverProblem | CalibrateProblem
    settings: Mapping[str, Value] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        """How the experiment is named in messages: its file, or its name."""
        return display_path(self.path) if self.path is not None else f"experiment {self.name}"

    @property
    def metrics(self) -> tuple[str, ...]:
        """The outputs every run must be summarised by."""
        return self.problem.metrics if self.kind != "discover" else (self.problem.metric,)

    @property
    def parameters(self) -> tuple[str, ...]:
        """The parameters the method varies."""
        if isinstance(self.problem, SearchProblem):
            return tuple(r.name for r in (*self.problem.levers, *self.problem.uncertain))
        if isinstance(self.problem, DiscoverProblem):
            return tuple(r.name for r in self.problem.ranges)
        return tuple(r.name for r in self.problem.parameters)

    def with_sizes(self, **sizes: int | None) -> DecideExperiment:
        """A copy with some sizes replaced (command-line options); None keeps a value.

        Keys: ``replicates``, ``steps``, ``seed``, ``population``, ``window`` and
        the kind's own sizes (``candidates``, ``generations``, ``samples``,
        ``particles``, ``max_evaluations``).

        Raises:
            InputError: a value out of range, or a size this kind has not.

        """
        given = {k: v for k, v in sizes.items() if v is not None}
        problems: list[str] = []
        reader = Reader(f"{self.origin} (options)", self.kind, problems)
        for key in given:
            if key not in _KEYS[self.kind]:
                problems.append(f"{reader.origin}: {key} is not a size of a {self.kind} experiment")
        checked = {k: reader.size(given, k) for k in given if k in _KEYS[self.kind]}
        if problems:
            raise InputError(problems[0], problems=problems)
        plan_keys = {"replicates", "steps", "seed", "population", "window"}
        plan = replace(self.plan, **{k: v for k, v in checked.items() if k in plan_keys})
        own = {k: v for k, v in checked.items() if k not in plan_keys - {"seed"}}
        problem = replace(self.problem, **own)
        if plan.window > plan.steps:
            raise InputError(
                f"{reader.origin}: window = {plan.window} is longer than the run "
                f"(steps = {plan.steps})"
            )
        return replace(self, plan=plan, problem=problem)

    def with_overrides(
        self, settings: Mapping[str, Any], origin: str = "--set"
    ) -> DecideExperiment:
        """A copy whose base scenario has some parameters changed (not the ones varied).

        Raises:
            InputError: an unknown name, a bad value, or a varied parameter.

        """
        if not settings:
            return self
        clashes = [
            f"{origin}: {n}: the experiment varies it" for n in settings if n in self.parameters
        ]
        if clashes:
            raise InputError(clashes[0], problems=clashes)
        base = self.plan.base.with_overrides(settings, name=self.plan.base.name, origin=origin)
        merged = {**self.settings, **{n: base.params[n] for n in settings}}
        return replace(self, plan=replace(self.plan, base=base), settings=merged)

    def run(self, evaluate: Evaluate, folder: str | os.PathLike[str] | None = None) -> Any:
        """Run the method through ``evaluate``; a calibration keeps pyabc's history in ``folder``.

        Returns:
            A :class:`SearchResult`, :class:`DiscoveryResult` or
            :class:`CalibrationResult`.

        """
        if isinstance(self.problem, SearchProblem):
            return search.search(self.problem, evaluate)
        if isinstance(self.problem, DiscoverProblem):
            return discover.discover(self.problem, evaluate)
        database = None if folder is None else Path(folder) / calibrate.DATABASE
        return calibrate.calibrate(self.problem, evaluate, database)

    def summary(self, result: Any) -> list[tuple[str, pd.DataFrame]]:
        """The tables worth printing: the front, the boxes, or the posterior and the fit."""
        if self.kind == "search":
            front = search.front_table(result)
            shown = [c for c in front.columns if c not in ("generation", "candidate")]
            return [(f"Pareto front ({len(front)} points, 95% intervals):", front[shown])]
        if self.kind == "discover":
            return [
                (f"PRIM boxes where {result.problem.case_rule()}:", discover.boxes_table(result))
            ]
        return [
            ("Posterior (90% credible interval low-high):", calibrate.posterior_table(result)),
            ("Fit per target (90% posterior predictive low-high):", calibrate.fit_table(result)),
        ]

    def write_report(
        self, result: Any, folder: str | os.PathLike[str], figures: bool = True
    ) -> list[Path]:
        """Write the method's tables, report, figures (and scenario files) into ``folder``."""
        title = f"{self.kind.capitalize()}: {self.name}"
        if self.kind == "search":
            return search.write_report(result, folder, self.plan.base, title, figures)
        if self.kind == "discover":
            return discover.write_report(result, folder, title, figures)
        return calibrate.write_report(result, folder, self.plan.base, title, figures)

    def to_dict(self) -> dict[str, Any]:
        """Everything the result depends on, as plain data (``decide.json``)."""
        return {
            "experiment": self.name,
            "file": str(self.path) if self.path is not None else None,
            "plan": self.plan.to_dict(),
            "metrics": list(self.metrics),
            "problem": self.problem.to_dict(),
            "settings": dict(self.settings),
        }


#: Each kind's sizes at the notebooks' ``small`` scale (seconds, for the test suite).
SMALL: Mapping[str, Mapping[str, int]] = {
    "search": {"candidates": 4, "generations": 2, "samples": 1},
    "discover": {"samples": 16},
    "calibrate": {"particles": 4, "generations": 2},
}


def at_scale(experiment: DecideExperiment, scale: str) -> DecideExperiment:
    """The experiment at a notebook scale (``CADRE_SIM_NOTEBOOK_SCALE``).

    ``small``: one replicate of 100 cadres over 12 months after a 12-month
    warm-up and the smallest designs (:data:`SMALL`); ``default``: as
    shipped; ``large``: four times the replicates.
    """
    if scale == "small":
        problem = experiment.problem
        own = {k: min(v, getattr(problem, k)) for k, v in SMALL[experiment.kind].items()}
        if experiment.kind == "search" and not problem.samples:
            own.pop("samples")
        smaller = experiment.with_sizes(replicates=1, population=100, steps=12, window=6, **own)
        return smaller.with_overrides({"simulation.warmup_months": 12}, origin="small scale")
    if scale == "large":
        return experiment.with_sizes(replicates=experiment.plan.replicates * 4)
    return experiment


def notebook_folder(root: str | os.PathLike[str], notebook: str, scale: str) -> Path:
    """A fresh results folder ``ROOT/<notebook>-<scale>`` for a decision notebook.

    A previous folder of the same notebook and scale (it holds
    ``decide.json``) is removed first; any other non-empty folder is left
    alone (``InputError``).
    """
    target = Path(root) / f"{notebook}-{scale}"
    if target.exists():
        if not target.is_dir() or (
            any(target.iterdir()) and not (target / SETTINGS_FILE).is_file()
        ):
            raise InputError(f"{target} exists and is not a cadre-sim decision results folder")
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def shipped(kind: str | None = None) -> list[str]:
    """Names of the shipped decision experiments (``experiments/<kind>_*.toml``)."""
    kinds = KINDS if kind is None else (kind,)
    return sorted(p.stem for k in kinds for p in EXPERIMENT_DIR.glob(f"{k}_*.toml"))


def load(ref: str | os.PathLike[str], kind: str | None = None) -> DecideExperiment:
    """Load and validate a decision experiment file.

    Args:
        ref: a path to a ``.toml`` file, or a shipped experiment's name.
        kind: the kind expected (``search``, ``discover``, ``calibrate``);
            None accepts any.

    Raises:
        InputError: every problem found, one line each, naming file and key.

    """
    path = fileio.locate(ref, EXPERIMENT_DIR, "experiment", lambda: shipped(kind))
    data = fileio.read_toml(path, "experiment")
    return from_dict(data, origin=display_path(path), folder=path.parent, path=path, kind=kind)


def from_dict(
    data: Mapping[str, Any],
    origin: str = "<experiment data>",
    folder: str | os.PathLike[str] | None = None,
    path: Path | None = None,
    kind: str | None = None,
) -> DecideExperiment:
    """Validate decision-experiment data in the layout of a file (see the module docstring).

    Raises:
        InputError: every problem found, one per line.

    """
    found = [k for k in KINDS if k in data]
    if len(found) != 1:
        raise InputError(
            f"{origin}: a decision experiment starts with exactly one of "
            f"{', '.join(f'[{k}]' for k in KINDS)}"
            + (f", found {', '.join(found)}" if found else "")
        )
    own = found[0]
    if kind is not None and own != kind:
        raise InputError(f"{origin}: this is a {own!r} experiment, not a {kind!r} one")
    problems: list[str] = []
    reader = Reader(origin, own, problems)
    allowed = (own, "set", *_ENTRIES[own])
    for key in data:
        if key not in allowed:
            problems.append(reader.unknown(key, key, allowed, "top-level table"))
    meta = reader.table(data.get(own, {}), f"[{own}]")
    for key in meta:
        if key not in _KEYS[own]:
            problems.append(reader.unknown(f"{own}.{key}", key, _KEYS[own], f"key in [{own}]"))
    name = meta.get("name", path.stem if path is not None else own)
    if (problem := name_problem(name)) is not None:
        problems.append(f"{origin}: {own}.name: {problem}")
    description = meta.get("description", "")
    if not isinstance(description, str):
        problems.append(f"{origin}: {own}.description must be text, got {show_value(description)}")
    base = reader.scenario(meta.get("scenario", "baseline"), Path(folder or Path.cwd()))
    settings = reader.settings(data.get("set", {}))
    entries = {e: reader.entries(data.get(e, []), e) for e in _ENTRIES[own]}
    sizes = {k: reader.size(meta, k) for k in _KEYS[own] if k in SIZES or k == "population"}
    varied = [
        entry["parameter"]
        for e in ("lever", "uncertain", "parameter")
        for entry in entries.get(e, [])
    ]
    for n in {v for v in varied if varied.count(v) > 1}:
        problems.append(f"{origin}: {n} is named in two entries")
    for n in set(varied) & set(settings):
        problems.append(f"{origin}: set.{n}: the parameter is also varied; fix it or vary it")
    if sizes.get("window", 0) > sizes.get("steps", math.inf):
        problems.append(f"{origin}: {own}.window is longer than the run ({own}.steps)")
    if settings and base is not None and not problems:
        base = base.with_overrides(settings, name=base.name, origin=f"{origin}: set")
    problem = _BUILDERS[own](reader, meta, entries, sizes, base)
    if problems or base is None or problem is None:
        raise InputError(problems[0] if problems else f"{origin}: invalid", problems=problems)
    plan = RunPlan(
        base=base,
        replicates=sizes["replicates"],
        steps=sizes["steps"],
        seed=sizes["seed"],
        population=sizes.get("population"),
        window=sizes["window"],
    )
    return DecideExperiment(own, name, description, path, plan, problem, settings)


# ---------------------------------------------------------------------------
# Building each kind's problem from checked entries
# ---------------------------------------------------------------------------


def _ranges(entries: list[dict[str, Any]]) -> tuple[Range, ...]:
    """Checked range entries as :class:`Range` objects."""
    return tuple(
        Range(
            e["parameter"],
            float(e["low"]),
            float(e["high"]),
            registry.by_name(e["parameter"]).type is int,
        )
        for e in entries
    )


def _search(
    reader: Reader, meta: Mapping[str, Any], entries: Any, sizes: Any, base: Scenario
) -> SearchProblem:
    """The search problem."""
    robustness = reader.choice(meta, "robustness", ROBUSTNESS, "mean")
    percentile = reader.number(meta, "percentile", 90.0, low=0.0, high=100.0, open_ends=True)
    reader.need(["lever"], '[[lever]] parameter = "fault_tolerance.coverage"')
    reader.need(["objective"], '[[objective]] metric = "flat_share"')
    if robustness != "mean" and not (entries["uncertain"] and sizes["samples"]):
        reader.problem(
            f"search.robustness = {robustness!r} needs [[uncertain]] entries and samples >= 1"
        )
    if entries["uncertain"] and not sizes["samples"]:
        reader.problem("uncertain: [[uncertain]] entries are sampled only with search.samples >= 1")
    metrics = [o["metric"] for o in entries["objective"]]
    if len(set(metrics)) != len(metrics):
        reader.problem("an objective metric is listed twice")
    if reader.problems:
        return None  # type: ignore[return-value]
    levers = _ranges(entries["lever"])
    return SearchProblem(
        levers=levers,
        objectives=tuple(Objective(o["metric"], o["direction"]) for o in entries["objective"]),
        costs=tuple(float(e["cost"]) for e in entries["lever"]),
        reference={r.name: base.params[r.name] for r in levers},
        uncertain=_ranges(entries["uncertain"]),
        samples=sizes["samples"],
        robustness=robustness,
        percentile=percentile,
        candidates=sizes["candidates"],
        generations=sizes["generations"],
        seed=sizes["seed"],
    )


def _discover(
    reader: Reader, meta: Mapping[str, Any], entries: Any, sizes: Any, base: Scenario
) -> DiscoverProblem:
    """The discovery problem."""
    metric = reader.metric(meta.get("metric", "flat_share"), f"{reader.kind}.metric")
    threshold = reader.number(meta, "threshold", 0.0)
    direction = reader.choice(meta, "direction", SIDES, "above")
    paired = meta.get("paired", False)
    if not isinstance(paired, bool):
        reader.problem(f"{reader.kind}.paired must be true or false, got {show_value(paired)}")
    fractions = {
        key: reader.number(meta, key, default, low=0.0, high=1.0, open_ends=True)
        for key, default in (
            ("min_coverage", 0.5),
            ("peel_alpha", 0.05),
            ("paste_alpha", 0.05),
            ("mass_min", 0.05),
        )
    }
    reader.need(["lever", "uncertain"], '[[lever]] parameter = "fault_tolerance.coverage"')
    if paired is True and not entries["lever"]:
        reader.problem(
            "paired = true compares with the levers' base values: it needs [[lever]] entries"
        )
    if reader.problems:
        return None  # type: ignore[return-value]
    levers = _ranges(entries["lever"])
    return DiscoverProblem(
        ranges=(*levers, *_ranges(entries["uncertain"])),
        metric=metric,
        threshold=threshold,
        direction=direction,
        samples=sizes["samples"],
        reference={r.name: base.params[r.name] for r in levers} if paired else {},
        boxes=sizes["boxes"],
        seed=sizes["seed"],
        **fractions,
    )


def _calibrate(
    reader: Reader, meta: Mapping[str, Any], entries: Any, sizes: Any, base: Scenario
) -> CalibrateProblem:
    """The calibration problem."""
    quantile = reader.number(meta, "quantile", 0.5, low=0.0, high=1.0, open_ends=True)
    reader.need(["parameter"], '[[parameter]] parameter = "behaviour.risk_aversion"')
    reader.need(
        ["target"],
        '[[target]] metric = "flat_share" observed = 0.2 tolerance = 0.03',
    )
    names = [t["name"] for t in entries["target"]]
    if len(set(names)) != len(names):
        reader.problem("two [[target]] entries have the same name")
    if reader.problems:
        return None  # type: ignore[return-value]
    return CalibrateProblem(
        parameters=_ranges(entries["parameter"]),
        targets=tuple(Target(**t) for t in entries["target"]),
        particles=sizes["particles"],
        generations=sizes["generations"],
        max_evaluations=sizes.get("max_evaluations"),
        quantile=quantile,
        seed=sizes["seed"],
    )


_BUILDERS = {"search": _search, "discover": _discover, "calibrate": _calibrate}
