"""Errors that the command line reports as one line, with exit status 2."""

from __future__ import annotations

__all__ = ["InputError"]


class InputError(Exception):
    """Bad user input: a scenario file, an option, a results folder.

    The message is a complete one-line explanation naming the file, the key
    and what is allowed; the command line prints it without a traceback and
    exits with status 2. Several problems can be reported at once by passing
    them as ``problems``; ``str()`` then joins them one per line.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        self.problems: list[str] = list(problems) if problems else [message]
        super().__init__("\n".join(self.problems))
