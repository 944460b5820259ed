"""The ledger of a running batch: which runs to do, their outcomes, the manifest.

One :class:`BatchLedger` per call of :func:`sim.runs.batch.run_batch`. Its
state goes to disk only through the store (:mod:`sim.runs.store`): finished
runs through a :class:`~sim.runs.store.RunWriter`, whose sealed data files
the ledger records in the manifest (the commit), failures as tracebacks and
status-log events.
"""

from __future__ import annotations

import math
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.runs import store
from sim.runs.execute import RunTask
from sim.runs.provenance import timestamp
from sim.runs.seeding import replicate_seed

if TYPE_CHECKING:
    from sim.scenarios import Scenario

__all__ = ["MANIFEST_INTERVAL", "BatchLedger"]

#: Longest time (seconds) between manifest updates that record failed runs.
MANIFEST_INTERVAL = 2.0

#: Keys of a run's record that say which run it is.
_IDENTITY = ("scenario", "replicate", "seed", "steps", "digest")
#: Keys of a run's record that say where its data are (dropped when it is redone).
_PLACE = ("file", "row_group", "offset", "rows", "content")


class BatchLedger:
    """The record of one call of :func:`~sim.runs.batch.run_batch` on an open, locked store.

    It plans the runs (recovering journals of a killed writer, keeping
    verified finished runs), hands each finished run to the writer and
    records sealed ones in the manifest, records failures, and gives the
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
        self.columns = tuple((name, kind) for name, kind in manifest["columns"])
        self.schema = store.batch_schema(manifest["columns"])
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
        self.writer = store.RunWriter(
            folder, self.header, self.schema, self._commit, scenarios=self.scenarios
        )
        self._last_write = 0.0

    @property
    def header(self) -> dict[str, Any]:
        """What every data file records about the batch."""
        return {key: self.manifest[key] for key in ("batch", "steps", "root_seed", "seeding")}

    # -- manifest ---------------------------------------------------------
    def write_manifest(self, force: bool = True) -> None:
        """Rewrite the manifest now (``force``) or if the last write is old enough.

        A run whose data are not in a sealed data file yet is written as pending.
        """
        now = time.monotonic()
        if not force and now - self._last_write < MANIFEST_INTERVAL:
            return
        runs = [
            r if r.get("status") != "done" or r.get("file") else {**r, "status": "pending"}
            for r in self.manifest["runs"]
        ]
        store.write_manifest(self.folder, {**self.manifest, "runs": runs})
        self.manifest["updated"] = timestamp()
        self._last_write = now

    def _commit(self, sealed: list[dict[str, Any]]) -> None:
        """Record the runs of a sealed data file in the manifest, durably."""
        for item in sealed:
            record = self.records[(item["scenario"], item["replicate"])]
            record.update({key: item[key] for key in _PLACE}, status="done", error=None)
        self.write_manifest()
        store.log_event(self.folder, "sealed", file=sealed[0]["file"], runs=len(sealed))

    # -- planning ---------------------------------------------------------
    def _identity(self, name: str, replicate: int, seed: int, steps: int) -> dict[str, Any]:
        """The fields that say which run a record is (:data:`_IDENTITY`)."""
        return dict(zip(_IDENTITY, (name, replicate, seed, steps, self.digests[name]), strict=True))

    def _accepts(self, steps: int) -> Callable[[Mapping[str, Any]], bool]:
        """Whether a recovered run is a planned run of this batch that is not done yet."""

        def accept(found: Mapping[str, Any]) -> bool:
            key = (found.get("scenario"), found.get("replicate"))
            record = self.records.get(key)  # type: ignore[arg-type]
            return (
                record is not None
                and record.get("status") != "done"
                and all(found.get(k) == record.get(k) for k in ("seed", "steps", "digest"))
                and found.get("rows") == steps + 1
            )

        return accept

    def plan(self, replicates: int, steps: int, root_seed: int) -> list[RunTask]:
        """Record every run of the batch and return the tasks still to do.

        Journals left by a killed writer are sealed first (their complete,
        verified runs kept); then every finished run is read back and
        verified against the manifest. A run whose data do not verify is
        redone; its data file is no longer listed.
        """
        runs: list[dict[str, Any]] = []
        for name in self.scenarios:
            for k in range(replicates):
                identity = self._identity(name, k, replicate_seed(root_seed, k), steps)
                record = self.records.get((name, k)) or {}
                if any(record.get(key) != value for key, value in identity.items()):
                    record = {**identity, "status": "pending"}
                self.records[(name, k)] = record
                runs.append(record)
        self.manifest["runs"] = runs
        _, notes = store.recover_journals(
            self.folder, self.header, self.schema, self._accepts(steps), self._commit
        )
        self.notes += notes
        for file, records in store.done_by_file(self.manifest).items():
            self._verify(file, records)
        todo = []
        for record in runs:
            if record.get("status") == "done":
                self.skipped += 1
            else:
                for key in _PLACE:
                    record.pop(key, None)
                record.update(status="pending", wall_time=None, error=None)
                todo.append(
                    self.task(record["scenario"], record["replicate"], record["seed"], steps)
                )
        return todo

    def _verify(self, file: str, records: list[dict[str, Any]]) -> None:
        """Read back the finished runs of one data file; mark them pending if they do not verify."""
        try:
            table = store.read_runs(self.folder, self.manifest, file, records, verify=True)
        except store.DamagedFileError as exc:
            for record in records:
                record["status"] = "pending"
            self.notes.append(f"re-running {len(records)} run(s): {exc}")
            return
        if self.metrics:
            means = store.run_means(table, self.metrics, self.window, len(records))
            for record, row in zip(records, means.to_dict("records"), strict=True):
                self.summaries[(record["scenario"], record["replicate"])] = row

    def task(self, name: str, replicate: int, seed: int, steps: int, attempt: int = 1) -> RunTask:
        """Return the task of one run."""
        return RunTask(
            columns=self.columns,
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
        """Store a run's outcome: its data through the writer, or its failure."""
        key = (outcome["scenario"], outcome["replicate"])
        record = self.records[key]
        times = {
            "wall_time": outcome.get("wall_time"),
            "started": outcome.get("started"),
            "finished": outcome.get("finished"),
            "host": outcome.get("host"),
            "attempts": outcome.get("attempt", 1),
        }
        run: store.EncodedRun | None = outcome.get("run")
        if outcome["status"] == "done" and run is not None and not self._is_run(run, record):
            outcome = {**outcome, "status": "error", "error": "the run's data are not of its task"}
        if outcome["status"] == "done" and run is not None:
            written = self.writer.write(run)
            record.update(times, status="done", error=None)
            record.update(content=written["content"], rows=written["rows"])
            record.pop("traceback_file", None)
            self.done += 1
            if self.metrics:
                self.summaries[key] = dict(outcome.get("summary") or {})
            store.remove_error(self.folder, *key)
            store.log_event(self.folder, "done", scenario=key[0], replicate=key[1])
        else:
            self.failed += 1
            text = outcome.get("traceback") or outcome.get("error") or "unknown error"
            for place in _PLACE:
                record.pop(place, None)
            record.update(times, status="error", error=outcome.get("error"))
            record["traceback_file"] = store.write_error(self.folder, *key, record["seed"], text)
            store.log_event(
                self.folder, "error", scenario=key[0], replicate=key[1], error=record["error"]
            )
            self.write_manifest(force=False)

    @staticmethod
    def _is_run(run: store.EncodedRun, record: Mapping[str, Any]) -> bool:
        """Whether encoded data say they are the run of ``record``."""
        return all(run.record.get(k) == record.get(k) for k in _IDENTITY)

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
