"""The model's outputs: their names, the one rule for output names, and a month's values.

:data:`OUTPUTS` lists the outputs every model reports, in column order;
:data:`EVENT_COUNTS` those among them that count the month's events (flows).
The by-level shares ``flat_share_level<k>`` and ``active_share_level<k>``
(``k = 1`` the bottom level) depend on ``workforce.levels``, so each model
lists its own in ``CadreModel.output_names`` (:func:`output_names`).
:func:`is_output_name` is the one rule saying whether a name is an output.
Definitions are in ``docs/ODD.md`` section 9.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.model.compiled import kernel
from sim.model.constants import ACTIVE, CLEARED_WINDOW, EFFORT, FLAT, N_STATES, ROUTINE
from sim.model.kinds import CaseKind, Orientation
from sim.model.stacking import Runs
from sim.model.state import FloatArray, IntArray, Organisation, Population

if TYPE_CHECKING:
    from sim.model.cadre_model import CadreModel
    from sim.parameters.values import Params

__all__ = [
    "BY_LEVEL_SHARES",
    "EVENT_COUNTS",
    "OUTPUTS",
    "is_output_name",
    "level_output_name",
    "month_outputs",
    "output_names",
    "read_output",
    "series_columns",
    "series_frame",
    "stack_output_table",
    "stack_outputs",
]

#: Outputs that count events during the month (flows); the rest are states.
EVENT_COUNTS: tuple[str, ...] = (
    "innovations",
    "honest_mistakes",
    "exemptions",
    "true_reports",
    "false_reports",
    "false_reports_on_active",
    "wrongful_punishments",
    "punishments",
    "clarifications",
    "false_accusers_punished",
    "promotions",
    "demotions",
    "removals",
    "retirements",
    "recruits",
)

#: Outputs reported every month, in column order (by-level shares are added
#: per model because they depend on ``workforce.levels``).
OUTPUTS: tuple[str, ...] = (
    "flat_share",
    "active_share",
    "routine_share",
    "flat_share_realist",
    "flat_share_idealist",
    "active_share_realist",
    "active_share_idealist",
    "routine_share_realist",
    "routine_share_idealist",
    "flat_share_upper",
    "active_share_upper",
    "mean_effort",
    "public_value",
    *EVENT_COUNTS,
    "headcount",
    "under_investigation",
    "mean_reputation",
    "reputation_cleared",
    "belief_exemption",
    "belief_false_accusation",
    "belief_promotion",
    "belief_vindication",
    "mean_idealism",
    "deterrence",
)

#: The shares reported for each level, in column order.
BY_LEVEL_SHARES: tuple[str, ...] = ("flat_share", "active_share")

_BY_LEVEL = re.compile(r"(?:flat|active)_share_level[1-9][0-9]*")
_OUTPUT_SET = frozenset(OUTPUTS)


def level_output_name(share: str, level: int) -> str:
    """The output name of ``share`` (one of :data:`BY_LEVEL_SHARES`) at ``level`` (1 = bottom)."""
    return f"{share}_level{level}"


def output_names(levels: int) -> tuple[str, ...]:
    """Every output of a model with ``levels`` levels, in column order."""
    return OUTPUTS + tuple(
        level_output_name(share, k) for share in BY_LEVEL_SHARES for k in range(1, levels + 1)
    )


def is_output_name(name: str) -> bool:
    """Whether ``name`` is a model output: in :data:`OUTPUTS`, or a by-level share.

    By-level shares are ``flat_share_level<k>`` and ``active_share_level<k>``
    for a whole number ``k >= 1`` written without leading zeros.
    """
    return name in _OUTPUT_SET or _BY_LEVEL.fullmatch(name) is not None


def _shares(counts: IntArray, totals: IntArray) -> FloatArray:
    """``counts / totals`` elementwise, NaN where the total is 0 (an empty group)."""
    out = np.full(np.broadcast(counts, totals).shape, np.nan)
    np.divide(counts, totals, out=out, where=totals > 0)
    return out


def _means(values: FloatArray, counts: IntArray) -> FloatArray:
    """Each run's mean of its part of every row of ``values`` (runs' values one after another).

    ``values`` is ``(m, n)`` (or ``(n,)``, one row): run ``r``'s values are the
    next ``counts[r]`` columns. A mean is numpy's: the pairwise sum of the
    run's values over their count, exactly as for the run alone (each row of
    the run's block is summed along it as a 1-d array is; tested); NaN for a
    run with no values. Returns ``(m, runs)`` (or ``(runs,)``).
    """
    if values.ndim == 1:  # one row: each run's 1-d slice
        means = np.full(counts.size, np.nan)
        start = 0
        for r, k in enumerate(counts.tolist()):
            if k:
                means[r] = np.add.reduce(values[start : start + k]) / k
            start += k
        return means
    out = np.full((values.shape[0], counts.size), np.nan)
    start = 0
    for r, k in enumerate(counts.tolist()):
        if k:
            out[:, r] = np.add.reduce(values[:, start : start + k], axis=1) / k
        start += k
    return out


#: The population columns whose mean over the serving cadres is an output, in
#: the order of their outputs in :func:`stack_outputs`.
_MEAN_COLUMNS = (
    "reputation",
    "belief_exemption",
    "belief_false",
    "belief_promotion",
    "belief_vindication",
    "idealism",
)

#: The outputs of :data:`_MEAN_COLUMNS`' means, in the same order.
_MEAN_OUTPUTS = (
    "mean_reputation",
    "belief_exemption",
    "belief_false_accusation",
    "belief_promotion",
    "belief_vindication",
    "mean_idealism",
)

_NO_CASE = int(CaseKind.NONE)


@kernel
def _count_and_gather(
    alive,
    state,
    orientation,
    post,
    post_level,
    run,
    several,
    case_kind,
    cleared_month,
    month,
    reputation,
    belief_exemption,
    belief_false,
    belief_promotion,
    belief_vindication,
    idealism,
    effort,
    gather,
    table,
    per_run,
    values,
):  # pragma: no cover - compiled
    """One pass over the rows for :func:`stack_outputs`: every count, and the values to average.

    ``table[run, orientation, level, state]`` counts the serving cadres;
    ``per_run[run]`` holds the serving, the serving under investigation and
    the serving cleared within ``CLEARED_WINDOW`` months. Row ``j`` of
    ``values`` receives, serving cadre after serving cadre (row order, so
    each run's values follow each other), the ``j``-th of the six columns,
    then ``effort[state]``; its last row the reputations of the recently
    cleared. Without ``gather`` (every row is serving, so the columns
    themselves are those values) the six columns are not copied. Every array
    but the inputs is overwritten. ``run`` is read only for ``several`` runs.
    """
    table[:] = 0
    per_run[:] = 0
    k = 0
    c = 0
    for i in range(alive.size):
        if not alive[i]:
            continue
        r = run[i] if several else 0
        s = state[i]
        table[r, orientation[i], post_level[post[i]], s] += 1
        per_run[r, 0] += 1
        if case_kind[i] != _NO_CASE:
            per_run[r, 1] += 1
        if gather:
            values[0, k] = reputation[i]
            values[1, k] = belief_exemption[i]
            values[2, k] = belief_false[i]
            values[3, k] = belief_promotion[i]
            values[4, k] = belief_vindication[i]
            values[5, k] = idealism[i]
        values[6, k] = effort[s]
        k += 1
        if month - cleared_month[i] < CLEARED_WINDOW:
            per_run[r, 2] += 1
            values[7, c] = reputation[i]
            c += 1


def month_outputs(
    pop: Population,
    org: Organisation,
    month: int,
    events: Mapping[str, int],
    public_value: float,
    deterrence: float,
) -> dict[str, float]:
    """Every output of :func:`output_names` for the state at the end of ``month``.

    ``events`` holds the month's counts (names in :data:`EVENT_COUNTS`;
    missing ones are 0) and ``public_value`` the month's public value per
    cadre; shares of an empty group are NaN. One run's :func:`stack_outputs`.
    """
    runs = Runs.single(pop.alive.size, org.n_units)
    return stack_outputs(pop, org, runs, month, [events], [public_value], [deterrence])[0]


def stack_outputs(
    pop: Population,
    org: Organisation,
    runs: Runs,
    month: int,
    events: Sequence[Mapping[str, int]],
    public_value: Sequence[float],
    deterrence: Sequence[float],
) -> list[dict[str, float]]:
    """:func:`month_outputs` of every run of a stack (``events``, ... one entry per run).

    Each run's row of :func:`stack_output_table` as a dict, in the order of
    :func:`output_names`.
    """
    names = output_names(org.n_levels)
    table = stack_output_table(pop, org, runs, month, events, public_value, deterrence)
    return [dict(zip(names, row, strict=True)) for row in table.tolist()]


def stack_output_table(
    pop: Population,
    org: Organisation,
    runs: Runs,
    month: int,
    events: Sequence[Mapping[str, int]],
    public_value: Sequence[float],
    deterrence: Sequence[float],
) -> FloatArray:
    """Every output of every run of a stack: ``table[run, j]`` is output ``output_names(...)[j]``.

    Counts are made for all runs at once, in one compiled pass that also
    gathers the values to average into a scratch array of ``pop.workspace``;
    every mean is each run's own (:func:`_means`: numpy's pairwise sum of the
    run's values), so a run's outputs are the same alone or stacked.
    """
    k_runs = runs.count
    n_levels = org.n_levels
    scratch = pop.workspace
    table = scratch.array("outputs_counts", (k_runs, 2, n_levels, N_STATES), np.int64)
    per_run = scratch.array("outputs_run_counts", (k_runs, 3), np.int64)
    values = scratch.array("outputs_values", (len(_MEAN_COLUMNS) + 2, pop.alive.size))
    every_row_serving = bool(np.count_nonzero(pop.alive) == pop.alive.size)
    _count_and_gather(
        pop.alive,
        pop.state,
        pop.orientation,
        pop.post,
        org.post_level,
        runs.run,
        k_runs > 1,
        pop.case_kind,
        pop.cleared_month,
        month,
        *(getattr(pop, column) for column in _MEAN_COLUMNS),
        EFFORT,
        not every_row_serving,
        table,
        per_run,
        values,
    )
    headcount = per_run[:, 0].copy()
    n = np.maximum(headcount, 1)
    by_orient = table.sum(axis=2)
    shares = by_orient.sum(axis=1) / n[:, None]
    orient_shares = _shares(by_orient, by_orient.sum(axis=2, keepdims=True))
    by_level = table.sum(axis=1)
    level_shares = _shares(by_level, by_level.sum(axis=2, keepdims=True))
    upper = by_level[:, 1:].sum(axis=1)
    upper_shares = _shares(upper, upper.sum(axis=1, keepdims=True))
    if every_row_serving:  # each run's part of the columns themselves; effort gathered
        rows = [*(getattr(pop, column) for column in _MEAN_COLUMNS), values[len(_MEAN_COLUMNS)]]
        sums = np.array([runs.sums(row) for row in rows])
        gathered = _shares(sums, headcount)  # sum / count, as numpy's mean; NaN for no one
    else:
        gathered = _means(values[: len(_MEAN_COLUMNS) + 1], headcount)
    means, effort = gathered[:-1], gathered[-1]
    effort[headcount == 0] = 0.0  # no one serving: no effort
    at = _columns(n_levels)
    out = np.empty((k_runs, len(OUTPUTS) + 2 * n_levels))
    out[:, at["shares"]] = shares[:, [FLAT, ACTIVE, ROUTINE]]
    out[:, at["orientation"]] = orient_shares[:, _ORIENTED[0], _ORIENTED[1]]
    out[:, at["upper"]] = upper_shares[:, [FLAT, ACTIVE]]
    out[:, at["mean_effort"]] = effort
    out[:, at["public_value"]] = public_value
    out[:, at["events"]] = [
        [run_events.get(key, 0) for key in EVENT_COUNTS] for run_events in events
    ]
    out[:, at["headcount"]] = headcount
    out[:, at["under_investigation"]] = per_run[:, 1]
    out[:, at["reputation_cleared"]] = _means(values[len(_MEAN_COLUMNS) + 1], per_run[:, 2])
    out[:, at["means"]] = means.T
    out[:, at["deterrence"]] = deterrence
    out[:, at["flat_levels"]] = level_shares[:, :, FLAT]
    out[:, at["active_levels"]] = level_shares[:, :, ACTIVE]
    return out


#: The (orientation, state) of each orientation share, in column order.
_ORIENTED = tuple(
    np.array(index)
    for index in zip(
        *((int(o), s) for o in Orientation for s in (FLAT, ACTIVE, ROUTINE)), strict=True
    )
)


@functools.cache
def _columns(levels: int) -> dict[str, Any]:
    """Where :func:`stack_output_table` puts each group of outputs: column indices by group."""
    index = {name: j for j, name in enumerate(output_names(levels))}

    def where(*names: str) -> list[int]:
        """The column indices of ``names``."""
        return [index[name] for name in names]

    labels = ("flat", "active", "routine")
    return {
        "shares": where("flat_share", "active_share", "routine_share"),
        "orientation": where(
            *(f"{label}_share_{o.name.lower()}" for o in Orientation for label in labels)
        ),
        "upper": where("flat_share_upper", "active_share_upper"),
        "mean_effort": index["mean_effort"],
        "public_value": index["public_value"],
        "events": where(*EVENT_COUNTS),
        "headcount": index["headcount"],
        "under_investigation": index["under_investigation"],
        "reputation_cleared": index["reputation_cleared"],
        "means": where(*_MEAN_OUTPUTS),
        "deterrence": index["deterrence"],
        "flat_levels": where(*(level_output_name("flat_share", k + 1) for k in range(levels))),
        "active_levels": where(*(level_output_name("active_share", k + 1) for k in range(levels))),
    }


def series_columns(
    values: Mapping[str, Sequence[float]],
    params_by_month: Sequence[Params],
    changed: Sequence[str],
) -> dict[str, Sequence[Any]]:
    """A run's monthly time series as columns: ``month``, the outputs, then each changed parameter.

    ``values`` holds each output's value per month (month 0 first), in column
    order; ``params_by_month`` the parameters in force each month; ``changed``
    the dotted names of the parameters a timeline sets (one column each,
    holding the value in force, as a list). ``month`` is ``int64``; the
    outputs are ``values``' own sequences (not copied).
    """
    months = len(next(iter(values.values()))) if values else 0
    columns: dict[str, Sequence[Any]] = {"month": np.arange(months, dtype=np.int64)}
    columns.update(values)
    for name in changed:
        columns[name] = [params.get(name) for params in params_by_month]
    return columns


def series_frame(
    values: Mapping[str, Sequence[float]],
    params_by_month: Sequence[Params],
    changed: Sequence[str],
) -> pd.DataFrame:
    """A run's monthly time series (:func:`series_columns`) as a frame with a range index.

    The parameter columns are added one by one from their lists, so their
    types are what pandas infers for a list of the values in force.
    """
    columns = series_columns(values, params_by_month, changed)
    parameters = set(changed)
    frame = pd.DataFrame({name: col for name, col in columns.items() if name not in parameters})
    for name in changed:
        frame[name] = columns[name]
    return frame


def read_output(model: CadreModel, name: str) -> float:
    """DataCollector reporter: this month's value of output ``name`` (picklable with partial)."""
    return model.outputs[name]
