"""Kernels that rank and standardise within groups (levels of runs), for the evaluation.

:func:`sort_within_groups` orders rows by group, then by value, ties by row;
:func:`within_group_zscore` standardises one variable within groups, and
:func:`weighted_zscores` the evaluation score's weighted sum of three such
z-scores plus noise in one pass; :func:`smallest_within_groups` (behind
:func:`best_within_groups` and :func:`bottom_of_levels`, the evaluation's
bottom share of each level) finds each group's first entries by value
without sorting the group. All are compiled (:func:`~sim.model.compiled.kernel`)
and give, bit for bit, the numbers of their plain-numpy reading.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.model.compiled import kernel
from sim.model.stacking import at_rows, strided
from sim.model.state import BoolArray, FloatArray, IntArray

__all__ = [
    "BUCKETS",
    "LANES",
    "best_within_groups",
    "bottom_of_levels",
    "select_in_ranges",
    "smallest_within_groups",
    "sort_within_groups",
    "weighted_zscores",
    "within_group_zscore",
]


def sort_within_groups(key: FloatArray, group: IntArray, n_groups: int) -> IntArray:
    """The order of ``key`` by group, then by value, ties in index order.

    Equal to ``np.lexsort((key, group))`` (a stable sort), done as a fast
    sort of the values (exact when no two are equal and none is NaN, else a
    stable one) followed by a stable counting sort by group (compiled).
    """
    key = np.ascontiguousarray(key, dtype=np.float64)
    group = np.ascontiguousarray(group, dtype=np.int64)
    order = np.argsort(key)
    out = np.empty(key.size, dtype=np.int64)
    if not _group_by_value_order(key, order, group, int(n_groups), True, out):
        order = np.argsort(key, kind="stable")
        _group_by_value_order(key, order, group, int(n_groups), False, out)
    return out


@kernel
def _group_by_value_order(key, order, group, n_groups, exact_only, out):  # pragma: no cover
    """``order`` (ascending ``key``) stably sorted by ``group``, into ``out``.

    With ``exact_only``, returns False (``out`` unfilled) if two keys are
    equal or one is NaN (an order by value that is not the stable one).
    """
    n = order.size
    if exact_only and n:
        last = key[order[n - 1]]
        if last != last:
            return False
        for j in range(1, n):
            if key[order[j]] == key[order[j - 1]]:
                return False
    size = np.zeros(n_groups + 1, dtype=np.int64)
    for i in range(n):
        size[group[i] + 1] += 1
    start = np.cumsum(size)[:-1]  # each group's first place
    for j in range(n):
        i = order[j]
        g = group[i]
        out[start[g]] = i
        start[g] += 1
    return True


def within_group_zscore(
    values: FloatArray, groups: IntArray, mask: BoolArray, n_groups: int
) -> FloatArray:
    """Standardise ``values`` within each group (level) over ``mask``; 0 elsewhere.

    Each group's mean and mean square are its members' sums in row order
    over their count; a group whose standard deviation is 1e-12 or less
    gives 0 (compiled).
    """
    out = np.empty(values.size, dtype=np.float64)
    _zscore(
        np.ascontiguousarray(values, dtype=np.float64),
        np.ascontiguousarray(groups, dtype=np.int64),
        np.ascontiguousarray(mask, dtype=np.bool_),
        int(n_groups),
        out,
    )
    return out


@kernel
def _zscore(values, groups, mask, n_groups, out):  # pragma: no cover - compiled
    """:func:`within_group_zscore` into ``out``."""
    count = np.zeros(n_groups)
    total = np.zeros(n_groups)
    total_sq = np.zeros(n_groups)
    for i in range(values.size):
        if mask[i]:
            g = groups[i]
            count[g] += 1.0
            total[g] += values[i]
            total_sq[g] += values[i] * values[i]
    mean = np.zeros(n_groups)
    sd = np.zeros(n_groups)
    for g in range(n_groups):
        if count[g] > 0:
            mean[g] = total[g] / count[g]
            spread = total_sq[g] / count[g] - mean[g] * mean[g]
            sd[g] = np.sqrt(spread if (spread >= 0.0 or spread != spread) else 0.0)
    for i in range(values.size):
        out[i] = 0.0
        if mask[i]:
            g = groups[i]
            if sd[g] > 1e-12:
                out[i] = (values[i] - mean[g]) / sd[g]


def weighted_zscores(
    values: tuple[FloatArray, IntArray, FloatArray],
    weights: tuple[Any, Any, float],
    groups: IntArray,
    mask: BoolArray,
    n_groups: int,
    noise_weight: Any,
    noise: FloatArray,
    ranges: FloatArray | None = None,
) -> FloatArray:
    """``w0 * z(v0) + w1 * z(v1) + w2 * z(v2) + noise_weight * noise``, summed in that order.

    Each ``z`` is :func:`within_group_zscore` of one of ``values`` (the
    second, an integer array, read as floats); a weight is a number or one
    value per row (compiled: one pass sums all three variables, one writes the scores).
    ``ranges`` (``(3, n_groups)``), if given, receives each group's count
    of rows in ``mask`` and the lowest and highest of their scores.
    """
    w = [np.ascontiguousarray(x, dtype=np.float64).reshape(-1) for x in (*weights, noise_weight)]
    out = np.empty(groups.size, dtype=np.float64)
    if ranges is None:
        ranges = np.empty((3, n_groups))
    _weighted_zscores(
        np.ascontiguousarray(values[0], dtype=np.float64),
        np.ascontiguousarray(values[1], dtype=np.float64),
        np.ascontiguousarray(values[2], dtype=np.float64),
        w[0],
        w[1],
        w[2],
        np.ascontiguousarray(groups, dtype=np.int64),
        np.ascontiguousarray(mask, dtype=np.bool_),
        int(n_groups),
        w[3],
        np.ascontiguousarray(noise, dtype=np.float64),
        out,
        ranges,
    )
    return out


@kernel
def _weighted_zscores(
    a, b, c, wa, wb, wc, groups, mask, n_groups, wn, noise, out, ranges
):  # pragma: no cover
    """:func:`weighted_zscores` into ``out``, and each group's count and range into ``ranges``."""
    # each variable's sums in row order, as _zscore sums them (all three in one pass)
    count = np.zeros(n_groups)
    sums = np.zeros((6, n_groups))
    for i in range(a.size):
        if mask[i]:
            g = groups[i]
            count[g] += 1.0
            sums[0, g] += a[i]
            sums[1, g] += a[i] * a[i]
            sums[2, g] += b[i]
            sums[3, g] += b[i] * b[i]
            sums[4, g] += c[i]
            sums[5, g] += c[i] * c[i]
    mean = np.zeros((3, n_groups))
    sd = np.zeros((3, n_groups))
    for g in range(n_groups):
        if count[g] > 0:
            for v in range(3):
                mean[v, g] = sums[2 * v, g] / count[g]
                spread = sums[2 * v + 1, g] / count[g] - mean[v, g] * mean[v, g]
                sd[v, g] = np.sqrt(spread if (spread >= 0.0 or spread != spread) else 0.0)
    # a weight of one entry is every row's (step 0), else one per row
    sa, sb, sc, sn = (wa.size > 1) * 1, (wb.size > 1) * 1, (wc.size > 1) * 1, (wn.size > 1) * 1
    ranges[0] = count
    ranges[1] = np.inf
    ranges[2] = -np.inf
    for i in range(a.size):
        za = zb = zc = 0.0
        if mask[i]:
            g = groups[i]
            if sd[0, g] > 1e-12:
                za = (a[i] - mean[0, g]) / sd[0, g]
            if sd[1, g] > 1e-12:
                zb = (b[i] - mean[1, g]) / sd[1, g]
            if sd[2, g] > 1e-12:
                zc = (c[i] - mean[2, g]) / sd[2, g]
        out[i] = wa[i * sa] * za + wb[i * sb] * zb + wc[i * sc] * zc + wn[i * sn] * noise[i]
        if mask[i]:
            ranges[1, groups[i]] = min(ranges[1, groups[i]], out[i])
            ranges[2, groups[i]] = max(ranges[2, groups[i]], out[i])


def best_within_groups(
    key: FloatArray,
    group: IntArray,
    n_groups: int,
    take: IntArray,
    mask: BoolArray | None = None,
    sign: float = 1.0,
) -> IntArray:
    """The first ``take[g]`` entries of each group ``g`` by value, ties in index order.

    Equal to ``order[rank < take[group[order]]]`` with ``order =
    sort_within_groups(key, group, n_groups)`` and ``rank`` each entry's
    place within its group: grouped ascending, best (smallest) first. With
    ``mask``, only the entries in it take part (as if ``key[mask]`` were
    ranked, returning their indices in ``key``); ``sign`` ranks ``sign * key``
    (-1.0: largest first). Each group's best are selected without sorting
    the group and only those are sorted (compiled,
    :func:`smallest_within_groups`); with a NaN key, the full sort.
    """
    key = np.ascontiguousarray(key, dtype=np.float64)
    group = np.ascontiguousarray(group, dtype=np.int64)
    take = np.ascontiguousarray(take, dtype=np.int64)
    every = mask is None
    chosen = np.ones(1, dtype=np.bool_) if every else np.ascontiguousarray(mask, dtype=np.bool_)
    out = np.empty(key.size, dtype=np.int64)
    filled = smallest_within_groups(
        key, float(sign), group, chosen, int(not every), take, True, out
    )
    if filled < 0:  # a NaN key
        rows = np.arange(key.size) if every else np.flatnonzero(chosen)
        order = rows[sort_within_groups(sign * key[rows], group[rows], n_groups)]
        size = np.bincount(group[order], minlength=n_groups)
        rank = np.arange(order.size) - (np.cumsum(size) - size)[group[order]]
        return order[rank < take[group[order]]]
    return out[:filled]


#: Buckets of each group's range of values in :func:`smallest_within_groups`.
BUCKETS = 128

#: Interleaved copies of per-group counts in a kernel's pass: consecutive rows of one
#: group then add to different copies instead of each waiting on the last one's count.
LANES = 4


@kernel
def _bucket(value, low, scale):  # pragma: no cover - compiled
    """The bucket of ``value`` in a group from ``low`` on: non-decreasing in ``value``."""
    x = (value - low) * scale
    if not x >= 0.0:  # also NaN, from an infinite range
        return 0
    if x >= BUCKETS:
        return BUCKETS - 1
    return int(x)


@kernel
def smallest_within_groups(
    key, sign, group, mask, m_stride, take, ordered, out
):  # pragma: no cover - compiled
    """Each group's ``take[g]`` smallest entries by (``sign * key``, index) into ``out``.

    Entries ``i`` with ``mask[i * m_stride]`` take part. Returns how many
    (``out[:count]``: group by group, each group's in its order if
    ``ordered``, else in no order), or -1 if the key of an entry of a group
    that takes any is NaN. One pass finds each group's count and range
    (:func:`_group_ranges`); :func:`select_in_ranges` selects.
    """
    values = key if sign == 1.0 else sign * key
    ranges = np.empty((3, take.size))
    if not _group_ranges(values, group, mask, m_stride, take, ranges):
        return -1
    return select_in_ranges(values, group, mask, m_stride, take, ranges, ordered, out)


@kernel
def _group_ranges(values, group, mask, m_stride, take, ranges):  # pragma: no cover - compiled
    """Each group's count, lowest and highest value in ``mask`` into ``ranges``.

    Only groups with ``take[g] > 0``; False if one of their values is NaN.
    Counted in ``LANES`` interleaved copies (entry ``i`` in copy
    ``i % LANES``), then combined.
    """
    n_groups = take.size
    lane_size = np.zeros((LANES, n_groups), dtype=np.int64)
    lane_low = np.full((LANES, n_groups), np.inf)
    lane_high = np.full((LANES, n_groups), -np.inf)
    for i in range(values.size):  # without branches on who takes part
        g = group[i]
        part = mask[i * m_stride] & (take[g] > 0)
        v = values[i]
        if part & (v != v):
            return False
        lane = i % LANES
        lane_size[lane, g] += part
        lane_low[lane, g] = v if part & (v < lane_low[lane, g]) else lane_low[lane, g]
        lane_high[lane, g] = v if part & (v > lane_high[lane, g]) else lane_high[lane, g]
    ranges[0] = lane_size.sum(axis=0)
    ranges[1], ranges[2] = lane_low[0], lane_high[0]
    for lane in range(1, LANES):
        for g in range(n_groups):
            ranges[1, g] = min(ranges[1, g], lane_low[lane, g])
            ranges[2, g] = max(ranges[2, g], lane_high[lane, g])
    return True


@kernel
def select_in_ranges(
    values, group, mask, m_stride, take, ranges, ordered, out
):  # pragma: no cover - compiled
    """:func:`smallest_within_groups` of ``values`` given each group's ``ranges``.

    ``ranges[0, g]``, ``ranges[1, g]`` and ``ranges[2, g]`` are the count,
    lowest and highest of group ``g``'s ``values`` in ``mask``. Without a
    sort of the group: one pass counts the entries of the groups that take
    any into ``BUCKETS`` buckets of their range (:func:`_bucket`,
    non-decreasing in the value); one keeps every entry below the bucket
    that holds the ``take``-th, and of that bucket's entries (sorted,
    stably) the first ones needed. Returns -1 if a value taking part is NaN.
    """
    n_groups = take.size
    size = np.empty(n_groups, dtype=np.int64)
    low, high = ranges[1], ranges[2]
    # each group keeps the entries of buckets below ``cut`` and ``need`` of bucket ``cut``
    start = np.zeros(n_groups + 1, dtype=np.int64)
    scale = np.zeros(n_groups)
    cut = np.zeros(n_groups, dtype=np.int64)
    need = np.zeros(n_groups, dtype=np.int64)
    for g in range(n_groups):
        size[g] = np.int64(ranges[0, g])
        t = max(0, min(take[g], size[g]))
        start[g + 1] = start[g] + t
        if t == size[g]:
            cut[g] = BUCKETS  # all
        elif t > 0:
            spread = high[g] - low[g]
            if 0.0 < spread < np.inf and BUCKETS / spread < np.inf:
                scale[g] = BUCKETS / spread
            else:
                need[g] = t  # one value or an infinite range: every entry in bucket 0
    bucket = np.empty(values.size, dtype=np.int64)
    counts = np.zeros((n_groups, BUCKETS), dtype=np.int64)
    for i in range(values.size):
        g = group[i]
        if mask[i * m_stride] and take[g] > 0:
            if values[i] != values[i]:
                return -1
            bucket[i] = _bucket(values[i], low[g], scale[g]) if scale[g] > 0.0 else 0
            counts[g, bucket[i]] += scale[g] > 0.0
    first = np.zeros(n_groups + 1, dtype=np.int64)  # each group's entries of bucket ``cut``
    for g in range(n_groups):
        if scale[g] > 0.0:
            below, t = 0, start[g + 1] - start[g]
            b = 0
            while below + counts[g, b] < t:
                below += counts[g, b]
                b += 1
            cut[g], need[g] = b, t - below
        first[g + 1] = first[g]
        if need[g] > 0:
            first[g + 1] += counts[g, cut[g]] if scale[g] > 0.0 else size[g]
    fill = start[:-1].copy()
    tied = np.empty(first[n_groups], dtype=np.int64)
    place = first[:-1].copy()
    for i in range(values.size):
        g = group[i]
        if mask[i * m_stride] and take[g] > 0:
            if bucket[i] < cut[g]:
                out[fill[g]] = i
                fill[g] += 1
            elif bucket[i] == cut[g] and need[g] > 0:
                tied[place[g]] = i
                place[g] += 1
    for g in range(n_groups):
        if ordered:  # kept in index order: sort them stably
            _sort_stably(out, start[g], fill[g], values)
        if need[g] > 0:  # the bucket's first ``need``, stably by value: all above those kept
            _sort_stably(tied, first[g], first[g + 1], values)
            out[fill[g] : fill[g] + need[g]] = tied[first[g] : first[g] + need[g]]
    return start[n_groups]


@kernel
def _sort_stably(rows, first, end, values):  # pragma: no cover - compiled
    """Sort ``rows[first:end]`` by ``values[rows]``, ties in their order (in place).

    By insertion for a few (up to 32), else by a merge sort.
    """
    if end - first <= 32:
        for a in range(first + 1, end):
            row, value = rows[a], values[rows[a]]
            b = a - 1
            while b >= first and values[rows[b]] > value:
                rows[b + 1] = rows[b]
                b -= 1
            rows[b + 1] = row
    else:
        part = rows[first:end].copy()
        order = np.argsort(values[part], kind="mergesort")
        for j in range(part.size):
            rows[first + j] = part[order[j]]


def bottom_of_levels(
    score: FloatArray,
    level: IntArray,
    alive: BoolArray,
    share: float | FloatArray,
    n_levels: int,
    ranges: FloatArray | None = None,
) -> BoolArray:
    """Serving cadres whose score is in the bottom ``share`` of their level (ties by row).

    In a stack ``level`` holds the groups
    (:func:`~sim.model.processes.evaluation.level_groups`, ``n_levels`` of
    them in all) and ``share`` may be one value per row (the same within a
    group). A level of ``m`` serving cadres has ``floor(share * m)`` at its
    bottom, the first by (score, row): found by a compiled selection
    (:func:`smallest_within_groups`, or with ``ranges``, each level's count
    of serving cadres and lowest and highest serving score as
    :func:`weighted_zscores` gives them, :func:`select_in_ranges`; with a
    NaN score: by :func:`sort_within_groups`).
    """
    bottom = np.zeros(alive.size, dtype=bool)
    shares, stride = strided(share)
    given = ranges is not None
    if not given:
        ranges = np.empty((3, int(n_levels)))
    if _bottom_by_selection(score, level, alive, shares, stride, ranges, given, bottom):
        return bottom
    rows = np.flatnonzero(alive)
    order = rows[sort_within_groups(score[rows], level[rows], n_levels)]  # by level, score, row
    group = level[order]
    size = np.bincount(group, minlength=n_levels)
    k = np.floor(at_rows(share, order) * size[group]).astype(np.int64)
    rank = np.arange(order.size) - (np.cumsum(size) - size)[group]
    bottom[order[rank < k]] = True
    return bottom


@kernel
def _bottom_by_selection(
    score, level, alive, share, stride, ranges, given, bottom
):  # pragma: no cover - compiled
    """:func:`bottom_of_levels` into ``bottom``; False (nothing set) if a serving score is NaN.

    ``ranges`` as :func:`select_in_ranges` reads them if ``given``.
    """
    n_levels = ranges.shape[1]
    size = np.zeros(n_levels, dtype=np.int64)
    share_of = np.full(n_levels, share[0])
    if given:
        for g in range(n_levels):
            size[g] = np.int64(ranges[0, g])
    if stride or not given:
        for i in range(score.size):
            if alive[i]:
                size[level[i]] += not given
                share_of[level[i]] = share[i * stride]
    take = np.zeros(n_levels, dtype=np.int64)
    for g in range(n_levels):
        take[g] = np.int64(np.floor(share_of[g] * size[g]))
    rows = np.empty(score.size, dtype=np.int64)
    if given:
        count = select_in_ranges(score, level, alive, 1, take, ranges, False, rows)
    else:
        count = smallest_within_groups(score, 1.0, level, alive, 1, take, False, rows)
    if count < 0:
        return False
    for j in range(count):
        bottom[rows[j]] = True
    return True
