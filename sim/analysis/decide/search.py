"""Multi-objective policy search: which bundles of levers trade off best (pymoo NSGA-II).

A :class:`SearchProblem` names the levers searched (each within a range, with
an optional cost per unit of change from the base scenario), the objectives
(model outputs to minimise or maximise) and, optionally, uncertain
behavioural constants over which every candidate is judged for robustness.
:func:`search` runs NSGA-II (:class:`pymoo.algorithms.moo.nsga2.NSGA2`)
through pymoo's ask-and-tell interface: each generation's candidates go to
the *evaluate* callable as one table (:mod:`sim.analysis.decide.evaluate`),
so the model runs a whole generation as one batch, and a closed-form test
problem runs through the very same code.

Robustness
    Each candidate is crossed with a Latin-hypercube sample of the uncertain
    constants (the same sample for every candidate), each pair run with the
    same replicate seeds. Per replicate ``k`` the values over the sample are
    reduced to one number, in the objective's "loss" direction (smaller is
    better): ``mean`` (the average), ``percentile`` (the ``percentile``-th
    percentile of the loss: the level that that share of the sampled
    conditions does at least as well as) or ``regret`` (the largest shortfall
    from the status quo, the base scenario's lever values, under the same
    conditions and seed: McPhail et al. 2018's regret from a baseline). The
    objective is the mean of that number over the replicates, and its 95%
    t-interval over the replicates is reported with every front point.

Output: :func:`front_table` (the non-dominated candidates of everything
evaluated, with intervals), :func:`draw_front` (pairwise objective panels),
:func:`front_scenario` (any front point as a scenario that ``cadre-sim run``
accepts) and :func:`write_report`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.analysis.decide.evaluate import Evaluate
from sim.analysis.decide.report import figure, markdown_table, number
from sim.analysis.decide.space import Range, as_values, bounds, latin_hypercube, seed_for
from sim.errors import InputError
from sim.fileio import atomic_write_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.scenarios import Scenario

__all__ = [
    "DIRECTIONS",
    "ROBUSTNESS",
    "Objective",
    "SearchProblem",
    "SearchResult",
    "crossed",
    "draw_front",
    "front_scenario",
    "front_table",
    "losses",
    "search",
    "uncertainty_sample",
    "write_report",
]

#: Ways of reducing a candidate's values over the uncertainty sample.
ROBUSTNESS: tuple[str, ...] = ("mean", "percentile", "regret")
#: Directions of an objective.
DIRECTIONS: tuple[str, ...] = ("min", "max")
#: Name of the cost objective (present when a lever has a cost).
COST = "cost"
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Objective:
    """One objective: a model output (per-run mean over the window) to minimise or maximise."""

    metric: str
    direction: str = "min"

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise InputError(f"objective {self.metric}: direction must be 'min' or 'max'")

    @property
    def sign(self) -> float:
        """+1 to minimise, -1 to maximise (the loss is ``sign * value``)."""
        return 1.0 if self.direction == "min" else -1.0


@dataclass(frozen=True)
class SearchProblem:
    """What is searched, for what, and how robustly.

    Attributes:
        levers: the searched levers and their ranges.
        objectives: the outputs to minimise or maximise.
        costs: cost per unit of change of each lever from ``reference``
            (empty or all zero: no cost objective).
        reference: each lever's status-quo value (the base scenario's):
            the origin of costs and of regret.
        uncertain: uncertain constants (ranges) sampled for robustness.
        samples: size of the Latin-hypercube sample of ``uncertain``.
        robustness: ``mean``, ``percentile`` or ``regret`` (module docstring).
        percentile: the percentile of ``percentile`` robustness.
        candidates: NSGA-II population size (candidates per generation).
        generations: generations evaluated.
        seed: seed of NSGA-II and of the uncertainty sample.

    """

    levers: tuple[Range, ...]
    objectives: tuple[Objective, ...]
    costs: tuple[float, ...] = ()
    reference: Mapping[str, float] = field(default_factory=dict)
    uncertain: tuple[Range, ...] = ()
    samples: int = 0
    robustness: str = "mean"
    percentile: float = 90.0
    candidates: int = 20
    generations: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.levers or not self.objectives:
            raise InputError("a search needs at least one lever and one objective")
        if self.robustness not in ROBUSTNESS:
            raise InputError(f"robustness must be one of {', '.join(ROBUSTNESS)}")
        if self.costs and len(self.costs) != len(self.levers):
            raise InputError(f"{len(self.levers)} levers but {len(self.costs)} costs")
        if self.robustness == "regret" and set(self.reference) != {r.name for r in self.levers}:
            raise InputError("regret needs the reference (status-quo) value of every lever")

    @property
    def metrics(self) -> tuple[str, ...]:
        """The outputs the evaluate callable must return."""
        return tuple(dict.fromkeys(o.metric for o in self.objectives))

    @property
    def has_cost(self) -> bool:
        """Whether a cost objective is added."""
        return any(c > 0 for c in self.costs)

    @property
    def names(self) -> tuple[str, ...]:
        """Column names of the objectives in tables (``cost`` last, if any)."""
        suffix = {"mean": "", "percentile": f"_p{self.percentile:g}", "regret": "_regret"}
        named = tuple(o.metric + suffix[self.robustness] for o in self.objectives)
        return (*named, COST) if self.has_cost else named

    def to_dict(self) -> dict[str, Any]:
        """Plain data (settings files)."""
        return {
            "levers": [r.to_dict() for r in self.levers],
            "objectives": [{"metric": o.metric, "direction": o.direction} for o in self.objectives],
            "costs": list(self.costs),
            "reference": dict(self.reference),
            "uncertain": [r.to_dict() for r in self.uncertain],
            "samples": self.samples,
            "robustness": self.robustness,
            "percentile": self.percentile,
            "candidates": self.candidates,
            "generations": self.generations,
            "seed": self.seed,
        }


@dataclass
class SearchResult:
    """What a search found.

    Attributes:
        problem: the problem searched.
        archive: every evaluated candidate: ``generation``, ``candidate``,
            the lever values run, each objective (natural units: the mean
            over replicates) and ``front`` (non-dominated).
        sample: the uncertainty sample (one row per sampled condition).
        replicates: replicates per (candidate, condition).
        values: each archive row's objectives per replicate, in natural
            units, ``[row, objective, replicate]`` (the intervals' data).

    """

    problem: SearchProblem
    archive: pd.DataFrame
    sample: pd.DataFrame
    replicates: int
    values: np.ndarray

    @property
    def front(self) -> pd.DataFrame:
        """The non-dominated candidates, sorted by the first objective (see :func:`front_table`)."""
        return front_table(self)


# ---------------------------------------------------------------------------
# The pipeline: sample -> cross -> evaluate -> reduce
# ---------------------------------------------------------------------------


def uncertainty_sample(problem: SearchProblem) -> pd.DataFrame:
    """The conditions every candidate is run under: a Latin hypercube, or one empty row."""
    if not problem.uncertain or problem.samples < 1:
        return pd.DataFrame(index=range(1))
    table = latin_hypercube(problem.uncertain, problem.samples, seed_for(problem.seed, 1))
    return pd.DataFrame([as_values(problem.uncertain, row) for row in table.to_dict("records")])


def crossed(problem: SearchProblem, levers: pd.DataFrame, sample: pd.DataFrame) -> pd.DataFrame:
    """Every candidate (row of ``levers``) under every condition of ``sample``, candidate-major."""
    left = levers.reset_index(drop=True).assign(_c=lambda f: range(len(f)))
    right = sample.reset_index(drop=True).assign(_s=lambda f: range(len(f)))
    table = left.merge(right, how="cross").sort_values(["_c", "_s"], kind="stable")
    return table.drop(columns=["_c", "_s"]).reset_index(drop=True)


def candidates(problem: SearchProblem, matrix: np.ndarray) -> pd.DataFrame:
    """NSGA-II's decision vectors as lever values (clipped, whole numbers rounded)."""
    names = [r.name for r in problem.levers]
    rows = [as_values(problem.levers, dict(zip(names, x, strict=True))) for x in matrix]
    return pd.DataFrame(rows, columns=names)


def losses(
    problem: SearchProblem, runs: pd.DataFrame, n_candidates: int, n_conditions: int
) -> np.ndarray:
    """Each objective's loss (``sign * value``), ``[candidate, objective, condition, k]``.

    Raises:
        InputError: a run is missing (the evaluate returned fewer rows).

    """
    replicates = int(runs["replicate"].max()) + 1 if len(runs) else 0
    expected = n_candidates * n_conditions * replicates
    if len(runs) != expected or replicates == 0:
        raise InputError(f"evaluation returned {len(runs)} runs, expected {expected}")
    ordered = runs.sort_values(["point", "replicate"], kind="stable")
    out = np.empty((n_candidates, len(problem.objectives), n_conditions, replicates))
    for j, objective in enumerate(problem.objectives):
        values = ordered[objective.metric].to_numpy(dtype="float64")
        out[:, j] = objective.sign * values.reshape(n_candidates, n_conditions, replicates)
    return out


def reduce(problem: SearchProblem, loss: np.ndarray, reference: np.ndarray | None) -> np.ndarray:
    """Reduce losses over the conditions: ``[candidate, objective, k]`` (module docstring)."""
    if problem.robustness == "mean":
        return loss.mean(axis=2)
    if problem.robustness == "percentile":
        return np.percentile(loss, problem.percentile, axis=2)
    if reference is None:
        raise InputError("regret needs the reference's losses")
    return (loss - reference[np.newaxis]).max(axis=2)


def lever_cost(problem: SearchProblem, levers: pd.DataFrame) -> np.ndarray:
    """Cost of each candidate: the sum of ``cost * |value - reference|`` over the levers."""
    if not problem.has_cost:
        return np.zeros(len(levers))
    values = levers[[r.name for r in problem.levers]].to_numpy(dtype="float64")
    origin = np.array([problem.reference.get(r.name, r.low) for r in problem.levers])
    return np.abs(values - origin) @ np.asarray(problem.costs, dtype="float64")


def _scored(
    problem: SearchProblem, levers: pd.DataFrame, reduced: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The objective matrix for pymoo (losses) and the per-replicate values in natural units.

    Returns:
        ``(loss [candidate, objective], values [candidate, objective, k])``,
        the cost (if any) as the last objective.

    """
    signs = np.array(
        [1.0 if problem.robustness == "regret" else o.sign for o in problem.objectives]
    )
    values = reduced * signs[np.newaxis, :, np.newaxis]
    loss = reduced.mean(axis=2)
    if problem.has_cost:
        cost = lever_cost(problem, levers)
        loss = np.column_stack([loss, cost])
        repeated = np.repeat(cost[:, np.newaxis, np.newaxis], values.shape[2], axis=2)
        values = np.concatenate([values, repeated], axis=1)
    return loss, values


def search(problem: SearchProblem, evaluate: Evaluate) -> SearchResult:
    """Run NSGA-II for ``problem.generations`` generations; every candidate through ``evaluate``.

    Deterministic given the problem (its seed) and what ``evaluate``
    returns: a resumed model search replays the same generations.
    """
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.evaluator import Evaluator
    from pymoo.core.problem import Problem
    from pymoo.problems.static import StaticProblem

    sample = uncertainty_sample(problem)
    reference = None
    if problem.robustness == "regret":
        status_quo = pd.DataFrame([dict(problem.reference)])[[r.name for r in problem.levers]]
        runs = evaluate(crossed(problem, status_quo, sample), "reference")
        reference = losses(problem, runs, 1, len(sample))[0]
    lows, highs = bounds(problem.levers)
    n_obj = len(problem.names)
    space = Problem(n_var=len(problem.levers), n_obj=n_obj, xl=lows, xu=highs)
    algorithm = NSGA2(pop_size=problem.candidates, eliminate_duplicates=True)
    algorithm.setup(space, termination=("n_gen", problem.generations), seed=problem.seed)
    parts: list[pd.DataFrame] = []
    per_replicate: list[np.ndarray] = []
    for generation in range(problem.generations):
        population = algorithm.ask()
        levers = candidates(problem, population.get("X"))
        runs = evaluate(crossed(problem, levers, sample), f"generation_{generation:03d}")
        reduced = reduce(problem, losses(problem, runs, len(levers), len(sample)), reference)
        objectives, values = _scored(problem, levers, reduced)
        Evaluator().eval(StaticProblem(space, F=objectives), population)
        algorithm.tell(infills=population)
        rows = levers.copy()
        rows.insert(0, "candidate", range(len(rows)))
        rows.insert(0, "generation", generation)
        for j, name in enumerate(problem.names):
            rows[name] = values[:, j].mean(axis=1)
        parts.append(rows)
        per_replicate.append(values)
    archive = pd.concat(parts, ignore_index=True)
    archive["front"] = _non_dominated(problem, archive)
    return SearchResult(
        problem=problem,
        archive=archive,
        sample=sample,
        replicates=per_replicate[0].shape[2],
        values=np.concatenate(per_replicate, axis=0),
    )


def _non_dominated(problem: SearchProblem, archive: pd.DataFrame) -> np.ndarray:
    """Whether each archive row is on the front (the first of identical lever vectors only)."""
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    levers = [r.name for r in problem.levers]
    first = ~archive.duplicated(subset=levers, keep="first").to_numpy()
    signs = [1.0 if problem.robustness == "regret" else o.sign for o in problem.objectives] + [
        1.0
    ] * problem.has_cost
    loss = archive[list(problem.names)].to_numpy(dtype="float64") * np.asarray(signs)
    flags = np.zeros(len(archive), dtype=bool)
    rows = np.flatnonzero(first)
    front = NonDominatedSorting().do(loss[rows], only_non_dominated_front=True)
    flags[rows[np.asarray(front, dtype=int)]] = True
    return flags


# ---------------------------------------------------------------------------
# Output: front table, figure, scenarios, report
# ---------------------------------------------------------------------------


def front_table(result: SearchResult, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """The front: one row per non-dominated candidate, sorted by the objectives.

    Columns: ``point`` (``front_00``, ...), ``generation``, ``candidate``,
    the lever values, and each objective with ``<name>_low`` and
    ``<name>_high``: its t-interval over the replicates (NaN with one).
    """
    from sim.analysis.stats import mean_interval

    rows = np.flatnonzero(result.archive["front"].to_numpy())
    front = result.archive.iloc[rows].drop(columns=["front"]).reset_index(drop=True)
    for j, name in enumerate(result.problem.names):
        intervals = [mean_interval(result.values[r, j], confidence) for r in rows]
        front[f"{name}_low"] = [min(lo, hi) for _, lo, hi in intervals]
        front[f"{name}_high"] = [max(lo, hi) for _, lo, hi in intervals]
    order = front.sort_values(list(result.problem.names), kind="stable").index
    columns = ["generation", "candidate", *(r.name for r in result.problem.levers)]
    columns += [f"{n}{end}" for n in result.problem.names for end in ("", "_low", "_high")]
    front = front.loc[order, columns].reset_index(drop=True)
    front.insert(0, "point", [f"front_{i:02d}" for i in range(len(front))])
    return front


def front_scenario(result: SearchResult, point: int | str, base: Scenario) -> Scenario:
    """A front point as a scenario: ``base`` with the point's lever values.

    Args:
        result: the search result.
        point: the front point's position or name (``front_03``).
        base: the scenario searched on (the experiment's base).

    Raises:
        InputError: no such front point.

    """
    front = front_table(result)
    if isinstance(point, str):
        rows = front[front["point"] == point]
    else:
        rows = front.iloc[[int(point)]] if 0 <= int(point) < len(front) else front.iloc[[]]
    if rows.empty:
        raise InputError(f"no front point {point!r}; the front has {len(front)} points")
    return _row_scenario(result, rows.iloc[0], base)


def _row_scenario(result: SearchResult, row: pd.Series, base: Scenario) -> Scenario:
    """One row of the front table as a scenario (see :func:`front_scenario`)."""
    values = {r.name: row[r.name] for r in result.problem.levers}
    name = f"{base.name}_{row['point']}"
    scenario = base.with_overrides(
        {k: v.item() if hasattr(v, "item") else v for k, v in values.items()}, name=name
    )
    scores = ", ".join(f"{n} {number(row[n])}" for n in result.problem.names)
    return replace(
        scenario,
        description=f"Policy search front point {row['point']} on {base.name}: {scores}",
        source=f"cadre-sim search over {', '.join(r.name for r in result.problem.levers)}",
        path=None,
    )


def draw_front(result: SearchResult) -> Figure:
    """Pairwise panels of the objectives: every candidate in grey, the front with 95% intervals."""
    import seaborn as sns

    names = list(result.problem.names)
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]] or [(names[0], names[0])]
    cols = min(len(pairs), 3)
    rows = -(-len(pairs) // cols)
    archive = result.archive
    front = front_table(result)
    with sns.axes_style("whitegrid"), sns.plotting_context("notebook"):
        fig = figure(4.6 * cols, 4.0 * rows)
        panels = np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel())
        for axes, (x, y) in zip(panels, pairs, strict=False):
            axes.scatter(archive[x], archive[y], s=12, color="0.75", label="evaluated")
            axes.errorbar(
                front[x],
                front[y],
                xerr=_error(front, x),
                yerr=_error(front, y),
                fmt="o",
                color="C3",
                ecolor="C3",
                elinewidth=0.8,
                capsize=2,
                markersize=5,
                label="front (95% CI)",
            )
            axes.set_xlabel(x)
            axes.set_ylabel(y)
        for axes in panels[len(pairs) :]:
            axes.set_visible(False)
        panels[0].legend(loc="best", fontsize="small")
        fig.suptitle(
            f"Pareto front: {len(front)} of {len(archive)} candidates "
            f"({result.problem.robustness} over {len(result.sample)} condition(s), "
            f"{result.replicates} replicate(s))",
            x=0.01,
            ha="left",
            fontsize="medium",
        )
    return fig


def _error(front: pd.DataFrame, name: str) -> np.ndarray | None:
    """Asymmetric error bars from the ``_low``/``_high`` columns (None if undefined)."""
    low = (front[name] - front[f"{name}_low"]).to_numpy(dtype="float64")
    high = (front[f"{name}_high"] - front[name]).to_numpy(dtype="float64")
    if np.isnan(low).all():
        return None
    return np.vstack([np.nan_to_num(low), np.nan_to_num(high)])


def write_report(
    result: SearchResult,
    folder: str | os.PathLike[str],
    base: Scenario,
    title: str = "Policy search",
    figures: bool = True,
) -> list[Path]:
    """Write ``archive.csv``, ``front.csv``, ``front.md``, ``figures/front.png``, scenarios.

    Each front point is written as ``front/<base>_front_NN.toml``, a scenario
    file ``cadre-sim run`` accepts.
    """
    target = Path(folder)
    (target / "front").mkdir(parents=True, exist_ok=True)
    written = []
    result.archive.to_csv(target / "archive.csv", index=False)
    front = front_table(result)
    front.to_csv(target / "front.csv", index=False)
    written += [target / "archive.csv", target / "front.csv"]
    for _, row in front.iterrows():
        scenario = _row_scenario(result, row, base)
        path = target / "front" / f"{scenario.name}.toml"
        atomic_write_text(path, scenario.to_toml())
        written.append(path)
    atomic_write_text(target / "front.md", front_markdown(result, title, front))
    written.append(target / "front.md")
    if figures:
        (target / "figures").mkdir(exist_ok=True)
        draw_front(result).savefig(target / "figures" / "front.png", dpi=120)
        written.append(target / "figures" / "front.png")
    return written


def describe(result: SearchResult) -> str:
    """A sentence on what was computed."""
    p = result.problem
    how = {
        "mean": "the mean over the conditions",
        "percentile": f"the {p.percentile:g}th percentile of the loss over the conditions",
        "regret": "the largest shortfall from the status quo over the conditions",
    }[p.robustness]
    return (
        f"NSGA-II over {', '.join(r.describe() for r in p.levers)}: {p.generations} "
        f"generation(s) of {p.candidates} candidates, seed {p.seed}. Each candidate ran under "
        f"{len(result.sample)} condition(s) x {result.replicates} replicate(s) with common seeds; "
        f"per replicate the objective is {how}, and each value is the mean over replicates "
        f"with its 95% t-interval. Objectives: "
        + ", ".join(f"{o.direction} {o.metric}" for o in p.objectives)
        + (" and cost (per unit of lever change from the base)" if p.has_cost else "")
        + "."
    )


def front_markdown(
    result: SearchResult, title: str = "Policy search", front: pd.DataFrame | None = None
) -> str:
    """The front as a Markdown report (``front``: :func:`front_table`, computed if not given)."""
    front = front_table(result) if front is None else front
    columns = ["point", *(r.name for r in result.problem.levers)]
    cells = [
        [str(row["point"]), *(number(row[c]) for c in columns[1:])] for _, row in front.iterrows()
    ]
    header = [*columns]
    for name in result.problem.names:
        header.append(f"{name} [95% CI]")
        for line, (_, row) in zip(cells, front.iterrows(), strict=True):
            line.append(
                f"{number(row[name])} [{number(row[f'{name}_low'])}, {number(row[f'{name}_high'])}]"
            )
    return "\n".join(
        [
            f"# {title}",
            "",
            describe(result),
            "",
            markdown_table(header, cells),
            "",
            "Each point is exported as a scenario in `front/`.",
            "",
            "![front](figures/front.png)",
            "",
        ]
    )
