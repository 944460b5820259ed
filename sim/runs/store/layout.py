"""Where things are in a batch results folder, and guarding the folder.

File and folder names of the store (one owner for each), what state a
folder is in (new, never started, a batch), the lock that keeps two batches
out of one folder, and the removal of temporary files left by killed
processes.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from sim.errors import InputError
from sim.fileio import TEMPORARY_SUFFIX, crash_point

try:  # POSIX advisory locks keep two batches out of one folder
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "DATA_DIR",
    "DATA_KIND",
    "ERRORS_DIR",
    "FIGURES_DIR",
    "FORMAT",
    "ID_COLUMNS",
    "JOURNAL_KIND",
    "KIND",
    "LOCK_FILE",
    "MANIFEST",
    "RUNS_DIR",
    "RUN_KIND",
    "RUN_META_KEY",
    "SCENARIOS_DIR",
    "SCENARIOS_FILE",
    "STATUS_LOG",
    "FolderState",
    "clean_temporary",
    "data_files",
    "error_file",
    "folder_state",
    "journal_files",
    "journal_name",
    "lock_held",
    "locked",
    "part_for_journal",
    "part_name",
]

#: Name of the provenance file at the top of a results folder: the truth of what it holds.
MANIFEST = "manifest.json"
#: ``kind`` of a batch manifest; any other kind is a foreign folder.
KIND = "cadre-sim batch"
#: Version of the store layout this code writes and reads (1: one Parquet file per run).
FORMAT = 2
#: ``kind`` recorded in a format-1 run file's metadata.
RUN_KIND = "cadre-sim run"
#: ``kind`` recorded in the metadata of a data file (a sealed Parquet part).
DATA_KIND = "cadre-sim data"
#: ``kind`` recorded in the schema metadata of a journal (an open Arrow IPC stream).
JOURNAL_KIND = "cadre-sim journal"
#: Metadata key of the store's JSON records in data files, journals and format-1 run files.
RUN_META_KEY = b"cadre_sim"
#: Identifying columns at the front of every data file and loaded frame.
ID_COLUMNS: tuple[str, ...] = ("scenario", "replicate", "seed", "month")
#: Folder of the data files (``part-*.parquet``) and of the open journals.
DATA_DIR = "data"
#: Every resolved scenario of the batch, one JSON line each (after a header line).
SCENARIOS_FILE = "scenarios.jsonl"
#: Append-only log of what happened (sessions, runs done or failed, seals), JSON lines.
STATUS_LOG = "status.log"
#: Folder of the tracebacks of failed runs.
ERRORS_DIR = "errors"
#: Folder of the figures written by ``compare``.
FIGURES_DIR = "figures"
#: Folders of store format 1 (one file per run; scenarios one file each).
RUNS_DIR = "runs"
SCENARIOS_DIR = "scenarios"
#: The lock file held by the batch writing to a folder.
LOCK_FILE = ".lock"

_JOURNAL = re.compile(r"^\.journal-([0-9a-f]+)-(\d+)\.arrows$")

#: What a folder holds: nothing yet, the debris of a batch stopped before its
#: manifest was first written, or a batch.
FolderState = Literal["new", "unstarted", "batch"]


def part_name(token: str, sequence: int) -> str:
    """File name of the ``sequence``-th data file of the writer ``token``."""
    return f"part-{token}-{sequence:04d}.parquet"


def journal_name(token: str, sequence: int) -> str:
    """File name of the open journal that becomes :func:`part_name` when sealed."""
    return f".journal-{token}-{sequence:04d}.arrows"


def part_for_journal(journal: Path) -> Path:
    """The data file a journal is sealed into (same folder, same token and number)."""
    match = _JOURNAL.match(journal.name)
    if match is None:
        raise ValueError(f"{journal} is not a journal of the store")
    return journal.with_name(part_name(match.group(1), int(match.group(2))))


def journal_files(folder: Path) -> list[Path]:
    """The open or left-over journals of a results folder, by name."""
    data = folder / DATA_DIR
    if not data.is_dir():
        return []
    return sorted(p for p in data.iterdir() if _JOURNAL.match(p.name))


def data_files(folder: Path) -> list[Path]:
    """Every visible entry of the data folder (listed in the manifest or not), by name."""
    data = folder / DATA_DIR
    if not data.is_dir():
        return []
    return sorted(p for p in data.iterdir() if not p.name.startswith("."))


def error_file(out: str | os.PathLike[str], scenario: str, replicate: int) -> Path:
    """Return the path of the traceback of a failed run in results folder ``out``."""
    return Path(out) / ERRORS_DIR / scenario / f"rep-{replicate:04d}.txt"


def _is_debris(name: str) -> bool:
    """Whether a top-level entry is left by a batch stopped before its first manifest."""
    return name in (LOCK_FILE, SCENARIOS_FILE) or (
        name.startswith(".") and name.endswith(TEMPORARY_SUFFIX)
    )


def folder_state(folder: Path) -> FolderState:
    """What ``folder`` holds; raise for a file or a folder of something else.

    A folder holding only a lock file, temporary files and the scenario
    file is a batch that was stopped before its manifest was first written
    (``"unstarted"``): it is started afresh.

    Raises:
        InputError: ``folder`` is a file, or a non-empty folder that is not
            a cadre-sim batch.

    """
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} exists and is not a folder", arguments=("out",))
    if not folder.exists():
        return "new"
    if (folder / MANIFEST).exists():
        return "batch"
    if not all(_is_debris(entry.name) for entry in folder.iterdir()):
        raise InputError(
            f"{folder} is not empty and is not a cadre-sim batch folder (no {MANIFEST}); "
            "choose a new or empty results folder",
            arguments=("out",),
        )
    return "unstarted"


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` so that no two batches write to it at once.

    The lock is released when the process ends, however it ends.

    Raises:
        InputError: another running batch holds the lock.

    """
    with open(folder / LOCK_FILE, "a+", encoding="utf-8") as handle:
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.seek(0)
                holder = handle.read().strip()
                who = f" (pid {holder})" if holder else ""
                raise InputError(
                    f"{folder} is in use by another running batch{who}; "
                    "wait for it to end or choose another results folder",
                    arguments=("out",),
                ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        crash_point("lock")
        yield


def lock_held(folder: Path) -> bool:
    """Whether a running batch holds the lock of ``folder`` now (a probe; nothing kept)."""
    path = folder / LOCK_FILE
    if fcntl is None or not path.is_file():
        return False
    try:
        with open(path, encoding="utf-8") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    except OSError:
        return False
    return False


def clean_temporary(folder: Path) -> int:
    """Remove half-written temporary files left by killed processes; return how many."""
    removed = 0
    pattern = f".*{TEMPORARY_SUFFIX}"
    candidates = list(folder.glob(pattern))
    for sub in (DATA_DIR, ERRORS_DIR, RUNS_DIR, SCENARIOS_DIR):
        if (folder / sub).is_dir():
            candidates.extend((folder / sub).rglob(pattern))
    for path in candidates:
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            path.unlink()
            removed += 1
    return removed
