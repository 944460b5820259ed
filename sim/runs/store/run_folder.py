"""The folder of a single run (``cadre-sim run``): series, resolved scenario, metadata.

A run folder holds exactly :data:`RUN_FILES`:

* ``timeseries.parquet``: the model's monthly time series
  (:meth:`sim.model.CadreModel.timeseries`), byte-identical for the same
  scenario, steps and seed;
* ``scenario.toml``: the fully resolved scenario (every parameter, the full
  timeline, no ``extends``), which loads back to the same scenario;
* ``metadata.json``: versions, seed, steps, population, times and the git
  commit of the code (:func:`sim.runs.provenance.run_metadata`).

The files are written into a hidden staging folder next to the run folder
(``.<name>.<pid>-<tag>.partial``) and renamed into place at the end, so a
failure leaves nothing half-written; an existing run folder at the same
place is replaced (moved aside as ``.<name>.<pid>-<tag>.old`` for the
moment of the swap). A killed run can leave either behind: the next write
of the same run folder removes the staging folders of dead processes and
puts back a previous run folder that was moved aside and not replaced.
Every filesystem error is one line naming the path.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sim.errors import InputError
from sim.fileio import (
    atomic_write,
    atomic_write_json,
    atomic_write_text,
    os_errors_as_input,
    process_alive,
)

if TYPE_CHECKING:
    from sim.scenarios import Scenario

__all__ = [
    "METADATA_FILE",
    "RUN_FILES",
    "SCENARIO_FILE",
    "TIMESERIES_FILE",
    "RunFolder",
    "check_run_folder",
    "clean_run_debris",
    "read_run_folder",
    "write_run_folder",
]

#: The monthly time series of the run.
TIMESERIES_FILE = "timeseries.parquet"
#: The resolved scenario, as TOML that loads back to it.
SCENARIO_FILE = "scenario.toml"
#: Provenance of the run.
METADATA_FILE = "metadata.json"
#: Files a run folder holds.
RUN_FILES: tuple[str, ...] = (TIMESERIES_FILE, SCENARIO_FILE, METADATA_FILE)


@dataclass(frozen=True)
class RunFolder:
    """A single run read back from its folder.

    Attributes:
        path: the run folder.
        timeseries: the monthly time series.
        scenario: the resolved scenario it ran.
        metadata: its ``metadata.json``.

    """

    path: Path
    timeseries: pd.DataFrame
    scenario: Scenario
    metadata: dict[str, Any]


def check_run_folder(out: Path) -> None:
    """Refuse a path that is a file, or a folder with content that is not a run folder.

    Raises:
        InputError: ``out`` cannot become (or be replaced by) a run folder,
            or a filesystem error (a part of the path is a file, a name too
            long, ...), naming the path.

    """
    with os_errors_as_input(out, "cannot use", arguments=("out",)):
        if out.exists() and not out.is_dir():
            raise InputError(f"{out}: exists and is not a folder", arguments=("out",))
        if out.is_dir() and any(out.iterdir()) and not (out / METADATA_FILE).is_file():
            raise InputError(
                f"{out}: folder exists and is not a cadre-sim run folder "
                f"(no {METADATA_FILE}); choose another folder or remove it",
                arguments=("out",),
            )
        parent = next((p for p in out.parents if p.exists()), None)
        if parent is not None and not parent.is_dir():
            raise InputError(f"{parent}: exists and is not a folder", arguments=("out",))


def write_run_folder(
    out: Path, scenario: Scenario, frame: pd.DataFrame, metadata: dict[str, Any]
) -> None:
    """Write a run folder atomically: a hidden staging folder renamed into place.

    An existing run folder at ``out`` is replaced; on any failure nothing is
    left behind (neither the staging folder nor parent folders made for it).

    Raises:
        InputError: ``out`` is not usable, or the files cannot be written.

    """
    from sim import scenarios

    check_run_folder(out)
    with os_errors_as_input(out.parent, "cannot create folder", arguments=("out",)):
        made = _make_parents(out.parent)
    clean_run_debris(out)
    staging: Path | None = None
    try:
        staging = _fresh_sibling(out, "partial")
        staging.mkdir()
        atomic_write(
            staging / TIMESERIES_FILE,
            lambda path: frame.to_parquet(path, index=False, engine="pyarrow"),
        )
        atomic_write_text(staging / SCENARIO_FILE, scenario.to_toml(annotate=True))
        if scenarios.load(staging / SCENARIO_FILE) != scenario:
            raise RuntimeError(f"the resolved {SCENARIO_FILE} does not load back to the scenario")
        atomic_write_json(staging / METADATA_FILE, metadata, indent=2, ensure_ascii=False)
        _move_into_place(staging, out)
        staging = None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise InputError(
            f"cannot write the run folder {out}: {reason}", arguments=("out",)
        ) from None
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
            for folder in reversed(made):
                _remove_if_empty(folder)


def read_run_folder(path: str | os.PathLike[str]) -> RunFolder:
    """Read a run folder written by :func:`write_run_folder` (``cadre-sim run``).

    Raises:
        InputError: ``path`` is not a run folder, or one of its files is
            missing or unreadable.

    """
    from sim import scenarios

    folder = Path(path)
    missing = [name for name in RUN_FILES if not (folder / name).is_file()]
    if missing:
        raise InputError(f"{folder} is not a cadre-sim run folder: no {', '.join(missing)}")
    try:
        metadata = json.loads((folder / METADATA_FILE).read_text(encoding="utf-8"))
        frame = pd.read_parquet(folder / TIMESERIES_FILE)
    except (OSError, ValueError) as exc:
        raise InputError(f"{folder}: unreadable run folder (corrupt?): {exc}") from None
    scenario = scenarios.load(folder / SCENARIO_FILE)
    return RunFolder(path=folder, timeseries=frame, scenario=scenario, metadata=metadata)


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and missing ancestors; return the ones created, outermost first."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    missing.reverse()
    folder.mkdir(parents=True, exist_ok=True)
    return missing


def _remove_if_empty(folder: Path) -> None:
    """Remove a folder if it exists and is empty."""
    try:
        folder.rmdir()
    except OSError:
        pass


def _move_into_place(staging: Path, out: Path) -> None:
    """Rename the finished staging folder to ``out``, replacing an old run folder."""
    if not out.exists():
        staging.rename(out)
        return
    old = _fresh_sibling(out, "old")
    out.rename(old)
    try:
        staging.rename(out)
    except OSError:
        old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)


_DEBRIS = re.compile(r"^\.(?P<name>.+)\.(?P<pid>\d+)-[0-9a-f]{8}\.(?P<kind>partial|old)$")


def clean_run_debris(out: Path) -> list[str]:
    """Tidy what killed writes of the run folder ``out`` left; return what was done.

    Staging folders (``.partial``) of processes that no longer run are
    removed; a previous run folder moved aside (``.old``) by a process that
    no longer runs is put back if ``out`` is missing, else removed.
    """
    done: list[str] = []
    if not out.parent.is_dir():
        return done
    for entry in sorted(out.parent.iterdir()):
        match = _DEBRIS.match(entry.name)
        if not match or match["name"] != out.name or process_alive(int(match["pid"])):
            continue
        if match["kind"] == "old" and not out.exists():
            entry.rename(out)
            done.append(f"restored {out} (a previous run folder moved aside by a killed run)")
        else:
            shutil.rmtree(entry, ignore_errors=True)
            done.append(f"removed {entry} (left by a killed run)")
    return done


def _fresh_sibling(out: Path, kind: str) -> Path:
    """Return an unused hidden path next to ``out`` for a staging or retired folder."""
    return out.parent / f".{out.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.{kind}"
