"""The career replay of the first population (ODD 5, step 6): a career of years, once a year.

:func:`replay_careers` replays ``CAREER_REPLAY_YEARS`` years before the
warm-up: each year the serving cadres' beliefs at the regime's truth, a
decision, the year's performance and months active and flat, a discipline
record drawn from the monthly hazards (:func:`replay_discipline`) and the
annual evaluation, so that cadres are sorted into levels as the promotion
tournament sorts them. Called by
:func:`~sim.model.processes.initial.initialise_population`; like it, every
function here works on one run or a stack of runs, each run drawing from its
own generator exactly what it draws alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.model.compiled import kernel
from sim.model.constants import (
    ACTIVE,
    EFFORT,
    FLAT,
    IDEALISM_TENURE_DECAY,
    INNOVATION_VALUE,
    MILD_EROSION,
    MISTAKE_EXPOSURE,
    REPUTATION_BASELINE,
)
from sim.model.draws import draw_binomial, draw_uniform, draw_uniform_blocks
from sim.model.kinds import CaseKind
from sim.model.processes.annual import annual_evaluation
from sim.model.processes.decision import (
    choose_by_probabilities,
    population_utilities,
    softmax_probabilities,
)
from sim.model.processes.reports import report_exposure, report_hazard, visibility
from sim.model.processes.setup import (
    BeliefTruths,
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

__all__ = ["replay_careers", "replay_discipline"]


# --------------------------------------------------------------------------
# the processes of initialisation, over a stack of runs
# --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _DisciplineRates:
    """The numbers of :func:`replay_discipline` fixed over a replay, per run (as it computes them).

    ``visibilities``: each run's visibility of (active, routine, flat) cadres;
    ``table[run]``: its :data:`_DISCIPLINE_COLUMNS`; ``barred``: its
    ``round(discipline.severity)``, the months barred after a sanction;
    ``draws``: room for a year's ``(count, 9, size)`` uniform numbers, drawn
    into anew each year (fresh memory of that size costs more than its numbers).
    """

    visibilities: list[FloatArray]
    table: FloatArray
    barred: IntArray
    draws: FloatArray


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
        draws=np.empty((runs.count, 9, runs.size)),
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
    draws = draw_uniform_blocks(runs, rngs, 9, out=rates.draws)
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
