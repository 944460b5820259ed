"""Writing a batch's runs: one finished run at a time, into a few data files.

:class:`RunWriter` is the store's only way in for run data. It is
run-oriented and knows nothing of executors: whoever has a finished run
(the batch's parent, or later a process stepping many runs together) calls
:meth:`RunWriter.write` with the run's frame and its record, or with an
:class:`~sim.runs.store.parts.EncodedRun` made where the run finished (a
batch's workers do that, so its parent only copies bytes). Runs go to the
writer's journal (:class:`~sim.runs.store.parts.Journal`); when the journal
reaches :data:`PART_BYTES` or :data:`SEAL_SECONDS`, or the writer is closed,
it is sealed into a Parquet data file, the ``commit`` callback records the
sealed runs durably (the batch rewrites its manifest), and only then is the
journal removed. A kill at any moment therefore leaves each run in a data
file the manifest lists, in a journal (:func:`recover_journals` seals it on
the next start), or nowhere (it is run again).
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from sim.fileio import crash_point
from sim.runs.store.columns import as_batch_table, content_digest, content_digests
from sim.runs.store.layout import DATA_DIR, journal_files, journal_name, part_for_journal
from sim.runs.store.parts import (
    EncodedRun,
    Journal,
    Keep,
    encode_run,
    journal_header,
    seal_journal,
)

if TYPE_CHECKING:
    from sim.scenarios import Scenario

__all__ = ["PART_BYTES", "SEAL_SECONDS", "Commit", "RunWriter", "recover_journals"]

#: Size of a journal (bytes, uncompressed Arrow) at which it is sealed into a data file.
PART_BYTES = 32 * 1024 * 1024
#: Longest time (seconds) a journal stays open before it is sealed.
SEAL_SECONDS = 600.0

#: Records the runs of a sealed data file durably (called before the journal is removed).
Commit = Callable[[list[dict[str, Any]]], None]


class RunWriter:
    """Appends finished runs of one batch to its data files.

    Args:
        folder: the results folder.
        header: what every data file records about the batch (``batch`` id, ``steps``).
        schema: the batch's schema (:func:`~sim.runs.store.columns.batch_schema`).
        commit: records a sealed file's runs durably (see :data:`Commit`).
        scenarios: the batch's scenarios by name, to bring frames to the schema.
        part_bytes: journal size at which it is sealed (default :data:`PART_BYTES`).
        seal_seconds: journal age at which it is sealed (default :data:`SEAL_SECONDS`).

    """

    def __init__(
        self,
        folder: Path,
        header: Mapping[str, Any],
        schema: pa.Schema,
        commit: Commit,
        *,
        scenarios: Mapping[str, Scenario] | None = None,
        part_bytes: int | None = None,
        seal_seconds: float | None = None,
    ) -> None:
        self.folder = folder
        self.header = dict(header)
        self.schema = schema
        self.commit = commit
        self.scenarios = dict(scenarios or {})
        self.part_bytes = PART_BYTES if part_bytes is None else part_bytes
        self.seal_seconds = SEAL_SECONDS if seal_seconds is None else seal_seconds
        self.token = uuid.uuid4().hex[:8]
        self._sequence = 0
        self._journal: Journal | None = None

    def write(
        self, run: pd.DataFrame | pa.Table | EncodedRun, record: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Append one finished run; return its record with ``rows`` and ``content``.

        ``run`` is the run's frame with the identifying columns, or a table
        of the batch's schema, with its ``record`` (at least ``scenario``,
        ``replicate``, ``seed``, ``steps``, ``digest``; its ``content``
        digest if the caller computed it); or an :class:`EncodedRun` made
        where the run finished (:func:`~sim.runs.store.parts.encode_run`),
        which carries its record.

        Raises:
            ValueError: the run does not fit the batch's schema.
            InputError: the data cannot be written (disk full, ...).

        """
        if not isinstance(run, EncodedRun):
            if record is None:
                raise ValueError("a run's frame or table needs its record")
            if isinstance(run, pa.Table):
                table = run
            else:
                table = as_batch_table(run, self.schema, self.scenarios[record["scenario"]])
            written = {**record, "rows": table.num_rows}
            if written.get("content") is None:
                written["content"] = content_digest(table)
            run = encode_run(table, written)
        if self._journal is None:
            self._sequence += 1
            path = self.folder / DATA_DIR / journal_name(self.token, self._sequence)
            self._journal = Journal(path, self.schema, self.header)
        self._journal.append(run)
        journal = self._journal
        if journal.size >= self.part_bytes or time.monotonic() - journal.opened > self.seal_seconds:
            self.seal()
        return run.record

    @property
    def pending(self) -> int:
        """Runs written but not yet sealed."""
        return self._journal.runs if self._journal is not None else 0

    def seal(self) -> list[dict[str, Any]]:
        """Seal the journal into a data file now; return the records of its runs."""
        journal, self._journal = self._journal, None
        if journal is None:
            return []
        journal.close()
        return _seal(journal.path, self.header, self.schema, self.commit)

    def close(self) -> list[dict[str, Any]]:
        """Seal what is left; return the records sealed."""
        return self.seal()

    def abandon(self) -> None:
        """Close the journal without sealing it (it is recovered on the next start)."""
        journal, self._journal = self._journal, None
        if journal is not None:
            with contextlib.suppress(Exception):
                journal.close()


def _seal(
    journal: Path,
    header: Mapping[str, Any],
    schema: pa.Schema,
    commit: Commit,
    keep: Keep | None = None,
) -> list[dict[str, Any]]:
    """Write a journal's (kept) runs to its data file, commit them, remove the journal."""
    records = seal_journal(journal, part_for_journal(journal), header, schema, keep)
    if records:
        commit(records)
        crash_point("commit")
    journal.unlink(missing_ok=True)
    crash_point("journal removed")
    return records


def recover_journals(
    folder: Path,
    header: Mapping[str, Any],
    schema: pa.Schema,
    accept: Callable[[Mapping[str, Any]], bool],
    commit: Commit,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Seal the journals left by a killed writer; return the records sealed and notes.

    A run is kept if it is complete, of this batch's schema, its content
    verifies and ``accept(record)`` (it is a planned run not yet done).
    A journal cut short before its header holds nothing and is removed; one
    of another batch is left alone and named in a note.
    """
    sealed: list[dict[str, Any]] = []
    notes: list[str] = []

    def keep(record: Mapping[str, Any], batch: pa.RecordBatch) -> bool:
        return (
            batch.schema.equals(schema)
            and record.get("content") == content_digests(batch, [(0, batch.num_rows)])[0]
            and accept(record)
        )

    for path in journal_files(folder):
        found = journal_header(path)
        if found is None:  # cut short before its header: it holds no run
            path.unlink(missing_ok=True)
            continue
        if found.get("batch") != header.get("batch"):
            notes.append(f"ignored {path.relative_to(folder)}: not a journal of this batch")
            continue
        records = _seal(path, header, schema, commit, keep)
        sealed += records
        if records:
            notes.append(
                f"recovered {len(records)} finished run(s) from {path.relative_to(folder)}"
            )
    return sealed, notes
