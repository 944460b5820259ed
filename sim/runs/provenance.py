"""Provenance: what produced a result (versions, git state, host, command, times).

The one place that asks the environment what code ran: the package
versions, the git commit of the source tree, the host and the clock. It
builds the records the store writes: a batch's ``provenance`` and session
entries in ``manifest.json`` (:func:`environment`, :func:`session`), the
record inside each run file (:func:`run_stamp`), and the ``metadata.json``
of a single run (:func:`run_metadata`).
"""

from __future__ import annotations

import functools
import platform
import socket
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sim

if TYPE_CHECKING:
    from sim.scenarios import Scenario

__all__ = [
    "PACKAGES",
    "environment",
    "git_state",
    "now",
    "package_version",
    "run_metadata",
    "run_stamp",
    "session",
    "timestamp",
]

#: Libraries whose versions are recorded besides cadre-sim and Python.
PACKAGES: tuple[str, ...] = ("mesa", "numpy", "pandas", "pyarrow", "pydantic")


def now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def timestamp(moment: datetime | None = None, precision: str = "milliseconds") -> str:
    """Return ``moment`` (default: now) in ISO 8601 to ``precision`` (``"seconds"``, ...)."""
    return (moment or now()).isoformat(timespec=precision)


@functools.cache
def package_version(name: str) -> str | None:
    """Return the installed version of a distribution, or None."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def git_state() -> tuple[str | None, bool | None]:
    """Commit and dirtiness of the source tree the package runs from, if it is a git checkout.

    Only a checkout whose top folder holds the package counts (an installed
    copy inside some other repository reports ``(None, None)``); dirty means
    tracked files differ from the commit.
    """
    root = Path(sim.__file__).resolve().parent.parent

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )

    try:
        top = git("rev-parse", "--show-toplevel")
        if top.returncode != 0 or Path(top.stdout.strip()).resolve() != root:
            return None, None
        head = git("rev-parse", "HEAD")
        commit = head.stdout.strip() if head.returncode == 0 else None
        status = git("status", "--porcelain", "--untracked-files=no")
        dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit, dirty


def environment() -> dict[str, Any]:
    """Versions of the package, its libraries and Python; platform, host and git commit.

    The ``provenance`` entry of a batch manifest (and of each session).
    """
    commit, dirty = git_state()
    return {
        "cadre_sim": sim.__version__,
        **{name: package_version(name) for name in PACKAGES},
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "host": socket.gethostname(),
        "git_commit": commit,
        "git_dirty": dirty,
    }


def session(
    command: Sequence[str] | None, *, resumed: bool, recorded: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Return the manifest record of one call that runs (or resumes) a batch.

    ``recorded`` is the batch's own provenance, reused by the call that
    creates it; a resume records the environment afresh.
    """
    return {
        "started": timestamp(),
        "finished": None,
        "resumed": resumed,
        "command": list(command) if command is not None else None,
        "provenance": recorded if recorded is not None else environment(),
    }


def run_stamp() -> dict[str, Any]:
    """Host and versions recorded inside every run file."""
    return {
        "host": socket.gethostname(),
        "cadre_sim": sim.__version__,
        "mesa": package_version("mesa"),
    }


def run_metadata(
    scenario: Scenario,
    *,
    seed: int,
    steps: int,
    started: datetime,
    finished: datetime,
    wall_seconds: float,
    settings: Sequence[str] = (),
    command: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Describe a single run (its ``metadata.json``): scenario, seed, times, versions, commit."""
    commit, dirty = git_state()
    return {
        "scenario": scenario.name,
        "scenario_file": str(scenario.path) if scenario.path else None,
        "scenario_digest": scenario.digest(),
        "settings": list(settings),
        "command": list(command) if command is not None else None,
        "seed": seed,
        "steps": steps,
        "population": scenario.params["workforce.population"],
        "started": timestamp(started, "seconds"),
        "finished": timestamp(finished, "seconds"),
        "wall_seconds": round(wall_seconds, 3),
        "versions": {
            "cadre-sim": sim.__version__,
            **{name: package_version(name) for name in PACKAGES},
            "python": platform.python_version(),
        },
        "platform": platform.platform(),
        "git_commit": commit,
        "git_dirty": dirty,
    }
