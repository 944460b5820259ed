"""One month of the schedule (ODD 3, steps 1 to 6) for one run or a stack of runs.

:func:`advance_month` calls the monthly processes in schedule order over
every row of the population at once. The rows may hold several runs of equal
structure (:class:`~sim.model.stacking.Runs`); each run draws from its own
generator exactly what it draws alone, and every per-run total is summed
per run, so each run's data are identical whether it runs alone or stacked.
The annual evaluation (step 7, :func:`sim.model.processes.annual.annual_evaluation`,
also over every run at once) and the outputs are the caller's
(:class:`sim.model.CadreModel`, :class:`sim.model.stack.RunStack`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.model.processes import cases, decision, demography, learning, reports, work
from sim.model.processes.stakes import rank_factors
from sim.model.stacking import RunParams, Runs, params_of
from sim.model.state import FloatArray, Organisation, Population
from sim.parameters.values import Params

__all__ = ["DRAWS_PER_ROW", "Month", "advance_month"]

#: Uniform numbers each row draws at the start of every month: decision,
#: innovation, honest mistake, misconduct, mistake reported, false report,
#: clarification reach.
DRAWS_PER_ROW = 7


@dataclass(frozen=True, slots=True)
class Month:
    """What a month's processes return, one entry per run.

    Attributes:
        events: the month's event counts, by output name.
        public_value: public value per serving cadre.
        deterrence: deterrence at the end of the month.

    """

    events: list[dict[str, int]]
    public_value: list[float]
    deterrence: list[float]


def _month_draws(pop: Population, runs: Runs, rngs: Sequence[np.random.Generator]) -> FloatArray:
    """Each run's ``rng.random((7, size))``, side by side, in a scratch array of ``pop.workspace``.

    The month's processes read these draws and keep none of them, so the
    same array serves every month.
    """
    draws = pop.workspace.array("month_draws", (DRAWS_PER_ROW, pop.alive.size))
    if runs.count == 1:
        rngs[0].random(out=draws)
        return draws
    part = pop.workspace.array("month_run_draws", (DRAWS_PER_ROW, runs.size))
    for r, rng in enumerate(rngs):
        rng.random(out=part)
        draws[:, runs.bounds(r)] = part
    return draws


def advance_month(
    pop: Population,
    org: Organisation,
    runs: Runs,
    params: Params | RunParams,
    month: int,
    headcount: int,
    deterrence: Sequence[float],
    unfit_rate: Sequence[FloatArray],
    rngs: Sequence[np.random.Generator],
) -> Month:
    """Steps 1 to 6 of ``month``: decide, work, report, conclude and open cases, learn, serve.

    ``headcount`` is each run's number of posts at the start (workload is
    relative to it); ``deterrence``, ``unfit_rate`` and ``rngs`` hold one
    entry per run. Each run first draws ``rng.random((7, size))``
    (:data:`DRAWS_PER_ROW`, into scratch arrays of ``pop.workspace``), then
    what the cases draw. Changes ``pop`` in place.
    """
    draws = _month_draws(pop, runs, rngs)
    serving = runs.counts(pop.alive)
    load = runs.per_row([headcount / int(k) if k else 1.0 for k in serving])
    unfit = np.array(unfit_rate, dtype=np.float64).reshape(runs.count, 3)  # each run's three
    deter = runs.per_row(list(deterrence))
    # 1. decision; 2. work; 3. reports (no one moves: the posts' rank factors hold)
    ranks = rank_factors(pop, org, params)
    decision.decide(pop, org, params, load, unfit, draws[0], month, runs, ranks)
    done = work.do_work(pop, org, params, load, draws[1:4], runs, ranks.accountability, serving)
    filed = reports.file_reports(
        pop, org, params, deter, done, draws[4:6], runs, ranks.exposure, serving
    )
    # 4. open cases count down, concluded ones get verdicts; 5. new cases open
    verdicts = cases.conclude_cases(pop, org, params, month, rngs, runs)
    cases.open_cases(pop, params, filed, rngs, runs)
    # 6. beliefs, idealism, reputation, deterrence, tenure and age
    learning.learn_monthly(
        pop,
        org,
        params,
        filed.false_report,
        verdicts,
        draws[6],
        runs,
        filed.visibility,
        (filed.counts["false_reports"], filed.visibility_totals),
    )
    learning.recover(pop, params)
    demography.serve_month(pop, params)
    counts = {**done.counts, **filed.counts, **verdicts.counts}
    names = list(counts)
    by_run = np.array([counts[name] for name in names], dtype=np.int64).reshape(len(names), -1)
    events = [dict(zip(names, values, strict=True)) for values in by_run.T.tolist()]
    next_deterrence = [
        reports.next_deterrence(d, params_of(params, r)) for r, d in enumerate(deterrence)
    ]
    return Month(events, done.public_value, next_deterrence)
