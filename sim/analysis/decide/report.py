"""Small shared pieces of the decision reports: a figure canvas, Markdown tables, numbers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["figure", "markdown_table", "number"]


def figure(width: float, height: float) -> Figure:
    """A matplotlib Figure on an Agg canvas (pyplot's global state untouched)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def number(value: Any) -> str:
    """A table cell: whole numbers as they are, others with 4 significant digits, '-' if missing."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if value is None or pd.isna(value):
        return "-"
    if isinstance(value, int | np.integer):
        return str(int(value))
    return f"{float(value):.4g}"


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table: first column left-aligned, the others right-aligned."""
    lines = [
        "| " + " | ".join(header) + " |",
        "|---|" + "---:|" * (len(header) - 1),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
