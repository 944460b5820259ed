"""Checking what a batch is asked to do, before anything is written.

The scenarios (loaded, overridden, named by the one name rule
:func:`sim.parameters.names.name_problem`), the counts, the summary metrics,
and whether a resume asks for the batch its folder holds. Every problem is
an :class:`~sim.errors.InputError` naming the argument at fault.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.errors import InputError, Problem, suggest
from sim.parameters.names import name_problem
from sim.runs import store
from sim.runs.seeding import SEEDING

if TYPE_CHECKING:
    from sim.scenarios import Scenario

__all__ = [
    "check_counts",
    "check_metrics",
    "check_names",
    "check_resume",
    "prepare_scenarios",
]


def _as_scenario(item: Scenario | str | os.PathLike[str]) -> Scenario:
    """Return a Scenario as is, or load a shipped name or path."""
    from sim.scenarios import Scenario, load

    if isinstance(item, Scenario):
        return item
    if isinstance(item, str | os.PathLike):
        return load(item)
    raise InputError(f"not a scenario, name or path: {item!r}", arguments=("scenarios",))


def prepare_scenarios(
    scenarios: Iterable[Scenario | str | os.PathLike[str]],
    population: int | None,
    overrides: Mapping[str, Any] | None,
) -> list[Scenario]:
    """Load ``scenarios`` and apply ``population`` and ``overrides`` to each (names kept)."""
    loaded = [_as_scenario(item) for item in scenarios]
    changes: dict[str, Any] = dict(overrides or {})
    if population is not None:
        changes["workforce.population"] = population
    if not changes:
        return loaded
    return [s.with_overrides(changes, name=s.name, origin="batch overrides") for s in loaded]


def check_names(scenarios: Sequence[Scenario]) -> None:
    """Names must be distinct and usable as folder names.

    Raises:
        InputError: one line per bad or repeated name.

    """
    problems = []
    seen: set[str] = set()
    for scenario in scenarios:
        problem = name_problem(scenario.name)
        if problem is not None:
            problems.append(f"scenario name cannot name a results folder: {problem}")
        elif scenario.name in seen:
            problems.append(
                f"scenario name {scenario.name!r} is given twice; give each scenario a "
                "distinct name, e.g. with_overrides({...}, name='...')"
            )
        seen.add(scenario.name)
    if problems:
        raise InputError(problems[0], problems=problems, arguments=("scenarios",))


def check_resume(
    folder: Path,
    manifest: Mapping[str, Any],
    scenarios: Sequence[Scenario],
    steps: int | None,
    root_seed: int | None,
    replicates: int | None,
) -> None:
    """Raise ``InputError`` if a resume asks for another batch than the folder holds."""
    where = folder / store.MANIFEST
    problems: list[Problem] = []

    def problem(text: str, *arguments: str) -> None:
        problems.append(Problem(f"cannot resume: {text}", arguments))

    if manifest.get("seeding") != SEEDING:
        problem(f"{where} was seeded another way ({manifest.get('seeding')!r})")
    if steps is not None and steps != manifest["steps"]:
        problem(
            f"steps {steps} differs from the batch's {manifest['steps']} steps in {where}", "steps"
        )
    if root_seed is not None and root_seed != manifest["root_seed"]:
        problem(
            f"root seed {root_seed} differs from the batch's root seed {manifest['root_seed']} "
            f"in {where}",
            "root_seed",
        )
    if replicates is not None and replicates < manifest["replicates"]:
        problem(
            f"replicates {replicates} is fewer than the batch's {manifest['replicates']} "
            f"in {where} (more extend the batch)",
            "replicates",
        )
    recorded = {s["name"]: s["digest"] for s in manifest["scenarios"]}
    given = {s.name: s.digest() for s in scenarios}
    for name, digest in given.items():
        if name not in recorded:
            problem(f"scenario {name!r} is not in the batch in {where}", "scenarios")
        elif digest != recorded[name]:
            problem(
                f"scenario {name!r} differs from the one in the batch in {where} "
                f"(digest {digest[:12]} vs {recorded[name][:12]}: other parameters or overrides)",
                "scenarios",
                "overrides",
            )
    for name in recorded:
        if name not in given:
            problem(f"the batch in {where} also has scenario {name!r}, which was not given")
    if problems:
        raise InputError(problems[0], problems=problems)


def check_counts(replicates: int, steps: int, root_seed: int, window: int) -> None:
    """Raise ``InputError`` for out-of-range counts."""
    problems = []
    for label, argument, value, low in (
        ("replicates", "replicates", replicates, 1),
        ("steps", "steps", steps, 1),
        ("seed", "root_seed", root_seed, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            problems.append(
                Problem(f"{label} must be a whole number >= {low}, got {value!r}", (argument,))
            )
    if not problems and not 1 <= window <= steps:
        problems.append(
            Problem(
                f"summary window {window} is outside 1..{steps} (the run length)",
                ("summary_window",),
            )
        )
    if problems:
        raise InputError(problems[0], problems=problems)


def check_metrics(metrics: Sequence[str]) -> tuple[str, ...]:
    """Return the summary metrics without repeats; each must be a run file's column.

    Raises:
        InputError: one line per unknown metric, with a suggestion.

    """
    from sim.model import OUTPUTS

    wanted = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    problems = []
    for metric in wanted:
        if not store.is_known_output(metric):
            hint = suggest(metric, OUTPUTS)
            extra = f" (did you mean {hint!r}?)" if hint else ""
            problems.append(f"unknown summary metric {metric!r}{extra}; see sim.model.OUTPUTS")
    if problems:
        raise InputError(problems[0], problems=problems, arguments=("summary_metrics",))
    return tuple(dict.fromkeys(wanted))
