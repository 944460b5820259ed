"""Comparison of a batch's scenarios: intervals, paired differences, reports."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analysis.compare import compare, paired_differences, write_report
from sim.analysis.stats import mean_interval, paired_test, summarize
from sim.cli import main as cli_main
from sim.errors import InputError
from sim.runs import store as results
from sim.runs.batch import run_batch
from sim.scenarios import load

METRICS = ["flat_share", "active_share", "innovations"]
REPLICATES = 5


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small batch: baseline, an identical copy of it under another name, fault tolerance."""
    base = load("baseline")
    scenarios = [base, base.with_overrides({}, name="baseline_copy"), load("fault_tolerance")]
    out = tmp_path_factory.mktemp("compare") / "batch"
    run_batch(
        scenarios, REPLICATES, steps=24, population=150, root_seed=3, out=out, executor="serial"
    )
    return out


def _row(table: pd.DataFrame, metric: str, scenario: str) -> pd.Series:
    rows = table[(table["metric"] == metric) & (table["scenario"] == scenario)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_mean_interval_is_the_t_interval() -> None:
    values = [0.12, 0.15, 0.11, 0.19, 0.16]
    mean, low, high = mean_interval(values)
    expected = stats.t.interval(0.95, 4, loc=np.mean(values), scale=stats.sem(values))
    assert mean == pytest.approx(np.mean(values))
    assert (low, high) == pytest.approx(expected)
    assert mean_interval([0.3, 0.3, 0.3]) == (0.3, 0.3, 0.3)
    single = mean_interval([0.3])
    assert single[0] == 0.3 and math.isnan(single[1]) and math.isnan(single[2])
    wider = mean_interval(values, confidence=0.99)
    assert wider[1] < low and wider[2] > high


def test_paired_test_is_the_paired_t_test() -> None:
    alt = np.array([0.31, 0.28, 0.35, 0.30, 0.33, 0.29])
    base = np.array([0.25, 0.27, 0.30, 0.22, 0.31, 0.26])
    test = paired_test(alt - base)
    expected = stats.ttest_rel(alt, base)
    assert test.n == 6 and test.mean == pytest.approx((alt - base).mean())
    assert test.t == pytest.approx(expected.statistic) and test.p_value == pytest.approx(
        expected.pvalue
    )
    low, high = expected.confidence_interval(0.95)
    assert (test.ci_low, test.ci_high) == pytest.approx((low, high))
    assert test.d_z == pytest.approx((alt - base).mean() / (alt - base).std(ddof=1))
    # equal differences: a point interval; t and d_z 0 (p = 1) or infinite (p = 0)
    zero, shift = paired_test([0.0, 0.0, 0.0]), paired_test([-0.25, -0.25, -0.25])
    assert (zero.ci_low, zero.ci_high, zero.t, zero.d_z, zero.p_value) == (0, 0, 0, 0, 1)
    assert shift.t == shift.d_z == -math.inf and shift.p_value == 0.0
    assert (shift.ci_low, shift.ci_high) == (-0.25, -0.25)
    single = paired_test([0.2, math.nan])  # missing values are dropped
    assert single.n == 1 and single.mean == 0.2
    assert all(math.isnan(v) for v in (single.ci_low, single.t, single.p_value, single.d_z))
    summary = summarize([1.0, 2.0, 3.0, math.nan])
    assert (summary.n, summary.mean, summary.sd) == (3, 2.0, 1.0)


def test_intervals_contain_the_replicate_means(batch: Path) -> None:
    comparison = compare(batch, metrics=METRICS, window=12)
    summaries = results.summaries(batch, METRICS, window=12)
    assert len(comparison.table) == len(METRICS) * 3
    for row in comparison.table.itertuples(index=False):
        values = summaries.loc[summaries["scenario"] == row.scenario, row.metric]
        assert row.n == REPLICATES
        assert row.mean == pytest.approx(values.mean())
        assert row.ci_low <= row.mean <= row.ci_high
        low, high = stats.t.interval(
            0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values)
        )
        assert (row.ci_low, row.ci_high) == pytest.approx((low, high))


def test_scenario_against_itself_differs_by_zero(batch: Path) -> None:
    comparison = compare(batch, metrics=METRICS)
    assert comparison.baseline == "baseline"
    for metric in METRICS:
        for name in ("baseline", "baseline_copy"):
            row = _row(comparison.table, metric, name)
            assert row["n_pairs"] == REPLICATES
            assert row["difference"] == 0.0
            assert (row["difference_ci_low"], row["difference_ci_high"]) == (0.0, 0.0)
            assert row["d_z"] == 0.0 and row["p_value"] == 1.0
    other = compare(batch, baseline="fault_tolerance", metrics=["flat_share"])
    assert _row(other.table, "flat_share", "fault_tolerance")["difference"] == 0.0


def test_paired_difference_uses_common_seeds(batch: Path) -> None:
    comparison = compare(batch, metrics=["active_share"], window=12)
    summaries = results.summaries(batch, ["active_share"], window=12)
    wide = summaries.pivot(index="replicate", columns="scenario", values="active_share")
    diffs = (wide["fault_tolerance"] - wide["baseline"]).to_numpy()
    row = _row(comparison.table, "active_share", "fault_tolerance")
    low, high = stats.t.interval(0.95, len(diffs) - 1, loc=diffs.mean(), scale=stats.sem(diffs))
    assert row["difference"] == pytest.approx(diffs.mean())
    assert (row["difference_ci_low"], row["difference_ci_high"]) == pytest.approx((low, high))
    assert row["d_z"] == pytest.approx(diffs.mean() / diffs.std(ddof=1))
    assert row["p_value"] == pytest.approx(
        stats.ttest_rel(wide["fault_tolerance"], wide["baseline"]).pvalue
    )
    # pairing removes the shared noise: the paired interval is narrower than the
    # difference of the two independent intervals would suggest
    base = _row(comparison.table, "active_share", "baseline")
    unpaired = (row["ci_high"] - row["ci_low"]) + (base["ci_high"] - base["ci_low"])
    assert row["difference_ci_high"] - row["difference_ci_low"] < unpaired
    pairs = paired_differences(summaries, "baseline", "active_share")
    assert set(pairs["scenario"]) == {"baseline", "baseline_copy", "fault_tolerance"}


def test_report_files_and_figures(batch: Path, tmp_path: Path) -> None:
    folder = tmp_path / "report"
    shutil.copytree(batch, folder)
    comparison = compare(folder, metrics=["flat_share", "active_share"], window=6)
    written = write_report(comparison)
    names = sorted(p.relative_to(folder).as_posix() for p in written)
    assert names == [
        "comparison.csv",
        "comparison.md",
        "figures/differences.png",
        "figures/timeseries_active_share.png",
        "figures/timeseries_flat_share.png",
    ]
    for path in written:
        if path.suffix == ".png":
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
    csv = pd.read_csv(folder / "comparison.csv")
    assert len(csv) == 6 and set(csv["baseline"]) == {"baseline"}
    assert set(csv["window_first_month"]) == {19} and set(csv["window_last_month"]) == {24}
    markdown = (folder / "comparison.md").read_text()
    assert "## flat_share, months 19-24" in markdown
    assert "| `fault_tolerance` | 5 |" in markdown
    assert "Cohen's d_z" in markdown and "figures/differences.png" in markdown
    text = comparison.to_text()
    assert text.count("(baseline)") == 2 and "fault_tolerance" in text


def test_compare_command(batch: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "cli"
    shutil.copytree(batch, folder)
    status = cli_main(["compare", str(folder), "--metric", "flat_share", "--no-figures"])
    out = capsys.readouterr().out
    assert status == 0
    assert "flat_share (months 13-24)" in out and "baseline_copy" in out
    assert (folder / "comparison.csv").is_file() and not (folder / "figures").exists()
    status = cli_main(["compare", str(folder), "--baseline", "basline"])
    err = capsys.readouterr().err
    assert status == 2 and "did you mean 'baseline'" in err and err.count("\n") == 1


def test_bad_requests_are_clear_errors(batch: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="did you mean 'baseline'"):
        compare(batch, baseline="basline")
    with pytest.raises(InputError, match="did you mean 'flat_share'"):
        compare(batch, metrics=["flat_shares"])
    with pytest.raises(InputError, match="outside 1..24"):
        compare(batch, window=25)
    with pytest.raises(InputError, match="between 0 and 1"):
        compare(batch, confidence=95)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "data.csv").write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match="not a cadre-sim batch results folder"):
        compare(foreign)
