"""A single run: one scenario, one seed, written to a run folder (``cadre-sim run``).

:func:`run_single` simulates (:func:`sim.runs.execute.simulate`), describes
the run (:func:`sim.runs.provenance.run_metadata`) and writes its folder
through the store (:func:`sim.runs.store.write_run_folder`): the time
series, the resolved scenario and the metadata. The output folder is checked
before the model runs, so a bad one costs nothing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import InputError, Problem
from sim.parameters.names import name_problem
from sim.runs import provenance, store
from sim.runs.execute import simulate

if TYPE_CHECKING:
    import pandas as pd

    from sim.parameters.timeline import PolicyChange
    from sim.scenarios import Scenario

__all__ = ["SingleRun", "changes_after_end", "check_run_name", "run_single"]


@dataclass(frozen=True)
class SingleRun:
    """A finished single run.

    Attributes:
        out: its run folder.
        timeseries: the monthly time series (as written).
        metadata: its ``metadata.json`` record.
        wall_seconds: seconds the simulation took.

    """

    out: Path
    timeseries: pd.DataFrame
    metadata: dict[str, Any]
    wall_seconds: float


def changes_after_end(scenario: Scenario, steps: int) -> list[PolicyChange]:
    """The timeline changes that start after the last of ``steps`` simulated months."""
    return [change for change in scenario.timeline if change.start > steps]


def check_run_name(scenario: Scenario) -> None:
    """Raise ``InputError`` unless the scenario's name can name its run and folder.

    The name (``[scenario] name``, else the file name) is written into the
    run folder's ``scenario.toml``, which must load back, and names the
    default output folder; it is checked before anything is simulated.
    """
    problem = name_problem(scenario.name)
    if problem is not None:
        origin = f" (from the file name {scenario.path.name})" if scenario.path else ""
        raise InputError(
            f"scenario name{origin} cannot name a run: {problem}; rename the file or give "
            'the scenario a name with [scenario] name = "..."',
            arguments=("scenarios",),
        )


def _check_counts(steps: int, seed: int) -> None:
    """Raise ``InputError`` unless ``steps >= 1`` and ``seed >= 0`` are whole numbers."""
    problems = [
        Problem(f"{label} must be a whole number >= {low}, got {value!r}", (label,))
        for label, value, low in (("steps", steps, 1), ("seed", seed, 0))
        if isinstance(value, bool) or not isinstance(value, int) or value < low
    ]
    if problems:
        raise InputError(problems[0], problems=problems)


def run_single(
    scenario: Scenario,
    *,
    steps: int,
    seed: int,
    out: str | os.PathLike[str],
    progress: bool = False,
    settings: Sequence[str] = (),
    command: Sequence[str] | None = None,
) -> SingleRun:
    """Run ``scenario`` once with ``seed`` for ``steps`` months and write its run folder.

    Args:
        scenario: the resolved scenario (overrides already applied).
        steps: months to simulate.
        seed: the model's random seed.
        out: the run folder; an existing run folder there is replaced.
        progress: show a progress bar on standard error when it is a terminal.
        settings: the ``group.key=value`` overrides given, recorded in the metadata.
        command: the command line that started the run, recorded in the metadata.

    Raises:
        InputError: bad steps or seed, a name that cannot name the run, or
            ``out`` cannot hold a run folder.

    """
    _check_counts(steps, seed)
    check_run_name(scenario)
    folder = Path(out)
    store.check_run_folder(folder)
    started = provenance.now()
    clock = time.perf_counter()
    frame = simulate(scenario, steps=steps, seed=seed, progress=progress)
    wall = time.perf_counter() - clock
    metadata = provenance.run_metadata(
        scenario,
        seed=seed,
        steps=steps,
        started=started,
        finished=provenance.now(),
        wall_seconds=wall,
        settings=settings,
        command=command,
    )
    store.write_run_folder(folder, scenario, frame, metadata)
    return SingleRun(out=folder, timeseries=frame, metadata=metadata, wall_seconds=wall)
