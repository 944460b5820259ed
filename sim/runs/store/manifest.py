"""The manifest of a batch results folder, and the records beside it.

``manifest.json`` (JSON, rewritten atomically) records the batch's
provenance, steps, replicates, root seed and seeding rule, its scenarios
(name, digest, file), every call that ran it (``sessions``) and every run
(seed, status, times, error). Beside it the folder holds each resolved
scenario as ``scenarios/<name>.json`` and the traceback of each failed run
as ``errors/<scenario>/rep-NNNN.txt``. This module reads and writes those
files; nothing else does.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.errors import InputError, one_line
from sim.fileio import atomic_write_json, atomic_write_text
from sim.runs.provenance import timestamp
from sim.runs.store.layout import (
    FORMAT,
    KIND,
    MANIFEST,
    SCENARIOS_DIR,
    error_file,
    scenario_file,
)

if TYPE_CHECKING:
    from sim.scenarios import Scenario

__all__ = [
    "new_manifest",
    "read_manifest",
    "read_scenarios",
    "remove_error",
    "run_table",
    "scenario_entry",
    "scenario_names",
    "write_error",
    "write_manifest",
    "write_scenarios",
]


def new_manifest(
    replicates: int, steps: int, root_seed: int, *, provenance: Mapping[str, Any], seeding: str
) -> dict[str, Any]:
    """Return the manifest of a new batch (nothing written yet)."""
    return {
        "kind": KIND,
        "format": FORMAT,
        "created": timestamp(),
        "updated": timestamp(),
        "status": "running",
        "provenance": dict(provenance),
        "steps": steps,
        "replicates": replicates,
        "root_seed": root_seed,
        "seeding": seeding,
        "scenarios": [],
        "sessions": [],
        "runs": [],
    }


def write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    """Stamp ``manifest`` as updated now and write it atomically into ``folder``."""
    manifest["updated"] = timestamp()
    atomic_write_json(folder / MANIFEST, manifest)


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


def scenario_entry(scenario: Scenario) -> dict[str, Any]:
    """The manifest's record of one scenario of the batch."""
    return {
        "name": scenario.name,
        "digest": scenario.digest(),
        "file": f"{SCENARIOS_DIR}/{scenario.name}.json",
        "description": scenario.description,
        "source_file": str(scenario.path) if scenario.path else None,
    }


def write_scenarios(folder: Path, scenarios: Sequence[Scenario]) -> None:
    """Write each resolved scenario to ``scenarios/<name>.json`` unless already there."""
    (folder / SCENARIOS_DIR).mkdir(exist_ok=True)
    for scenario in scenarios:
        path = scenario_file(folder, scenario.name)
        if not path.exists():
            record = {"name": scenario.name, "digest": scenario.digest()}
            atomic_write_json(path, {**record, "scenario": scenario.to_dict()})


def read_scenarios(folder: Path, manifest: Mapping[str, Any]) -> list[Scenario]:
    """Read the scenarios of a batch as stored in ``scenarios/``, in batch order.

    Raises:
        InputError: a stored scenario is missing or unreadable.

    """
    from sim.scenarios import Scenario

    out = []
    for entry in manifest["scenarios"]:
        path = scenario_file(folder, entry["name"])
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            scenario = Scenario.from_dict(data["scenario"], origin=str(path))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f"cannot read scenario {entry['name']!r} of the batch from {path}: "
                f"{one_line(exc)}; resume with the scenarios given again"
            ) from None
        out.append(scenario)
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
