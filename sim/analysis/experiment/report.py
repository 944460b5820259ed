"""The report of a sweep: per-point means with t-intervals as CSV and Markdown, and figures.

:func:`draw_sweep` draws the response of one metric: for one varied
parameter a line with a t-band, for a two-parameter grid a heatmap, one
panel per parameter otherwise, each scenario's mean and interval for a
scenarios design. :func:`write_sweep_report` writes ``sweep.csv``,
``sweep.md`` and ``figures/sweep_<metric>.png``.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.analysis import figures
from sim.analysis.experiment.run import ExperimentRun
from sim.analysis.experiment.schema import SWEEP_FILE, SWEEP_REPORT
from sim.analysis.stats import CONFIDENCE
from sim.analysis.text import number, param_value, percent
from sim.errors import InputError
from sim.fileio import atomic_write_text
from sim.runs import store

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["draw_sweep", "plot_sweep", "sweep_markdown", "write_sweep_report"]


def plot_sweep(
    run: ExperimentRun,
    metric: str,
    out_file: str | os.PathLike[str],
    confidence: float = CONFIDENCE,
) -> Path:
    """Draw a sweep's response of one metric (:func:`draw_sweep`) and write it as PNG."""
    with figures.style():
        return figures.save(draw_sweep(run, metric, confidence), out_file)


def draw_sweep(run: ExperimentRun, metric: str, confidence: float = CONFIDENCE) -> Figure:
    """Draw a sweep's response of one metric on a new matplotlib Figure (Agg canvas).

    One varied parameter: the mean over replicates against the parameter,
    with a t-based confidence band. Two (grid): a heatmap of the mean, first
    parameter across, second down. More, or a Latin hypercube: one panel per
    parameter (the mean per point, a band for grid main effects). A
    scenarios design: each scenario's mean with its interval.
    """
    experiment = run.experiment
    done = run.runs[run.runs["status"] == "done"].copy()
    parameters = list(experiment.parameters)
    caption = (
        f"{metric}: mean of months {experiment.steps - experiment.window + 1}-"
        f"{experiment.steps} over {experiment.replicates} replicate(s)"
    )
    method = run.design.method
    with figures.style():
        if method == "scenarios":
            figure = figures.new_figure(8.0, 0.45 * len(run.design) + 1.8)
            _scenario_points(figure.subplots(), done, run.design.points, metric, confidence)
            figure.axes[0].set_title(
                f"{caption}, {percent(confidence)} t-interval", loc="left", fontsize="medium"
            )
        elif method == "grid" and len(parameters) == 1:
            figure = figures.new_figure(7.5, 4.5)
            _line(figure.subplots(), done, parameters[0], metric, confidence)
            figure.axes[0].set_title(
                f"{caption}, {percent(confidence)} t-band", loc="left", fontsize="medium"
            )
        elif method == "grid" and len(parameters) == 2:
            figure = _heatmap(done, parameters, metric)
            figure.axes[0].set_title(caption, loc="left", fontsize="medium")
        else:
            figure = _panels(done, parameters, metric, method == "grid", confidence)
            figure.suptitle(caption, x=0.01, ha="left", fontsize="medium")
    return figure


def _scenario_points(
    axes: Axes, done: pd.DataFrame, order: list[str], metric: str, confidence: float
) -> None:
    """Each scenario's mean with its t-interval."""
    import seaborn as sns

    done["point"] = done["point"].astype(str)
    sns.pointplot(
        data=done,
        x=metric,
        y="point",
        order=order,
        errorbar=figures.t_errorbar(confidence),
        linestyle="none",
        capsize=0.2,
        color="C0",
        ax=axes,
    )
    axes.set_ylabel("")


def _line(axes: Axes, done: pd.DataFrame, parameter: str, metric: str, confidence: float) -> None:
    """The mean over replicates against one parameter, with a t-band."""
    import seaborn as sns

    sns.lineplot(
        data=done,
        x=parameter,
        y=metric,
        errorbar=figures.t_errorbar(confidence),
        marker="o",
        ax=axes,
    )


def _heatmap(done: pd.DataFrame, parameters: list[str], metric: str) -> Figure:
    """A heatmap of the mean of a two-parameter grid: first parameter across, second down."""
    import seaborn as sns

    across, down = parameters
    means = done.groupby([down, across])[metric].mean().unstack(across)
    means = means.sort_index(ascending=False)
    figure = figures.new_figure(1.0 + 1.1 * means.shape[1] + 1.5, 1.2 + 0.6 * means.shape[0] + 0.8)
    axes = figure.subplots()
    sns.heatmap(
        means,
        annot=means.shape[0] * means.shape[1] <= 100,
        fmt=".3f",
        cmap="rocket_r",
        cbar_kws={"label": metric},
        ax=axes,
    )
    axes.set_xticklabels([param_value(v) for v in means.columns], rotation=0)
    axes.set_yticklabels([param_value(v) for v in means.index], rotation=0)
    return figure


def _panels(
    done: pd.DataFrame, parameters: list[str], metric: str, grid: bool, confidence: float
) -> Figure:
    """One panel per parameter: grid main effects with t-bands, or the mean per sampled point."""
    import seaborn as sns

    n = len(parameters)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    figure = figures.new_figure(4.2 * cols, 3.4 * rows)
    panels = np.atleast_1d(figure.subplots(rows, cols, squeeze=False).ravel())
    for axes, parameter in zip(panels, parameters, strict=False):
        if grid:
            _line(axes, done, parameter, metric, confidence)
        else:
            per_point = done.groupby("point", observed=True)[[parameter, metric]].mean()
            sns.regplot(
                data=per_point, x=parameter, y=metric, ci=None,
                scatter_kws={"s": 14, "alpha": 0.7}, line_kws={"color": "C3"}, ax=axes,
            )  # fmt: skip
    for axes in panels[n:]:
        axes.set_visible(False)
    return figure


def write_sweep_report(run: ExperimentRun, confidence: float = CONFIDENCE) -> list[Path]:
    """Write ``sweep.csv``, ``sweep.md`` and ``figures/sweep_<metric>.png`` into the folder.

    Returns:
        The files written.

    Raises:
        InputError: the run has no results folder.

    """
    if run.out is None:
        raise InputError("the sweep ran in a temporary folder: give out= to write a report")
    table = run.point_summary(confidence)
    csv_file = run.out / SWEEP_FILE
    table.to_csv(csv_file, index=False)
    md_file = run.out / SWEEP_REPORT
    atomic_write_text(md_file, sweep_markdown(run, table, confidence))
    figure_dir = run.out / store.FIGURES_DIR
    return [
        csv_file,
        md_file,
        *(
            plot_sweep(run, metric, figure_dir / f"sweep_{metric}.png", confidence)
            for metric in run.batch.metrics
        ),
    ]


def sweep_markdown(run: ExperimentRun, table: pd.DataFrame, confidence: float = CONFIDENCE) -> str:
    """A Markdown report of a sweep: settings, then one table per metric."""
    experiment = run.experiment
    level = percent(confidence)
    first = experiment.steps - experiment.window + 1
    settings = ", ".join(f"{k} = {param_value(v)}" for k, v in experiment.settings.items())
    lines = [
        f"# Sweep: {experiment.name}",
        "",
        experiment.description,
        "",
        f"Design {run.design.method!r}, {len(run.design)} points x {experiment.replicates} "
        f"replicate(s), {experiment.steps} months, root seed {experiment.seed}"
        + (f", population {experiment.population}" if experiment.population else "")
        + f". Each run is reduced to its mean over months {first}-{experiment.steps}; "
        f"'mean' is the mean over replicates with its {level} t-interval. "
        f"Replicate k of every point shares its seed. Base scenario: {experiment.base.name}"
        + (f", with {settings}" if settings else "")
        + ".",
        "",
    ]
    columns = [c for c in run.design.table.columns if c != "point"]
    for metric in run.batch.metrics:
        rows = table[table["metric"] == metric]
        lines += [
            f"## {metric}",
            "",
            "| point | " + " | ".join(f"`{c}`" for c in columns) + f" | n | mean | {level} CI |",
            "|---|" + "---:|" * len(columns) + "---:|---:|---:|",
        ]
        for record in rows.to_dict("records"):
            cells = [
                str(record[c]) if c == "description" else param_value(record[c]) for c in columns
            ]
            lines.append(
                f"| {record['point']} | "
                + " | ".join(cells)
                + f" | {record['n']} | {number(record['mean'])} | "
                f"[{number(record['ci_low'])}, {number(record['ci_high'])}] |"
            )
        lines += ["", f"![{metric}](figures/sweep_{metric}.png)", ""]
    return "\n".join(lines)
