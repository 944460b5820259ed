"""The ledger of a running batch: which runs to do, their outcomes, the manifest.

One :class:`BatchLedger` per call of :func:`sim.runs.batch.run_batch`. Its
state goes to disk only through the store (:mod:`sim.runs.store`).
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa

from sim.runs import store
from sim.runs.execute import RunTask
from sim.runs.provenance import timestamp
from sim.runs.seeding import replicate_seed

if TYPE_CHECKING:
    from sim.scenarios import Scenario

__all__ = ["MANIFEST_INTERVAL", "BatchLedger"]

#: Longest time (seconds) between manifest updates while a batch runs.
MANIFEST_INTERVAL = 2.0


class BatchLedger:
    """The record of one call of :func:`~sim.runs.batch.run_batch` on an open, locked store.

    It plans the runs (keeping verified finished ones), records each outcome
    in the manifest (and a failure's traceback beside it), rewrites the
    manifest at most every :data:`MANIFEST_INTERVAL` seconds, and gives the
    per-run summary table.
    """

    def __init__(
        self,
        folder: Path,
        manifest: dict[str, Any],
        scenarios: Sequence[Scenario],
        metrics: tuple[str, ...],
        window: int,
    ) -> None:
        self.folder = folder
        self.manifest = manifest
        self.scenarios = {s.name: s for s in scenarios}
        self.digests = {s.name: s.digest() for s in scenarios}
        self.plain = {s.name: s.to_dict() for s in scenarios}
        self.metrics = metrics
        self.window = window
        self.records: dict[tuple[str, int], dict[str, Any]] = {
            (r["scenario"], r["replicate"]): r for r in manifest["runs"]
        }
        self.summaries: dict[tuple[str, int], dict[str, float]] = {}
        self.done = 0
        self.skipped = 0
        self.failed = 0
        self.notes: list[str] = []
        self._last_write = 0.0

    # -- manifest ---------------------------------------------------------
    def write_manifest(self, force: bool = True) -> None:
        """Rewrite the manifest now (``force``) or if the last write is old enough."""
        now = time.monotonic()
        if not force and now - self._last_write < MANIFEST_INTERVAL:
            return
        store.write_manifest(self.folder, self.manifest)
        self._last_write = now

    # -- planning ---------------------------------------------------------
    def plan(self, replicates: int, steps: int, root_seed: int) -> list[RunTask]:
        """Record every run of the batch and return the tasks still to do.

        A run whose file is present, readable and matches is kept (skipped);
        a damaged or mismatched file is removed and its run redone.
        """
        runs: list[dict[str, Any]] = []
        todo: list[RunTask] = []
        for name in self.scenarios:
            for k in range(replicates):
                record = self.records.get((name, k)) or {"scenario": name, "replicate": k}
                record["seed"] = replicate_seed(root_seed, k)
                record["file"] = str(store.run_file(".", name, k))
                self.records[(name, k)] = record
                runs.append(record)
                file = store.run_file(self.folder, name, k)
                if file.exists():
                    expected = {
                        "scenario": name,
                        "digest": self.digests[name],
                        "replicate": k,
                        "seed": record["seed"],
                        "steps": steps,
                    }
                    checked = store.read_verified_run(file, expected, rows=steps + 1)
                    if checked is not None:
                        meta, table = checked
                        self._mark_present(record, meta, table)
                        continue
                    file.unlink()
                    self.notes.append(f"re-running {file}: unreadable or not of this batch")
                record.update(status="pending", wall_time=None, error=None)
                todo.append(self.task(name, k, record["seed"], steps))
        self.manifest["runs"] = runs
        return todo

    def _mark_present(
        self, record: dict[str, Any], meta: Mapping[str, Any], table: pa.Table
    ) -> None:
        """Record a run found finished on disk."""
        record.update(
            status="done",
            wall_time=meta.get("wall_time"),
            started=meta.get("started"),
            finished=meta.get("finished"),
            error=None,
        )
        self.skipped += 1
        if self.metrics:
            self.summaries[(record["scenario"], record["replicate"])] = store.table_window_means(
                table, self.metrics, self.window
            )

    def task(self, name: str, replicate: int, seed: int, steps: int, attempt: int = 1) -> RunTask:
        """Return the task of one run."""
        return RunTask(
            out=str(self.folder),
            scenario=self.plain[name],
            scenario_name=name,
            digest=self.digests[name],
            replicate=replicate,
            seed=seed,
            steps=steps,
            metrics=self.metrics,
            window=self.window,
            attempt=attempt,
        )

    # -- outcomes ---------------------------------------------------------
    def record(self, outcome: Mapping[str, Any]) -> None:
        """Store a run's outcome in the manifest (and its traceback in ``errors/``)."""
        key = (outcome["scenario"], outcome["replicate"])
        record = self.records[key]
        record.update(
            status=outcome["status"],
            wall_time=outcome.get("wall_time"),
            started=outcome.get("started"),
            finished=outcome.get("finished"),
            host=outcome.get("host"),
            attempts=outcome.get("attempt", 1),
            error=outcome.get("error"),
        )
        if outcome["status"] == "done":
            self.done += 1
            if self.metrics:
                self.summaries[key] = dict(outcome.get("summary") or {})
            record.pop("traceback_file", None)
            store.remove_error(self.folder, *key)
        else:
            self.failed += 1
            text = outcome.get("traceback") or outcome.get("error") or "unknown error"
            record["traceback_file"] = store.write_error(self.folder, *key, record["seed"], text)
        self.write_manifest(force=False)

    def failure(self, task: RunTask, message: str, exc: BaseException | None) -> dict[str, Any]:
        """Return the outcome of a run that failed outside the model (executor, pickling)."""
        detail = "".join(traceback.format_exception(exc)) if exc is not None else message
        return {
            "scenario": task.scenario_name,
            "replicate": task.replicate,
            "seed": task.seed,
            "attempt": task.attempt,
            "status": "error",
            "finished": timestamp(),
            "error": message,
            "traceback": detail,
        }

    def frame(self) -> pd.DataFrame:
        """One row per run with status and summaries, in batch order."""
        rows = []
        for record in self.manifest["runs"]:
            key = (record["scenario"], record["replicate"])
            summary = self.summaries.get(key, {})
            rows.append(
                {
                    "scenario": record["scenario"],
                    "replicate": record["replicate"],
                    "seed": record["seed"],
                    "status": record.get("status", "pending"),
                    "wall_time": record.get("wall_time"),
                    "error": record.get("error"),
                    **{m: summary.get(m, math.nan) for m in self.metrics},
                }
            )
        columns = ["scenario", "replicate", "seed", "status", "wall_time", "error", *self.metrics]
        frame = pd.DataFrame.from_records(rows, columns=columns)
        frame["scenario"] = pd.Categorical(
            frame["scenario"], categories=list(self.scenarios), ordered=True
        )
        frame["wall_time"] = frame["wall_time"].astype("float64")
        return frame
