"""Stationarity of a regime: does it stand still over a long run? (``cadre-sim diagnose``).

A regime (usually the status quo) is run for many years over replicates
through :func:`sim.batch.run_batch`. For each headline output the per-replicate
change of its mean from the early years (years 1-3) to the late years (the
last three) is summarised with its paired t-interval over replicates
(:func:`sim.analysis.stats.paired_test`); issue 10's acceptance test is that
the interval lies within ``±TOLERANCE`` (0.01 for the flat and active shares,
0.02 for mean idealism).

**Stationarity criterion.** An output is *stationary from year* ``y`` when
the paired change from the window of years ``y .. y + 2`` to every later
three-year window ``w .. w + 2`` (``w >= y + 3``, ending by the last year)
has its 95% interval inside ``±tolerance``; the month reported is the first
month of year ``y`` (``12 * (y - 1) + 1``). It is None when no such ``y``
leaves room for two windows.
"""

from __future__ import annotations

import concurrent.futures as cf
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.stats import CONFIDENCE, paired_test
from sim.errors import InputError
from sim.runs import store
from sim.runs.batch import run_batch
from sim.scenarios import Scenario, load

__all__ = [
    "DEFAULT_POPULATION",
    "DEFAULT_REPLICATES",
    "DEFAULT_YEARS",
    "SPAN",
    "TESTED",
    "TOLERANCE",
    "Diagnosis",
    "Drift",
    "diagnose",
    "drift",
    "stationary_from",
    "window_means",
    "yearly_means",
]

#: Headline outputs and the half-width of the change interval that counts as
#: standing still (the stationarity criterion uses it for every output).
TOLERANCE: Mapping[str, float] = {
    "flat_share": 0.01,
    "active_share": 0.01,
    "routine_share": 0.01,
    "mean_idealism": 0.02,
    "mean_reputation": 0.02,
    "belief_promotion": 0.01,
}
#: The outputs issue 10's acceptance test judges (the rest are reported).
TESTED: tuple[str, ...] = ("flat_share", "active_share", "mean_idealism")
#: Years in each window compared.
SPAN = 3
DEFAULT_REPLICATES = 16
DEFAULT_POPULATION = 2000
DEFAULT_YEARS = 20


@dataclass(frozen=True)
class Drift:
    """The change of one output's mean from the early to the late years.

    Attributes:
        metric: the output.
        early: mean over replicates of the early-years mean.
        late: mean over replicates of the late-years mean.
        change: mean per-replicate change (late minus early).
        ci_low: lower end of its t-interval.
        ci_high: upper end.
        p_value: two-sided paired t-test of no change.
        tolerance: the half-width allowed.
        tested: whether the acceptance test judges it.
        stationary_month: first month from which it is stationary (None: never).

    """

    metric: str
    early: float
    late: float
    change: float
    ci_low: float
    ci_high: float
    p_value: float
    tolerance: float
    tested: bool
    stationary_month: int | None = None

    @property
    def within(self) -> bool:
        """The interval lies within ``±tolerance``."""
        return bool(-self.tolerance <= self.ci_low and self.ci_high <= self.tolerance)

    @property
    def passed(self) -> bool | None:
        """:attr:`within` for a tested output, None for one only reported."""
        return self.within if self.tested else None


def yearly_means(frame: pd.DataFrame, metrics: Sequence[str]) -> pd.DataFrame:
    """Per replicate and year (months 1-12 = year 1, ...): the mean of each metric."""
    rows = frame[frame["month"] >= 1]
    year = (rows["month"] - 1) // 12 + 1
    table = rows.assign(year=year).groupby(["replicate", "year"])[list(metrics)].mean()
    return table.reset_index()


def window_means(yearly: pd.DataFrame, metric: str, years: tuple[int, int]) -> np.ndarray:
    """Per-replicate mean of ``metric`` over ``years`` (inclusive), in replicate order."""
    rows = yearly[yearly["year"].between(*years)]
    return rows.groupby("replicate")[metric].mean().to_numpy()


def drift(
    yearly: pd.DataFrame,
    metric: str,
    early: tuple[int, int],
    late: tuple[int, int],
    tolerance: float,
    *,
    tested: bool = True,
    confidence: float = CONFIDENCE,
) -> Drift:
    """The paired change of ``metric`` from ``early`` to ``late`` years, with its t-interval."""
    a, b = window_means(yearly, metric, early), window_means(yearly, metric, late)
    test = paired_test(b - a, confidence)
    return Drift(
        metric,
        float(a.mean()),
        float(b.mean()),
        test.mean,
        test.ci_low,
        test.ci_high,
        test.p_value,
        tolerance,
        tested,
    )


def stationary_from(
    yearly: pd.DataFrame, metric: str, tolerance: float, span: int = SPAN
) -> int | None:
    """The first year from which ``metric`` is stationary (the module's criterion), or None."""
    last = int(yearly["year"].max())
    for start in range(1, last - 2 * span + 2):
        base = (start, start + span - 1)
        later = [(y, y + span - 1) for y in range(start + span, last - span + 2)]
        if all(drift(yearly, metric, base, w, tolerance).within for w in later):
            return start
    return None


@dataclass(frozen=True)
class Diagnosis:
    """The stationarity diagnosis of one regime.

    Attributes:
        scenario: the regime's name.
        replicates: runs.
        population: cadres per run.
        years: years per run.
        early: the early window (years).
        late: the late window (years).
        drifts: one :class:`Drift` per headline output.
        yearly: per replicate and year, each output's mean.

    """

    scenario: str
    replicates: int
    population: int
    years: int
    early: tuple[int, int]
    late: tuple[int, int]
    drifts: tuple[Drift, ...]
    yearly: pd.DataFrame

    @property
    def passed(self) -> bool:
        """Every tested output's change interval lies within its tolerance."""
        return all(d.passed is not False for d in self.drifts)

    def to_text(self) -> str:
        """The drift table as aligned text, with the stationarity criterion."""
        early, late = self.early, self.late
        lines = [
            f"diagnose {self.scenario}: {self.replicates} replicates x {self.population} "
            f"cadres x {self.years} years",
            f"change from years {early[0]}-{early[1]} to years {late[0]}-{late[1]} "
            "(95% paired t-interval over replicates)",
            "",
            f"{'output':18s} {'early':>9s} {'late':>9s} {'change':>9s} {'95% CI':>21s} "
            f"{'tolerance':>9s}  {'result':10s} stationary from",
        ]
        for d in self.drifts:
            verdict = {None: "(reported)", True: "pass", False: "FAIL"}[d.passed]
            since = "never" if d.stationary_month is None else f"month {d.stationary_month}"
            lines.append(
                f"{d.metric:18s} {d.early:9.4f} {d.late:9.4f} {d.change:+9.4f} "
                f"[{d.ci_low:+.4f}, {d.ci_high:+.4f}] {f'±{d.tolerance:g}':>9s}  "
                f"{verdict:10s} {since}"
            )
        lines += [
            "",
            f"stationary from month m (year y): the change from years y..y+{SPAN - 1} to every "
            f"later {SPAN}-year window has its 95% interval within ±tolerance.",
        ]
        return "\n".join(lines) + "\n"


def diagnose(
    scenario: Scenario | str = "baseline",
    *,
    replicates: int = DEFAULT_REPLICATES,
    population: int | None = DEFAULT_POPULATION,
    years: int = DEFAULT_YEARS,
    root_seed: int = 0,
    overrides: Mapping[str, Any] | None = None,
    executor: str | cf.Executor = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    command: Sequence[str] | None = None,
    tolerance: Mapping[str, float] = TOLERANCE,
) -> Diagnosis:
    """Run ``scenario`` for ``years`` years over ``replicates`` seeds and diagnose its drift.

    The early window is years ``1 .. SPAN``, the late one the last ``SPAN`` years.

    Raises:
        InputError: fewer than two replicates, or too few years for two windows.

    """
    if replicates < 2:
        raise InputError(
            f"replicates = {replicates}: a drift interval needs at least 2 replicates",
            arguments=("replicates",),
        )
    if years < 2 * SPAN:
        raise InputError(
            f"years = {years}: two {SPAN}-year windows need at least {2 * SPAN} years",
            arguments=("years",),
        )
    base = load(scenario) if isinstance(scenario, str) else scenario
    if overrides:
        base = base.with_overrides(dict(overrides), name=base.name, origin="overrides")
    metrics = list(tolerance)
    with tempfile.TemporaryDirectory(prefix="cadre-sim-diagnose-") as scratch:
        folder = Path(scratch) / "runs"
        run_batch(
            [base],
            replicates,
            steps=12 * years,
            root_seed=root_seed,
            out=folder,
            executor=executor,
            workers=workers,
            scheduler=scheduler,
            population=population,
            summary_metrics=("flat_share",),
            progress=progress,
            command=command,
        )
        frame = store.load(folder, columns=metrics)
    yearly = yearly_means(frame, metrics)
    early, late = (1, SPAN), (years - SPAN + 1, years)
    drifts = []
    for metric, tol in tolerance.items():
        first = drift(yearly, metric, early, late, tol, tested=metric in TESTED)
        year = stationary_from(yearly, metric, tol)
        month = None if year is None else 12 * (year - 1) + 1
        drifts.append(replace(first, stationary_month=month))
    cadres = int(base.params["workforce.population"]) if population is None else population
    return Diagnosis(base.name, replicates, cadres, years, early, late, tuple(drifts), yearly)
