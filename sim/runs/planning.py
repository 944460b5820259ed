"""Planning a batch: everything a call asks for, checked before anything is written.

:func:`prepare_batch` loads the scenarios (or reads them from the folder to
resume), applies the population and overrides, checks the names, counts and
the resume against the folder's batch, and fixes the batch's columns; the
result is a :class:`BatchPlan`. Nothing is created, so a bad call leaves no
folder behind. The defaults of a new batch are owned here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import InputError
from sim.runs import checks, store

if TYPE_CHECKING:
    from sim.scenarios import Scenario

__all__ = [
    "DEFAULT_ROOT_SEED",
    "DEFAULT_STEPS",
    "DEFAULT_SUMMARY_METRICS",
    "DEFAULT_WINDOW",
    "BatchPlan",
    "prepare_batch",
]

#: Months simulated per run when a new batch does not say.
DEFAULT_STEPS = 120
#: Root seed of a new batch when none is given.
DEFAULT_ROOT_SEED = 0
#: Metrics summarised per run (averaged over the last ``summary_window`` months).
DEFAULT_SUMMARY_METRICS: tuple[str, ...] = ("flat_share", "active_share", "routine_share")
#: Months at the end of a run that per-run summaries average over.
DEFAULT_WINDOW = 12


@dataclass
class BatchPlan:
    """What a call of :func:`~sim.runs.batch.run_batch` will do, checked before anything is written.

    Attributes:
        existing: the manifest of the batch to resume (None for a new batch).
        legacy: the folder is of store format 1 and is upgraded first.
        scenarios: the scenarios, in batch order.
        replicates: runs per scenario.
        steps: months per run.
        root_seed: the batch's root seed.
        window: months the per-run summaries average over.
        columns: the batch's columns.
        notes: things worth telling the user.

    """

    existing: dict[str, Any] | None
    legacy: bool
    scenarios: list[Scenario]
    replicates: int
    steps: int
    root_seed: int
    window: int
    columns: list[list[str]]
    notes: list[str] = field(default_factory=list)


def _existing_batch(
    folder: Path, state: store.FolderState, resume: bool
) -> tuple[dict | None, bool]:
    """The manifest of the batch in ``folder`` (any format) and whether it is of format 1."""
    if state != "batch":
        return None, False
    if not resume:
        raise InputError(
            f"{folder} already holds a batch: resume it or choose another results folder",
            arguments=("resume", "out"),
        )
    data = store.read_manifest_data(folder)
    if data["format"] == store.LEGACY_FORMAT:
        return store.read_legacy_manifest(folder), True
    return store.read_manifest(folder), False


def prepare_batch(
    folder: Path | None,
    state: store.FolderState,
    scenarios: Iterable[Scenario | str | os.PathLike[str]] | None,
    replicates: int | None,
    steps: int | None,
    root_seed: int | None,
    *,
    resume: bool,
    population: int | None,
    overrides: Mapping[str, Any] | None,
    summary_window: int | None,
) -> BatchPlan:
    """Check everything a call of :func:`~sim.runs.batch.run_batch` asks for; write nothing.

    Raises:
        InputError: every problem with the scenarios, their names, the
            counts, or (``folder`` holding a batch) the resume.

    """
    existing, legacy = _existing_batch(folder, state, resume) if folder else (None, False)
    notes = []
    if scenarios is None:
        if existing is None:
            where = f" in {folder}" if folder is not None else ""
            raise InputError(
                f"no scenarios given, and no batch recorded{where} to resume (a batch stopped "
                "before its manifest was first written needs its scenarios again)",
                arguments=("scenarios",),
            )
        reader = store.read_legacy_scenarios if legacy else store.read_scenarios
        given = reader(folder, existing)
    else:
        given = list(scenarios)
        if resume and existing is None:
            notes.append(f"no batch was recorded in {folder} yet: starting it")
    chosen = checks.prepare_scenarios(given, population, overrides)
    if existing is not None:
        order = {entry["name"]: i for i, entry in enumerate(existing["scenarios"])}
        chosen.sort(key=lambda s: order.get(s.name, len(order)))
    if not chosen:
        raise InputError("no scenarios given", arguments=("scenarios",))
    checks.check_names(chosen)
    columns = store.batch_columns(chosen)
    if existing is not None:
        checks.check_resume(folder, existing, chosen, steps, root_seed, replicates)
        if not legacy and existing["columns"] != columns:
            raise InputError(
                f"cannot resume: the batch in {folder} has other columns than this version "
                "of cadre-sim writes (another version's outputs); finish it with that version"
            )
        replicates = replicates if replicates is not None else existing["replicates"]
        steps, root_seed = existing["steps"], existing["root_seed"]
    elif replicates is None:
        raise InputError("replicates is required for a new batch", arguments=("replicates",))
    steps = DEFAULT_STEPS if steps is None else steps
    root_seed = DEFAULT_ROOT_SEED if root_seed is None else root_seed
    window = min(DEFAULT_WINDOW, steps) if summary_window is None else summary_window
    checks.check_counts(replicates, steps, root_seed, window)
    return BatchPlan(
        existing=existing,
        legacy=legacy,
        scenarios=chosen,
        replicates=int(replicates),
        steps=int(steps),
        root_seed=int(root_seed),
        window=int(window),
        columns=columns,
        notes=notes,
    )
