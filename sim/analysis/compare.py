"""Compare the scenarios of a batch, with confidence intervals for policy contrasts.

For each scenario and metric, every run is first reduced to one number: the
metric's mean over the run's last ``window`` months. Over the replicates of
a scenario this gives (:mod:`sim.analysis.stats`)

* the **mean** and its **t-based confidence interval**
  ``mean +/- t(1 - a/2, n - 1) * sd / sqrt(n)`` (95% by default);
* the **paired difference from the baseline**: replicate ``k`` of every
  scenario shares its seed (common random numbers, :func:`sim.batch.replicate_seed`),
  so the differences ``scenario_k - baseline_k`` are paired; their mean,
  its t-based interval and a two-sided paired t-test p-value;
* the **effect size**: Cohen's ``d_z``, the mean paired difference divided
  by the standard deviation of the paired differences (the standardised
  effect a paired test sees; it is not Hedges' g of two independent
  groups). When all paired differences are equal ``d_z`` is 0 if they are
  zero and +/-inf otherwise.

:func:`compare` computes the table; :func:`write_report` writes
``comparison.csv``, ``comparison.md`` and the figures
``figures/timeseries_<metric>.png`` (mean time series with confidence bands
per scenario) and ``figures/differences.png`` (paired differences with
their intervals), drawn with seaborn on matplotlib's non-interactive Agg
canvas (:mod:`sim.analysis.figures`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis import figures
from sim.analysis.stats import CONFIDENCE, EFFECT_SIZE, paired_test, summarize
from sim.analysis.text import align, number, p_value, percent
from sim.errors import IncompleteResultsError, InputError, suggest
from sim.runs import store

__all__ = [
    "CONFIDENCE",
    "EFFECT_SIZE",
    "Comparison",
    "compare",
    "paired_differences",
    "plot_differences",
    "plot_timeseries",
    "write_report",
]

#: Columns of :attr:`Comparison.table`, in order.
TABLE_COLUMNS: tuple[str, ...] = (
    "metric",
    "scenario",
    "n",
    "mean",
    "sd",
    "ci_low",
    "ci_high",
    "n_pairs",
    "difference",
    "difference_ci_low",
    "difference_ci_high",
    "d_z",
    "p_value",
)


def paired_differences(summaries: pd.DataFrame, baseline: str, metric: str) -> pd.DataFrame:
    """Return per-replicate differences ``scenario - baseline`` of one metric.

    Runs are paired by replicate number, which in a batch means by seed
    (both are checked); replicates missing from either side, or with a
    missing value, are left out.

    Args:
        summaries: one row per run, as :func:`sim.results.summaries` returns.
        baseline: the scenario to subtract.
        metric: the summary column to compare.

    Returns:
        Columns ``scenario``, ``replicate``, ``seed``, ``difference`` for every
        scenario including the baseline itself (differences of zero).

    Raises:
        InputError: the pairs do not share their seeds (not a paired batch).

    """
    base = summaries.loc[summaries["scenario"] == baseline, ["replicate", "seed", metric]]
    base = base.rename(columns={metric: "base", "seed": "base_seed"})
    merged = summaries[["scenario", "replicate", "seed", metric]].merge(
        base, on="replicate", how="inner"
    )
    if (merged["seed"] != merged["base_seed"]).any():
        raise InputError(
            "replicates with the same number have different seeds: the runs are not paired"
        )
    merged["difference"] = merged[metric] - merged["base"]
    merged = merged.dropna(subset=["difference"])
    return merged[["scenario", "replicate", "seed", "difference"]].reset_index(drop=True)


@dataclass
class Comparison:
    """The comparison of a batch's scenarios.

    Attributes:
        path: the results folder.
        table: one row per metric and scenario, columns :data:`TABLE_COLUMNS`:
            ``n`` runs, ``mean``, ``sd`` and ``ci_low``/``ci_high`` of the
            per-run window means; ``n_pairs`` replicates paired with the
            baseline, the mean paired ``difference`` and its interval,
            Cohen's ``d_z`` and the paired t-test ``p_value``.
        summaries: one row per run (scenario, replicate, seed, metrics).
        baseline: the scenario differences are taken from.
        metrics: the metrics compared.
        window: months at the end of each run that are averaged.
        steps: months per run.
        confidence: confidence level of the intervals.
        root_seed: the batch's root seed.

    """

    path: Path
    table: pd.DataFrame
    summaries: pd.DataFrame
    baseline: str
    metrics: tuple[str, ...]
    window: int
    steps: int
    confidence: float
    root_seed: int

    @property
    def window_months(self) -> tuple[int, int]:
        """First and last month averaged."""
        return self.steps - self.window + 1, self.steps

    def describe(self) -> str:
        """Return a sentence on how the numbers were computed."""
        first, last = self.window_months
        level = percent(self.confidence)
        return (
            f"Each run is reduced to its mean over months {first}-{last}. "
            f"'mean' is the mean over replicates with its {level} t-interval; "
            f"'difference' is the mean paired difference from '{self.baseline}' "
            f"(replicate k of every scenario shares its seed; root seed {self.root_seed}) "
            f"with its {level} t-interval and paired t-test p-value; "
            f"effect size: {EFFECT_SIZE}."
        )

    def to_text(self) -> str:
        """Return the table as aligned plain text, one block per metric."""
        level = percent(self.confidence)
        header = ["scenario", "n", "mean", f"{level} CI", "difference", f"{level} CI", "d_z", "p"]
        first, last = self.window_months
        blocks = []
        for metric in self.metrics:
            rows = self.table[self.table["metric"] == metric]
            body = [_cells(row, self.baseline) for row in rows.itertuples(index=False)]
            lines = align([header, *body], right=range(1, len(header)))
            blocks.append("\n".join([f"{metric} (months {first}-{last})", *lines]))
        return "\n\n".join(blocks) + "\n"

    def to_markdown(self, figures: bool = True) -> str:
        """Return the report as Markdown: method, one table per metric, figure links."""
        level = percent(self.confidence)
        first, last = self.window_months
        out = [f"# Scenario comparison: {self.path.name}", "", self.describe(), ""]
        for metric in self.metrics:
            out += [
                f"## {metric}, months {first}-{last}",
                "",
                f"| scenario | n | mean | {level} CI | difference from {self.baseline} "
                f"| {level} CI | d_z | p |",
                "|---|---:|---:|---:|---:|---:|---:|---:|",
            ]
            rows = self.table[self.table["metric"] == metric]
            for row in rows.itertuples(index=False):
                cells = _cells(row, self.baseline)
                cells[0] = f"`{cells[0]}`"
                out.append("| " + " | ".join(cells) + " |")
            out.append("")
            if figures:
                out += [f"![{metric} over time](figures/timeseries_{metric}.png)", ""]
        if figures and (self.table["scenario"] != self.baseline).any():
            out += [
                f"![paired differences from {self.baseline}](figures/differences.png)",
                "",
            ]
        if figures:
            out += [
                f"Time series: mean over replicates with {level} t-bands; the shaded "
                "months are the ones averaged. Differences: one dot per replicate, the "
                f"mean and its {level} t-interval.",
                "",
            ]
        return "\n".join(out)


def _cells(row: object, baseline: str) -> list[str]:
    """Return the printed cells of one table row."""
    mean_ci = f"[{number(row.ci_low)}, {number(row.ci_high)}]"
    if row.scenario == baseline:
        return [str(row.scenario), str(row.n), number(row.mean), mean_ci, "(baseline)", "", "", ""]
    diff_ci = f"[{number(row.difference_ci_low)}, {number(row.difference_ci_high)}]"
    return [
        str(row.scenario),
        str(row.n),
        number(row.mean),
        mean_ci,
        number(row.difference),
        diff_ci,
        number(row.d_z),
        p_value(row.p_value),
    ]


def _choose_baseline(names: Sequence[str], baseline: str | None, folder: Path) -> str:
    """Return the baseline: the one asked for, else ``baseline`` if present, else the first."""
    if baseline is None:
        return "baseline" if "baseline" in names else names[0]
    if baseline not in names:
        hint = suggest(baseline, names)
        extra = f" (did you mean {hint!r}?)" if hint else ""
        raise InputError(
            f"baseline {baseline!r} is not a scenario of the batch in {folder}{extra}; "
            f"it has: {', '.join(names)}",
            arguments=("baseline",),
        )
    return baseline


def _rows(
    summaries: pd.DataFrame, names: Sequence[str], baseline: str, metric: str, confidence: float
) -> list[dict[str, object]]:
    """Return the table rows of one metric: each scenario's mean and paired difference."""
    differences = paired_differences(summaries, baseline, metric)
    rows = []
    for name in names:
        values = summaries.loc[summaries["scenario"] == name, metric].dropna()
        if values.empty:
            continue
        level = summarize(values, confidence)
        pairs = differences.loc[differences["scenario"] == name, "difference"]
        paired = paired_test(pairs, confidence)
        rows.append(
            {
                "metric": metric,
                "scenario": name,
                "n": level.n,
                "mean": level.mean,
                "sd": level.sd,
                "ci_low": level.ci_low,
                "ci_high": level.ci_high,
                "n_pairs": paired.n,
                "difference": paired.mean,
                "difference_ci_low": paired.ci_low,
                "difference_ci_high": paired.ci_high,
                "d_z": paired.d_z,
                "p_value": paired.p_value,
            }
        )
    return rows


def compare(
    path: str | os.PathLike[str],
    baseline: str | None = None,
    metrics: Iterable[str] = ("flat_share",),
    window: int = 12,
    confidence: float = CONFIDENCE,
) -> Comparison:
    """Compare every scenario of a batch with a baseline.

    Args:
        path: a results folder written by :func:`sim.batch.run_batch`.
        baseline: the scenario to take differences from (default: the one
            named ``baseline`` if any, else the batch's first scenario).
        metrics: outputs to compare (default: the headline ``flat_share``).
        window: months at the end of each run that are averaged.
        confidence: level of every interval, between 0 and 1.

    Raises:
        InputError: a foreign or corrupt folder, an unknown baseline or
            metric, a window outside the run length, a bad confidence level,
            or a baseline without finished runs.

    """
    folder = Path(path)
    if not 0.0 < confidence < 1.0:
        raise InputError(
            f"confidence level {confidence} must be between 0 and 1, e.g. 0.95",
            arguments=("confidence",),
        )
    manifest = store.read_manifest(folder)
    names = [entry["name"] for entry in manifest["scenarios"]]
    chosen = _choose_baseline(names, baseline, folder)
    wanted = [metrics] if isinstance(metrics, str) else list(dict.fromkeys(metrics))
    summaries = store.summaries(folder, wanted, window)
    if not (summaries["scenario"] == chosen).any():
        raise IncompleteResultsError(
            f"baseline {chosen!r} has no finished runs in {folder}: resume its batch to run them",
            folder,
        )
    rows = [row for metric in wanted for row in _rows(summaries, names, chosen, metric, confidence)]
    return Comparison(
        path=folder,
        table=pd.DataFrame.from_records(rows, columns=list(TABLE_COLUMNS)),
        summaries=summaries,
        baseline=chosen,
        metrics=tuple(wanted),
        window=int(window),
        steps=int(manifest["steps"]),
        confidence=confidence,
        root_seed=int(manifest["root_seed"]),
    )


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------


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
    with figures.style():
        figure = figures.new_figure(9.0, 5.0)
        axes = figure.subplots()
        if window is not None:
            axes.axvspan(steps - window + 0.5, steps + 0.5, color="0.88", zorder=0)
            axes.text(
                steps - window / 2 + 0.5,
                1.0,
                "averaged",
                transform=axes.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize="small",
                color="0.35",
            )
        sns.lineplot(
            data=frame,
            x="month",
            y=metric,
            hue="scenario",
            palette=_palette(list(frame["scenario"].cat.categories), baseline),
            errorbar=figures.t_errorbar(confidence),
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
        return figures.save(figure, out_file)


def plot_differences(comparison: Comparison, out_file: str | os.PathLike[str]) -> Path | None:
    """Draw each scenario's paired differences from the baseline, one panel per metric.

    Every replicate's difference is a dot; the mean and its t-interval are
    drawn on top, with a line at zero. Returns None (nothing drawn) when the
    batch has no scenario besides the baseline.
    """
    import seaborn as sns

    others = [name for name in comparison.table["scenario"].unique() if name != comparison.baseline]
    if not others:
        return None
    with figures.style():
        n = len(comparison.metrics)
        figure = figures.new_figure(4.2 * n + 1.5, 0.45 * len(others) + 1.8)
        panels = np.atleast_1d(figure.subplots(1, n, sharey=True, squeeze=False)[0])
        for axes, metric in zip(panels, comparison.metrics, strict=True):
            diffs = paired_differences(comparison.summaries, comparison.baseline, metric)
            diffs = diffs[diffs["scenario"] != comparison.baseline].copy()
            diffs["scenario"] = pd.Categorical(diffs["scenario"].astype(str), categories=others)
            axes.axvline(0.0, color="0.3", linewidth=1.0)
            sns.stripplot(
                data=diffs,
                x="difference",
                y="scenario",
                order=others,
                color="0.55",
                alpha=0.5,
                size=4,
                jitter=0.15,
                ax=axes,
            )
            sns.pointplot(
                data=diffs,
                x="difference",
                y="scenario",
                order=others,
                errorbar=figures.t_errorbar(comparison.confidence),
                linestyle="none",
                color="C3",
                markers="D",
                capsize=0.2,
                ax=axes,
            )
            axes.set_title(metric, loc="left")
            axes.set_xlabel(f"difference from {comparison.baseline}")
            axes.set_ylabel("")
        first, last = comparison.window_months
        figure.suptitle(
            f"Paired differences from {comparison.baseline} (months {first}-{last}):\n"
            f"mean and {percent(comparison.confidence)} t-interval; dots are replicates",
            x=0.01,
            ha="left",
        )
        return figures.save(figure, out_file)


def write_report(comparison: Comparison, figures: bool = True) -> list[Path]:
    """Write ``comparison.csv``, ``comparison.md`` and the figures into the results folder.

    Returns:
        The files written.

    """
    folder = comparison.path
    csv_file = folder / "comparison.csv"
    table = comparison.table.copy()
    table.insert(2, "baseline", comparison.baseline)
    table.insert(3, "window_first_month", comparison.window_months[0])
    table.insert(4, "window_last_month", comparison.window_months[1])
    table["confidence"] = comparison.confidence
    table.to_csv(csv_file, index=False)
    md_file = folder / "comparison.md"
    md_file.write_text(comparison.to_markdown(figures=figures), encoding="utf-8")
    written = [csv_file, md_file]
    if figures:
        figure_dir = folder / store.FIGURES_DIR
        for metric in comparison.metrics:
            written.append(
                plot_timeseries(
                    folder,
                    metric,
                    figure_dir / f"timeseries_{metric}.png",
                    window=comparison.window,
                    confidence=comparison.confidence,
                    baseline=comparison.baseline,
                )
            )
        diff_file = plot_differences(comparison, figure_dir / "differences.png")
        if diff_file is not None:
            written.append(diff_file)
    return written
