"""The one rule for names that become folder and file names (scenarios, experiments).

A name is 1 to 128 characters of letters, digits, ``_``, ``-`` and ``.``,
starting with a letter or digit: safe as a folder name on every common
filesystem, never ``.`` or ``..``, never hidden, never too long for a path.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["MAX_NAME_LENGTH", "NAME_PATTERN", "NAME_RULE", "name_message", "name_problem"]

#: Longest allowed name (file systems allow 255 bytes per path component).
MAX_NAME_LENGTH = 128
#: The pattern every name must match.
NAME_PATTERN = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9_.-]{{0,{MAX_NAME_LENGTH - 1}}}$")
#: What the rule allows, for error messages.
NAME_RULE = (
    f"1 to {MAX_NAME_LENGTH} letters, digits, '_', '-' or '.', starting with a letter or digit"
)


def name_problem(name: Any) -> str | None:
    """Return what is wrong with ``name`` as a folder name, or None if it is usable."""
    if not isinstance(name, str):
        return f"must be text ({NAME_RULE}), got {name!r}"
    if NAME_PATTERN.fullmatch(name):
        return None
    shown = name if len(name) <= 40 else name[:37] + "..."
    return f"{shown!r} must be {NAME_RULE} (it names output folders)"


def name_message(where: str, name: Any) -> str | None:
    """One problem line for an unusable name, or None if it is usable.

    ``where`` names the file and key (``x.toml: scenario.name``); the line
    gives the value and the rule, e.g. ``x.toml: scenario.name = '../up' must
    be 1 to 128 letters, ... (it names output folders)``.
    """
    problem = name_problem(name)
    if problem is None:
        return None
    return f"{where} = {problem}" if isinstance(name, str) else f"{where} {problem}"
