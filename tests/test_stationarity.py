"""The stationarity diagnosis (``cadre-sim diagnose``): its criterion, and a fast baseline check.

The full form (16 replicates x 2,000 cadres x 20 years, issue 10's acceptance
test) is ``cadre-sim diagnose baseline`` and ``benchmarks/stationarity.py``.
Here the criterion runs on synthetic yearly tables whose answer is known, and
the baseline runs at 4 replicates x 500 cadres x 10 years on fixed seeds: its
mean changes must be small against a bound several times their replicate
spread at that size (the status quo used to drift by +0.06 in the active share
over such spans), so the check is deterministic and does not pass or fail by luck.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis import stationarity
from sim.errors import InputError


def synthetic(trend: float, years: int = 12, replicates: int = 6, noise: float = 0.001):
    """Yearly means ``0.2 + trend * year`` plus small replicate noise."""
    rng = np.random.default_rng(0)
    rows = [
        {"replicate": r, "year": y, "x": 0.2 + trend * y + rng.normal(0, noise)}
        for r in range(replicates)
        for y in range(1, years + 1)
    ]
    return pd.DataFrame(rows)


def test_a_flat_series_is_stationary_from_the_first_year():
    assert stationarity.stationary_from(synthetic(0.0), "x", 0.01) == 1


def test_a_steady_trend_is_never_stationary():
    assert stationarity.stationary_from(synthetic(0.01), "x", 0.01) is None


def test_a_series_that_settles_is_stationary_from_when_it_settles():
    table = synthetic(0.0)
    table.loc[table["year"] <= 3, "x"] += 0.05 * (4 - table["year"])
    assert stationarity.stationary_from(table, "x", 0.01) == 4


def test_drift_is_the_paired_change_between_windows():
    d = stationarity.drift(synthetic(0.01), "x", (1, 3), (10, 12), 0.01)
    assert d.change == pytest.approx(0.09, abs=0.002)
    assert d.ci_low < d.change < d.ci_high and not d.within and d.passed is False


def test_diagnose_needs_two_replicates_and_two_windows():
    with pytest.raises(InputError, match="replicates"):
        stationarity.diagnose("baseline", replicates=1, years=10)
    with pytest.raises(InputError, match="years"):
        stationarity.diagnose("baseline", replicates=2, years=5)


def test_the_baseline_stands_still_over_ten_years():
    result = stationarity.diagnose(
        "baseline", replicates=4, population=500, years=10, executor="serial"
    )
    bound = {"flat_share": 0.02, "active_share": 0.02, "mean_idealism": 0.03}
    changes = {d.metric: d.change for d in result.drifts}
    for metric, limit in bound.items():
        assert abs(changes[metric]) < limit, (metric, changes[metric])
    text = result.to_text()
    assert "stationary from" in text and "flat_share" in text
