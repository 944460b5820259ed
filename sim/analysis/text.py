"""How the analysis reports print numbers and plain-text tables."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["align", "cell", "clarity", "number", "p_value", "param_value", "percent"]


def percent(confidence: float) -> str:
    """Return a confidence level as a percentage: ``0.95`` -> ``95%``."""
    return f"{confidence * 100:g}%"


def number(value: Any) -> str:
    """Return a number with 4 significant digits (``-`` if missing, ``inf``, ``-inf``)."""
    if value is None or pd.isna(value):
        return "-"
    return f"{float(value):.4g}"


def cell(value: Any) -> str:
    """Return a table cell: text as it is, whole numbers in full, others by :func:`number`."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return str(int(value))
    return number(value)


def p_value(value: float) -> str:
    """Return a p-value: ``<0.001``, three decimals, or ``-`` if missing."""
    if pd.isna(value):
        return "-"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def clarity(clear: Any, clear_holm: Any = None) -> str:
    """Return whether an effect is clear, as reports print it.

    ``yes`` (its interval excludes 0, and so does the Holm-adjusted test if
    known), ``yes, not after Holm`` (clear on its own, not once the family of
    comparisons is adjusted for), ``not clear (CI includes 0)``, or ``-``
    when there is no interval.
    """
    if clear is None or pd.isna(clear):
        return "-"
    if not clear:
        return "not clear (CI includes 0)"
    if clear_holm is not None and not pd.isna(clear_holm) and not clear_holm:
        return "yes, not after Holm"
    return "yes"


def param_value(value: Any) -> str:
    """Return a parameter value for tables and axis labels (``true``, ``0.25``, ``12``)."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    return str(value)


def align(
    rows: Sequence[Sequence[str]], right: Collection[int] = (), indent: str = ""
) -> list[str]:
    """Return rows of cells as aligned lines: columns in ``right`` flush right, others left.

    Cells are separated by two spaces; trailing spaces are removed.
    """
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        (
            indent
            + "  ".join(
                c.rjust(w) if i in right else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        ).rstrip()
        for row in rows
    ]
