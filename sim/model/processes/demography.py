"""Demography (ODD 7.13, 7.14): service time and ageing, retirement, staffing cuts, recruitment.

Retirement and recruitment happen only when ``workforce.demography`` is on;
staffing cuts only when ``workforce.staffing_cut > 0``. Each function works
on one run or on a stack of runs (``runs``, a
:class:`~sim.model.stacking.Runs`; default: one run), each run as alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.model.compiled import kernel
from sim.model.constants import RECRUIT_AGE, RETIREMENT_AGE, ROUTINE
from sim.model.kinds import CaseKind
from sim.model.processes.setup import BeliefTruths, draw_traits, initial_beliefs
from sim.model.stacking import RunParams, Runs, at_rows, per_run, strided
from sim.model.state import FloatArray, IntArray, Organisation, Population
from sim.parameters.values import Params

__all__ = ["cut_posts", "recruit", "retire", "serve_month", "vacate_rows"]


def serve_month(pop: Population, params: Params | RunParams) -> None:
    """A month of service: tenure, and age if demography is on, advance for serving cadres.

    Tenure gains ``alive`` (1 or 0) and age ``alive / 12`` (rows whose run
    has demography on), every row in one compiled pass.
    """
    _serve(pop.alive, pop.tenure, pop.age, *strided(params.workforce.demography, np.bool_))


@kernel
def _serve(alive, tenure, age, demography, d_stride):  # pragma: no cover - compiled
    """The equations of :func:`serve_month`, row by row in place."""
    for i in range(alive.size):
        a = alive[i]
        tenure[i] += 1 if a else 0
        if demography[i * d_stride]:
            age[i] = age[i] + (1.0 if a else 0.0) / 12.0


def _layout(size: int, org: Organisation, runs: Runs | None) -> Runs:
    """``runs``, or one run of ``size`` rows."""
    return runs or Runs.single(size, org.n_units)


def _each_run(runs: Runs, value: object) -> list[object]:
    """Every run's value of a number or one value per row."""
    return [per_run(runs, value, r) for r in range(runs.count)]


def vacate_rows(
    pop: Population, org: Organisation, rows: IntArray, runs: Runs | None = None
) -> None:
    """:func:`~sim.model.state.vacate` in a stack: the cadres in ``rows`` (stack rows) leave.

    Their posts (numbered within their runs) fall vacant, an open case is
    dropped without a verdict and a pending removal from post lapses.
    """
    runs = _layout(pop.alive.size, org, runs)
    org.post_holder[pop.post[rows] + at_rows(runs.row_offset, rows)] = -1
    pop.alive[rows] = False
    pop.case_kind[rows] = int(CaseKind.NONE)
    pop.case_months_left[rows] = 0
    pop.removal_pending[rows] = False


def retire(
    pop: Population, org: Organisation, params: Params | RunParams, runs: Runs | None = None
) -> IntArray:
    """Serving cadres aged ``RETIREMENT_AGE`` or more leave; returns their (stack) rows."""
    demography = params.workforce.demography
    if np.ndim(demography) == 0 and not demography:
        return np.empty(0, np.int64)
    retiring = pop.alive & (pop.age >= RETIREMENT_AGE)
    if np.ndim(demography):
        retiring &= demography
    rows = np.flatnonzero(retiring)
    vacate_rows(pop, org, rows, runs)
    return rows


def cut_posts(org: Organisation, params: Params | RunParams, runs: Runs | None = None) -> None:
    """Abolish vacant posts, level by level, down to ``1 - workforce.staffing_cut`` of the start.

    Changes ``org.post_open``; the last vacant posts of a level close first.
    In a stack each run cuts its own posts by its own ``staffing_cut``.
    """
    runs = _layout(org.post_holder.size, org, runs)
    cut = np.array(_each_run(runs, params.workforce.staffing_cut), dtype=np.float64)
    if not (cut > 0).any():
        return
    holder = org.post_holder.reshape(runs.count, runs.size)
    is_open = org.post_open.reshape(runs.count, runs.size)
    first_post = np.arange(runs.count)[:, None] * runs.size
    for lvl in range(org.n_levels):
        posts = np.flatnonzero(org.post_level == lvl)
        target = np.ceil((1.0 - cut) * org.level_sizes[lvl]).astype(np.int64)
        level_open = is_open[:, posts]
        vacant = level_open & (holder[:, posts] < 0)
        excess = np.minimum(level_open.sum(axis=1) - target, vacant.sum(axis=1))
        excess[cut <= 0] = 0
        # vacant posts counted from the end of the level: the last ``excess`` close
        from_end = np.cumsum(vacant[:, ::-1], axis=1)[:, ::-1]
        closing = vacant & (from_end <= excess[:, None])
        if closing.any():
            org.post_open[(first_post + posts)[closing]] = False


def recruit(
    pop: Population,
    org: Organisation,
    params: Params | RunParams,
    deterrence: Sequence[float],
    rngs: Sequence[np.random.Generator],
    promotion_rate: Sequence[FloatArray] | None = None,
    runs: Runs | None = None,
    truths: list[BeliefTruths] | None = None,
) -> IntArray:
    """Recruit into open vacant bottom posts, reusing empty rows; returns the recruits' rows.

    In each run, the first free rows take the first open vacant bottom posts
    (as many as there are of both). Recruits get new traits
    (:func:`~sim.model.processes.setup.draw_traits`), an age drawn uniformly
    from ``RECRUIT_AGE``, the routine state and beliefs at the current
    regime's truth, promotion beliefs from ``promotion_rate`` (each run's
    last evaluation's rates) (:func:`~sim.model.processes.setup.initial_beliefs`),
    drawn in that order from each run's generator in ``rngs``; a run with no
    recruits draws nothing. ``deterrence`` holds one value per run. Returns
    stack rows, ascending. If there are recruits and ``truths`` is a list,
    the regime's truth their beliefs were drawn at
    (:func:`~sim.model.processes.setup.belief_truths`, of the population
    with them) is appended to it.
    """
    runs = _layout(pop.alive.size, org, runs)
    on = np.array(_each_run(runs, params.workforce.demography), dtype=bool)
    if not on.any():
        return np.empty(0, np.int64)
    vacant = np.empty(pop.alive.size, dtype=np.int64)
    rows = np.empty(pop.alive.size, dtype=np.int64)
    k = np.zeros(runs.count, dtype=np.int64)
    total = _recruit_slots(
        org.post_level, org.post_open, org.post_holder, pop.alive, runs.size, on, vacant, rows, k
    )
    vacant, rows = vacant[:total], rows[:total]
    if rows.size:
        offset = at_rows(runs.row_offset, rows)
        pop.post[rows] = vacant - offset
        org.post_holder[vacant] = rows - offset
        draw_traits(pop, rows, params, rngs, runs)
        ages = [
            rng.uniform(RECRUIT_AGE[0], RECRUIT_AGE[1], int(n))
            for rng, n in zip(rngs, k, strict=True)
            if n
        ]
        pop.age[rows] = ages[0] if len(ages) == 1 else np.concatenate(ages)
        pop.state[rows] = ROUTINE
        truth = initial_beliefs(pop, org, rows, params, deterrence, rngs, promotion_rate, runs)
        if truths is not None and truth is not None:
            truths.append(truth)
    return rows


@kernel
def _recruit_slots(
    post_level, post_open, post_holder, alive, size, on, vacant, rows, k
):  # pragma: no cover - compiled
    """Each run's first free rows and first open vacant bottom posts, as many of both.

    For each run ``r`` with ``on[r]`` (runs of ``size`` rows and posts),
    ``k[r]`` is the smaller of its number of open vacant bottom posts and of
    rows not ``alive``; its first ``k[r]`` of each (stack posts and rows,
    ascending) go to ``vacant`` and ``rows``, run after run. Returns ``sum(k)``.
    """
    filled = 0
    for r in range(on.size):
        if not on[r]:
            continue
        first = r * size
        n_vacant, n_free = 0, 0
        for j in range(size):
            if post_level[j] == 0 and post_open[first + j] and post_holder[first + j] < 0:
                vacant[filled + n_vacant] = first + j
                n_vacant += 1
        for j in range(size):
            if not alive[first + j] and n_free < n_vacant:
                rows[filled + n_free] = first + j
                n_free += 1
        k[r] = n_free
        filled += n_free
    return filled
