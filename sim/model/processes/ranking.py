"""Kernels that rank and standardise within groups (levels of runs), for the evaluation.

:func:`sort_within_groups` orders rows by group, then by value, ties by row;
:func:`within_group_zscore` standardises one variable within groups, and
:func:`weighted_zscores` the evaluation score's weighted sum of three such
z-scores plus noise in one pass. All are compiled (:func:`~sim.model.compiled.kernel`)
and give, bit for bit, the numbers of their plain-numpy reading.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.model.compiled import kernel
from sim.model.state import BoolArray, FloatArray, IntArray

__all__ = ["best_within_groups", "sort_within_groups", "weighted_zscores", "within_group_zscore"]


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
) -> FloatArray:
    """``w0 * z(v0) + w1 * z(v1) + w2 * z(v2) + noise_weight * noise``, summed in that order.

    Each ``z`` is :func:`within_group_zscore` of one of ``values`` (the
    second, an integer array, read as floats); a weight is a number or one
    value per row (compiled: one pass sums all three variables, one writes the scores).
    """
    w = [np.ascontiguousarray(x, dtype=np.float64).reshape(-1) for x in (*weights, noise_weight)]
    out = np.empty(groups.size, dtype=np.float64)
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
    )
    return out


@kernel
def _weighted_zscores(
    a, b, c, wa, wb, wc, groups, mask, n_groups, wn, noise, out
):  # pragma: no cover
    """:func:`weighted_zscores` into ``out``."""
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


def best_within_groups(key: FloatArray, group: IntArray, n_groups: int, take: IntArray) -> IntArray:
    """The first ``take[g]`` entries of each group ``g`` by value, ties in index order.

    Equal to ``order[rank < take[group[order]]]`` with ``order =
    sort_within_groups(key, group, n_groups)`` and ``rank`` each entry's
    place within its group: grouped ascending, best (smallest) first. Each
    group's ``take``-th value is selected and only the entries up to it are
    sorted (compiled; with a NaN key, the full sort).
    """
    key = np.ascontiguousarray(key, dtype=np.float64)
    group = np.ascontiguousarray(group, dtype=np.int64)
    take = np.ascontiguousarray(take, dtype=np.int64)
    out = np.empty(key.size, dtype=np.int64)
    filled = _best_within_groups(key, group, int(n_groups), take, out)
    if filled < 0:  # a NaN key
        order = sort_within_groups(key, group, n_groups)
        size = np.bincount(group, minlength=n_groups)
        rank = np.arange(order.size) - (np.cumsum(size) - size)[group[order]]
        return order[rank < take[group[order]]]
    return out[:filled]


@kernel
def _best_within_groups(key, group, n_groups, take, out):  # pragma: no cover - compiled
    """:func:`best_within_groups` into ``out``; returns how many, or -1 with a NaN key."""
    n = key.size
    for i in range(n):
        if key[i] != key[i]:
            return -1
    start = np.zeros(n_groups + 1, dtype=np.int64)
    for i in range(n):
        start[group[i] + 1] += 1
    start = np.cumsum(start)
    place = start[:-1].copy()
    by_group = np.empty(n, dtype=np.int64)  # each group's entries in index order
    for i in range(n):
        by_group[place[group[i]]] = i
        place[group[i]] += 1
    filled = 0
    for g in range(n_groups):
        members = by_group[start[g] : start[g + 1]]
        t = min(take[g], members.size)
        if t <= 0:
            continue
        keys = key[members]
        chosen = np.arange(members.size)
        if t < members.size:  # the entries below the t-th value, then those at it, by index
            kth = np.partition(keys.copy(), t - 1)[t - 1]
            chosen = np.empty(t, dtype=np.int64)
            c = 0
            for j in range(members.size):
                if keys[j] < kth:
                    chosen[c] = j
                    c += 1
            for j in range(members.size):
                if c == t:
                    break
                if keys[j] == kth:
                    chosen[c] = j
                    c += 1
        order = np.argsort(keys[chosen], kind="mergesort")
        for j in range(t):
            out[filled + j] = members[chosen[order[j]]]
        filled += t
    return filled
