"""Pattern-oriented validation: the model brief's eight stylized facts as data.

Each :class:`Fact` holds the brief's wording, the regimes it compares (as
parameter overrides and timelines on the baseline), and what must be seen:

* :class:`Check`: a paired difference ``alt - base`` of a metric's mean over
  a window of months, where ``alt`` and ``base`` are each a regime, metric
  and window (:class:`Measure`), with the expected direction. Runs are
  paired by replicate: replicate ``k`` of every regime has the same seed
  (common random numbers). The check passes when the t-based confidence
  interval of the mean paired difference excludes zero in the expected
  direction. A check without a direction is reported, not tested (it feeds
  a condition).
* :class:`Condition`: an extra requirement where the brief has a second
  clause ("active cadres are hit hardest", "idealists change little"),
  evaluated on the checks' estimates and on per-replicate measures.

A fact passes when all its checks and conditions do. :func:`run` runs the
regimes of the chosen facts through :func:`sim.batch.run_batch` and
evaluates them; ``cadre-sim validate`` prints the table and exits 1 when a
fact fails. ``tests/test_stylized_facts.py`` takes its regimes and windows
from :data:`FACTS`, so each fact is defined in one place.

Windows are months ``first..last`` inclusive, counted from month 1 (the
first step); :meth:`Window.final` counts from the end of the run.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from sim.errors import InputError
from sim.scenarios import Scenario

__all__ = [
    "FACTS",
    "Check",
    "Condition",
    "Estimate",
    "Fact",
    "FactResult",
    "Measure",
    "Regime",
    "Validation",
    "Window",
    "evaluate",
    "fact",
    "parse_only",
    "regime_scenarios",
    "run",
]

Direction = Literal["up", "down"]

#: Default size of ``cadre-sim validate``: enough replicates that the weakest
#: fact (fault tolerance's effect on the flat share, about one standard
#: deviation of its paired differences) is clear.
DEFAULT_REPLICATES = 20
DEFAULT_POPULATION = 1000
DEFAULT_STEPS = 96
CONFIDENCE = 0.95


# ---------------------------------------------------------------------------
# The building blocks
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Regime:
    """A policy regime: the baseline with some parameters and a timeline changed.

    Attributes:
        name: the scenario name the regime runs under.
        description: what the regime is, in words.
        overrides: dotted parameter names and their values from month 1.
        timeline: timeline entries (``{"from", "until", "set", "label"}`` or
            ``{"at", "set", "label"}``) added to the base scenario's.

    """

    name: str
    description: str
    overrides: Mapping[str, Any] = field(default_factory=dict)
    timeline: tuple[Mapping[str, Any], ...] = ()

    def scenario(self, base: Scenario) -> Scenario:
        """The regime as a validated scenario built on ``base``."""
        changed = base.with_overrides(
            dict(self.overrides), name=self.name, origin=f"regime {self.name}"
        )
        data = changed.to_dict()
        data["scenario"] = {"name": self.name, "description": self.description, "source": ""}
        data["timeline"] = [*data["timeline"], *(dict(entry) for entry in self.timeline)]
        return Scenario.from_dict(data, origin=f"regime {self.name}")


@dataclass(frozen=True)
class Window:
    """Months ``first..last`` (inclusive) of a run.

    Attributes:
        first: first month averaged (from month 1), or with ``from_end``
            the offset from the last month (``-23`` for the last 24 months).
        last: last month averaged, or with ``from_end`` the offset (``0``).
        from_end: count from the end of the run.

    """

    first: int
    last: int
    from_end: bool = False

    @classmethod
    def final(cls, months: int) -> Window:
        """The last ``months`` months of a run."""
        return cls(1 - months, 0, from_end=True)

    @classmethod
    def months(cls, first: int, last: int) -> Window:
        """Months ``first`` to ``last`` inclusive."""
        return cls(first, last)

    def resolve(self, steps: int) -> tuple[int, int]:
        """First and last month in a run of ``steps`` months."""
        if self.from_end:
            return steps + self.first, steps + self.last
        return self.first, self.last

    @property
    def needs(self) -> int:
        """The shortest run (months) this window fits in."""
        return 1 - self.first if self.from_end else self.last

    def describe(self, steps: int) -> str:
        """``months 73-96`` (or ``month 96``)."""
        first, last = self.resolve(steps)
        return f"month {first}" if first == last else f"months {first}-{last}"


@dataclass(frozen=True)
class Measure:
    """A metric's mean over a window of months in one regime, per replicate."""

    regime: Regime
    metric: str
    window: Window

    def describe(self, steps: int) -> str:
        """``high_accusation_risk: flat_share, months 73-96``."""
        return f"{self.regime.name}: {self.metric}, {self.window.describe(steps)}"


@dataclass(frozen=True)
class Check:
    """A paired difference ``alt - base`` and the direction the brief expects.

    Attributes:
        key: name of the check within its fact (e.g. ``"flat_share"``).
        claim: what it shows, in words ("flat share falls").
        alt: the measured side.
        base: the reference side (same replicates).
        direction: ``"up"`` (alt above base) or ``"down"``; None for a
            difference that is reported and used by conditions but not tested.

    """

    key: str
    claim: str
    alt: Measure
    base: Measure
    direction: Direction | None

    def compared(self, steps: int) -> str:
        """The two sides in words."""
        if self.alt.regime == self.base.regime and self.alt.window == self.base.window:
            return f"{self.alt.regime.name}: {self.alt.metric} - {self.base.metric}"
        if self.alt.regime == self.base.regime:
            return (
                f"{self.alt.regime.name}: {self.alt.window.describe(steps)} - "
                f"{self.base.window.describe(steps)}"
            )
        return f"{self.alt.regime.name} - {self.base.regime.name}"

    def months(self, steps: int) -> str:
        """The windows in words (one if both sides share it)."""
        if self.alt.window == self.base.window:
            return self.alt.window.describe(steps).removeprefix("months ").removeprefix("month ")
        return "see regimes"


@dataclass(frozen=True)
class Condition:
    """An extra requirement of a fact, evaluated on its estimates and measures.

    Attributes:
        key: name within the fact.
        claim: the requirement in words.
        holds: returns whether it holds, given the fact's evidence.
        detail: returns the numbers compared, for the report.

    """

    key: str
    claim: str
    holds: Callable[[FactResult], bool]
    detail: Callable[[FactResult], str]


@dataclass(frozen=True)
class Fact:
    """One stylized fact of the brief.

    Attributes:
        id: its number in the brief (1-8).
        title: a short title.
        wording: the brief's wording.
        checks: paired differences with expected directions.
        measures: per-replicate measures used by conditions, by key.
        conditions: extra requirements (second clauses).
        min_steps: the shortest run (months) the fact can be judged on.

    """

    id: int
    title: str
    wording: str
    checks: tuple[Check, ...]
    measures: Mapping[str, Measure] = field(default_factory=dict)
    conditions: tuple[Condition, ...] = ()
    min_steps: int = 1

    @property
    def regimes(self) -> tuple[Regime, ...]:
        """The regimes the fact runs, in order of first use."""
        seen: dict[str, Regime] = {}
        sides = [m for c in self.checks for m in (c.base, c.alt)] + list(self.measures.values())
        for measure in sides:
            seen.setdefault(measure.regime.name, measure.regime)
        return tuple(seen.values())

    @property
    def metrics(self) -> tuple[str, ...]:
        """Every output the fact reads."""
        sides = [m for c in self.checks for m in (c.base, c.alt)] + list(self.measures.values())
        return tuple(dict.fromkeys(m.metric for m in sides))

    @property
    def needs_steps(self) -> int:
        """The shortest run (months) every window of the fact fits in."""
        sides = [m for c in self.checks for m in (c.base, c.alt)] + list(self.measures.values())
        return max([self.min_steps, *(m.window.needs for m in sides)])

    def check(self, key: str) -> Check:
        """The check called ``key``."""
        for item in self.checks:
            if item.key == key:
                return item
        raise KeyError(f"fact {self.id} has no check {key!r}")


# ---------------------------------------------------------------------------
# The regimes (from tests/test_stylized_facts.py: they work at the current calibration)
# ---------------------------------------------------------------------------

BASELINE = Regime("baseline", "the shipped baseline: every parameter at its default")
MORE_FAULT_TOLERANCE = Regime(
    "more_fault_tolerance",
    "most honest mistakes qualify for review, and reviews are credible",
    {"fault_tolerance.coverage": 0.8, "fault_tolerance.credibility": 0.9},
)
HIGH_RISK = Regime(
    "high_accusation_risk",
    "three times the baseline rate of false reports",
    {"accusation.false_report_rate": 0.015},
)
CLARIFICATION_ON = Regime(
    "clarification_on",
    "most cleared cadres are publicly clarified, and most cadres see it",
    {"clarification.coverage": 0.8, "clarification.reach": 0.6},
)
CRACKDOWN_CAMPAIGN = Regime(
    "crackdown_campaign",
    "doubled false-report rate; a one-year campaign (months 25-36) tracing false accusers",
    {"accusation.false_report_rate": 0.01},
    (
        {
            "from": 25,
            "until": 37,
            "label": "campaign against false accusers",
            "set": {"crackdown.trace_probability": 0.7},
        },
    ),
)
MORE_DEMOTION = Regime(
    "more_demotion",
    "unfit and flat cadres are detected and moved down far more often",
    {"demotion.intensity": 0.15, "demotion.detection": 0.5},
)
RISK_NO_TOLERANCE = Regime(
    "high_risk_no_tolerance",
    "high false-accusation risk and no fault tolerance",
    {"accusation.false_report_rate": 0.015, "fault_tolerance.coverage": 0.0},
)
RISK_NO_TOLERANCE_DEMOTION = Regime(
    "high_risk_no_tolerance_demotion",
    "high false-accusation risk, no fault tolerance, and more demotion",
    {
        "accusation.false_report_rate": 0.015,
        "fault_tolerance.coverage": 0.0,
        "demotion.intensity": 0.15,
        "demotion.detection": 0.5,
    },
)
BIGGER_PRIZE = Regime(
    "bigger_career_prize", "promotion is worth twice as much", {"career.prize": 240.0}
)
FRIGHTENED = Regime(
    "frightened_officials",
    "strict discipline (severity 35) and no fault tolerance",
    {"discipline.severity": 35.0, "fault_tolerance.coverage": 0.0},
)
ACCUSATION_SPELL = Regime(
    "accusation_spell",
    "a three-year spell (months 13-48) of four times the false-report rate, no clarification",
    timeline=(
        {
            "from": 13,
            "until": 49,
            "label": "spell of false accusations",
            "set": {"accusation.false_report_rate": 0.02, "clarification.coverage": 0.0},
        },
    ),
)

LAST_24 = Window.final(24)


def _paired(
    key: str,
    claim: str,
    base: Regime,
    alt: Regime,
    metric: str,
    direction: Direction | None,
    window: Window = LAST_24,
) -> Check:
    """A check comparing two regimes on one metric over one window."""
    return Check(key, claim, Measure(alt, metric, window), Measure(base, metric, window), direction)


def _mean(result: FactResult, key: str) -> float:
    """The mean paired difference of a check."""
    return result.contrast(key).mean


def _ratio_on_active(result: FactResult) -> np.ndarray:
    """Per replicate: share of false reports aimed at active cadres / active share."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return (result["false_reports_on_active"] / result["false_reports"]) / result[
            "active_share"
        ]


# fmt: off
FACTS: tuple[Fact, ...] = (
    Fact(
        1,
        "More fault tolerance",
        "More fault tolerance: lower flat share, higher active share and more innovation.",
        (
            _paired("flat_share", "flat share falls", BASELINE, MORE_FAULT_TOLERANCE,
                    "flat_share", "down"),
            _paired("active_share", "active share rises", BASELINE, MORE_FAULT_TOLERANCE,
                    "active_share", "up"),
            _paired("innovations", "more innovations", BASELINE, MORE_FAULT_TOLERANCE,
                    "innovations", "up"),
        ),
    ),
    Fact(
        2,
        "More false-accusation risk",
        "More false-accusation risk: higher flat share; active cadres are hit hardest.",
        (
            _paired("flat_share", "flat share rises", BASELINE, HIGH_RISK, "flat_share", "up"),
            _paired("active_share", "active share falls", BASELINE, HIGH_RISK,
                    "active_share", "down"),
            _paired("routine_share", "change of the routine share", BASELINE, HIGH_RISK,
                    "routine_share", None),
        ),
        measures={
            "false_reports_on_active": Measure(HIGH_RISK, "false_reports_on_active", LAST_24),
            "false_reports": Measure(HIGH_RISK, "false_reports", LAST_24),
            "active_share": Measure(HIGH_RISK, "active_share", LAST_24),
        },
        conditions=(
            Condition(
                "active_hit_hardest",
                "active share falls more than the routine share, and by more than half "
                "the rise of the flat share",
                lambda r: _mean(r, "active_share") < _mean(r, "routine_share")
                and _mean(r, "active_share") < -abs(_mean(r, "flat_share")) / 2,
                lambda r: f"active {_mean(r, 'active_share'):+.4f}, routine "
                f"{_mean(r, 'routine_share'):+.4f}, flat {_mean(r, 'flat_share'):+.4f}",
            ),
            Condition(
                "reports_fall_on_active",
                "false reports fall disproportionately on active cadres: their share of "
                "false reports exceeds 1.5 x the active share in every replicate",
                lambda r: bool((_ratio_on_active(r) > 1.5).all()),
                lambda r: f"smallest ratio {np.nanmin(_ratio_on_active(r)):.2f}"
                if np.isfinite(_ratio_on_active(r)).any()
                else "no false reports",
            ),
        ),
    ),
    Fact(
        3,
        "Clarification",
        "Clarification on, same accusation risk: lower flat share than without it, and "
        "falsely accused cadres' reputations recover faster.",
        (
            _paired("flat_share", "flat share falls", BASELINE, CLARIFICATION_ON,
                    "flat_share", "down"),
            _paired("reputation_cleared", "cleared cadres' reputation is higher", BASELINE,
                    CLARIFICATION_ON, "reputation_cleared", "up"),
            _paired("belief_vindication", "cadres expect to be vindicated", BASELINE,
                    CLARIFICATION_ON, "belief_vindication", "up"),
        ),
    ),
    Fact(
        4,
        "Punishing false accusers",
        "Punishing false accusers: fewer false reports over time; after a time-limited "
        "campaign ends, deterrence fades and false reports drift back up.",
        (
            Check(
                "fewer",
                "fewer false reports late in the campaign than the year before it",
                Measure(CRACKDOWN_CAMPAIGN, "false_reports", Window.months(31, 36)),
                Measure(CRACKDOWN_CAMPAIGN, "false_reports", Window.months(13, 24)),
                "down",
            ),
            Check(
                "drift_back",
                "false reports drift back up after the campaign",
                Measure(CRACKDOWN_CAMPAIGN, "false_reports", LAST_24),
                Measure(CRACKDOWN_CAMPAIGN, "false_reports", Window.months(37, 48)),
                "up",
            ),
        ),
        measures={
            "deterrence_at_end": Measure(CRACKDOWN_CAMPAIGN, "deterrence", Window.months(36, 36)),
            "deterrence_last": Measure(CRACKDOWN_CAMPAIGN, "deterrence", Window.final(1)),
        },
        conditions=(
            Condition(
                "deterrence_fades",
                "deterrence in the last month is below half its level at the campaign's "
                "end, in every replicate",
                lambda r: bool((r["deterrence_last"] < r["deterrence_at_end"] / 2).all()),
                lambda r: f"{np.nanmax(r['deterrence_last']):.3f} vs "
                f"{np.nanmin(r['deterrence_at_end']):.3f} at the end",
            ),
        ),
        min_steps=72,
    ),
    Fact(
        5,
        "Demotion intensity",
        "Demotion intensity: fewer realists lie flat; idealists change little. With high "
        "accusation risk and no fault tolerance, it pushes cadres into routine (safe "
        "compliance) more than into active.",
        (
            _paired("flat_share_realist", "fewer realists lie flat", BASELINE, MORE_DEMOTION,
                    "flat_share_realist", "down"),
            _paired("flat_share_idealist", "change of the idealists' flat share", BASELINE,
                    MORE_DEMOTION, "flat_share_idealist", None),
            _paired("routine_share", "under high risk without tolerance: routine share rises",
                    RISK_NO_TOLERANCE, RISK_NO_TOLERANCE_DEMOTION, "routine_share", "up"),
            _paired("active_share", "under high risk without tolerance: change of the "
                    "active share", RISK_NO_TOLERANCE, RISK_NO_TOLERANCE_DEMOTION,
                    "active_share", None),
        ),
        conditions=(
            Condition(
                "idealists_change_little",
                "idealists change little: their flat share moves less than a third as "
                "much as the realists'",
                lambda r: abs(_mean(r, "flat_share_idealist"))
                < abs(_mean(r, "flat_share_realist")) / 3,
                lambda r: f"idealists {_mean(r, 'flat_share_idealist'):+.4f}, realists "
                f"{_mean(r, 'flat_share_realist'):+.4f}",
            ),
            Condition(
                "routine_more_than_active",
                "under high risk without tolerance, routine gains more than three times "
                "what active gains",
                lambda r: _mean(r, "routine_share") > 3 * max(_mean(r, "active_share"), 0.0),
                lambda r: f"routine {_mean(r, 'routine_share'):+.4f}, active "
                f"{_mean(r, 'active_share'):+.4f}",
            ),
        ),
    ),
    Fact(
        6,
        "Career rewards by orientation",
        "Realists respond more to career rewards than idealists; idealists lie flat less.",
        (
            _paired("active_share_realist", "realists become more active", BASELINE,
                    BIGGER_PRIZE, "active_share_realist", "up"),
            _paired("active_share_idealist", "change of the idealists' active share",
                    BASELINE, BIGGER_PRIZE, "active_share_idealist", None),
            _paired("flat_share_realist", "fewer realists lie flat", BASELINE, BIGGER_PRIZE,
                    "flat_share_realist", "down"),
            _paired("flat_share_idealist", "change of the idealists' flat share", BASELINE,
                    BIGGER_PRIZE, "flat_share_idealist", None),
            Check(
                "flat_gap",
                "at baseline, realists lie flat more than idealists",
                Measure(BASELINE, "flat_share_realist", LAST_24),
                Measure(BASELINE, "flat_share_idealist", LAST_24),
                "up",
            ),
        ),
        conditions=(
            Condition(
                "realists_respond_more",
                "realists respond more: their flat share falls more, and their active "
                "share rises more, than the idealists'",
                lambda r: abs(_mean(r, "flat_share_realist")) > abs(_mean(r, "flat_share_idealist"))
                and _mean(r, "active_share_realist") > _mean(r, "active_share_idealist"),
                lambda r: f"flat {_mean(r, 'flat_share_realist'):+.4f} vs "
                f"{_mean(r, 'flat_share_idealist'):+.4f}; active "
                f"{_mean(r, 'active_share_realist'):+.4f} vs "
                f"{_mean(r, 'active_share_idealist'):+.4f}",
            ),
        ),
    ),
    Fact(
        7,
        "Frightened officials",
        "Strict discipline with no fault tolerance ('frightened officials'): active share "
        "and innovation fall below baseline.",
        (
            _paired("active_share", "active share falls", BASELINE, FRIGHTENED,
                    "active_share", "down"),
            _paired("innovations", "fewer innovations", BASELINE, FRIGHTENED,
                    "innovations", "down"),
        ),
    ),
    Fact(
        8,
        "Hysteresis",
        "Hysteresis: after a spell of high false-accusation risk without clarification, the "
        "flat share stays raised for a while after the risk returns to normal, because "
        "beliefs and idealism recover slowly.",
        (
            _paired("during", "flat share raised during the spell", BASELINE, ACCUSATION_SPELL,
                    "flat_share", "up", Window.months(37, 48)),
            _paired("after", "flat share still raised in the year after it", BASELINE,
                    ACCUSATION_SPELL, "flat_share", "up", Window.months(49, 60)),
            _paired("idealism", "idealism still lower in the year after it", BASELINE,
                    ACCUSATION_SPELL, "mean_idealism", "down", Window.months(49, 60)),
        ),
    ),
)
# fmt: on


def fact(number: int) -> Fact:
    """The fact with brief number ``number`` (1-8)."""
    for item in FACTS:
        if item.id == number:
            return item
    raise KeyError(f"no stylized fact {number}; the brief has facts 1-{len(FACTS)}")


def parse_only(text: str | None) -> tuple[Fact, ...]:
    """The facts named by ``--only`` (``"1,3"`` or ``"2-4"``), or all of them.

    Raises:
        InputError: a number that is not a fact, or text that is not a list.

    """
    if text is None or not text.strip():
        return FACTS
    wanted: list[int] = []
    for part in text.split(","):
        piece = part.strip()
        first, dash, last = piece.partition("-")
        try:
            numbers = range(int(first), int(last) + 1) if dash else [int(piece)]
        except ValueError:
            raise InputError(f"--only {text!r}: expected fact numbers like 1,3 or 2-4") from None
        wanted.extend(numbers)
    known = {item.id for item in FACTS}
    unknown = [n for n in wanted if n not in known]
    if unknown or not wanted:
        raise InputError(
            f"--only {text!r}: no stylized fact {unknown[0] if unknown else ''}; "
            f"the brief has facts {min(known)}-{max(known)}"
        )
    return tuple(item for item in FACTS if item.id in set(wanted))


# ---------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A paired difference over replicates, with its t-based interval.

    Attributes:
        check: the check it estimates.
        differences: per-replicate ``alt - base``.
        mean: mean paired difference.
        ci_low: lower end of the confidence interval.
        ci_high: upper end.
        confidence: level of the interval.

    """

    check: Check
    differences: np.ndarray
    mean: float
    ci_low: float
    ci_high: float
    confidence: float

    @property
    def n(self) -> int:
        """Number of paired replicates."""
        return int(self.differences.size)

    @property
    def t(self) -> float:
        """Paired t statistic (±inf when every difference is equal and non-zero)."""
        if self.n < 2:
            return math.nan
        sd = float(self.differences.std(ddof=1))
        if sd == 0.0:
            return 0.0 if self.mean == 0.0 else math.copysign(math.inf, self.mean)
        return self.mean / (sd / math.sqrt(self.n))

    @property
    def p_value(self) -> float:
        """Two-sided paired t-test p-value."""
        t = self.t
        if math.isnan(t):
            return math.nan
        return float(2.0 * stats.t.sf(abs(t), self.n - 1))

    @property
    def passed(self) -> bool | None:
        """Whether the interval excludes zero in the expected direction (None if untested)."""
        if self.check.direction is None:
            return None
        if math.isnan(self.ci_low) or math.isnan(self.ci_high):
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
    return rows.groupby("replicate")[measure.metric].mean().astype("float64")


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
    from sim.analysis.compare import mean_interval

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
        mean, low, high = mean_interval(differences, confidence)
        estimates[check.key] = Estimate(check, differences, mean, low, high, confidence)
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
    from sim.scenarios import load

    chosen = load("baseline") if base is None else base
    regimes: dict[str, Regime] = {}
    for item in facts:
        for regime in item.regimes:
            known = regimes.setdefault(regime.name, regime)
            if known != regime:
                raise InputError(f"two different regimes are named {regime.name!r}")
    return [regime.scenario(chosen) for regime in regimes.values()]


# ---------------------------------------------------------------------------
# Running and reporting
# ---------------------------------------------------------------------------


@dataclass
class Validation:
    """The evaluated facts of one validation run, with its settings.

    Attributes:
        results: one per fact, in brief order.
        replicates: runs per regime.
        population: cadres per run.
        steps: months per run.
        root_seed: root of the replicate seeds.
        settings: parameters changed for every regime (``--set``).
        confidence: level of the intervals.
        out: the results folder, if kept.
        failed_runs: runs that raised (none if the batch went well).

    """

    results: list[FactResult]
    replicates: int
    population: int | None
    steps: int
    root_seed: int
    settings: dict[str, Any]
    confidence: float = CONFIDENCE
    out: Path | None = None
    failed_runs: int = 0

    @property
    def passed(self) -> bool:
        """Every fact passes and no run failed."""
        return self.failed_runs == 0 and all(r.passed for r in self.results)

    def describe(self) -> str:
        """How the numbers were computed, in one paragraph."""
        level = f"{self.confidence * 100:g}%"
        size = f"{self.replicates} replicates x "
        size += f"{self.population} cadres x " if self.population else ""
        size += f"{self.steps} months"
        changed = (
            "; every regime with " + ", ".join(f"{k} = {v}" for k, v in self.settings.items())
            if self.settings
            else ""
        )
        return (
            f"Stylized facts of the model brief: {size}, root seed {self.root_seed}{changed}. "
            "Regimes are paired by replicate (replicate k of every regime shares its seed). "
            f"'difference' is the mean paired difference (first side minus second) of each "
            f"run's mean over the months shown, with its {level} t-interval; a check passes "
            "when the interval excludes zero in the expected direction, a fact when all its "
            "checks and conditions do."
        )

    def table(self) -> pd.DataFrame:
        """One row per check and condition of every fact."""
        rows: list[dict[str, Any]] = []
        for result in self.results:
            item = result.fact
            for check in item.checks:
                estimate = result.contrast(check.key)
                rows.append(
                    {
                        "fact": item.id,
                        "title": item.title,
                        "kind": "check" if check.direction else "reported",
                        "key": check.key,
                        "claim": check.claim,
                        "compared": check.compared(self.steps),
                        "first": check.alt.describe(self.steps),
                        "second": check.base.describe(self.steps),
                        "metric": check.alt.metric
                        if check.alt.metric == check.base.metric
                        else f"{check.alt.metric} - {check.base.metric}",
                        "months": check.months(self.steps),
                        "expected": check.direction or "",
                        "n": estimate.n,
                        "difference": estimate.mean,
                        "ci_low": estimate.ci_low,
                        "ci_high": estimate.ci_high,
                        "t": estimate.t,
                        "p_value": estimate.p_value,
                        "detail": "",
                        "passed": estimate.passed,
                        "fact_passed": result.passed,
                    }
                )
            for condition in item.conditions:
                rows.append(
                    {
                        "fact": item.id,
                        "title": item.title,
                        "kind": "condition",
                        "key": condition.key,
                        "claim": condition.claim,
                        "compared": "",
                        "first": "",
                        "second": "",
                        "metric": "",
                        "months": "",
                        "expected": "holds",
                        "n": math.nan,
                        "difference": math.nan,
                        "ci_low": math.nan,
                        "ci_high": math.nan,
                        "t": math.nan,
                        "p_value": math.nan,
                        "detail": result.details[condition.key],
                        "passed": result.conditions[condition.key],
                        "fact_passed": result.passed,
                    }
                )
        return pd.DataFrame.from_records(rows)

    def to_text(self) -> str:
        """The table as aligned plain text, one block per fact."""
        level = f"{self.confidence * 100:g}% CI"
        header = ["check", "regimes compared", "metric", "months", "difference", level, "result"]
        blocks = []
        for result in self.results:
            item = result.fact
            verdict = "PASS" if result.passed else "FAIL"
            body: list[list[str]] = []
            for check in item.checks:
                estimate = result.contrast(check.key)
                body.append(
                    [
                        check.claim,
                        check.compared(self.steps),
                        check.alt.metric
                        if check.alt.metric == check.base.metric
                        else f"{check.alt.metric} - {check.base.metric}",
                        check.months(self.steps),
                        _num(estimate.mean),
                        f"[{_num(estimate.ci_low)}, {_num(estimate.ci_high)}]",
                        _verdict(estimate.passed),
                    ]
                )
            widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
            lines = [f"fact {item.id}  {verdict}  {item.wording}"]
            for cells in [header, *body]:
                lines.append(
                    "  "
                    + "  ".join(
                        cell.rjust(width) if index in (4, 5) else cell.ljust(width)
                        for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
                    ).rstrip()
                )
            for condition in item.conditions:
                holds = "holds" if result.conditions[condition.key] else "FAILS"
                lines.append(
                    f"  condition: {condition.claim} ({result.details[condition.key]}): {holds}"
                )
            blocks.append("\n".join(lines))
        passed = sum(r.passed for r in self.results)
        summary = f"{passed} of {len(self.results)} stylized facts pass"
        if self.failed_runs:
            summary += f"; {self.failed_runs} run(s) failed"
        return "\n\n".join(blocks) + f"\n\n{summary}\n"

    def to_markdown(self) -> str:
        """The report as Markdown: method, then one table per fact."""
        level = f"{self.confidence * 100:g}% CI"
        out = ["# Stylized facts", "", self.describe(), ""]
        for result in self.results:
            item = result.fact
            out += [
                f"## Fact {item.id}: {item.title} — {'pass' if result.passed else 'FAIL'}",
                "",
                f"> {item.wording}",
                "",
                f"| check | regimes compared | metric | months | difference | {level} | result |",
                "|---|---|---|---|---:|---:|---|",
            ]
            for check in item.checks:
                estimate = result.contrast(check.key)
                metric = (
                    check.alt.metric
                    if check.alt.metric == check.base.metric
                    else f"{check.alt.metric} - {check.base.metric}"
                )
                out.append(
                    f"| {check.claim} | {check.compared(self.steps)} | `{metric}` | "
                    f"{check.months(self.steps)} | {_num(estimate.mean)} | "
                    f"[{_num(estimate.ci_low)}, {_num(estimate.ci_high)}] | "
                    f"{_verdict(estimate.passed)} |"
                )
            for condition in item.conditions:
                holds = "holds" if result.conditions[condition.key] else "**fails**"
                out.append(
                    f"| {condition.claim} | | | | {result.details[condition.key]} | | {holds} |"
                )
            out.append("")
        regimes = {r.name: r for res in self.results for r in res.fact.regimes}
        out += ["## Regimes", ""]
        for regime in regimes.values():
            changes = ", ".join(f"`{k}` = {v}" for k, v in regime.overrides.items())
            for entry in regime.timeline:
                months = (
                    f"months {entry['from']}-{entry['until'] - 1}"
                    if "from" in entry
                    else (f"from month {entry['at']}")
                )
                settings = ", ".join(f"`{k}` = {v}" for k, v in entry["set"].items())
                changes += ("; " if changes else "") + f"{months}: {settings}"
            out.append(
                f"- `{regime.name}`: {regime.description}" + (f" ({changes})" if changes else "")
            )
        out.append("")
        return "\n".join(out)

    def write(self, folder: str | os.PathLike[str]) -> list[Path]:
        """Write ``validation.csv`` and ``validation.md`` into ``folder``."""
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        csv_file = target / "validation.csv"
        table = self.table()
        table["confidence"] = self.confidence
        table.to_csv(csv_file, index=False)
        md_file = target / "validation.md"
        md_file.write_text(self.to_markdown(), encoding="utf-8")
        return [csv_file, md_file]


def _num(value: float) -> str:
    """A number with 4 significant digits, '-' if missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.4g}"


def _verdict(passed: bool | None) -> str:
    """``pass``, ``FAIL`` or ``(reported)``."""
    if passed is None:
        return "(reported)"
    return "pass" if passed else "FAIL"


def run(
    facts: Sequence[Fact] = FACTS,
    *,
    replicates: int = DEFAULT_REPLICATES,
    population: int | None = DEFAULT_POPULATION,
    steps: int = DEFAULT_STEPS,
    root_seed: int = 0,
    overrides: Mapping[str, Any] | None = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
    executor: str | cf.Executor = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | None = None,
    command: Sequence[str] | None = None,
    confidence: float = CONFIDENCE,
) -> Validation:
    """Run the regimes of ``facts`` through :func:`sim.batch.run_batch` and evaluate them.

    Args:
        facts: the facts to judge (default: all eight).
        replicates: runs per regime, paired across regimes by seed.
        population: cadres per run (None: the baseline's).
        steps: months per run.
        root_seed: root of the replicate seeds.
        overrides: parameters changed in the baseline under every regime
            (``--set``); each regime's own changes apply on top.
        out: results folder for the batch and the report (default: a
            temporary folder, removed at the end).
        resume: continue the batch in ``out``.
        executor: ``process``, ``serial``, ``dask`` or an Executor.
        workers: worker processes.
        scheduler: a Dask scheduler address.
        progress: show a progress bar (default: only on a terminal).
        command: the command line, recorded in the batch manifest.
        confidence: level of the intervals.

    Raises:
        InputError: bad sizes or overrides, runs too short for a fact.

    """
    from sim.runs import store
    from sim.runs.batch import run_batch
    from sim.scenarios import load

    chosen = tuple(facts)
    if not chosen:
        raise InputError("no stylized facts chosen")
    too_short = [item for item in chosen if steps < item.needs_steps]
    if too_short:
        problems = [
            f"--steps {steps}: stylized fact {item.id} needs runs of at least "
            f"{item.needs_steps} months (its windows reach month {item.needs_steps})"
            for item in too_short
        ]
        raise InputError(problems[0], problems=problems)
    base = load("baseline")
    settings: dict[str, Any] = {}
    if overrides:
        base = base.with_overrides(dict(overrides), name=base.name, origin="--set")
        settings = {name: base.params[name] for name in overrides}
    scenarios = regime_scenarios(chosen, base)
    metrics = tuple(dict.fromkeys(m for item in chosen for m in item.metrics))
    with tempfile.TemporaryDirectory(prefix="cadre-sim-validate-") as scratch:
        folder = Path(out) if out is not None else Path(scratch) / "runs"
        summary = run_batch(
            scenarios,
            replicates,
            steps=steps,
            root_seed=root_seed,
            out=folder,
            executor=executor,
            workers=workers,
            scheduler=scheduler,
            resume=resume,
            population=population,
            summary_metrics=("flat_share",),
            summary_window=min(12, steps),
            progress=progress,
            command=command,
        )
        frame = store.load(folder, columns=list(metrics))
    results = [evaluate(item, frame, steps, confidence) for item in chosen]
    return Validation(
        results=results,
        replicates=replicates,
        population=population,
        steps=steps,
        root_seed=root_seed,
        settings=settings,
        confidence=confidence,
        out=Path(out).resolve() if out is not None else None,
        failed_runs=int(summary.failed),
    )
