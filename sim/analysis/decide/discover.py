"""Scenario discovery with PRIM: the conditions in which an outcome crosses a threshold.

A :class:`DiscoverProblem` names the space (levers and uncertain
behavioural constants, each a range), the outcome (a model output, or its
paired difference from the status quo) and the threshold that makes a point
a *case of interest* (for example: a reform that fails to lower the flat
share). :func:`discover` draws a Latin hypercube over the space, evaluates
it through the *evaluate* callable (:mod:`sim.analysis.decide.evaluate`)
and runs the Patient Rule Induction Method (Friedman & Fisher 1999) as
implemented for scenario discovery by the EMA Workbench
(:class:`ema_workbench.analysis.prim.Prim`; Bryant & Lempert 2010).

Paired differences
    With a ``reference`` (the levers' status-quo values), each sampled point
    is also run with the levers set back to the reference under the same
    uncertain constants and the same replicate seeds; the outcome is the
    difference of the two replicate means, so "the reform does not lower
    the flat share here" is ``difference > 0``.

Boxes
    PRIM peels the space box by box. For each box the whole peeling (and
    pasting) trajectory is kept: coverage (the share of all cases of
    interest inside the box), density (the share of points in the box that
    are cases), mass and the number of restricted dimensions. The box
    reported is the densest one on the trajectory whose coverage is at least
    ``min_coverage``; its limits come with the quasi-p value of each
    restriction (a one-sided binomial test: could the restriction be
    chance?). Later boxes are searched in the points outside earlier ones.

Output: :func:`boxes_table`, :func:`trajectory_table`, :func:`draw_trajectory`,
:func:`draw_box` and :func:`write_report`.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.analysis.decide.evaluate import Evaluate
from sim.analysis.decide.report import figure, markdown_table, number
from sim.analysis.decide.space import Range, as_values, latin_hypercube, seed_for
from sim.errors import InputError
from sim.fileio import atomic_write_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "DIRECTIONS",
    "Box",
    "DiscoverProblem",
    "DiscoveryResult",
    "boxes_table",
    "design",
    "discover",
    "draw_box",
    "draw_trajectory",
    "find_boxes",
    "outcomes",
    "trajectory_table",
    "write_report",
]

#: Sides of the threshold a case of interest can lie on.
DIRECTIONS: tuple[str, ...] = ("above", "below")


@dataclass(frozen=True)
class DiscoverProblem:
    """The space, the outcome and what counts as a case of interest.

    Attributes:
        ranges: the dimensions sampled (levers and uncertain constants).
        metric: the model output (per-run mean over the window).
        threshold: the value the outcome is compared with.
        direction: a case of interest has its outcome ``above`` (or
            ``below``) the threshold.
        samples: points of the Latin hypercube.
        reference: status-quo values of some dimensions (the levers): when
            given, the outcome is the paired difference from the point with
            these values (module docstring).
        boxes: at most this many boxes.
        min_coverage: the reported box is the densest with at least this coverage.
        peel_alpha: share of points peeled off per PRIM step.
        paste_alpha: share of points pasted back per step.
        mass_min: smallest share of all points a box may hold.
        seed: seed of the Latin hypercube.

    """

    ranges: tuple[Range, ...]
    metric: str
    threshold: float
    direction: str = "above"
    samples: int = 200
    reference: Mapping[str, float] = field(default_factory=dict)
    boxes: int = 1
    min_coverage: float = 0.5
    peel_alpha: float = 0.05
    paste_alpha: float = 0.05
    mass_min: float = 0.05
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.ranges:
            raise InputError("scenario discovery needs at least one dimension to sample")
        if self.direction not in DIRECTIONS:
            raise InputError(f"direction must be one of {', '.join(DIRECTIONS)}")
        unknown = set(self.reference) - {r.name for r in self.ranges}
        if unknown:
            raise InputError(f"reference values for unsampled dimensions: {sorted(unknown)}")

    @property
    def outcome(self) -> str:
        """The outcome's name: the metric, or ``<metric>_difference``."""
        return f"{self.metric}_difference" if self.reference else self.metric

    def case_rule(self) -> str:
        """The rule in words, e.g. ``flat_share_difference > 0``."""
        return f"{self.outcome} {'>' if self.direction == 'above' else '<'} {self.threshold:g}"

    def to_dict(self) -> dict[str, Any]:
        """Plain data (settings files)."""
        return {
            "ranges": [r.to_dict() for r in self.ranges],
            "metric": self.metric,
            "threshold": self.threshold,
            "direction": self.direction,
            "samples": self.samples,
            "reference": dict(self.reference),
            "boxes": self.boxes,
            "min_coverage": self.min_coverage,
            "peel_alpha": self.peel_alpha,
            "paste_alpha": self.paste_alpha,
            "mass_min": self.mass_min,
            "seed": self.seed,
        }


@dataclass(frozen=True)
class Box:
    """One PRIM box: its peeling trajectory, the point chosen on it and its limits.

    Attributes:
        number: 1 for the first box, ...
        trajectory: one row per peeling/pasting step: ``id``, ``coverage``,
            ``density``, ``mass``, ``res_dim``, ``n``, ``k``.
        chosen: the ``id`` reported.
        limits: the restricted dimensions: ``parameter``, ``low``, ``high``,
            ``range_low``, ``range_high``, ``qp_low``, ``qp_high``.

    """

    number: int
    trajectory: pd.DataFrame
    chosen: int
    limits: pd.DataFrame

    def stat(self, column: str) -> float:
        """A statistic of the chosen box (``coverage``, ``density``, ``mass``, ``n``, ``k``)."""
        return float(self.trajectory.loc[self.trajectory["id"] == self.chosen, column].iloc[0])


@dataclass
class DiscoveryResult:
    """What scenario discovery found.

    Attributes:
        problem: the problem.
        points: the sample: one row per point, the dimensions, the outcome
            (replicate mean or paired difference) and ``case``.
        boxes: the boxes found, in order.
        replicates: replicates per point.

    """

    problem: DiscoverProblem
    points: pd.DataFrame
    boxes: list[Box]
    replicates: int


# ---------------------------------------------------------------------------
# The pipeline: sample -> evaluate -> outcomes -> PRIM
# ---------------------------------------------------------------------------


def design(problem: DiscoverProblem) -> pd.DataFrame:
    """The Latin-hypercube points (clipped, whole numbers rounded), one column per dimension."""
    table = latin_hypercube(problem.ranges, problem.samples, seed_for(problem.seed, 2))
    return pd.DataFrame(
        [as_values(problem.ranges, row) for row in table.to_dict("records")],
        columns=[r.name for r in problem.ranges],
    )


def with_reference(problem: DiscoverProblem, points: pd.DataFrame) -> pd.DataFrame:
    """The points, then the same points with the reference values (if any) put back."""
    if not problem.reference:
        return points
    back = points.assign(**{name: value for name, value in problem.reference.items()})
    return pd.concat([points, back], ignore_index=True)


def outcomes(problem: DiscoverProblem, runs: pd.DataFrame, n_points: int) -> pd.DataFrame:
    """Each point's outcome (replicate mean, or paired difference) and whether it is a case.

    Raises:
        InputError: points without a finished run.

    """
    means = runs.groupby("point")[problem.metric].mean()
    wanted = 2 * n_points if problem.reference else n_points
    means = means.reindex(range(wanted))
    if means.isna().any():
        raise InputError(f"{int(means.isna().sum())} point(s) have no result for {problem.metric}")
    values = means.to_numpy(dtype="float64")
    outcome = values[:n_points] - values[n_points:] if problem.reference else values
    case = (
        outcome > problem.threshold if problem.direction == "above" else outcome < problem.threshold
    )
    return pd.DataFrame({problem.outcome: outcome, "case": case})


def find_boxes(problem: DiscoverProblem, x: pd.DataFrame, case: np.ndarray) -> list[Box]:
    """Run PRIM on the points ``x`` (one column per dimension) and the cases of interest."""
    if not case.any():
        return []
    # Every column as float: PRIM's pasting fails on whole-number columns with pandas 3.
    data = x[[r.name for r in problem.ranges]].astype("float64").reset_index(drop=True)
    with warnings.catch_warnings(), _quiet("EMA"):
        warnings.simplefilter("ignore")  # ema_workbench warns about optional packages
        from ema_workbench.analysis import prim

        algorithm = prim.Prim(
            data,
            np.asarray(case, dtype=bool),
            peel_alpha=problem.peel_alpha,
            paste_alpha=problem.paste_alpha,
            mass_min=problem.mass_min,
        )
        base_rate = float(np.mean(case))
        found: list[Box] = []
        for number in range(1, problem.boxes + 1):
            box = algorithm.find_box()
            if box is None:
                break
            chosen = _chosen(box.peeling_trajectory, problem.min_coverage)
            result = Box(
                number=number,
                trajectory=_trajectory(box.peeling_trajectory),
                chosen=chosen,
                limits=_limits(problem, box, chosen, algorithm.box_init),
            )
            if result.stat("density") <= base_rate or result.limits.empty:
                break
            found.append(result)
    return found


def _chosen(trajectory: pd.DataFrame, min_coverage: float) -> int:
    """The densest step with at least ``min_coverage`` (else the most covering one)."""
    ok = trajectory[trajectory["coverage"] >= min_coverage]
    if ok.empty:
        ok = trajectory[trajectory["coverage"] == trajectory["coverage"].max()]
    best = ok.sort_values(["density", "coverage"], ascending=False, kind="stable")
    return int(best["id"].iloc[0])


def _trajectory(raw: pd.DataFrame) -> pd.DataFrame:
    """PRIM's peeling trajectory in a fixed column order."""
    columns = ["id", "coverage", "density", "mass", "res_dim", "n", "k"]
    table = raw[columns].copy()
    for column in ("id", "res_dim", "n", "k"):
        table[column] = table[column].astype("int64")
    return table.reset_index(drop=True)


def _limits(problem: DiscoverProblem, box: Any, chosen: int, init: pd.DataFrame) -> pd.DataFrame:
    """The restricted dimensions of step ``chosen``: limits, full range and quasi-p values."""
    limits = box.box_lims[chosen]
    qp = box.p_values[chosen]
    rows = []
    for r in problem.ranges:
        low, high = float(limits[r.name].iloc[0]), float(limits[r.name].iloc[1])
        if low == float(init[r.name].iloc[0]) and high == float(init[r.name].iloc[1]):
            continue
        qp_low, qp_high = (list(qp.get(r.name, (np.nan, np.nan))) + [np.nan, np.nan])[:2]
        rows.append(
            {
                "parameter": r.name,
                "low": low,
                "high": high,
                "range_low": r.low,
                "range_high": r.high,
                "qp_low": np.nan if qp_low is None or qp_low < 0 else float(qp_low),
                "qp_high": np.nan if qp_high is None or qp_high < 0 else float(qp_high),
            }
        )
    columns = ["parameter", "low", "high", "range_low", "range_high", "qp_low", "qp_high"]
    return pd.DataFrame(rows, columns=columns)


class _quiet:  # noqa: N801 - used as a context manager
    """Raise a logger's level to WARNING while inside the block."""

    def __init__(self, name: str) -> None:
        self.logger = logging.getLogger(name)
        self.level = self.logger.level

    def __enter__(self) -> None:
        self.logger.setLevel(logging.WARNING)

    def __exit__(self, *exc: object) -> None:
        self.logger.setLevel(self.level)


def discover(problem: DiscoverProblem, evaluate: Evaluate) -> DiscoveryResult:
    """Sample the space, evaluate every point (one round, ``sample``) and find the boxes."""
    points = design(problem)
    runs = evaluate(with_reference(problem, points), "sample")
    table = pd.concat([points, outcomes(problem, runs, len(points))], axis=1)
    boxes = find_boxes(problem, points, table["case"].to_numpy())
    replicates = int(runs["replicate"].max()) + 1 if len(runs) else 0
    return DiscoveryResult(problem=problem, points=table, boxes=boxes, replicates=replicates)


# ---------------------------------------------------------------------------
# Output: tables, figures, report
# ---------------------------------------------------------------------------


def boxes_table(result: DiscoveryResult) -> pd.DataFrame:
    """One row per restricted dimension of each box, with the box's coverage and density."""
    parts = []
    for box in result.boxes:
        part = box.limits.copy()
        part.insert(0, "box", box.number)
        for column in ("coverage", "density", "mass"):
            part[column] = box.stat(column)
        parts.append(part)
    columns = ["box", "parameter", "low", "high", "range_low", "range_high", "qp_low", "qp_high"]
    if not parts:
        return pd.DataFrame(columns=[*columns, "coverage", "density", "mass"])
    return pd.concat(parts, ignore_index=True)


def trajectory_table(result: DiscoveryResult) -> pd.DataFrame:
    """Every box's peeling trajectory, ``box`` and ``chosen`` added."""
    parts = [
        box.trajectory.assign(box=box.number, chosen=box.trajectory["id"] == box.chosen)
        for box in result.boxes
    ]
    if not parts:
        return pd.DataFrame(columns=["id", "coverage", "density", "mass", "res_dim", "box"])
    return pd.concat(parts, ignore_index=True)


def draw_trajectory(result: DiscoveryResult) -> Figure:
    """Coverage against density along each box's peeling trajectory; the chosen box circled."""
    import seaborn as sns

    with sns.axes_style("whitegrid"), sns.plotting_context("notebook"):
        fig = figure(6.5, 4.8)
        axes = fig.subplots()
        for box in result.boxes:
            t = box.trajectory
            points = axes.scatter(
                t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=18, zorder=2
            )
            axes.plot(t["coverage"], t["density"], color="0.6", linewidth=0.8, zorder=1)
            axes.scatter(
                [box.stat("coverage")], [box.stat("density")], s=140, facecolors="none",
                edgecolors="C3", linewidths=1.5, zorder=3, label=f"box {box.number}",
            )  # fmt: skip
        if result.boxes:
            fig.colorbar(points, ax=axes, label="restricted dimensions")
            axes.legend(loc="lower left", fontsize="small")
        axes.set_xlabel("coverage (share of all cases inside the box)")
        axes.set_ylabel("density (share of the box that are cases)")
        axes.set_title(
            f"PRIM peeling trajectory: {result.problem.case_rule()}", loc="left", fontsize="medium"
        )
    return fig


def draw_box(result: DiscoveryResult, number: int = 1) -> Figure:
    """One box: its limits within each range, and the points in its first two dimensions."""
    import seaborn as sns

    box = next((b for b in result.boxes if b.number == number), None)
    if box is None:
        raise InputError(f"no box {number}; {len(result.boxes)} box(es) were found")
    limits = box.limits
    with sns.axes_style("whitegrid"), sns.plotting_context("notebook"):
        fig = figure(11.0, 0.5 * len(limits) + 3.2)
        left, right = fig.subplots(1, 2, width_ratios=[1.1, 1.0])
        span = (limits["range_high"] - limits["range_low"]).to_numpy(dtype="float64")
        lo = (limits["low"] - limits["range_low"]).to_numpy(dtype="float64") / span
        hi = (limits["high"] - limits["range_low"]).to_numpy(dtype="float64") / span
        rows = np.arange(len(limits))
        left.barh(rows, hi - lo, left=lo, color="C0", alpha=0.6, height=0.5)
        for y, (_, row) in zip(rows, limits.iterrows(), strict=True):
            left.text(0.0, y + 0.32, f"{number_text(row)}", fontsize="x-small", va="bottom")
        left.set_yticks(rows, labels=list(limits["parameter"]))
        left.set_xlim(0, 1)
        left.set_xlabel("position within the sampled range")
        left.invert_yaxis()
        _scatter_box(right, result, limits)
        fig.suptitle(
            f"Box {box.number}: coverage {box.stat('coverage'):.2f}, density "
            f"{box.stat('density'):.2f}, mass {box.stat('mass'):.2f} "
            f"({result.problem.case_rule()})",
            x=0.01,
            ha="left",
            fontsize="medium",
        )
    return fig


def number_text(row: pd.Series) -> str:
    """``low - high`` of one restriction, with its quasi-p values when known."""
    qp = [number(row["qp_low"]), number(row["qp_high"])]
    return f"{number(row['low'])} to {number(row['high'])} (qp {qp[0]}, {qp[1]})"


def _scatter_box(axes: Any, result: DiscoveryResult, limits: pd.DataFrame) -> None:
    """The points in the box's first two restricted dimensions (cases in red), box outlined."""
    from matplotlib.patches import Rectangle

    names = list(limits["parameter"][:2])
    if len(names) < 2:
        others = [r.name for r in result.problem.ranges if r.name not in names]
        names = names + others[:1]
    if len(names) < 2:
        axes.set_visible(False)
        return
    x, y = names
    points = result.points
    case = points["case"].to_numpy(dtype=bool)
    axes.scatter(points.loc[~case, x], points.loc[~case, y], s=10, color="0.7", label="other")
    axes.scatter(points.loc[case, x], points.loc[case, y], s=12, color="C3", label="case")
    bounds = {r.name: (r.low, r.high) for r in result.problem.ranges}
    for _, row in limits.iterrows():
        bounds[row["parameter"]] = (row["low"], row["high"])
    (x0, x1), (y0, y1) = bounds[x], bounds[y]
    axes.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, edgecolor="C0", linewidth=1.5))
    axes.set_xlabel(x)
    axes.set_ylabel(y)
    axes.legend(loc="best", fontsize="small")


def describe(result: DiscoveryResult) -> str:
    """A sentence on what was computed."""
    p = result.problem
    cases = int(result.points["case"].sum())
    paired = (
        " minus the same point with "
        + ", ".join(f"{k} = {v:g}" for k, v in p.reference.items())
        + " (same constants, same seeds)"
        if p.reference
        else ""
    )
    return (
        f"Latin hypercube of {len(result.points)} points over "
        f"{', '.join(r.describe() for r in p.ranges)}, {result.replicates} replicate(s) each; "
        f"outcome = replicate mean of {p.metric}{paired}. Cases of interest: {p.case_rule()} "
        f"({cases} of {len(result.points)}). PRIM (EMA Workbench): peel_alpha {p.peel_alpha:g}, "
        f"paste_alpha {p.paste_alpha:g}, mass_min {p.mass_min:g}; each box reported is the "
        f"densest on its trajectory with coverage >= {p.min_coverage:g}."
    )


def write_report(
    result: DiscoveryResult,
    folder: str | os.PathLike[str],
    title: str = "Scenario discovery",
    figures: bool = True,
) -> list[Path]:
    """Write ``points.csv``, ``boxes.csv``, ``trajectory.csv``, ``discover.md`` and the figures."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    tables = {
        "points.csv": result.points,
        "boxes.csv": boxes_table(result),
        "trajectory.csv": trajectory_table(result),
    }
    written = []
    for name, table in tables.items():
        table.to_csv(target / name, index=False)
        written.append(target / name)
    lines = [f"# {title}", "", describe(result), ""]
    if not result.boxes:
        lines += ["No box was found (no cases of interest, or none denser than the base rate).", ""]
    for box in result.boxes:
        lines += [
            f"## Box {box.number}: coverage {box.stat('coverage'):.3f}, density "
            f"{box.stat('density'):.3f}, mass {box.stat('mass'):.3f}",
            "",
            markdown_table(
                ["parameter", "low", "high", "sampled range", "quasi-p (low, high)"],
                [
                    [
                        f"`{row['parameter']}`",
                        number(row["low"]),
                        number(row["high"]),
                        f"{number(row['range_low'])} to {number(row['range_high'])}",
                        f"{number(row['qp_low'])}, {number(row['qp_high'])}",
                    ]
                    for _, row in box.limits.iterrows()
                ],
            ),
            "",
            f"![box {box.number}](figures/box_{box.number}.png)",
            "",
        ]
    lines += ["![trajectory](figures/trajectory.png)", ""]
    atomic_write_text(target / "discover.md", "\n".join(lines))
    written.append(target / "discover.md")
    if figures:
        (target / "figures").mkdir(exist_ok=True)
        draw_trajectory(result).savefig(target / "figures" / "trajectory.png", dpi=120)
        written.append(target / "figures" / "trajectory.png")
        for box in result.boxes:
            path = target / "figures" / f"box_{box.number}.png"
            draw_box(result, box.number).savefig(path, dpi=120)
            written.append(path)
    return written
