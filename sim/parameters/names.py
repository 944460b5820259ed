"""The one rule for names that become folder and file names (scenarios, experiments).

A name is 1 to 128 characters of letters, digits, ``_``, ``-`` and ``.``,
starting with a letter or digit: safe as a folder name on every common
filesystem, never ``.`` or ``..``, never hidden, never too long for a path.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["MAX_NAME_LENGTH", "NAME_PATTERN", "NAME_RULE", "name_problem"]

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
