"""The first population (ODD 5): steady-state ages, a replay of careers, and the burn-in.

So that the status quo starts in, and stays in, its steady state, the first
population is drawn from the demographic steady state
(:func:`stationary_ages`), then ``CAREER_REPLAY_YEARS`` years of careers are
replayed once a year (:func:`replay_careers`: decisions, a discipline record
from the monthly hazards, the annual evaluation) to sort cadres into levels
as the promotion tournament does; a burn-in of silent decision rounds then
brings states and beliefs to the regime's quasi-steady state. The warm-up
months after it are ordinary months, run by :class:`sim.model.CadreModel`.

Like :func:`~sim.model.processes.month.advance_month`, every function here
works on one run or a stack of runs of equal structure
(:class:`~sim.model.stacking.Runs`, parameters per row by
:class:`~sim.model.stacking.RunParams`): each run draws from its own
generator exactly what it draws alone, in the same order, and every per-run
total is summed (and every matrix product taken) per run, so a run's first
population is the same alone or stacked. The traits, beliefs, expected unfit
rates and the annual evaluation it calls are stacked the same way
(:mod:`~sim.model.processes.setup`, :mod:`~sim.model.processes.evaluation`,
:mod:`~sim.model.processes.annual`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from sim.model.compiled import kernel
from sim.model.constants import (
    ACTIVE,
    BURN_IN_ROUNDS,
    CAREER_REPLAY_YEARS,
    EFFORT,
    FLAT,
    IDEALISM_TENURE_DECAY,
    INNOVATION_VALUE,
    MILD_EROSION,
    MISTAKE_EXPOSURE,
    RECRUIT_AGE,
    REPUTATION_BASELINE,
    RETIREMENT_AGE,
    ROUTINE,
)
from sim.model.draws import draw_binomial, draw_uniform, draw_uniform_blocks
from sim.model.kinds import CaseKind
from sim.model.processes.annual import annual_evaluation
from sim.model.processes.decision import (
    choose_by_probabilities,
    choose_states,
    population_utilities,
    softmax_probabilities,
)
from sim.model.processes.evaluation import expected_unfit_rates
from sim.model.processes.reports import report_exposure, report_hazard, visibility
from sim.model.processes.setup import (
    BeliefTruths,
    draw_traits,
    initial_beliefs,
    keep_learned,
    replayed_beliefs,
)
from sim.model.processes.stakes import rank_factor, removal_probability
from sim.model.stacking import (
    RunParams,
    Runs,
    mixed,
    params_of,
    per_row_rates,
    per_run_value,
    state_mix,
    strided,
    workloads,
)
from sim.model.state import FloatArray, IntArray, Organisation, Population
from sim.parameters.values import Params

__all__ = [
    "Initial",
    "burn_in",
    "initialise_population",
    "replay_careers",
    "replay_discipline",
    "stationary_ages",
]


def stationary_ages(
    uniforms: FloatArray, recruit_age: tuple[float, float], retirement_age: float
) -> tuple[FloatArray, FloatArray]:
    """Ages and years of service of a workforce in demographic steady state.

    Recruits join at an age ``R`` uniform on ``recruit_age`` and serve until
    ``retirement_age``, so in steady state the pair (recruit age, years
    served) has density proportional to ``1[s < retirement_age - R]``: ``R``
    is length-biased (weight ``retirement_age - R``) and ``s`` is uniform on
    ``[0, retirement_age - R)``. ``uniforms`` has shape ``(2, n)``: the first
    row draws ``R`` by inverting its distribution function, the second ``s``.
    Returns ``(age, service)`` in years.
    """
    low, high = recruit_age
    longest, shortest = (retirement_age - low) ** 2, (retirement_age - high) ** 2
    career = np.sqrt(longest - uniforms[0] * (longest - shortest))
    service = uniforms[1] * career
    return retirement_age - career + service, service


# --------------------------------------------------------------------------
# the processes of initialisation, over a stack of runs
# --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _DisciplineRates:
    """The numbers of :func:`replay_discipline` fixed over a replay, per run (as it computes them).

    ``visibilities``: each run's visibility of (active, routine, flat) cadres;
    ``table[run]``: its :data:`_DISCIPLINE_COLUMNS`; ``barred``: its
    ``round(discipline.severity)``, the months barred after a sanction.
    """

    visibilities: list[FloatArray]
    table: FloatArray
    barred: IntArray


#: The columns of :attr:`_DisciplineRates.table`, as one run's parameters give them.
_DISCIPLINE_COLUMNS: tuple[Callable[[Params], float], ...] = (
    lambda q: 1.0 - (1.0 - q.discipline.misconduct_rate) ** 12,  # yearly misconduct
    lambda q: q.fault_tolerance.coverage * q.fault_tolerance.credibility,  # exempt
    lambda q: 1.0 - q.accusation.reputation_damage,  # kept
    lambda q: q.accusation.investigation_harm * q.accusation.investigation_months,  # harm
    lambda q: 1.0 - MILD_EROSION * q.behaviour.idealism_erosion,  # mild
    lambda q: 1.0 - q.behaviour.idealism_erosion,  # eroded
    lambda q: (1.0 - q.behaviour.reputation_recovery) ** 6,  # reputation, half a year
    lambda q: (1.0 - q.behaviour.idealism_recovery) ** 6,  # idealism, half a year
    lambda q: float(removal_probability(q.discipline.severity)),  # removal
    lambda q: q.accusation.investigation_accuracy,  # accuracy
    lambda q: q.discipline.misconduct_rate,  # monthly misconduct
    lambda q: q.accusation.investigation_months,  # months of a case
)


def _discipline_rates(runs: Runs, params: Params | RunParams) -> _DisciplineRates:
    """The fixed numbers of :func:`replay_discipline` for the stack ``runs``."""
    each = [params_of(params, r) for r in range(runs.count)]
    return _DisciplineRates(
        visibilities=[visibility(q.accusation.visibility_active) for q in each],
        table=np.array([[column(q) for column in _DISCIPLINE_COLUMNS] for q in each]),
        barred=np.array([int(round(q.discipline.severity)) for q in each], dtype=np.int64),
    )


def replay_discipline(
    pop: Population,
    org: Organisation,
    runs: Runs,
    params: Params | RunParams,
    p: Sequence[FloatArray],
    month: int,
    deterrence: Sequence[float],
    rngs: Sequence[np.random.Generator],
    rates: _DisciplineRates | None = None,
    load: Any = None,
) -> IntArray:
    """The year's discipline record in the career replay, from the monthly hazards.

    With ``P(s)`` the cadres' logit mix of states (``p``: each run's
    ``(size, 3)`` array, one row per cadre), the monthly hazards are:
    a reported honest mistake ``h_m = mistake_rate * workload * sum_s P(s) m(s) *
    accountability factor * mistake_report_prob``; a false report ``h_f``
    (:func:`~sim.model.processes.reports.report_hazard` at the mixed
    visibility ``sum_s P(s) v(s)`` times the post's exposure); misconduct
    ``h_c = discipline.misconduct_rate``. Each happens in the year with
    probability ``1 - (1 - h)^12``; each row's record is :func:`_discipline_record`.
    Returns the rows with a case open at the evaluation (stack rows, marked
    as under investigation: not promoted or demoted this year).
    ``deterrence`` and ``rngs`` hold one entry per run; each run draws
    ``rng.random((9, size))``. ``rates``: :func:`_discipline_rates`, and ``load``:
    :func:`~sim.model.stacking.workloads` of the serving rows, if computed.
    """
    rates = rates or _discipline_rates(runs, params)
    accusation, behaviour = params.accusation, params.behaviour
    alive = pop.alive
    level = org.post_level[pop.post]
    mistakes = (
        behaviour.mistake_rate
        * (workloads(pop, runs) if load is None else load)
        * mixed(p, [MISTAKE_EXPOSURE] * runs.count)
        * rank_factor(level, params.discipline.accountability)
        * accusation.mistake_report_prob
    )
    false = report_hazard(
        visible=mixed(p, rates.visibilities) * report_exposure(pop, org, params),
        ability=pop.ability,
        alive=alive,
        base_rate=accusation.false_report_rate,
        deterrence=runs.per_row(list(deterrence)),
        deterrence_strength=params.crackdown.deterrence_strength,
        rival_share=accusation.rival_share,
        runs=runs,
    )
    draws = draw_uniform_blocks(runs, rngs, 9)
    n = alive.size
    false_year, mistake_year, close = np.empty(n), np.empty(n), np.empty(n, dtype=np.int64)
    rows = close[
        : _yearly(runs.size, alive, false, mistakes, draws, false_year, mistake_year, close)
    ]
    false_year[rows] = 1.0 - (1.0 - false[rows]) ** 12  # numpy's power (not the C library's)
    mistake_year[rows] = 1.0 - (1.0 - mistakes[rows]) ** 12
    investigated = np.empty(n, dtype=np.int64)
    count = _discipline_record(
        runs.size, alive, level, mistakes, false, false_year, mistake_year, draws, rates.table,
        rates.barred, month, pop.reputation, pop.idealism, pop.idealism_base, pop.punished_until,
        pop.removal_pending, pop.case_kind, int(CaseKind.FALSE_REPORT), investigated,
    )  # fmt: skip
    return investigated[:count]


@kernel
def _yearly(
    size, alive, false, mistakes, draws, false_year, mistake_year, close
):  # pragma: no cover - compiled
    """The year's chances ``1 - (1 - h)**12`` of a false report and of a mistake, where they tell.

    Taken by squaring, each is within 1e-14 of numpy's ``1.0 - (1.0 - h) ** 12``
    (fewer than 20 roundings of relative size 2**-53 apart), so a draw
    (``draws[run, 0]``, ``[run, 1]``) more than 1e-12 from it is below it
    exactly when it is below numpy's. ``close`` lists the serving rows where
    one is not (or ``h`` is outside [0, 1]; returns how many): theirs must be numpy's.
    """
    count = 0
    for r in range(alive.size // size):
        for k in range(size):
            i = r * size + k
            fx, mx = 1.0 - false[i], 1.0 - mistakes[i]
            fx, mx = fx * fx, mx * mx
            fx, mx = fx * fx, mx * mx
            false_year[i], mistake_year[i] = 1.0 - fx * fx * fx, 1.0 - mx * mx * mx
            sure = abs(draws[r, 0, k] - false_year[i]) > 1e-12 and 0.0 <= false[i] <= 1.0
            if alive[i] and not (
                sure and abs(draws[r, 1, k] - mistake_year[i]) > 1e-12 and 0.0 <= mistakes[i] <= 1.0
            ):
                close[count] = i
                count += 1
    return count  # fmt: skip


@kernel
def _discipline_record(
    size, alive, level, mistakes, false, false_year, mistake_year, draws, table, barred, month,
    reputation, idealism, idealism_base, punished_until, removal_pending, case_kind,
    under_investigation, investigated,
):  # fmt: skip  # pragma: no cover - compiled
    """The year's cases and sanctions of each row, from its run's ``draws[run, 0:9, row]``.

    A serving row is falsely reported (``draws 0 < false_year``), reported
    for a mistake (``1 < mistake_year``) and for misconduct (``2 <`` the
    yearly misconduct rate); a false report ends in a wrongful sanction
    unless the investigation is accurate (``3 >= accuracy``), a mistake in
    a sanction unless exempted (``4 >= exempt``), misconduct in one when
    accurate (``5 < accuracy``). Reputation and idealism relax for half a
    year towards ``REPUTATION_BASELINE`` and ``idealism_base`` (``x = target
    + (x - target) * half``), take the year's losses (a case:
    ``max(reputation * kept - harm, 0)``; a sanction: ``* kept`` again;
    idealism ``* mild`` if falsely reported or sanctioned for a mistake and
    ``* eroded`` if wrongfully sanctioned) and relax for the other half.
    A sanction falls in month ``month - floor(12 draws 6)``: the row is
    barred ``barred[run]`` months from then (``punished_until``, the later)
    and a leading row is removed with ``7 < removal``. A serving row's case
    is open at the evaluation with ``8 < min((mistakes + false +
    misconduct) * investigation_months, 1)``: its ``case_kind`` becomes
    ``under_investigation`` and its row is listed in ``investigated``
    (returns how many). ``table[run]``: the run's :data:`_DISCIPLINE_COLUMNS`.
    """
    count = 0
    for r in range(alive.size // size):
        t = table[r]
        for k in range(size):
            i = r * size + k
            serving = alive[i]
            accuracy = t[9]
            falsely = serving and draws[r, 0, k] < false_year[i]
            mistaken = serving and draws[r, 1, k] < mistake_year[i]
            misbehaved = serving and draws[r, 2, k] < t[0]
            wrongful = falsely and draws[r, 3, k] >= accuracy
            mistake_sanctioned = mistaken and draws[r, 4, k] >= t[1]
            sanctioned = (
                wrongful or mistake_sanctioned or (misbehaved and draws[r, 5, k] < accuracy)
            )
            kept, half = t[2], t[6]
            rep = (reputation[i] - REPUTATION_BASELINE) * half + REPUTATION_BASELINE
            if falsely or mistaken or misbehaved:
                rep = rep * kept - t[3]
                if not (rep >= 0.0 or rep != rep):  # numpy's maximum(rep, 0)
                    rep = 0.0
            if sanctioned:
                rep = rep * kept
            reputation[i] = (rep - REPUTATION_BASELINE) * half + REPUTATION_BASELINE
            base, half = idealism_base[i], t[7]
            ideal = (idealism[i] - base) * half + base
            if falsely or mistake_sanctioned:
                ideal = ideal * t[4]
            if wrongful:
                ideal = ideal * t[5]
            idealism[i] = (ideal - base) * half + base
            if sanctioned:
                until = month - np.int64(math.floor(12.0 * draws[r, 6, k])) + barred[r]
                if until > punished_until[i]:
                    punished_until[i] = until
                if level[i] >= 1 and draws[r, 7, k] < t[8]:
                    removal_pending[i] = True
            chance = (mistakes[i] + false[i] + t[10]) * t[11]
            if not (chance <= 1.0 or chance != chance):  # numpy's minimum(chance, 1)
                chance = 1.0
            if serving and draws[r, 8, k] < chance:
                case_kind[i] = under_investigation
                investigated[count] = i
                count += 1
    return count


def replay_careers(
    pop: Population,
    org: Organisation,
    runs: Runs,
    params: Params | RunParams,
    years: int,
    last_evaluation: int,
    deterrence: Sequence[float],
    rngs: Sequence[np.random.Generator],
    truths: list[BeliefTruths] | None = None,
) -> tuple[list[FloatArray], list[FloatArray | None]]:
    """Replay ``years`` years of careers, one decision and one evaluation a year.

    Each year every serving cadre's beliefs other than about promotion are
    set at the regime's truth (:func:`~sim.model.processes.setup.initial_beliefs`),
    its work state is drawn by the decision rule, its performance is the
    year's expected output in the logit mix of states (``12 * ability *
    sum_s P(s) * (effort(s) + innovation)``), its months active and flat are
    binomial draws, the year's ageing, tenure and idealism decay pass,
    :func:`replay_discipline` draws the year's cases and sanctions, and the
    annual evaluation (:func:`~sim.model.processes.annual.annual_evaluation`)
    demotes, retires, promotes and recruits as in a run. No post is cut
    (staffing cuts happen in real time) and nothing is recorded. The
    evaluations fall in months ``last_evaluation - 12 * (years - 1)`` to
    ``last_evaluation``; each year's decisions are made as in the month
    after the previous one. Every run of the stack ``runs`` is replayed at
    once, each drawing from its own generator (``rngs``) what it draws alone:
    per year the belief noise, ``random(size)`` for the choice,
    ``binomial(12, .)`` for months active then flat, the discipline record,
    the evaluation's draws. Returns each run's perceived unfit rates and
    last evaluation's promotion rates (None if ``years`` is 0). ``truths``
    (a list, if given) receives the regime's truth at the last recruits'
    arrival if the last evaluation recruited anyone: nothing it depends on
    changes after them, so the next beliefs are drawn at it.
    """
    count = runs.count
    noise = params.behaviour.choice_noise
    innovation = per_run_value(
        runs, params, lambda q: q.behaviour.innovation_rate * INNOVATION_VALUE
    )
    decay = (1.0 - IDEALISM_TENURE_DECAY) ** 12
    discipline = _discipline_rates(runs, params)
    unfit_rate = [np.array([0.0, 0.0, 1.0]) for _ in range(count)]
    promotion_rate: list[FloatArray | None] = [None] * count
    recruits_truth: list[BeliefTruths] = []
    for year in range(years):
        month = last_evaluation - 12 * (years - 1 - year)
        alive = pop.alive.copy()
        rows, load = np.flatnonzero(alive), workloads(pop, runs)
        truth = recruits_truth[0] if recruits_truth else None
        replayed_beliefs(pop, org, runs, rows, params, deterrence, rngs, promotion_rate, truth)
        u = population_utilities(
            pop,
            org,
            params,
            load,
            per_row_rates(runs, unfit_rate),
            month - 11,
            runs,
        )
        by_state = softmax_probabilities(u, noise)
        pop.state[:] = choose_by_probabilities(by_state, draw_uniform(runs, rngs))
        p = state_mix(by_state, runs)
        active = draw_binomial(runs, rngs, 12, by_state[ACTIVE])
        flat = draw_binomial(runs, rngs, 12, by_state[FLAT])
        _year_record(
            alive, pop.ability, mixed(p, [EFFORT] * count), *strided(innovation), by_state[ACTIVE],
            active, flat, decay, pop.performance, pop.active_months, pop.flat_months, pop.tenure,
            pop.age, pop.idealism_base, pop.idealism,
        )  # fmt: skip
        investigated = replay_discipline(
            pop, org, runs, params, p, month, deterrence, rngs, discipline, load
        )
        recruits_truth = []
        year_end = annual_evaluation(
            pop, org, runs, params, month, unfit_rate, deterrence, rngs, False, recruits_truth
        )
        unfit_rate = [annual.unfit_rate for annual in year_end]
        promotion_rate = [annual.promotion_rate for annual in year_end]
        pop.case_kind[investigated] = int(CaseKind.NONE)
    if truths is not None:
        truths.extend(recruits_truth)
    return unfit_rate, promotion_rate


@kernel
def _year_record(
    alive, ability, effort, innovation, stride, active_share, active, flat, decay,
    performance, active_months, flat_months, tenure, age, idealism_base, idealism,
):  # fmt: skip  # pragma: no cover - compiled
    """A serving row's year: output, months active and flat, ageing, tenure, idealism decay.

    Serving: ``performance = 12 * ability * (effort + innovation[i * stride]
    * active_share)`` (``effort``: the mixed effort), ``active_months`` and
    ``flat_months`` the drawn ``active`` and ``flat``, 12 more months of
    tenure, a year of age, both idealisms times ``decay``. Not serving: no
    performance, no months; the rest unchanged.
    """
    for i in range(alive.size):
        if alive[i]:
            output = ability[i] * (effort[i] + innovation[i * stride] * active_share[i])
            performance[i] = 12.0 * output
            active_months[i] = active[i]
            flat_months[i] = flat[i]
            tenure[i] += 12
            age[i] += 1.0
            idealism_base[i] *= decay
            idealism[i] *= decay
        else:
            performance[i] = 0.0
            active_months[i] = 0
            flat_months[i] = 0
            age[i] += 0.0  # as numpy adds False


def burn_in(
    pop: Population,
    org: Organisation,
    runs: Runs,
    params: Params | RunParams,
    month: int,
    deterrence: Sequence[float],
    rngs: Sequence[np.random.Generator],
    unfit_rate: Sequence[FloatArray],
    promotion_rate: Sequence[FloatArray | None],
    truth: BeliefTruths | None = None,
) -> list[FloatArray]:
    """``BURN_IN_ROUNDS`` silent rounds of beliefs, expected unfit rates and a decision.

    Each round: beliefs at the regime's truth for the serving rows
    (:func:`~sim.model.processes.setup.initial_beliefs`), perceived unfit
    rates at the evaluation rule's expected values
    (:func:`~sim.model.processes.evaluation.expected_unfit_rates`) and a
    decision as in ``month`` (one ``random(size)`` per run); beliefs are
    drawn once more at the end, and a run's promotion beliefs are kept from
    the replay when it had one (``promotion_rate`` not None). No events.
    Returns each run's perceived unfit rates (``unfit_rate`` without rounds).
    ``truth``, if given, is the regime's truth for the first round's beliefs
    already computed (:func:`~sim.model.processes.setup.belief_truths` of
    ``pop`` with ``promotion_rate``).
    """
    rows = np.flatnonzero(pop.alive)
    noise = params.behaviour.choice_noise
    load = workloads(pop, runs)
    learned = pop.belief_promotion.copy()
    rates = list(unfit_rate)
    for _ in range(BURN_IN_ROUNDS):
        initial_beliefs(pop, org, rows, params, deterrence, rngs, promotion_rate, runs, truth)
        truth = None
        rates = [rate.copy() for rate in expected_unfit_rates(pop, org, params, rngs, runs)]
        u = population_utilities(pop, org, params, load, per_row_rates(runs, rates), month, runs)
        pop.state[:] = choose_states(u, noise, draw_uniform(runs, rngs))
    if all(rate is not None for rate in promotion_rate):  # every run taught: keep them all
        pop.belief_promotion[:] = learned
        initial_beliefs(pop, org, rows, params, deterrence, rngs, promotion_rate, runs, None, False)
        return rates
    initial_beliefs(pop, org, rows, params, deterrence, rngs, promotion_rate, runs)
    keep_learned(pop, runs, np.arange(pop.alive.size), learned, promotion_rate)
    return rates


@dataclass(frozen=True, slots=True)
class Initial:
    """The model state the first population leaves besides ``pop`` and ``org`` (one run's).

    Attributes:
        unfit_rate: the perceived unfit rates by state.
        promotion_rate: the last replayed evaluation's promotion rates (None without
            demography: no careers are replayed).

    """

    unfit_rate: FloatArray
    promotion_rate: FloatArray | None


def initialise_population(
    pop: Population,
    org: Organisation,
    runs: Runs,
    params: Params | RunParams,
    deterrence: Sequence[float],
    rngs: Sequence[np.random.Generator],
) -> list[Initial]:
    """Fill every post, draw traits, ages and service, replay careers, burn in states and beliefs.

    Post ``k`` is held by row ``k`` (of its run). Draws, in order: traits
    (:func:`~sim.model.processes.setup.draw_traits`), ``rng.random((2, n))``
    for :func:`stationary_ages` (with demography, ages and service come from
    it and long-run idealism has decayed over the years served; without,
    ages are uniform between the youngest recruit age and
    ``RETIREMENT_AGE``, from one more ``rng.random(n)``); tenure in post is
    the whole service. With demography, ``CAREER_REPLAY_YEARS`` years of
    careers are replayed (:func:`replay_careers`) with the last evaluation
    in the last multiple of 12 before the warm-up's first month. The
    burn-in (:func:`burn_in`) is ``BURN_IN_ROUNDS`` silent rounds (no
    events) of: beliefs at the regime's truth, perceived unfit rates at the
    evaluation rule's expected values, and a decision (as in the warm-up's
    first month); beliefs are drawn once more at the end, promotion beliefs
    kept from the replay.

    ``pop`` and ``org`` hold the empty runs laid out by ``runs`` (one run
    alone: :meth:`~sim.model.stacking.Runs.single`); ``deterrence`` and
    ``rngs`` hold one entry per run. Every run draws from its own generator
    exactly what it draws alone, in the same order, and every per-run total
    is summed per run, so each run's population is the one it gets alone.
    Runs with and without demography are initialised group by group. One
    :class:`Params` for several runs is every run's.
    Returns one :class:`Initial` per run.
    """
    if runs.count > 1 and not isinstance(params, RunParams):
        params = RunParams([params] * runs.count, runs)  # one Params for every run
    demography = [params_of(params, r).workforce.demography for r in range(runs.count)]
    if len(set(demography)) > 1:
        out: dict[int, Initial] = {}
        for flag in (False, True):
            group = [r for r in range(runs.count) if demography[r] == flag]
            starts = _initialise_group(pop, org, runs, params, deterrence, rngs, group)
            out.update(zip(group, starts, strict=True))
        return [out[r] for r in range(runs.count)]
    return _initialise(pop, org, runs, params, deterrence, rngs)


def _initialise_group(
    pop: Population,
    org: Organisation,
    runs: Runs,
    params: Params | RunParams,
    deterrence: Sequence[float],
    rngs: Sequence[np.random.Generator],
    group: Sequence[int],
) -> list[Initial]:
    """:func:`_initialise` of the runs ``group`` of a stack, on a copy of their rows."""
    rows = np.concatenate([np.arange(runs.size) + r * runs.size for r in group])
    sub_runs = Runs.stacked(len(group), runs.size, runs.units)
    sub_pop = Population(**{f.name: getattr(pop, f.name)[rows] for f in fields(Population)})
    sub_org = replace(org, post_holder=org.post_holder[rows], post_open=org.post_open[rows])
    chosen = [params_of(params, r) for r in group]
    sub_params = chosen[0] if len(group) == 1 else RunParams(chosen, sub_runs)
    starts = _initialise(
        sub_pop,
        sub_org,
        sub_runs,
        sub_params,
        [deterrence[r] for r in group],
        [rngs[r] for r in group],
    )
    for f in fields(Population):
        getattr(pop, f.name)[rows] = getattr(sub_pop, f.name)
    org.post_holder[rows] = sub_org.post_holder
    org.post_open[rows] = sub_org.post_open
    return starts


def _initialise(
    pop: Population,
    org: Organisation,
    runs: Runs,
    params: Params | RunParams,
    deterrence: Sequence[float],
    rngs: Sequence[np.random.Generator],
) -> list[Initial]:
    """:func:`initialise_population` of runs that all have, or all lack, demography."""
    count, size = runs.count, runs.size
    first = params_of(params, 0)
    rows = np.arange(pop.alive.size, dtype=np.int64)
    pop.post[:] = np.tile(np.arange(size, dtype=np.int64), count)
    draw_traits(pop, rows, params, rngs, runs)
    age, service = stationary_ages(draw_uniform(runs, rngs, 2), RECRUIT_AGE, RETIREMENT_AGE)
    if first.workforce.demography:
        pop.age[:] = age
        pop.idealism_base *= (1.0 - IDEALISM_TENURE_DECAY) ** (12.0 * service)
    else:
        pop.age[:] = RECRUIT_AGE[0] + (RETIREMENT_AGE - RECRUIT_AGE[0]) * draw_uniform(runs, rngs)
    pop.idealism[:] = pop.idealism_base
    pop.tenure[:] = np.floor(12.0 * service).astype(np.int64)
    pop.state[:] = ROUTINE
    unfit_rate: list[FloatArray] = [np.array([0.0, 0.0, 1.0]) for _ in range(count)]
    promotion_rate: list[FloatArray | None] = [None] * count
    warmup = first.simulation.warmup_months
    truths: list[BeliefTruths] = []
    if first.workforce.demography:
        last_evaluation = -warmup - (warmup % 12)  # the last multiple of 12 before 1 - warmup
        unfit_rate, promotion_rate = replay_careers(
            pop, org, runs, params, CAREER_REPLAY_YEARS, last_evaluation, deterrence, rngs, truths
        )
    truth = truths[0] if truths else None
    unfit_rate = burn_in(
        pop, org, runs, params, 1 - warmup, deterrence, rngs, unfit_rate, promotion_rate, truth
    )
    return [Initial(u, rate) for u, rate in zip(unfit_rate, promotion_rate, strict=True)]
