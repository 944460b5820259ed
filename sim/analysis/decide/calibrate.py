"""Calibration by ABC-SMC: the behavioural constants that make the model match observations.

A :class:`CalibrateProblem` names the constants fitted (each with a uniform
prior over a range) and the targets: observed moments with tolerances (a
flat-share level from survey studies, the demotion rate per 1,000 cadres a
year, a rank gap, ...). :func:`calibrate` runs approximate Bayesian
computation by sequential Monte Carlo with pyabc (:class:`pyabc.ABCSMC`;
Toni et al. 2009, Beaumont et al. 2009): populations of ``particles``
parameter sets, each generation proposed from a multivariate normal kernel
around the last one and accepted when every simulated moment lies close
enough to its target. The distance is ``max |simulated - observed| /
tolerance`` over the targets, so a population accepted at epsilon <= 1 has
every target within its tolerance; epsilon falls generation by generation
(the ``quantile`` of the last generation's distances) until it reaches 1,
``generations`` have run or ``max_evaluations`` points were simulated.

Batches of points
    pyabc asks for one simulation at a time; the model should run a batch.
    :class:`BatchSampler` (a :class:`pyabc.sampler.Sampler`) therefore works
    in rounds: each proposal ``i`` of generation ``t`` is drawn with numpy's
    global generator seeded from ``(seed, t, i)``; a first pass only records
    the proposed parameters, the whole round is evaluated at once through
    the *evaluate* callable (:mod:`sim.analysis.decide.evaluate`), and a
    second pass with the same seeds redraws the same proposals and lets
    pyabc judge them on the stored results. Everything is a function of the
    seed and of what ``evaluate`` returns, so a calibration resumed in its
    results folder (rounds read back from their stores) reaches the same
    posterior. numpy's global random state is restored afterwards.

Output: :func:`posterior_table` (weighted mean, median, sd and the 90%
credible interval of each constant), :func:`fit_table` (each target against
the posterior predictive mean and 90% interval), :func:`calibrated_scenario`
(the base scenario with the posterior medians), figures and
:func:`write_report`.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.analysis.decide.evaluate import Evaluate
from sim.analysis.decide.report import figure, markdown_table, number
from sim.analysis.decide.smc import BatchModel, BatchSampler, global_numpy_seed, keys, quiet_pyabc
from sim.analysis.decide.space import Range, as_values
from sim.errors import InputError
from sim.fileio import atomic_write_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.scenarios import Scenario

__all__ = [
    "CREDIBLE",
    "STATISTICS",
    "CalibrateProblem",
    "CalibrationResult",
    "Target",
    "calibrate",
    "calibrated_scenario",
    "draw_fit",
    "draw_posterior",
    "fit_table",
    "posterior_table",
    "simulated_moments",
    "write_report",
]

#: How a target's moment is computed from a run's window means.
STATISTICS: tuple[str, ...] = ("mean", "per_1000_per_year", "difference")
#: Mass of the credible and predictive intervals reported.
CREDIBLE = 0.90
DATABASE = "abc.db"


@dataclass(frozen=True)
class Target:
    """One observed moment and how close the model must come to it.

    Attributes:
        name: short name (tables, figures).
        metric: the model output (per-run mean over the window).
        observed: the observed value.
        tolerance: how far from ``observed`` still counts as a fit (> 0).
        statistic: ``mean`` (the window mean), ``per_1000_per_year`` (a
            monthly count as events per 1,000 cadres a year) or
            ``difference`` (``metric`` minus ``minus``, e.g. a rank gap).
        minus: the second output of a ``difference``.
        source: where the observed value comes from.

    """

    name: str
    metric: str
    observed: float
    tolerance: float
    statistic: str = "mean"
    minus: str | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if self.statistic not in STATISTICS:
            raise InputError(
                f"target {self.name}: statistic must be one of {', '.join(STATISTICS)}"
            )
        if not (math.isfinite(self.tolerance) and self.tolerance > 0):
            raise InputError(f"target {self.name}: tolerance must be a positive number")
        if (self.statistic == "difference") != (self.minus is not None):
            raise InputError(f"target {self.name}: 'minus' goes with statistic = 'difference'")

    @property
    def metrics(self) -> tuple[str, ...]:
        """The outputs this target needs from each run."""
        extra = {"difference": (self.minus,), "per_1000_per_year": ("headcount",)}
        return (self.metric, *extra.get(self.statistic, ()))  # type: ignore[arg-type]

    def moment(self, runs: pd.DataFrame) -> pd.Series:
        """The moment of each run (one row per run)."""
        if self.statistic == "per_1000_per_year":
            return runs[self.metric] * 12_000.0 / runs["headcount"]
        if self.statistic == "difference":
            return runs[self.metric] - runs[self.minus]
        return runs[self.metric].astype("float64")

    def describe(self) -> str:
        """The moment in words."""
        if self.statistic == "per_1000_per_year":
            return f"{self.metric} per 1,000 cadres a year"
        if self.statistic == "difference":
            return f"{self.metric} - {self.minus}"
        return self.metric


@dataclass(frozen=True)
class CalibrateProblem:
    """The constants fitted, their priors, the targets and the SMC settings.

    Attributes:
        parameters: the constants and their uniform prior ranges.
        targets: the observed moments.
        particles: particles per population.
        generations: most SMC generations.
        max_evaluations: most points simulated in all (None: no limit).
        quantile: each epsilon is this quantile of the last generation's distances.
        seed: seed of every proposal.

    """

    parameters: tuple[Range, ...]
    targets: tuple[Target, ...]
    particles: int = 50
    generations: int = 4
    max_evaluations: int | None = None
    quantile: float = 0.5
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.parameters or not self.targets:
            raise InputError("a calibration needs at least one parameter and one target")
        if len({t.name for t in self.targets}) != len(self.targets):
            raise InputError("two targets have the same name")

    @property
    def metrics(self) -> tuple[str, ...]:
        """The outputs the evaluate callable must return."""
        return tuple(dict.fromkeys(m for t in self.targets for m in t.metrics))

    def to_dict(self) -> dict[str, Any]:
        """Plain data (settings files)."""
        return {
            "parameters": [r.to_dict() for r in self.parameters],
            "targets": [
                {
                    "name": t.name,
                    "metric": t.metric,
                    "statistic": t.statistic,
                    "minus": t.minus,
                    "observed": t.observed,
                    "tolerance": t.tolerance,
                }
                for t in self.targets
            ],
            "particles": self.particles,
            "generations": self.generations,
            "max_evaluations": self.max_evaluations,
            "quantile": self.quantile,
            "seed": self.seed,
        }


@dataclass
class CalibrationResult:
    """What the calibration found.

    Attributes:
        problem: the problem.
        particles: the last population: one row per particle, the
            constants, ``weight`` (summing to 1), ``distance`` and each
            target's simulated moment.
        generations: one row per generation: ``generation``, ``epsilon``,
            ``evaluations`` (points simulated for it), ``acceptance``.
        evaluations: points simulated in all (calibration sample included).

    """

    problem: CalibrateProblem
    particles: pd.DataFrame
    generations: pd.DataFrame
    evaluations: int

    @property
    def converged(self) -> bool:
        """Whether the last population was accepted with every target within tolerance."""
        return bool(len(self.generations)) and float(self.generations["epsilon"].iloc[-1]) <= 1.0


# ---------------------------------------------------------------------------
# Moments and the batched pyabc model and sampler
# ---------------------------------------------------------------------------


def simulated_moments(problem: CalibrateProblem, runs: pd.DataFrame, n_points: int) -> pd.DataFrame:
    """Each point's replicate mean of every target's moment (NaN where no run finished)."""
    frame = pd.DataFrame({"point": runs["point"].to_numpy()})
    for target in problem.targets:
        frame[target.name] = target.moment(runs).to_numpy(dtype="float64")
    means = frame.groupby("point")[[t.name for t in problem.targets]].mean()
    return means.reindex(range(n_points)).reset_index(drop=True)


def distance_function(problem: CalibrateProblem) -> Callable[[dict, dict], float]:
    """``max |simulated - observed| / tolerance`` over the targets (inf if a moment is missing)."""
    scales = {t.name: t.tolerance for t in problem.targets}

    def distance(simulated: dict, observed: dict) -> float:
        gaps = [abs(simulated[k] - observed[k]) / s for k, s in scales.items()]
        value = max(gaps)
        return float(value) if math.isfinite(value) else math.inf

    return distance


def calibrate(
    problem: CalibrateProblem,
    evaluate: Evaluate,
    database: str | os.PathLike[str] | None = None,
) -> CalibrationResult:
    """Run ABC-SMC; every round of proposals goes through ``evaluate`` as one batch.

    Args:
        problem: parameters, priors, targets and SMC settings.
        evaluate: the evaluate callable (model-backed or closed-form).
        database: pyabc's SQLite history file (replaced if it exists; a
            resumed calibration replays into a fresh one); None: temporary.

    """
    import pyabc

    names = keys(problem.parameters)
    prior = pyabc.Distribution(
        **{
            k: pyabc.RV("uniform", r.low, r.high - r.low)
            for k, r in zip(names, problem.parameters, strict=True)
        }
    )

    def simulate(points: pd.DataFrame, label: str) -> pd.DataFrame:
        return simulated_moments(problem, evaluate(points, label), len(points))

    model = BatchModel(problem.parameters, simulate)
    sampler = BatchSampler(model, problem.seed)
    observed = {t.name: float(t.observed) for t in problem.targets}
    with contextlib.ExitStack() as stack:
        if database is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cadre-abc-")))
            path = folder / DATABASE
        else:
            path = Path(database).expanduser().resolve()
            path.unlink(missing_ok=True)
        stack.enter_context(global_numpy_seed(problem.seed))
        stack.enter_context(quiet_pyabc())
        abc = pyabc.ABCSMC(
            model.pyabc_model,
            prior,
            distance_function(problem),
            population_size=problem.particles,
            sampler=sampler,
            eps=pyabc.QuantileEpsilon(alpha=problem.quantile),
        )
        abc.new(f"sqlite:///{path}", observed)
        history = abc.run(
            minimum_epsilon=1.0,
            max_nr_populations=problem.generations,
            max_total_nr_simulations=problem.max_evaluations or np.inf,
        )
        particles = _last_population(problem, history)
        generations = _generations(history)
        evaluations = int(sampler.proposed)
    return CalibrationResult(problem, particles, generations, evaluations)


def _last_population(problem: CalibrateProblem, history: Any) -> pd.DataFrame:
    """The last population as a table: constants, weight, distance, simulated moments."""
    particles = history.get_population(t=history.max_t).particles
    names = keys(problem.parameters)
    table = pd.DataFrame(
        {
            r.name: [float(p.parameter[k]) for p in particles]
            for k, r in zip(names, problem.parameters, strict=True)
        }
    )
    weights = np.array([float(p.weight) for p in particles])
    table["weight"] = weights / weights.sum()
    table["distance"] = [float(p.distance) for p in particles]
    for t in problem.targets:
        table[t.name] = [float(p.sum_stat[t.name]) for p in particles]
    return table


def _generations(history: Any) -> pd.DataFrame:
    """One row per generation: epsilon, points simulated, acceptance rate."""
    populations = history.get_all_populations()
    populations = populations[populations["t"] >= 0]
    evaluations = populations["samples"].astype("int64").to_numpy()
    particles = populations["particles"].astype("int64").to_numpy()
    return pd.DataFrame(
        {
            "generation": populations["t"].astype("int64").to_numpy(),
            "epsilon": populations["epsilon"].astype("float64").to_numpy(),
            "evaluations": evaluations,
            "acceptance": particles / np.maximum(evaluations, 1),
        }
    )


# ---------------------------------------------------------------------------
# Output: posterior, fit, scenario, figures, report
# ---------------------------------------------------------------------------


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """A weighted quantile (pyabc's: interpolated on the cumulative weights)."""
    from pyabc.weighted_statistics import weighted_quantile

    return float(weighted_quantile(np.asarray(values, dtype="float64"), weights, alpha=q))


def _summary(values: np.ndarray, weights: np.ndarray) -> dict[str, float]:
    """Weighted mean, median, sd and the central :data:`CREDIBLE` interval."""
    mean = float(np.sum(weights * values))
    tail = (1.0 - CREDIBLE) / 2
    return {
        "mean": mean,
        "median": _weighted_quantile(values, weights, 0.5),
        "sd": float(np.sqrt(np.sum(weights * (values - mean) ** 2))),
        "low": _weighted_quantile(values, weights, tail),
        "high": _weighted_quantile(values, weights, 1.0 - tail),
    }


def posterior_table(result: CalibrationResult) -> pd.DataFrame:
    """Per constant: prior range, weighted mean, median, sd, 90% credible interval (low, high)."""
    weights = result.particles["weight"].to_numpy()
    rows = []
    for r in result.problem.parameters:
        values = result.particles[r.name].to_numpy(dtype="float64")
        rows.append(
            {
                "parameter": r.name,
                "prior_low": r.low,
                "prior_high": r.high,
                **_summary(values, weights),
            }
        )
    return pd.DataFrame(rows)


def fit_table(result: CalibrationResult) -> pd.DataFrame:
    """Per target: observed, tolerance, posterior predictive mean and 90% interval, ``within``."""
    weights = result.particles["weight"].to_numpy()
    rows = []
    for t in result.problem.targets:
        s = _summary(result.particles[t.name].to_numpy(dtype="float64"), weights)
        rows.append(
            {
                "target": t.name,
                "moment": t.describe(),
                "observed": t.observed,
                "tolerance": t.tolerance,
                "simulated": s["mean"],
                "low": s["low"],
                "high": s["high"],
                "within": bool(abs(s["mean"] - t.observed) <= t.tolerance),
            }
        )
    return pd.DataFrame(rows)


def calibrated_scenario(
    result: CalibrationResult, base: Scenario, name: str | None = None
) -> Scenario:
    """``base`` with every calibrated constant at its posterior median (whole numbers rounded)."""
    table = posterior_table(result)
    medians = dict(zip(table["parameter"], table["median"], strict=True))
    values = as_values(result.problem.parameters, medians)
    scenario = base.with_overrides(values, name=name or f"{base.name}_calibrated")
    fit = fit_table(result)
    within = int(fit["within"].sum())
    return replace(
        scenario,
        description=(
            f"{base.name} calibrated by ABC-SMC: posterior medians of "
            f"{', '.join(values)}; {within} of {len(fit)} targets within tolerance"
        ),
        source="cadre-sim calibrate: "
        + "; ".join(f"{t.name} = {t.observed:g}" for t in result.problem.targets),
        path=None,
    )


def draw_posterior(result: CalibrationResult) -> Figure:
    """One panel per constant: the weighted posterior histogram, its 90% interval shaded."""
    import seaborn as sns

    table = posterior_table(result).set_index("parameter")
    n = len(result.problem.parameters)
    cols = min(n, 3)
    rows = -(-n // cols)
    with sns.axes_style("whitegrid"), sns.plotting_context("notebook"):
        fig = figure(4.4 * cols, 3.4 * rows)
        panels = np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel())
        for axes, r in zip(panels, result.problem.parameters, strict=False):
            axes.hist(
                result.particles[r.name], bins=20, range=(r.low, r.high),
                weights=result.particles["weight"], color="C0", alpha=0.7,
            )  # fmt: skip
            s = table.loc[r.name]
            axes.axvspan(s["low"], s["high"], color="C1", alpha=0.15, label="90% credible")
            axes.axvline(s["median"], color="C3", label="median")
            axes.set_xlim(r.low, r.high)
            axes.set_xlabel(r.name)
            axes.set_ylabel("posterior weight")
        for axes in panels[n:]:
            axes.set_visible(False)
        panels[0].legend(loc="best", fontsize="small")
        fig.suptitle(
            "ABC-SMC posterior (uniform priors over the axes)", x=0.01, ha="left", fontsize="medium"
        )
    return fig


def draw_fit(result: CalibrationResult) -> Figure:
    """Each target's simulated moment in units of its tolerance: the band [-1, 1] is a fit."""
    import seaborn as sns

    fit = fit_table(result)
    scaled = (fit[["simulated", "low", "high"]].sub(fit["observed"], axis=0)).div(
        fit["tolerance"], axis=0
    )
    rows = np.arange(len(fit))
    errors = np.vstack(
        [scaled["simulated"] - scaled["low"], scaled["high"] - scaled["simulated"]]
    ).clip(min=0.0)
    with sns.axes_style("whitegrid"), sns.plotting_context("notebook"):
        fig = figure(7.5, 0.5 * len(fit) + 2.0)
        axes = fig.subplots()
        axes.axvspan(-1, 1, color="C2", alpha=0.15, label="within tolerance")
        axes.errorbar(
            scaled["simulated"], rows,
            xerr=errors,
            fmt="o", color="C0", capsize=3, label="posterior predictive (90%)",
        )  # fmt: skip
        axes.axvline(0, color="0.3", linewidth=0.8)
        axes.set_yticks(rows, labels=list(fit["target"]))
        axes.invert_yaxis()
        axes.set_xlabel("(simulated - observed) / tolerance")
        axes.legend(loc="best", fontsize="small")
    return fig


def describe(result: CalibrationResult) -> str:
    """A sentence on what was computed."""
    p = result.problem
    last = result.generations.iloc[-1] if len(result.generations) else None
    eps = f", last epsilon {last['epsilon']:.3g}" if last is not None else ""
    return (
        f"ABC-SMC (pyabc) over {', '.join(r.describe() for r in p.parameters)} (uniform priors): "
        f"{p.particles} particles, {len(result.generations)} generation(s){eps}, "
        f"{result.evaluations} points simulated, seed {p.seed}. Distance = max over targets of "
        f"|simulated - observed| / tolerance; epsilon = the {p.quantile:g} quantile of the last "
        f"generation's distances, down to 1 (every target within tolerance)"
        + (" - reached." if result.converged else " - not reached: widen tolerances or run longer.")
    )


def write_report(
    result: CalibrationResult,
    folder: str | os.PathLike[str],
    base: Scenario,
    title: str = "Calibration",
    figures: bool = True,
) -> list[Path]:
    """Write the tables, ``calibrate.md``, the calibrated scenario file and the figures.

    Tables: ``posterior.csv``, ``particles.csv``, ``fit.csv``, ``generations.csv``.
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    posterior, fit = posterior_table(result), fit_table(result)
    tables = {
        "posterior.csv": posterior,
        "particles.csv": result.particles,
        "fit.csv": fit,
        "generations.csv": result.generations,
    }
    written = []
    for name, table in tables.items():
        table.to_csv(target / name, index=False)
        written.append(target / name)
    scenario = calibrated_scenario(result, base)
    path = target / f"{scenario.name}.toml"
    atomic_write_text(path, scenario.to_toml())
    written.append(path)
    lines = [
        f"# {title}",
        "",
        describe(result),
        "",
        "## Posterior",
        "",
        markdown_table(
            ["parameter", "prior", "mean", "median", "sd", "90% credible interval"],
            [
                [
                    f"`{row['parameter']}`",
                    f"{number(row['prior_low'])} to {number(row['prior_high'])}",
                    number(row["mean"]),
                    number(row["median"]),
                    number(row["sd"]),
                    f"[{number(row['low'])}, {number(row['high'])}]",
                ]
                for _, row in posterior.iterrows()
            ],
        ),
        "",
        "## Fit per target",
        "",
        markdown_table(
            ["target", "moment", "observed", "tolerance", "simulated", "90% predictive", "fit"],
            [
                [
                    row["target"],
                    row["moment"],
                    number(row["observed"]),
                    number(row["tolerance"]),
                    number(row["simulated"]),
                    f"[{number(row['low'])}, {number(row['high'])}]",
                    "within" if row["within"] else "outside",
                ]
                for _, row in fit.iterrows()
            ],
        ),
        "",
        f"Calibrated scenario (posterior medians): `{path.name}`.",
        "",
        "![posterior](figures/posterior.png)",
        "",
        "![fit](figures/fit.png)",
        "",
    ]
    atomic_write_text(target / "calibrate.md", "\n".join(lines))
    written.append(target / "calibrate.md")
    if figures:
        (target / "figures").mkdir(exist_ok=True)
        draw_posterior(result).savefig(target / "figures" / "posterior.png", dpi=120)
        draw_fit(result).savefig(target / "figures" / "fit.png", dpi=120)
        written += [target / "figures" / "posterior.png", target / "figures" / "fit.png"]
    return written
