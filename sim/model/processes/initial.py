"""The first population (ODD 5): steady-state ages, a replay of careers, and the burn-in.

So that the status quo starts in, and stays in, its steady state, the first
population is drawn from the demographic steady state
(:func:`stationary_ages`), then ``CAREER_REPLAY_YEARS`` years of careers are
replayed once a year (:func:`~sim.model.processes.replay.replay_careers`:
decisions, a discipline record from the monthly hazards, the annual
evaluation) to sort cadres into levels as the promotion tournament does; a
burn-in of silent decision rounds then brings states and beliefs to the
regime's quasi-steady state. The warm-up months after it are ordinary
months, run by :class:`sim.model.CadreModel`.

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

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

import numpy as np

from sim.model.constants import (
    BURN_IN_ROUNDS,
    CAREER_REPLAY_YEARS,
    IDEALISM_TENURE_DECAY,
    RECRUIT_AGE,
    RETIREMENT_AGE,
    ROUTINE,
)
from sim.model.draws import draw_uniform
from sim.model.processes.decision import (
    choose_states,
    population_utilities,
)
from sim.model.processes.evaluation import expected_unfit_rates
from sim.model.processes.replay import replay_careers
from sim.model.processes.setup import (
    BeliefTruths,
    draw_traits,
    initial_beliefs,
    keep_learned,
)
from sim.model.stacking import (
    RunParams,
    Runs,
    params_of,
    per_row_rates,
    workloads,
)
from sim.model.state import FloatArray, Organisation, Population
from sim.parameters.values import Params

__all__ = [
    "Initial",
    "burn_in",
    "initialise_population",
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
    careers are replayed (:func:`~sim.model.processes.replay.replay_careers`)
    with the last evaluation in the last multiple of 12 before the warm-up's
    first month. The
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
