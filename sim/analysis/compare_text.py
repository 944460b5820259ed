"""How a comparison reads: the method sentence, plain-text and Markdown tables, the summary.

:func:`describe` says how the numbers were computed (intervals, what a
*clear* effect is, the Holm family); :func:`text_table` and :func:`markdown`
print :attr:`Comparison.table <sim.analysis.compare.Comparison.table>` with
each effect marked ``yes``, ``yes, not after Holm`` or ``not clear (CI
includes 0)`` (:func:`sim.analysis.text.clarity`); :func:`summary_markdown`
puts every contrast in one table between :data:`SUMMARY_BEGIN` and
:data:`SUMMARY_END` (the README's demo table is a copy of it);
:func:`precision_text` prints the replicates needed for a wanted precision.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from sim.analysis.stats import ADJUSTMENT, EFFECT_SIZE
from sim.analysis.text import align, clarity, number, p_value, percent

if TYPE_CHECKING:
    from sim.analysis.compare import Comparison

__all__ = [
    "SUMMARY_BEGIN",
    "SUMMARY_END",
    "describe",
    "markdown",
    "precision_text",
    "summary_markdown",
    "text_table",
]

#: The lines around the summary table in ``comparison.md``; the README's demo
#: table is a copy of what lies between them.
SUMMARY_BEGIN = "<!-- comparison-summary:begin -->"
SUMMARY_END = "<!-- comparison-summary:end -->"


def describe(comparison: Comparison) -> str:
    """Return how the numbers were computed: intervals, clear effects, the adjustment."""
    first, last = comparison.window_months
    level = percent(comparison.confidence)
    alpha = number(1.0 - comparison.confidence)
    scenarios = comparison.contrasts["scenario"].nunique()
    text = (
        f"Each run is reduced to its mean over months {first}-{last}. "
        f"'mean' is the mean over replicates with its {level} t-interval; "
        f"'difference' is the mean paired difference from '{comparison.baseline}' "
        f"(replicate k of every scenario shares its seed; root seed {comparison.root_seed}) "
        f"with its {level} t-interval and paired t-test p-value; "
        f"effect size: {EFFECT_SIZE}. "
        f"An effect is clear when its {level} interval excludes 0 (p < {alpha}); "
        "'not clear' means the replicates do not tell its sign."
    )
    if not comparison.family_size:
        return text
    return (
        f"{text} 'p Holm' adjusts p by {ADJUSTMENT} over the family of all "
        f"{comparison.family_size} contrasts of this report ({scenarios} scenarios x "
        f"{len(comparison.metrics)} metrics); 'not after Holm' marks a clear effect whose "
        f"adjusted p is {alpha} or more."
    )


def text_table(comparison: Comparison) -> str:
    """Return the table as aligned plain text, one block per metric."""
    level = percent(comparison.confidence)
    header = [
        "scenario",
        "n",
        "mean",
        f"{level} CI",
        "difference",
        f"{level} CI",
        "clear",
        "d_z",
        "p",
        "p Holm",
    ]
    first, last = comparison.window_months
    blocks = []
    for metric in comparison.metrics:
        rows = comparison.table[comparison.table["metric"] == metric]
        body = [_cells(row, comparison.baseline) for row in rows.itertuples(index=False)]
        lines = align([header, *body], right=[1, 2, 3, 4, 5, 7, 8, 9])
        blocks.append("\n".join([f"{metric} (months {first}-{last})", *lines]))
    return "\n\n".join(blocks) + "\n"


def summary_markdown(comparison: Comparison) -> str:
    """Return every contrast in one Markdown table, between :data:`SUMMARY_BEGIN`/`END`.

    One row per scenario, one column per metric: the baseline's level
    with its interval, then each scenario's difference from it with its
    interval, marked when it is not clear or not clear after Holm.
    """
    level = percent(comparison.confidence)
    first, last = comparison.window_months
    fewest, most = comparison.contrasts["n_pairs"].min(), comparison.contrasts["n_pairs"].max()
    replicates = f"{fewest}" if fewest == most else f"{fewest}-{most}"
    out = [
        SUMMARY_BEGIN,
        f"The level of `{comparison.baseline}` and each scenario's difference from it, in "
        f"the mean over months {first}-{last} of {replicates} paired replicates, with its "
        f"{level} interval:",
        "",
        "| scenario | " + " | ".join(comparison.metrics) + " |",
        "|---|" + "---:|" * len(comparison.metrics),
    ]
    table = comparison.table.set_index(["scenario", "metric"])
    for name in dict.fromkeys(comparison.table["scenario"]):
        cells = []
        for metric in comparison.metrics:
            if (name, metric) not in table.index:
                cells.append("")
                continue
            row = table.loc[(name, metric)]
            if name == comparison.baseline:
                cells.append(
                    f"{number(row['mean'])} [{number(row['ci_low'])}, "
                    f"{number(row['ci_high'])}] (level)"
                )
                continue
            cells.append(_effect(row))
        out.append(f"| `{name}` | " + " | ".join(cells) + " |")
    out += [
        "",
        f"**not clear**: the {level} interval includes 0, so the replicates do not "
        "tell the sign of the effect. *not after Holm*: the interval excludes 0 but "
        f"the Holm-adjusted p-value over all {comparison.family_size} contrasts of the table "
        f"is {number(1.0 - comparison.confidence)} or more.",
        SUMMARY_END,
    ]
    return "\n".join(out)


def markdown(comparison: Comparison, figures: bool = True) -> str:
    """Return the report as Markdown: method, summary, one table per metric, figures."""
    level = percent(comparison.confidence)
    first, last = comparison.window_months
    out = [f"# Scenario comparison: {comparison.path.name}", "", describe(comparison), ""]
    if not comparison.contrasts.empty:
        out += ["## Summary", "", summary_markdown(comparison), ""]
    for metric in comparison.metrics:
        out += [
            f"## {metric}, months {first}-{last}",
            "",
            f"| scenario | n | mean | {level} CI | difference from {comparison.baseline} "
            f"| {level} CI | clear | d_z | p | p Holm |",
            "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|",
        ]
        rows = comparison.table[comparison.table["metric"] == metric]
        for row in rows.itertuples(index=False):
            cells = _cells(row, comparison.baseline)
            cells[0] = f"`{cells[0]}`"
            if cells[6] == clarity(False):
                cells[6] = f"**{cells[6]}**"
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
        if figures:
            out += [f"![{metric} over time](figures/timeseries_{metric}.png)", ""]
    if figures and not comparison.contrasts.empty:
        out += [
            f"![paired differences from {comparison.baseline}](figures/differences.png)",
            "",
        ]
    if figures:
        out += [
            f"Time series: mean over replicates with {level} t-bands; the shaded "
            "months are the ones averaged. Differences: one dot per replicate, the "
            f"mean and its {level} t-interval; hollow grey: not clear (the interval "
            "includes 0); orange: clear, but not after Holm.",
            "",
        ]
    return "\n".join(out)


def precision_text(comparison: Comparison, precision: float | Mapping[str, float]) -> str:
    """Return :meth:`replicates_needed` as aligned plain text with a heading."""
    level = percent(comparison.confidence)
    needed = comparison.replicates_needed(precision)
    header = ["metric", "scenario", "n", "sd of diff", "half-width now", "wanted", "needed"]
    body = [
        [
            str(row.metric),
            str(row.scenario),
            str(row.n_pairs),
            number(row.difference_sd),
            number(row.half_width),
            number(row.target_half_width),
            "-" if pd.isna(row.replicates_needed) else str(row.replicates_needed),
        ]
        for row in needed.itertuples(index=False)
    ]
    heading = (
        f"Replicates needed for a {level} t-interval of the paired difference from "
        f"'{comparison.baseline}' with the wanted half-width, in each metric's own units "
        "(the fewest n, t-based, from the standard deviation of the paired differences; "
        "a planning estimate, since that standard deviation is itself estimated):"
    )
    return "\n".join([heading, *align([header, *body], right=range(2, 7))]) + "\n"


def _effect(row: pd.Series) -> str:
    """Return a summary cell: a difference with its interval, marked when it is not clear."""
    text = (
        f"{number(row['difference'])} [{number(row['difference_ci_low'])}, "
        f"{number(row['difference_ci_high'])}]"
    )
    label = clarity(row["clear"], row["clear_holm"])
    if label == clarity(False):
        return f"{text} **not clear**"
    if label == clarity(True, False):
        return f"{text} *not after Holm*"
    return text


def _cells(row: object, baseline: str) -> list[str]:
    """Return the printed cells of one table row."""
    mean_ci = f"[{number(row.ci_low)}, {number(row.ci_high)}]"
    if row.scenario == baseline:
        blank = [""] * 5
        return [str(row.scenario), str(row.n), number(row.mean), mean_ci, "(baseline)", *blank]
    diff_ci = f"[{number(row.difference_ci_low)}, {number(row.difference_ci_high)}]"
    return [
        str(row.scenario),
        str(row.n),
        number(row.mean),
        mean_ci,
        number(row.difference),
        diff_ci,
        clarity(row.clear, row.clear_holm),
        number(row.d_z),
        p_value(row.p_value),
        p_value(row.p_holm),
    ]
