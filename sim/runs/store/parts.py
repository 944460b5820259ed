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
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
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
    "EncodedRun",
    "Journal",
    "Part",
    "open_part",
    "Keep",
    "encode_run",
    "journal_header",
    "journal_runs",
    "seal_journal",
]

#: Rows of a row group of a data file, about (whole runs are never split).
GROUP_ROWS = 16_384


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


#: The end-of-stream marker of an Arrow IPC stream.
_END_OF_STREAM = b"\xff\xff\xff\xff\x00\x00\x00\x00"


@dataclass(frozen=True)
class EncodedRun:
    """One finished run ready for a journal: its record and its data as Arrow IPC bytes.

    Made where the run finished (:func:`encode_run`, in a worker), so the
    process that writes the journal only copies bytes.

    Attributes:
        record: the run's record (identity, times, ``rows``, ``content``).
        payload: an Arrow IPC stream of the run's single record batch, the
            record as the batch's custom metadata.

    """

    record: dict[str, Any]
    payload: bytes


def _stream_bytes(schema: pa.Schema, batch: pa.RecordBatch | None, meta: Mapping | None) -> bytes:
    """An Arrow IPC stream of ``schema`` and (optionally) one batch with custom metadata."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema) as writer:
        if batch is not None:
            writer.write_batch(batch, custom_metadata=meta)
    return sink.getvalue().to_pybytes()


def encode_run(table: pa.Table, record: Mapping[str, Any]) -> EncodedRun:
    """Encode one run's table (of the batch's schema) and record for a journal."""
    batch = table.combine_chunks().to_batches()[0]
    payload = _stream_bytes(table.schema, batch, {RUN_META_KEY: _dumps(record)})
    return EncodedRun(record=dict(record), payload=payload)


class Journal:
    """An open journal: an Arrow IPC stream that finished runs are appended to.

    The stream is written by hand, message by message: its schema message
    first, then each run's record-batch message as encoded where the run
    finished (:class:`EncodedRun`), then the end marker when it is closed.

    Attributes:
        path: the journal file.
        schema: the batch's schema.
        runs: runs appended so far.
        size: bytes written so far.
        opened: when it was opened (:func:`time.monotonic`).

    """

    def __init__(self, path: Path, schema: pa.Schema, header: Mapping[str, Any]) -> None:
        meta = {RUN_META_KEY: _dumps({**header, "kind": JOURNAL_KIND, "format": FORMAT})}
        head = _stream_bytes(schema.with_metadata(meta), None, None)
        self.path = path
        self.schema = schema
        self.runs = 0
        self.opened = time.monotonic()
        with os_errors_as_input(path, "cannot write"):
            self._file = open(path, "wb", buffering=0)  # noqa: SIM115 - kept open while appending
            self._file.write(head.removesuffix(_END_OF_STREAM))
        self.size = len(head) - len(_END_OF_STREAM)
        crash_point("journal open")

    def append(self, run: EncodedRun) -> None:
        """Append one encoded run; on disk for any later reader at once.

        Raises:
            ValueError: the run is not of the journal's schema.
            InputError: the journal cannot be written (disk full, ...).

        """
        reader = pa.ipc.MessageReader.open_stream(pa.py_buffer(run.payload))
        if not pa.ipc.read_schema(reader.read_next_message()).equals(self.schema):
            raise ValueError(f"run {run.record.get('scenario')}: not the batch's schema")
        message = reader.read_next_message().serialize()
        with os_errors_as_input(self.path, "cannot write"):
            self._file.write(message)
        self.size += message.size
        self.runs += 1
        crash_point("journal append")

    def close(self) -> None:
        """Write the end marker and close the file (it stays)."""
        with os_errors_as_input(self.path, "cannot write"):
            self._file.write(_END_OF_STREAM)
            self._file.close()


def journal_header(path: Path) -> dict[str, Any] | None:
    """The header of a journal, or None if the file is not a (complete enough) journal."""
    try:
        with pa.OSFile(str(path), "rb") as source:
            schema = pa.ipc.open_stream(source).schema
        header = json.loads((schema.metadata or {})[RUN_META_KEY])
    except (OSError, KeyError, ValueError, pa.ArrowException):
        return None
    return header if isinstance(header, dict) and header.get("kind") == JOURNAL_KIND else None


def journal_runs(path: Path) -> Iterator[tuple[dict[str, Any], pa.RecordBatch]]:
    """Every complete run of a journal in order, one at a time (a torn last run is left out)."""
    if journal_header(path) is None:
        return
    source = pa.OSFile(str(path), "rb")
    try:
        reader = pa.ipc.open_stream(source)
        while True:
            try:
                batch, meta = reader.read_next_batch_with_custom_metadata()
            except StopIteration:
                return
            except (OSError, pa.ArrowException):  # a run cut short by a kill
                return
            try:
                record = json.loads((meta or {})[RUN_META_KEY])
            except (KeyError, ValueError):
                return
            yield record, batch
    finally:
        source.close()


#: Decides whether a run of a journal goes into its data file.
Keep = Callable[[Mapping[str, Any], pa.RecordBatch], bool]


def _groups(kept: Sequence[tuple[int, Mapping[str, Any], int]]) -> list[list[int]]:
    """Positions in ``kept`` packed, in journal order, into groups of about :data:`GROUP_ROWS`.

    Within a group the runs are sorted by scenario and replicate.
    """
    groups: list[list[int]] = []
    rows = 0
    for position, (_, _, size) in enumerate(kept):
        if not groups or rows + size > GROUP_ROWS:
            groups.append([])
            rows = 0
        groups[-1].append(position)
        rows += size
    order = lambda p: (kept[p][1]["scenario"], kept[p][1]["replicate"])  # noqa: E731
    return [sorted(members, key=order) for members in groups]


#: Record batches merged at a time while a row group is read (each batch object costs memory).
_MERGE = 128


def _read_group(
    source: Iterator[tuple[int, tuple[dict[str, Any], pa.RecordBatch]]],
    members: Sequence[int],
    kept: Sequence[tuple[int, Mapping[str, Any], int]],
    schema: pa.Schema,
) -> pa.Table:
    """Read the next row group's runs from the journal (in order) and sort them as ``members``."""
    first, count = min(members), len(members)
    pieces: list[pa.Table] = []
    pending: list[pa.RecordBatch] = []
    for _ in range(count):
        item = next(source, None)
        if item is None:
            raise RuntimeError("a journal changed while it was sealed")
        pending.append(item[1][1])
        if len(pending) == _MERGE:
            pieces.append(pa.Table.from_batches(pending, schema=schema).combine_chunks())
            pending = []
    if pending:
        pieces.append(pa.Table.from_batches(pending, schema=schema).combine_chunks())
    table = pa.concat_tables(pieces).combine_chunks()
    starts = np.cumsum([0] + [kept[first + i][2] for i in range(count)])
    order = np.concatenate([np.arange(starts[p - first], starts[p - first + 1]) for p in members])
    if (order == np.arange(len(order))).all():
        return table
    return table.take(pa.array(order))


def seal_journal(
    journal: Path,
    part: Path,
    header: Mapping[str, Any],
    schema: pa.Schema,
    keep: Keep | None = None,
) -> list[dict[str, Any]]:
    """Write the runs of a journal into the data file ``part`` atomically; return their records.

    The journal is read twice, one run at a time, so memory holds one row
    group, not the journal. Runs are packed, whole and in journal order,
    into row groups of about :data:`GROUP_ROWS` rows, sorted within each
    group by scenario and replicate. Each returned record gains ``file``
    (relative to the results folder), ``row_group``, ``offset`` (first row
    in the group) and ``rows``. Nothing is written when no run is kept.

    Raises:
        InputError: the file cannot be written.

    """
    kept = [
        (index, record, batch.num_rows)
        for index, (record, batch) in enumerate(journal_runs(journal))
        if keep is None or keep(record, batch)
    ]
    if not kept:
        return []
    groups = _groups(kept)
    relative = f"{DATA_DIR}/{part.name}"
    records: list[dict[str, Any]] = []
    for number, members in enumerate(groups):
        offset = 0
        for position in members:
            _, record, size = kept[position]
            place = {"file": relative, "row_group": number, "offset": offset, "rows": size}
            records.append({**record, **place})
            offset += size
    stored = [{k: v for k, v in r.items() if k != "file"} for r in records]
    meta = {**header, "kind": DATA_KIND, "format": FORMAT, "runs": stored}
    tagged = schema.with_metadata({RUN_META_KEY: _dumps(meta)})
    wanted = {index: position for position, (index, _, _) in enumerate(kept)}

    def write(temporary: Path) -> None:
        source = (item for item in enumerate(journal_runs(journal)) if item[0] in wanted)
        with pq.ParquetWriter(
            temporary,
            tagged,
            compression="zstd",
            write_page_checksum=True,
            write_statistics=list(ID_COLUMNS),
        ) as writer:
            for members in groups:
                table = _read_group(source, members, kept, schema)
                writer.write_table(table, row_group_size=table.num_rows)

    atomic_write(part, write)
    sync_folder(part.parent)
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
