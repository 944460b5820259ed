"""Reading a batch's results for analysis: the tidy series and per-run summaries.

:func:`load` gives every finished run's monthly series as one tidy
DataFrame; :func:`summaries` one row per run, each metric averaged over the
run's last months. Both read the run files themselves (not the manifest's
status), so they see every run that has finished.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import IncompleteResultsError, InputError, suggest
from sim.model.outputs import is_output_name
from sim.parameters import registry as params
from sim.runs.store.layout import ID_COLUMNS, run_files
from sim.runs.store.manifest import read_manifest, scenario_names
from sim.runs.store.runfile import read_run_meta, summarise_file

__all__ = ["check_metrics", "is_known_output", "load", "summaries"]


def _select_scenarios(
    manifest: Mapping[str, Any], folder: Path, scenarios: Iterable[str] | None
) -> list[str]:
    """Return the requested scenario names in batch order (``InputError`` if unknown)."""
    names = scenario_names(manifest)
    if scenarios is None:
        return names
    wanted = [scenarios] if isinstance(scenarios, str) else list(scenarios)
    unknown = [name for name in wanted if name not in names]
    if unknown:
        problems = []
        for name in unknown:
            hint = suggest(name, names)
            extra = f" (did you mean {hint!r}?)" if hint else ""
            problems.append(
                f"scenario {name!r} is not in the batch in {folder}{extra}; "
                f"it has: {', '.join(names)}"
            )
        raise InputError(problems[0], problems=problems)
    return [name for name in names if name in wanted]


def _finished_runs(
    folder: Path, manifest: Mapping[str, Any], names: Sequence[str]
) -> list[tuple[str, int, Path]]:
    """Every finished run file of the given scenarios, in batch order."""
    runs = [
        (name, replicate, file) for name in names for replicate, file in run_files(folder, name)
    ]
    if not runs:
        raise IncompleteResultsError(
            f"no finished runs in {folder} yet: resume its batch to run them", folder
        )
    return runs


def _unreadable(file: Path, folder: Path, exc: BaseException) -> InputError:
    """Return the error for a damaged run file (resuming the batch redoes it)."""
    return IncompleteResultsError(
        f"run file {file} is unreadable (corrupt?): {exc}; resume its batch to rerun it", folder
    )


def _available_columns(runs: Sequence[tuple[str, int, Path]], folder: Path) -> list[str]:
    """Union of the columns of the first run file of each scenario, in order."""
    seen: dict[str, None] = {}
    first: dict[str, Path] = {}
    for name, _, file in runs:
        first.setdefault(name, file)
    for file in first.values():
        try:
            names = pq.read_schema(file).names
        except (OSError, pa.ArrowException) as exc:
            raise _unreadable(file, folder, exc) from None
        seen.update(dict.fromkeys(names))
    return list(seen)


def check_metrics(metrics: Iterable[str], available: Sequence[str], where: str) -> list[str]:
    """Return ``metrics`` as a list if every one is an output column, else raise.

    Raises:
        InputError: one line per unknown metric, with a suggestion.

    """
    wanted = [metrics] if isinstance(metrics, str) else list(metrics)
    if not wanted:
        raise InputError(
            f"no metric given; choose from the outputs in {where}", arguments=("metrics",)
        )
    candidates = [c for c in available if c not in ID_COLUMNS]
    problems = []
    for metric in wanted:
        if metric not in candidates:
            hint = suggest(metric, candidates)
            extra = f" (did you mean {hint!r}?)" if hint else ""
            problems.append(
                f"unknown metric {metric!r} in {where}{extra}; outputs include "
                "flat_share, active_share, routine_share, mean_effort, innovations, "
                "false_reports (see docs/ODD.md)"
            )
    if problems:
        raise InputError(problems[0], problems=problems, arguments=("metrics",))
    return wanted


def load(
    path: str | os.PathLike[str],
    scenarios: Iterable[str] | None = None,
    columns: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Load a batch's finished runs as one tidy DataFrame.

    Args:
        path: a results folder written by :func:`sim.batch.run_batch`.
        scenarios: names of the scenarios to load (default: all, in batch order).
        columns: output columns to load besides ``scenario``, ``replicate``,
            ``seed`` and ``month`` (default: all). A column that only some
            scenarios have (a timeline parameter) is NaN for the others.

    Returns:
        One row per run and month: ``scenario`` (categorical, in batch order),
        ``replicate``, ``seed``, ``month``, then the outputs; sorted by
        scenario, replicate and month.

    Raises:
        InputError: a foreign or corrupt folder, an unknown scenario or
            column, no finished runs, or a damaged run file.

    """
    folder = Path(path)
    manifest = read_manifest(folder)
    names = _select_scenarios(manifest, folder, scenarios)
    runs = _finished_runs(folder, manifest, names)
    wanted: list[str] | None = None
    if columns is not None:
        available = _available_columns(runs, folder)
        extra = [c for c in check_metrics(columns, available, str(folder)) if c not in ID_COLUMNS]
        wanted = [*ID_COLUMNS, *dict.fromkeys(extra)]
    tables = []
    for _, _, file in runs:
        try:
            handle = pq.ParquetFile(file, page_checksum_verification=True)
            present = (
                None if wanted is None else [c for c in wanted if c in handle.schema_arrow.names]
            )
            tables.append(handle.read(columns=present))
        except (OSError, pa.ArrowException) as exc:
            raise _unreadable(file, folder, exc) from None
    table = pa.concat_tables(tables, promote_options="permissive")
    frame = table.to_pandas()
    if wanted is not None:
        frame = frame.reindex(columns=wanted)
    frame["scenario"] = pd.Categorical(frame["scenario"], categories=names, ordered=True)
    frame = frame.sort_values(["scenario", "replicate", "month"], kind="stable")
    return frame.reset_index(drop=True)


def summaries(
    path: str | os.PathLike[str],
    metrics: Iterable[str] = ("flat_share",),
    window: int = 12,
    scenarios: Iterable[str] | None = None,
) -> pd.DataFrame:
    """One row per finished run: each metric averaged over the run's last ``window`` months.

    Only the ``month`` column and the requested metrics are read from each
    run file, one file at a time, so this stays cheap over thousands of runs.

    Returns:
        Columns ``scenario`` (categorical, batch order), ``replicate``,
        ``seed`` and one column per metric, sorted by scenario and replicate.

    Raises:
        InputError: a foreign or corrupt folder, an unknown scenario or
            metric, a window outside ``1..steps``, or a damaged run file.

    """
    folder = Path(path)
    manifest = read_manifest(folder)
    names = _select_scenarios(manifest, folder, scenarios)
    steps = int(manifest["steps"])
    if not 1 <= int(window) <= steps:
        raise InputError(
            f"window {window} is outside 1..{steps} (the batch ran {steps} months)",
            arguments=("window",),
        )
    runs = _finished_runs(folder, manifest, names)
    wanted = check_metrics(metrics, _available_columns(runs, folder), str(folder))
    records = []
    for name, replicate, file in runs:
        try:
            meta = read_run_meta(file)
            means = summarise_file(file, wanted, int(window))
        except (OSError, ValueError, pa.ArrowException) as exc:
            raise _unreadable(file, folder, exc) from None
        records.append(
            {"scenario": name, "replicate": replicate, "seed": int(meta["seed"]), **means}
        )
    frame = pd.DataFrame.from_records(records, columns=["scenario", "replicate", "seed", *wanted])
    frame["scenario"] = pd.Categorical(frame["scenario"], categories=names, ordered=True)
    frame["replicate"] = frame["replicate"].astype("int64")
    frame["seed"] = frame["seed"].astype("int64")
    return frame


def is_known_output(name: str) -> bool:
    """Whether ``name`` can be a column of a run file (an output or a parameter)."""
    if is_output_name(name):
        return True
    try:
        params.by_name(name)
    except KeyError:
        return False
    return True
