"""The building blocks of a stylized fact: regimes, windows, measures, checks, conditions.

A :class:`Fact` compares :class:`Regime` s (the baseline with some parameters
and a timeline changed). Each :class:`Check` is a paired difference of two
:class:`Measure` s (a regime's metric averaged over a :class:`Window` of
months) with the direction the brief expects; each :class:`Condition` is an
extra requirement evaluated on the fact's evidence.

Windows are months ``first..last`` inclusive, counted from month 1 (the
first step); :meth:`Window.final` counts from the end of the run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from sim.scenarios import Scenario

if TYPE_CHECKING:
    from sim.analysis.validation.evaluation import FactResult

__all__ = [
    "DERIVED_METRICS",
    "Check",
    "Condition",
    "Direction",
    "Fact",
    "Measure",
    "Regime",
    "Window",
]

Direction = Literal["up", "down"]

#: Metrics computed from two outputs, month by month: name -> (first, second),
#: the metric being ``first - second``.
DERIVED_METRICS: Mapping[str, tuple[str, str]] = {
    "flat_rank_gap": ("flat_share_upper", "flat_share_level1"),
}


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

    @property
    def metric(self) -> str:
        """The metric compared, or ``alt_metric - base_metric`` when the sides differ."""
        if self.alt.metric == self.base.metric:
            return self.alt.metric
        return f"{self.alt.metric} - {self.base.metric}"

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
        id: its number in the brief (1-9).
        title: a short title.
        wording: the brief's wording.
        checks: paired differences with expected directions.
        measures: per-replicate measures used by conditions, by key.
        conditions: extra requirements (second clauses).
        min_steps: the shortest run (months) the fact can be judged on.
        min_population: the fewest cadres per run the fact can be judged on.

    """

    id: int
    title: str
    wording: str
    checks: tuple[Check, ...]
    measures: Mapping[str, Measure] = field(default_factory=dict)
    conditions: tuple[Condition, ...] = ()
    min_steps: int = 1
    min_population: int = 0

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
        """Every output the fact reads (the outputs a derived metric is computed from)."""
        sides = [m for c in self.checks for m in (c.base, c.alt)] + list(self.measures.values())
        names = [part for m in sides for part in DERIVED_METRICS.get(m.metric, (m.metric,))]
        return tuple(dict.fromkeys(names))

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
