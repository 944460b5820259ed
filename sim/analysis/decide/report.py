"""Small shared pieces of the decision reports: a figure canvas, Markdown tables, numbers.

``figure`` (a matplotlib Figure on its own Agg canvas) and ``number`` (a table
cell with 4 significant digits) are the sensitivity reports' own helpers,
reused so that every report draws and prints numbers the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

from sim.analysis.figures import new_figure as figure
from sim.analysis.text import cell as number

__all__ = ["figure", "markdown_table", "number"]


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table: first column left-aligned, the others right-aligned."""
    lines = [
        "| " + " | ".join(header) + " |",
        "|---|" + "---:|" * (len(header) - 1),
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
