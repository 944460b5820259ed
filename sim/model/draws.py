"""Each run's random draws in a stack: from its own generator, exactly what it draws alone.

A run of a stack (:class:`~sim.model.stacking.Runs`) draws from its own
:class:`numpy.random.Generator` the same calls, of the same shapes, in the
same order as when it runs alone; the functions here lay each run's draws
side by side over the stack's rows (run ``r``'s draws in its rows' columns).
:func:`draw_binomial` gives numpy's own binomial values (and leaves each
generator in numpy's state) without numpy's per-row overhead.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from sim.model.compiled import kernel
from sim.model.stacking import Runs
from sim.model.state import FloatArray, IntArray

__all__ = [
    "binomial_draws",
    "draw_binomial",
    "draw_normal",
    "draw_uniform",
    "draw_uniform_blocks",
    "generators",
    "per_run_draws",
    "side_by_side",
]


def generators(
    rng: np.random.Generator | Sequence[np.random.Generator],
) -> list[np.random.Generator]:
    """One generator per run: ``rng`` itself for one run."""
    return [rng] if isinstance(rng, np.random.Generator) else list(rng)


def side_by_side(parts: Sequence[np.ndarray]) -> np.ndarray:
    """Each run's values, run after run along the last axis (the one part itself for one run)."""
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=-1)


def per_run_draws(
    rngs: Sequence[np.random.Generator],
    runs: Runs,
    draw: Callable[[np.random.Generator, int], np.ndarray],
) -> np.ndarray:
    """Each run's ``draw(rng, size)`` from its own generator, run after run along the last axis."""
    return side_by_side([draw(rng, runs.size) for rng in rngs])


def draw_uniform(runs: Runs, rngs: Sequence[np.random.Generator], *lead: int) -> FloatArray:
    """Each run's ``rng.random((*lead, size))`` from its own generator, side by side.

    Shape ``(*lead, rows)``: run ``r``'s draws are its rows' columns. Each
    run draws into its columns (through one reused ``(*lead, size)`` array
    when ``lead`` is given: columns are not contiguous), not by a concatenation.
    """
    size = runs.size
    if runs.count == 1:
        return rngs[0].random((*lead, size))
    out = np.empty((*lead, runs.count * size))
    room = np.empty((*lead, size)) if lead else None
    for r, rng in enumerate(rngs):
        if room is None:
            rng.random(size, out=out[r * size : (r + 1) * size])
        else:
            rng.random(room.shape, out=room)
            out[..., r * size : (r + 1) * size] = room
    return out


def draw_normal(runs: Runs, rngs: Sequence[np.random.Generator]) -> FloatArray:
    """Each run's ``rng.standard_normal(size)`` from its own generator, run after run."""
    size = runs.size
    if runs.count == 1:
        return rngs[0].standard_normal(size)
    out = np.empty(runs.count * size)
    for r, rng in enumerate(rngs):
        rng.standard_normal(size, out=out[r * size : (r + 1) * size])
    return out


def draw_uniform_blocks(
    runs: Runs, rngs: Sequence[np.random.Generator], *lead: int, out: FloatArray | None = None
) -> FloatArray:
    """Each run's ``rng.random((*lead, size))`` as its block of ``(count, *lead, size)``.

    ``out``, if given, is that array to draw into (C-contiguous, float64), and is returned.
    """
    out = np.empty((runs.count, *lead, runs.size)) if out is None else out
    for rng, block in zip(rngs, out, strict=True):
        rng.random(block.shape, out=block)
    return out


def draw_binomial(
    runs: Runs, rngs: Sequence[np.random.Generator], trials: int, p: FloatArray
) -> IntArray:
    """Each run's ``rng.binomial(trials, p)`` over its rows (``p`` one per row), side by side.

    Each run's draws are :func:`binomial_draws` of its rows, inverted in one pass.
    """
    if runs.count == 1:
        return binomial_draws(rngs[0], trials, p)
    chances = np.ascontiguousarray(p, dtype=np.float64)
    out = _inverted_draws(rngs, trials, chances, runs.size)
    if out is None:
        return np.concatenate(
            [rngs[r].binomial(trials, p[runs.bounds(r)]) for r in range(runs.count)]
        )
    return out


def binomial_draws(rng: np.random.Generator, trials: int, p: FloatArray) -> IntArray:
    """``rng.binomial(trials, p)`` for an array ``p``: the same values, leaving ``rng`` the same.

    numpy draws a row with ``p == 0`` (or no trials) as 0 without a number,
    every other by inversion (``random_binomial_inversion`` of its
    ``distributions.c``, of ``1 - p`` when ``p > 0.5``) while ``trials *
    min(p, 1 - p) <= 30``. Here the rows' numbers are drawn at once
    (``rng.random(k)``: the numbers numpy reads one by one) and inverted by
    :func:`_inversions`; the very rare restart takes more, drawn as needed.
    The rest (BTPE rows, ``p`` outside [0, 1] or NaN, ``trials`` not an
    integer from 0 to 64, one number ``p``) is left to ``rng.binomial``.
    """
    if np.ndim(p) == 0:  # one number: numpy's own
        return rng.binomial(trials, p)
    values = np.ascontiguousarray(p, dtype=np.float64)
    out = _inverted_draws([rng], trials, values.reshape(-1), values.size)
    return rng.binomial(trials, p) if out is None else out.reshape(values.shape)


def _inverted_draws(
    rngs: Sequence[np.random.Generator], trials: int, p: FloatArray, size: int
) -> IntArray | None:
    """:func:`binomial_draws` of each generator's ``size`` rows of ``p``; None if not inverted."""
    if isinstance(trials, bool) or not (
        isinstance(trials, int | np.integer) and 0 <= trials <= _MOST_SCREENED
    ):
        return None
    needed = np.empty(len(rngs), dtype=np.int64)
    if _runs_uniforms(trials, p, size, needed) < 0:
        return None
    ends = np.cumsum(needed)
    uniforms = np.empty(int(ends[-1]))
    for rng, a, b in zip(rngs, (ends - needed).tolist(), ends.tolist(), strict=True):
        rng.random(out=uniforms[a:b])
    out = np.empty(p.size, dtype=np.int64)
    stops = np.empty(len(rngs), dtype=np.int64)
    _runs_inversions(trials, p, size, uniforms, ends, out, stops)
    for r in np.flatnonzero(stops < size).tolist():  # a run that ran out of numbers: draw more
        rows, start = slice(r * size, (r + 1) * size), int(stops[r])
        while start < size:  # the row `start` takes the first new number
            more = 1 + _binomial_uniforms(trials, p[rows][start + 1 :])
            start = _inversions(
                trials, p[rows], start, size, rngs[r].random(more), 0, more, out[rows]
            )
    return out


_MOST_SCREENED = 64  #: the most trials :func:`_inversions` screens (its error bound holds)


@kernel
def _binomial_uniforms(trials, p):  # pragma: no cover - compiled
    """How many uniform numbers numpy's ``binomial(trials, p)`` reads at least, or -1.

    One per row with ``p > 0`` and ``trials > 0``; -1 when a row is not
    drawn by inversion (``trials * min(p, 1 - p) > 30``: BTPE) or ``p`` is
    outside [0, 1] or NaN.
    """
    count = 0
    for i in range(p.size):
        chance = p[i]
        if not (chance >= 0.0 and chance <= 1.0):
            return -1
        if trials == 0 or chance == 0.0:
            continue
        if chance > 0.5:
            chance = 1.0 - chance
        if chance * trials > 30.0:
            return -1
        count += 1
    return count


@kernel
def _runs_uniforms(trials, p, size, needed):  # pragma: no cover - compiled
    """:func:`_binomial_uniforms` of each run's ``size`` rows into ``needed``; -1 if any is."""
    for r in range(needed.size):
        needed[r] = _binomial_uniforms(trials, p[r * size : (r + 1) * size])
        if needed[r] < 0:
            return -1
    return 0


@kernel
def _runs_inversions(trials, p, size, uniforms, ends, out, stops):  # pragma: no cover - compiled
    """:func:`_inversions` of each run (numbers to ``ends[run]``); ``stops``: its rows returned."""
    begin = 0
    for r in range(ends.size):
        first = r * size
        stop = _inversions(trials, p, first, first + size, uniforms, begin, ends[r], out)
        stops[r] = stop - first
        begin = ends[r]


@kernel
def _inversions(trials, p, first, last, uniforms, j, end, out):  # pragma: no cover - compiled
    """The binomial draws of rows ``first`` to ``last``, numpy's inversions of ``uniforms[j:end]``.

    Each row with ``p > 0`` (and trials) takes the next number ``U`` and is
    counted as numpy counts it (:func:`_inversion`), rows with ``p == 0``
    are 0. A screen first counts, for blocks of rows at once, the steps
    ``k <= 10`` at which ``U - S_k`` (``S_k``: the running sum of ``px``
    with cheaper roundings, ``q**trials`` by squaring and each ``px`` by one
    product) exceeds 1e-9. Up to ``_MOST_SCREENED`` trials, ``U - S_k`` is
    within 1e-12 of numpy's ``U - px`` at step ``k`` (a few hundred roundings
    of relative size 2**-53 at most; exp's error grows with ``|trials log
    q| <= 45``), so when no step is within 1e-9 of 0, numpy makes every
    comparison the same way and the count is numpy's. A row that comes
    closer, or goes past 10 steps (where the bound may restart it), is
    counted by :func:`_inversion`; after a restart the next rows take their
    numbers anew. Writes ``out[i]``; returns ``last``, or the row that found
    no number left (to resume there, taking the first new number).
    """
    lim = min(trials, 10)  # the bound is at least this: no restart up to it
    ratio = np.zeros(lim + 1)
    for x in range(1, lim + 1):
        ratio[x] = (trials - x + 1) / x
    block = 512
    chance, u, px = np.empty(block), np.empty(block), np.empty(block)
    total, step, base = np.empty(block), np.empty(block), np.empty(block)
    ints = np.empty((3, block), dtype=np.int64)
    count, close, taken = ints[0], ints[1], ints[2]
    start = first
    while start < last:
        size = min(block, last - start)
        short = size  # the first row of the block that found no number left
        for t in range(size):  # each row's number (-1: none), in order
            c = p[start + t]
            if trials == 0 or c == 0.0:
                chance[t], u[t] = 0.0, -1.0
            elif j == end:
                short = t
                break
            else:
                chance[t] = 1.0 - c if c > 0.5 else c
                u[t] = uniforms[j]
                j += 1
            taken[t] = j
        for t in range(short):
            step[t] = chance[t] / (1.0 - chance[t])
            base[t] = 1.0 - chance[t]
            px[t] = 1.0
        power = trials
        while power:  # q ** trials by squaring
            if power & 1:
                for t in range(short):
                    px[t] *= base[t]
            for t in range(short):
                base[t] *= base[t]
            power >>= 1
        for t in range(short):
            total[t] = px[t]
            gap = u[t] - total[t]
            count[t] = 1 if gap > 1e-9 else 0
            close[t] = 1 if abs(gap) <= 1e-9 else 0
        for x in range(1, lim + 1):
            factor = ratio[x]
            for t in range(short):
                px[t] = px[t] * (step[t] * factor)
                total[t] = total[t] + px[t]
                gap = u[t] - total[t]
                count[t] += 1 if gap > 1e-9 else 0
                close[t] += 1 if abs(gap) <= 1e-9 else 0
        restarted = False
        for t in range(short):
            i = start + t
            if u[t] < 0.0:
                out[i] = 0
                continue
            x = count[t]
            if close[t] or x > lim:  # too close to call: numpy's own arithmetic
                q = 1.0 - chance[t]
                x, after = _inversion(trials, chance[t], q, u[t], uniforms, taken[t], end)
                if x < 0:
                    return i
                restarted = after != taken[t]
                j = after if restarted else j
            out[i] = trials - x if p[i] > 0.5 else x
            if restarted:  # it took more numbers: the next rows take theirs anew
                start = i + 1
                break
        if restarted:
            continue
        if short < size:
            return start + short
        start += size
    return last


@kernel
def _inversion(trials, chance, q, u, uniforms, j, end):  # pragma: no cover - compiled
    """One row's count by numpy's inversion from ``U = u``, restarting from ``uniforms[j:end]``.

    ``X`` counts up while ``U > px``, ``px`` (numpy's: ``exp(trials * log(q))``,
    then ``px * (trials - X + 1) * p / (X q)``) taken off ``U``; past ``bound =
    min(trials, int(np + 10 sqrt(np q + 1)))`` (``np = trials * p``) it restarts
    from the next number. Returns ``(X, j)`` (``j``: the next number's index), or
    ``(-1, j)`` when it restarted after the last number.
    """
    qn = math.exp(trials * math.log(q))
    mean = trials * chance
    bound = int(min(float(trials), mean + 10.0 * math.sqrt(mean * q + 1)))
    x = 0
    px = qn
    while u > px:
        x += 1
        if x > bound:
            if j == end:
                return -1, j
            x = 0
            px = qn
            u = uniforms[j]
            j += 1
        else:
            u -= px
            px = ((trials - x + 1) * chance * px) / (x * q)
    return x, j
