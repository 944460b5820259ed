"""The manifest of a batch results folder, and the records beside it.

``manifest.json`` (JSON, rewritten atomically) is the truth of what a folder
holds: the batch's id, provenance, steps, replicates, root seed and seeding
rule, its columns, its scenarios (name, digest), every call that ran it
(``sessions``) and one record per run: scenario, replicate, seed, steps,
scenario digest, status, and for a finished run its rows, its location
(``file``, ``row_group``, ``offset``) and its content digest. Every read
checks the data against these records.

Beside it: every resolved scenario in ``scenarios.jsonl`` (a header line,
then one scenario per line), the traceback of each failed run in
``errors/<scenario>/rep-NNNN.txt``, and ``status.log``, an append-only log
of JSON lines (sessions, runs done or failed, data files sealed) that says
what happened, in order. This module reads and writes those files; nothing
else does.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.errors import IncompleteResultsError, InputError, one_line
from sim.fileio import append_line, atomic_write, atomic_write_text, read_file_bytes
from sim.runs.provenance import timestamp
from sim.runs.store.layout import (
    FORMAT,
    KIND,
    MANIFEST,
    SCENARIOS_FILE,
    STATUS_LOG,
    error_file,
)

if TYPE_CHECKING:
    from sim.scenarios import Scenario

__all__ = [
    "LEGACY_FORMAT",
    "MAX_RECORD_BYTES",
    "SCENARIOS_KIND",
    "log_event",
    "manifest_text",
    "new_manifest",
    "read_log",
    "read_manifest",
    "read_manifest_data",
    "read_scenarios",
    "remove_error",
    "run_table",
    "scenario_entry",
    "scenario_names",
    "write_error",
    "write_manifest",
    "write_scenarios",
]

#: Store format of folders with one Parquet file per run (read only to upgrade them).
LEGACY_FORMAT = 1
#: ``kind`` of the header line of ``scenarios.jsonl``.
SCENARIOS_KIND = "cadre-sim scenarios"
#: Largest manifest, scenario file or status log read (bytes).
MAX_RECORD_BYTES = 2 * 1024**3


def new_manifest(
    replicates: int,
    steps: int,
    root_seed: int,
    *,
    provenance: Mapping[str, Any],
    seeding: str,
    columns: Sequence[Sequence[str]],
) -> dict[str, Any]:
    """Return the manifest of a new batch (nothing written yet), with a fresh batch id."""
    return {
        "kind": KIND,
        "format": FORMAT,
        "batch": uuid.uuid4().hex,
        "created": timestamp(),
        "updated": timestamp(),
        "status": "running",
        "provenance": dict(provenance),
        "steps": steps,
        "replicates": replicates,
        "root_seed": root_seed,
        "seeding": seeding,
        "columns": [list(c) for c in columns],
        "scenarios": [],
        "sessions": [],
        "runs": [],
    }


def _line(data: Any) -> str:
    """Compact one-line JSON (NaN allowed)."""
    return json.dumps(data, separators=(",", ":"), allow_nan=True)


def _manifest_pieces(manifest: Mapping[str, Any]) -> Iterator[str]:
    """The manifest as JSON text, piece by piece (a long one is never one string)."""
    listed = ("columns", "scenarios", "runs")
    head = {k: v for k, v in manifest.items() if k not in listed}
    yield json.dumps(head, indent=1, allow_nan=True)[:-2]
    for key in listed:
        items = manifest.get(key, [])
        if not items:
            yield f',\n "{key}": []'
            continue
        yield f',\n "{key}": [\n  '
        for number, item in enumerate(items):
            yield ("" if number == 0 else ",\n  ") + _line(item)
        yield "\n ]"
    yield "\n}\n"


def manifest_text(manifest: Mapping[str, Any]) -> str:
    """The manifest as JSON text: the header indented, one line per column, scenario and run."""
    return "".join(_manifest_pieces(manifest))


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Stamp ``manifest`` as updated now and write it atomically into ``folder``.

    The text is written piece by piece, so a manifest of many runs never
    needs its whole text in memory.
    """
    manifest["updated"] = timestamp()

    def write(temporary: Path) -> None:
        with open(temporary, "w", encoding="utf-8") as handle:
            for piece in _manifest_pieces(manifest):
                handle.write(piece)

    atomic_write(folder / MANIFEST, write)


def _load_json(path: Path, what: str) -> Any:
    """Parse a JSON file of the store (``InputError`` if unreadable)."""
    try:
        return json.loads(read_file_bytes(path, what, MAX_RECORD_BYTES))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} is unreadable (corrupt?): {exc}") from None


def read_manifest_data(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read the manifest of results folder ``path`` as it is (any store format).

    Raises:
        InputError: no such folder, no manifest (a foreign folder), an
            unreadable manifest, one of another kind, or of a newer format.

    """
    folder = Path(path)
    if not folder.exists():
        raise InputError(f"results folder {folder} does not exist")
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder: expected a batch results folder")
    manifest_path = folder / MANIFEST
    if not os.path.lexists(manifest_path):
        raise InputError(f"{folder} is not a cadre-sim batch results folder: it has no {MANIFEST}")
    data = _load_json(manifest_path, "manifest")
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
    return data


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check the manifest of results folder ``path`` (store format 2).

    Raises:
        InputError: see :func:`read_manifest_data`; or the manifest lacks
            required entries.
        IncompleteResultsError: a folder of store format 1 (one file per
            run), which resuming its batch (or :func:`~sim.runs.store.upgrade`)
            converts in place.

    """
    folder = Path(path)
    data = read_manifest_data(folder)
    if data["format"] == LEGACY_FORMAT:
        raise IncompleteResultsError(
            f"{folder} holds results in store format 1 (one file per run) of an older "
            "cadre-sim: resuming its batch upgrades it to this version's format in place",
            folder,
        )
    _check_manifest_entries(data, folder / MANIFEST)
    return data


def _is_count(value: Any) -> bool:
    """A whole number >= 0 (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_manifest_entries(data: Mapping[str, Any], where: Path) -> None:
    """Raise ``InputError`` if a required manifest entry is missing or mistyped."""
    for key in ("steps", "replicates", "root_seed"):
        if not _is_count(data.get(key)):
            raise InputError(f"{where} is corrupt: {key!r} is {data.get(key)!r}")
    if not isinstance(data.get("batch"), str):
        raise InputError(f"{where} is corrupt: no batch id")
    columns = data.get("columns")
    if not isinstance(columns, list) or not all(
        isinstance(c, list) and len(c) == 2 and all(isinstance(x, str) for x in c) for c in columns
    ):
        raise InputError(f"{where} is corrupt: 'columns' is not a list of name and type")
    scenarios = data.get("scenarios")
    if not isinstance(scenarios, list) or not all(
        isinstance(s, dict) and isinstance(s.get("name"), str) and isinstance(s.get("digest"), str)
        for s in scenarios
    ):
        raise InputError(f"{where} is corrupt: 'scenarios' is not a list of name and digest")
    runs = data.get("runs")
    if not isinstance(runs, list) or not all(
        isinstance(r, dict) and isinstance(r.get("scenario"), str) and _is_count(r.get("replicate"))
        for r in runs
    ):
        raise InputError(f"{where} is corrupt: 'runs' is not a list of run records")


def scenario_names(manifest: Mapping[str, Any]) -> list[str]:
    """Scenario names of a batch, in the order they were given."""
    return [entry["name"] for entry in manifest["scenarios"]]


def run_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """One row per planned run from the manifest: seed, status, wall time, error.

    The manifest is rewritten whenever a data file is sealed and when a
    batch session ends; after a killed batch it may show finished runs as
    pending until the batch is resumed (which recovers them).
    """
    manifest = read_manifest(path)
    columns = ["scenario", "replicate", "seed", "status", "wall_time", "started", "finished"]
    frame = pd.DataFrame.from_records(manifest["runs"])
    for column in [*columns, "error"]:
        if column not in frame.columns:
            frame[column] = None
    return frame[[*columns, "error"]]


def scenario_entry(scenario: Scenario) -> dict[str, Any]:
    """The manifest's record of one scenario of the batch."""
    return {
        "name": scenario.name,
        "digest": scenario.digest(),
        "description": scenario.description,
        "source_file": str(scenario.path) if scenario.path else None,
    }


def write_scenarios(folder: Path, batch: str, scenarios: Sequence[Scenario]) -> None:
    """Write every resolved scenario to ``scenarios.jsonl`` atomically (a header line first).

    Each line holds the scenario's manifest entry (:func:`scenario_entry`)
    and, under ``scenario``, the scenario itself as plain data.
    """
    lines = [_line({"kind": SCENARIOS_KIND, "format": FORMAT, "batch": batch})]
    lines += [
        json.dumps({**scenario_entry(s), "scenario": s.to_dict()}, ensure_ascii=False)
        for s in scenarios
    ]
    atomic_write_text(folder / SCENARIOS_FILE, "\n".join(lines) + "\n")


def _scenario_lines(path: Path) -> Iterator[Any]:
    """The parsed lines of ``scenarios.jsonl`` (``ValueError`` if unreadable)."""
    text = read_file_bytes(path, "scenario record", MAX_RECORD_BYTES).decode("utf-8")
    for line in text.splitlines():
        if line.strip():
            yield json.loads(line)


def read_scenarios(folder: Path, manifest: Mapping[str, Any]) -> list[Scenario]:
    """Read the scenarios of a batch as stored in ``scenarios.jsonl``, in batch order.

    Raises:
        InputError: the file is missing or unreadable, of another batch, or
            lacks a scenario of the manifest or holds one with another digest.

    """
    from sim.scenarios import Scenario

    path = folder / SCENARIOS_FILE
    problem = f"cannot read the scenarios of the batch from {path}"
    try:
        lines = list(_scenario_lines(path))
        header = lines[0] if lines else {}
        if header.get("kind") != SCENARIOS_KIND or header.get("batch") != manifest["batch"]:
            raise ValueError("not the scenario record of this batch")
        stored = {item["name"]: item for item in lines[1:]}
        out = []
        for entry in manifest["scenarios"]:
            item = stored[entry["name"]]
            scenario = Scenario.from_dict(item["scenario"], origin=f"{path} {entry['name']}")
            if scenario.digest() != entry["digest"]:
                raise ValueError(f"scenario {entry['name']!r} differs from the manifest's")
            out.append(scenario)
    except (InputError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        raise InputError(
            f"{problem}: {one_line(exc)}; resume with the scenarios given again"
        ) from None
    return out


def write_error(folder: Path, scenario: str, replicate: int, seed: int, text: str) -> str:
    """Write a failed run's traceback; return its path relative to ``folder``."""
    path = error_file(folder, scenario, replicate)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, f"{scenario} replicate {replicate} seed {seed}\n{text}\n")
    return str(path.relative_to(folder))


def remove_error(folder: Path, scenario: str, replicate: int) -> None:
    """Remove the traceback of a run that has now finished, if any."""
    error_file(folder, scenario, replicate).unlink(missing_ok=True)


def log_event(folder: Path, event: str, **fields: Any) -> None:
    """Append one event (``session``, ``done``, ``error``, ``sealed``, ``end``) to the log."""
    append_line(folder / STATUS_LOG, _line({"time": timestamp(), "event": event, **fields}))


def read_log(folder: Path) -> list[dict[str, Any]]:
    """Every complete event of the status log, in order (a torn last line is left out)."""
    path = folder / STATUS_LOG
    if not os.path.lexists(path):
        return []
    try:
        text = read_file_bytes(path, "status log", MAX_RECORD_BYTES).decode("utf-8", "replace")
    except InputError:
        return []
    events = []
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(item, dict):
            events.append(item)
    return events
