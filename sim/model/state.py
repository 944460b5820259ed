"""The model's state: the organisation's posts and the population of cadres.

Both are structs of numpy arrays, one entry per post (:class:`Organisation`)
or per cadre slot (:class:`Population`), so every process runs vectorised.
The functions here read positions off the two (levels, units, superiors,
status) and apply the two moves every process shares: a cadre taking a post
(:func:`move`) and a cadre leaving the service (:func:`vacate`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.model.compiled import kernel
from sim.model.constants import CLEARED_WINDOW
from sim.model.kinds import CaseKind, Status

__all__ = [
    "BoolArray",
    "FloatArray",
    "IntArray",
    "Organisation",
    "Population",
    "Workspace",
    "build_organisation",
    "level_sizes",
    "move",
    "status_codes",
    "superior_of",
    "superior_row",
    "superior_rows",
    "units_in_use",
    "vacate",
    "workload",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

NO_CASE = int(CaseKind.NONE)


# --------------------------------------------------------------------------
# organisation
# --------------------------------------------------------------------------
@dataclass
class Organisation:
    """The pyramid of posts.

    Attributes:
        post_level: level of each post (0 = bottom).
        post_parent: index of the superior post (-1 for top posts).
        post_unit: work unit of each post: its superior post, or ``n_posts``
            for the top posts (the leadership forms one unit).
        post_holder: population row holding each post, or -1 if vacant.
        post_open: False for posts abolished by staffing cuts.
        level_sizes: posts per level at the start.

    """

    post_level: IntArray
    post_parent: IntArray
    post_unit: IntArray
    post_holder: IntArray
    post_open: BoolArray
    level_sizes: IntArray

    @property
    def n_posts(self) -> int:
        """Number of posts (open or not)."""
        return int(self.post_level.size)

    @property
    def n_levels(self) -> int:
        """Number of levels."""
        return int(self.level_sizes.size)

    @property
    def n_units(self) -> int:
        """Number of work units (posts can be superiors, plus the top unit)."""
        return self.n_posts + 1


def level_sizes(population: int, levels: int, span: int) -> IntArray:
    """Posts per level: a pyramid shrinking by ``span`` per level, summing to ``population``."""
    levels = max(1, min(levels, population))
    weights = float(span) ** -np.arange(levels)
    sizes = np.floor(population * weights / weights.sum()).astype(np.int64)
    sizes = np.maximum(sizes, 1)
    sizes[0] += population - sizes.sum()
    return sizes


def build_organisation(population: int, levels: int, span: int) -> Organisation:
    """Build the pyramid: each post's level, superior post and work unit."""
    sizes = level_sizes(population, levels, span)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    post_level = np.repeat(np.arange(sizes.size), sizes)
    post_parent = np.full(population, -1, dtype=np.int64)
    for lvl in range(sizes.size - 1):
        k = np.arange(sizes[lvl])
        post_parent[starts[lvl] : starts[lvl + 1]] = (
            starts[lvl + 1] + (k * sizes[lvl + 1]) // sizes[lvl]
        )
    post_unit = np.where(post_parent >= 0, post_parent, population)
    return Organisation(
        post_level=post_level,
        post_parent=post_parent,
        post_unit=post_unit,
        post_holder=np.arange(population, dtype=np.int64),
        post_open=np.ones(population, dtype=bool),
        level_sizes=sizes,
    )


# --------------------------------------------------------------------------
# population
# --------------------------------------------------------------------------
class Workspace:
    """Scratch arrays a process reuses from month to month instead of allocating them afresh.

    A workspace holds no state of the model: whoever takes an array from it
    overwrites (or clears) what it reads before reading it, so results never
    depend on what an earlier call left there. Fresh arrays of a few
    megabytes cost a page fault per page on every call; reused ones do not.
    A pickled workspace is empty (its arrays are rebuilt on first use).
    """

    __slots__ = ("_arrays",)

    def __init__(self) -> None:
        """An empty workspace."""
        self._arrays: dict[str, np.ndarray] = {}

    def array(self, name: str, shape: tuple[int, ...], dtype: Any = np.float64) -> np.ndarray:
        """The scratch array ``name`` of ``shape`` and ``dtype``, contents undefined.

        The same array is returned while the shape and dtype stay the same;
        otherwise a new one replaces it.
        """
        array = self._arrays.get(name)
        if array is None or array.shape != shape or array.dtype != dtype:
            array = np.empty(shape, dtype=dtype)
            self._arrays[name] = array
        return array

    def __getstate__(self) -> dict[str, Any]:
        """Pickle nothing: scratch contents are never needed."""
        return {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickle as an empty workspace."""
        self._arrays = {}


def _column(dtype: type, doc: str) -> Any:
    """A :class:`Population` field: one array of ``dtype``, described by ``doc``."""
    return field(metadata={"dtype": np.dtype(dtype), "doc": doc})


@dataclass
class Population:
    """Every cadre's state, one row per cadre slot (struct of arrays).

    A row is a slot: when a cadre leaves, its row is marked not ``alive`` and
    may be reused by a recruit (a new agent). Each field's dtype is declared
    with it; ``docs/ODD.md`` section 2.1 describes every field. Each
    population also owns a :class:`Workspace` (``workspace``, not a field)
    for the scratch arrays of the monthly processes.
    """

    alive: BoolArray = _column(np.bool_, "the slot holds a serving cadre")
    post: IntArray = _column(np.int64, "the post held")
    state: IntArray = _column(np.int64, "this month's WorkState")
    ability: FloatArray = _column(np.float64, "ability (mean 1)")
    risk_aversion: FloatArray = _column(np.float64, "weight on expected sanctions")
    orientation: IntArray = _column(np.int64, "Orientation recruited as")
    idealism: FloatArray = _column(np.float64, "current idealism in [0, 1]")
    idealism_base: FloatArray = _column(np.float64, "long-run idealism in [0, 1]")
    reputation: FloatArray = _column(np.float64, "reputation in [0, 1]")
    tenure: IntArray = _column(np.int64, "months in the current post")
    age: FloatArray = _column(np.float64, "age in years")
    belief_exemption: FloatArray = _column(np.float64, "believed chance of exemption")
    belief_false: FloatArray = _column(np.float64, "believed false-report rate")
    belief_promotion: FloatArray = _column(np.float64, "believed yearly promotion rate")
    belief_vindication: FloatArray = _column(np.float64, "believed chance of clarification")
    case_kind: IntArray = _column(np.int64, "CaseKind of the open investigation")
    case_months_left: IntArray = _column(np.int64, "months until the open case concludes")
    reputation_at_case: FloatArray = _column(np.float64, "reputation before the last case")
    punished_until: IntArray = _column(np.int64, "barred from promotion before this month")
    removal_pending: BoolArray = _column(np.bool_, "removed from post at the next evaluation")
    cleared_month: IntArray = _column(np.int64, "last month cleared of a false report")
    performance: FloatArray = _column(np.float64, "output since the last evaluation")
    active_months: IntArray = _column(np.int64, "months active since the last evaluation")
    flat_months: IntArray = _column(np.int64, "months flat since the last evaluation")

    def __post_init__(self) -> None:
        """Give the population its own scratch :class:`Workspace`."""
        self.workspace = Workspace()

    @classmethod
    def empty(cls, n: int) -> Population:
        """A population of ``n`` slots, all zero, each array of its declared dtype."""
        return cls(**{f.name: np.zeros(n, dtype=f.metadata["dtype"]) for f in fields(cls)})


# --------------------------------------------------------------------------
# positions and standing
# --------------------------------------------------------------------------
def superior_rows(pop: Population, org: Organisation, offset: IntArray | int = 0) -> IntArray:
    """Population row of each cadre's superior (-1 for none or vacant).

    ``offset`` is the first row of each row's run when several runs are
    stacked (:class:`sim.model.stacking.Runs`): posts and rows are numbered
    within a run, and the stack's ``org.post_holder`` holds every run's posts
    one run after another.
    """
    offsets = np.asarray(offset, dtype=np.int64)
    stride = 0 if offsets.ndim == 0 else 1
    rows = np.empty(pop.alive.size, dtype=np.int64)
    offsets = np.ascontiguousarray(offsets.reshape(-1))
    _superior_rows(pop.alive, pop.post, org.post_parent, org.post_holder, offsets, stride, rows)
    return rows


@kernel
def superior_of(parent: int, serving: bool, post_holder: IntArray, offset: int) -> int:
    """Population row of the superior of a cadre whose post's superior post is ``parent``.

    -1 when the post has no superior post (``parent < 0``), the cadre is not
    ``serving`` or the superior post is vacant. ``offset`` is the first row
    (and post) of the cadre's run. The one definition behind
    :func:`superior_row` and :func:`superior_rows`; kernels call it with
    numbers (a compiled call that passes several arrays costs more than the
    lookup itself).
    """
    if parent < 0 or not serving:
        return -1
    holder = post_holder[parent + offset]
    return holder + offset if holder >= 0 else -1


@kernel
def superior_row(
    row: int,
    alive: BoolArray,
    post: IntArray,
    post_parent: IntArray,
    post_holder: IntArray,
    offset: int,
) -> int:  # pragma: no cover - compiled
    """Population row of ``row``'s superior (-1 for none or vacant; compiled).

    As :func:`superior_rows` for one row (:func:`superior_of`).

    ``offset`` is the first row of ``row``'s run.
    """
    return superior_of(post_parent[post[row]], alive[row], post_holder, offset)


@kernel
def _superior_rows(alive, post, post_parent, post_holder, offset, stride, rows):  # pragma: no cover
    """:func:`superior_of` of every row into ``rows``."""
    for i in range(rows.size):
        rows[i] = superior_of(post_parent[post[i]], alive[i], post_holder, offset[i * stride])


def units_in_use(org: Organisation) -> tuple[int, int]:
    """``first, stop``: every post's work unit lies in ``first:stop`` (``0, 0`` with no post).

    Units are numbered by their superior post, so the bottom posts' numbers
    are never a unit's; a per-unit pass need only cover these.
    """
    if org.post_unit.size == 0:
        return 0, 0
    return int(org.post_unit.min()), int(org.post_unit.max()) + 1


def status_codes(pop: Population, month: int) -> IntArray:
    """:class:`~sim.model.agents.Status` of each row in ``month``, as integers."""
    status = np.full(pop.alive.size, int(Status.NORMAL), dtype=np.int64)
    status[month - pop.cleared_month < CLEARED_WINDOW] = int(Status.CLEARED)
    status[pop.punished_until > month] = int(Status.PUNISHED)
    status[pop.case_kind != NO_CASE] = int(Status.UNDER_INVESTIGATION)
    return status


def workload(pop: Population, initial_headcount: int) -> float:
    """Work per cadre relative to the start: staffing cuts raise it."""
    serving = int(pop.alive.sum())
    return initial_headcount / serving if serving else 1.0


# --------------------------------------------------------------------------
# moves
# --------------------------------------------------------------------------
def move(pop: Population, org: Organisation, rows: IntArray, posts: IntArray) -> None:
    """Move cadres in ``rows`` into ``posts`` (vacating their old posts); tenure restarts."""
    old = pop.post[rows]
    org.post_holder[old[org.post_holder[old] == rows]] = -1
    pop.post[rows] = posts
    org.post_holder[posts] = rows
    pop.tenure[rows] = 0


def vacate(pop: Population, org: Organisation, rows: IntArray) -> None:
    """Cadres in ``rows`` leave the service: their posts fall vacant, open cases close.

    An open case is dropped without a verdict (no sanction, no clearing) and a
    pending removal from post lapses.
    """
    org.post_holder[pop.post[rows]] = -1
    pop.alive[rows] = False
    pop.case_kind[rows] = NO_CASE
    pop.case_months_left[rows] = 0
    pop.removal_pending[rows] = False
