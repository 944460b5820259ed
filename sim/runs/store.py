"""The on-disk results store of a batch, and loading it for analysis.

A batch (:func:`sim.batch.run_batch`, ``cadre-sim batch``) writes one folder::

    OUT/
      manifest.json                 provenance, seeds, every run's status (JSON)
      scenarios/<scenario>.json     each resolved scenario, as run
      runs/<scenario>/rep-0003.parquet
                                    one finished run: its monthly time series
      errors/<scenario>/rep-0003.txt
                                    traceback of a run that raised
      comparison.csv, comparison.md, figures/
                                    written by ``cadre-sim compare``

Each run file is an ordinary Parquet file, readable by any Parquet tool. Its
columns are ``scenario``, ``replicate``, ``seed``, ``month`` and then every
model output (:data:`sim.model.OUTPUTS` plus the by-level shares) and the
in-force value of every parameter the scenario's timeline changes (named by
dotted name). Its schema metadata key ``cadre_sim`` holds a JSON record of
the run (scenario digest, replicate, seed, steps, times), so a run file
describes itself even if the manifest is lost or stale.

A run file exists only once its run has finished: workers write to a hidden
temporary name and rename it into place, so a file under its final name is
always complete. The functions here read the store: :func:`load` for the
tidy time series, :func:`summaries` for one row per run, :func:`read_manifest`
and :func:`run_table` for provenance and status.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import InputError
from sim.parameters import registry as params

__all__ = [
    "ERRORS_DIR",
    "FIGURES_DIR",
    "FORMAT",
    "ID_COLUMNS",
    "KIND",
    "MANIFEST",
    "RUNS_DIR",
    "RUN_KIND",
    "SCENARIOS_DIR",
    "check_metrics",
    "is_known_output",
    "load",
    "read_manifest",
    "read_run_meta",
    "run_file",
    "run_files",
    "run_table",
    "scenario_names",
    "summarise_file",
    "summaries",
    "window_means",
    "write_run",
]

#: Name of the provenance file at the top of a results folder.
MANIFEST = "manifest.json"
#: ``kind`` of a batch manifest; any other kind is a foreign folder.
KIND = "cadre-sim batch"
#: Version of the store layout this code writes and reads.
FORMAT = 1
#: ``kind`` recorded in each run file's metadata.
RUN_KIND = "cadre-sim run"
#: Schema metadata key of a run file's JSON record.
RUN_META_KEY = b"cadre_sim"
#: Identifying columns at the front of every run file and loaded frame.
ID_COLUMNS: tuple[str, ...] = ("scenario", "replicate", "seed", "month")
#: Folder names inside a results folder.
RUNS_DIR = "runs"
SCENARIOS_DIR = "scenarios"
ERRORS_DIR = "errors"
FIGURES_DIR = "figures"

_REP_FILE = re.compile(r"^rep-(\d+)\.parquet$")
_BY_LEVEL = re.compile(r"^(flat|active)_share_level[1-9]\d*$")


# ---------------------------------------------------------------------------
# Paths and writing (used by the batch workers)
# ---------------------------------------------------------------------------


def run_file(out: str | os.PathLike[str], scenario: str, replicate: int) -> Path:
    """Return the path of replicate ``replicate`` of ``scenario`` in results folder ``out``."""
    return Path(out) / RUNS_DIR / scenario / f"rep-{replicate:04d}.parquet"


def write_run(frame: pd.DataFrame, path: Path, meta: Mapping[str, Any]) -> None:
    """Write one run's time series to ``path`` as Parquet and flush it to disk.

    ``meta`` is stored as JSON under the schema metadata key ``cadre_sim``.
    Page checksums are written so that damage is detected on reading. The
    caller writes to a temporary name and renames it into place.
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    metadata[RUN_META_KEY] = json.dumps(dict(meta), sort_keys=True).encode("utf-8")
    table = table.replace_schema_metadata(metadata)
    with open(path, "wb") as sink:
        pq.write_table(table, sink, compression="zstd", write_page_checksum=True)
        sink.flush()
        os.fsync(sink.fileno())


def read_run_meta(path: Path) -> dict[str, Any]:
    """Return the JSON record in a run file's metadata (``ValueError`` if absent)."""
    schema = pq.read_schema(path)
    raw = (schema.metadata or {}).get(RUN_META_KEY)
    if raw is None:
        raise ValueError(f"{path} has no cadre-sim run record")
    meta = json.loads(raw)
    if not isinstance(meta, dict) or meta.get("kind") != RUN_KIND:
        raise ValueError(f"{path} is not a cadre-sim run file")
    return meta


# ---------------------------------------------------------------------------
# Manifest
# ---------------------------------------------------------------------------


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check the manifest of results folder ``path``.

    Raises:
        InputError: the folder does not exist, has no manifest (a foreign
            folder), or its manifest is unreadable, of another kind, of a
            newer format or lacks required entries.

    """
    folder = Path(path)
    if not folder.exists():
        raise InputError(f"results folder {folder} does not exist")
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder: expected a batch results folder")
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise InputError(f"{folder} is not a cadre-sim batch results folder: it has no {MANIFEST}")
    try:
        data = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{manifest_path} is unreadable (corrupt?): {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{manifest_path} is corrupt: expected a JSON object")
    kind = data.get("kind")
    if kind != KIND:
        raise InputError(
            f"{manifest_path} is a manifest of another kind ({kind!r}), "
            f"not of a cadre-sim batch ({KIND!r})"
        )
    fmt = data.get("format")
    if not isinstance(fmt, int) or isinstance(fmt, bool) or fmt < 1:
        raise InputError(f"{manifest_path} is corrupt: 'format' is {fmt!r}")
    if fmt > FORMAT:
        raise InputError(
            f"{manifest_path} has store format {fmt}, written by a newer cadre-sim; "
            f"this version reads format {FORMAT}"
        )
    _check_manifest_entries(data, manifest_path)
    return data


def _check_manifest_entries(data: Mapping[str, Any], where: Path) -> None:
    """Raise ``InputError`` if a required manifest entry is missing or mistyped."""
    for key in ("steps", "replicates", "root_seed"):
        value = data.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InputError(f"{where} is corrupt: {key!r} is {value!r}")
    scenarios = data.get("scenarios")
    if not isinstance(scenarios, list) or not all(
        isinstance(s, dict) and isinstance(s.get("name"), str) and isinstance(s.get("digest"), str)
        for s in scenarios
    ):
        raise InputError(f"{where} is corrupt: 'scenarios' is not a list of name and digest")
    runs = data.get("runs")
    if not isinstance(runs, list) or not all(
        isinstance(r, dict)
        and isinstance(r.get("scenario"), str)
        and isinstance(r.get("replicate"), int)
        for r in runs
    ):
        raise InputError(f"{where} is corrupt: 'runs' is not a list of run records")


def scenario_names(manifest: Mapping[str, Any]) -> list[str]:
    """Scenario names of a batch, in the order they were given."""
    return [entry["name"] for entry in manifest["scenarios"]]


def run_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """One row per planned run from the manifest: seed, status, wall time, error.

    The manifest is updated while a batch runs (at most every few seconds)
    and at its end; after a killed batch it may show a finished run as
    pending until the batch is resumed. :func:`load` reads the run files
    themselves.
    """
    manifest = read_manifest(path)
    columns = ["scenario", "replicate", "seed", "status", "wall_time", "started", "finished"]
    frame = pd.DataFrame.from_records(manifest["runs"])
    for column in [*columns, "error"]:
        if column not in frame.columns:
            frame[column] = None
    return frame[[*columns, "error"]]


# ---------------------------------------------------------------------------
# Reading runs
# ---------------------------------------------------------------------------


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
            hint = params.suggest(name, names)
            extra = f" (did you mean {hint!r}?)" if hint else ""
            problems.append(
                f"scenario {name!r} is not in the batch in {folder}{extra}; "
                f"it has: {', '.join(names)}"
            )
        raise InputError(problems[0], problems=problems)
    return [name for name in names if name in wanted]


def run_files(path: str | os.PathLike[str], scenario: str) -> Iterator[tuple[int, Path]]:
    """``(replicate, file)`` of every finished run of ``scenario``, by replicate."""
    folder = Path(path) / RUNS_DIR / scenario
    if not folder.is_dir():
        return
    found = []
    for entry in folder.iterdir():
        match = _REP_FILE.match(entry.name)
        if match and entry.is_file():
            found.append((int(match.group(1)), entry))
    yield from sorted(found)


def _finished_runs(
    folder: Path, manifest: Mapping[str, Any], names: Sequence[str]
) -> list[tuple[str, int, Path]]:
    """Every finished run file of the given scenarios, in batch order."""
    runs = [
        (name, replicate, file) for name in names for replicate, file in run_files(folder, name)
    ]
    if not runs:
        raise InputError(
            f"no finished runs in {folder} yet; continue the batch with: "
            f"cadre-sim batch --resume --out {folder}"
        )
    return runs


def _unreadable(file: Path, folder: Path, exc: BaseException) -> InputError:
    """Return the error for a damaged run file, with the command that redoes it."""
    return InputError(
        f"run file {file} is unreadable (corrupt?): {exc}; rerun it with: "
        f"cadre-sim batch --resume --out {folder}"
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
        raise InputError(f"no metric given; choose from the outputs in {where}")
    candidates = [c for c in available if c not in ID_COLUMNS]
    problems = []
    for metric in wanted:
        if metric not in candidates:
            hint = params.suggest(metric, candidates)
            extra = f" (did you mean {hint!r}?)" if hint else ""
            problems.append(
                f"unknown metric {metric!r} in {where}{extra}; outputs include "
                "flat_share, active_share, routine_share, mean_effort, innovations, "
                "false_reports (see docs/ODD.md)"
            )
    if problems:
        raise InputError(problems[0], problems=problems)
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


def summarise_file(file: Path, metrics: Sequence[str], window: int) -> dict[str, float]:
    """:func:`window_means` of one run file, reading only ``month`` and ``metrics``."""
    handle = pq.ParquetFile(file, page_checksum_verification=True)
    present = [m for m in metrics if m in handle.schema_arrow.names]
    frame = handle.read(columns=["month", *present]).to_pandas()
    return window_means(frame, metrics, window)


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
        raise InputError(f"--window {window} is outside 1..{steps} (the batch ran {steps} months)")
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
    from sim.model import OUTPUTS

    if name in OUTPUTS or _BY_LEVEL.match(name):
        return True
    try:
        params.by_name(name)
    except KeyError:
        return False
    return True
