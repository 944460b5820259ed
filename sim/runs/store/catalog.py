"""Reading runs where the manifest says they are, verified; and what else a folder holds.

:func:`read_runs` reads the given finished runs of one data file, and only
them: the row groups that hold them and the columns asked for. Before any
value is used it checks that the file is a data file of this batch (its
batch id), that its own record of each run agrees with the manifest's
(scenario, replicate, seed, steps, scenario digest, rows, content digest,
place), and that the identifying columns of every row are the run's. Pages
are read with their checksums verified; when every column is read the
content digest of each run is checked too. Anything else found in the data
folder, or left from store format 1, is a stray (:func:`stray_files`):
reported, never read.
"""

from __future__ import annotations

import warnings
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sim.errors import ResultsWarning
from sim.runs.store.columns import batch_schema, content_digests
from sim.runs.store.layout import DATA_DIR, ID_COLUMNS, RUNS_DIR, SCENARIOS_DIR, data_files
from sim.runs.store.parts import DamagedFileError, open_part

__all__ = [
    "IDENTITY",
    "done_by_file",
    "read_runs",
    "stray_files",
    "warn_strays",
]

#: Fields of a run's record that its data file must repeat exactly.
IDENTITY: tuple[str, ...] = ("scenario", "replicate", "seed", "steps", "digest", "rows", "content")

#: Strays named in one warning line at most.
_LISTED = 5


def done_by_file(
    manifest: Mapping[str, Any], names: Collection[str] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The finished runs the manifest lists (of scenarios ``names``), by data file."""
    out: dict[str, list[dict[str, Any]]] = {}
    for record in manifest["runs"]:
        if record.get("status") != "done" or not isinstance(record.get("file"), str):
            continue
        if names is None or record["scenario"] in names:
            out.setdefault(record["file"], []).append(record)
    return out


def _data_path(folder: Path, file: str) -> Path:
    """The path of a listed data file, which must be a ``.parquet`` file inside ``data/``."""
    parts = Path(file).parts
    if len(parts) != 2 or parts[0] != DATA_DIR or not parts[1].endswith(".parquet"):
        raise DamagedFileError(
            folder / file, "is not a data file of the store (bad manifest entry)"
        )
    if parts[1].startswith("."):
        raise DamagedFileError(
            folder / file, "is not a data file of the store (bad manifest entry)"
        )
    return folder / file


def _check_records(
    path: Path, stored: Mapping[tuple[int, int], Mapping[str, Any]], records: Sequence[Mapping]
) -> None:
    """Raise unless the file's own record of each run equals the manifest's."""
    for record in records:
        try:
            place = (int(record["row_group"]), int(record["offset"]))
        except (KeyError, TypeError, ValueError):
            raise DamagedFileError(path, "the manifest gives no place for a run in it") from None
        own = stored.get(place)
        if own is None or any(own.get(key) != record.get(key) for key in IDENTITY):
            raise DamagedFileError(
                path,
                f"does not hold {record['scenario']} replicate {record['replicate']} "
                "where the manifest says (a file of another batch or run?)",
            )


def _check_ids(
    path: Path, table: pa.Table, records: Sequence[Mapping], slices: Sequence[tuple[int, int]]
) -> None:
    """Raise unless every row's identifying columns are those of its run."""
    rows = np.array([n for _, n in slices], dtype=np.int64)
    index = np.concatenate([np.arange(o, o + n) for o, n in slices]) if slices else np.array([])
    expected = {
        "scenario": np.repeat(np.array([r["scenario"] for r in records], dtype=object), rows),
        "replicate": np.repeat([int(r["replicate"]) for r in records], rows),
        "seed": np.repeat([int(r["seed"]) for r in records], rows),
        "month": np.concatenate([np.arange(n) for n in rows]) if slices else np.array([]),
    }
    for name, wanted in expected.items():
        found = table.column(name).to_numpy(zero_copy_only=False)[index]
        if len(found) != len(wanted) or not (found == wanted).all():
            raise DamagedFileError(
                path, f"its {name} column does not match the runs the manifest lists"
            )


def read_runs(
    folder: Path,
    manifest: Mapping[str, Any],
    file: str,
    records: Sequence[Mapping[str, Any]],
    columns: Sequence[str] | None = None,
    *,
    verify: bool = False,
) -> pa.Table:
    """Read the finished runs ``records`` from the data file ``file``, checked.

    Only the row groups holding those runs are read, and only the
    identifying columns and ``columns`` (default: all). Runs come out in
    the order of ``records``, each contiguous, months in order.

    Args:
        folder: the results folder.
        manifest: its manifest.
        file: the data file (``data/part-....parquet``) as the manifest names it.
        records: the manifest's records of runs in that file.
        columns: the columns to read besides the identifying ones (default: all).
        verify: check each run's content digest (needs every column).

    Raises:
        DamagedFileError: the file is missing, unreadable, of another batch, does
            not hold the runs where the manifest says, or its data do not verify.

    """
    path = _data_path(folder, file)
    part = open_part(path, batch_schema(manifest["columns"]))
    if part.header.get("batch") != manifest["batch"]:
        raise DamagedFileError(path, "belongs to another batch (its batch id differs)")
    _check_records(path, part.records, records)
    groups = sorted({int(r["row_group"]) for r in records})
    names = None if columns is None else [*ID_COLUMNS, *(c for c in columns if c not in ID_COLUMNS)]
    meta = part.handle.metadata
    if groups and groups[-1] >= meta.num_row_groups:
        raise DamagedFileError(path, "has fewer row groups than the manifest says")
    try:
        table = part.handle.read_row_groups(groups, columns=names)
    except (OSError, pa.ArrowException) as exc:
        raise DamagedFileError(
            path, f"unreadable (corrupt?): {' '.join(str(exc).split())}"
        ) from None
    starts, total = {}, 0
    for group in groups:
        starts[group] = total
        total += meta.row_group(group).num_rows
    slices = [(starts[int(r["row_group"])] + int(r["offset"]), int(r["rows"])) for r in records]
    if any(o + n > total for o, n in slices):
        raise DamagedFileError(path, "has fewer rows than the manifest says")
    _check_ids(path, table, records, slices)
    if verify:
        if names is not None:
            raise ValueError("verifying content needs every column")
        for record, digest in zip(records, content_digests(table, slices), strict=True):
            if digest != record.get("content"):
                raise DamagedFileError(
                    path,
                    f"the data of {record['scenario']} replicate {record['replicate']} "
                    "do not match their content digest",
                )
    if slices == [(0, table.num_rows)] or _covers(slices, table.num_rows):
        return table
    return pa.concat_tables([table.slice(o, n) for o, n in slices])


def _covers(slices: Sequence[tuple[int, int]], total: int) -> bool:
    """Whether the slices are the whole table, in order."""
    position = 0
    for offset, rows in slices:
        if offset != position:
            return False
        position += rows
    return position == total


def stray_files(folder: Path, manifest: Mapping[str, Any]) -> list[str]:
    """Files a folder holds where data belong but that its manifest does not list.

    Entries of ``data/`` that no run record names, and anything left in the
    folders of store format 1 (``runs/``, ``scenarios/``). Hidden journals
    and temporary files are not strays (the batch recovers or removes them).
    """
    listed = {r.get("file") for r in manifest["runs"] if r.get("status") == "done"}
    strays = [
        f"{DATA_DIR}/{p.name}" for p in data_files(folder) if f"{DATA_DIR}/{p.name}" not in listed
    ]
    for legacy in (RUNS_DIR, SCENARIOS_DIR):
        root = folder / legacy
        if root.is_dir():
            strays += sorted(str(p.relative_to(folder)) for p in root.rglob("*") if not p.is_dir())
        elif root.exists():
            strays.append(legacy)
    return strays


def warn_strays(folder: Path, manifest: Mapping[str, Any]) -> list[str]:
    """Warn, in one line naming them, of the strays of a folder (:class:`ResultsWarning`)."""
    strays = stray_files(folder, manifest)
    if strays:
        shown = ", ".join(strays[:_LISTED])
        more = f" and {len(strays) - _LISTED} more" if len(strays) > _LISTED else ""
        warnings.warn(
            f"ignored {len(strays)} file(s) in {folder} that its manifest does not list "
            f"(never read): {shown}{more}",
            ResultsWarning,
            stacklevel=3,
        )
    return strays
