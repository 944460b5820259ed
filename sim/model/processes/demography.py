"""Demography (ODD 7.13, 7.14): service time and ageing, retirement, staffing cuts, recruitment.

Retirement and recruitment happen only when ``workforce.demography`` is on;
staffing cuts only when ``workforce.staffing_cut > 0``.
"""

from __future__ import annotations

import numpy as np

from sim.model.constants import RECRUIT_AGE, RETIREMENT_AGE, ROUTINE
from sim.model.processes.setup import draw_traits, initial_beliefs
from sim.model.stacking import RunParams
from sim.model.state import FloatArray, IntArray, Organisation, Population, vacate
from sim.parameters.values import Params

__all__ = ["cut_posts", "recruit", "retire", "serve_month"]


def serve_month(pop: Population, params: Params | RunParams) -> None:
    """A month of service: tenure, and age if demography is on, advance for serving cadres."""
    alive = pop.alive
    pop.tenure += alive
    demography = params.workforce.demography
    if np.ndim(demography):
        np.add(pop.age, alive / 12.0, out=pop.age, where=demography)
    elif demography:
        pop.age += alive / 12.0


def retire(pop: Population, org: Organisation, params: Params) -> IntArray:
    """Serving cadres aged ``RETIREMENT_AGE`` or more leave; returns their rows."""
    if not params.workforce.demography:
        return np.empty(0, np.int64)
    retiring = np.flatnonzero(pop.alive & (pop.age >= RETIREMENT_AGE))
    vacate(pop, org, retiring)
    return retiring


def cut_posts(org: Organisation, params: Params) -> None:
    """Abolish vacant posts, level by level, down to ``1 - workforce.staffing_cut`` of the start.

    Changes ``org.post_open``; the last vacant posts of a level close first.
    """
    cut = params.workforce.staffing_cut
    if cut <= 0:
        return
    for lvl in range(org.n_levels):
        posts = np.flatnonzero(org.post_level == lvl)
        target = int(np.ceil((1.0 - cut) * org.level_sizes[lvl]))
        n_open = int(org.post_open[posts].sum())
        vacant = posts[org.post_open[posts] & (org.post_holder[posts] < 0)]
        excess = min(n_open - target, vacant.size)
        if excess > 0:
            org.post_open[vacant[-excess:]] = False


def recruit(
    pop: Population,
    org: Organisation,
    params: Params,
    deterrence: float,
    rng: np.random.Generator,
    promotion_rate: FloatArray | None = None,
) -> IntArray:
    """Recruit into open vacant bottom posts, reusing empty rows; returns the recruits' rows.

    Recruits get new traits (:func:`~sim.model.processes.setup.draw_traits`),
    an age drawn uniformly from ``RECRUIT_AGE``, the routine state and
    beliefs at the current regime's truth, promotion beliefs from
    ``promotion_rate`` (the last evaluation's rates)
    (:func:`~sim.model.processes.setup.initial_beliefs`), drawn in that order.
    """
    if not params.workforce.demography:
        return np.empty(0, np.int64)
    vacant = np.flatnonzero((org.post_level == 0) & org.post_open & (org.post_holder < 0))
    free_rows = np.flatnonzero(~pop.alive)[: vacant.size]
    vacant = vacant[: free_rows.size]
    if free_rows.size:
        pop.post[free_rows] = vacant
        org.post_holder[vacant] = free_rows
        draw_traits(pop, free_rows, params, rng)
        pop.age[free_rows] = rng.uniform(RECRUIT_AGE[0], RECRUIT_AGE[1], free_rows.size)
        pop.state[free_rows] = ROUTINE
        initial_beliefs(pop, org, free_rows, params, deterrence, rng, promotion_rate)
    return free_rows
