"""The experiment file's keys and defaults, and the checks of its single values.

Every parameter value an experiment names (``[set]``, grid ``values``, range
``low``/``high``, ``population``, sampled points) is checked by the one
parameter validator, :func:`sim.parameters.values.coerce_value`; every name
that becomes a folder by :func:`sim.parameters.names.name_problem`. A
problem is recorded as one line naming the file, the key, the value and
what is allowed, and checking goes on, so a file's problems are all
reported at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import sim
from sim.errors import hint, suggest
from sim.fileio import show_value
from sim.model import OUTPUTS
from sim.parameters import registry as params
from sim.parameters.values import Value, coerce_value
from sim.runs import store

__all__ = [
    "DEFAULTS",
    "DESIGNS",
    "DESIGN_FILE",
    "EXPERIMENT_DIR",
    "EXPERIMENT_FILE",
    "RANGE_DESIGNS",
    "SENSITIVITY_DESIGNS",
    "SWEEP_FILE",
    "SWEEP_REPORT",
    "Value",
    "allowed",
    "check_sizes",
    "check_value",
    "known_parameter",
    "sampled_value",
    "unknown_key",
    "whole_number",
]

#: The folder of the shipped experiments (``experiments/`` in the repository).
EXPERIMENT_DIR: Path = Path(sim.__file__).resolve().parent.parent / "experiments"
#: Kinds of decision experiments (``cadre-sim search|discover|calibrate``); their files
#: are named ``<kind>_*.toml`` and are not sweeps.
DECISION_KINDS: tuple[str, ...] = ("search", "discover", "calibrate")
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

TOP_KEYS: tuple[str, ...] = ("experiment", "set", "vary")
#: Smallest allowed value of each whole-number size that is not a model parameter.
SIZE_LOW: Mapping[str, int] = {
    "replicates": 1,
    "steps": 1,
    "seed": 0,
    "window": 1,
    "samples": 2,
    "trajectories": 2,
    "levels": 2,
    "base_samples": 2,
}
#: ``population`` is the model parameter of that name, checked as such.
POPULATION = "workforce.population"
SIZE_KEYS: tuple[str, ...] = (
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
EXPERIMENT_KEYS: tuple[str, ...] = (
    "name",
    "description",
    "scenario",
    "scenarios",
    "design",
    *SIZE_KEYS,
)
VARY_KEYS: tuple[str, ...] = ("parameter", "values", "low", "high", "points")


def unknown_key(origin: str, where: str, key: str, allowed_keys: Sequence[str], what: str) -> str:
    """Return a one-line message for an unknown key, with the closest allowed one."""
    close = suggest(key, allowed_keys)
    if close:
        return f"{origin}: {where}: unknown {what} (did you mean '{close}'?)"
    return f"{origin}: {where}: unknown {what} (allowed: {', '.join(allowed_keys)})"


def known_parameter(name: str, where: str, problems: list[str]) -> params.Param | None:
    """Return the parameter called ``name``, or record ``where: unknown parameter``."""
    try:
        return params.by_name(name)
    except KeyError:
        extra = hint(name, [p.name for p in params.PARAMS]) or " (names are group.key)"
        problems.append(f"{where}: unknown parameter{extra}")
        return None


def allowed(param: params.Param) -> str:
    """Return what a parameter accepts, for messages: ``numbers in [0.0, 1.0] (share)``."""
    if param.type is bool:
        return "true or false"
    kind = "whole numbers" if param.type is int else "numbers"
    return f"{kind} in [{param.low!r}, {param.high!r}] ({param.unit})"


def check_value(param: params.Param, value: Any, where: str, problems: list[str]) -> Value | None:
    """Return ``value`` in the parameter's type (the one validator), or record why not."""
    try:
        return coerce_value(param, value)
    except ValueError:
        problems.append(f"{where} = {show_value(value)}: {param.name} takes {allowed(param)}")
        return None


def sampled_value(param: params.Param, value: float) -> Value:
    """Return a sampled number as a parameter value: clipped, rounded if whole, validated."""
    number = min(max(float(value), float(param.low)), float(param.high))
    if param.type is int or param.type is bool:
        return coerce_value(param, param.type(round(number)))
    return coerce_value(param, number)


def whole_number(value: Any, low: int) -> bool:
    """Whether ``value`` is a whole number (an int, not a bool) of at least ``low``."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _check_metrics(value: Any, where: str, problems: list[str]) -> tuple[str, ...] | None:
    """Validate the ``metrics`` list: model outputs, at least one, no repeats."""
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
            extra = hint(str(item), OUTPUTS)
            problems.append(
                f"{where}: {show_value(item)} is not a model output{extra}; see sim.model.OUTPUTS"
            )
            continue
        good.append(item)
    return tuple(dict.fromkeys(good)) if len(good) == len(value) else None


def _check_size(key: str, value: Any, where: str, problems: list[str]) -> int | None:
    """Validate one whole-number size (``replicates``, ``levels``, ...)."""
    low = SIZE_LOW[key]
    if not whole_number(value, low):
        problems.append(f"{where} must be a whole number >= {low}, got {show_value(value)}")
        return None
    if key == "levels" and value % 2:
        problems.append(
            f"{where} = {value}: Morris levels must be even (4, 6, 8...) so that "
            "elementary effects are balanced"
        )
        return None
    if key == "base_samples" and value & (value - 1):
        problems.append(
            f"{where} = {value}: Sobol' base samples must be a power of two (8, 16, 32, 64, ...)"
        )
        return None
    return int(value)


def check_sizes(sizes: Mapping[str, Any], origin: str, problems: list[str]) -> dict[str, Any]:
    """Validate the size keys of ``[experiment]`` (or option overrides); return the good ones."""
    out: dict[str, Any] = {}
    for key, value in sizes.items():
        where = f"{origin}: experiment.{key}"
        if key == "metrics":
            checked: Any = _check_metrics(value, where, problems)
        elif key == "population":
            checked = check_value(params.by_name(POPULATION), value, where, problems)
        else:
            checked = _check_size(key, value, where, problems)
        if checked is not None:
            out[key] = checked
    return out
