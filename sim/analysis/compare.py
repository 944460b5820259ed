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
* whether the difference is **clear**: its interval excludes 0 (equivalently
  its p-value is below ``1 - confidence``); an effect whose interval includes
  0 is reported as *not clear*, since the replicates do not tell its sign;
* **Holm-adjusted p-values**: the family is every scenario x metric contrast
  of the comparison (all scenarios but the baseline, all metrics compared),
  so asking about more metrics or scenarios makes each adjusted p larger; an
  effect is **clear after Holm** when its adjusted p is below
  ``1 - confidence`` (the family-wise error rate);
* the **effect size**: Cohen's ``d_z``, the mean paired difference divided
  by the standard deviation of the paired differences (the standardised
  effect a paired test sees; it is not Hedges' g of two independent
  groups). When all paired differences are equal ``d_z`` is 0 if they are
  zero and +/-inf otherwise;
* **replicates needed** (:meth:`Comparison.replicates_needed`): from the
  standard deviation of the paired differences, the fewest replicates whose
  interval of the difference would have a given half-width.

:func:`compare` computes the table; :func:`write_report` writes
``comparison.csv``, ``comparison.md`` (a summary of every contrast, then one
table per metric) and the figures ``figures/timeseries_<metric>.png`` and
``figures/differences.png`` (:mod:`sim.analysis.figures`).
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis import compare_text
from sim.analysis.compare_text import SUMMARY_BEGIN, SUMMARY_END
from sim.analysis.figures import plot_differences, plot_timeseries
from sim.analysis.stats import (
    CONFIDENCE,
    EFFECT_SIZE,
    excludes_zero,
    half_width,
    holm,
    paired_test,
    replicates_for_half_width,
    summarize,
)
from sim.errors import IncompleteResultsError, InputError, hint
from sim.runs import store

__all__ = [
    "CONFIDENCE",
    "EFFECT_SIZE",
    "PRECISION_COLUMNS",
    "SUMMARY_BEGIN",
    "SUMMARY_END",
    "TABLE_COLUMNS",
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
    "difference_sd",
    "difference_ci_low",
    "difference_ci_high",
    "clear",
    "d_z",
    "p_value",
    "p_holm",
    "clear_holm",
)

#: The columns :func:`compare` adds once every contrast is known (the Holm family).
_JUDGED: tuple[str, ...] = ("clear", "p_holm", "clear_holm")

#: Columns of :meth:`Comparison.replicates_needed`, in order.
PRECISION_COLUMNS: tuple[str, ...] = (
    "metric",
    "scenario",
    "n_pairs",
    "difference_sd",
    "half_width",
    "target_half_width",
    "replicates_needed",
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
            baseline, the mean paired ``difference``, the standard deviation
            ``difference_sd`` of the paired differences and the interval;
            ``clear`` (the interval excludes 0), Cohen's ``d_z``, the paired
            t-test's raw ``p_value``, its Holm-adjusted ``p_holm`` over all
            the table's contrasts and ``clear_holm`` (``p_holm`` below
            ``1 - confidence``). ``clear``, ``p_holm`` and ``clear_holm``
            are missing for the baseline's own rows and without an interval.
        summaries: one row per run (scenario, replicate, seed, metrics).
        differences: one row per metric, scenario and replicate paired with
            the baseline: ``metric``, ``scenario``, ``replicate``, ``seed``,
            ``difference``.
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
    differences: pd.DataFrame
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

    @property
    def contrasts(self) -> pd.DataFrame:
        """The rows that contrast a scenario with the baseline (the baseline's own left out)."""
        return self.table[self.table["scenario"] != self.baseline]

    @property
    def family_size(self) -> int:
        """Contrasts with a p-value: the family of the Holm adjustment."""
        return int(self.contrasts["p_value"].notna().sum())

    def describe(self) -> str:
        """Return how the numbers were computed: intervals, clear effects, the adjustment."""
        return compare_text.describe(self)

    def to_text(self) -> str:
        """Return the table as aligned plain text, one block per metric."""
        return compare_text.text_table(self)

    def summary_markdown(self) -> str:
        """Return every contrast in one Markdown table (:func:`compare_text.summary_markdown`)."""
        return compare_text.summary_markdown(self)

    def to_markdown(self, figures: bool = True) -> str:
        """Return the report as Markdown: method, summary, one table per metric, figures."""
        return compare_text.markdown(self, figures)

    def replicates_needed(self, precision: float | Mapping[str, float]) -> pd.DataFrame:
        """Return the replicates each contrast needs for an interval of a given half-width.

        From the standard deviation of the paired differences, the fewest
        replicates whose t-interval of the mean difference (at the
        comparison's confidence level) would have half-width at most
        ``precision``, beside the current half-width
        (:func:`sim.analysis.stats.replicates_for_half_width`). A planning
        estimate: the standard deviation is itself estimated from the
        ``n_pairs`` replicates.

        Args:
            precision: the wanted half-width in the metrics' own units: one
                number for every metric, or a mapping ``metric -> half-width``
                (metrics it leaves out are left out of the result).

        Returns:
            One row per contrast, columns :data:`PRECISION_COLUMNS`.

        Raises:
            InputError: a half-width that is not a positive number, or a
                metric that is not compared.

        """
        targets = _targets(precision, self.metrics)
        rows = self.contrasts[self.contrasts["metric"].isin(list(targets))]
        target = rows["metric"].map(targets).to_numpy(dtype="float64")
        sd = rows["difference_sd"].to_numpy(dtype="float64")
        needed = replicates_for_half_width(sd, target, self.confidence)
        return pd.DataFrame(
            {
                "metric": rows["metric"].to_numpy(),
                "scenario": rows["scenario"].to_numpy(),
                "n_pairs": rows["n_pairs"].to_numpy(),
                "difference_sd": sd,
                "half_width": half_width(sd, rows["n_pairs"].to_numpy(), self.confidence),
                "target_half_width": target,
                "replicates_needed": pd.array(
                    np.where(np.isnan(needed), None, needed), dtype="Int64"
                ),
            },
            columns=list(PRECISION_COLUMNS),
        )

    def precision_text(self, precision: float | Mapping[str, float]) -> str:
        """Return :meth:`replicates_needed` as aligned plain text with a heading."""
        return compare_text.precision_text(self, precision)


def _targets(precision: float | Mapping[str, float], metrics: Sequence[str]) -> dict[str, float]:
    """Return the wanted half-width of each metric, checked."""
    given = precision if isinstance(precision, Mapping) else dict.fromkeys(metrics, precision)
    for metric, value in given.items():
        if metric not in metrics:
            raise InputError(
                f"precision for {metric!r}: it is not a compared metric{hint(metric, metrics)}; "
                f"compared: {', '.join(metrics)}",
                arguments=("precision",),
            )
        number = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not (number and np.isfinite(value) and value > 0):
            raise InputError(
                f"precision {value!r} for {metric} must be a positive half-width, e.g. 0.005",
                arguments=("precision",),
            )
    return {metric: float(value) for metric, value in given.items()}


def _choose_baseline(names: Sequence[str], baseline: str | None, folder: Path) -> str:
    """Return the baseline: the one asked for, else ``baseline`` if present, else the first."""
    if baseline is None:
        return "baseline" if "baseline" in names else names[0]
    if baseline not in names:
        raise InputError(
            f"baseline {baseline!r} is not a scenario of the batch in {folder}"
            f"{hint(baseline, names)}; it has: {', '.join(names)}",
            arguments=("baseline",),
        )
    return baseline


def _rows(
    summaries: pd.DataFrame,
    differences: pd.DataFrame,
    names: Sequence[str],
    metric: str,
    confidence: float,
) -> list[dict[str, object]]:
    """Return the table rows of one metric: each scenario's mean and paired difference."""
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
                "difference_sd": paired.sd,
                "difference_ci_low": paired.ci_low,
                "difference_ci_high": paired.ci_high,
                "d_z": paired.d_z,
                "p_value": paired.p_value,
            }
        )
    return rows


def _judge(table: pd.DataFrame, baseline: str, confidence: float) -> pd.DataFrame:
    """Add ``clear``, ``p_holm`` and ``clear_holm``: the family is every contrast of ``table``."""
    contrast = (table["scenario"] != baseline).to_numpy()
    low = table["difference_ci_low"].to_numpy(dtype="float64")
    high = table["difference_ci_high"].to_numpy(dtype="float64")
    has_interval = contrast & ~np.isnan(low) & ~np.isnan(high)
    p_holm = holm(np.where(contrast, table["p_value"].to_numpy(dtype="float64"), np.nan))
    has_p = ~np.isnan(p_holm)
    judged = table.assign(
        clear=pd.array(np.where(has_interval, excludes_zero(low, high), None), "boolean"),
        p_holm=p_holm,
        clear_holm=pd.array(np.where(has_p, p_holm < 1.0 - confidence, None), "boolean"),
    )
    return judged[list(TABLE_COLUMNS)]


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
    differences = {metric: paired_differences(summaries, chosen, metric) for metric in wanted}
    rows = [
        row
        for metric in wanted
        for row in _rows(summaries, differences[metric], names, metric, confidence)
    ]
    table = pd.DataFrame.from_records(rows, columns=[c for c in TABLE_COLUMNS if c not in _JUDGED])
    return Comparison(
        path=folder,
        table=_judge(table, chosen, confidence),
        summaries=summaries,
        differences=pd.concat(
            [frame.assign(metric=metric) for metric, frame in differences.items()],
            ignore_index=True,
        )[["metric", "scenario", "replicate", "seed", "difference"]],
        baseline=chosen,
        metrics=tuple(wanted),
        window=int(window),
        steps=int(manifest["steps"]),
        confidence=confidence,
        root_seed=int(manifest["root_seed"]),
    )


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
