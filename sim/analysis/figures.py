"""Figures of the analysis reports: a private Agg canvas, the house style, t-interval bars.

Reports (``cadre-sim compare``, ``sweep``, ``sensitivity``) draw on a
matplotlib :class:`~matplotlib.figure.Figure` with its own Agg canvas, so no
global backend, pyplot state or seaborn theme is changed; the notebooks draw
with pyplot and use the same error bars and :func:`save`.

The comparison's figures are drawn here too: :func:`plot_timeseries` (a
metric's mean time series per scenario with t-bands) and
:func:`plot_differences` (paired differences from the baseline, each effect
styled by whether it is clear, :data:`EFFECT_STYLES`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.analysis.stats import CONFIDENCE, mean_interval
from sim.analysis.text import percent
from sim.runs import store

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.analysis.compare import Comparison

__all__ = [
    "DPI",
    "EFFECT_STYLES",
    "new_figure",
    "plot_differences",
    "plot_timeseries",
    "save",
    "style",
    "t_errorbar",
]

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


# ---------------------------------------------------------------------------
# The comparison's figures
# ---------------------------------------------------------------------------

#: How the differences figure draws an effect: (legend label, colour, face colour).
EFFECT_STYLES: dict[str, tuple[str, str, str]] = {
    "clear": ("clear (interval excludes 0, also after Holm)", "C3", "C3"),
    "unadjusted": ("clear, but not after Holm", "C1", "C1"),
    "unclear": ("not clear (interval includes 0)", "0.55", "white"),
}


def _palette(names: Sequence[str], baseline: str | None) -> dict[str, object]:
    """Return a distinct colour per scenario (tab10, tab20, then husl); the baseline black."""
    import seaborn as sns

    others = [name for name in names if name != baseline]
    n = len(others)
    colours = sns.color_palette("tab10" if n <= 10 else "tab20" if n <= 20 else "husl", n)
    palette: dict[str, object] = dict(zip(others, colours, strict=True))
    if baseline in names:
        palette[baseline] = (0.0, 0.0, 0.0)
    return palette


def plot_timeseries(
    path: str | os.PathLike[str],
    metric: str,
    out_file: str | os.PathLike[str],
    window: int | None = None,
    confidence: float = CONFIDENCE,
    baseline: str | None = None,
) -> Path:
    """Draw a metric's mean time series per scenario with t-based confidence bands.

    Args:
        path: the results folder.
        metric: the output to draw.
        out_file: the PNG file to write.
        window: if given, shade the last ``window`` months (the averaged ones).
        confidence: level of the bands.
        baseline: a scenario to draw in black (the others get distinct colours).

    Returns:
        The written file.

    """
    import seaborn as sns

    frame = store.load(path, columns=[metric])
    steps = int(frame["month"].max())
    with style():
        figure = new_figure(9.0, 5.0)
        axes = figure.subplots()
        if window is not None:
            axes.axvspan(steps - window + 0.5, steps + 0.5, color="0.88", zorder=0)
            axes.text(
                steps - window / 2 + 0.5,
                0.99,
                "averaged",
                transform=axes.get_xaxis_transform(),
                ha="center",
                va="top",
                fontsize="small",
                color="0.35",
            )
        sns.lineplot(
            data=frame,
            x="month",
            y=metric,
            hue="scenario",
            palette=_palette(list(frame["scenario"].cat.categories), baseline),
            errorbar=t_errorbar(confidence),
            ax=axes,
        )
        replicates = frame.groupby("scenario", observed=True)["replicate"].nunique()
        axes.set_title(
            f"{metric}: mean over replicates (n = {int(replicates.min())}"
            + (f"-{int(replicates.max())}" if replicates.max() != replicates.min() else "")
            + f") with {percent(confidence)} t-bands",
            loc="left",
        )
        axes.set_xlim(0, steps)
        sns.move_legend(axes, "upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        return save(figure, out_file)


def _effect_style(clear: Any, clear_holm: Any) -> str:
    """Return the key of :data:`EFFECT_STYLES` for an effect (no interval: unclear)."""
    if pd.isna(clear) or not clear:
        return "unclear"
    return "unadjusted" if not pd.isna(clear_holm) and not clear_holm else "clear"


def _draw_effects(axes: Any, rows: pd.DataFrame, order: Sequence[str]) -> set[str]:
    """Draw each scenario's mean difference and interval, styled by clarity; return the styles."""
    used = set()
    for position, name in enumerate(order):
        row = rows[rows["scenario"] == name]
        if row.empty:
            continue
        row = row.iloc[0]
        key = _effect_style(row["clear"], row["clear_holm"])
        used.add(key)
        _, colour, face = EFFECT_STYLES[key]
        mean, low, high = row["difference"], row["difference_ci_low"], row["difference_ci_high"]
        error = None if pd.isna(low) else [[mean - low], [high - mean]]
        axes.errorbar(
            [mean],
            [position],
            xerr=error,
            fmt="D",
            markersize=7,
            color=colour,
            markerfacecolor=face,
            markeredgecolor=colour,
            markeredgewidth=1.5,
            elinewidth=1.8,
            capsize=4,
            zorder=3,
        )
    return used


def plot_differences(comparison: Comparison, out_file: str | os.PathLike[str]) -> Path | None:
    """Draw each scenario's paired differences from the baseline, one panel per metric.

    Every replicate's difference is a grey dot; the mean and its t-interval
    are drawn on top, with a line at zero: filled red when the interval
    excludes 0 (also after Holm), filled orange when it does only before the
    Holm adjustment, hollow grey when the interval includes 0 (not clear),
    with a legend. Returns None (nothing drawn) when the batch has no
    scenario besides the baseline.
    """
    import seaborn as sns
    from matplotlib.lines import Line2D

    contrasts = comparison.contrasts
    others = list(dict.fromkeys(contrasts["scenario"]))
    if not others:
        return None
    used: set[str] = set()
    with style():
        n = len(comparison.metrics)
        figure = new_figure(4.2 * n + 1.5, 0.45 * len(others) + 2.4)
        panels = np.atleast_1d(figure.subplots(1, n, sharey=True, squeeze=False)[0])
        for axes, metric in zip(panels, comparison.metrics, strict=True):
            diffs = comparison.differences
            diffs = diffs[(diffs["metric"] == metric) & diffs["scenario"].isin(others)].copy()
            diffs["scenario"] = pd.Categorical(diffs["scenario"].astype(str), categories=others)
            axes.axvline(0.0, color="0.3", linewidth=1.0)
            sns.stripplot(
                data=diffs,
                x="difference",
                y="scenario",
                order=others,
                color="0.7",
                alpha=0.5,
                size=4,
                jitter=0.15,
                ax=axes,
            )
            used |= _draw_effects(axes, contrasts[contrasts["metric"] == metric], others)
            axes.set_title(metric, loc="left")
            axes.set_xlabel(f"difference from {comparison.baseline}")
            axes.set_ylabel("")
        handles = [
            Line2D([], [], marker="D", color=colour, markerfacecolor=face, label=label)
            for key, (label, colour, face) in EFFECT_STYLES.items()
            if key in used
        ]
        figure.legend(handles=handles, loc="outside lower center", ncols=len(handles))
        first, last = comparison.window_months
        figure.suptitle(
            f"Paired differences from {comparison.baseline} (months {first}-{last}): mean and "
            f"{percent(comparison.confidence)} t-interval; dots are replicates.\n"
            f"Holm adjustment over all {comparison.family_size} scenario x metric contrasts.",
            x=0.01,
            ha="left",
        )
        return save(figure, out_file)
