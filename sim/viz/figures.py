"""Figures of the browser view besides the organisation: time charts, distributions, ensemble bands.

The single run's time charts are Mesa's own plot component
(:func:`mesa.visualization.make_plot_component`); :func:`time_chart_styler`
builds the ``post_process`` callable that gives them cadre-sim's labels,
range, legend and policy-switch lines. The distribution chart and the
ensemble bands have no Mesa component, so they are drawn here as pure
functions returning a :class:`matplotlib.figure.Figure` built with the
object-oriented API (no pyplot: safe in Solara's worker threads).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.model.kinds import Orientation
from sim.viz.session import CHOSEN, COMPARISON, DIFFERENCE
from sim.viz.style import (
    CHOSEN_COLOUR,
    COMPARISON_COLOUR,
    DIFFERENCE_COLOUR,
    DPI,
    EVENT_SERIES,
    ORIENTATION_COLOURS,
    POLICY_MARK_COLOUR,
)

if TYPE_CHECKING:
    from sim.model import CadreModel
    from sim.viz.session import Session

__all__ = [
    "DISTRIBUTIONS",
    "ENSEMBLE_FIGSIZE",
    "TIME_FIGSIZE",
    "DistributionVariable",
    "distribution_figure",
    "ensemble_figure",
    "mark_policies",
    "metric_label",
    "time_chart_styler",
]

#: Figure sizes (inches).
TIME_FIGSIZE = (6.4, 3.0)
DISTRIBUTION_FIGSIZE = (6.4, 3.6)
ENSEMBLE_FIGSIZE = (6.4, 4.2)
#: Where the ensemble charts' legends go: inside the axes, top left.
_INSIDE_LEGEND: Mapping[str, Any] = {
    "loc": "upper left",
    "fontsize": 7,
    "frameon": True,
    "framealpha": 0.8,
    "edgecolor": "none",
}
#: Where the time charts' legends go: outside the axes, on the right.
_RIGHT_LEGEND: Mapping[str, Any] = {
    "loc": "upper left",
    "bbox_to_anchor": (1.01, 1.0),
    "fontsize": 7,
    "frameon": False,
}


def metric_label(metric: str) -> str:
    """An output's name as a chart label: ``"flat share"``."""
    return metric.replace("_", " ")


def mark_policies(ax: Axes, months: int, marks: Sequence[tuple[int, str]], labels: bool) -> None:
    """Month axis from 0 to the later of now and the last policy switch, with a line per switch.

    Args:
        ax: the axes.
        months: the last month drawn.
        marks: ``(month, label)`` of each switch.
        labels: write each switch's label along its line.

    """
    last_mark = max((month for month, _ in marks), default=0)
    ax.set_xlim(0, max(12, months, last_mark + 2))
    for month, label in marks:
        ax.axvline(month, color=POLICY_MARK_COLOUR, linestyle="--", linewidth=1.0, alpha=0.8)
        if not labels:
            continue
        ax.annotate(
            label,
            xy=(month, 0.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, 3),
            textcoords="offset points",
            rotation=90,
            va="bottom",
            ha="left",
            fontsize=7,
            color=POLICY_MARK_COLOUR,
            bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "alpha": 0.7, "linewidth": 0},
        )
    ax.grid(True, alpha=0.3)


def time_chart_styler(
    title: str,
    ylabel: str,
    marks: Callable[[], Sequence[tuple[int, str]]],
    share: bool,
    keep: Callable[[Figure], None] | None = None,
) -> Callable[[Axes], None]:
    """The ``post_process`` for a Mesa plot component of a cadre-sim time series.

    Mesa's component plots the model's DataCollector columns against the
    step (one step is one month); this sets the size, title, axis labels,
    range (0-1 for shares), the legend's labels and place, and a line per
    policy switch. The switches are read when the chart is drawn, so one
    styler serves a model for its whole run (Mesa's component then redraws
    only when the model steps or the switches change).

    Args:
        title: the chart's title.
        ylabel: the vertical axis label.
        marks: returns ``(month, label)`` of each policy switch.
        share: the series are shares (range 0-1).
        keep: called with the figure, e.g. to keep it for a PNG export.

    """

    def style(ax: Axes) -> None:
        figure = ax.figure
        figure.set_size_inches(*TIME_FIGSIZE)
        figure.set_dpi(DPI)  # Mesa saves at the figure's resolution: the same as ours
        months = 0
        for line in ax.get_lines():
            label = str(line.get_label())
            line.set_label(EVENT_SERIES[label][0] if label in EVENT_SERIES else metric_label(label))
            xdata = np.asarray(line.get_xdata())
            months = max(months, int(xdata.max()) if xdata.size else 0)
            if xdata.size == 1:
                line.set_marker("o")
        if share:
            ax.set_ylim(0, 1)
        else:
            ax.set_ylim(bottom=0)
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=10)
        mark_policies(ax, months, marks(), labels=True)
        ax.legend(**_RIGHT_LEGEND)
        if keep is not None:
            keep(figure)

    return style


@dataclass(frozen=True)
class DistributionVariable:
    """A per-cadre quantity the distribution chart can show.

    Attributes:
        label: name shown in the picker and on the axis.
        field: the population array (:class:`sim.model.Population`) holding it.
        low: lower end of the histogram range.
        high: upper end of the histogram range (``None``: from the data).

    """

    label: str
    field: str
    low: float = 0.0
    high: float | None = 1.0


#: Quantities the distribution chart can show, by picker label.
DISTRIBUTIONS: Mapping[str, DistributionVariable] = {
    v.label: v
    for v in (
        DistributionVariable("reputation", "reputation"),
        DistributionVariable("idealism", "idealism"),
        DistributionVariable("belief: exemption of honest mistakes", "belief_exemption"),
        DistributionVariable("belief: false accusation (per month)", "belief_false", high=None),
        DistributionVariable("belief: promotion", "belief_promotion"),
        DistributionVariable("belief: vindication by clarification", "belief_vindication"),
    )
}


def distribution_figure(model: CadreModel, variable: DistributionVariable) -> Figure:
    """Histogram of one per-cadre quantity, realists against idealists, with their means."""
    pop = model.pop
    alive = pop.alive
    values = getattr(pop, variable.field)[alive]
    orientation = pop.orientation[alive]
    high = variable.high
    if high is None:
        high = float(values.max()) if values.size else 1.0
        high = high if high > variable.low else variable.low + 1.0
    bins = np.linspace(variable.low, high, 26)
    fig = Figure(figsize=DISTRIBUTION_FIGSIZE)
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.13, top=0.92)
    ax = fig.add_subplot()
    for kind in Orientation:
        chosen = values[orientation == int(kind)]
        colour = ORIENTATION_COLOURS[kind]
        if chosen.size == 0:
            continue
        counts, edges = np.histogram(chosen, bins=bins)
        ax.stairs(counts / chosen.size, edges, color=colour, linewidth=1.6, fill=False)
        ax.stairs(counts / chosen.size, edges, color=colour, alpha=0.15, fill=True)
        mean = float(chosen.mean())
        ax.axvline(mean, color=colour, linestyle=":", linewidth=1.2)
        ax.plot(
            [], [], color=colour, label=f"{kind.name.lower()} (n={chosen.size}, mean {mean:.3g})"
        )
    ax.set_xlim(variable.low, high)
    ax.set_xlabel(variable.label)
    ax.set_ylabel("share of orientation")
    ax.set_title(f"Distribution by orientation, month {model.steps}", fontsize=10)
    ax.legend(loc="upper left", fontsize=7, frameon=False)
    ax.grid(True, alpha=0.3)
    return fig


def _band(ax: Axes, months: np.ndarray, band: Any, colour: str, label: str) -> None:
    """A mean line with its interval shaded."""
    ax.fill_between(months, band.low, band.high, color=colour, alpha=0.22, linewidth=0)
    ax.plot(months, band.mean, color=colour, linewidth=1.8, label=label)


def ensemble_figure(session: Session, metric: str) -> Figure:
    """Both sides' mean of ``metric`` with 95% bands, and their paired difference with its band.

    Top: the chosen scenario (with the live changes) and the comparison
    scenario, each the mean over its replicates with a 95% interval. Bottom:
    the mean paired difference chosen - comparison (replicate ``k`` against
    replicate ``k``, common seeds) with its 95% interval and a zero line.
    """
    if session.comparison is None:
        raise ValueError("ensemble figures need an ensemble session")
    chosen = session.band(metric, CHOSEN)
    comparison = session.band(metric, COMPARISON)
    difference = session.band(metric, DIFFERENCE)
    months = np.arange(len(chosen.mean))
    replicates = len(session.chosen.models)
    fig = Figure(figsize=ENSEMBLE_FIGSIZE)
    fig.subplots_adjust(left=0.12, right=0.97, bottom=0.11, top=0.92, hspace=0.12)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=[1.5, 1])
    name = metric_label(metric)
    _band(top, months, chosen, CHOSEN_COLOUR, f"chosen: {session.chosen.scenario.name}")
    _band(
        top,
        months,
        comparison,
        COMPARISON_COLOUR,
        f"comparison: {session.comparison.scenario.name}",
    )
    top.set_ylabel(name)
    top.set_title(
        f"{name}: mean of {replicates} replicates per side, 95% band", fontsize=10, loc="left"
    )
    _band(bottom, months, difference, DIFFERENCE_COLOUR, "chosen - comparison")
    bottom.axhline(0.0, color="#999999", linewidth=0.8)
    bottom.set_ylabel("difference")
    bottom.set_xlabel("month")
    marks = session.marks()
    for ax in (top, bottom):
        mark_policies(ax, int(months[-1]), marks, labels=ax is top)
        ax.tick_params(labelsize=8)
        ax.legend(**_INSIDE_LEGEND)
    if metric.endswith("_share"):
        low = float(np.nanmin(chosen.low + comparison.low))
        high = float(np.nanmax(chosen.high + comparison.high))
        top.set_ylim(max(0.0, low - 0.05), min(1.0, high + 0.05))
    return fig
