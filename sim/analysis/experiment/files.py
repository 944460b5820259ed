"""Reading experiment files: TOML data validated into an :class:`~.spec.Experiment`.

An experiment file is validated as strictly as a scenario file: unknown keys
get a "did you mean", every parameter value goes through the one parameter
validator (:mod:`~sim.analysis.experiment.schema`), scenarios through the
scenario loader, and every problem is a one-line
:class:`~sim.errors.InputError` message naming the file and the key. All the
problems of a file are reported together.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sim import fileio
from sim.analysis.experiment.schema import (
    DECISION_KINDS,
    DEFAULTS,
    DESIGNS,
    EXPERIMENT_DIR,
    EXPERIMENT_KEYS,
    RANGE_DESIGNS,
    SIZE_KEYS,
    TOP_KEYS,
    VARY_KEYS,
    Value,
    check_sizes,
    check_value,
    known_parameter,
    sampled_value,
    unknown_key,
    whole_number,
)
from sim.analysis.experiment.spec import Experiment, Vary
from sim.errors import InputError, hint
from sim.fileio import display_path, show_value
from sim.parameters import registry as params
from sim.parameters.names import name_problem
from sim.scenarios import Scenario
from sim.scenarios import load as load_scenario
from sim.scenarios import shipped as shipped_scenarios

__all__ = ["from_dict", "load", "shipped"]


def shipped() -> list[str]:
    """Names of the shipped experiments (``experiments/*.toml``)."""
    if not EXPERIMENT_DIR.is_dir():
        return []
    decisions = tuple(f"{kind}_" for kind in DECISION_KINDS)
    return sorted(
        path.stem for path in EXPERIMENT_DIR.glob("*.toml") if not path.stem.startswith(decisions)
    )


def load(ref: str | os.PathLike[str]) -> Experiment:
    """Load and validate an experiment file.

    Args:
        ref: a path to a ``.toml`` file, or the name of a shipped experiment
            (``"tolerance_by_risk"``).

    Raises:
        InputError: every problem found, one line each, naming file and key.

    """
    path = fileio.locate(ref, EXPERIMENT_DIR, "experiment", shipped)
    shown = display_path(path)
    data = fileio.read_toml(path, "experiment")
    return from_dict(data, origin=shown, folder=path.parent, path=path)


def from_dict(
    data: Mapping[str, Any],
    origin: str = "<experiment data>",
    folder: str | os.PathLike[str] | None = None,
    path: Path | None = None,
) -> Experiment:
    """Validate experiment data in the layout of a file (see :mod:`sim.analysis.experiment`).

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
    for key in data:
        if key not in TOP_KEYS:
            problems.append(unknown_key(origin, key, key, TOP_KEYS, "top-level key"))
    meta = _meta_table(data.get("experiment", {}), origin, problems)
    default_name = path.stem if path is not None else "experiment"
    name = meta.get("name", default_name)
    problem = name_problem(name)
    if problem:
        problems.append(f"{origin}: experiment.name: {problem}")
    description = _text(meta, "description", origin, problems)
    design = _design(meta, origin, problems)
    sizes = check_sizes({k: meta[k] for k in SIZE_KEYS if k in meta}, origin, problems)
    settings = _settings(data.get("set", {}), origin, problems)
    base_folder = Path(folder) if folder is not None else Path.cwd()
    base, scenarios = _scenarios(meta, design, origin, base_folder, settings, problems)
    vary = _vary_entries(data.get("vary", []), design, origin, problems)
    problems += _vary_problems(data.get("vary", []), vary, design, settings, origin)
    if problems or base is None:
        raise InputError(problems[0] if problems else f"{origin}: invalid", problems=problems)
    experiment = Experiment(
        name=name,
        description=description,
        path=path,
        base=base,
        design=design,
        vary=tuple(vary),
        scenarios=tuple(scenarios),
        settings=dict(settings),
        **{**{k: v for k, v in DEFAULTS.items() if k != "design"}, **sizes},
    )
    problems = experiment.consistency_problems(origin)
    if problems:
        raise InputError(problems[0], problems=problems)
    return experiment


def _meta_table(meta: Any, origin: str, problems: list[str]) -> dict[str, Any]:
    """The ``[experiment]`` table, its unknown keys reported."""
    if not isinstance(meta, dict):
        problems.append(
            f"{origin}: experiment must be a table ([experiment]), got {show_value(meta)}"
        )
        return {}
    for key in meta:
        if key not in EXPERIMENT_KEYS:
            problems.append(
                unknown_key(
                    origin, f"experiment.{key}", key, EXPERIMENT_KEYS, "key in [experiment]"
                )
            )
    return meta


def _text(meta: Mapping[str, Any], key: str, origin: str, problems: list[str]) -> str:
    """A text value of ``[experiment]`` (empty if absent)."""
    value = meta.get(key, "")
    if not isinstance(value, str):
        problems.append(f"{origin}: experiment.{key} must be text, got {show_value(value)}")
        return ""
    return value


def _design(meta: Mapping[str, Any], origin: str, problems: list[str]) -> str:
    """The ``design`` of ``[experiment]`` (``grid`` if absent or unknown)."""
    design = meta.get("design", DEFAULTS["design"])
    if design in DESIGNS:
        return design
    extra = hint(str(design), DESIGNS)
    problems.append(
        f"{origin}: experiment.design = {show_value(design)} is not a design{extra}; "
        f"choose one of {', '.join(DESIGNS)}"
    )
    return DEFAULTS["design"]


def _vary_problems(
    raw: Any, vary: list[Vary], design: str, settings: Mapping[str, Value], origin: str
) -> list[str]:
    """Problems between ``[[vary]]`` and the design or ``[set]``."""
    problems = []
    if design == "scenarios" and vary:
        problems.append(
            f"{origin}: vary: a 'scenarios' design compares whole scenarios; "
            "remove the [[vary]] entries or choose another design"
        )
    if design != "scenarios" and isinstance(raw, list) and not raw:
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
    return problems


def _settings(raw: Any, origin: str, problems: list[str]) -> dict[str, Value]:
    """Validate the ``[set]`` table (dotted names or nested group tables)."""
    if not isinstance(raw, dict):
        problems.append(f"{origin}: set must be a table ([set]), got {show_value(raw)}")
        return {}
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, dict) and key in params.GROUPS:
            flat.update({f"{key}.{inner}": item for inner, item in value.items()})
        else:
            flat[key] = value
    checked: dict[str, Value] = {}
    for name, value in flat.items():
        where = f"{origin}: set.{name}"
        param = known_parameter(name, where, problems)
        if param is not None:
            good = check_value(param, value, where, problems)
            if good is not None:
                checked[name] = good
    return checked


def load_scenario_ref(ref: Any, where: str, folder: Path, problems: list[str]) -> Scenario | None:
    """Load a scenario named in an experiment (shipped name or path relative to ``folder``)."""
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
        base = load_scenario_ref(
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
        scenario = load_scenario_ref(
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
        if key not in VARY_KEYS:
            problems.append(
                unknown_key(origin, f"{label}.{key}", key, VARY_KEYS, "key in [[vary]]")
            )
    name = entry.get("parameter")
    if not isinstance(name, str):
        problems.append(
            f"{where}.parameter is missing or not text: name a parameter, "
            'e.g. parameter = "fault_tolerance.coverage"'
        )
        return None
    param = known_parameter(name, f"{where}.parameter = {name!r}", problems)
    if param is None:
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
        checked = [
            check_value(param, value, f"{where}.values[{index}]", problems)
            for index, value in enumerate(raw, start=1)
        ]
        values = [value for value in checked if value is not None]
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
    if not whole_number(points, 2):
        problems.append(
            f"{where}.points must be a whole number >= 2 (how many evenly spaced values "
            f"from low to high), got {show_value(points)}; or list values = [...]"
        )
    if len(problems) > count or low is None or high is None:
        return None
    grid = np.linspace(low, high, int(points))
    values = list(dict.fromkeys(sampled_value(param, x) for x in grid))
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
    """``low`` and ``high`` of an entry: values of the parameter (default: its whole range)."""
    low, high = (
        check_value(param, entry.get(key, fallback), f"{where}.{key}", problems)
        for key, fallback in (("low", param.low), ("high", param.high))
    )
    if low is None or high is None:
        return None, None
    if not low < high:
        problems.append(f"{where}: low = {show_value(low)} must be below high = {show_value(high)}")
        return None, None
    return float(low), float(high)
