"""User files and safe writing: locating, parsing TOML, naming files, atomic writes.

Scenario files (:mod:`sim.scenarios`) and experiment files
(:mod:`sim.analysis.experiment`) are found, read and reported on the same
way; this module holds that shared part. Every problem becomes a one-line
message that names the file as the user would type it.

Every file the package writes goes through :func:`atomic_write` (or its
text, bytes and JSON forms): the data go to a hidden temporary file next to
the target, are flushed to disk and renamed into place, so a file under its
final name is always complete. Temporary names end in :data:`TEMPORARY_SUFFIX`.
"""

from __future__ import annotations

import contextlib
import json
import os
import tomllib
import uuid
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sim.errors import InputError, suggest

__all__ = [
    "TEMPORARY_SUFFIX",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "display_path",
    "locate",
    "read_toml",
    "show_value",
    "temporary_path",
]

#: Ending of every temporary file name (hidden files ``.<name>.<pid>.<tag>.tmp``).
TEMPORARY_SUFFIX = ".tmp"


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
    hint = suggest(ref, names)
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


def temporary_path(path: Path) -> Path:
    """Return an unused hidden name next to ``path``: ``.<name>.<pid>.<tag>.tmp``."""
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}{TEMPORARY_SUFFIX}")


def _sync(path: Path) -> None:
    """Flush a written file's data to disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], object]) -> None:
    """Write a file atomically: ``write(temporary)``, flush to disk, rename to ``path``.

    ``write`` is given a hidden temporary path in the same folder and
    writes the whole file there (e.g. a Parquet writer); the file is then
    flushed to disk and renamed over ``path`` with :func:`os.replace`, so
    readers see the old file or the new one, never a part. The temporary
    file is removed if anything fails.
    """
    target = Path(path)
    temporary = temporary_path(target)
    try:
        write(temporary)
        _sync(temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write bytes to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write(path, lambda temporary: temporary.write_bytes(data))


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 text to ``path`` atomically (see :func:`atomic_write`)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(
    path: str | os.PathLike[str], data: Any, *, indent: int | None = 1, ensure_ascii: bool = True
) -> None:
    """Write ``data`` as JSON (NaN allowed) and a final newline to ``path`` atomically."""
    text = json.dumps(data, indent=indent, allow_nan=True, ensure_ascii=ensure_ascii)
    atomic_write_text(path, text + "\n")
