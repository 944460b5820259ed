"""The cadre model: a Mesa model that composes the processes of :mod:`sim.model.processes`.

One step is one month. Each month every serving cadre chooses a work state
(active, routine, flat) by noisy logit choice; work produces public value,
innovations and honest mistakes; true and false reports reach the discipline
channel and open investigations; concluded cases go through fault-tolerance
review, clarification and the punishment of false accusers; beliefs,
idealism, reputation and deterrence update. Once a year (every 12th month)
cadres are evaluated, the unfit demoted, the oldest retire, staffing cuts
abolish vacant posts, and the remaining vacancies are filled by promotion and
recruitment. The full description, with equations, is ``docs/ODD.md``.

:class:`CadreModel` holds the state (:mod:`sim.model.state`), calls the
processes in schedule order, keeps the Mesa agents in step with the
population's rows and collects the outputs (:mod:`sim.model.outputs`). All
randomness comes from the model's generator ``self.rng``, so the same
parameters and seed give the same output, bit for bit.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

import mesa
import numpy as np
import pandas as pd

from sim.errors import hint
from sim.model import state
from sim.model.agents import AGENT_REPORTERS, Cadre
from sim.model.outputs import month_outputs, output_names, read_output, series_frame
from sim.model.processes import annual, initial, reports, work
from sim.model.processes.month import advance_month
from sim.model.stacking import Runs
from sim.model.state import FloatArray, IntArray, Organisation, Population, build_organisation
from sim.parameters import registry as P
from sim.parameters.timeline import PolicyChange, Schedule, coerce_timeline, switch_months
from sim.parameters.values import Params

__all__ = ["CadreModel"]

#: A month's event counts, by output name (see :data:`sim.model.EVENT_COUNTS`).
Events = dict[str, int]


def _params_from_kwargs(kwargs: Mapping[str, Any]) -> Params:
    """Validated parameters from ``group_key`` keyword arguments; the rest default.

    Raises:
        TypeError: an unknown keyword (with the closest known one, if any).
        ValueError: a value of the wrong type or out of range.

    """
    for kwarg in kwargs:
        try:
            P.by_kwarg(kwarg)
        except KeyError:
            extra = hint(kwarg, [p.kwarg for p in P.PARAMS])
            raise TypeError(f"CadreModel got an unknown parameter {kwarg!r}{extra}") from None
    return Params.from_kwargs(kwargs)


class CadreModel(mesa.Model):
    """Cadres in a pyramid choosing active, routine or flat work each month.

    Every parameter of :data:`sim.parameters.registry.PARAMS` is a
    keyword-only argument named ``group_key`` (e.g.
    ``fault_tolerance_coverage=0.6``) with its registry default, so
    ``mesa.batch_run`` and SolaraViz can drive the model directly; numpy
    numbers are accepted. The signature is generated from the registry.

    Args:
        rng: seed or generator for all randomness (Mesa's ``rng``; numpy
            integers are accepted as seeds).
        timeline: policy changes (:class:`sim.parameters.timeline.PolicyChange`
            or dicts with ``at`` or ``from``/``until`` and ``set``).
        collect_agents: also record agent-level data every month (costly).
        **params: parameter values by keyword name.

    Raises:
        TypeError: an unknown keyword argument.
        ValueError: a parameter value of the wrong type or out of range.

    Attributes:
        base_params: the parameters built from the keyword arguments
            (:class:`sim.parameters.values.Params`).
        params: the parameters in force this month (``base_params`` with the
            timeline's active changes); ``params.group.key`` or
            ``params["group.key"]``.
        timeline: the policy changes, in order (later ones win).
        policy_marks: ``(month, label)`` of every policy switch, for charts.
        org: the organisation's posts (:class:`~sim.model.state.Organisation`).
        pop: every cadre's state (:class:`~sim.model.state.Population`).
        initial_headcount: posts (and serving cadres) at the start.
        deterrence: would-be false accusers' perceived risk of punishment.
        unfit_rate: the perceived chance of being judged unfit after a year
            spent in each state (active, routine, flat), common to all cadres.
        promotion_rate: the last evaluation's promotion rate at each level
            among the eligible (what recruits believe; None before any).
        outputs: this month's outputs, by name.
        output_names: every output this model reports, in column order.

    """

    def __init__(
        self,
        *,
        rng: Any = None,
        timeline: Iterable[PolicyChange | Mapping[str, Any]] | None = None,
        collect_agents: bool = False,
        **params: Any,
    ) -> None:
        """Build the organisation, the cadres and their initial beliefs; warm up; record month 0."""
        # Mesa seeds its stdlib generator with an integer seed as given, which
        # must be a plain int; the numpy generator is the same either way
        super().__init__(rng=int(rng) if isinstance(rng, np.integer) else rng)
        self.base_params: Params = _params_from_kwargs(params)
        self._schedule = Schedule(self.base_params, coerce_timeline(timeline))
        self.timeline: tuple[PolicyChange, ...] = self._schedule.timeline
        self.policy_marks: list[tuple[int, str]] = switch_months(self.timeline)
        self.params: Params = self._schedule.at(0)
        self._params_by_month: list[Params] = [self.params]
        self.collect_agents = collect_agents

        prm = self.params
        self.org: Organisation = build_organisation(
            prm.workforce.population, prm.workforce.levels, prm.career.span
        )
        self.initial_headcount: int = self.org.n_posts
        self.pop: Population = Population.empty(self.org.n_posts)
        self._runs = Runs.single(self.org.n_posts, self.org.n_units)
        self._cadres: list[Cadre | None] = [None] * self.org.n_posts
        self.deterrence: float = reports.deterrence_target(
            prm.crackdown.trace_probability, prm.clarification.typical_cases
        )
        (start,) = initial.initialise_population(
            self.pop, self.org, self._runs, prm, [self.deterrence], [self.rng]
        )
        self.unfit_rate: FloatArray = start.unfit_rate
        self.promotion_rate: FloatArray | None = start.promotion_rate
        self._add_agents(np.flatnonzero(self.pop.alive))
        public_value = work.initial_public_value(self.pop)
        # warm-up: months 1 - warmup_months .. 0, unrecorded, so that the annual
        # evaluation falls on the same calendar month as in the recorded run
        for month in range(1 - prm.simulation.warmup_months, 1):
            _, public_value = self._advance(month)

        self.output_names: tuple[str, ...] = output_names(self.org.n_levels)
        self.datacollector = mesa.DataCollector(
            model_reporters={name: partial(read_output, name=name) for name in self.output_names},
            agent_reporters=AGENT_REPORTERS if collect_agents else None,
        )
        self.outputs: dict[str, float] = {}
        self._record({}, public_value)  # month 0 is a state, not a flow

    # ------------------------------------------------------------------
    # public helpers
    # ------------------------------------------------------------------
    @property
    def month(self) -> int:
        """The current month (0 before the first step)."""
        return int(self.steps)

    @property
    def workload(self) -> float:
        """Work per serving cadre relative to the start (staffing cuts raise it)."""
        return state.workload(self.pop, self.initial_headcount)

    def cadre_at(self, row: int) -> Cadre | None:
        """The agent owning population row ``row`` (None if the slot is empty)."""
        return self._cadres[row]

    def level_of_rows(self) -> IntArray:
        """Level (0 = bottom) of each population row."""
        return self.org.post_level[self.pop.post]

    def unit_of_rows(self) -> IntArray:
        """Work unit of each population row."""
        return self.org.post_unit[self.pop.post]

    def superior_rows(self) -> IntArray:
        """Population row of each cadre's superior (-1 for none or vacant)."""
        return state.superior_rows(self.pop, self.org)

    def status_codes(self) -> IntArray:
        """:class:`~sim.model.agents.Status` of each row as integers."""
        return state.status_codes(self.pop, self.month)

    def run(self, steps: int) -> None:
        """Advance the model ``steps`` months."""
        for _ in range(steps):
            self.step()

    def timeseries(self) -> pd.DataFrame:
        """Outputs per month (0 = initial state), then each timeline parameter's in-force value.

        There is one parameter column (named ``group.key``, in sorted order)
        for every parameter some timeline change sets, including changes
        added by :meth:`schedule_change`.
        """
        return series_frame(
            self.datacollector.model_vars, self._params_by_month, self._schedule.changed_names()
        )

    def agent_records(self) -> pd.DataFrame:
        """Agent-level records (only when built with ``collect_agents=True``)."""
        if not self.collect_agents:
            raise RuntimeError("agent records were not collected: build with collect_agents=True")
        return self.datacollector.get_agent_vars_dataframe()

    def schedule_change(self, settings: Mapping[str, Any], label: str = "") -> PolicyChange:
        """Change some parameters permanently from next month on; returns the change.

        ``settings`` maps dotted names (``"fault_tolerance.coverage"``) to
        values. The change is appended to :attr:`timeline` (so it wins over
        earlier entries) starting at ``month + 1``, :attr:`policy_marks` gains
        its mark, and :meth:`timeseries` gets a column for each parameter it
        sets, whose earlier months hold the values that were in force.

        Raises:
            ValueError: no settings, an unknown name, a structural parameter
                (fixed at the start) or a bad value.

        """
        if not settings:
            raise ValueError("a policy change needs at least one setting")
        change = PolicyChange(self.month + 1, None, dict(settings), str(label))
        self._schedule.add(change)
        self.timeline = self._schedule.timeline
        self.policy_marks = switch_months(self.timeline)
        return change

    # ------------------------------------------------------------------
    # one month
    # ------------------------------------------------------------------
    def step(self) -> None:
        """Advance one month: the parameters in force, the processes, the outputs."""
        month = self.month
        self.params = self._schedule.at(month)
        self._params_by_month.append(self.params)
        events, public_value = self._advance(month)
        self._record(events, public_value)

    def _advance(self, month: int) -> tuple[Events, float]:
        """The month's processes in schedule order, under ``self.params`` (ODD section 3).

        Returns the month's event counts and its public value per cadre.
        """
        month_ = advance_month(
            self.pop,
            self.org,
            self._runs,
            self.params,
            month,
            self.initial_headcount,
            [self.deterrence],
            [self.unfit_rate],
            [self.rng],
        )
        self.deterrence = month_.deterrence[0]
        events = month_.events[0]
        # 7. the annual evaluation
        if month % 12 == 0:
            events.update(self._annual_evaluation(month))
        return events, month_.public_value[0]

    def _annual_evaluation(self, month: int) -> Events:
        """The annual evaluation (ODD 7.14, :mod:`~sim.model.processes.annual`); its counts."""
        (year_end,) = annual.annual_evaluation(
            self.pop,
            self.org,
            self._runs,
            self.params,
            month,
            [self.unfit_rate],
            [self.deterrence],
            [self.rng],
        )
        self.unfit_rate, self.promotion_rate = year_end.unfit_rate, year_end.promotion_rate
        self._remove_agents(year_end.retired)
        self._add_agents(year_end.recruited)
        return year_end.counts

    def _record(self, events: Mapping[str, int], public_value: float) -> None:
        """Compute this month's outputs into :attr:`outputs` and collect them."""
        self.outputs = month_outputs(
            self.pop, self.org, self.month, events, public_value, self.deterrence
        )
        self.datacollector.collect(self)

    # ------------------------------------------------------------------
    # agents follow the population's rows
    # ------------------------------------------------------------------
    def _add_agents(self, rows: IntArray) -> None:
        """A new :class:`Cadre` agent for each of ``rows`` (new cadres)."""
        for row in rows:
            self._cadres[row] = Cadre(self, int(row))

    def _remove_agents(self, rows: IntArray) -> None:
        """Remove the agents of ``rows`` (cadres who left) from the model."""
        for row in rows:
            agent = self._cadres[row]
            if agent is not None:
                agent.remove()
                self._cadres[row] = None


def _init_signature() -> inspect.Signature:
    """``CadreModel.__init__``'s signature: the model's options, then every registry parameter."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    options = [
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("rng", keyword, default=None, annotation=Any),
        inspect.Parameter(
            "timeline",
            keyword,
            default=None,
            annotation=Iterable[PolicyChange | Mapping[str, Any]] | None,
        ),
        inspect.Parameter("collect_agents", keyword, default=False, annotation=bool),
    ]
    parameters = [
        inspect.Parameter(p.kwarg, keyword, default=p.default, annotation=p.type) for p in P.PARAMS
    ]
    return inspect.Signature([*options, *parameters], return_annotation=None)


CadreModel.__init__.__signature__ = _init_signature()  # type: ignore[attr-defined]
