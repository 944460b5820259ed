"""User files and safe writing: locating, reading, parsing TOML, naming files, atomic writes.

Scenario files (:mod:`sim.scenarios`) and experiment files
(:mod:`sim.analysis.experiment`) are found, read and reported on the same
way; this module holds that shared part. Every problem becomes a one-line
message that names the file as the user would type it.

Reading goes through :func:`read_file_bytes`: it refuses anything that is not
a regular file (a folder, a FIFO, a device such as ``/dev/zero``, a symlink
loop) without blocking, and caps the size, so a bad path is one line, never
a hang or a memory blow-up.

Every file the package writes goes through :func:`atomic_write` (or its
text, bytes and JSON forms): the data go to a hidden temporary file next to
the target, are flushed to disk and renamed into place, so a file under its
final name is always complete. Temporary names end in :data:`TEMPORARY_SUFFIX`.
A filesystem error while writing is an :class:`~sim.errors.InputError`
naming the path (:func:`os_problem`).

Crash test hook: with the environment variable :data:`CRASH_ENV` set to
``k``, a process kills itself (SIGKILL) at its ``k``-th durable write step
(:func:`crash_point`; each step of an atomic write, each append to a log or
journal). With :data:`CRASH_LOG_ENV` set to a file, every step is appended
there as ``<n> <label>``. Tests use it to stop a batch at every moment of
its life; it costs one dictionary look-up per step otherwise.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import stat
import tomllib
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from sim.errors import InputError, suggest

__all__ = [
    "CRASH_ENV",
    "CRASH_LOG_ENV",
    "MAX_USER_FILE_BYTES",
    "TEMPORARY_SUFFIX",
    "append_line",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "crash_point",
    "display_path",
    "locate",
    "make_folder",
    "os_errors_as_input",
    "os_problem",
    "process_alive",
    "read_file_bytes",
    "read_toml",
    "show_value",
    "sync_folder",
    "temporary_path",
]

#: Ending of every temporary file name (hidden files ``.<name>.<pid>.<tag>.tmp``).
TEMPORARY_SUFFIX = ".tmp"
#: Largest user file (scenario, experiment) read, in bytes.
MAX_USER_FILE_BYTES = 4 * 1024 * 1024
#: Environment variable: kill this process at its k-th durable write step (tests).
CRASH_ENV = "CADRE_SIM_CRASH_AT"
#: Environment variable: append every durable write step to this file (tests).
CRASH_LOG_ENV = "CADRE_SIM_CRASH_LOG"

_steps = 0


def crash_point(label: str) -> None:
    """Count one durable write step; SIGKILL this process at step :data:`CRASH_ENV` (tests)."""
    target = os.environ.get(CRASH_ENV)
    log = os.environ.get(CRASH_LOG_ENV)
    if target is None and log is None:
        return
    global _steps
    _steps += 1
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{_steps} {label}\n")
    if target is not None and target.isdigit() and _steps == int(target):
        os.kill(os.getpid(), signal.SIGKILL)


def display_path(path: Path) -> str:
    """A path for messages: relative to the working folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError, RuntimeError):  # RuntimeError: a symlink loop (Python 3.12)
        return str(path)


def os_problem(exc: OSError, path: str | os.PathLike[str] | None = None, action: str = "") -> str:
    """One line for a filesystem error: the path at fault, what was tried, and why.

    ``path`` names the file when the error does not; ``action`` (``"cannot
    create"``, ...) is said before it.
    """
    where = exc.filename if exc.filename is not None else path
    shown = display_path(Path(os.fsdecode(where))) if where is not None else "a file"
    if exc.filename2 is not None:
        shown += f" -> {display_path(Path(os.fsdecode(exc.filename2)))}"
    reason = exc.strerror or type(exc).__name__
    if exc.errno == errno.ENOTDIR:
        reason += " (a part of the path is a file)"
    return f"{action + ' ' if action else ''}{shown}: {reason}"


@contextlib.contextmanager
def os_errors_as_input(
    path: str | os.PathLike[str] | None = None,
    action: str = "",
    arguments: tuple[str, ...] = (),
) -> Iterator[None]:
    """Turn a filesystem error inside the block into one :class:`InputError` line."""
    try:
        yield
    except OSError as exc:
        raise InputError(os_problem(exc, path, action), arguments=arguments) from None


def make_folder(path: Path, arguments: tuple[str, ...] = ()) -> None:
    """Create ``path`` and its parents (``InputError`` naming the path if impossible)."""
    with os_errors_as_input(path, "cannot create folder", arguments):
        path.mkdir(parents=True, exist_ok=True)


def process_alive(pid: int) -> bool:
    """Whether a process with id ``pid`` exists (it may belong to another user)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True
    return True


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
    candidate = Path(ref)
    if ref.endswith(".toml") or "/" in ref or os.sep in ref:
        return candidate
    try:
        if (
            candidate.is_file() or candidate.is_symlink()
        ):  # a broken link or loop says so on reading
            return candidate
        path = folder / f"{ref}.toml"
        if path.is_file():
            return path
    except OSError:  # e.g. a name too long: reading it says so
        return candidate
    names = shipped()
    hint = suggest(ref, names)
    did_you_mean = f" (did you mean '{hint}'?)" if hint else ""
    raise InputError(
        f"unknown {kind} '{ref}'{did_you_mean}; shipped {kind}s: "
        f"{', '.join(names) or 'none'}; or give a path to a .toml file"
    )


def _kind_of(mode: int) -> str:
    """What a non-regular file is, for messages."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def read_file_bytes(path: Path, kind: str, limit: int = MAX_USER_FILE_BYTES) -> bytes:
    """Read a whole regular file of at most ``limit`` bytes, refusing anything else.

    The file is opened without blocking (a FIFO does not wait for a
    writer), checked to be a regular file (not a folder, FIFO, device or
    socket) and read up to ``limit`` bytes, so neither ``/dev/zero`` nor a
    pipe can hang the caller or exhaust its memory.

    Raises:
        InputError: missing, a symlink loop, not a regular file, larger
            than ``limit``, or unreadable; one line naming the path.

    """
    shown = display_path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        missing = "file not found" if not os.path.lexists(path) else "broken symbolic link"
        raise InputError(f"{shown}: {missing}") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{shown}: symbolic link loop, not a {kind} file") from None
        if exc.errno == errno.ENXIO:  # a socket
            raise InputError(f"{shown}: is a socket, not a {kind} file") from None
        raise InputError(os_problem(exc, path, "cannot read")) from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        raise InputError(f"{shown}: is {_kind_of(mode)}, not a {kind} file")
    with os.fdopen(descriptor, "rb") as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise InputError(os_problem(exc, path, "cannot read")) from None
    if len(data) > limit:
        raise InputError(f"{shown}: too large for a {kind} file (over {limit:,} bytes)")
    return data


def read_toml(path: Path, kind: str) -> dict[str, Any]:
    """Parse one TOML file of the given kind (``"scenario"``, ``"experiment"``).

    Raises:
        InputError: missing file, not a regular file, too large, not UTF-8,
            unreadable, or invalid TOML (the message carries tomllib's line
            and column).

    """
    shown = display_path(path)
    data = read_file_bytes(path, kind)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{shown}: not UTF-8 text (byte {exc.start})") from None
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


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename into it) to disk, where the platform allows."""
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
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

    Raises:
        InputError: a filesystem error (the folder is missing or read-only,
            the name too long, ``path`` is a folder, the disk is full),
            naming the path.

    """
    target = Path(path)
    temporary = temporary_path(target)
    try:
        write(temporary)
        crash_point(f"write {target.name}")
        _sync(temporary)
        crash_point(f"sync {target.name}")
        os.replace(temporary, target)
        crash_point(f"rename {target.name}")
    except BaseException as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        if isinstance(exc, OSError):
            reason = exc.strerror or type(exc).__name__
            if exc.errno == errno.ENOTDIR:
                reason += " (a part of the path is a file)"
            raise InputError(f"cannot write {display_path(target)}: {reason}") from None
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


def append_line(path: Path, text: str) -> None:
    """Append one line to a log file (created if missing); a step of :func:`crash_point`.

    Raises:
        InputError: a filesystem error, naming the path.

    """
    with os_errors_as_input(path, "cannot write"):
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text.rstrip("\n") + "\n")
    crash_point(f"append {path.name}")
