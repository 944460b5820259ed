"""Runs stacked in one set of arrays: which rows belong to which run, and parameters per row.

A stack holds ``K`` runs of equal structure (headcount, levels, span) in one
:class:`~sim.model.state.Population` of ``K * size`` rows: run ``r`` owns
rows ``r * size`` to ``(r + 1) * size``, in the same order as when it runs
alone. The monthly processes run once over the whole stack; everything
whose result depends on the order of a floating-point sum (a mean over a
run's serving cadres, a run's count of events) is computed per run
(:meth:`Runs.sums`, :meth:`Runs.counts`), so each run's numbers are exactly
those it gets alone. A run alone is the stack of one (:meth:`Runs.single`),
and takes the same code path.

:class:`RunParams` reads the parameters in force in each run the way the
processes read one :class:`~sim.parameters.values.Params`
(``params.fault_tolerance.coverage``): a plain number when every run has the
same value, otherwise one value per row. Elementwise arithmetic gives the
same bits either way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from sim.model.state import BoolArray, FloatArray, IntArray, Organisation, Population
from sim.parameters.values import Params

__all__ = [
    "RunParams",
    "Runs",
    "at_rows",
    "mixed",
    "params_of",
    "per_row_rates",
    "per_run",
    "per_run_value",
    "population_view",
    "run_table",
    "run_values",
    "stacked_organisation",
    "state_mix",
    "strided",
    "workloads",
]


@dataclass(frozen=True)
class Runs:
    """The layout of ``count`` runs of ``size`` rows (and ``units`` work units) each.

    Attributes:
        count: runs in the stack.
        size: rows (posts) per run.
        units: work units per run.
        run: the run of each row (``count * size`` entries).
        row_offset: first row of each row's run (0 when there is one run).
        unit_offset: first unit of each row's run (0 when there is one run).

    """

    count: int
    size: int
    units: int
    run: IntArray
    row_offset: IntArray | int
    unit_offset: IntArray | int

    @classmethod
    def stacked(cls, count: int, size: int, units: int) -> Runs:
        """``count`` runs of ``size`` rows and ``units`` units each."""
        run = np.repeat(np.arange(count, dtype=np.int64), size)
        if count == 1:
            return cls(1, size, units, run, 0, 0)
        return cls(count, size, units, run, run * size, run * units)

    @classmethod
    def single(cls, size: int, units: int) -> Runs:
        """One run alone."""
        return cls.stacked(1, size, units)

    @property
    def rows(self) -> int:
        """Rows in the stack."""
        return self.count * self.size

    def bounds(self, run: int) -> slice:
        """The rows of ``run``."""
        return slice(run * self.size, (run + 1) * self.size)

    def per_row(self, values: Sequence[Any] | np.ndarray) -> Any:
        """One value per run as one per row; a plain value when every run has the same."""
        first = values[0]
        if self.count == 1 or all(v == first for v in values[1:]):
            return first
        array = np.asarray(values)
        if array.ndim != 1:
            return np.repeat(array, self.size)
        out = np.empty((self.count, self.size), dtype=array.dtype)
        out[:] = array[:, None]  # each run's value over its rows, as np.repeat lays it
        return out.reshape(-1)

    def counts(self, mask: BoolArray) -> IntArray:
        """How many rows of each run are in ``mask``."""
        if self.count == 1:
            return np.array([np.count_nonzero(mask)], dtype=np.int64)
        return np.count_nonzero(mask.reshape(self.count, self.size), axis=1).astype(np.int64)

    def split(self, rows: IntArray) -> list[IntArray]:
        """Sorted stack rows, split by run (each run's rows, still stack rows, as views)."""
        if self.count == 1:
            return [rows]
        cuts = np.searchsorted(rows, np.arange(1, self.count) * self.size).tolist()
        return [rows[a:b] for a, b in zip([0, *cuts], [*cuts, rows.size], strict=True)]

    def sums(self, values: FloatArray, mask: BoolArray | None = None) -> list[float]:
        """Each run's sum of ``values`` (over ``mask``), summed exactly as the run alone sums it.

        numpy sums by pairwise blocks, so a sum depends on which numbers are
        summed together; each run's numbers are summed on their own. Without
        a mask, a row of ``values.reshape(count, size)`` summed along it is
        summed as the run's slice alone is (numpy sums each row of a
        C-contiguous array with the 1-d pairwise sum; tested); with one, each
        run's part of ``values[mask]`` (its masked numbers, in row order) is
        summed as a 1-d array.
        """
        if self.count == 1:
            chosen = values if mask is None else values[mask]
            return [float(chosen.sum())]
        if mask is None:
            return np.ascontiguousarray(values).reshape(self.count, self.size).sum(axis=1).tolist()
        chosen = values[mask]
        ends = np.cumsum(self.counts(mask)).tolist()
        return [
            float(np.add.reduce(chosen[a:b])) for a, b in zip([0, *ends[:-1]], ends, strict=True)
        ]


def per_run(runs: Runs, values: Any, run: int) -> Any:
    """Run ``run``'s value of a per-row (or plain) value."""
    if isinstance(values, np.ndarray) and values.ndim and runs.count > 1:
        return values[run * runs.size]
    return values


def at_rows(value: Any, rows: IntArray | BoolArray) -> Any:
    """``value`` at ``rows``: itself when it is a plain number, else ``value[rows]``."""
    if isinstance(value, np.ndarray) and value.ndim:
        return value[rows]
    return value


class _GroupValues:
    """One parameter group's values across the runs of a stack."""

    __slots__ = ("_cache", "_groups", "_runs")

    def __init__(self, groups: Sequence[Any], runs: Runs) -> None:
        self._groups = groups
        self._runs = runs
        self._cache: dict[str, Any] = {}

    def __getattr__(self, key: str) -> Any:
        try:
            return self._cache[key]
        except KeyError:
            value = self._runs.per_row([getattr(g, key) for g in self._groups])
            self._cache[key] = value
            return value


class RunParams:
    """The parameters in force in every run of a stack, read like one :class:`Params`.

    ``params.group.key`` is the value itself when all runs share it, else an
    array with each row's run's value. ``params.of(r)`` is run ``r``'s
    :class:`Params`.
    """

    def __init__(self, params: Sequence[Params], runs: Runs) -> None:
        """Read ``params`` (one per run, in run order) laid out by ``runs``."""
        self._params = tuple(params)
        self._runs = runs
        self._groups: dict[str, _GroupValues] = {}
        self._tables: dict[Callable[..., Any], FloatArray] = {}

    def of(self, run: int) -> Params:
        """Run ``run``'s parameters."""
        return self._params[run]

    @property
    def runs(self) -> Runs:
        """The layout of the stack."""
        return self._runs

    def __getattr__(self, group: str) -> _GroupValues:
        if group.startswith("_"):
            raise AttributeError(group)
        try:
            return self._groups[group]
        except KeyError:
            values = _GroupValues([getattr(p, group) for p in self._params], self._runs)
            self._groups[group] = values
            return values


def _single_value(value: Any) -> Any:
    """A one-run value: itself, or the common value of an array that holds one value per row."""
    if isinstance(value, np.ndarray) and value.ndim:
        if value.size and not np.all(value == value.flat[0]):
            raise ValueError("a value per row needs RunParams for its runs")
        return value.flat[0]
    return value


def run_table(
    params: Params | RunParams,
    rows: int,
    columns: Callable[[Params, Callable[[Any], Any]], Sequence[Any]],
) -> tuple[FloatArray, IntArray]:
    """The numbers a compiled kernel reads per run: ``table[K, m]`` and each row's run.

    ``columns(p, pick)`` lists one run's ``m`` numbers from its parameters
    ``p``; ``pick(value)`` is that run's value of a number or per-row value
    (workload, unfit rates). A kernel reads row ``i``'s numbers as
    ``table[run[i]]``. One :class:`Params` is one run of ``rows`` rows.

    A module's function ``columns`` (no closure, not a lambda) reads
    nothing but the parameters, so a :class:`RunParams` keeps its table
    (the same array each time: the caller must not change it).
    """
    if isinstance(params, RunParams):
        runs = params.runs
        keep = getattr(columns, "__closure__", ()) is None and "<" not in getattr(
            columns, "__qualname__", "<"
        )
        if keep and columns in params._tables:
            return params._tables[columns], runs.run
        table = np.array(
            [columns(params.of(r), lambda v, r=r: per_run(runs, v, r)) for r in range(runs.count)],
            dtype=np.float64,
        )
        if keep:
            params._tables[columns] = table
        return table, runs.run
    table = [columns(params, _single_value)]
    return np.array(table, dtype=np.float64), np.zeros(rows, dtype=np.int64)


def run_values(params: Params | RunParams, value: Any) -> FloatArray:
    """Each run's value of a number or one value per row, as float64 (one entry per run)."""
    if not isinstance(params, RunParams):
        return np.array([_single_value(value)], dtype=np.float64)
    runs = params.runs
    if isinstance(value, np.ndarray) and value.ndim:  # row r * size is run r's
        return np.asarray(value[:: runs.size], dtype=np.float64)
    return np.full(runs.count, value, dtype=np.float64)


def strided(value: Any, dtype: type = np.float64) -> tuple[np.ndarray, int]:
    """A number or one value per row as a 1-d array and the stride a kernel reads it with.

    Row ``i``'s value is ``array[i * stride]``: stride 0 for a number.
    """
    array = np.asarray(value, dtype=dtype)
    if array.ndim == 0:
        return array.reshape(1), 0
    return np.ascontiguousarray(array), 1


_COLUMNS = tuple(f.name for f in fields(Population))


def population_view(pop: Population, rows: slice) -> Population:
    """The rows ``rows`` of ``pop`` as a population of views (writes go to ``pop``)."""
    return Population(**{name: getattr(pop, name)[rows] for name in _COLUMNS})


def stacked_organisation(org: Organisation, count: int) -> Organisation:
    """``count`` copies of ``org`` as one: the structure shared, the posts run after run.

    Each run's ``post_holder`` holds rows numbered within the run, as alone.
    """
    return Organisation(
        post_level=org.post_level,
        post_parent=org.post_parent,
        post_unit=org.post_unit,
        post_holder=np.tile(org.post_holder, count),
        post_open=np.tile(org.post_open, count),
        level_sizes=org.level_sizes,
    )


def params_of(params: Params | RunParams, run: int) -> Params:
    """Run ``run``'s :class:`Params` (``params`` itself for one run)."""
    return params.of(run) if isinstance(params, RunParams) else params


def per_run_value(runs: Runs, params: Params | RunParams, value: Callable[[Params], Any]) -> Any:
    """``value(p)`` of each run's parameters ``p``, as a number or one value per row.

    Each run's value is computed from its :class:`Params` as the run alone
    computes it (a power or product of numbers rounds as Python does it).
    """
    if isinstance(params, RunParams):
        return runs.per_row([value(params.of(r)) for r in range(runs.count)])
    return value(params)


def workloads(pop: Population, runs: Runs) -> Any:
    """Each run's :func:`~sim.model.state.workload` (a number, or one value per row)."""
    return runs.per_row([runs.size / int(k) if k else 1.0 for k in runs.counts(pop.alive)])


def per_row_rates(runs: Runs, rates: Sequence[FloatArray]) -> list[Any]:
    """Each run's three perceived unfit rates as three entries, each a number or one per row."""
    return [runs.per_row([rate[s] for rate in rates]) for s in range(len(rates[0]))]


def state_mix(by_state: FloatArray, runs: Runs) -> list[FloatArray]:
    """Each run's logit probabilities as its own ``(size, 3)`` array, one row per cadre.

    A mix ``p @ x`` is a matrix product whose rounding may depend on the
    number of rows, so it is computed per run on an array of the run's shape.
    """
    if runs.count == 1:
        return [np.ascontiguousarray(by_state.T)]
    return [np.ascontiguousarray(by_state[:, runs.bounds(r)].T) for r in range(runs.count)]


def mixed(p: Sequence[FloatArray], values: Sequence[FloatArray]) -> FloatArray:
    """``sum_s P(s) x(s)`` of every row: each run's ``p[r] @ values[r]``, side by side."""
    if len(p) == 1:
        return p[0] @ values[0]
    return np.concatenate([q @ x for q, x in zip(p, values, strict=True)])
