"""Global sensitivity analysis with SALib: Morris screening and Sobol' indices.

The analysis is separate from the model: :func:`run` samples the parameter
space, hands the sample matrix to an *evaluation callable* and analyses what
it returns. ``cadre-sim sensitivity`` passes a callable that turns the rows
into design points and runs them through :func:`sim.batch.run_batch`; the
tests pass a toy function of known sensitivity through the very same code.

The methods:

    ``morris``: elementary effects along ``trajectories`` one-at-a-time
    trajectories on a ``levels``-level grid (:func:`SALib.sample.morris.sample`,
    :func:`SALib.analyze.morris.analyze`), ``r * (D + 1)`` evaluations. Reports
    ``mu_star`` (mean absolute elementary effect: overall influence) with its
    bootstrap confidence interval, ``mu`` (signed mean) and ``sigma`` (spread
    of the effects: interactions and non-linearity).

    ``sobol``: Saltelli's sampling scheme on Sobol' sequences
    (:func:`SALib.sample.sobol.sample`, first and total order only),
    ``N * (D + 2)`` evaluations, analysed by :func:`SALib.analyze.sobol.analyze`:
    ``S1`` (share of output variance due to the parameter alone) and ``ST``
    (including all its interactions), each with a bootstrap confidence interval.

Stochastic models
    A stochastic model's output at a point is the mean over its replicates
    (common seeds across points), so the indices describe the response of the
    replicate mean; replicate noise that remains adds to sigma (Morris) and to
    the unexplained variance (Sobol'). Reports say so.

Output: :func:`write_report` writes ``sensitivity.csv``, ``sensitivity.md``
and ``figures/sensitivity_<output>.png`` (bar charts drawn with seaborn on
matplotlib's Agg canvas).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis import figures
from sim.analysis.stats import CONFIDENCE
from sim.analysis.text import align, cell, percent
from sim.errors import InputError

__all__ = [
    "METHODS",
    "MORRIS_COLUMNS",
    "SOBOL_COLUMNS",
    "Problem",
    "SensitivityResult",
    "analyse",
    "plot",
    "run",
    "sample",
    "write_report",
]

#: Methods this module runs.
METHODS: tuple[str, ...] = ("morris", "sobol")
#: Columns of a Morris result table.
MORRIS_COLUMNS: tuple[str, ...] = (
    "output",
    "parameter",
    "mu",
    "mu_star",
    "mu_star_conf",
    "sigma",
    "rank",
)
#: Columns of a Sobol' result table.
SOBOL_COLUMNS: tuple[str, ...] = (
    "output",
    "parameter",
    "S1",
    "S1_conf",
    "ST",
    "ST_conf",
    "rank",
)
#: Bootstrap resamples for the confidence intervals of the indices.
RESAMPLES = 1000

Evaluate = Callable[[np.ndarray], "np.ndarray | pd.DataFrame | pd.Series"]


@dataclass(frozen=True)
class Problem:
    """The parameters analysed and the range each is sampled from.

    Attributes:
        names: parameter names (dotted model parameters, or any labels).
        bounds: ``(low, high)`` of each parameter.
        integer: whether each parameter is a whole number (rounded by the
            evaluator; the analysis uses the sampled values).

    """

    names: tuple[str, ...]
    bounds: tuple[tuple[float, float], ...]
    integer: tuple[bool, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.names:
            raise InputError("a sensitivity analysis needs at least one parameter")
        if len(self.bounds) != len(self.names):
            raise InputError(
                f"{len(self.names)} parameters but {len(self.bounds)} ranges were given"
            )
        if len(set(self.names)) != len(self.names):
            raise InputError("a parameter is named twice in the sensitivity problem")
        for name, (low, high) in zip(self.names, self.bounds, strict=True):
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise InputError(
                    f"range of {name} must be finite with low < high, got {low}, {high}"
                )
        if not self.integer:
            object.__setattr__(self, "integer", (False,) * len(self.names))

    def to_salib(self) -> dict[str, Any]:
        """The problem as SALib expects it."""
        return {
            "num_vars": len(self.names),
            "names": list(self.names),
            "bounds": [list(b) for b in self.bounds],
        }


@dataclass
class SensitivityResult:
    """The outcome of a sensitivity analysis.

    Attributes:
        method: ``morris`` or ``sobol``.
        problem: the parameters and ranges.
        samples: the sample matrix, one row per evaluated point.
        outputs: one column per analysed output, one row per point.
        table: the indices, columns :data:`MORRIS_COLUMNS` or
            :data:`SOBOL_COLUMNS`; ``rank`` 1 is the most influential
            parameter for that output (by ``mu_star``, or by ``ST``).
        settings: sampling settings (trajectories, levels or base samples, seed).
        note: how each point's output was obtained (e.g. the replicate mean).

    """

    method: str
    problem: Problem
    samples: np.ndarray
    outputs: pd.DataFrame
    table: pd.DataFrame
    settings: dict[str, Any]
    note: str = ""

    def ranking(self, output: str | None = None) -> list[str]:
        """Parameters from most to least influential for one output (default: the first)."""
        chosen = output if output is not None else self.table["output"].iloc[0]
        rows = self.table[self.table["output"] == chosen].sort_values("rank")
        return list(rows["parameter"])

    def describe(self) -> str:
        """A sentence on what was computed."""
        points = len(self.samples)
        level = percent(self.settings.get("confidence", CONFIDENCE))
        if self.method == "morris":
            how = (
                f"Morris elementary effects: {self.settings['trajectories']} trajectories on a "
                f"{self.settings['levels']}-level grid, {points} points; mu_star = mean absolute "
                f"elementary effect (overall influence) with its {level} bootstrap interval, "
                "sigma = their standard deviation (interactions, non-linearity); "
                "ranked by mu_star."
            )
        else:
            how = (
                f"Sobol' indices by Saltelli's scheme: {self.settings['base_samples']} base "
                f"samples, {points} points; S1 = first-order and ST = total-order share of "
                f"the output's variance, each with its {level} bootstrap interval; ranked by ST."
            )
        return f"{how} Sampling seed {self.settings['seed']}. {self.note}".strip()

    def to_text(self) -> str:
        """The table as aligned plain text, one block per output."""
        blocks = []
        columns = [c for c in self.table.columns if c != "output"]
        for output in self.table["output"].unique():
            rows = self.table[self.table["output"] == output].sort_values("rank")
            body = [[cell(getattr(r, c)) for c in columns] for r in rows.itertuples(index=False)]
            lines = align([columns, *body], right=range(1, len(columns)))
            blocks.append("\n".join([str(output), *lines]))
        return "\n\n".join(blocks) + "\n"

    def to_markdown(self, title: str = "Sensitivity analysis") -> str:
        """The report as Markdown: method, then one table per output."""
        columns = [c for c in self.table.columns if c != "output"]
        out = [f"# {title}", "", self.describe(), ""]
        for output in self.table["output"].unique():
            rows = self.table[self.table["output"] == output].sort_values("rank")
            out += [
                f"## {output}",
                "",
                "| " + " | ".join(columns) + " |",
                "|---|" + "---:|" * (len(columns) - 1),
            ]
            for row in rows.itertuples(index=False):
                cells = [cell(getattr(row, c)) for c in columns]
                cells[0] = f"`{cells[0]}`"
                out.append("| " + " | ".join(cells) + " |")
            out += ["", f"![{output}](figures/sensitivity_{output}.png)", ""]
        return "\n".join(out)


def _check_method(method: str) -> None:
    """Raise ``InputError`` for an unknown method."""
    if method not in METHODS:
        raise InputError(
            f"unknown sensitivity method {method!r}; choose one of {', '.join(METHODS)}"
        )


def sample(
    method: str,
    problem: Problem,
    *,
    trajectories: int = 10,
    levels: int = 4,
    base_samples: int = 64,
    seed: int = 0,
) -> np.ndarray:
    """Sample the parameter space for a method (deterministic given the seed).

    Args:
        method: ``morris`` or ``sobol``.
        problem: the parameters and their ranges.
        trajectories: Morris trajectories ``r`` (``r * (D + 1)`` points).
        levels: Morris grid levels (even).
        base_samples: Sobol' base samples ``N``, a power of two (``N * (D + 2)`` points).
        seed: seed of the sampler.

    Returns:
        The sample matrix, one row per point and one column per parameter.

    """
    _check_method(method)
    salib = problem.to_salib()
    if method == "morris":
        from SALib.sample import morris

        if trajectories < 2 or levels < 2 or levels % 2:
            raise InputError(
                f"Morris needs >= 2 trajectories and an even number of levels >= 2, "
                f"got {trajectories} and {levels}"
            )
        return morris.sample(salib, int(trajectories), num_levels=int(levels), seed=int(seed))
    from SALib.sample import sobol

    if base_samples < 2 or base_samples & (base_samples - 1):
        raise InputError(f"Sobol' base samples must be a power of two >= 2, got {base_samples}")
    return sobol.sample(salib, int(base_samples), calc_second_order=False, seed=int(seed))


def _as_outputs(values: Any, points: int) -> pd.DataFrame:
    """Normalise what an evaluation callable returned into one column per output."""
    if isinstance(values, pd.Series):
        frame = values.to_frame(name=values.name or "y")
    elif isinstance(values, pd.DataFrame):
        frame = values
    else:
        array = np.asarray(values, dtype="float64")
        if array.ndim == 1:
            frame = pd.DataFrame({"y": array})
        elif array.ndim == 2:
            frame = pd.DataFrame(array, columns=[f"y{i}" for i in range(array.shape[1])])
        else:
            raise ValueError(f"evaluation returned an array of shape {array.shape}")
    frame = frame.reset_index(drop=True).astype("float64")
    if len(frame) != points:
        raise ValueError(f"evaluation returned {len(frame)} values for {points} points")
    return frame


def _indices(problem: Problem, result: Any, keys: Sequence[str]) -> pd.DataFrame:
    """One row per parameter: SALib's ``result[key]`` for each of ``keys``, as float64."""
    columns = {key: np.asarray(result[key], dtype="float64") for key in keys}
    return pd.DataFrame({"parameter": list(problem.names), **columns})


def analyse(
    method: str,
    problem: Problem,
    samples: np.ndarray,
    outputs: pd.DataFrame,
    *,
    levels: int = 4,
    seed: int = 0,
    confidence: float = CONFIDENCE,
) -> pd.DataFrame:
    """Compute the indices of every output column.

    Raises:
        InputError: an output has missing values (failed runs).

    Returns:
        The long table (:data:`MORRIS_COLUMNS` or :data:`SOBOL_COLUMNS`).

    """
    _check_method(method)
    salib = problem.to_salib()
    rows: list[dict[str, Any]] = []
    for output in outputs.columns:
        y = outputs[output].to_numpy(dtype="float64")
        if not np.isfinite(y).all():
            bad = int((~np.isfinite(y)).sum())
            raise InputError(
                f"output {output!r} is missing at {bad} of {y.size} points (failed runs?); "
                "a sensitivity analysis needs every point"
            )
        if method == "morris":
            from SALib.analyze import morris

            result = morris.analyze(
                salib,
                np.asarray(samples, dtype="float64"),
                y,
                num_resamples=RESAMPLES,
                conf_level=confidence,
                num_levels=int(levels),
                seed=int(seed),
            )
            block = _indices(problem, result, ("mu", "mu_star", "mu_star_conf", "sigma"))
            key = "mu_star"
        else:
            from SALib.analyze import sobol

            with np.errstate(divide="ignore", invalid="ignore"):
                result = sobol.analyze(
                    salib,
                    y,
                    calc_second_order=False,
                    num_resamples=RESAMPLES,
                    conf_level=confidence,
                    seed=int(seed),
                )
            block = _indices(problem, result, ("S1", "S1_conf", "ST", "ST_conf"))
            key = "ST"
        block.insert(0, "output", output)
        order = block[key].fillna(-np.inf).rank(ascending=False, method="first")
        block["rank"] = order.astype("int64")
        rows.extend(block.sort_values("rank").to_dict("records"))
    columns = MORRIS_COLUMNS if method == "morris" else SOBOL_COLUMNS
    return pd.DataFrame.from_records(rows, columns=list(columns))


def run(
    method: str,
    problem: Problem,
    evaluate: Evaluate,
    *,
    trajectories: int = 10,
    levels: int = 4,
    base_samples: int = 64,
    seed: int = 0,
    confidence: float = CONFIDENCE,
    note: str = "",
) -> SensitivityResult:
    """Sample, evaluate and analyse: a complete sensitivity analysis.

    Args:
        method: ``morris`` or ``sobol``.
        problem: the parameters and their ranges.
        evaluate: called once with the whole sample matrix (one row per
            point); returns one value per point (an array, a Series) or one
            column per output (a 2-D array or a DataFrame, whose column
            names are the outputs).
        trajectories: Morris trajectories.
        levels: Morris levels.
        base_samples: Sobol' base samples (a power of two).
        seed: seed of the sampler and of the bootstrap intervals.
        confidence: level of the bootstrap intervals.
        note: how the outputs were obtained, printed with the results.

    """
    samples = sample(
        method,
        problem,
        trajectories=trajectories,
        levels=levels,
        base_samples=base_samples,
        seed=seed,
    )
    outputs = _as_outputs(evaluate(samples), len(samples))
    table = analyse(
        method, problem, samples, outputs, levels=levels, seed=seed, confidence=confidence
    )
    settings: dict[str, Any] = {"seed": int(seed), "confidence": confidence}
    if method == "morris":
        settings.update(trajectories=int(trajectories), levels=int(levels))
    else:
        settings.update(base_samples=int(base_samples))
    return SensitivityResult(
        method=method,
        problem=problem,
        samples=np.asarray(samples),
        outputs=outputs,
        table=table,
        settings=settings,
        note=note,
    )


# ---------------------------------------------------------------------------
# Figures and report
# ---------------------------------------------------------------------------


def plot(result: SensitivityResult, output: str, out_file: str | os.PathLike[str]) -> Path:
    """Draw the indices of one output as a horizontal bar chart (PNG).

    Morris: ``mu_star`` with its interval, and ``sigma`` beside it. Sobol':
    ``S1`` and ``ST`` side by side, each with its interval. Parameters are
    ordered from most to least influential.
    """
    import seaborn as sns

    rows = result.table[result.table["output"] == output].sort_values("rank")
    if rows.empty:
        raise InputError(f"no sensitivity indices for output {output!r}")
    order = list(rows["parameter"])
    level = percent(result.settings.get("confidence", CONFIDENCE))
    height = 0.32 * len(order) + 1.6
    with figures.style():
        if result.method == "morris":
            figure = figures.new_figure(11.0, height)
            left, right = figure.subplots(1, 2, sharey=True)
            sns.barplot(data=rows, x="mu_star", y="parameter", order=order, color="C0", ax=left)
            left.errorbar(
                rows["mu_star"],
                np.arange(len(order)),
                xerr=rows["mu_star_conf"].fillna(0.0),
                fmt="none",
                ecolor="0.25",
                capsize=3,
            )
            left.set_xlabel(f"mu* (mean |elementary effect|), {level} bootstrap interval")
            sns.barplot(data=rows, x="sigma", y="parameter", order=order, color="C1", ax=right)
            right.set_xlabel("sigma (interactions, non-linearity)")
            for axes in (left, right):
                axes.set_ylabel("")
        else:
            long = pd.concat(
                [
                    rows[["parameter", "S1", "S1_conf"]]
                    .rename(columns={"S1": "index", "S1_conf": "conf"})
                    .assign(kind="S1 (first order)"),
                    rows[["parameter", "ST", "ST_conf"]]
                    .rename(columns={"ST": "index", "ST_conf": "conf"})
                    .assign(kind="ST (total order)"),
                ],
                ignore_index=True,
            )
            figure = figures.new_figure(8.5, height + 0.4)
            axes = figure.subplots()
            sns.barplot(data=long, x="index", y="parameter", hue="kind", order=order, ax=axes)
            for offset, kind in ((-0.2, "S1 (first order)"), (0.2, "ST (total order)")):
                part = long[long["kind"] == kind].set_index("parameter").loc[order]
                axes.errorbar(
                    part["index"],
                    np.arange(len(order)) + offset,
                    xerr=part["conf"].fillna(0.0),
                    fmt="none",
                    ecolor="0.25",
                    capsize=2,
                )
            axes.axvline(0.0, color="0.3", linewidth=0.8)
            axes.set_xlabel(f"share of output variance, {level} bootstrap interval")
            axes.set_ylabel("")
            sns.move_legend(axes, "lower right", title=None, frameon=True)
        figure.suptitle(f"{result.method.capitalize()} sensitivity of {output}", x=0.01, ha="left")
        return figures.save(figure, out_file)


def write_report(
    result: SensitivityResult,
    folder: str | os.PathLike[str],
    title: str = "Sensitivity analysis",
    figures: bool = True,
) -> list[Path]:
    """Write ``sensitivity.csv``, ``sensitivity.md`` and the bar charts into ``folder``.

    Returns:
        The files written.

    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    csv_file = target / "sensitivity.csv"
    table = result.table.copy()
    table.insert(0, "method", result.method)
    table.to_csv(csv_file, index=False)
    written.append(csv_file)
    md_file = target / "sensitivity.md"
    md_file.write_text(result.to_markdown(title), encoding="utf-8")
    written.append(md_file)
    if figures:
        for output in result.outputs.columns:
            written.append(plot(result, output, target / "figures" / f"sensitivity_{output}.png"))
    return written
