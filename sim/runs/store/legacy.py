"""Store format 1 (one Parquet file per run), read only to upgrade a folder in place.

A format-1 folder holds ``runs/<scenario>/rep-NNNN.parquet`` (one finished
run each, its record in the schema metadata key ``cadre_sim``),
``scenarios/<name>.json`` and a manifest of format 1. :func:`upgrade`
converts it to the current format: every run file that verifies (its
record matches the batch's scenario digest, replicate, seed and steps, and
it has ``steps + 1`` rows) is brought to the batch's columns and written to
data files; failed runs keep their records; the rest become pending. The
new manifest is the commit point: until it is written the folder is still
of format 1 (an interrupted upgrade is simply run again), and only after it
are the converted run files and the old scenario files removed. A file that
does not verify, or is not in the batch, is left in place and reported.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.errors import InputError, one_line
from sim.fileio import atomic_write, read_file_bytes
from sim.runs.provenance import timestamp
from sim.runs.seeding import replicate_seed
from sim.runs.store.columns import batch_columns, batch_schema
from sim.runs.store.layout import (
    DATA_DIR,
    MANIFEST,
    RUN_KIND,
    RUN_META_KEY,
    RUNS_DIR,
    SCENARIOS_DIR,
    data_files,
    journal_files,
)
from sim.runs.store.manifest import (
    LEGACY_FORMAT,
    new_manifest,
    read_manifest_data,
    scenario_entry,
    write_manifest,
    write_scenarios,
)
from sim.runs.store.reading import window_means
from sim.runs.store.writer import RunWriter

if TYPE_CHECKING:
    from sim.scenarios import Scenario

__all__ = [
    "read_legacy_manifest",
    "read_legacy_scenarios",
    "read_run_meta",
    "read_verified_run",
    "run_file",
    "run_files",
    "summarise_file",
    "upgrade",
    "write_run",
]


def run_file(out: str | os.PathLike[str], scenario: str, replicate: int) -> Path:
    """The path of a format-1 run file: ``runs/<scenario>/rep-NNNN.parquet``."""
    return Path(out) / RUNS_DIR / scenario / f"rep-{replicate:04d}.parquet"


def run_files(path: str | os.PathLike[str], scenario: str) -> Iterator[tuple[int, Path]]:
    """``(replicate, file)`` of every format-1 run file of ``scenario``, by replicate."""
    folder = Path(path) / RUNS_DIR / scenario
    if not folder.is_dir():
        return
    found = []
    for entry in folder.iterdir():
        stem = entry.name.removeprefix("rep-").removesuffix(".parquet")
        if entry.name.startswith("rep-") and entry.name.endswith(".parquet") and stem.isdigit():
            if entry.is_file():
                found.append((int(stem), entry))
    yield from sorted(found)


def write_run(frame: pd.DataFrame, path: Path, meta: Mapping[str, Any]) -> None:
    """Write one run as a format-1 run file (tests and benchmarks of the old layout)."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    record = {**meta, "kind": RUN_KIND, "format": LEGACY_FORMAT}
    metadata[RUN_META_KEY] = json.dumps(record, sort_keys=True).encode("utf-8")
    table = table.replace_schema_metadata(metadata)
    atomic_write(
        path,
        lambda temporary: pq.write_table(
            table, temporary, compression="zstd", write_page_checksum=True
        ),
    )


def read_run_meta(path: Path) -> dict[str, Any]:
    """Return the JSON record in a format-1 run file's metadata (``ValueError`` if absent)."""
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
    """The record and table of a format-1 run file, or None if it cannot be trusted.

    The whole file is read (with page checksums); its record must hold every
    ``expected`` key and value and the table ``rows`` rows.
    """
    try:
        if not file.is_file():
            return None
        meta = read_run_meta(file)
        if any(meta.get(key) != value for key, value in expected.items()):
            return None
        table = pq.read_table(file, page_checksum_verification=True)
        if table.num_rows != rows:
            return None
        return meta, table
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
        return None


def summarise_file(file: Path, metrics: Sequence[str], window: int) -> dict[str, float]:
    """Window means of one format-1 run file, reading only ``month`` and ``metrics``."""
    handle = pq.ParquetFile(file, page_checksum_verification=True)
    present = [m for m in metrics if m in handle.schema_arrow.names]
    return window_means(handle.read(columns=["month", *present]).to_pandas(), metrics, window)


def read_legacy_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read the manifest of a format-1 folder (``InputError`` if it is not one or is corrupt)."""
    folder = Path(path)
    data = read_manifest_data(folder)
    where = folder / MANIFEST
    if data["format"] != LEGACY_FORMAT:
        raise InputError(f"{where} is not of store format 1")
    for key in ("steps", "replicates", "root_seed"):
        value = data.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InputError(f"{where} is corrupt: {key!r} is {value!r}")
    scenarios, runs = data.get("scenarios"), data.get("runs")
    if not isinstance(scenarios, list) or not all(
        isinstance(s, dict) and isinstance(s.get("name"), str) and isinstance(s.get("digest"), str)
        for s in scenarios
    ):
        raise InputError(f"{where} is corrupt: 'scenarios' is not a list of name and digest")
    if not isinstance(runs, list) or not all(isinstance(r, dict) for r in runs):
        raise InputError(f"{where} is corrupt: 'runs' is not a list of run records")
    return data


def read_legacy_scenarios(folder: Path, manifest: Mapping[str, Any]) -> list[Scenario]:
    """The scenarios of a format-1 batch from ``scenarios/<name>.json``, in batch order."""
    from sim.scenarios import Scenario

    out = []
    for entry in manifest["scenarios"]:
        path = folder / SCENARIOS_DIR / f"{entry['name']}.json"
        try:
            data = json.loads(read_file_bytes(path, "scenario record", 64 * 1024 * 1024))
            scenario = Scenario.from_dict(data["scenario"], origin=str(path))
        except (InputError, ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f"cannot read scenario {entry['name']!r} of the batch from {path}: "
                f"{one_line(exc)}; resume with the scenarios given again"
            ) from None
        out.append(scenario)
    return out


def _remove_upgrade_debris(folder: Path) -> None:
    """Remove data files and journals an interrupted upgrade left (the folder is still format 1)."""
    for path in [*data_files(folder), *journal_files(folder)]:
        if path.name.startswith(("part-", ".journal-")) and path.is_file():
            path.unlink()


def upgrade(path: str | os.PathLike[str], scenarios: Sequence[Scenario] | None = None) -> list[str]:
    """Convert a format-1 results folder to the current store format in place; return notes.

    Args:
        path: the results folder (its batch must not be running).
        scenarios: the batch's scenarios if already read (default: from the folder).

    Raises:
        InputError: not a format-1 folder, or its manifest or scenarios are
            unreadable, or given scenarios differ from the batch's.

    """
    folder = Path(path)
    old = read_legacy_manifest(folder)
    chosen = list(scenarios) if scenarios is not None else read_legacy_scenarios(folder, old)
    recorded = {entry["name"]: entry["digest"] for entry in old["scenarios"]}
    if {s.name: s.digest() for s in chosen} != recorded:
        raise InputError(f"the scenarios given are not those of the batch in {folder}")
    _remove_upgrade_debris(folder)
    steps, replicates, root_seed = old["steps"], old["replicates"], old["root_seed"]
    manifest = new_manifest(
        replicates,
        steps,
        root_seed,
        provenance=old.get("provenance", {}),
        seeding=old.get("seeding", ""),
        columns=batch_columns(chosen),
    )
    manifest.update(
        created=old.get("created", manifest["created"]),
        status=old.get("status", "incomplete"),
        finished=old.get("finished"),
        sessions=list(old.get("sessions", [])),
        upgraded={"from_format": LEGACY_FORMAT, "time": timestamp()},
        scenarios=[scenario_entry(s) for s in chosen],
    )
    (folder / DATA_DIR).mkdir(exist_ok=True)
    sealed: list[dict[str, Any]] = []
    writer = RunWriter(
        folder,
        {key: manifest[key] for key in ("batch", "steps", "root_seed", "seeding")},
        batch_schema(manifest["columns"]),
        sealed.extend,
        scenarios={s.name: s for s in chosen},
    )
    previous = {(r.get("scenario"), r.get("replicate")): r for r in old["runs"]}
    records, converted = {}, []
    for scenario in chosen:
        for k in range(replicates):
            identity = {
                "scenario": scenario.name,
                "replicate": k,
                "seed": replicate_seed(root_seed, k),
                "steps": steps,
                "digest": scenario.digest(),
            }
            file = run_file(folder, scenario.name, k)
            checked = read_verified_run(file, identity, rows=steps + 1)
            before = previous.get((scenario.name, k), {})
            times = {key: before.get(key) for key in ("wall_time", "started", "finished", "host")}
            if checked is not None:
                meta, table = checked
                times.update({key: meta.get(key) for key in ("wall_time", "started", "finished")})
                writer.write(table.to_pandas(), {**identity, **times})
                converted.append(file)
                records[(scenario.name, k)] = {**identity, **times, "status": "pending"}
            elif before.get("status") == "error":
                keep = {key: before.get(key) for key in ("error", "traceback_file", "attempts")}
                records[(scenario.name, k)] = {**identity, **times, **keep, "status": "error"}
            else:
                records[(scenario.name, k)] = {**identity, "status": "pending"}
    writer.close()
    for item in sealed:
        place = {k: item[k] for k in ("file", "row_group", "offset", "rows", "content")}
        records[(item["scenario"], item["replicate"])].update(place, status="done")
    manifest["runs"] = list(records.values())
    write_scenarios(folder, manifest["batch"], chosen)
    write_manifest(folder, manifest)
    for file in converted:
        file.unlink(missing_ok=True)
    for scenario in chosen:
        (folder / SCENARIOS_DIR / f"{scenario.name}.json").unlink(missing_ok=True)
    for root in (folder / RUNS_DIR, folder / SCENARIOS_DIR):
        for sub in sorted(root.glob("**/"), key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                sub.rmdir()
    left = (
        [p for p in (folder / RUNS_DIR).rglob("*") if p.is_file()]
        if (folder / RUNS_DIR).is_dir()
        else []
    )
    notes = [f"upgraded {folder} to the current store format: {len(converted)} run(s) converted"]
    if left:
        notes.append(
            f"left {len(left)} file(s) in {folder / RUNS_DIR} that are not runs of the batch: "
            + ", ".join(str(p.relative_to(folder)) for p in left[:5])
        )
    return notes
