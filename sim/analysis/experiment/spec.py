"""A validated experiment: its base scenario(s), varied parameters, design and sizes.

:class:`Experiment` is what :func:`~sim.analysis.experiment.files.load` returns
for an experiment file; :meth:`Experiment.build_design` turns it into design
points (:mod:`sim.analysis.experiment.design`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from sim.analysis.experiment import design as designs
from sim.analysis.experiment.schema import DEFAULTS, RANGE_DESIGNS, Value, check_sizes
from sim.analysis.sensitivity import Problem
from sim.analysis.text import param_value
from sim.errors import InputError
from sim.fileio import display_path
from sim.parameters import registry as params
from sim.scenarios import Scenario

__all__ = ["Experiment", "Vary"]


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
        """The parameter's definition in the registry (:mod:`sim.parameters.registry`)."""
        return params.by_name(self.parameter)

    def describe(self) -> str:
        """Return ``name in [low, high]`` or ``name = v1, v2, ...``."""
        if self.values:
            return f"{self.parameter} = {', '.join(param_value(v) for v in self.values)}"
        return f"{self.parameter} in [{param_value(self.low)}, {param_value(self.high)}]"


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
        checked = check_sizes(changes, origin, problems)
        updated = replace(self, **checked) if not problems else self
        if not problems:
            problems = updated.consistency_problems(origin)
        if problems:
            raise InputError(problems[0], problems=problems)
        return updated

    def with_overrides(self, settings: Mapping[str, Any], origin: str = "overrides") -> Experiment:
        """Return a copy whose base scenario(s) have some parameters changed.

        Args:
            settings: dotted names and values, e.g. from :func:`sim.scenarios.parse_set`.
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
                f"{self.population}; change the experiment's population instead",
                arguments=("population",),
            )
        base = self.base.with_overrides(settings, name=self.base.name, origin=origin)
        scenarios = tuple(
            s.with_overrides(settings, name=s.name, origin=origin) for s in self.scenarios
        )
        checked = {name: base.params[name] for name in settings}
        return replace(self, base=base, scenarios=scenarios, settings={**self.settings, **checked})

    def consistency_problems(self, origin: str) -> list[str]:
        """Problems across keys: the window must fit the run; population not also varied."""
        problems = []
        if self.population is not None and "workforce.population" in self.parameters:
            problems.append(
                f"{origin}: experiment.population: workforce.population is also varied "
                "([[vary]]); remove one of them"
            )
        if self.window > self.steps:
            problems.append(
                f"{origin}: experiment.window = {self.window} is longer than the run "
                f"(steps = {self.steps}); the window is the last months of each run"
            )
        return problems

    def problem(self) -> Problem:
        """The sensitivity problem: varied parameters, their ranges and which are whole numbers.

        Raises:
            InputError: the design has no ranges (a grid or scenarios).

        """
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

    def build_design(self, method: str | None = None) -> designs.Design:
        """Return the design points as scenarios (deterministic given the file and seed).

        Args:
            method: ``morris`` or ``sobol`` to sample a range design by that
                method instead of the file's ``design`` (``cadre-sim
                sensitivity --method``); default: the file's design.

        Raises:
            InputError: the method does not fit the experiment.

        """
        return designs.build(self, method)

    def design_from_matrix(self, matrix: np.ndarray, method: str) -> designs.Design:
        """Turn sampled parameter values (one row per point) into a design.

        Integer parameters are rounded; every value is checked against the
        parameter's allowed range.
        """
        return designs.from_matrix(self, matrix, method)

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
