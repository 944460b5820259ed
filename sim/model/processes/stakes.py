"""Rank-structured exposure, eligibility and stakes (ODD 7.2, 7.7, 7.8).

What a cadre stands to lose rises with rank: a post answers for the failures
of the unit it leads (``discipline.accountability``) and is more visible to
complainants and rivals (``accusation.rank_exposure``); a heavy sanction
costs a leading cadre its post. What it stands to gain from effort depends
on whether it can be promoted at the coming evaluation (not barred, not
under investigation, below the age ceiling) and on performance pay, which a
sanction suspends. The decision rule values each consequence the model
realises by these functions, so a lever changes both what happens and what
cadres fear.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.model.compiled import kernel
from sim.model.constants import GRADE_LOSS_MONTHS, REMOVAL_MONTHS, REPUTATION_VALUE, WARNING_MONTHS
from sim.model.kinds import CaseKind
from sim.model.stacking import RunParams, run_table, strided
from sim.model.state import BoolArray, FloatArray, IntArray, Organisation, Population
from sim.parameters.values import Params

_NO_CASE = int(CaseKind.NONE)

__all__ = [
    "RankFactors",
    "Stakes",
    "below_age_ceiling",
    "eligible_at_next_evaluation",
    "paid",
    "population_stakes",
    "promotable",
    "rank_factor",
    "rank_factor_of",
    "rank_factors",
    "removal_probability",
    "stakes",
]


@kernel
def rank_factor_of(level, per_level):  # pragma: no cover - compiled
    """One post's :func:`rank_factor`: ``1 + per_level * level``."""
    return 1.0 + per_level * level


@kernel
def _rank_factor_rows(level, per_level, stride, out):  # pragma: no cover - compiled
    """:func:`rank_factor_of` of every entry of ``level`` into ``out``."""
    for i in range(out.size):
        out[i] = rank_factor_of(level[i], per_level[i * stride])


def rank_factor(level: IntArray, per_level: Any) -> FloatArray:
    """A post's exposure relative to a bottom post: ``1 + per_level * level`` (0 = bottom).

    Used for false reports (``accusation.rank_exposure``) and for the honest
    mistakes a post answers for (``discipline.accountability``). ``level``
    is an array of levels; ``per_level`` a number or one value per entry.
    """
    levels = np.ascontiguousarray(level, dtype=np.int64).reshape(-1)
    out = np.empty(levels.size)
    _rank_factor_rows(levels, *strided(per_level), out)
    return out.reshape(np.shape(level))


@dataclass(frozen=True, slots=True)
class RankFactors:
    """Each row's level and its post's two :func:`rank_factor` s, while posts stay as they are.

    The monthly processes before the cases (decision, work, reports) move no
    one, so one month computes these once for all of them.

    Attributes:
        level: each row's post level (0 = bottom).
        exposure: ``rank_factor(level, accusation.rank_exposure)``.
        accountability: ``rank_factor(level, discipline.accountability)``.

    """

    level: IntArray
    exposure: FloatArray
    accountability: FloatArray


def rank_factors(pop: Population, org: Organisation, params: Params | RunParams) -> RankFactors:
    """Each row's :class:`RankFactors` for the posts held now, in one compiled pass."""
    n = pop.alive.size
    level, exposure, accountability = np.empty(n, np.int64), np.empty(n), np.empty(n)
    _rank_factors(
        pop.post,
        org.post_level,
        *strided(params.accusation.rank_exposure),
        *strided(params.discipline.accountability),
        level,
        exposure,
        accountability,
    )
    return RankFactors(level, exposure, accountability)


@kernel
def _rank_factors(
    post,
    post_level,
    exposure_per_level,
    e_stride,
    accountability_per_level,
    a_stride,
    level,
    exposure,
    accountability,
):  # pragma: no cover - compiled
    """Each row's post level and its two :func:`rank_factor_of` s, row by row."""
    for i in range(post.size):
        lvl = post_level[post[i]]
        level[i] = lvl
        exposure[i] = rank_factor_of(lvl, exposure_per_level[i * e_stride])
        accountability[i] = rank_factor_of(lvl, accountability_per_level[i * a_stride])


def removal_probability(months: FloatArray | float) -> FloatArray:
    """Chance that a leading cadre sanctioned for ``months`` months loses the post."""
    span = REMOVAL_MONTHS - WARNING_MONTHS
    return np.clip((np.asarray(months, dtype=np.float64) - WARNING_MONTHS) / span, 0.0, 1.0)


@kernel
def _young_enough(age, years_ahead, ceiling):  # pragma: no cover - compiled
    """``age + years_ahead < ceiling``: young enough in ``years_ahead`` years."""
    return age + years_ahead < ceiling


@kernel
def _below_ceiling_rows(age, years_ahead, ceiling, c_stride, out):  # pragma: no cover - compiled
    """:func:`_young_enough` of every row into ``out``."""
    for i in range(out.size):
        out[i] = _young_enough(age[i], years_ahead, ceiling[i * c_stride])


@kernel
def _eligible_rows(
    alive, case_kind, punished_until, age, month, years_ahead, ceiling, c_stride, out
):  # pragma: no cover - compiled
    """:func:`_eligible_but_tenure` row by row into ``out``."""
    for i in range(out.size):
        out[i] = (
            alive[i]
            and case_kind[i] == _NO_CASE
            and punished_until[i] <= month
            and _young_enough(age[i], years_ahead, ceiling[i * c_stride])
        )


def _eligible_but_tenure(pop: Population, params: Params, month: int, ahead: int) -> BoolArray:
    """:func:`promotable` without the minimum tenure in post, in one compiled pass.

    Serving, no case open, ``punished_until <= month`` and ``age + ahead /
    12`` below ``career.age_ceiling``.
    """
    out = np.empty(pop.alive.size, dtype=np.bool_)
    _eligible_rows(
        pop.alive,
        pop.case_kind,
        pop.punished_until,
        pop.age,
        month,
        ahead / 12.0,
        *strided(params.career.age_ceiling),
        out,
    )
    return out


def promotable(pop: Population, params: Params, month: int, ahead: int = 0) -> BoolArray:
    """Serving cadres who meet the rules for promotion at an evaluation in ``month``.

    Not under investigation, not barred (``punished_until <= month``), at
    least ``career.min_tenure`` months in post and younger than
    ``career.age_ceiling``, with tenure and age as they will be after
    ``ahead`` more months of service.
    """
    return _eligible_but_tenure(pop, params, month, ahead) & (
        pop.tenure + ahead >= params.career.min_tenure
    )


def eligible_at_next_evaluation(pop: Population, params: Params, month: int) -> BoolArray:
    """Who can still hope for promotion from effort in ``month``, as cadres know the rules.

    A cadre who at the coming evaluation (the end of the next month divisible
    by 12) will be barred, under investigation or past the age ceiling
    expects nothing from this month's effort. A cadre who is only too new in
    post does: the model scores one year, but the assessments of the years
    before eligibility count for promotion in practice.
    """
    next_evaluation = month + (-month) % 12
    return _eligible_but_tenure(pop, params, next_evaluation, next_evaluation - month + 1)


def below_age_ceiling(pop: Population, params: Params, month: int) -> BoolArray:
    """Who will still be younger than ``career.age_ceiling`` at the evaluation after ``month``."""
    ahead = (-month) % 12 + 1
    out = np.empty(pop.age.size, dtype=np.bool_)
    _below_ceiling_rows(pop.age, ahead / 12.0, *strided(params.career.age_ceiling), out)
    return out


def paid(pop: Population, month: int) -> BoolArray:
    """Who earns performance pay in ``month``: every cadre not barred by a sanction."""
    return pop.punished_until <= month


@dataclass(frozen=True, slots=True)
class Stakes:
    """What each cadre stands to lose, in utility, from each realised consequence.

    Attributes:
        month_value: a month barred from promotion and performance pay,
            ``(1 - idealism) * (material_reward + tournament * belief_promotion
            * below_ceiling) * ability``.
        prospects_value: the tournament part of ``month_value`` alone.
        case: a case opened against the cadre: the months under
            investigation (promotion frozen: ``prospects_value`` a month), the
            reputation lost when it opens (``reputation_damage``) and while it
            runs (``investigation_harm`` a month), valued at ``REPUTATION_VALUE``.
        case_reputation: the reputation part of ``case`` (what a public
            clarification restores a share of).
        punishment: a sanction of ``severity`` months: the months barred, the
            reputation lost at the verdict (a second loss of
            ``reputation_damage`` of what is left), and for a leading cadre
            the chance of losing the post, valued at ``demotion.loss``.
        demotion: being moved down a level at the annual evaluation
            (``demotion.loss``), or at the bottom level losing grade (barred
            for ``GRADE_LOSS_MONTHS`` months).

    """

    month_value: FloatArray
    prospects_value: FloatArray
    case: FloatArray
    case_reputation: FloatArray
    punishment: FloatArray
    demotion: FloatArray


def stakes(
    *,
    ability: FloatArray,
    idealism: FloatArray,
    reputation: FloatArray,
    belief_promotion: FloatArray,
    below_ceiling: BoolArray,
    leader: BoolArray,
    params: Params | RunParams,
    out: FloatArray | None = None,
) -> Stakes:
    """Each cadre's stakes: the value of every consequence the model realises (:class:`Stakes`).

    With ``w = 1 - idealism`` and ``tournament = prize * performance_weight /
    (1 + evaluation_noise)``: ``prospects = w * tournament * belief_promotion
    * below_ceiling * ability``; ``month = w * material_reward * ability +
    prospects``; ``case_reputation = REPUTATION_VALUE * (reputation *
    reputation_damage + investigation_months * investigation_harm)``; ``case
    = investigation_months * prospects + case_reputation``; ``punishment =
    severity * month + REPUTATION_VALUE * reputation * (1 - reputation_damage)
    * reputation_damage + removal_probability(severity) * w * demotion.loss *
    leader``; ``demotion = w * demotion.loss`` for a leader, plus
    ``GRADE_LOSS_MONTHS * month`` at the bottom level. Changes nothing but
    ``out`` (float64, ``(6, n)``), which receives the stakes when given.
    """
    table, run = run_table(params, np.size(ability), _stake_numbers)
    if out is None:
        out = np.empty((6, np.size(ability)))
    _stakes_kernel(
        np.asarray(ability, dtype=np.float64),
        np.asarray(idealism, dtype=np.float64),
        np.asarray(reputation, dtype=np.float64),
        np.asarray(belief_promotion, dtype=np.float64),
        np.asarray(below_ceiling, dtype=np.bool_),
        np.asarray(leader, dtype=np.bool_),
        table,
        run,
        out,
    )
    return Stakes(*out)


def _stake_numbers(params: Params, pick: Any) -> list[float]:
    """One run's numbers for :func:`_stakes_kernel` (the columns of its table)."""
    career, accusation = params.career, params.accusation
    severity = params.discipline.severity
    return [
        career.prize * career.performance_weight / (1.0 + career.evaluation_noise),
        career.material_reward,
        params.demotion.loss,
        accusation.reputation_damage,
        accusation.investigation_months,
        accusation.investigation_harm,
        severity,
        float(removal_probability(severity)),
    ]


@kernel
def _stakes_kernel(
    ability, idealism, reputation, belief_promotion, below_ceiling, leader, table, run, out
):  # pragma: no cover - compiled
    """The equations of :func:`stakes`, row by row; writes the six stakes into ``out``.

    With one run (``table`` of one row) ``run`` is not read.
    """
    several = table.shape[0] > 1
    for i in range(ability.size):
        p = table[run[i] if several else 0]
        tournament, material_reward, loss, damage = p[0], p[1], p[2], p[3]
        inv_months, inv_harm, severity, removal = p[4], p[5], p[6], p[7]
        career_weight = 1.0 - idealism[i]
        below = 1.0 if below_ceiling[i] else 0.0
        prospects = career_weight * tournament * belief_promotion[i] * below * ability[i]
        month_value = career_weight * material_reward * ability[i] + prospects
        post = career_weight * loss
        case_reputation = REPUTATION_VALUE * (reputation[i] * damage + inv_months * inv_harm)
        verdict_reputation = REPUTATION_VALUE * reputation[i] * (1.0 - damage)
        lead = 1.0 if leader[i] else 0.0
        out[0, i] = month_value
        out[1, i] = prospects
        out[2, i] = inv_months * prospects + case_reputation
        out[3, i] = case_reputation
        out[4, i] = severity * month_value + verdict_reputation * damage + removal * post * lead
        out[5, i] = post if leader[i] else post + GRADE_LOSS_MONTHS * month_value


def population_stakes(
    pop: Population,
    org: Organisation,
    params: Params,
    month: int,
    out: FloatArray | None = None,
    level: IntArray | None = None,
) -> Stakes:
    """:func:`stakes` of every row in ``month``, from its traits, beliefs and post.

    The stakes go into ``out`` (float64, ``(6, n)``) when given; ``level`` is
    each row's post level when the caller has it.
    """
    if level is None:
        level = org.post_level[pop.post]
    return stakes(
        ability=pop.ability,
        idealism=pop.idealism,
        reputation=pop.reputation,
        belief_promotion=pop.belief_promotion,
        below_ceiling=below_age_ceiling(pop, params, month),
        leader=level >= 1,
        params=params,
        out=out,
    )
