"""Judging a stylized fact on runs: paired estimates, measures and conditions.

Runs are paired by replicate: replicate ``k`` of every regime has the same
seed (common random numbers). A :class:`~sim.analysis.validation.blocks.Check`
passes when the t-based confidence interval of the mean paired difference
(:func:`sim.analysis.stats.paired_test`) excludes zero in the expected
direction; a fact passes when all its checks and conditions do.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.analysis.stats import CONFIDENCE, PairedTest, paired_test
from sim.analysis.validation.blocks import DERIVED_METRICS, Check, Fact, Measure, Regime
from sim.errors import InputError
from sim.scenarios import Scenario, load

__all__ = ["Estimate", "FactResult", "evaluate", "regime_scenarios"]


@dataclass(frozen=True)
class Estimate:
    """A check's paired difference over replicates, with its t-interval and t-test.

    Attributes:
        check: the check it estimates.
        differences: per-replicate ``alt - base``.
        test: their mean, t-interval, t statistic and p-value.
        confidence: level of the interval.

    """

    check: Check
    differences: np.ndarray
    test: PairedTest
    confidence: float

    @property
    def n(self) -> int:
        """Number of paired replicates."""
        return self.test.n

    @property
    def mean(self) -> float:
        """Mean paired difference."""
        return self.test.mean

    @property
    def ci_low(self) -> float:
        """Lower end of the confidence interval."""
        return self.test.ci_low

    @property
    def ci_high(self) -> float:
        """Upper end of the confidence interval."""
        return self.test.ci_high

    @property
    def t(self) -> float:
        """Paired t statistic (±inf when every difference is equal and non-zero)."""
        return self.test.t

    @property
    def p_value(self) -> float:
        """Two-sided paired t-test p-value."""
        return self.test.p_value

    @property
    def passed(self) -> bool | None:
        """Whether the interval excludes zero in the expected direction (None if untested)."""
        if self.check.direction is None:
            return None
        if np.isnan(self.ci_low) or np.isnan(self.ci_high):
            return False
        if self.check.direction == "up":
            return self.ci_low > 0.0
        return self.ci_high < 0.0

    def __repr__(self) -> str:
        return f"Estimate({self.check.key}: mean={self.mean:+.4g}, t={self.t:+.1f}, n={self.n})"


@dataclass
class FactResult:
    """A fact evaluated on runs: its estimates, measures and conditions.

    ``result.contrast(key)`` is the estimate of a check; ``result[key]`` the
    per-replicate values of a measure (array ordered by replicate).
    """

    fact: Fact
    steps: int
    estimates: dict[str, Estimate]
    values: dict[str, np.ndarray]
    conditions: dict[str, bool] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)

    def contrast(self, key: str) -> Estimate:
        """The estimate of the check called ``key``."""
        return self.estimates[key]

    def __getitem__(self, key: str) -> np.ndarray:
        return self.values[key]

    @property
    def passed(self) -> bool:
        """Every tested check passes and every condition holds."""
        checks = all(e.passed for e in self.estimates.values() if e.passed is not None)
        return checks and all(self.conditions.values())


def _metric_column(rows: pd.DataFrame, metric: str) -> pd.Series:
    """An output's column, or a derived metric's (first output minus second)."""
    if metric in DERIVED_METRICS:
        first, second = DERIVED_METRICS[metric]
        return rows[first] - rows[second]
    return rows[metric]


def _measure_values(frame: pd.DataFrame, measure: Measure, steps: int) -> pd.Series:
    """Per replicate: the measure's metric averaged over its window (NaN months skipped)."""
    first, last = measure.window.resolve(steps)
    rows = frame[
        (frame["scenario"] == measure.regime.name)
        & (frame["month"] >= first)
        & (frame["month"] <= last)
    ]
    if rows.empty:
        raise InputError(
            f"no runs of regime {measure.regime.name!r} in months {first}-{last}: "
            f"the runs are {steps} months long"
        )
    values = _metric_column(rows, measure.metric)
    return values.groupby(rows["replicate"]).mean().astype("float64")


def evaluate(
    item: Fact, frame: pd.DataFrame, steps: int, confidence: float = CONFIDENCE
) -> FactResult:
    """Evaluate one fact on runs.

    Args:
        item: the fact.
        frame: tidy runs: ``scenario`` (the regime names), ``replicate``,
            ``month`` and the fact's metrics (as :func:`sim.results.load`
            returns them). Regimes are paired by replicate.
        steps: months per run.
        confidence: level of the intervals.

    Raises:
        InputError: the runs are too short for the fact, or a regime is missing.

    """
    if steps < item.needs_steps:
        raise InputError(
            f"stylized fact {item.id} needs runs of at least {item.needs_steps} months, got {steps}"
        )
    estimates: dict[str, Estimate] = {}
    for check in item.checks:
        alt = _measure_values(frame, check.alt, steps)
        base = _measure_values(frame, check.base, steps)
        joined = pd.concat([alt.rename("alt"), base.rename("base")], axis=1, join="inner")
        differences = (joined["alt"] - joined["base"]).dropna().to_numpy()
        test = paired_test(differences, confidence)
        estimates[check.key] = Estimate(check, differences, test, confidence)
    values = {
        key: _measure_values(frame, measure, steps).sort_index().to_numpy()
        for key, measure in item.measures.items()
    }
    result = FactResult(item, steps, estimates, values)
    for condition in item.conditions:
        result.conditions[condition.key] = bool(condition.holds(result))
        result.details[condition.key] = condition.detail(result)
    return result


def regime_scenarios(facts: Iterable[Fact], base: Scenario | None = None) -> list[Scenario]:
    """The distinct regimes of ``facts`` as scenarios on ``base`` (default: the baseline).

    Raises:
        InputError: two different regimes share a name.

    """
    chosen = load("baseline") if base is None else base
    regimes: dict[str, Regime] = {}
    for item in facts:
        for regime in item.regimes:
            known = regimes.setdefault(regime.name, regime)
            if known != regime:
                raise InputError(f"two different regimes are named {regime.name!r}")
    return [regime.scenario(chosen) for regime in regimes.values()]
