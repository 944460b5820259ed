"""Data files: the journal finished runs are appended to, and the sealed Parquet parts.

A writer appends each finished run, as one Arrow record batch carrying the
run's record as custom metadata, to its **journal**: a hidden Arrow IPC
stream ``data/.journal-<writer>-<n>.arrows``. An IPC stream can be read up
to its last complete batch, so a journal cut short by a kill loses at most
the run being appended. When it is large or old enough the journal is
**sealed** into the data file ``data/part-<writer>-<n>.parquet``: the runs
sorted by scenario and replicate, whole runs packed into row groups of about
:data:`GROUP_ROWS` rows, zstd-compressed, with page checksums and column
statistics of the identifying columns, written atomically. The file's
schema metadata (key ``cadre_sim``) holds the batch id and every run's
record with its row group and offset, so a data file describes itself.

Only sealed parts are data files: they are what pyarrow.dataset, DuckDB and
polars read (``data/*.parquet``, all of one schema); journals are hidden and
end in ``.arrows``.
"""

from __future__ import annotations

import json
import os
import stat
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sim.fileio import atomic_write, crash_point, os_errors_as_input, sync_folder
from sim.runs.store.layout import (
    DATA_DIR,
    DATA_KIND,
    FORMAT,
    ID_COLUMNS,
    JOURNAL_KIND,
    RUN_META_KEY,
)

__all__ = [
    "GROUP_ROWS",
    "DamagedFileError",
    "Journal",
    "Part",
    "open_part",
    "read_journal",
    "write_part",
]

#: Rows of a row group of a data file, about (whole runs are never split).
GROUP_ROWS = 65_536

_LOCATION_KEYS = ("file", "row_group", "offset")


class DamagedFileError(ValueError):
    """A data file that cannot be trusted: unreadable, foreign, or not what the manifest says.

    Attributes:
        path: the file.
        reason: what is wrong, one line.

    """

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def _dumps(data: Any) -> bytes:
    """Compact JSON bytes of a record (NaN allowed)."""
    return json.dumps(data, separators=(",", ":"), allow_nan=True).encode("utf-8")


class Journal:
    """An open journal: an Arrow IPC stream that finished runs are appended to.

    Attributes:
        path: the journal file.
        runs: runs appended so far.
        opened: when it was opened (:func:`time.monotonic`).

    """

    def __init__(self, path: Path, schema: pa.Schema, header: Mapping[str, Any]) -> None:
        meta = {RUN_META_KEY: _dumps({**header, "kind": JOURNAL_KIND, "format": FORMAT})}
        self.path = path
        self.runs = 0
        self.opened = time.monotonic()
        with os_errors_as_input(path, "cannot write"):
            self._sink = pa.OSFile(str(path), "wb")
            self._writer = pa.ipc.new_stream(self._sink, schema.with_metadata(meta))
        crash_point("journal open")

    @property
    def size(self) -> int:
        """Bytes written so far."""
        return int(self._sink.tell())

    def append(self, table: pa.Table, record: Mapping[str, Any]) -> None:
        """Append one run (its table and record); on disk for any later reader at once.

        Raises:
            InputError: the journal cannot be written (disk full, ...).

        """
        batches = table.combine_chunks().to_batches()
        with os_errors_as_input(self.path, "cannot write"):
            for batch in batches[:1]:
                self._writer.write_batch(batch, custom_metadata={RUN_META_KEY: _dumps(record)})
        self.runs += 1
        crash_point("journal append")

    def close(self) -> None:
        """Close the stream (an end marker is written; the file stays)."""
        with os_errors_as_input(self.path, "cannot write"):
            self._writer.close()
            self._sink.close()


def read_journal(path: Path) -> tuple[dict[str, Any] | None, list[tuple[dict[str, Any], pa.Table]]]:
    """The header and every complete run of a journal (a torn last run is left out).

    Returns ``(None, [])`` for a file that is not a journal of the store.
    """
    runs: list[tuple[dict[str, Any], pa.Table]] = []
    try:
        reader = pa.ipc.open_stream(pa.memory_map(str(path)))
        header = json.loads((reader.schema.metadata or {})[RUN_META_KEY])
    except (OSError, KeyError, ValueError, pa.ArrowException):
        return None, []
    if not isinstance(header, dict) or header.get("kind") != JOURNAL_KIND:
        return None, []
    while True:
        try:
            batch, meta = reader.read_next_batch_with_custom_metadata()
        except StopIteration:
            break
        except (OSError, pa.ArrowException):  # a run cut short by a kill
            break
        try:
            record = json.loads((meta or {})[RUN_META_KEY])
        except (KeyError, ValueError):
            break
        runs.append((record, pa.Table.from_batches([batch])))
    return header, runs


def write_part(
    path: Path,
    header: Mapping[str, Any],
    runs: Sequence[tuple[Mapping[str, Any], pa.Table]],
    schema: pa.Schema,
) -> list[dict[str, Any]]:
    """Write runs into the data file ``path`` atomically; return their records with locations.

    The runs are sorted by scenario and replicate and packed, whole, into
    row groups of about :data:`GROUP_ROWS` rows. Each returned record gains
    ``file`` (relative to the results folder), ``row_group``, ``offset``
    (first row in the group) and ``rows``.

    Raises:
        InputError: the file cannot be written.

    """
    order = sorted(
        range(len(runs)), key=lambda i: (runs[i][0]["scenario"], runs[i][0]["replicate"])
    )
    groups: list[list[int]] = []
    rows = 0
    for i in order:
        size = runs[i][1].num_rows
        if not groups or rows + size > GROUP_ROWS:
            groups.append([])
            rows = 0
        groups[-1].append(i)
        rows += size
    relative = f"{DATA_DIR}/{path.name}"
    records: list[dict[str, Any]] = []
    for number, members in enumerate(groups):
        offset = 0
        for i in members:
            size = runs[i][1].num_rows
            records.append(
                {
                    **runs[i][0],
                    "file": relative,
                    "row_group": number,
                    "offset": offset,
                    "rows": size,
                }
            )
            offset += size
    stored = [{k: v for k, v in r.items() if k != "file"} for r in records]
    meta = {**header, "kind": DATA_KIND, "format": FORMAT, "runs": stored}
    tagged = schema.with_metadata({RUN_META_KEY: _dumps(meta)})

    def write(temporary: Path) -> None:
        with pq.ParquetWriter(
            temporary,
            tagged,
            compression="zstd",
            write_page_checksum=True,
            write_statistics=list(ID_COLUMNS),
        ) as writer:
            for members in groups:
                table = pa.concat_tables([runs[i][1] for i in members]).combine_chunks()
                writer.write_table(table, row_group_size=table.num_rows)

    atomic_write(path, write)
    sync_folder(path.parent)
    return records


@dataclass(frozen=True)
class Part:
    """A data file opened for reading, with the records it says it holds.

    Attributes:
        path: the file.
        handle: the open Parquet file (page checksums verified on reading).
        header: its metadata record without the runs (kind, format, batch, steps).
        records: its runs' records by ``(row_group, offset)``.

    """

    path: Path
    handle: pq.ParquetFile
    header: dict[str, Any]
    records: dict[tuple[int, int], dict[str, Any]]


def open_part(path: Path, schema: pa.Schema | None = None) -> Part:
    """Open a data file and read the records in its metadata.

    Raises:
        DamagedFileError: missing, not a regular file, unreadable, not a data file
            of the store, or (given ``schema``) of other columns.

    """
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise DamagedFileError(path, exc.strerror or "cannot be read") from None
    if not stat.S_ISREG(mode):
        raise DamagedFileError(path, "is not a regular file")
    try:
        handle = pq.ParquetFile(path, page_checksum_verification=True)
        raw = (handle.schema_arrow.metadata or {}).get(RUN_META_KEY)
        meta = json.loads(raw) if raw is not None else None
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise DamagedFileError(
            path, f"unreadable (corrupt?): {' '.join(str(exc).split())}"
        ) from None
    if not isinstance(meta, dict) or meta.get("kind") != DATA_KIND:
        raise DamagedFileError(path, "is not a cadre-sim data file (no record of its runs)")
    if schema is not None and not handle.schema_arrow.remove_metadata().equals(schema):
        raise DamagedFileError(path, "has other columns than the batch")
    runs = meta.pop("runs", None)
    if not isinstance(runs, list) or not all(isinstance(r, dict) for r in runs):
        raise DamagedFileError(path, "has a damaged record of its runs")
    try:
        records = {(int(r["row_group"]), int(r["offset"])): r for r in runs}
    except (KeyError, TypeError, ValueError):
        raise DamagedFileError(path, "has a damaged record of its runs") from None
    return Part(path=path, handle=handle, header=meta, records=records)
