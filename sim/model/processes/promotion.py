"""Promotion at the annual evaluation (ODD 7.14): vacancies filled top-down, promotion beliefs.

:func:`promote` fills each level's vacancies, top level first, with the best
eligible cadres of the level below (by the year's scores of
:func:`~sim.model.processes.evaluation.evaluate`); :func:`learn_promotion`
moves promotion beliefs towards the year's promotion rates. Like the rest of
the evaluation, both work on one run or a stack of runs, each run drawing
from its own generator exactly what it draws alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.model.compiled import kernel
from sim.model.constants import ANNUAL_BELIEF_SPEED
from sim.model.processes.evaluation import Evaluation, move_rows
from sim.model.processes.learning import learn
from sim.model.processes.ranking import LANES, best_within_groups
from sim.model.stacking import RunParams, Runs
from sim.model.state import BoolArray, FloatArray, Organisation, Population
from sim.parameters.values import Params

__all__ = ["learn_promotion", "promote"]


def promote(
    pop: Population,
    org: Organisation,
    verdict: Evaluation,
    promoted: BoolArray,
    rngs: Sequence[np.random.Generator],
    runs: Runs | None = None,
) -> BoolArray:
    """Fill open vacant posts top-down from the best eligible cadres of the level below.

    ``promoted`` marks those already moved up this year (they are not moved
    again); returns it with this round's promotions added. At each level
    (from the top down; every run at once) with vacancies and candidates in
    a run, the run's best candidates (ties by row) are assigned to its
    vacancies in the order of ``rng.permutation(vacancies)``, drawn from the
    run's generator in ``rngs``. Changes ``pop`` and ``org``.
    """
    runs = runs or Runs.single(pop.alive.size, org.n_units)
    promoted = promoted.copy()
    count, n_levels = runs.count, org.n_levels
    # the candidates of every level at the start: a cadre promoted here moves up out of
    # the levels still to come, so these stay exact. Each level's best, at most as many
    # as it can fill (vacancies above now plus those its promotions leave), in one pass
    base = np.flatnonzero(pop.alive & verdict.eligible & ~promoted & ~verdict.demoted)
    group = org.post_level[pop.post[base]] * count + runs.run[base]  # by level, then run
    n_cand = np.bincount(group, minlength=n_levels * count).reshape(n_levels, count)
    level_posts = [np.flatnonzero(org.post_level == lvl) for lvl in range(n_levels)]
    posts = np.empty(org.post_holder.size, dtype=np.int64)
    n_posts = np.empty(count, dtype=np.int64)
    most = np.zeros((n_levels, count), dtype=np.int64)
    for lvl in range(n_levels - 2, -1, -1):
        _vacancies(org.post_open, org.post_holder, level_posts[lvl + 1], runs.size, posts, n_posts)
        most[lvl] = np.minimum(n_cand[lvl], n_posts + most[lvl + 1])
    best = base[best_within_groups(verdict.score[base], group, most.size, most.ravel(), sign=-1.0)]
    first = (np.cumsum(most) - most.ravel()).reshape(n_levels, count)
    for lvl in range(n_levels - 2, -1, -1):
        _vacancies(org.post_open, org.post_holder, level_posts[lvl + 1], runs.size, posts, n_posts)
        filled = np.minimum(n_posts, n_cand[lvl])  # at most ``most[lvl]``
        fill, begin = filled.tolist(), first[lvl].tolist()  # as Python numbers: cheaper to read
        runs_filled = [r for r in range(count) if fill[r]]
        if not runs_filled:
            continue
        ends = np.cumsum(n_posts).tolist()
        targets = [
            rngs[r].permutation(posts[ends[r] - int(n_posts[r]) : ends[r]])[: fill[r]]
            for r in runs_filled
        ]
        cand = np.concatenate([best[begin[r] : begin[r] + fill[r]] for r in runs_filled])
        move_rows(
            pop, org, cand, targets[0] if len(targets) == 1 else np.concatenate(targets), runs
        )
        promoted[cand] = True
    return promoted


@kernel
def _vacancies(post_open, post_holder, level_posts, size, posts, n_posts):  # pragma: no cover
    """Each run's open vacant posts among ``level_posts`` (ascending) into ``posts``.

    Runs have ``size`` posts each; their vacancies follow each other in
    ``posts``, numbered within the run; ``n_posts[r]`` counts run ``r``'s.
    """
    total = 0
    for r in range(n_posts.size):
        first, start = r * size, total
        for j in level_posts:  # written always, kept if vacant
            posts[total] = j
            total += post_open[first + j] & (post_holder[first + j] < 0)
        n_posts[r] = total - start
    return total


def learn_promotion(
    pop: Population,
    org: Organisation,
    params: Params | RunParams,
    verdict: Evaluation,
    promoted: BoolArray,
    runs: Runs | None = None,
) -> list[FloatArray]:
    """Promotion beliefs learn this year's promotion rate at each level; returns each run's rates.

    The rate is the chance of promotion when eligible: counted among the
    cadres of the run who were eligible (``verdict.eligible``) and serve now
    (after retirement), by the level they started the year at; the decision
    rule applies it only to cadres eligible at the coming evaluation. Each
    eligible cadre learns from its own promotion (``behaviour.learning_own``)
    and every serving cadre from the rate at its current level
    (``learning_public + learning_peer``), with speed
    ``ANNUAL_BELIEF_SPEED``. Changes ``pop.belief_promotion``.
    """
    runs = runs or Runs.single(pop.alive.size, org.n_units)
    behaviour = params.behaviour
    alive = pop.alive
    n_levels = org.n_levels
    n_groups = runs.count * n_levels
    counted = np.empty(alive.size, dtype=np.bool_)
    promotions = np.zeros((2, n_groups), dtype=np.int64)  # promoted, eligible
    _count_promotions(
        alive, verdict.eligible, promoted, verdict.level_at_start, runs.run, n_levels, counted,
        promotions,
    )  # fmt: skip
    # counts of whole numbers, as floats: the same as summing weights of 1.0 and 0.0
    rate_num, rate_den = promotions[0].astype(float), promotions[1].astype(float)
    level_rate = np.divide(rate_num, rate_den, out=np.zeros(n_groups), where=rate_den > 0)
    public = np.empty(alive.size)
    _rate_at_level(level_rate, org.post_level, pop.post, runs.run, n_levels, public)
    pop.belief_promotion[:] = learn(
        pop.belief_promotion,
        [
            (promoted.astype(float), behaviour.learning_own, counted),
            (public, behaviour.learning_public + behaviour.learning_peer, alive),
        ],
        ANNUAL_BELIEF_SPEED,
    )
    return list(level_rate.reshape(runs.count, n_levels))


@kernel
def _count_promotions(
    alive, eligible, promoted, level_at_start, run, n_levels, counted, promotions
):  # pragma: no cover - compiled
    """Who is counted (serving and eligible, into ``counted``) and, by group, how many promoted.

    ``promotions[0, g]`` and ``promotions[1, g]`` count the promoted and all
    counted cadres of group ``run * n_levels + level_at_start``.
    """
    lanes = np.zeros((LANES, 2, promotions.shape[1]), dtype=np.int64)  # as in _verdicts
    for i in range(alive.size):
        counted[i] = alive[i] & eligible[i]
        g = run[i] * n_levels + level_at_start[i]
        lanes[i % LANES, 0, g] += counted[i] & promoted[i]
        lanes[i % LANES, 1, g] += counted[i]
    for lane in range(LANES):
        promotions += lanes[lane]


@kernel
def _rate_at_level(level_rate, post_level, post, run, n_levels, out):  # pragma: no cover
    """Each row's ``level_rate`` of its group ``run * n_levels + post_level[post]`` into ``out``."""
    for i in range(out.size):
        out[i] = level_rate[run[i] * n_levels + post_level[post[i]]]
