"""Reading a batch's results for analysis: the tidy series and per-run summaries.

:func:`load` gives the finished runs' monthly series as one tidy DataFrame;
:func:`summaries` one row per run, each metric averaged over the run's last
months. Both read only what the manifest lists, and only what they need
(the row groups of the chosen scenarios, the chosen columns), checked
against the manifest (:func:`sim.runs.store.catalog.read_runs`); a file the
manifest does not list is named in one warning line and never read, and a
listed file that does not verify stops the read (resuming the batch redoes
its runs).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sim.errors import IncompleteResultsError, InputError, suggest
from sim.fileio import os_errors_as_input
from sim.model.outputs import is_output_name
from sim.parameters import registry as params
from sim.runs.store.catalog import done_by_file, read_runs, warn_strays
from sim.runs.store.layout import ID_COLUMNS
from sim.runs.store.manifest import read_manifest, scenario_names
from sim.runs.store.parts import DamagedFileError

__all__ = [
    "check_metrics",
    "is_known_output",
    "load",
    "run_means",
    "summaries",
    "table_window_means",
    "window_means",
]


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


def _finished(folder: Path, manifest: Mapping[str, Any], names: Sequence[str]) -> dict:
    """The listed finished runs of ``names`` by data file (error if there are none)."""
    by_file = done_by_file(manifest, set(names))
    if not by_file:
        raise IncompleteResultsError(
            f"no finished runs in {folder} yet: resume its batch to run them", folder
        )
    return by_file


def _damaged(exc: DamagedFileError, folder: Path) -> IncompleteResultsError:
    """The error for a listed data file that does not verify (resuming redoes its runs)."""
    return IncompleteResultsError(f"{exc}; resume its batch to rerun its runs", folder)


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


def _columns_of(manifest: Mapping[str, Any]) -> list[str]:
    """The batch's column names, in file order."""
    return [name for name, _ in manifest["columns"]]


def _check_months(months: tuple[int, int] | None, steps: int) -> tuple[int, int] | None:
    """A month window ``(first, last)`` inside ``0..steps`` (``InputError`` otherwise)."""
    if months is None:
        return None
    first, last = (int(m) for m in months)
    if not 0 <= first <= last <= steps:
        raise InputError(
            f"month window {first}..{last} is outside 0..{steps} (the batch ran {steps} months)",
            arguments=("months",),
        )
    return first, last


def load(
    path: str | os.PathLike[str],
    scenarios: Iterable[str] | None = None,
    columns: Iterable[str] | None = None,
    months: tuple[int, int] | None = None,
) -> pd.DataFrame:
    """Load a batch's finished runs as one tidy DataFrame.

    Args:
        path: a results folder written by :func:`sim.batch.run_batch`.
        scenarios: names of the scenarios to load (default: all, in batch order).
        columns: output columns to load besides ``scenario``, ``replicate``,
            ``seed`` and ``month`` (default: all, and then every run's
            content digest is checked too).
        months: ``(first, last)``: only these months (inclusive; default all).

    Returns:
        One row per run and month: ``scenario`` (categorical, in batch order),
        ``replicate``, ``seed``, ``month``, then the columns, in the batch's
        column order; sorted by scenario, replicate and month.

    Raises:
        InputError: a foreign or corrupt folder, an unknown scenario or
            column, no finished runs, or a listed data file that does not
            verify.

    """
    folder = Path(path)
    with os_errors_as_input(folder, "cannot read"):
        manifest = read_manifest(folder)
        names = _select_scenarios(manifest, folder, scenarios)
        window = _check_months(months, int(manifest["steps"]))
        wanted: list[str] | None = None
        if columns is not None:
            chosen = check_metrics(columns, _columns_of(manifest), str(folder))
            wanted = [c for c in _columns_of(manifest) if c in chosen and c not in ID_COLUMNS]
        by_file = _finished(folder, manifest, names)
        warn_strays(folder, manifest)
        tables = []
        for file, records in by_file.items():
            try:
                table = read_runs(folder, manifest, file, records, wanted, verify=wanted is None)
            except DamagedFileError as exc:
                raise _damaged(exc, folder) from None
            if window is not None:
                month = table.column("month")
                keep = pc.and_(pc.greater_equal(month, window[0]), pc.less_equal(month, window[1]))
                table = table.filter(keep)
            tables.append(table)
    frame = pa.concat_tables(tables).to_pandas()
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

    Only ``month`` and the requested metrics are read (with the identifying
    columns), one data file at a time, so this stays cheap over many runs.

    Returns:
        Columns ``scenario`` (categorical, batch order), ``replicate``,
        ``seed`` and one column per metric, sorted by scenario and replicate.

    Raises:
        InputError: a foreign or corrupt folder, an unknown scenario or
            metric, a window outside ``1..steps``, or a listed data file
            that does not verify.

    """
    folder = Path(path)
    with os_errors_as_input(folder, "cannot read"):
        manifest = read_manifest(folder)
        names = _select_scenarios(manifest, folder, scenarios)
        steps = int(manifest["steps"])
        if not 1 <= int(window) <= steps:
            raise InputError(
                f"window {window} is outside 1..{steps} (the batch ran {steps} months)",
                arguments=("window",),
            )
        wanted = check_metrics(metrics, _columns_of(manifest), str(folder))
        by_file = _finished(folder, manifest, names)
        warn_strays(folder, manifest)
        parts = []
        for file, records in by_file.items():
            try:
                table = read_runs(folder, manifest, file, records, wanted)
            except DamagedFileError as exc:
                raise _damaged(exc, folder) from None
            means = run_means(table, wanted, int(window), len(records))
            means.insert(0, "scenario", [r["scenario"] for r in records])
            means.insert(1, "replicate", [int(r["replicate"]) for r in records])
            means.insert(2, "seed", [int(r["seed"]) for r in records])
            parts.append(means)
    frame = pd.concat(parts, ignore_index=True)
    frame["scenario"] = pd.Categorical(frame["scenario"], categories=names, ordered=True)
    frame["replicate"] = frame["replicate"].astype("int64")
    frame["seed"] = frame["seed"].astype("int64")
    frame = frame.sort_values(["scenario", "replicate"], kind="stable")
    return frame.reset_index(drop=True)[["scenario", "replicate", "seed", *wanted]]


def _nan_means(block: np.ndarray) -> np.ndarray:
    """Row means skipping NaN, computed exactly as :meth:`pandas.Series.mean` does per row."""
    missing = np.isnan(block)
    total = np.ascontiguousarray(np.where(missing, 0.0, block)).sum(axis=1)
    count = (~missing).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = total / count
    means[count == 0] = np.nan
    return means


def _window_columns(
    table: pa.Table, metrics: Sequence[str], window: int, runs: int
) -> dict[str, np.ndarray]:
    """Each metric's mean over the last ``window`` rows of each of ``runs`` equal runs.

    A metric the table lacks is NaN for every run.
    """
    rows = table.num_rows // runs if runs else 0
    tail = min(window, rows)
    present = set(table.column_names)
    out: dict[str, np.ndarray] = {}
    for metric in metrics:
        if metric not in present:
            out[metric] = np.full(runs, math.nan)
            continue
        values = table.column(metric).to_numpy(zero_copy_only=False).astype("float64")
        out[metric] = _nan_means(values.reshape(runs, rows)[:, rows - tail :])
    return out


def run_means(table: pa.Table, metrics: Sequence[str], window: int, runs: int) -> pd.DataFrame:
    """:func:`window_means` of each of ``runs`` equally long runs stored one after another.

    ``table`` holds the runs contiguously, months in order (as
    :func:`~sim.runs.store.catalog.read_runs` returns them); the result has
    one row per run and one column per metric (NaN if absent), bit for bit
    what :func:`window_means` gives for each run's frame.
    """
    return pd.DataFrame(_window_columns(table, metrics, window, runs), columns=list(metrics))


def window_means(frame: pd.DataFrame, metrics: Sequence[str], window: int) -> dict[str, float]:
    """Mean of each metric over the last ``window`` months of one run's series.

    The last ``window`` months are ``last - window < month <= last``; missing
    values (e.g. ``reputation_cleared`` in months with nobody cleared) are
    skipped, and a metric with no value in the window, or absent from the
    frame, is NaN.
    """
    last = int(frame["month"].max())
    tail = frame.loc[frame["month"] > last - window]
    out: dict[str, float] = {}
    for metric in metrics:
        if metric in tail.columns:
            value = tail[metric].astype("float64").mean()
            out[metric] = float(value) if not pd.isna(value) else math.nan
        else:
            out[metric] = math.nan
    return out


def table_window_means(table: pa.Table, metrics: Sequence[str], window: int) -> dict[str, float]:
    """:func:`window_means` of one run's table, bit for bit, without converting it to pandas.

    The table holds one row per month, months in order (as every stored run
    and :func:`~sim.runs.store.as_batch_table` of a run's series do).
    """
    means = _window_columns(table, metrics, window, 1)
    out: dict[str, float] = {}
    for metric in metrics:
        value = float(means[metric][0])
        out[metric] = math.nan if math.isnan(value) else value
    return out


def is_known_output(name: str) -> bool:
    """Whether ``name`` can be a column of a run (an output or a parameter)."""
    if is_output_name(name):
        return True
    try:
        params.by_name(name)
    except KeyError:
        return False
    return True
