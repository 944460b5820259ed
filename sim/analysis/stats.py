"""The statistics of every report: means with t-intervals and paired differences.

Every interval in the analysis layer (``cadre-sim compare``, ``sweep``,
``validate``, the notebooks' error bars) is computed here, once:

* :func:`mean_interval` / :func:`summarize`: the mean of a sample with its
  t-based confidence interval ``mean +/- t(1 - a/2, n - 1) * sd / sqrt(n)``;
* :func:`paired_test`: the mean of paired differences (replicate ``k`` of two
  regimes shares its seed) with its t-interval, the paired t statistic, its
  two-sided p-value and Cohen's ``d_z`` (mean difference over the standard
  deviation of the differences);
* :func:`excludes_zero`: whether an interval tells the sign of an effect
  (the interval of a paired difference excludes 0 exactly when the paired
  t-test's p-value is below ``1 - confidence``);
* :func:`holm`: p-values adjusted for multiple comparisons by Holm's
  step-down method (:data:`ADJUSTMENT`), through
  ``statsmodels.stats.multitest.multipletests(method="holm")`` (scipy has
  only false-discovery-rate adjustments);
* :func:`replicates_for_half_width`: how many replicates give a t-interval
  of a wanted half-width, from a sample's standard deviation.

The t distribution comes from :mod:`scipy.stats`. The arithmetic around it
is written out rather than taken from ``scipy.stats.t.interval`` or
``scipy.stats.ttest_1samp``: those agree to about 1e-16 but not in the last
bit, and the numbers ``cadre-sim validate`` prints are compared bit for bit
with recorded ones (``tests/golden/validate.json``).

Missing values (NaN) are dropped. With one value an interval, t and p are
undefined (NaN). When every value is equal the interval is the single point
``(mean, mean)``; for differences, ``t`` and ``d_z`` are then 0 if they are
all zero (p = 1) and +/-inf otherwise (p = 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from sim.errors import InputError

__all__ = [
    "ADJUSTMENT",
    "CONFIDENCE",
    "EFFECT_SIZE",
    "PairedTest",
    "Summary",
    "excludes_zero",
    "half_width",
    "holm",
    "mean_interval",
    "paired_test",
    "replicates_for_half_width",
    "summarize",
]

#: Default confidence level of every interval.
CONFIDENCE = 0.95
#: The effect size reported, as printed in reports.
EFFECT_SIZE = "Cohen's d_z = mean paired difference / standard deviation of the paired differences"
#: The multiple-comparison adjustment of p-values, as printed in reports.
ADJUSTMENT = "Holm's step-down method (statsmodels multipletests, method='holm')"


def _sample(values: ArrayLike) -> np.ndarray:
    """Return the values as a float array without missing ones."""
    data = np.asarray(values, dtype="float64").ravel()
    return data[~np.isnan(data)]


def _half_width(sd: float, n: int, confidence: float) -> float:
    """Return the half-width ``t(1 - a/2, n - 1) * sd / sqrt(n)`` of a t-interval."""
    return float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)


def half_width(sd: ArrayLike, n: ArrayLike, confidence: float = CONFIDENCE) -> np.ndarray:
    """Return the t-interval half-widths ``t(1 - a/2, n - 1) * sd / sqrt(n)``, elementwise.

    NaN where ``n < 2`` or ``sd`` is missing.
    """
    sd_values = np.asarray(sd, dtype="float64")
    size = np.asarray(n, dtype="float64")
    valid = size >= 2
    df = np.where(valid, size - 1, 1.0)
    width = stats.t.ppf(0.5 + confidence / 2, df) * sd_values / np.sqrt(np.where(valid, size, 1))
    return np.where(valid, width, np.nan)


@dataclass(frozen=True)
class Summary:
    """A sample's size, mean, standard deviation and the t-interval of its mean.

    Attributes:
        n: values (missing ones dropped).
        mean: their mean (NaN without values).
        sd: their standard deviation (``ddof = 1``; NaN below two values).
        ci_low: lower end of the t-interval of the mean (NaN below two values).
        ci_high: upper end.

    """

    n: int
    mean: float
    sd: float
    ci_low: float
    ci_high: float


def summarize(values: ArrayLike, confidence: float = CONFIDENCE) -> Summary:
    """Return the size, mean, sd and t-interval of the mean of ``values``."""
    data = _sample(values)
    n = int(data.size)
    if n == 0:
        return Summary(0, math.nan, math.nan, math.nan, math.nan)
    mean = float(data.mean())
    if n == 1:
        return Summary(1, mean, math.nan, math.nan, math.nan)
    sd = float(data.std(ddof=1))
    half = _half_width(sd, n, confidence)
    return Summary(n, mean, sd, mean - half, mean + half)


def mean_interval(values: ArrayLike, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Return ``(mean, low, high)``: the mean of ``values`` and its t-based interval."""
    summary = summarize(values, confidence)
    return summary.mean, summary.ci_low, summary.ci_high


@dataclass(frozen=True)
class PairedTest:
    """Paired differences summarised: mean, t-interval, paired t-test and effect size.

    Attributes:
        n: number of pairs.
        mean: mean paired difference.
        sd: standard deviation of the differences (``ddof = 1``).
        ci_low: lower end of its t-interval.
        ci_high: upper end.
        t: paired t statistic ``mean / (sd / sqrt(n))``.
        p_value: two-sided p-value of the paired t-test.
        d_z: Cohen's ``d_z = mean / sd``.

    """

    n: int
    mean: float
    sd: float
    ci_low: float
    ci_high: float
    t: float
    p_value: float
    d_z: float


def paired_test(differences: ArrayLike, confidence: float = CONFIDENCE) -> PairedTest:
    """Return the mean, t-interval, paired t-test and ``d_z`` of paired differences."""
    data = _sample(differences)
    summary = summarize(data, confidence)
    n, mean, sd = summary.n, summary.mean, summary.sd
    if n < 2:
        nan = math.nan
        return PairedTest(n, mean, sd, summary.ci_low, summary.ci_high, nan, nan, nan)
    if sd == 0.0:
        t = 0.0 if mean == 0.0 else math.copysign(math.inf, mean)
        return PairedTest(n, mean, sd, mean, mean, t, 1.0 if mean == 0.0 else 0.0, t)
    t = mean / (sd / math.sqrt(n))
    p_value = float(2.0 * stats.t.sf(abs(t), n - 1))
    return PairedTest(n, mean, sd, summary.ci_low, summary.ci_high, t, p_value, mean / sd)


def excludes_zero(low: ArrayLike, high: ArrayLike) -> np.ndarray:
    """Return, elementwise, whether the interval ``[low, high]`` excludes 0.

    An effect whose interval excludes 0 is *clear*: its sign is told by the
    data at the interval's confidence level. A missing end (NaN) gives False.
    """
    lows, highs = np.asarray(low, dtype="float64"), np.asarray(high, dtype="float64")
    return (lows > 0.0) | (highs < 0.0)


def holm(p_values: ArrayLike) -> np.ndarray:
    """Return Holm-adjusted p-values, in the order given.

    The family is every p-value given that is not missing; missing ones
    (NaN) stay NaN and do not count. Holm's method controls the family-wise
    error rate: the ``i``-th smallest of ``m`` p-values is multiplied by
    ``m - i + 1``, made non-decreasing in that order and capped at 1.
    """
    from statsmodels.stats.multitest import multipletests

    values = np.asarray(p_values, dtype="float64").ravel()
    adjusted = np.full(values.shape, np.nan)
    present = ~np.isnan(values)
    if present.any():
        adjusted[present] = multipletests(values[present], method="holm")[1]
    return adjusted


def replicates_for_half_width(
    sd: ArrayLike, target: ArrayLike, confidence: float = CONFIDENCE
) -> np.ndarray:
    """Return the fewest replicates whose t-interval of the mean has half-width <= ``target``.

    For each standard deviation ``sd`` (of the values, or of paired
    differences), the smallest ``n >= 2`` with
    ``t(1 - a/2, n - 1) * sd / sqrt(n) <= target``. Because ``t`` depends on
    ``n``, ``n`` is searched upwards from the normal-theory lower bound
    ``ceil((z * sd / target)^2)`` (``t > z``), which is a few steps below
    the answer; the half-width falls strictly with ``n``, so the first ``n``
    that meets the target is the fewest. ``sd = 0`` needs the minimum of 2;
    a missing ``sd`` gives NaN.

    Returns:
        Float array (NaN where undefined) of whole numbers, shaped as the
        broadcast of ``sd`` and ``target``.

    Raises:
        InputError: a target that is not a positive number.

    """
    sd_values, targets = np.broadcast_arrays(
        np.asarray(sd, dtype="float64"), np.asarray(target, dtype="float64")
    )
    if not (np.isfinite(targets) & (targets > 0.0)).all():
        raise InputError(
            f"half-width {target} must be a positive number, e.g. 0.005",
            arguments=("target",),
        )
    z = stats.norm.ppf(0.5 + confidence / 2)
    n = np.maximum(2.0, np.ceil((z * sd_values / targets) ** 2))
    n = np.where(np.isnan(sd_values), np.nan, n)
    short = half_width(sd_values, n, confidence) > targets
    while short.any():
        n = np.where(short, n + 1.0, n)
        short = half_width(sd_values, n, confidence) > targets
    return n
