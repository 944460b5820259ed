"""The cadre model: a Mesa model composing the processes in :mod:`sim.processes`.

One step is one month. Each month every serving cadre chooses a work state
(active, routine, flat) by noisy logit choice; work produces public value,
innovations and honest mistakes; true and false reports reach the discipline
channel and open investigations; concluded cases go through fault-tolerance
review, clarification and the punishment of false accusers; beliefs,
idealism, reputation and deterrence update. Once a year (every 12th month)
cadres are evaluated, the unfit demoted, the oldest retire, staffing cuts
abolish vacant posts, and the remaining vacancies are filled by promotion and
recruitment.
The full description, with equations, is ``docs/ODD.md``.

The population's state is held in numpy arrays (:class:`Population`); each
:class:`~sim.agents.Cadre` agent owns one row. All randomness comes from the
model's generator ``self.rng``, so the same parameters and seed give the same
output, bit for bit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from functools import partial
from typing import Any

import mesa
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from sim.model import processes as proc
from sim.model.agents import Cadre, CaseKind, Orientation, Status, WorkState
from sim.parameters import registry as P
from sim.parameters.timeline import PolicyChange, coerce_timeline, params_at, switch_months

__all__ = ["OUTPUTS", "CadreModel", "Organisation", "Population", "build_organisation"]

ACTIVE, ROUTINE, FLAT = (int(s) for s in WorkState)
N_STATES = len(WorkState)

#: Age (years) at which cadres retire, and the range recruits join at.
RETIREMENT_AGE = 60.0
RECRUIT_AGE = (24.0, 32.0)
#: Reputation everyone drifts back to when nothing happens.
REPUTATION_BASELINE = 0.7
#: Public value of one innovation, in months of full-effort work of ability 1.
INNOVATION_VALUE = 1.0
#: Weight of reputation in the annual evaluation score (in standard deviations).
REPUTATION_SCORE_WEIGHT = 0.5
#: Monthly drift of long-run idealism with tenure (prosocial motivation decays
#: with tenure: Buurman, Delfgaauw, Dur & Van den Bossche 2012).
IDEALISM_TENURE_DECAY = 0.0005
#: Speed of belief updating per month (per observation weight; see processes.learn)
#: and, once a year, of beliefs about promotion and demotion rules.
BELIEF_SPEED = 0.15
ANNUAL_BELIEF_SPEED = 0.5
#: Silent decision rounds at initialisation (see CadreModel._initialise_population).
BURN_IN_ROUNDS = 12
#: Months after being cleared that a cadre counts as "recently cleared".
CLEARED_WINDOW = 12
#: Beta distributions of idealism for the two orientations (means 5/7 and 2/7).
IDEALISM_BETA = {Orientation.IDEALIST: (5.0, 2.0), Orientation.REALIST: (2.0, 5.0)}

#: Outputs that count events during the month (flows); the rest are states.
EVENT_COUNTS: tuple[str, ...] = (
    "innovations",
    "honest_mistakes",
    "exemptions",
    "true_reports",
    "false_reports",
    "false_reports_on_active",
    "wrongful_punishments",
    "punishments",
    "clarifications",
    "false_accusers_punished",
    "promotions",
    "demotions",
    "retirements",
    "recruits",
)

#: Outputs reported every month, in column order (by-level shares are added
#: per model because they depend on ``workforce.levels``).
OUTPUTS: tuple[str, ...] = (
    "flat_share",
    "active_share",
    "routine_share",
    "flat_share_realist",
    "flat_share_idealist",
    "active_share_realist",
    "active_share_idealist",
    "routine_share_realist",
    "routine_share_idealist",
    "mean_effort",
    "public_value",
    *EVENT_COUNTS,
    "headcount",
    "under_investigation",
    "mean_reputation",
    "reputation_cleared",
    "belief_exemption",
    "belief_false_accusation",
    "belief_promotion",
    "belief_vindication",
    "mean_idealism",
    "deterrence",
)


# --------------------------------------------------------------------------
# organisation
# --------------------------------------------------------------------------
@dataclass
class Organisation:
    """The pyramid of posts.

    Attributes:
        post_level: level of each post (0 = bottom).
        post_parent: index of the superior post (-1 for top posts).
        post_unit: work unit of each post: its superior post, or ``n_posts``
            for the top posts (the leadership forms one unit).
        post_holder: population row holding each post, or -1 if vacant.
        post_open: False for posts abolished by staffing cuts.
        level_sizes: posts per level at the start.

    """

    post_level: NDArray[np.int64]
    post_parent: NDArray[np.int64]
    post_unit: NDArray[np.int64]
    post_holder: NDArray[np.int64]
    post_open: NDArray[np.bool_]
    level_sizes: NDArray[np.int64]

    @property
    def n_posts(self) -> int:
        """Number of posts (open or not)."""
        return int(self.post_level.size)

    @property
    def n_levels(self) -> int:
        """Number of levels."""
        return int(self.level_sizes.size)

    @property
    def n_units(self) -> int:
        """Number of work units (posts can be superiors, plus the top unit)."""
        return self.n_posts + 1


def level_sizes(population: int, levels: int, span: int) -> NDArray[np.int64]:
    """Posts per level: a pyramid shrinking by ``span`` per level, summing to ``population``."""
    levels = max(1, min(levels, population))
    weights = float(span) ** -np.arange(levels)
    sizes = np.floor(population * weights / weights.sum()).astype(np.int64)
    sizes = np.maximum(sizes, 1)
    sizes[0] += population - sizes.sum()
    return sizes


def build_organisation(population: int, levels: int, span: int) -> Organisation:
    """Build the pyramid: each post's level, superior post and work unit."""
    sizes = level_sizes(population, levels, span)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    post_level = np.repeat(np.arange(sizes.size), sizes)
    post_parent = np.full(population, -1, dtype=np.int64)
    for lvl in range(sizes.size - 1):
        k = np.arange(sizes[lvl])
        post_parent[starts[lvl] : starts[lvl + 1]] = (
            starts[lvl + 1] + (k * sizes[lvl + 1]) // sizes[lvl]
        )
    post_unit = np.where(post_parent >= 0, post_parent, population)
    return Organisation(
        post_level=post_level,
        post_parent=post_parent,
        post_unit=post_unit,
        post_holder=np.arange(population, dtype=np.int64),
        post_open=np.ones(population, dtype=bool),
        level_sizes=sizes,
    )


# --------------------------------------------------------------------------
# population
# --------------------------------------------------------------------------
@dataclass
class Population:
    """Every cadre's state, one row per cadre slot (struct of arrays).

    A row is a slot: when a cadre leaves, its row is marked not ``alive`` and
    may be reused by a recruit (a new agent).
    """

    alive: NDArray[np.bool_]
    post: NDArray[np.int64]
    state: NDArray[np.int64]
    ability: NDArray[np.float64]
    risk_aversion: NDArray[np.float64]
    orientation: NDArray[np.int64]
    idealism: NDArray[np.float64]
    idealism_base: NDArray[np.float64]
    reputation: NDArray[np.float64]
    tenure: NDArray[np.int64]
    age: NDArray[np.float64]
    belief_exemption: NDArray[np.float64]
    belief_false: NDArray[np.float64]
    belief_promotion: NDArray[np.float64]
    belief_vindication: NDArray[np.float64]
    case_kind: NDArray[np.int64]
    case_months_left: NDArray[np.int64]
    reputation_at_case: NDArray[np.float64]
    punished_until: NDArray[np.int64]
    cleared_month: NDArray[np.int64]
    performance: NDArray[np.float64]
    active_months: NDArray[np.int64]
    flat_months: NDArray[np.int64]

    @classmethod
    def empty(cls, n: int) -> Population:
        """A population of ``n`` slots, all zero."""
        kinds = {f.name: f.type for f in fields(cls)}
        out = {}
        for name, kind in kinds.items():
            dtype = (
                bool if "bool" in str(kind) else (np.int64 if "int" in str(kind) else np.float64)
            )
            out[name] = np.zeros(n, dtype=dtype)
        return cls(**out)


def _read_output(model: CadreModel, name: str) -> float:
    """DataCollector reporter: this month's value of output ``name``."""
    return model.outputs[name]


# --------------------------------------------------------------------------
# the model
# --------------------------------------------------------------------------
class CadreModel(mesa.Model):
    """Cadres in a pyramid choosing active, routine or flat work each month.

    Every parameter in :mod:`sim.params` is a keyword argument named
    ``group_key`` (e.g. ``fault_tolerance_coverage=0.6``) with its default
    from there, so ``mesa.batch_run`` and SolaraViz can drive the model
    directly.

    Args:
        rng: seed or generator for all randomness (Mesa's ``rng``).
        timeline: policy changes (:class:`sim.timeline.PolicyChange` or dicts
            with ``at`` or ``from``/``until`` and ``set``).
        collect_agents: also record agent-level data every month (costly).
        **params: parameter values by keyword name.

    """

    def __init__(
        self,
        *,
        rng: Any = None,
        timeline: Iterable[PolicyChange | Mapping[str, Any]] | None = None,
        collect_agents: bool = False,
        **params: Any,
    ) -> None:
        """Build the organisation, the cadres and their initial beliefs."""
        super().__init__(rng=rng)
        self.base_params: dict[str, Any] = P.defaults()
        for kwarg, value in params.items():
            try:
                p = P.by_kwarg(kwarg)
            except KeyError:
                hint = P.suggest(kwarg, [q.kwarg for q in P.PARAMS])
                extra = f" (did you mean {hint!r}?)" if hint else ""
                raise TypeError(f"CadreModel got an unknown parameter {kwarg!r}{extra}") from None
            self.base_params[p.name] = p.check(value)
        self.timeline: tuple[PolicyChange, ...] = coerce_timeline(timeline)
        self.policy_marks: list[tuple[int, str]] = switch_months(self.timeline)
        self._timeline_names: list[str] = sorted(
            {name for change in self.timeline for name in change.settings}
        )
        self.params: dict[str, Any] = params_at(self.base_params, self.timeline, 0)
        self.collect_agents = collect_agents

        prm = self.params
        self.org = build_organisation(
            prm["workforce.population"], prm["workforce.levels"], prm["career.span"]
        )
        n = self.org.n_posts
        self.initial_headcount = n
        self.pop = Population.empty(n)
        self._cadres: list[Cadre | None] = [None] * n
        self.deterrence = proc.deterrence_target(
            prm["crackdown.trace_probability"], prm["clarification.typical_cases"]
        )
        self.outputs: dict[str, float] = {}
        self._events: dict[str, int] = {}
        self._initialise_population()
        self._public_value = float((self.pop.ability * proc.EFFORT[self.pop.state]).mean())
        self._warm_up(prm["simulation.warmup_months"])
        self._events = dict.fromkeys(EVENT_COUNTS, 0)  # month 0 is a state, not a flow

        levels = self.org.n_levels
        self.output_names: tuple[str, ...] = OUTPUTS + tuple(
            f"{share}_level{k}"
            for share in ("flat_share", "active_share")
            for k in range(1, levels + 1)
        )
        reporters = {name: partial(_read_output, name=name) for name in self.output_names}
        agent_reporters = AGENT_REPORTERS if collect_agents else None
        self.datacollector = mesa.DataCollector(
            model_reporters=reporters, agent_reporters=agent_reporters
        )
        self._param_history: dict[str, list[Any]] = {
            name: [self.params[name]] for name in self._timeline_names
        }
        self._compute_outputs()
        self.datacollector.collect(self)

    # ------------------------------------------------------------------
    # public helpers
    # ------------------------------------------------------------------
    @property
    def month(self) -> int:
        """The current month (0 before the first step)."""
        return int(self.steps)

    def cadre_at(self, row: int) -> Cadre | None:
        """The agent owning population row ``row`` (None if the slot is empty)."""
        return self._cadres[row]

    def level_of_rows(self) -> NDArray[np.int64]:
        """Level (0 = bottom) of each population row."""
        return self.org.post_level[self.pop.post]

    def unit_of_rows(self) -> NDArray[np.int64]:
        """Work unit of each population row."""
        return self.org.post_unit[self.pop.post]

    def superior_rows(self) -> NDArray[np.int64]:
        """Population row of each cadre's superior (-1 for none or vacant)."""
        parent = self.org.post_parent[self.pop.post]
        holder = self.org.post_holder[np.maximum(parent, 0)]
        return np.where((parent >= 0) & self.pop.alive, holder, -1)

    def status_codes(self) -> NDArray[np.int64]:
        """:class:`~sim.agents.Status` of each row as integers."""
        pop, month = self.pop, self.month
        status = np.full(pop.alive.size, int(Status.NORMAL), dtype=np.int64)
        status[month - pop.cleared_month < CLEARED_WINDOW] = int(Status.CLEARED)
        status[pop.punished_until > month] = int(Status.PUNISHED)
        status[pop.case_kind != int(CaseKind.NONE)] = int(Status.UNDER_INVESTIGATION)
        return status

    def run(self, steps: int) -> None:
        """Advance the model ``steps`` months."""
        for _ in range(steps):
            self.step()

    def timeseries(self) -> pd.DataFrame:
        """Outputs per month (0 = initial state) with in-force timeline parameters."""
        frame = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        frame.insert(0, "month", np.arange(len(frame), dtype=np.int64))
        for name, values in self._param_history.items():
            frame[name] = values
        return frame

    def agent_records(self) -> pd.DataFrame:
        """Agent-level records (only when built with ``collect_agents=True``)."""
        if not self.collect_agents:
            raise RuntimeError("agent records were not collected: build with collect_agents=True")
        return self.datacollector.get_agent_vars_dataframe()

    # ------------------------------------------------------------------
    # initialisation
    # ------------------------------------------------------------------
    def _draw_traits(self, rows: NDArray[np.int64]) -> None:
        """Draw ability, risk aversion, orientation and idealism for new cadres."""
        pop, rng, prm = self.pop, self.rng, self.params
        k = rows.size
        pop.ability[rows] = np.clip(rng.normal(1.0, 0.25, k), 0.3, 2.0)
        mean_ra = prm["behaviour.risk_aversion"]
        pop.risk_aversion[rows] = mean_ra * rng.lognormal(-0.045, 0.3, k)
        idealist = rng.random(k) < prm["workforce.idealist_share"]
        pop.orientation[rows] = np.where(
            idealist, int(Orientation.IDEALIST), int(Orientation.REALIST)
        )
        a_i, b_i = IDEALISM_BETA[Orientation.IDEALIST]
        a_r, b_r = IDEALISM_BETA[Orientation.REALIST]
        theta = np.where(idealist, rng.beta(a_i, b_i, k), rng.beta(a_r, b_r, k))
        pop.idealism[rows] = theta
        pop.idealism_base[rows] = theta
        pop.reputation[rows] = np.clip(REPUTATION_BASELINE + rng.normal(0.0, 0.05, k), 0.0, 1.0)
        pop.case_kind[rows] = int(CaseKind.NONE)
        pop.case_months_left[rows] = 0
        pop.punished_until[rows] = -1
        pop.cleared_month[rows] = -(10**6)
        pop.performance[rows] = 0.0
        pop.active_months[rows] = 0
        pop.flat_months[rows] = 0
        pop.tenure[rows] = 0
        pop.alive[rows] = True

    def _initial_beliefs(self, rows: NDArray[np.int64]) -> None:
        """Beliefs of new cadres: the regime in force, with individual noise."""
        pop, rng = self.pop, self.rng
        k = rows.size
        spread = rng.lognormal(0.0, 0.25, (4, k))
        truth = self._belief_truths()
        pop.belief_exemption[rows] = np.clip(truth["exemption"] * spread[0], 0.0, 1.0)
        pop.belief_false[rows] = np.clip(truth["false"] * spread[1], 0.0, 1.0)
        pop.belief_promotion[rows] = np.clip(
            truth["promotion"][self.org.post_level[pop.post[rows]]] * spread[2], 0.0, 1.0
        )
        pop.belief_vindication[rows] = np.clip(truth["vindication"] * spread[3], 0.0, 1.0)

    def _belief_truths(self) -> dict[str, Any]:
        """What the current regime really implies, for initial beliefs."""
        prm, pop = self.params, self.pop
        serving = pop.alive
        n = max(int(serving.sum()), 1)
        vis = proc.visibility(prm["accusation.visibility_active"])[pop.state]
        mean_vis = float(vis[serving].sum() / n) if serving.any() else 1.0
        rate = prm["accusation.false_report_rate"] * (
            1.0 - prm["crackdown.deterrence_strength"] * self.deterrence
        )
        return {
            "exemption": prm["fault_tolerance.coverage"] * prm["fault_tolerance.credibility"],
            "false": rate / max(mean_vis, 1e-9),
            "vindication": prm["accusation.investigation_accuracy"] * prm["clarification.coverage"],
            "promotion": self._expected_promotion_rates(),
        }

    def _expected_promotion_rates(self) -> NDArray[np.float64]:
        """Yearly promotion rate at each level (promotions per cadre), in steady state.

        Vacancies at level ``l + 1`` arise from retirements (about one cadre
        in ``RETIREMENT_AGE - mean recruit age`` a year) and from promotions
        out of it; each is filled from level ``l``.
        """
        sizes = self.org.level_sizes.astype(float)
        turnover = (
            1.0 / (RETIREMENT_AGE - np.mean(RECRUIT_AGE))
            if self.params["workforce.demography"]
            else 0.0
        )
        rates = np.zeros(sizes.size)
        outflow = np.zeros(sizes.size)
        for lvl in range(sizes.size - 2, -1, -1):
            vacancies = sizes[lvl + 1] * (turnover + outflow[lvl + 1])
            outflow[lvl] = vacancies / sizes[lvl]
            rates[lvl] = min(1.0, outflow[lvl])
        return rates

    def _initialise_population(self) -> None:
        """Fill every post, draw traits and ages, choose initial states and beliefs."""
        pop, rng, org = self.pop, self.rng, self.org
        rows = np.arange(org.n_posts, dtype=np.int64)
        pop.post[:] = rows
        self._draw_traits(rows)
        pop.age[:] = rng.uniform(RECRUIT_AGE[0], RETIREMENT_AGE, rows.size)
        months_served = 12.0 * np.maximum(pop.age - np.mean(RECRUIT_AGE), 0.0)
        pop.idealism_base *= (1.0 - IDEALISM_TENURE_DECAY) ** months_served
        pop.idealism[:] = pop.idealism_base
        pop.tenure[:] = rng.integers(0, 60, rows.size)
        pop.state[:] = ROUTINE
        self.unfit_rate = np.array([0.0, 0.0, 1.0])
        # burn-in: a year of silent choices (no events) so that month 0 starts
        # near the regime's quasi-steady state, with beliefs consistent with
        # the states they produce
        noise = self.params["behaviour.choice_noise"]
        for _ in range(BURN_IN_ROUNDS):
            self._initial_beliefs(rows)
            self.unfit_rate = self._expected_unfit_rates()
            u = self._utilities(self._decision_inputs())
            pop.state[:] = proc.choose_states(u, noise, rng.random(rows.size))
        self._initial_beliefs(rows)
        for row in rows:
            self._cadres[row] = Cadre(self, int(row))

    def _expected_unfit_rates(self) -> NDArray[np.float64]:
        """Chance of being judged unfit for a cadre whose year is spent in each state.

        Applies the real evaluation rule to a synthetic year in which every
        cadre keeps its current state: a flat cadre is unfit if detected
        (``demotion.detection``) or if its score is in the bottom
        ``demotion.bottom_share`` of its level; anyone else only by score.
        """
        pop, prm = self.pop, self.params
        alive = pop.alive
        level = self.org.post_level[pop.post]
        score = self._evaluation_scores(12.0 * pop.ability * proc.EFFORT[pop.state])
        bottom = self._bottom_of_levels(score, level).astype(float)
        detect = prm["demotion.detection"]
        p_unfit = np.where(pop.state == FLAT, detect + (1.0 - detect) * bottom, bottom)
        rates = np.zeros(N_STATES)
        for s in range(N_STATES):
            mask = alive & (pop.state == s)
            rates[s] = p_unfit[mask].mean() if mask.any() else (detect if s == FLAT else 0.0)
        return rates

    def _evaluation_scores(self, performance: NDArray[np.float64]) -> NDArray[np.float64]:
        """The annual evaluation score of every cadre, standardised within levels.

        ``performance_weight * z(performance) + (1 - performance_weight) *
        z(tenure) + REPUTATION_SCORE_WEIGHT * z(reputation) +
        evaluation_noise * N(0, 1)``.
        """
        pop, prm, org = self.pop, self.params, self.org
        alive, level, n_levels = pop.alive, org.post_level[pop.post], org.n_levels
        w = prm["career.performance_weight"]
        return (
            w * proc.within_group_zscore(performance, level, alive, n_levels)
            + (1.0 - w) * proc.within_group_zscore(pop.tenure.astype(float), level, alive, n_levels)
            + REPUTATION_SCORE_WEIGHT
            * proc.within_group_zscore(pop.reputation, level, alive, n_levels)
            + prm["career.evaluation_noise"] * self.rng.standard_normal(alive.size)
        )

    def _bottom_of_levels(
        self, score: NDArray[np.float64], level: NDArray[np.int64]
    ) -> NDArray[np.bool_]:
        """Serving cadres whose score is in the bottom ``demotion.bottom_share`` of their level."""
        alive = self.pop.alive
        bottom = np.zeros(alive.size, dtype=bool)
        share = self.params["demotion.bottom_share"]
        for lvl in range(self.org.n_levels):
            rows = np.flatnonzero(alive & (level == lvl))
            k = int(np.floor(share * rows.size))
            if k:
                bottom[rows[np.argsort(score[rows], kind="stable")[:k]]] = True
        return bottom

    # ------------------------------------------------------------------
    # the decision rule
    # ------------------------------------------------------------------
    def _decision_inputs(self) -> proc.DecisionInputs:
        prm = self.params
        return proc.DecisionInputs(
            service_motivation=prm["behaviour.service_motivation"],
            effort_cost=prm["behaviour.effort_cost"],
            workload=self._workload(),
            prize=prm["career.prize"],
            performance_weight=prm["career.performance_weight"],
            evaluation_noise=prm["career.evaluation_noise"],
            demotion_loss=prm["demotion.loss"],
            demotion_intensity=prm["demotion.intensity"],
            unfit_rate=self.unfit_rate,
            mistake_rate=prm["behaviour.mistake_rate"],
            mistake_report_prob=prm["accusation.mistake_report_prob"],
            exemption_relief=prm["fault_tolerance.mitigation"],
            severity=prm["discipline.severity"],
            investigation_months=prm["accusation.investigation_months"],
            investigation_harm=prm["accusation.investigation_harm"],
            investigation_accuracy=prm["accusation.investigation_accuracy"],
            reputation_damage=prm["accusation.reputation_damage"],
            restoration=prm["clarification.restoration"],
            visibility_active=prm["accusation.visibility_active"],
            habit=prm["behaviour.habit"],
            conformity=prm["behaviour.conformity"],
        )

    def _workload(self) -> float:
        """Work per cadre relative to the start: staffing cuts raise it."""
        serving = int(self.pop.alive.sum())
        return self.initial_headcount / serving if serving else 1.0

    def _norm_shares(self) -> NDArray[np.float64]:
        """The work norm a cadre sees: its unit's states (its own included) and its superior's."""
        pop, org = self.pop, self.org
        unit = org.post_unit[pop.post]
        alive = pop.alive
        counts = np.bincount(
            unit[alive] * N_STATES + pop.state[alive], minlength=org.n_units * N_STATES
        ).reshape(org.n_units, N_STATES)
        totals = counts.sum(axis=1, keepdims=True)
        shares = np.divide(
            counts, totals, out=np.full(counts.shape, 1.0 / N_STATES), where=totals > 0
        )
        norm = shares[unit]
        sup = self.superior_rows()
        has_sup = sup >= 0
        w = proc.SUPERIOR_NORM_WEIGHT
        norm[has_sup] *= 1.0 - w
        norm[has_sup, pop.state[sup[has_sup]]] += w
        return norm

    def _utilities(self, inputs: proc.DecisionInputs) -> NDArray[np.float64]:
        pop = self.pop
        return proc.state_utilities(
            ability=pop.ability,
            idealism=pop.idealism,
            risk_aversion=pop.risk_aversion,
            belief_exemption=pop.belief_exemption,
            belief_false=pop.belief_false,
            belief_promotion=pop.belief_promotion,
            belief_vindication=pop.belief_vindication,
            previous_state=pop.state,
            norm_shares=self._norm_shares(),
            d=inputs,
        )

    # ------------------------------------------------------------------
    # one month
    # ------------------------------------------------------------------
    def step(self) -> None:
        """Advance one month (see the module docstring for the schedule)."""
        month = self.month
        self.params = params_at(self.base_params, self.timeline, month)
        for name in self._timeline_names:
            self._param_history[name].append(self.params[name])
        self._advance(month)
        self._compute_outputs()
        self.datacollector.collect(self)

    def _warm_up(self, months: int) -> None:
        """Simulate ``months`` unrecorded months under the starting regime.

        They are numbered ``1 - months`` to ``0``, so the annual evaluation
        falls on the same calendar month as in the recorded run.
        """
        for month in range(1 - months, 1):
            self._advance(month)

    def _advance(self, month: int) -> None:
        """The month's processes, in schedule order, under ``self.params``."""
        ev = self._events = dict.fromkeys(EVENT_COUNTS, 0)
        prm, pop, rng = self.params, self.pop, self.rng
        alive = pop.alive
        n = alive.size
        draws = rng.random((7, n))

        # 1. decision
        pop.state[:] = proc.choose_states(
            self._utilities(self._decision_inputs()), prm["behaviour.choice_noise"], draws[0]
        )
        state = pop.state
        active = (state == ACTIVE) & alive

        # 2. work: public value, innovations, honest mistakes, misconduct
        workload = self._workload()
        output = pop.ability * proc.EFFORT[state]
        innovation = active & (draws[1] < prm["behaviour.innovation_rate"] * pop.ability)
        mistake_p = np.minimum(
            prm["behaviour.mistake_rate"] * workload * proc.MISTAKE_EXPOSURE[state], 1.0
        )
        mistake = alive & (draws[2] < mistake_p)
        misconduct = alive & (draws[3] < prm["discipline.misconduct_rate"])
        self._public_value = float(
            (output[alive].sum() + INNOVATION_VALUE * innovation.sum()) / max(int(alive.sum()), 1)
        )
        pop.performance += np.where(alive, output + INNOVATION_VALUE * innovation, 0.0)
        pop.active_months += active
        pop.flat_months += (state == FLAT) & alive
        ev["innovations"] = int(innovation.sum())
        ev["honest_mistakes"] = int(mistake.sum())

        # 3. reports
        mistake_reported = mistake & (draws[4] < prm["accusation.mistake_report_prob"])
        lam = proc.false_report_intensity(
            state=state,
            ability=pop.ability,
            alive=alive,
            base_rate=prm["accusation.false_report_rate"],
            deterrence=self.deterrence,
            deterrence_strength=prm["crackdown.deterrence_strength"],
            visibility_active=prm["accusation.visibility_active"],
            rival_share=prm["accusation.rival_share"],
        )
        false_report = alive & (draws[5] < lam)
        ev["true_reports"] = int(mistake_reported.sum() + misconduct.sum())
        ev["false_reports"] = int(false_report.sum())
        ev["false_reports_on_active"] = int((false_report & active).sum())

        # 4. open cases count down; concluded ones get their verdicts (a case of
        #    length L opened in month t ends in month t + L)
        self._conclude_cases(month)

        # 5. open investigations (one case at a time; misconduct > mistake > false)
        free = pop.case_kind == int(CaseKind.NONE)
        kind = np.zeros(n, dtype=np.int64)
        kind[false_report] = int(CaseKind.FALSE_REPORT)
        kind[mistake_reported] = int(CaseKind.HONEST_MISTAKE)
        kind[misconduct] = int(CaseKind.MISCONDUCT)
        opened = free & (kind > 0)
        opened_rows = np.flatnonzero(opened)
        pop.case_kind[opened_rows] = kind[opened_rows]
        pop.case_months_left[opened_rows] = rng.geometric(
            1.0 / prm["accusation.investigation_months"], opened_rows.size
        )
        pop.reputation_at_case[opened_rows] = pop.reputation[opened_rows]
        pop.reputation[opened_rows] *= 1.0 - prm["accusation.reputation_damage"]
        falsely_accused = opened & (kind == int(CaseKind.FALSE_REPORT))
        erosion = prm["behaviour.idealism_erosion"]
        pop.idealism[falsely_accused] *= 1.0 - 0.5 * erosion

        # 6. beliefs, idealism, reputation, deterrence
        self._learn_monthly(false_report, draws[6])
        recovery = prm["behaviour.idealism_recovery"]
        pop.idealism_base *= 1.0 - IDEALISM_TENURE_DECAY
        pop.idealism += recovery * (pop.idealism_base - pop.idealism)
        not_investigated = pop.case_kind == int(CaseKind.NONE)
        pop.reputation += np.where(
            not_investigated,
            prm["behaviour.reputation_recovery"] * (REPUTATION_BASELINE - pop.reputation),
            0.0,
        )
        self.deterrence = proc.update_deterrence(
            self.deterrence,
            proc.deterrence_target(
                prm["crackdown.trace_probability"], prm["clarification.typical_cases"]
            ),
            prm["crackdown.deterrence_build"],
            prm["crackdown.deterrence_fade"],
        )
        pop.tenure += alive
        if prm["workforce.demography"]:
            pop.age += alive / 12.0

        # 7. the annual evaluation
        if month % 12 == 0:
            self._annual_evaluation(month)

    def _conclude_cases(self, month: int) -> None:
        """Decrement open cases and hand down verdicts on those that end."""
        pop, prm, rng = self.pop, self.params, self.rng
        open_case = pop.case_kind != int(CaseKind.NONE)
        pop.case_months_left -= open_case
        ending = np.flatnonzero(open_case & (pop.case_months_left <= 0))
        self._concluded = {"false": np.empty(0, np.int64), "mistake": np.empty(0, np.int64)}
        self._verdicts = {}
        if ending.size == 0:
            return
        kind = pop.case_kind[ending]
        d = rng.random((3, ending.size))
        accuracy = prm["accusation.investigation_accuracy"]
        severity_months = prm["discipline.punishment_months"]
        erosion = prm["behaviour.idealism_erosion"]

        # false reports
        f = kind == int(CaseKind.FALSE_REPORT)
        rows_f = ending[f]
        cleared, clarified, accuser = proc.resolve_false_reports(
            d[0, f],
            d[1, f],
            d[2, f],
            accuracy,
            prm["clarification.coverage"],
            prm["crackdown.trace_probability"],
        )
        wrongful = rows_f[~cleared]
        restored = rows_f[clarified]
        pop.reputation[restored] += prm["clarification.restoration"] * np.maximum(
            pop.reputation_at_case[restored] - pop.reputation[restored], 0.0
        )
        # public clarification "eliminated the negative impact" (seed): the idealism
        # the false report cost returns with the reputation
        pop.idealism[restored] = np.maximum(pop.idealism[restored], pop.idealism_base[restored])
        pop.cleared_month[rows_f[cleared]] = month
        pop.idealism[wrongful] *= 1.0 - erosion

        # honest mistakes: fault-tolerance review
        m = kind == int(CaseKind.HONEST_MISTAKE)
        rows_m = ending[m]
        exempted = proc.review_mistakes(
            d[0, m], d[1, m], prm["fault_tolerance.coverage"], prm["fault_tolerance.credibility"]
        )
        relief = prm["fault_tolerance.mitigation"]
        months_m = np.where(
            exempted, np.round(severity_months * (1.0 - relief)), severity_months
        ).astype(np.int64)
        mistake_punished = rows_m[months_m > 0]
        months_m = months_m[months_m > 0]
        # being punished for an honest mistake is the bad experience behind
        # hidden withdrawal: it erodes idealism like a false accusation does
        pop.idealism[rows_m[~exempted]] *= 1.0 - 0.5 * erosion

        # misconduct
        c = kind == int(CaseKind.MISCONDUCT)
        rows_c = ending[c]
        guilty = proc.resolve_misconduct(d[0, c], accuracy)
        misconduct_punished = rows_c[guilty]

        punished = np.concatenate([wrongful, mistake_punished, misconduct_punished])
        months = np.concatenate(
            [
                np.full(wrongful.size, severity_months, dtype=np.int64),
                months_m,
                np.full(misconduct_punished.size, severity_months, dtype=np.int64),
            ]
        )
        pop.punished_until[punished] = month + months
        pop.reputation[punished] *= 1.0 - prm["accusation.reputation_damage"]
        pop.case_kind[ending] = int(CaseKind.NONE)
        pop.case_months_left[ending] = 0

        ev = self._events
        ev["wrongful_punishments"] += int(wrongful.size)
        ev["punishments"] += int(punished.size)
        ev["clarifications"] += int(clarified.sum())
        ev["false_accusers_punished"] += int(accuser.sum())
        ev["exemptions"] += int(exempted.sum())
        self._concluded = {"false": rows_f, "mistake": rows_m}
        self._verdicts = {"vindicated": clarified, "exempted": exempted}

    def _learn_monthly(
        self, false_report: NDArray[np.bool_], reach_draw: NDArray[np.float64]
    ) -> None:
        """Update beliefs from own experience, colleagues and public events."""
        pop, prm, org = self.pop, self.params, self.org
        alive = pop.alive
        n = alive.size
        unit = org.post_unit[pop.post]
        w_own, w_peer, w_pub = (
            prm["behaviour.learning_own"],
            prm["behaviour.learning_peer"],
            prm["behaviour.learning_public"],
        )

        # false accusations: a rate per unit of visibility
        vis = proc.visibility(prm["accusation.visibility_active"])[pop.state] * alive
        own_rate = false_report / np.maximum(vis, 1e-9)
        unit_reports = np.bincount(unit, weights=false_report.astype(float), minlength=org.n_units)
        unit_vis = np.bincount(unit, weights=vis, minlength=org.n_units)
        unit_rate = np.divide(
            unit_reports, unit_vis, out=np.zeros(org.n_units), where=unit_vis > 0
        )[unit]
        public_rate = false_report.sum() / max(vis.sum(), 1e-9)
        pop.belief_false = proc.learn(
            pop.belief_false,
            [(own_rate, w_own, alive), (unit_rate, w_peer, alive), (public_rate, w_pub, alive)],
            BELIEF_SPEED,
        )

        # conditional beliefs from concluded cases
        for key, belief_name, public_mask in (
            ("mistake", "belief_exemption", alive),
            ("false", "belief_vindication", alive & (reach_draw < prm["clarification.reach"])),
        ):
            rows = self._concluded[key]
            if rows.size == 0:
                continue
            outcome_key = "exempted" if key == "mistake" else "vindicated"
            outcome = np.zeros(n)
            outcome[rows] = self._verdicts[outcome_key]
            had_case = np.zeros(n, dtype=bool)
            had_case[rows] = True
            unit_mean, unit_count = proc.group_mean(unit, outcome, had_case, org.n_units)
            public_share = float(outcome[rows].mean())
            belief = getattr(pop, belief_name)
            setattr(
                pop,
                belief_name,
                proc.learn(
                    belief,
                    [
                        (outcome, w_own, had_case),
                        (unit_mean[unit], w_peer, alive & (unit_count[unit] > 0)),
                        (public_share, w_pub, public_mask),
                    ],
                    BELIEF_SPEED,
                ),
            )

    # ------------------------------------------------------------------
    # the annual evaluation
    # ------------------------------------------------------------------
    def _annual_evaluation(self, month: int) -> None:
        """Evaluate, demote, retire, promote, cut posts and recruit."""
        pop, prm, org, rng = self.pop, self.params, self.org, self.rng
        alive = pop.alive
        n_levels = org.n_levels
        level = org.post_level[pop.post]
        level_at_start = level.copy()
        n = alive.size

        score = self._evaluation_scores(pop.performance)
        # dominant state of the year, for the public record of who was judged unfit
        dominant = np.full(n, ROUTINE, dtype=np.int64)
        dominant[pop.active_months >= 6] = ACTIVE
        dominant[pop.flat_months >= 6] = FLAT

        # who is unfit: detected lying flat, or in the bottom share of scores
        draws = rng.random((2, n))
        bottom = self._bottom_of_levels(score, level)
        unfit = alive & ((pop.flat_months >= 6) & (draws[0] < prm["demotion.detection"]) | bottom)
        empirical = np.array(
            [
                unfit[alive & (dominant == s)].mean() if (alive & (dominant == s)).any() else np.nan
                for s in range(N_STATES)
            ]
        )
        known = ~np.isnan(empirical)
        self.unfit_rate[known] += ANNUAL_BELIEF_SPEED * (empirical[known] - self.unfit_rate[known])

        eligible = (
            alive
            & (pop.case_kind == int(CaseKind.NONE))
            & (pop.punished_until <= month)
            & (pop.tenure >= prm["career.min_tenure"])
        )
        demoted = (
            unfit & (draws[1] < prm["demotion.intensity"]) & (pop.case_kind == int(CaseKind.NONE))
        )
        promoted_flags = np.zeros(n, dtype=bool)

        # demotion: level 0 loses grade (tenure, barred a year); higher levels swap
        # posts with the best eligible cadre of the level below
        bottom_demoted = np.flatnonzero(demoted & (level == 0))
        pop.tenure[bottom_demoted] = 0
        pop.punished_until[bottom_demoted] = np.maximum(
            pop.punished_until[bottom_demoted], month + 12
        )
        n_demoted = bottom_demoted.size
        for lvl in range(1, n_levels):
            down = np.flatnonzero(demoted & (level == lvl))
            if down.size == 0:
                continue
            cand = np.flatnonzero(eligible & (level == lvl - 1) & ~promoted_flags & ~demoted)
            cand = cand[np.argsort(-score[cand], kind="stable")][: down.size]
            down = down[: cand.size]
            if down.size == 0:
                continue
            posts_down, posts_up = pop.post[down].copy(), pop.post[cand].copy()
            self._move(down, posts_up)
            self._move(cand, posts_down)
            promoted_flags[cand] = True
            n_demoted += down.size
        self._events["demotions"] += int(n_demoted)

        # retirement
        if prm["workforce.demography"]:
            retiring = np.flatnonzero(alive & (pop.age >= RETIREMENT_AGE))
            self._remove(retiring)
            self._events["retirements"] += int(retiring.size)

        # staffing cuts: abolish vacant posts level by level down to the target
        cut = prm["workforce.staffing_cut"]
        if cut > 0:
            for lvl in range(n_levels):
                posts = np.flatnonzero(org.post_level == lvl)
                target = int(np.ceil((1.0 - cut) * org.level_sizes[lvl]))
                n_open = int(org.post_open[posts].sum())
                vacant = posts[org.post_open[posts] & (org.post_holder[posts] < 0)]
                excess = min(n_open - target, vacant.size)
                if excess > 0:
                    org.post_open[vacant[-excess:]] = False

        # promotion: fill vacancies top-down from the best eligible cadres below
        level = org.post_level[pop.post]
        for lvl in range(n_levels - 2, -1, -1):
            posts = np.flatnonzero(
                (org.post_level == lvl + 1) & org.post_open & (org.post_holder < 0)
            )
            if posts.size == 0:
                continue
            cand = np.flatnonzero(
                pop.alive & eligible & (level == lvl) & ~promoted_flags & ~demoted
            )
            cand = cand[np.argsort(-score[cand], kind="stable")][: posts.size]
            if cand.size == 0:
                continue
            targets = rng.permutation(posts)[: cand.size]
            self._move(cand, targets)
            promoted_flags[cand] = True
            level = org.post_level[pop.post]
        self._events["promotions"] += int(promoted_flags.sum())

        # promotion beliefs: this year's promotion rate at each level, among the
        # cadres still serving after retirement (``alive`` is ``pop.alive``, which
        # retirement has updated)
        rate_num = np.bincount(
            level_at_start[alive], weights=promoted_flags[alive], minlength=n_levels
        )
        rate_den = np.bincount(level_at_start[alive], minlength=n_levels).astype(float)
        level_rate = np.divide(rate_num, rate_den, out=np.zeros(n_levels), where=rate_den > 0)
        pop.belief_promotion = proc.learn(
            pop.belief_promotion,
            [
                (promoted_flags.astype(float), prm["behaviour.learning_own"], alive),
                (
                    level_rate[level],
                    prm["behaviour.learning_public"] + prm["behaviour.learning_peer"],
                    pop.alive,
                ),
            ],
            ANNUAL_BELIEF_SPEED,
        )

        # recruitment into open vacant bottom posts
        if prm["workforce.demography"]:
            vacant = np.flatnonzero((org.post_level == 0) & org.post_open & (org.post_holder < 0))
            free_rows = np.flatnonzero(~pop.alive)[: vacant.size]
            vacant = vacant[: free_rows.size]
            if free_rows.size:
                pop.post[free_rows] = vacant
                org.post_holder[vacant] = free_rows
                self._draw_traits(free_rows)
                pop.age[free_rows] = rng.uniform(RECRUIT_AGE[0], RECRUIT_AGE[1], free_rows.size)
                pop.state[free_rows] = ROUTINE
                self._initial_beliefs(free_rows)
                for row in free_rows:
                    self._cadres[row] = Cadre(self, int(row))
                self._events["recruits"] += int(free_rows.size)

        pop.performance[:] = 0.0
        pop.active_months[:] = 0
        pop.flat_months[:] = 0

    def _move(self, rows: NDArray[np.int64], posts: NDArray[np.int64]) -> None:
        """Move cadres in ``rows`` into ``posts`` (vacating their old posts)."""
        org, pop = self.org, self.pop
        old = pop.post[rows]
        org.post_holder[old[org.post_holder[old] == rows]] = -1
        pop.post[rows] = posts
        org.post_holder[posts] = rows
        pop.tenure[rows] = 0

    def _remove(self, rows: NDArray[np.int64]) -> None:
        """Cadres in ``rows`` leave the service; their posts fall vacant."""
        org, pop = self.org, self.pop
        org.post_holder[pop.post[rows]] = -1
        pop.alive[rows] = False
        pop.case_kind[rows] = int(CaseKind.NONE)
        pop.case_months_left[rows] = 0
        for row in rows:
            agent = self._cadres[row]
            if agent is not None:
                agent.remove()
                self._cadres[row] = None

    # ------------------------------------------------------------------
    # outputs
    # ------------------------------------------------------------------
    def _compute_outputs(self) -> None:
        """Compute this month's outputs into ``self.outputs``."""
        pop, org = self.pop, self.org
        alive = pop.alive
        n = max(int(alive.sum()), 1)
        state = pop.state[alive]
        shares = np.bincount(state, minlength=N_STATES) / n
        out: dict[str, float] = {
            "flat_share": float(shares[FLAT]),
            "active_share": float(shares[ACTIVE]),
            "routine_share": float(shares[ROUTINE]),
        }
        orient = pop.orientation[alive]
        by_orient = np.bincount(orient * N_STATES + state, minlength=2 * N_STATES).reshape(
            2, N_STATES
        )
        for o in Orientation:
            total = by_orient[o].sum()
            for s, label in ((FLAT, "flat"), (ACTIVE, "active"), (ROUTINE, "routine")):
                out[f"{label}_share_{o.name.lower()}"] = (
                    float(by_orient[o, s] / total) if total else float("nan")
                )
        out["mean_effort"] = float(proc.EFFORT[state].mean()) if state.size else 0.0
        out["public_value"] = self._public_value
        for key, value in self._events.items():
            out[key] = float(value)
        for key in EVENT_COUNTS:
            out.setdefault(key, 0.0)
        out["headcount"] = float(alive.sum())
        out["under_investigation"] = float((pop.case_kind[alive] != int(CaseKind.NONE)).sum())
        out["mean_reputation"] = float(pop.reputation[alive].mean())
        recent = alive & (self.month - pop.cleared_month < CLEARED_WINDOW)
        out["reputation_cleared"] = (
            float(pop.reputation[recent].mean()) if recent.any() else float("nan")
        )
        out["belief_exemption"] = float(pop.belief_exemption[alive].mean())
        out["belief_false_accusation"] = float(pop.belief_false[alive].mean())
        out["belief_promotion"] = float(pop.belief_promotion[alive].mean())
        out["belief_vindication"] = float(pop.belief_vindication[alive].mean())
        out["mean_idealism"] = float(pop.idealism[alive].mean())
        out["deterrence"] = float(self.deterrence)
        level = org.post_level[pop.post[alive]]
        by_level = np.bincount(level * N_STATES + state, minlength=org.n_levels * N_STATES).reshape(
            org.n_levels, N_STATES
        )
        totals = by_level.sum(axis=1)
        for k in range(org.n_levels):
            t = totals[k]
            out[f"flat_share_level{k + 1}"] = float(by_level[k, FLAT] / t) if t else float("nan")
            out[f"active_share_level{k + 1}"] = (
                float(by_level[k, ACTIVE] / t) if t else float("nan")
            )
        self.outputs = out

    # ------------------------------------------------------------------
    # live policy changes
    # ------------------------------------------------------------------
    def schedule_change(self, settings: Mapping[str, Any], label: str = "") -> PolicyChange:
        """Apply ``settings`` from next month on, as a permanent timeline change.

        The change starts at ``self.month + 1`` and is appended to the
        timeline (so it overrides earlier entries), marked in
        :attr:`policy_marks`, and every parameter it sets gets a column in
        :meth:`timeseries` (its value in force in each month so far first).

        Args:
            settings: dotted parameter names mapped to values.
            label: short name shown on charts (default: the names).

        Returns:
            The change appended to the timeline.

        Raises:
            ValueError: an unknown or structural parameter, or a bad value.

        """
        try:
            change = PolicyChange(self.month + 1, None, dict(settings), label)
        except KeyError as exc:
            raise ValueError(f"unknown parameter {exc.args[0]!r}") from None
        checked = {name: P.by_name(name).check(v) for name, v in change.settings.items()}
        change = PolicyChange(change.start, None, checked, label)
        self.timeline = (*self.timeline, change)
        self.policy_marks = switch_months(self.timeline)
        rows = self.month + 1
        for name in change.settings:
            if name not in self._param_history:
                past = [params_at(self.base_params, self.timeline, m)[name] for m in range(rows)]
                self._param_history[name] = past
        self._timeline_names = sorted(self._param_history)
        return change


# --------------------------------------------------------------------------
# agent-level reporters (named functions, picklable)
# --------------------------------------------------------------------------
def agent_work_state(agent: Cadre) -> str:
    """Agent reporter: work state name."""
    return agent.work_state.name.lower()


def agent_level(agent: Cadre) -> int:
    """Agent reporter: level (1 = bottom)."""
    return agent.level


def agent_orientation(agent: Cadre) -> str:
    """Agent reporter: orientation name."""
    return agent.orientation.name.lower()


def agent_reputation(agent: Cadre) -> float:
    """Agent reporter: reputation."""
    return agent.reputation


def agent_idealism(agent: Cadre) -> float:
    """Agent reporter: idealism."""
    return agent.idealism


def agent_status(agent: Cadre) -> str:
    """Agent reporter: discipline status name."""
    return agent.status.name.lower()


def agent_belief_false_accusation(agent: Cadre) -> float:
    """Agent reporter: believed false-accusation risk."""
    return agent.belief_false_accusation


def agent_belief_exemption(agent: Cadre) -> float:
    """Agent reporter: believed chance of exemption."""
    return agent.belief_exemption


AGENT_REPORTERS = {
    "work_state": agent_work_state,
    "level": agent_level,
    "orientation": agent_orientation,
    "reputation": agent_reputation,
    "idealism": agent_idealism,
    "status": agent_status,
    "belief_false_accusation": agent_belief_false_accusation,
    "belief_exemption": agent_belief_exemption,
}
