"""Reading user files: locating them, parsing TOML, and naming them in messages.

Scenario files (:mod:`sim.scenario`) and experiment files
(:mod:`sim.experiment`) are found, read and reported on the same way; this
module holds that shared part. Every problem becomes a one-line message that
names the file as the user would type it.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sim.errors import InputError
from sim.parameters import registry as params

__all__ = ["atomic_write_text", "display_path", "locate", "read_toml", "show_value"]


def display_path(path: Path) -> str:
    """A path for messages: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def locate(
    ref: str | os.PathLike[str], folder: Path, kind: str, shipped: Callable[[], list[str]]
) -> Path:
    """Turn a shipped name or a path into the file to read.

    A string counts as a path when it ends in ``.toml``, contains a path
    separator or names an existing file; otherwise it is the name of a file
    ``<folder>/<ref>.toml`` shipped with the project.

    Raises:
        InputError: ``ref`` is neither, with a did-you-mean suggestion.

    """
    if not isinstance(ref, str):
        return Path(ref)
    if ref.endswith(".toml") or "/" in ref or os.sep in ref or Path(ref).is_file():
        return Path(ref)
    path = folder / f"{ref}.toml"
    if path.is_file():
        return path
    names = shipped()
    hint = params.suggest(ref, names)
    did_you_mean = f" (did you mean '{hint}'?)" if hint else ""
    raise InputError(
        f"unknown {kind} '{ref}'{did_you_mean}; shipped {kind}s: "
        f"{', '.join(names) or 'none'}; or give a path to a .toml file"
    )


def read_toml(path: Path, kind: str) -> dict[str, Any]:
    """Parse one TOML file of the given kind (``"scenario"``, ``"experiment"``).

    Raises:
        InputError: missing file, a folder, not UTF-8, unreadable, or invalid
            TOML (the message carries tomllib's line and column).

    """
    shown = display_path(path)
    if not path.exists():
        raise InputError(f"{shown}: file not found")
    if path.is_dir():
        raise InputError(f"{shown}: is a folder, not a {kind} file")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{shown}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"{shown}: cannot be read ({exc.strerror})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{shown}: invalid TOML: {' '.join(str(exc).split())}") from None


def show_value(value: Any) -> str:
    """A value in messages, in TOML spelling (``true``, ``'high'``, ``0.5``, ``a table``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return repr(value)


def atomic_write_text(path: Path, text: str) -> None:
    """Write text to a temporary file next to ``path`` and rename it into place."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
