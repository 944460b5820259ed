"""The annual evaluation (ODD 7.14): scores, who is unfit, demotion, promotion.

Every 12th month cadres are scored within their level; the unfit (detected
lying flat, or at the bottom of the scores) may be demoted; vacancies are
filled top-down by the best eligible cadres of the level below; promotion
beliefs and the perceived unfit rates learn from the year's outcome. The
demographic steps that run between these (retirement, staffing cuts,
recruitment) are in :mod:`sim.model.processes.demography`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
from sim.model.kinds import CaseKind
from sim.model.processes.learning import group_mean, learn
from sim.model.processes.stakes import promotable
from sim.model.state import BoolArray, FloatArray, IntArray, Organisation, Population, move
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
    "learn_promotion",
    "promote",
    "within_group_zscore",
]

NO_CASE = int(CaseKind.NONE)


def within_group_zscore(
    values: FloatArray, groups: IntArray, mask: BoolArray, n_groups: int
) -> FloatArray:
    """Standardise ``values`` within each group (level) over ``mask``; 0 elsewhere."""
    mean, count = group_mean(groups, values, mask, n_groups)
    sq, _ = group_mean(groups, values**2, mask, n_groups)
    sd = np.sqrt(np.maximum(sq - mean**2, 0.0))
    sd_i = sd[groups]
    z = np.divide(values - mean[groups], sd_i, out=np.zeros_like(values), where=sd_i > 1e-12)
    return np.where(mask, z, 0.0)


def evaluation_scores(
    pop: Population,
    org: Organisation,
    params: Params,
    performance: FloatArray,
    noise: FloatArray,
) -> FloatArray:
    """The annual evaluation score of every cadre, standardised within levels.

    ``performance_weight * z(performance) + (1 - performance_weight) *
    z(tenure) + REPUTATION_SCORE_WEIGHT * z(reputation) +
    evaluation_noise * noise``, with ``noise`` one standard normal draw per row.
    """
    alive, level, n_levels = pop.alive, org.post_level[pop.post], org.n_levels
    career = params.career
    w = career.performance_weight
    return (
        w * within_group_zscore(performance, level, alive, n_levels)
        + (1.0 - w) * within_group_zscore(pop.tenure.astype(float), level, alive, n_levels)
        + REPUTATION_SCORE_WEIGHT * within_group_zscore(pop.reputation, level, alive, n_levels)
        + career.evaluation_noise * noise
    )


def bottom_of_levels(
    score: FloatArray, level: IntArray, alive: BoolArray, share: float, n_levels: int
) -> BoolArray:
    """Serving cadres whose score is in the bottom ``share`` of their level (ties by row)."""
    bottom = np.zeros(alive.size, dtype=bool)
    for lvl in range(n_levels):
        rows = np.flatnonzero(alive & (level == lvl))
        k = int(np.floor(share * rows.size))
        if k:
            bottom[rows[np.argsort(score[rows], kind="stable")[:k]]] = True
    return bottom


def expected_unfit_rates(
    pop: Population, org: Organisation, params: Params, rng: np.random.Generator
) -> FloatArray:
    """Chance of being judged unfit for a cadre whose year is spent in each state.

    Applies the real evaluation rule to a synthetic year in which every
    cadre keeps its current state: a flat cadre is unfit if detected
    (``demotion.detection``) or if its score is in the bottom
    ``demotion.bottom_share`` of its level; anyone else only by score.
    Draws ``rng.standard_normal(n)`` for the scores' noise.
    """
    alive = pop.alive
    level = org.post_level[pop.post]
    performance = 12.0 * pop.ability * EFFORT[pop.state]
    score = evaluation_scores(pop, org, params, performance, rng.standard_normal(alive.size))
    share = params.demotion.bottom_share
    bottom = bottom_of_levels(score, level, alive, share, org.n_levels).astype(float)
    detect = params.demotion.detection
    p_unfit = np.where(pop.state == FLAT, detect + (1.0 - detect) * bottom, bottom)
    rates = np.zeros(N_STATES)
    for s in range(N_STATES):
        mask = alive & (pop.state == s)
        rates[s] = p_unfit[mask].mean() if mask.any() else (detect if s == FLAT else 0.0)
    return rates


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
        unfit_rate: the perceived unfit rates by state, updated from this year.

    """

    score: FloatArray
    level_at_start: IntArray
    eligible: BoolArray
    demoted: BoolArray
    unfit_rate: FloatArray


def evaluate(
    pop: Population,
    org: Organisation,
    params: Params,
    month: int,
    unfit_rate: FloatArray,
    rng: np.random.Generator,
) -> Evaluation:
    """Score everyone, judge who is unfit and who will be demoted; changes nothing.

    Who is unfit: detected lying flat for at least ``UNFIT_MONTHS`` months
    of the year (with ``demotion.detection``), or in the bottom
    ``demotion.bottom_share`` of its level. Who is demoted: the unfit drawn
    with ``demotion.intensity`` and the cadres removed from post by a
    sanction (``pop.removal_pending``), if serving with no open case.
    Who is eligible for promotion: :func:`~sim.model.processes.stakes.promotable`.
    The perceived unfit rate of each state moves (speed
    ``ANNUAL_BELIEF_SPEED``) towards the share judged unfit among those whose
    dominant state of the year it was. Draws ``rng.standard_normal(n)`` (the
    scores' noise), then ``rng.random((2, n))`` (detection, demotion).
    """
    alive = pop.alive
    n = alive.size
    level = org.post_level[pop.post]
    score = evaluation_scores(pop, org, params, pop.performance, rng.standard_normal(n))
    # dominant state of the year, for the public record of who was judged unfit
    dominant = np.full(n, ROUTINE, dtype=np.int64)
    dominant[pop.active_months >= UNFIT_MONTHS] = ACTIVE
    dominant[pop.flat_months >= UNFIT_MONTHS] = FLAT

    demotion = params.demotion
    draws = rng.random((2, n))
    bottom = bottom_of_levels(score, level, alive, demotion.bottom_share, org.n_levels)
    unfit = alive & ((pop.flat_months >= UNFIT_MONTHS) & (draws[0] < demotion.detection) | bottom)
    empirical = np.array(
        [
            unfit[alive & (dominant == s)].mean() if (alive & (dominant == s)).any() else np.nan
            for s in range(N_STATES)
        ]
    )
    known = ~np.isnan(empirical)
    rate = unfit_rate.copy()
    rate[known] += ANNUAL_BELIEF_SPEED * (empirical[known] - rate[known])

    no_case = pop.case_kind == NO_CASE
    eligible = promotable(pop, params, month)
    demoted = (unfit & (draws[1] < demotion.intensity) | pop.removal_pending) & alive & no_case
    return Evaluation(score, level, eligible, demoted, rate)


def _best(candidates: IntArray, score: FloatArray, k: int) -> IntArray:
    """The ``k`` best-scoring of ``candidates`` (ties by row order), best first."""
    return candidates[np.argsort(-score[candidates], kind="stable")][:k]


@dataclass(frozen=True, slots=True)
class Demotion:
    """The year's demotions.

    Attributes:
        count: cadres demoted as unfit (the bottom level's lose grade).
        removals: leading cadres moved down because a sanction removed them from post.
        promoted: rows moved up by swapping posts with a demoted superior.

    """

    count: int
    removals: int
    promoted: BoolArray


def demote(pop: Population, org: Organisation, verdict: Evaluation, month: int) -> Demotion:
    """Demote the cadres ``verdict`` chose, level by level from the bottom up.

    At the bottom level a demoted cadre loses grade: tenure restarts and it
    is barred from promotion for ``GRADE_LOSS_MONTHS`` months. Higher up,
    level by level from level 1 up, the demoted cadres of a level (in row
    order) are paired with the best-scoring eligible cadres of the level
    below who are neither demoted nor already promoted (best first), and
    each pair swaps posts; if there are fewer candidates than demoted
    cadres, the demoted cadres in the last rows stay in post (their pending
    removal with them). A removed cadre that is moved down counts as a
    removal, not a demotion. Changes ``pop`` and ``org``.
    """
    demoted, level = verdict.demoted, verdict.level_at_start
    promoted = np.zeros(demoted.size, dtype=bool)
    bottom_demoted = np.flatnonzero(demoted & (level == 0))
    pop.tenure[bottom_demoted] = 0
    pop.punished_until[bottom_demoted] = np.maximum(
        pop.punished_until[bottom_demoted], month + GRADE_LOSS_MONTHS
    )
    count = bottom_demoted.size
    removals = 0
    for lvl in range(1, org.n_levels):
        down = np.flatnonzero(demoted & (level == lvl))
        if down.size == 0:
            continue
        cand = np.flatnonzero(verdict.eligible & (level == lvl - 1) & ~promoted & ~demoted)
        cand = _best(cand, verdict.score, down.size)
        down = down[: cand.size]
        if down.size == 0:
            continue
        posts_down, posts_up = pop.post[down].copy(), pop.post[cand].copy()
        n_removed = int(pop.removal_pending[down].sum())
        pop.removal_pending[down] = False
        move(pop, org, down, posts_up)
        move(pop, org, cand, posts_down)
        promoted[cand] = True
        count += down.size - n_removed
        removals += n_removed
    return Demotion(int(count), removals, promoted)


def promote(
    pop: Population,
    org: Organisation,
    verdict: Evaluation,
    promoted: BoolArray,
    rng: np.random.Generator,
) -> BoolArray:
    """Fill open vacant posts top-down from the best eligible cadres of the level below.

    ``promoted`` marks those already moved up this year (they are not moved
    again); returns it with this round's promotions added. At each level with
    vacancies and candidates the candidates are assigned to the vacancies in
    the order of ``rng.permutation(vacancies)``. Changes ``pop`` and ``org``.
    """
    promoted = promoted.copy()
    demoted, score = verdict.demoted, verdict.score
    level = org.post_level[pop.post]
    for lvl in range(org.n_levels - 2, -1, -1):
        posts = np.flatnonzero((org.post_level == lvl + 1) & org.post_open & (org.post_holder < 0))
        if posts.size == 0:
            continue
        cand = np.flatnonzero(pop.alive & verdict.eligible & (level == lvl) & ~promoted & ~demoted)
        cand = _best(cand, score, posts.size)
        if cand.size == 0:
            continue
        targets = rng.permutation(posts)[: cand.size]
        move(pop, org, cand, targets)
        promoted[cand] = True
        level = org.post_level[pop.post]
    return promoted


def learn_promotion(
    pop: Population,
    org: Organisation,
    params: Params,
    verdict: Evaluation,
    promoted: BoolArray,
) -> FloatArray:
    """Promotion beliefs learn this year's promotion rate at each level; returns the rates.

    The rate is the chance of promotion when eligible: counted among the
    cadres who were eligible (``verdict.eligible``) and serve now (after
    retirement), by the level they started the year at; the decision rule
    applies it only to cadres eligible at the coming evaluation. Each
    eligible cadre learns from its own promotion (``behaviour.learning_own``)
    and every serving cadre from the rate at its current level
    (``learning_public + learning_peer``), with speed
    ``ANNUAL_BELIEF_SPEED``. Changes ``pop.belief_promotion``.
    """
    behaviour = params.behaviour
    alive = pop.alive
    n_levels = org.n_levels
    level = org.post_level[pop.post]
    level_at_start = verdict.level_at_start
    counted = alive & verdict.eligible
    rate_num = np.bincount(level_at_start[counted], weights=promoted[counted], minlength=n_levels)
    rate_den = np.bincount(level_at_start[counted], minlength=n_levels).astype(float)
    level_rate = np.divide(rate_num, rate_den, out=np.zeros(n_levels), where=rate_den > 0)
    pop.belief_promotion[:] = learn(
        pop.belief_promotion,
        [
            (promoted.astype(float), behaviour.learning_own, counted),
            (level_rate[level], behaviour.learning_public + behaviour.learning_peer, alive),
        ],
        ANNUAL_BELIEF_SPEED,
    )
    return level_rate


def close_year(pop: Population) -> None:
    """Reset the year's performance and state counters of every row."""
    pop.performance[:] = 0.0
    pop.active_months[:] = 0
    pop.flat_months[:] = 0
