"""The shipped scenario library (``scenarios/*.toml``) and finding a scenario file."""

from __future__ import annotations

import os
from pathlib import Path

import sim
from sim import fileio as files

__all__ = ["LIBRARY_ORDER", "SCENARIO_DIR", "locate", "shipped", "shipped_path"]

#: The folder of the shipped scenario library (``scenarios/`` in the repository).
SCENARIO_DIR: Path = Path(sim.__file__).resolve().parent.parent / "scenarios"

#: The order in which the shipped library is listed; other files follow by name.
LIBRARY_ORDER: tuple[str, ...] = (
    "baseline",
    "fault_tolerance",
    "demotion",
    "false_accuser_crackdown",
    "clarification",
    "strict_without_tolerance",
    "combined_reform",
    "false_accusation_risk",
    "career_rewards",
    "young_cadres",
    "streamlining",
)


def shipped() -> list[str]:
    """Names of the shipped scenarios (``scenarios/*.toml``), library order first."""
    if not SCENARIO_DIR.is_dir():
        return []
    names = sorted(path.stem for path in SCENARIO_DIR.glob("*.toml"))
    ordered = [name for name in LIBRARY_ORDER if name in names]
    return ordered + [name for name in names if name not in LIBRARY_ORDER]


def shipped_path(name: str) -> Path:
    """Return the file of a shipped scenario (it may not exist)."""
    return SCENARIO_DIR / f"{name}.toml"


def locate(ref: str | os.PathLike[str]) -> Path:
    """Turn a shipped name or a path into the file to read (``InputError`` if unknown)."""
    return files.locate(ref, SCENARIO_DIR, "scenario", shipped)
