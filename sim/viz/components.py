"""Solara components of the browser view: the charts, each with its PNG download.

* single run: the work-state shares and the discipline channel over time
  are Mesa's own plot component (:func:`mesa.visualization.make_plot_component`),
  styled by :func:`sim.viz.figures.time_chart_styler`;
* ensemble: :func:`sim.viz.figures.ensemble_figure` for a chosen output;
* both: the organisation view (click a post to inspect its cadre) and the
  distribution of a per-cadre quantity by orientation.

Components only decide *when* to redraw (once per step, reset, lever change
or selection: :func:`frame_key`) and how to show the result; the figures are
pure functions of the session. Readouts and panels are in
:mod:`sim.viz.panels`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import solara
from matplotlib.figure import Figure
from mesa.visualization import make_plot_component
from mesa.visualization.utils import update_counter

from sim.viz.controls import ClickableImage, tagged
from sim.viz.export import export_filename
from sim.viz.figures import (
    DISTRIBUTIONS,
    distribution_figure,
    ensemble_figure,
    metric_label,
    time_chart_styler,
)
from sim.viz.hierarchy import hierarchy_figure
from sim.viz.session import CHOSEN, COMPARISON, DIFFERENCE, Session
from sim.viz.style import EVENT_SERIES, SHARE_SERIES, figure_png

__all__ = [
    "DistributionChart",
    "EnsembleChart",
    "EventsChart",
    "OrganisationChart",
    "PngDownload",
    "SharesChart",
    "chart_frame",
    "ensemble_summary",
    "frame_key",
    "marks_key",
    "use_latest",
    "selected_post",
]


def frame_key(session: Session) -> list[Any]:
    """What a chart of the model's state depends on: the session and its month."""
    return [session.serial, session.month]


def marks_key(session: Session) -> list[Any]:
    """What a time chart depends on: the session, its month and the policy switches."""
    return [session.serial, session.month, tuple(session.marks())]


def use_latest(value: Any) -> Callable[[], Any]:
    """A hook: a function, the same one on every render, returning ``value`` as last rendered.

    Solara's file download starts a worker thread (and another render) each
    time its data argument changes; handing it this stable function instead
    of the bytes of each frame keeps a Step to one render.
    """
    ref = solara.use_ref(value)
    ref.current = value
    return solara.use_memo(lambda: lambda: ref.current, [])


@solara.component
def PngDownload(  # noqa: N802
    session: Session, name: str, title: str, data: Callable[[], bytes]
) -> None:
    """A small button that downloads a chart as PNG (``data``, called on click, must be stable)."""
    with solara.FileDownload(
        data, filename=export_filename(session, name, "png"), mime_type="image/png"
    ):
        solara.Button(
            "PNG",
            icon_name="mdi-download",
            text=True,
            small=True,
            attributes={"aria-label": f"Download the {title} chart as PNG"},
            classes=["cadre-png"],
        )


@contextmanager
def chart_frame(
    session: Session,
    name: str,
    title: str,
    png: Callable[[], bytes],
    picker: Callable[[], None] | None = None,
) -> Iterator[None]:
    """A chart's box: a bar with its picker (if any) and PNG button; the block draws the chart."""
    with solara.v.Html(
        tag="div",
        class_=f"cadre-figure cadre-chart-{name}",
        attributes={"data-testid": f"chart-{name}"},
    ):
        with solara.v.Html(tag="div", class_="cadre-figure-bar"):
            if picker is not None:
                picker()
            PngDownload(session, name, title, png)
        yield


@solara.component
def _MesaTimeChart(  # noqa: N802
    session: Session,
    name: str,
    title: str,
    measure: Mapping[str, str],
    ylabel: str,
    share: bool,
) -> None:
    """Mesa's plot component of the inspected model's ``measure``, with cadre-sim's style.

    This component renders once per session; Mesa's component redraws
    itself on every update (a step, a lever change), and the styler reads
    the policy switches at that moment.
    """
    kept = solara.use_ref(None)

    def make() -> Any:
        def keep(figure: Figure) -> None:
            kept.current = figure

        style = time_chart_styler(title, ylabel, session.marks, share, keep=keep)
        return make_plot_component(dict(measure), post_process=style)[0]

    plot = solara.use_memo(make, [session.serial])

    def export() -> Callable[[], bytes]:
        def png() -> bytes:
            with session.lock:
                return figure_png(kept.current, tight=True) if kept.current else b""

        return png

    png = solara.use_memo(export, [session.serial])
    with chart_frame(session, name, title.lower(), png):
        plot(session.inspected)


@solara.component
def SharesChart(session: Session) -> None:  # noqa: N802
    """Work-state shares of the single run over time: Mesa's plot component."""
    _MesaTimeChart(
        session, "shares", "Work states (flat = lying flat)", SHARE_SERIES, "share of cadres", True
    )


@solara.component
def EventsChart(session: Session) -> None:  # noqa: N802
    """Discipline-channel events of the single run over time: Mesa's plot component."""
    measure = {column: colour for column, (_label, colour) in EVENT_SERIES.items()}
    _MesaTimeChart(session, "events", "Discipline channel", measure, "cases per month", False)


def ensemble_summary(session: Session, metric: str) -> str:
    """The ensemble chart in words, this month: each side's mean and interval, the difference."""

    def describe(side: str) -> str:
        band = session.band(metric, side)
        return f"{band.mean[-1]:.4g} (95% CI {band.low[-1]:.4g} to {band.high[-1]:.4g})"

    if session.comparison is None:
        raise ValueError("a single run has no ensemble summary")
    return (
        f"{metric_label(metric)}, month {session.month}: "
        f"{session.chosen.scenario.name} (chosen) {describe(CHOSEN)}; "
        f"{session.comparison.scenario.name} (comparison) {describe(COMPARISON)}; "
        f"difference {describe(DIFFERENCE)}"
    )


def selected_post(session: Session, agent_id: int | None) -> int | None:
    """The post cadre ``agent_id`` holds now in the inspected model (``None``: none)."""
    if agent_id is None:
        return None
    row = session.recorder.row_of(agent_id)
    if row is None:
        return None
    model = session.inspected
    agent = model.cadre_at(row)
    if agent is None or agent.unique_id != agent_id:
        return None
    return int(model.pop.post[row])


@solara.component
def OrganisationChart(  # noqa: N802
    session: Session, selected: solara.Reactive[int | None]
) -> None:
    """The organisation by work state; clicking a post selects its cadre for the inspector."""
    update_counter.get()
    model = session.inspected
    post = selected_post(session, selected.value)
    title = f"Organisation, month {model.month}"
    if session.ensemble:
        title += f" ({session.chosen.scenario.name}, replicate 1)"

    def build() -> tuple[bytes, Any]:
        with session.lock:
            figure, picker = hierarchy_figure(model, post, title)
            return figure_png(figure), picker

    png, picker = solara.use_memo(build, [*frame_key(session), post])
    message = solara.use_reactive("")

    def pick(x: float, y: float) -> None:
        with session.lock:
            found = picker.post_at(x, y)
            if found is None:
                return
            row = int(model.org.post_holder[found])
            agent = model.cadre_at(row) if row >= 0 else None
        if agent is None:
            message.set(f"post {found} is vacant")
            return
        message.set("")
        selected.set(agent.unique_id)

    with chart_frame(session, "organisation", "organisation", use_latest(png)):
        ClickableImage(
            png,
            alt="The organisation's posts by level, coloured by work state; "
            "click a post to inspect its cadre",
            testid="organisation-view",
            on_pick=pick,
        )
        solara.Text(message.value, classes=["cadre-small"])


@solara.component
def DistributionChart(session: Session) -> None:  # noqa: N802
    """Distribution of reputation, idealism or a belief by orientation, with a picker."""
    update_counter.get()
    choice = solara.use_reactive(next(iter(DISTRIBUTIONS)))
    variable = DISTRIBUTIONS[choice.value]

    def build() -> bytes:
        with session.lock:
            return figure_png(distribution_figure(session.inspected, variable))

    png = solara.use_memo(build, [*frame_key(session), choice.value])

    def picker() -> None:
        solara.Select("Distribution of", values=list(DISTRIBUTIONS), value=choice, dense=True)

    with chart_frame(session, "distribution", "distribution", use_latest(png), picker):
        solara.Image(png, format="png", classes=["cadre-image"])


@solara.component
def EnsembleChart(session: Session, metric: solara.Reactive[str], name: str) -> None:  # noqa: N802
    """Both sides' mean of an output with 95% bands, and the difference: with an output picker."""
    update_counter.get()
    outputs = list(session.chosen.output_names)

    def build() -> bytes:
        with session.lock:
            return figure_png(ensemble_figure(session, metric.value))

    png = solara.use_memo(build, [*marks_key(session), metric.value])
    with session.lock:
        summary = ensemble_summary(session, metric.value)

    def picker() -> None:
        label = f"Ensemble chart {name[-1]}: output"
        solara.Select(label, values=outputs, value=metric, dense=True)

    title = f"ensemble {metric_label(metric.value)}"
    with chart_frame(session, name, title, use_latest(png), picker):
        solara.Image(png, format="png", classes=["cadre-image"])
        tagged("div", f"{name}-summary", summary, class_="cadre-small")
