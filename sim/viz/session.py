"""What one browser session runs: a single run, or an ensemble against a comparison.

A :class:`Session` holds one or two :class:`Side` objects, each a list of
models of one scenario that step together:

* single-run mode: one model of the chosen scenario, seeded with the seed;
* ensemble mode: K replicates of the chosen scenario and K of a comparison
  scenario (the baseline by default), replicate ``k`` of both seeded with
  :func:`sim.runs.batch.replicate_seed` of the seed (common random numbers,
  as in a batch), so their differences are paired. The comparison side
  takes the chosen side's structural settings (headcount, levels, span,
  warm-up), so the two organisations are alike.

Policy levers moved during a run are live changes: they wait in
:attr:`Session.pending` until the next Step, which applies them to every
model of the chosen side through :meth:`CadreModel.schedule_change` (from
that month on, marked on the charts), never to the comparison side. The
structural settings and the seed (:data:`START_SETTINGS`) take effect only
when a new session is built (Reset).

Each side records its models' outputs every month, so the ensemble's means
and 95% intervals (:func:`sim.analysis.compare.mean_interval`, the same
statistic as ``cadre-sim compare``) are computed once per month and cached.
No Solara here: the session is plain Python, tested without a browser.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.analysis.stats import CONFIDENCE, mean_interval
from sim.model import CadreModel
from sim.parameters import registry as P
from sim.parameters.timeline import PolicyChange
from sim.parameters.values import coerce_value
from sim.runs.batch import replicate_seed
from sim.scenarios import Scenario
from sim.viz.inspector import CadreRecorder
from sim.viz.style import format_value

__all__ = [
    "CHOSEN",
    "COMPARISON",
    "CONFIDENCE",
    "DEFAULT_REPLICATES",
    "DEFAULT_SEED",
    "DIFFERENCE",
    "HEADCOUNT_RANGE",
    "REPLICATE_RANGE",
    "START_SETTINGS",
    "Band",
    "RunSettings",
    "Session",
    "Side",
    "change_label",
    "live_levers",
]

#: Seed of the first run of a session (the command line's default seed too).
DEFAULT_SEED = 1
#: Replicates per side in ensemble mode, by default and allowed.
DEFAULT_REPLICATES = 8
REPLICATE_RANGE: tuple[int, int] = (2, 16)
#: Headcount range in the browser: a view of millions of cadres would not
#: redraw interactively; batches handle those.
HEADCOUNT_RANGE: tuple[int, int] = (100, 5000)
#: Settings fixed when the models are built: they take effect on Reset.
START_SETTINGS: tuple[str, ...] = (
    "workforce.population",
    "workforce.levels",
    "career.span",
    "simulation.warmup_months",
)
#: Names of the two sides (as in exports) and of their paired difference.
CHOSEN, COMPARISON, DIFFERENCE = "chosen", "comparison", "difference"
#: Serial numbers of sessions (a chart's cache key: ``id()`` may be reused).
_SERIALS = itertools.count(1)


def live_levers() -> tuple[P.Param, ...]:
    """The policy levers that can change during a run (all but the structural ones)."""
    return tuple(p for p in P.levers() if not p.structural)


def change_label(settings: Mapping[str, Any]) -> str:
    """Chart label of a live change: ``"set coverage = 1"`` or ``"set 3 levers"``."""
    if len(settings) == 1:
        ((name, value),) = settings.items()
        return f"set {P.by_name(name).key.replace('_', ' ')} = {format_value(value)}"
    return f"set {len(settings)} levers"


def _clip_headcount(value: int) -> int:
    low, high = HEADCOUNT_RANGE
    return int(min(max(value, low), high))


@dataclass(frozen=True)
class RunSettings:
    """Everything a new session is built from (what Reset uses).

    Attributes:
        scenario: the chosen scenario (its timeline applies over ``values``).
        values: starting value of every parameter, by dotted name.
        seed: the seed (single run) or root seed (ensemble).
        ensemble: ensemble mode instead of a single run.
        replicates: replicates per side in ensemble mode.
        comparison: the comparison scenario of ensemble mode.

    """

    scenario: Scenario
    values: Mapping[str, Any]
    comparison: Scenario
    seed: int = DEFAULT_SEED
    ensemble: bool = False
    replicates: int = DEFAULT_REPLICATES

    @classmethod
    def for_scenario(cls, scenario: Scenario, comparison: Scenario, **options: Any) -> RunSettings:
        """Settings that run ``scenario`` at its own values (headcount clipped to the range)."""
        values = dict(scenario.params)
        values["workforce.population"] = _clip_headcount(int(values["workforce.population"]))
        return cls(scenario=scenario, values=values, comparison=comparison, **options)

    def with_values(self, values: Mapping[str, Any]) -> RunSettings:
        """A copy with some starting values replaced (each checked against its range)."""
        checked = {name: coerce_value(P.by_name(name), value) for name, value in values.items()}
        if "workforce.population" in checked:
            checked["workforce.population"] = _clip_headcount(checked["workforce.population"])
        return replace(self, values={**self.values, **checked})

    def seeds(self) -> list[int]:
        """The seed of each replicate: the seed itself for a single run."""
        if not self.ensemble:
            return [self.seed]
        return [replicate_seed(self.seed, k) for k in range(self.replicates)]


@dataclass
class Band:
    """Mean and 95% interval over replicates, per month.

    Attributes:
        mean: mean per month.
        low: lower end of the interval per month.
        high: upper end of the interval per month.

    """

    mean: list[float] = field(default_factory=list)
    low: list[float] = field(default_factory=list)
    high: list[float] = field(default_factory=list)

    def extend(self, values: NDArray[np.float64]) -> None:
        """Add the months of ``values`` (shape ``(months, replicates)``) not yet summarised."""
        for row in values[len(self.mean) :]:
            mean, low, high = mean_interval(row, CONFIDENCE)
            if math.isnan(low):  # one replicate: no interval, show the line
                low = high = mean
            self.mean.append(mean)
            self.low.append(low)
            self.high.append(high)


class Side:
    """Models of one scenario that step together, and their outputs every month.

    Args:
        scenario: the scenario (its timeline is the models' timeline).
        values: starting values by dotted name.
        seeds: one seed per model.

    Attributes:
        scenario: the scenario.
        seeds: the models' seeds.
        models: the models, one per seed.
        output_names: the outputs recorded, in column order.

    """

    def __init__(self, scenario: Scenario, values: Mapping[str, Any], seeds: list[int]) -> None:
        """Build one model per seed."""
        kwargs = {P.kwarg_of(name): value for name, value in values.items()}
        self.scenario = scenario
        self.seeds = list(seeds)
        self.models = [
            CadreModel(rng=seed, timeline=scenario.timeline, **kwargs) for seed in self.seeds
        ]
        self.output_names: tuple[str, ...] = self.models[0].output_names
        self._index = {name: i for i, name in enumerate(self.output_names)}
        self._history: list[NDArray[np.float64]] = []
        self.record()

    def record(self) -> None:
        """Store this month's outputs of every model (shape ``(replicates, outputs)``)."""
        self._history.append(
            np.array(
                [[m.outputs[name] for name in self.output_names] for m in self.models],
                dtype=np.float64,
            )
        )

    def step(self) -> None:
        """Advance every model one month and record their outputs."""
        for model in self.models:
            model.step()
        self.record()

    def values(self, metric: str) -> NDArray[np.float64]:
        """Output ``metric`` per month and replicate, shape ``(months, replicates)``."""
        column = self._index[metric]
        return np.array([month[:, column] for month in self._history])

    def schedule_change(self, settings: Mapping[str, Any], label: str) -> None:
        """Apply ``settings`` to every model from next month on."""
        for model in self.models:
            model.schedule_change(settings, label)


class Session:
    """One browser session's run: the chosen side, and the comparison side in ensemble mode.

    All reads and writes of the models go through :attr:`lock` (Play steps
    in a thread while the page redraws).

    Args:
        settings: what to build.

    Attributes:
        settings: what the session was built from.
        chosen: the chosen scenario's models.
        comparison: the comparison scenario's models (``None`` in single-run mode).
        pending: lever values waiting for the next Step, by dotted name.
        changes: the live changes applied so far, in order.
        recorder: per-month record of the inspected model's cadres.
        lock: held while stepping or drawing.
        serial: a number no other session of this process has.

    """

    def __init__(self, settings: RunSettings) -> None:
        """Build the models (may take a second or two for a large ensemble)."""
        self.settings = settings
        self.serial = next(_SERIALS)
        seeds = settings.seeds()
        self.chosen = Side(settings.scenario, settings.values, seeds)
        self.comparison: Side | None = None
        if settings.ensemble:
            start = {name: settings.values[name] for name in START_SETTINGS}
            values = {**settings.comparison.params, **start}
            self.comparison = Side(settings.comparison, values, seeds)
        self.pending: dict[str, Any] = {}
        self.changes: list[PolicyChange] = []
        self.recorder = CadreRecorder(self.inspected)
        self.lock = threading.RLock()
        self._bands: dict[tuple[str, str], Band] = {}

    # -- reading -----------------------------------------------------------
    @property
    def inspected(self) -> CadreModel:
        """The model shown in the organisation view and the inspector (chosen, replicate 1)."""
        return self.chosen.models[0]

    @property
    def month(self) -> int:
        """The current month (all models are at the same one)."""
        return self.inspected.month

    @property
    def ensemble(self) -> bool:
        """Whether this is an ensemble session."""
        return self.comparison is not None

    def in_force(self, name: str) -> Any:
        """The value of parameter ``name`` in force this month on the chosen side."""
        return self.inspected.params[name]

    def lever_value(self, name: str) -> Any:
        """What a lever's control shows: its pending value, else the value in force."""
        return self.pending.get(name, self.in_force(name))

    def marks(self) -> list[tuple[int, str]]:
        """Policy switches of the chosen side, plus the pending change at next month."""
        marks = list(self.inspected.policy_marks)
        if self.pending:
            marks.append((self.month + 1, change_label(self.pending) + " (next step)"))
        return sorted(marks)

    def user_values(self) -> dict[str, Any]:
        """The starting values with every live and pending change folded in (for Reset)."""
        values = dict(self.settings.values)
        for change in self.changes:
            values.update(change.settings)
        values.update(self.pending)
        return values

    # -- changing ------------------------------------------------------------
    def set_lever(self, name: str, value: Any) -> None:
        """Move lever ``name`` to ``value``: it applies from the next Step.

        Moving it back to the value in force cancels the pending change.

        Raises:
            ValueError: a structural parameter, an unknown one or a bad value.

        """
        param = P.by_name(name)
        if param.structural:
            raise ValueError(f"{name} is fixed at the start: it takes effect on Reset")
        checked = coerce_value(param, value)
        with self.lock:
            if checked == self.in_force(name):
                self.pending.pop(name, None)
            else:
                self.pending[name] = checked

    def step(self) -> None:
        """Apply the pending changes to the chosen side, then advance every model one month."""
        with self.lock:
            if self.pending:
                settings, self.pending = dict(self.pending), {}
                label = change_label(settings)
                self.chosen.schedule_change(settings, label)
                self.changes.append(self.inspected.timeline[-1])
            self.chosen.step()
            if self.comparison is not None:
                self.comparison.step()
            self.recorder.record()

    # -- ensemble statistics ---------------------------------------------------
    def band(self, metric: str, side: str) -> Band:
        """Mean and 95% interval of ``metric`` per month on one side, or of the difference.

        Args:
            metric: an output name.
            side: :data:`CHOSEN`, :data:`COMPARISON`, or :data:`DIFFERENCE` for
                the paired difference chosen - comparison (replicate by replicate).

        """
        with self.lock:
            key = (metric, side)
            band = self._bands.setdefault(key, Band())
            if side == CHOSEN:
                values = self.chosen.values(metric)
            elif self.comparison is None:
                raise ValueError("a single run has no comparison side")
            elif side == COMPARISON:
                values = self.comparison.values(metric)
            else:
                values = self.chosen.values(metric) - self.comparison.values(metric)
            band.extend(values)
            return band
