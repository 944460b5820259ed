"""Figures of the analysis reports: a private Agg canvas, the house style, t-interval bars.

Reports (``cadre-sim compare``, ``sweep``, ``sensitivity``) draw on a
matplotlib :class:`~matplotlib.figure.Figure` with its own Agg canvas, so no
global backend, pyplot state or seaborn theme is changed; the notebooks draw
with pyplot and use the same error bars and :func:`save`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.analysis.stats import CONFIDENCE, mean_interval

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["DPI", "new_figure", "save", "style", "t_errorbar"]

#: Resolution of every saved figure.
DPI = 120


def new_figure(width: float, height: float) -> Figure:
    """Return a Figure (inches, constrained layout) on an Agg canvas, pyplot untouched."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


@contextmanager
def style() -> Iterator[None]:
    """Draw inside seaborn's ``whitegrid`` style and ``notebook`` context (restored after)."""
    import seaborn as sns

    with sns.axes_style("whitegrid"), sns.plotting_context("notebook"):
        yield


def t_errorbar(confidence: float = CONFIDENCE) -> Callable[[pd.Series], tuple[float, float]]:
    """Return a seaborn ``errorbar`` callable: the t-interval of the mean of a vector.

    With one value (no interval) the bar collapses to the mean.
    """

    def interval(values: pd.Series) -> tuple[float, float]:
        mean, low, high = mean_interval(values, confidence)
        return (mean, mean) if math.isnan(low) else (low, high)

    return interval


def save(figure: Any, path: str | os.PathLike[str], **options: Any) -> Path:
    """Write a figure as PNG (parent folders created) and return its path.

    Args:
        figure: a matplotlib Figure.
        path: the file to write.
        **options: further ``savefig`` options, e.g. ``bbox_inches="tight"``.

    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(target, dpi=DPI, **options)
    return target
