"""The statistics of every report: means with t-intervals and paired differences.

Every interval in the analysis layer (``cadre-sim compare``, ``sweep``,
``validate``, the notebooks' error bars) is computed here, once:

* :func:`mean_interval` / :func:`summarize`: the mean of a sample with its
  t-based confidence interval ``mean +/- t(1 - a/2, n - 1) * sd / sqrt(n)``;
* :func:`paired_test`: the mean of paired differences (replicate ``k`` of two
  regimes shares its seed) with its t-interval, the paired t statistic, its
  two-sided p-value and Cohen's ``d_z`` (mean difference over the standard
  deviation of the differences).

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

__all__ = [
    "CONFIDENCE",
    "EFFECT_SIZE",
    "PairedTest",
    "Summary",
    "mean_interval",
    "paired_test",
    "summarize",
]

#: Default confidence level of every interval.
CONFIDENCE = 0.95
#: The effect size reported, as printed in reports.
EFFECT_SIZE = "Cohen's d_z = mean paired difference / standard deviation of the paired differences"


def _sample(values: ArrayLike) -> np.ndarray:
    """Return the values as a float array without missing ones."""
    data = np.asarray(values, dtype="float64").ravel()
    return data[~np.isnan(data)]


def _half_width(sd: float, n: int, confidence: float) -> float:
    """Return the half-width ``t(1 - a/2, n - 1) * sd / sqrt(n)`` of a t-interval."""
    return float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)


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
        ci_low: lower end of its t-interval.
        ci_high: upper end.
        t: paired t statistic ``mean / (sd / sqrt(n))``.
        p_value: two-sided p-value of the paired t-test.
        d_z: Cohen's ``d_z = mean / sd``.

    """

    n: int
    mean: float
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
        return PairedTest(n, mean, summary.ci_low, summary.ci_high, math.nan, math.nan, math.nan)
    if sd == 0.0:
        t = 0.0 if mean == 0.0 else math.copysign(math.inf, mean)
        return PairedTest(n, mean, mean, mean, t, 1.0 if mean == 0.0 else 0.0, t)
    t = mean / (sd / math.sqrt(n))
    p_value = float(2.0 * stats.t.sf(abs(t), n - 1))
    return PairedTest(n, mean, summary.ci_low, summary.ci_high, t, p_value, mean / sd)
