"""Where things are in a batch results folder, and guarding the folder.

File and folder names of the store (one owner for each), the checks that a
folder is new, empty or a batch, the lock that keeps two batches out of one
folder, and the removal of temporary files left by killed processes.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

from sim.errors import InputError
from sim.fileio import TEMPORARY_SUFFIX

try:  # POSIX advisory locks keep two batches out of one folder
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "ERRORS_DIR",
    "FIGURES_DIR",
    "FORMAT",
    "ID_COLUMNS",
    "KIND",
    "LOCK_FILE",
    "MANIFEST",
    "RUNS_DIR",
    "RUN_KIND",
    "RUN_META_KEY",
    "SCENARIOS_DIR",
    "check_batch_folder",
    "clean_temporary",
    "error_file",
    "locked",
    "run_file",
    "run_files",
    "scenario_file",
]

#: Name of the provenance file at the top of a results folder.
MANIFEST = "manifest.json"
#: ``kind`` of a batch manifest; any other kind is a foreign folder.
KIND = "cadre-sim batch"
#: Version of the store layout this code writes and reads.
FORMAT = 1
#: ``kind`` recorded in each run file's metadata.
RUN_KIND = "cadre-sim run"
#: Schema metadata key of a run file's JSON record.
RUN_META_KEY = b"cadre_sim"
#: Identifying columns at the front of every run file and loaded frame.
ID_COLUMNS: tuple[str, ...] = ("scenario", "replicate", "seed", "month")
#: Folder names inside a results folder.
RUNS_DIR = "runs"
SCENARIOS_DIR = "scenarios"
ERRORS_DIR = "errors"
FIGURES_DIR = "figures"
#: The lock file held by the batch writing to a folder.
LOCK_FILE = ".lock"

_REP_FILE = re.compile(r"^rep-(\d+)\.parquet$")


def _replicate_name(replicate: int) -> str:
    """``rep-0003``: the stem of a replicate's files."""
    return f"rep-{replicate:04d}"


def run_file(out: str | os.PathLike[str], scenario: str, replicate: int) -> Path:
    """Return the path of replicate ``replicate`` of ``scenario`` in results folder ``out``."""
    return Path(out) / RUNS_DIR / scenario / f"{_replicate_name(replicate)}.parquet"


def error_file(out: str | os.PathLike[str], scenario: str, replicate: int) -> Path:
    """Return the path of the traceback of a failed run in results folder ``out``."""
    return Path(out) / ERRORS_DIR / scenario / f"{_replicate_name(replicate)}.txt"


def scenario_file(out: str | os.PathLike[str], scenario: str) -> Path:
    """Return the path of a scenario's resolved record in results folder ``out``."""
    return Path(out) / SCENARIOS_DIR / f"{scenario}.json"


def run_files(path: str | os.PathLike[str], scenario: str) -> Iterator[tuple[int, Path]]:
    """``(replicate, file)`` of every finished run of ``scenario``, by replicate."""
    folder = Path(path) / RUNS_DIR / scenario
    if not folder.is_dir():
        return
    found = []
    for entry in folder.iterdir():
        match = _REP_FILE.match(entry.name)
        if match and entry.is_file():
            found.append((int(match.group(1)), entry))
    yield from sorted(found)


def _is_empty(folder: Path) -> bool:
    """Whether ``folder`` holds nothing but a lock file."""
    return all(entry.name == LOCK_FILE for entry in folder.iterdir())


def check_batch_folder(folder: Path, resume: bool) -> bool:
    """Whether ``folder`` holds a batch to resume; raise for foreign or occupied folders.

    Raises:
        InputError: ``folder`` is a file, holds a batch but ``resume`` is
            false, or holds something else.

    """
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder} exists and is not a folder", arguments=("out",))
    if not folder.exists():
        return False
    if (folder / MANIFEST).exists():
        if not resume:
            raise InputError(
                f"{folder} already holds a batch: resume it or choose another results folder",
                arguments=("resume", "out"),
            )
        return True
    if not _is_empty(folder):
        raise InputError(
            f"{folder} is not empty and is not a cadre-sim batch folder (no {MANIFEST}); "
            "choose a new or empty results folder",
            arguments=("out",),
        )
    return False


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
        yield


def clean_temporary(folder: Path) -> int:
    """Remove half-written temporary files left by killed workers or parents; return how many."""
    removed = 0
    pattern = f".*{TEMPORARY_SUFFIX}"
    candidates = list(folder.glob(pattern))
    for sub in (RUNS_DIR, SCENARIOS_DIR, ERRORS_DIR):
        if (folder / sub).is_dir():
            candidates.extend((folder / sub).rglob(pattern))
    for path in candidates:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed += 1
    return removed
