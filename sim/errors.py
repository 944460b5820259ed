"""Errors that the command line reports as one line, with exit status 2, and their wording.

Library code says *what* is wrong, in its own terms (argument names such as
``steps`` or ``out``); it never names a command-line option. A problem can
carry the names of the library arguments that caused it
(:class:`Problem`), and the command line turns those into the option to
use (``--steps``, ``--out``).

The "did you mean" wording of every message is owned here too
(:func:`suggest`, :func:`did_you_mean`, :func:`hint`).
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = [
    "IncompleteResultsError",
    "InputError",
    "Problem",
    "ResultsWarning",
    "arguments_of",
    "did_you_mean",
    "hint",
    "one_line",
    "suggest",
]


class Problem(str):
    """The one-line text of one problem, and the arguments that caused it.

    A :class:`Problem` is the plain message string (it prints, compares and
    joins as one); ``arguments`` names the keyword arguments of the library
    call whose values are at fault, e.g. ``("steps",)``, so that the command
    line can say which option to change.
    """

    arguments: tuple[str, ...]

    def __new__(cls, text: str, arguments: Iterable[str] = ()) -> Problem:
        """Return the problem ``text`` caused by ``arguments``."""
        problem = super().__new__(cls, text)
        problem.arguments = tuple(arguments)
        return problem


def arguments_of(problem: str) -> tuple[str, ...]:
    """The library arguments a problem names (none for a plain string)."""
    return getattr(problem, "arguments", ())


class InputError(Exception):
    """Bad user input: a scenario file, an option, a results folder.

    The message is a complete one-line explanation naming the file, the key
    and what is allowed; the command line prints it without a traceback and
    exits with status 2. Several problems can be reported at once by passing
    them as ``problems``; ``str()`` then joins them one per line.
    ``arguments`` names the library arguments at fault (for every problem
    that does not name its own, see :class:`Problem`).
    """

    def __init__(
        self,
        message: str,
        problems: Iterable[str] | None = None,
        *,
        arguments: Iterable[str] = (),
    ) -> None:
        given = list(problems) if problems else [message]
        blame = tuple(arguments)
        self.problems: list[str] = [
            Problem(p, blame) if blame and not arguments_of(p) else p for p in given
        ]
        super().__init__("\n".join(self.problems))


class IncompleteResultsError(InputError):
    """A results folder lacks finished or readable runs that its batch can redo.

    Attributes:
        folder: the results folder; resuming its batch there runs what is
            missing or damaged.

    """

    def __init__(self, message: str, folder: Path) -> None:
        self.folder = Path(folder)
        super().__init__(message)


class ResultsWarning(UserWarning):
    """Something in a results folder was left out of what was read (a stray file, ...).

    Shown as one line, ``warning: <message>``, on standard error.
    """


_format_warning = warnings.formatwarning


def _one_line_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    line: str | None = None,
) -> str:
    """Format a :class:`ResultsWarning` as one line; other warnings as Python does."""
    if issubclass(category, ResultsWarning):
        return f"warning: {message}\n"
    return _format_warning(message, category, filename, lineno, line)


warnings.formatwarning = _one_line_warning


def one_line(exc: BaseException) -> str:
    """``Type: message`` of an exception, on one line (just ``Type`` without a message)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """The closest of ``candidates`` to a mistyped ``word``, if any is close (difflib)."""
    hits = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return hits[0] if hits else None


def did_you_mean(names: Sequence[str]) -> str:
    """Format ``did you mean 'a'?`` or ``did you mean 'a' or 'b'?``."""
    quoted = [f"'{name}'" for name in names]
    if len(quoted) == 1:
        return f"did you mean {quoted[0]}?"
    return f"did you mean {', '.join(quoted[:-1])} or {quoted[-1]}?"


def hint(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``candidates`` to ``word``, or ``""``."""
    close = suggest(word, candidates)
    return f" ({did_you_mean([close])})" if close else ""
