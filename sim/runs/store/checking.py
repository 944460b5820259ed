"""Checking a results folder against its manifest, and rebuilding a lost manifest.

:func:`check` reads everything the manifest lists and verifies it (the data
files' batch id and records, every run's identifying columns and content
digest, the scenario record) and names everything else that is wrong: a
stray file, a journal a killed batch left, a temporary file, a damaged or
swapped data file, a folder of an older store format. :func:`repair`
rebuilds the manifest of a folder whose manifest is lost or damaged from
what the data files record about themselves (and the scenario record and
status log beside them).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import IncompleteResultsError, InputError
from sim.fileio import TEMPORARY_SUFFIX, atomic_write_bytes
from sim.runs.provenance import timestamp
from sim.runs.seeding import replicate_seed
from sim.runs.store.catalog import IDENTITY, done_by_file, read_runs, stray_files
from sim.runs.store.columns import batch_columns, batch_schema, content_digests
from sim.runs.store.layout import (
    DATA_DIR,
    ERRORS_DIR,
    FORMAT,
    KIND,
    MANIFEST,
    SCENARIOS_FILE,
    data_files,
    error_file,
    journal_files,
    lock_held,
    locked,
)
from sim.runs.store.manifest import (
    SCENARIOS_KIND,
    read_log,
    read_manifest,
    read_scenarios,
    write_manifest,
)
from sim.runs.store.parts import DamagedFileError, open_part

__all__ = ["CheckReport", "check", "repair"]


@dataclass
class CheckReport:
    """What :func:`check` found in a results folder.

    Attributes:
        folder: the results folder.
        problems: one line per problem (empty: the folder is sound).
        notes: things worth knowing that are not problems (runs still to do).
        runs: runs the manifest plans.
        done: runs finished and verified.
        failed: runs that raised.

    """

    folder: Path
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    runs: int = 0
    done: int = 0
    failed: int = 0

    @property
    def sound(self) -> bool:
        """Whether nothing is wrong."""
        return not self.problems


def _temporaries(folder: Path) -> list[Path]:
    """Temporary files left by killed processes anywhere the store writes."""
    found = list(folder.glob(f".*{TEMPORARY_SUFFIX}"))
    for sub in (DATA_DIR, ERRORS_DIR):
        if (folder / sub).is_dir():
            found += (folder / sub).rglob(f".*{TEMPORARY_SUFFIX}")
    return sorted(found)


def check(path: str | os.PathLike[str]) -> CheckReport:
    """Verify a results folder against its manifest; list every problem, one line each.

    Every listed finished run is read in full and verified, so this reads
    all the data once. A batch that is still running is checked as far as
    it is sealed.
    """
    folder = Path(path)
    report = CheckReport(folder)
    try:
        manifest = read_manifest(folder)
    except IncompleteResultsError as exc:  # store format 1
        report.problems.append(str(exc))
        return report
    except InputError as exc:
        report.problems += [
            *exc.problems,
            f"{folder / MANIFEST}: a lost or damaged manifest can be rebuilt from the data files "
            "(repair)",
        ]
        return report
    report.runs = len(manifest["runs"])
    try:
        read_scenarios(folder, manifest)
    except InputError as exc:
        report.problems += exc.problems
    for file, records in done_by_file(manifest).items():
        try:
            read_runs(folder, manifest, file, records, verify=True)
        except DamagedFileError as exc:
            report.problems.append(f"{exc}; resuming the batch reruns its {len(records)} run(s)")
        else:
            report.done += len(records)
    for stray in stray_files(folder, manifest):
        report.problems.append(
            f"{folder / stray}: not listed in the manifest (a stray: never read; move it away)"
        )
    running = lock_held(folder)
    for journal in journal_files(folder):
        if running:
            report.notes.append(f"{journal}: being written by the running batch")
        else:
            report.problems.append(
                f"{journal}: finished runs not sealed into a data file (the batch was "
                "stopped): resuming the batch recovers them"
            )
    if not running:
        for temporary in _temporaries(folder):
            report.problems.append(
                f"{temporary}: half-written temporary file of a killed process "
                "(resuming the batch removes it)"
            )
    report.failed = sum(1 for r in manifest["runs"] if r.get("status") == "error")
    left = report.runs - report.done - report.failed
    if left > 0 or report.failed:
        report.notes.append(
            f"{left} run(s) not finished and {report.failed} failed of {report.runs}: "
            "resuming the batch runs them"
        )
    return report


def _old_manifest(folder: Path) -> dict[str, Any]:
    """Whatever can still be read of a damaged manifest (an empty dict if nothing)."""
    try:
        data = json.loads((folder / MANIFEST).read_bytes())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("kind") == KIND else {}


def _scenario_lines(folder: Path) -> list[dict[str, Any]]:
    """The lines of the scenario record (empty if unreadable)."""
    try:
        text = (folder / SCENARIOS_FILE).read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    except (OSError, ValueError):
        return []


def _batch_id(
    folder: Path, old: Mapping[str, Any], lines: list[dict[str, Any]], parts: list
) -> str:
    """Which batch the folder holds: from the manifest, the scenario record or the data files."""
    if isinstance(old.get("batch"), str):
        return old["batch"]
    if lines and lines[0].get("kind") == SCENARIOS_KIND and isinstance(lines[0].get("batch"), str):
        return lines[0]["batch"]
    ids = sorted({part.header.get("batch") for part in parts} - {None})
    if len(ids) != 1:
        raise InputError(
            f"cannot tell which batch {folder} holds: its data files are of "
            f"{len(ids)} batches and neither {MANIFEST} nor {SCENARIOS_FILE} says"
        )
    return ids[0]


def _scenarios(lines: list[dict[str, Any]], batch: str) -> list[Any]:
    """The scenarios of the record if it is this batch's (else an empty list)."""
    from sim.scenarios import Scenario

    if not lines or lines[0].get("batch") != batch:
        return []
    try:
        return [Scenario.from_dict(item["scenario"]) for item in lines[1:]]
    except (InputError, KeyError, TypeError, ValueError):
        return []


def repair(path: str | os.PathLike[str]) -> list[str]:
    """Rebuild the manifest of a results folder from its data files; return notes.

    The batch's id, steps, root seed and seeding come from what is left of
    the manifest, the scenario record or the data files' own records; its
    scenarios from ``scenarios.jsonl``. Every data file of the batch is read
    in full; each run that verifies (its content digest, its seed for the
    root seed, its scenario digest) is listed where it is; a failure in the
    status log is kept; every other run is pending. Files of other batches
    stay strays. A copy of a damaged manifest is kept as ``manifest.json.damaged``.

    Raises:
        InputError: the folder is in use by a running batch, holds data of
            several batches and nothing says which is its own, or holds no
            record of its scenarios or data at all.

    """
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(f"results folder {folder} does not exist")
    with locked(folder):
        return _repair_locked(folder)


def _repair_locked(folder: Path) -> list[str]:
    """Body of :func:`repair` once the folder is locked."""
    notes: list[str] = []
    old = _old_manifest(folder)
    lines = _scenario_lines(folder)
    parts = []
    for file in data_files(folder):
        try:
            parts.append(open_part(file))
        except DamagedFileError as exc:
            notes.append(f"left out {exc}")
    batch = _batch_id(folder, old, lines, parts)
    ours = [p for p in parts if p.header.get("batch") == batch]
    header = {**(ours[0].header if ours else {}), **old}
    scenarios = _scenarios(lines, batch)
    if scenarios:
        keys = ("name", "digest", "description", "source_file")
        entries = [{k: line.get(k) for k in keys} for line in lines[1:]]
        columns = batch_columns(scenarios)
    elif ours:
        names = sorted({(r["scenario"], r["digest"]) for p in ours for r in p.records.values()})
        entries = [
            {"name": n, "digest": d, "description": "", "source_file": None} for n, d in names
        ]
        columns = [[f.name, _type_name(f.type)] for f in ours[0].handle.schema_arrow]
        notes.append(f"{SCENARIOS_FILE} is lost: resuming needs the scenarios given again")
    else:
        raise InputError(f"{folder} holds neither a record of its scenarios nor data files")
    steps, root_seed = int(header.get("steps", 0)), int(header.get("root_seed", 0))
    seen = [int(r["replicate"]) + 1 for p in ours for r in p.records.values()]
    replicates = max([int(old.get("replicates", 0)), *seen, 1])
    schema = batch_schema(columns)
    digests = {e["name"]: e["digest"] for e in entries}
    records = {
        (e["name"], k): {
            "scenario": e["name"],
            "replicate": k,
            "seed": replicate_seed(root_seed, k),
            "steps": steps,
            "digest": e["digest"],
            "status": "pending",
        }
        for e in entries
        for k in range(replicates)
    }
    for part in ours:
        notes += _adopt(folder, part, schema, records, digests)
    for event in read_log(folder):
        key = (event.get("scenario"), event.get("replicate"))
        if event.get("event") == "error" and records.get(key, {}).get("status") == "pending":
            shown = error_file(folder, *key)  # type: ignore[arg-type]
            traceback = str(shown.relative_to(folder)) if shown.is_file() else None
            records[key].update(status="error", error=event.get("error"), traceback_file=traceback)
    done = sum(1 for r in records.values() if r["status"] == "done")
    manifest = {
        "kind": KIND,
        "format": FORMAT,
        "batch": batch,
        "created": old.get("created", timestamp()),
        "status": "complete" if done == len(records) else "incomplete",
        "provenance": old.get("provenance", {}),
        "steps": steps,
        "replicates": replicates,
        "root_seed": root_seed,
        "seeding": header.get("seeding", ""),
        "columns": columns,
        "scenarios": entries,
        "sessions": [*old.get("sessions", []), {"repaired": timestamp()}],
        "runs": list(records.values()),
    }
    with contextlib.suppress(OSError):
        damaged = (folder / MANIFEST).read_bytes()
        atomic_write_bytes(folder / f"{MANIFEST}.damaged", damaged)
    write_manifest(folder, manifest)
    notes.append(
        f"rebuilt {folder / MANIFEST}: {done} of {len(records)} runs finished and verified"
    )
    return notes


def _type_name(kind: Any) -> str:
    """The manifest's name of an Arrow column type."""
    return {"string": "string", "int64": "int64", "double": "double", "bool": "bool"}.get(
        str(kind), str(kind)
    )


def _adopt(
    folder: Path,
    part: Any,
    schema: Any,
    records: dict[tuple[str, int], dict[str, Any]],
    digests: Mapping[str, str],
) -> list[str]:
    """List the runs of one data file of the batch that verify; return notes."""
    file = f"{DATA_DIR}/{part.path.name}"
    if not part.handle.schema_arrow.remove_metadata().equals(schema):
        return [f"left out {part.path}: other columns than the batch"]
    try:
        table = part.handle.read()
    except (OSError, ValueError) as exc:
        return [f"left out {part.path}: unreadable ({exc})"]
    meta = part.handle.metadata
    starts, total = [], 0
    for group in range(meta.num_row_groups):
        starts.append(total)
        total += meta.row_group(group).num_rows
    taken = 0
    items = sorted(part.records.items())
    slices = []
    for (group, offset), record in items:
        start = starts[group] + offset if group < len(starts) else total
        slices.append((start, int(record["rows"]) if start + int(record["rows"]) <= total else 0))
    for ((group, offset), record), digest in zip(
        items, content_digests(table, slices), strict=True
    ):
        key = (record.get("scenario"), record.get("replicate"))
        planned = records.get(key)  # type: ignore[arg-type]
        if (
            planned is None
            or planned["status"] == "done"
            or digest != record.get("content")
            or digests.get(record["scenario"]) != record.get("digest")
            or any(planned.get(k) != record.get(k) for k in ("seed", "steps"))
        ):
            continue
        planned.update({k: record.get(k) for k in IDENTITY})
        planned.update(
            {k: record.get(k) for k in ("wall_time", "started", "finished", "host")},
            file=file,
            row_group=group,
            offset=offset,
            status="done",
        )
        taken += 1
    return [] if taken == len(items) else [f"{part.path}: {len(items) - taken} run(s) left out"]
