"""The space a decision method explores: parameter ranges, Latin hypercubes, rounding.

A :class:`Range` is one dimension: a name (a dotted model parameter, or any
label for a closed-form test problem), its low and high ends and whether it
takes whole numbers. Samplers work on the unit cube and scale to the ranges;
:func:`as_values` turns a sampled row into values a scenario accepts
(whole numbers rounded, every value inside its range). Everything here is
plain numpy and pandas, so the same code serves the model and the tests.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.errors import InputError

__all__ = ["Range", "as_values", "bounds", "latin_hypercube", "seed_for"]


@dataclass(frozen=True)
class Range:
    """One dimension of a decision space.

    Attributes:
        name: dotted parameter name (``fault_tolerance.coverage``) or a label.
        low: lower end (inclusive).
        high: upper end (inclusive).
        integer: the values are whole numbers (sampled values are rounded).

    """

    name: str
    low: float
    high: float
    integer: bool = False

    def __post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise InputError(
                f"range of {self.name} must be finite with low < high, got {self.low}, {self.high}"
            )

    def describe(self) -> str:
        """Return ``name in [low, high]``."""
        return f"{self.name} in [{self.low:g}, {self.high:g}]"

    def to_dict(self) -> dict[str, object]:
        """Plain data (settings files)."""
        return {"parameter": self.name, "low": self.low, "high": self.high}


def bounds(ranges: Sequence[Range]) -> tuple[np.ndarray, np.ndarray]:
    """The lower and upper ends of the ranges as two float arrays."""
    lows = np.array([r.low for r in ranges], dtype="float64")
    highs = np.array([r.high for r in ranges], dtype="float64")
    return lows, highs


def seed_for(seed: int, *path: int) -> int:
    """A 32-bit seed for one stream below a root seed (``numpy.random.SeedSequence``)."""
    return int(np.random.SeedSequence([int(seed), *map(int, path)]).generate_state(1)[0])


def latin_hypercube(ranges: Sequence[Range], samples: int, seed: int) -> pd.DataFrame:
    """``samples`` points of a Latin hypercube over the ranges, one column per range.

    Deterministic given ``seed`` (:class:`scipy.stats.qmc.LatinHypercube`).
    Whole-number ranges are not rounded here (see :func:`as_values`).
    """
    from scipy.stats import qmc

    if not ranges or samples < 1:
        return pd.DataFrame(columns=[r.name for r in ranges], dtype="float64")
    generator = np.random.default_rng(seed)
    try:
        sampler = qmc.LatinHypercube(d=len(ranges), rng=generator)
    except TypeError:  # scipy < 1.15 calls it seed
        sampler = qmc.LatinHypercube(d=len(ranges), seed=generator)
    lows, highs = bounds(ranges)
    matrix = qmc.scale(sampler.random(int(samples)), lows, highs)
    return pd.DataFrame(matrix, columns=[r.name for r in ranges])


def as_values(ranges: Sequence[Range], row: Mapping[str, float]) -> dict[str, float | int]:
    """One sampled point as parameter values: clipped to each range, whole numbers rounded."""
    out: dict[str, float | int] = {}
    for r in ranges:
        number = min(max(float(row[r.name]), r.low), r.high)
        out[r.name] = int(round(number)) if r.integer else number
    return out
