"""Charts of one run for the browser view, and the Solara components showing them.

The figure functions are pure: they take the model (or its time series) and
return a :class:`matplotlib.figure.Figure` built with the object-oriented API
(no pyplot, so they are safe in Solara's worker threads). The Solara
components at the end only decide *when* to redraw (once per step, reset or
scenario change) and turn each figure into a PNG.

The organisation is drawn as a hierarchy of posts: levels as rows (top level
at the top), posts ordered depth-first so each work unit sits under its
superior. The posts never move (cadres move between posts), so the layout is
a pure function of the organisation's structure, :func:`hierarchy_layout`,
computed once per model build (:func:`model_layout` caches it); each frame
only recolours the posts by their holder's work state.
"""

from __future__ import annotations

import io
import math
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import solara
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from mesa.visualization.utils import update_counter
from numpy.typing import NDArray

from sim.model.agents import Orientation, WorkState
from sim.parameters import registry as P

if TYPE_CHECKING:
    from sim.model import CadreModel

__all__ = [
    "DISTRIBUTIONS",
    "EVENT_SERIES",
    "ORIENTATION_COLOURS",
    "VACANT_COLOUR",
    "WORK_STATE_COLOURS",
    "DistributionChart",
    "DistributionVariable",
    "EventsChart",
    "HierarchyChart",
    "HierarchyLayout",
    "ParametersInForce",
    "RunReadout",
    "SharesChart",
    "distribution_figure",
    "events_figure",
    "figure_png",
    "format_value",
    "hierarchy_figure",
    "hierarchy_layout",
    "model_layout",
    "post_codes",
    "shares_figure",
]

# --------------------------------------------------------------------------
# colours and series
# --------------------------------------------------------------------------
#: Colour of each work state (Okabe-Ito palette, readable by colour-blind users).
WORK_STATE_COLOURS: Mapping[WorkState, str] = {
    WorkState.ACTIVE: "#009E73",
    WorkState.ROUTINE: "#56B4E9",
    WorkState.FLAT: "#D55E00",
}
#: Colour of a vacant post in the hierarchy.
VACANT_COLOUR = "#BBBBBB"
#: Colour of each orientation in the distribution chart.
ORIENTATION_COLOURS: Mapping[Orientation, str] = {
    Orientation.REALIST: "#E69F00",
    Orientation.IDEALIST: "#0072B2",
}
#: Colour of the policy switch lines on the time charts.
POLICY_MARK_COLOUR = "#7A3E9D"

#: Code of a vacant post and of an abolished post in :func:`post_codes`
#: (work states are coded by their :class:`WorkState` value).
VACANT = len(WorkState)
CLOSED = VACANT + 1
#: RGBA colour per post code, for a vectorised lookup.
_POST_RGBA: NDArray[np.float64] = np.array(
    [to_rgba(WORK_STATE_COLOURS[s]) for s in WorkState]
    + [to_rgba(VACANT_COLOUR), (1.0, 1.0, 1.0, 0.0)]
)

#: Discipline-channel series on the events chart: output column -> (label, colour).
EVENT_SERIES: Mapping[str, tuple[str, str]] = {
    "true_reports": ("true reports", "#555555"),
    "false_reports": ("false reports", "#CC79A7"),
    "wrongful_punishments": ("wrongful punishments", "#D55E00"),
    "clarifications": ("clarifications", "#009E73"),
    "false_accusers_punished": ("false accusers punished", "#0072B2"),
}


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

# Figure sizes (inches) and resolution. The hierarchy's marker sizes are
# computed for its width, so they are part of the layout.
TIME_FIGSIZE = (6.4, 3.0)
HIERARCHY_FIGSIZE = (6.4, 3.6)
DISTRIBUTION_FIGSIZE = (6.4, 3.6)
DPI = 90
#: Fixed margins of the time charts (a layout engine would cost a second draw pass).
TIME_MARGINS: Mapping[str, float] = {"left": 0.09, "right": 0.73, "bottom": 0.15, "top": 0.91}
#: Where the time charts' legends go: outside the axes, on the right.
_RIGHT_LEGEND: Mapping[str, Any] = {
    "loc": "upper left",
    "bbox_to_anchor": (1.01, 1.0),
    "fontsize": 7,
    "frameon": False,
}
#: Posts per sub-row before a level is split over several sub-rows.
MAX_POSTS_PER_ROW = 110
#: Vertical extent of one level's band of sub-rows (levels are 1 apart).
LEVEL_BAND = 0.7


# --------------------------------------------------------------------------
# the hierarchy layout (computed once per model build)
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class HierarchyLayout:
    """Fixed positions of the organisation's posts.

    Attributes:
        x: horizontal position of each post, in (0, 1).
        y: vertical position of each post: its level (0 = bottom), spread over
            a band of sub-rows when the level has many posts.
        size: marker area (points squared) of each post.
        segments: line from each post to its superior post, shape ``(m, 2, 2)``.
        n_levels: number of levels.

    """

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    size: NDArray[np.float64]
    segments: NDArray[np.float64]
    n_levels: int


def hierarchy_layout(
    post_level: NDArray[np.integer] | Sequence[int],
    post_parent: NDArray[np.integer] | Sequence[int],
    width_points: float = HIERARCHY_FIGSIZE[0] * 72,
) -> HierarchyLayout:
    """Lay out a tree of posts: levels as rows, each unit under its superior.

    Posts are ordered depth-first from the top (a superior's subordinates are
    contiguous and follow the order of their ids). Posts without subordinates
    are spaced evenly in that order; every superior sits at the mean
    position of its subordinates (a tidy tree). A level with more than
    :data:`MAX_POSTS_PER_ROW` posts is spread over several interleaved
    sub-rows so that neighbouring posts do not overlap. Runs in O(n log n)
    with numpy; no per-frame work.

    Args:
        post_level: level of each post, 0 = bottom.
        post_parent: index of each post's superior post, -1 for none.
        width_points: drawing width in points, used for the marker sizes.

    Returns:
        The positions, marker sizes and superior links of every post.

    """
    level = np.asarray(post_level, dtype=np.int64)
    parent = np.asarray(post_parent, dtype=np.int64)
    n = int(level.size)
    if n == 0:
        empty = np.empty(0, dtype=np.float64)
        return HierarchyLayout(empty, empty, empty, np.empty((0, 2, 2)), 0)
    n_levels = int(level.max()) + 1
    ids = np.arange(n, dtype=np.int64)

    # chain[k, p]: p's ancestor at level k (p itself at its own level), -1 below p.
    chain = np.full((n_levels, n), -1, dtype=np.int64)
    current = ids.copy()
    valid = np.ones(n, dtype=bool)
    for _ in range(n_levels):
        rows = level[current]
        chain[rows[valid], ids[valid]] = current[valid]
        up = parent[current]
        valid &= up >= 0
        current = np.where(valid, up, current)
    # Depth-first pre-order: sort by the ancestor chain from the top level down
    # (np.lexsort takes its primary key last).
    order = np.lexsort(tuple(chain[k] for k in range(n_levels)))

    has_parent = parent >= 0
    n_children = np.bincount(parent[has_parent], minlength=n)
    leaves = order[n_children[order] == 0]
    x = np.zeros(n, dtype=np.float64)
    x[leaves] = np.arange(leaves.size, dtype=np.float64)
    for k in range(1, n_levels):
        child = has_parent & (level < k) & (level[np.maximum(parent, 0)] == k)
        sums = np.bincount(parent[child], weights=x[child], minlength=n)
        counts = np.bincount(parent[child], minlength=n)
        superiors = (level == k) & (counts > 0)
        x[superiors] = sums[superiors] / counts[superiors]
    x = (x + 0.5) / max(int(leaves.size), 1)

    y = level.astype(np.float64)
    size = np.empty(n, dtype=np.float64)
    for k in range(n_levels):
        members = np.flatnonzero(level == k)
        members = members[np.argsort(x[members], kind="stable")]
        rows = max(1, math.ceil(members.size / MAX_POSTS_PER_ROW))
        sub = np.arange(members.size) % rows
        if rows > 1:
            y[members] += (sub - (rows - 1) / 2) * (LEVEL_BAND / (rows - 1))
        per_row = max(1.0, members.size / rows)
        diameter = min(14.0, 0.85 * width_points / per_row)
        size[members] = diameter**2

    linked = np.flatnonzero(has_parent)
    segments = np.empty((linked.size, 2, 2), dtype=np.float64)
    segments[:, 0, 0] = x[linked]
    segments[:, 0, 1] = y[linked]
    segments[:, 1, 0] = x[parent[linked]]
    segments[:, 1, 1] = y[parent[linked]]
    return HierarchyLayout(x=x, y=y, size=size, segments=segments, n_levels=n_levels)


_LAYOUTS: weakref.WeakKeyDictionary[Any, HierarchyLayout] = weakref.WeakKeyDictionary()


def model_layout(model: CadreModel) -> HierarchyLayout:
    """The hierarchy layout of ``model``'s organisation, computed on first use.

    The organisation's posts and their superiors are fixed when the model is
    built, so the layout is cached per model (weakly: it goes when the model
    goes) and every later frame reuses it.
    """
    layout = _LAYOUTS.get(model)
    if layout is None:
        layout = hierarchy_layout(model.org.post_level, model.org.post_parent)
        _LAYOUTS[model] = layout
    return layout


def post_codes(model: CadreModel) -> NDArray[np.int64]:
    """Code of each post this month: its holder's work state, or vacant / abolished."""
    org, pop = model.org, model.pop
    holder = org.post_holder
    held = holder >= 0
    codes = np.full(holder.size, VACANT, dtype=np.int64)
    codes[held] = pop.state[holder[held]]
    codes[~org.post_open & ~held] = CLOSED
    return codes


# --------------------------------------------------------------------------
# figures
# --------------------------------------------------------------------------
def figure_png(figure: Figure) -> bytes:
    """Render ``figure`` to PNG bytes (what the browser receives)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _month_axis(ax: Axes, months: int, marks: Sequence[tuple[int, str]]) -> None:
    """Month axis from 0 to the later of now and the last policy switch, plus switch lines."""
    last_mark = max((month for month, _ in marks), default=0)
    right = max(12, months, last_mark + 2)
    ax.set_xlim(0, right)
    ax.set_xlabel("month")
    for month, label in marks:
        ax.axvline(month, color=POLICY_MARK_COLOUR, linestyle="--", linewidth=1.0, alpha=0.8)
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


def shares_figure(frame: pd.DataFrame, marks: Sequence[tuple[int, str]]) -> Figure:
    """Shares of active, routine and flat cadres per month, with policy switch lines.

    Args:
        frame: the model's time series (:meth:`CadreModel.timeseries`).
        marks: ``(month, label)`` of each policy switch (``model.policy_marks``).

    """
    fig = Figure(figsize=TIME_FIGSIZE)
    fig.subplots_adjust(**TIME_MARGINS)
    ax = fig.add_subplot()
    months = frame["month"].to_numpy()
    for state in WorkState:
        column = f"{state.name.lower()}_share"
        ax.plot(
            months,
            frame[column].to_numpy(),
            color=WORK_STATE_COLOURS[state],
            linewidth=2.0 if state is WorkState.FLAT else 1.4,
            label=state.name.lower(),
            marker="o" if months.size == 1 else None,
        )
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of cadres")
    ax.set_title("Work states (flat = lying flat)", fontsize=10)
    _month_axis(ax, int(months[-1]) if months.size else 0, marks)
    ax.legend(**_RIGHT_LEGEND)
    return fig


def events_figure(frame: pd.DataFrame, marks: Sequence[tuple[int, str]]) -> Figure:
    """Reports, wrongful punishments, clarifications and false accusers punished per month."""
    fig = Figure(figsize=TIME_FIGSIZE)
    fig.subplots_adjust(**TIME_MARGINS)
    ax = fig.add_subplot()
    months = frame["month"].to_numpy()
    top = 1.0
    for column, (label, colour) in EVENT_SERIES.items():
        values = frame[column].to_numpy(dtype=float)
        top = max(top, float(np.nanmax(values)) if values.size else 0.0)
        ax.plot(months, values, color=colour, linewidth=1.3, label=label, drawstyle="steps-mid")
    ax.set_ylim(0, top * 1.15)
    ax.set_ylabel("cases per month")
    ax.set_title("Discipline channel", fontsize=10)
    _month_axis(ax, int(months[-1]) if months.size else 0, marks)
    ax.legend(**_RIGHT_LEGEND)
    return fig


def hierarchy_figure(model: CadreModel) -> Figure:
    """The organisation as a hierarchy of posts, each coloured by its holder's work state.

    Uses the cached :func:`model_layout`; per frame only the colours and the
    per-level flat shares are computed.
    """
    layout = model_layout(model)
    codes = post_codes(model)
    fig = Figure(figsize=HIERARCHY_FIGSIZE)
    fig.subplots_adjust(left=0.12, right=0.99, bottom=0.02, top=0.84)
    ax = fig.add_subplot()
    ax.add_collection(LineCollection(layout.segments, colors="#999999", linewidths=0.3, alpha=0.35))
    shown = codes != CLOSED
    ax.scatter(
        layout.x[shown],
        layout.y[shown],
        s=layout.size[shown],
        c=_POST_RGBA[codes[shown]],
        linewidths=0,
    )
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, layout.n_levels - 0.4)
    ax.set_xticks([])
    flat = model.outputs
    ax.set_yticks(
        range(layout.n_levels),
        [
            f"level {k + 1}\n{flat.get(f'flat_share_level{k + 1}', float('nan')):.0%} flat"
            for k in range(layout.n_levels)
        ],
        fontsize=7,
    )
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"Organisation, month {model.steps}", fontsize=10, loc="left")
    handles = [
        Line2D([], [], linestyle="", marker="o", color=WORK_STATE_COLOURS[s], label=s.name.lower())
        for s in WorkState
    ]
    handles.append(Line2D([], [], linestyle="", marker="o", color=VACANT_COLOUR, label="vacant"))
    ax.legend(
        handles=handles,
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncols=4,
        fontsize=7,
        frameon=False,
    )
    return fig


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


# --------------------------------------------------------------------------
# Solara components (named in CapWords, as Solara's own are: hence noqa N802)
# --------------------------------------------------------------------------
def _use_png(build: Callable[[], Figure], dependencies: list[Any]) -> bytes:
    """Build a figure and render it to PNG only when ``dependencies`` change."""
    return solara.use_memo(lambda: figure_png(build()), dependencies)


def _frame_key(model: CadreModel) -> list[Any]:
    """What a chart of ``model`` depends on: the model object, its month and the step counter."""
    return [id(model), model.steps, update_counter.value]


@solara.component
def SharesChart(model: CadreModel) -> None:  # noqa: N802
    """Work-state shares over time (redrawn after each step, reset or scenario change)."""
    update_counter.get()
    png = _use_png(lambda: shares_figure(model.timeseries(), model.policy_marks), _frame_key(model))
    solara.Image(png, format="png", classes=["cadre-chart", "cadre-chart-shares"])


@solara.component
def EventsChart(model: CadreModel) -> None:  # noqa: N802
    """Discipline-channel events over time."""
    update_counter.get()
    png = _use_png(lambda: events_figure(model.timeseries(), model.policy_marks), _frame_key(model))
    solara.Image(png, format="png", classes=["cadre-chart", "cadre-chart-events"])


@solara.component
def HierarchyChart(model: CadreModel) -> None:  # noqa: N802
    """The organisation as a hierarchy coloured by work state."""
    update_counter.get()
    png = _use_png(lambda: hierarchy_figure(model), _frame_key(model))
    solara.Image(png, format="png", classes=["cadre-chart", "cadre-chart-hierarchy"])


@solara.component
def DistributionChart(model: CadreModel) -> None:  # noqa: N802
    """Distribution of reputation, idealism or a belief by orientation, with a picker."""
    update_counter.get()
    choice = solara.use_reactive(next(iter(DISTRIBUTIONS)))
    variable = DISTRIBUTIONS[choice.value]
    with solara.Column(gap="0px"):
        solara.Select("distribution of", values=list(DISTRIBUTIONS), value=choice, dense=True)
        png = _use_png(
            lambda: distribution_figure(model, variable), [*_frame_key(model), choice.value]
        )
        solara.Image(png, format="png", classes=["cadre-chart", "cadre-chart-distribution"])


def _tagged(tag: str, testid: str, text: str, style: str = "") -> solara.Element:
    """An HTML element with a ``data-testid`` attribute (readouts the browser test reads)."""
    return solara.v.Html(tag=tag, attributes={"data-testid": testid}, children=[text], style_=style)


def format_value(value: float | int | bool) -> str:
    """A parameter value as shown in the readouts (booleans as on/off)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int):
        return str(value)
    return f"{value:.4g}"


@solara.component
def RunReadout(  # noqa: N802
    model: CadreModel, scenario_name: str, seed: int, warning: str = ""
) -> None:
    """One line naming the run and its headline numbers this month, and any warning."""
    update_counter.get()
    out = model.outputs
    items = [
        ("scenario", "scenario", scenario_name),
        ("seed", "seed", str(seed)),
        ("month", "month", str(model.steps)),
        ("cadres", "headcount", f"{int(out.get('headcount', 0))}"),
        ("flat", "flat-share", f"{out.get('flat_share', float('nan')):.1%}"),
        ("active", "active-share", f"{out.get('active_share', float('nan')):.1%}"),
        ("routine", "routine-share", f"{out.get('routine_share', float('nan')):.1%}"),
    ]
    with solara.Row(gap="18px", style={"flex-wrap": "wrap", "align-items": "baseline"}):
        for label, testid, text in items:
            with solara.v.Html(tag="span"):
                solara.v.Html(tag="span", children=[f"{label}: "], style_="color: #666")
                _tagged("b", testid, text)
    if warning:
        solara.Warning(warning, dense=True)


@solara.component
def ParametersInForce(model: CadreModel) -> None:  # noqa: N802
    """Every policy lever's value in force this month, marking those not at their default."""
    update_counter.get()
    rows = []
    for p in P.levers():
        value = model.params[p.name]
        changed = value != p.default
        rows.append((p, value, changed))
    with solara.Details("Parameters in force this month", expand=True):
        with solara.v.Html(
            tag="div",
            style_="column-width: 300px; column-gap: 24px; font-size: 0.85em;",
        ):
            for p, value, changed in rows:
                with solara.v.Html(tag="div", attributes={"title": p.meaning}):
                    solara.v.Html(tag="span", children=[f"{p.name} = "])
                    _tagged(
                        "span",
                        f"param-{p.name}",
                        format_value(value),
                        style="font-weight: bold" if changed else "",
                    )
