"""Run files: one finished run's monthly time series as Parquet, describing itself.

Each run file is an ordinary Parquet file, readable by any Parquet tool. Its
columns are ``scenario``, ``replicate``, ``seed``, ``month`` and then every
model output and the in-force value of every parameter the scenario's
timeline changes. Its schema metadata key ``cadre_sim`` holds a JSON record
of the run (kind, format, scenario digest, replicate, seed, steps, times,
host, versions), so a run file describes itself even if the manifest is
lost or stale. Page checksums are written, so damage is found on reading.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.fileio import atomic_write
from sim.runs.store.layout import FORMAT, RUN_KIND, RUN_META_KEY

__all__ = [
    "read_run_meta",
    "read_verified_run",
    "summarise_file",
    "table_window_means",
    "window_means",
    "write_run",
]


def write_run(frame: pd.DataFrame, path: Path, meta: Mapping[str, Any]) -> None:
    """Write one run's time series to ``path`` as Parquet, atomically and flushed to disk.

    ``meta`` (with the store's ``kind`` and ``format`` added) is stored as
    JSON under the schema metadata key ``cadre_sim``. The file appears under
    its final name only once complete (:func:`sim.fileio.atomic_write`).
    """
    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    record = {**meta, "kind": RUN_KIND, "format": FORMAT}
    metadata[RUN_META_KEY] = json.dumps(record, sort_keys=True).encode("utf-8")
    table = table.replace_schema_metadata(metadata)
    atomic_write(
        path,
        lambda temporary: pq.write_table(
            table, temporary, compression="zstd", write_page_checksum=True
        ),
    )


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


def read_verified_run(
    file: Path, expected: Mapping[str, Any], rows: int
) -> tuple[dict[str, Any], pa.Table] | None:
    """Return the record and table of a run file, or None if it cannot be trusted.

    The whole file is read (with page checksums) so that damage anywhere is
    found; its record must hold every ``expected`` key and value (scenario,
    digest, replicate, seed, steps) and the table ``rows`` rows.
    """
    try:
        meta = read_run_meta(file)
        if any(meta.get(key) != value for key, value in expected.items()):
            return None
        table = pq.read_table(file, page_checksum_verification=True)
        if table.num_rows != rows:
            return None
        return meta, table
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
        return None


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
    """:func:`window_means` of a run file's table, converting only the needed columns."""
    present = [m for m in ("month", *metrics) if m in table.column_names]
    return window_means(table.select(present).to_pandas(), metrics, window)


def summarise_file(file: Path, metrics: Sequence[str], window: int) -> dict[str, float]:
    """:func:`window_means` of one run file, reading only ``month`` and ``metrics``."""
    handle = pq.ParquetFile(file, page_checksum_verification=True)
    present = [m for m in metrics if m in handle.schema_arrow.names]
    frame = handle.read(columns=["month", *present]).to_pandas()
    return window_means(frame, metrics, window)
