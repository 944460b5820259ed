"""The annual evaluation (ODD 7.14): scores, who is unfit, demotion, promotion.

Every 12th month cadres are scored within their level; the unfit (detected
lying flat, or at the bottom of the scores) may be demoted; vacancies are
filled top-down by the best eligible cadres of the level below and
promotion beliefs learn from the year's promotions (both in
:mod:`sim.model.processes.promotion`); the perceived unfit rates learn from
the year's outcome. The
demographic steps that run between these (retirement, staffing cuts,
recruitment) are in :mod:`sim.model.processes.demography`.

Every function works on one run or on a stack of runs of equal structure
(``runs``, a :class:`~sim.model.stacking.Runs`; default: one run of every
row). A level of a stack is the group ``run * n_levels + level``
(:func:`level_groups`); a sort within levels is one stable sort over
(group, score); each run draws from its own generator (``rngs``, one per
run) exactly what it draws alone, in the same order; and every per-run rate
is counted within its run, so each run's results are those it gets alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.model.compiled import kernel
from sim.model.constants import (
    ACTIVE,
    ANNUAL_BELIEF_SPEED,
    EFFORT,
    FLAT,
    GRADE_LOSS_MONTHS,
    N_STATES,
    REPUTATION_SCORE_WEIGHT,
    ROUTINE,
    UNFIT_MONTHS,
)
from sim.model.draws import draw_normal, draw_uniform
from sim.model.kinds import CaseKind
from sim.model.processes.ranking import (
    LANES,
    best_within_groups,
    bottom_of_levels,
    sort_within_groups,
    weighted_zscores,
    within_group_zscore,
)
from sim.model.processes.stakes import promotable
from sim.model.stacking import RunParams, Runs, at_rows, per_run, strided
from sim.model.state import BoolArray, FloatArray, IntArray, Organisation, Population
from sim.parameters.values import Params

__all__ = [
    "Demotion",
    "Evaluation",
    "bottom_of_levels",
    "close_year",
    "demote",
    "evaluate",
    "evaluation_scores",
    "expected_unfit_rates",
    "level_groups",
    "move_rows",
    "sort_within_groups",
    "within_group_zscore",
]

NO_CASE = int(CaseKind.NONE)


def _layout(pop: Population, org: Organisation, runs: Runs | None) -> Runs:
    """``runs``, or one run of every row of ``pop``."""
    return runs or Runs.single(pop.alive.size, org.n_units)


def level_groups(level: IntArray, runs: Runs, n_levels: int) -> IntArray:
    """Each row's level as a group of the stack: ``run * n_levels + level`` (``level`` alone)."""
    if runs.count == 1:
        return level
    return runs.run * n_levels + level


def move_rows(
    pop: Population, org: Organisation, rows: IntArray, posts: IntArray, runs: Runs | None = None
) -> None:
    """:func:`~sim.model.state.move` in a stack: ``rows`` (stack rows) into ``posts``.

    ``posts`` are numbered within each row's run, as ``pop.post`` is, and a
    post's holder is a row within its run (:class:`~sim.model.stacking.Runs`).
    The old posts fall vacant where the row held them; tenure restarts.
    """
    runs = _layout(pop, org, runs)
    offset = at_rows(runs.row_offset, rows)
    old = pop.post[rows] + offset
    local = rows - offset
    org.post_holder[old[org.post_holder[old] == local]] = -1
    pop.post[rows] = posts
    org.post_holder[posts + offset] = local
    pop.tenure[rows] = 0


def evaluation_scores(
    pop: Population,
    org: Organisation,
    params: Params | RunParams,
    performance: FloatArray,
    noise: FloatArray,
    runs: Runs | None = None,
    group: IntArray | None = None,
    ranges: FloatArray | None = None,
) -> FloatArray:
    """The annual evaluation score of every cadre, standardised within its run's levels.

    ``performance_weight * z(performance) + (1 - performance_weight) *
    z(tenure) + REPUTATION_SCORE_WEIGHT * z(reputation) +
    evaluation_noise * noise``, with ``noise`` one standard normal draw per row.
    ``group`` is each row's :func:`level_groups` if the caller has it;
    ``ranges`` receives each group's count of serving cadres and their
    lowest and highest score (:func:`~sim.model.processes.ranking.weighted_zscores`).
    """
    runs = _layout(pop, org, runs)
    alive = pop.alive
    if group is None:
        group = level_groups(org.post_level[pop.post], runs, org.n_levels)
    n_groups = runs.count * org.n_levels
    career = params.career
    w = career.performance_weight
    return weighted_zscores(
        (performance, pop.tenure, pop.reputation),
        (w, 1.0 - w, REPUTATION_SCORE_WEIGHT),
        group,
        alive,
        n_groups,
        career.evaluation_noise,
        noise,
        ranges,
    )


def expected_unfit_rates(
    pop: Population,
    org: Organisation,
    params: Params | RunParams,
    rng: np.random.Generator | Sequence[np.random.Generator],
    runs: Runs | None = None,
) -> FloatArray:
    """Chance of being judged unfit for a cadre whose year is spent in each state.

    Applies the real evaluation rule to a synthetic year in which every
    cadre keeps its current state: a flat cadre is unfit if detected
    (``demotion.detection``) or if its score is in the bottom
    ``demotion.bottom_share`` of its level; anyone else only by score.
    Each run draws ``rng.standard_normal(n)`` for the scores' noise. Returns
    the ``N_STATES`` rates for one generator ``rng``; for a sequence of
    generators (one per run of ``runs``), one row of rates per run.
    """
    single = isinstance(rng, np.random.Generator)
    rngs = [rng] if single else list(rng)
    runs = _layout(pop, org, runs)
    alive = pop.alive
    group = level_groups(org.post_level[pop.post], runs, org.n_levels)
    performance = 12.0 * pop.ability * EFFORT[pop.state]
    noise = draw_normal(runs, rngs)
    n_groups = runs.count * org.n_levels
    ranges = np.empty((3, n_groups))  # each level's count and range of scores, as in evaluate
    score = evaluation_scores(pop, org, params, performance, noise, runs, group, ranges)
    share = params.demotion.bottom_share
    bottom = bottom_of_levels(score, group, alive, share, n_groups, ranges).astype(float)
    detect = params.demotion.detection
    p_unfit = np.where(pop.state == FLAT, detect + (1.0 - detect) * bottom, bottom)
    # outside FLAT p_unfit is 0 or 1: ones over rows is the mean exactly; FLAT's is
    # numpy's mean over the run's flat rows in row order (as a mask selects them)
    serving = np.flatnonzero(alive)
    cell = runs.run[serving] * N_STATES + pop.state[serving]
    counts = np.bincount(cell, minlength=runs.count * N_STATES).reshape(runs.count, -1)
    ones = np.bincount(cell, weights=bottom[serving], minlength=counts.size)
    rates = ones.reshape(counts.shape) / np.maximum(counts, 1)
    flat = serving[pop.state[serving] == FLAT]
    for r, rows in enumerate(runs.split(flat)):
        rates[r, FLAT] = p_unfit[rows].mean() if rows.size else per_run(runs, detect, r)
    return rates[0] if single else rates


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The year's verdicts, before anyone moves.

    Attributes:
        score: evaluation score of every row.
        level_at_start: each row's level (0 = bottom) before demotion and promotion.
        eligible: eligible for promotion (serving, no open case, not barred,
            long enough in post, below the age ceiling).
        demoted: to be demoted (unfit and drawn, or removed from post by a
            sanction; serving with no open case).
        unfit_rate: each run's perceived unfit rates by state, updated from this year.

    """

    score: FloatArray
    level_at_start: IntArray
    eligible: BoolArray
    demoted: BoolArray
    unfit_rate: list[FloatArray]


def evaluate(
    pop: Population,
    org: Organisation,
    params: Params | RunParams,
    month: int,
    unfit_rate: Sequence[FloatArray],
    rngs: Sequence[np.random.Generator],
    runs: Runs | None = None,
) -> Evaluation:
    """Score everyone, judge who is unfit and who will be demoted; changes nothing.

    Who is unfit: detected lying flat for at least ``UNFIT_MONTHS`` months
    of the year (with ``demotion.detection``), or in the bottom
    ``demotion.bottom_share`` of its level. Who is demoted: the unfit drawn
    with ``demotion.intensity`` and the cadres removed from post by a
    sanction (``pop.removal_pending``), if serving with no open case.
    Who is eligible for promotion: :func:`~sim.model.processes.stakes.promotable`.
    The perceived unfit rate of each state (``unfit_rate``, one array per
    run) moves (speed ``ANNUAL_BELIEF_SPEED``) towards the share judged
    unfit among those of the run whose dominant state of the year it was.
    Each run draws ``rng.standard_normal(n)`` (the scores' noise), then
    ``rng.random((2, n))`` (detection, demotion) from its generator in ``rngs``.
    """
    runs = _layout(pop, org, runs)
    alive = pop.alive
    level = org.post_level[pop.post]
    group = level_groups(level, runs, org.n_levels)
    noise = draw_normal(runs, rngs)
    n_groups = runs.count * org.n_levels
    ranges = np.empty((3, n_groups))
    score = evaluation_scores(pop, org, params, pop.performance, noise, runs, group, ranges)
    demotion = params.demotion
    draws = draw_uniform(runs, rngs, 2)  # detection, demotion
    bottom = bottom_of_levels(score, group, alive, demotion.bottom_share, n_groups, ranges)
    # each run's count of serving cadres and of the unfit among them by dominant state
    judged = np.zeros(runs.count * N_STATES, dtype=np.int64)
    found = np.zeros(runs.count * N_STATES, dtype=np.int64)
    demoted = np.empty(alive.size, dtype=np.bool_)
    _verdicts(
        alive,
        pop.flat_months,
        pop.active_months,
        draws,
        *strided(demotion.detection),
        *strided(demotion.intensity),
        bottom,
        pop.removal_pending,
        pop.case_kind,
        runs.run,
        demoted,
        judged,
        found,
    )
    judged, found = judged.reshape(runs.count, N_STATES), found.reshape(runs.count, N_STATES)
    known = judged > 0
    empirical = np.divide(found, judged, out=np.zeros(judged.shape), where=known)
    rate = np.array(unfit_rate, dtype=np.float64).reshape(runs.count, N_STATES)
    rate[known] += ANNUAL_BELIEF_SPEED * (empirical[known] - rate[known])
    eligible = promotable(pop, params, month)
    return Evaluation(score, level, eligible, demoted, [rate[r] for r in range(runs.count)])


@kernel
def _verdicts(
    alive,
    flat_months,
    active_months,
    draws,
    detection,
    d_stride,
    intensity,
    i_stride,
    bottom,
    removal_pending,
    case_kind,
    run,
    demoted,
    judged,
    found,
):  # pragma: no cover - compiled
    """Who is unfit and who is demoted (into ``demoted``), counted by run and dominant state.

    A serving cadre is unfit if ``flat_months >= UNFIT_MONTHS`` and
    ``draws[0] < detection``, or at the ``bottom`` of its level; demoted if
    (unfit and ``draws[1] < intensity``) or ``removal_pending``, with no
    open case. Its dominant state of the year is FLAT with ``flat_months >=
    UNFIT_MONTHS``, else ACTIVE with ``active_months >= UNFIT_MONTHS``, else
    ROUTINE; ``judged`` and ``found`` (``run * N_STATES + state``) count the
    serving cadres and the unfit.
    """
    lanes = np.zeros((2, LANES, judged.size), dtype=np.int64)  # row i's in lane i % LANES
    for i in range(alive.size):
        if not alive[i]:
            demoted[i] = False
            continue
        flat = flat_months[i] >= UNFIT_MONTHS
        state = FLAT if flat else (ACTIVE if active_months[i] >= UNFIT_MONTHS else ROUTINE)
        unfit = (flat and draws[0, i] < detection[i * d_stride]) or bottom[i]
        cell = run[i] * N_STATES + state
        lanes[0, i % LANES, cell] += 1
        lanes[1, i % LANES, cell] += unfit
        demoted[i] = (
            (unfit and draws[1, i] < intensity[i * i_stride]) or removal_pending[i]
        ) and case_kind[i] == NO_CASE
    for lane in range(LANES):
        judged += lanes[0, lane]
        found += lanes[1, lane]


@dataclass(frozen=True, slots=True)
class Demotion:
    """The year's demotions.

    Attributes:
        count: each run's cadres demoted as unfit (the bottom level's lose grade).
        removals: each run's leading cadres moved down because a sanction
            removed them from post.
        promoted: rows moved up by swapping posts with a demoted superior.

    """

    count: list[int]
    removals: list[int]
    promoted: BoolArray


def demote(
    pop: Population,
    org: Organisation,
    verdict: Evaluation,
    month: int,
    runs: Runs | None = None,
) -> Demotion:
    """Demote the cadres ``verdict`` chose, level by level from the bottom up.

    At the bottom level a demoted cadre loses grade: tenure restarts and it
    is barred from promotion for ``GRADE_LOSS_MONTHS`` months. Higher up,
    level by level from level 1 up, the demoted cadres of a level (in row
    order) are paired with the best-scoring eligible cadres of the level
    below who are neither demoted nor already promoted (best first, ties by
    row), and each pair swaps posts; if there are fewer candidates than
    demoted cadres, the demoted cadres in the last rows stay in post (their
    pending removal with them). A removed cadre that is moved down counts as
    a removal, not a demotion. Changes ``pop`` and ``org``.

    Each pair involves a demoted cadre of a level and a candidate of the
    level below at the start of the year, so the pairs of every level (and
    every run) are disjoint and are swapped at once.
    """
    runs = _layout(pop, org, runs)
    demoted, level = verdict.demoted, verdict.level_at_start
    n = demoted.size
    n_groups = runs.count * org.n_levels
    cand, cand_group, cand_key = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n)
    down = np.empty(n, dtype=np.int64)
    take = np.zeros(n_groups, dtype=np.int64)
    counts = np.zeros((3, runs.count), dtype=np.int64)  # bottom, moved down, removed
    n_down, n_cand = _demotion_pairs(
        demoted,
        verdict.eligible,
        level,
        verdict.score,
        runs.run,
        org.n_levels,
        int(month + GRADE_LOSS_MONTHS),
        pop.tenure,
        pop.punished_until,
        pop.removal_pending,
        cand,
        cand_group,
        cand_key,
        down,
        take,
        counts,
    )
    down, key, group = down[:n_down], cand_key[:n_cand], cand_group[:n_cand]
    cand = cand[best_within_groups(key, group, n_groups, take, sign=-1.0)]
    posts_down, posts_up = pop.post[down].copy(), pop.post[cand].copy()
    move_rows(pop, org, down, posts_up, runs)
    move_rows(pop, org, cand, posts_down, runs)
    promoted = np.zeros(n, dtype=bool)
    promoted[cand] = True
    count = counts[0] + counts[1] - counts[2]
    return Demotion([int(c) for c in count], [int(c) for c in counts[2]], promoted)


@kernel
def _demotion_pairs(
    demoted,
    eligible,
    level,
    score,
    run,
    n_levels,
    barred_until,
    tenure,
    punished_until,
    removal_pending,
    cand,
    cand_group,
    cand_key,
    down,
    take,
    counts,
):  # pragma: no cover - compiled
    """:func:`demote`'s pairs: the demoted cadres who move down and how many candidates each level.

    The bottom level's demoted lose grade (``tenure`` 0, ``punished_until``
    at least ``barred_until``). Each level (group ``run * n_levels +
    level``) pairs its first ``min(demoted, candidates of the level
    below)`` demoted cadres above the bottom, in row order, into ``down``
    (groups ascending); the candidates (eligible, not demoted, below the top)
    go to ``cand`` with group and ``score`` (returns how many of both);
    ``take[g]``: the pairs of the level above ``g``. ``counts``: each run's
    bottom demotions, moves down and removals (``removal_pending`` cleared).
    """
    n_groups = take.size
    n_down = np.zeros(n_groups, dtype=np.int64)
    lanes = np.zeros((LANES, n_groups + 1), dtype=np.int64)  # candidates, as in _verdicts
    m = 0
    for i in range(demoted.size):
        g = run[i] * n_levels + level[i]
        chosen = (not demoted[i]) & eligible[i] & (level[i] < n_levels - 1)
        cand[m], cand_group[m], cand_key[m] = i, g, score[i]  # kept if chosen
        m += chosen
        lanes[i % LANES, g + 1] += chosen  # by the level above
        if demoted[i] and level[i] == 0:
            counts[0, run[i]] += 1
            tenure[i] = 0
            punished_until[i] = max(punished_until[i], barred_until)
        elif demoted[i]:
            n_down[g] += 1
    n_cand = lanes.sum(axis=0)
    start = np.zeros(n_groups + 1, dtype=np.int64)
    for g in range(n_groups):
        pairs = min(n_down[g], n_cand[g])
        start[g + 1] = start[g] + pairs
        if g > 0:  # a run's top level has no candidates: g - 1 is the level below, same run
            take[g - 1] = pairs
    fill = start[:-1].copy()
    for i in range(demoted.size):
        g = run[i] * n_levels + level[i]
        if demoted[i] and level[i] > 0 and fill[g] < start[g + 1]:
            down[fill[g]] = i
            fill[g] += 1
            counts[1, run[i]] += 1
            if removal_pending[i]:
                counts[2, run[i]] += 1
                removal_pending[i] = False
    return start[n_groups], m


def close_year(pop: Population) -> None:
    """Reset the year's performance and state counters of every row."""
    pop.performance[:] = 0.0
    pop.active_months[:] = 0
    pop.flat_months[:] = 0
