"""Comparison of a batch's scenarios: intervals, paired differences, reports."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analysis import compare as compare_module
from sim.analysis.compare import (
    PRECISION_COLUMNS,
    SUMMARY_BEGIN,
    SUMMARY_END,
    compare,
    paired_differences,
    write_report,
)
from sim.analysis.stats import (
    excludes_zero,
    half_width,
    holm,
    mean_interval,
    paired_test,
    replicates_for_half_width,
    summarize,
)
from sim.analysis.text import clarity
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


# ---------------------------------------------------------------------------
# Clear effects, Holm adjustment, replicates needed
# ---------------------------------------------------------------------------


def test_holm_against_a_hand_computed_example() -> None:
    # sorted: 0.005*4 = 0.02, 0.01*3 = 0.03, 0.03*2 = 0.06, 0.04*1 = 0.04 -> kept
    # non-decreasing: 0.06; missing values are not part of the family
    p = [0.01, 0.04, math.nan, 0.03, 0.005]
    adjusted = holm(p)
    assert adjusted[[0, 1, 3, 4]] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert math.isnan(adjusted[2])
    assert holm([0.2, 0.6]) == pytest.approx([0.4, 0.6])
    assert holm([0.7, 0.9]) == pytest.approx([1.0, 1.0])  # capped at 1
    assert holm([]).size == 0 and math.isnan(holm([math.nan])[0])


def test_excludes_zero() -> None:
    low = np.array([0.01, -0.02, -0.03, 0.0, math.nan])
    high = np.array([0.02, 0.01, -0.001, 0.0, 0.1])
    assert excludes_zero(low, high).tolist() == [True, False, True, False, False]


def test_replicates_for_half_width_known_cases() -> None:
    # sd = half-width: n = 6 gives t(0.975, 5) / sqrt(6) = 1.0494 > 1; n = 7 gives 0.9248
    assert replicates_for_half_width(1.0, 1.0) == 7
    assert stats.t.ppf(0.975, 5) / math.sqrt(6) > 1.0 >= stats.t.ppf(0.975, 6) / math.sqrt(7)
    # large n: just above the normal-theory n = (z sd / h)^2 = 38414.6
    big = int(replicates_for_half_width(100.0, 1.0))
    assert 38415 <= big <= 38420
    for sd, target in [(0.0123, 0.005), (0.3, 0.01), (2.2, 1.0), (1.0, 5.0), (5.0, 0.7)]:
        n = int(replicates_for_half_width(sd, target))
        widths = [stats.t.ppf(0.975, m - 1) * sd / math.sqrt(m) for m in (n - 1, n)]
        assert widths[1] <= target and (n == 2 or widths[0] > target)
    wider = replicates_for_half_width(1.0, 1.0, confidence=0.99)
    assert wider > 7
    vector = replicates_for_half_width(np.array([0.0, math.nan, 1.0]), 1.0)
    assert vector[0] == 2 and math.isnan(vector[1]) and vector[2] == 7
    assert half_width(1.0, 7) == pytest.approx(stats.t.ppf(0.975, 6) / math.sqrt(7))
    with pytest.raises(InputError, match="positive"):
        replicates_for_half_width(1.0, 0.0)


def test_effects_whose_interval_includes_zero_are_marked(batch: Path) -> None:
    comparison = compare(batch, metrics=METRICS)
    contrasts = comparison.table[comparison.table["scenario"] != "baseline"]
    low, high = contrasts["difference_ci_low"], contrasts["difference_ci_high"]
    assert (contrasts["clear"] == ((low > 0) | (high < 0))).all()
    # the interval and the paired t-test agree: clear exactly when p < 0.05
    assert (contrasts["clear"] == (contrasts["p_value"] < 0.05)).all()
    own = comparison.table[comparison.table["scenario"] == "baseline"]
    assert own["clear"].isna().all() and own["p_holm"].isna().all()
    for metric in METRICS:  # a copy of the baseline differs by exactly 0: never clear
        assert not _row(comparison.table, metric, "baseline_copy")["clear"]
    text = comparison.to_text()
    assert text.count("not clear (CI includes 0)") >= len(METRICS)
    markdown = comparison.to_markdown(figures=False)
    assert "| **not clear (CI includes 0)** |" in markdown
    summary = comparison.summary_markdown()
    assert summary.startswith(SUMMARY_BEGIN) and summary.endswith(SUMMARY_END)
    copy_line = next(line for line in summary.splitlines() if "`baseline_copy`" in line)
    assert copy_line.count("**not clear**") == len(METRICS)
    assert "(level)" in next(line for line in summary.splitlines() if "| `baseline` |" in line)


def test_holm_family_is_every_scenario_and_metric(batch: Path, tmp_path: Path) -> None:
    comparison = compare(batch, metrics=METRICS)
    contrasts = comparison.table[comparison.table["scenario"] != "baseline"]
    assert comparison.family_size == 2 * len(METRICS)
    assert contrasts["p_holm"].to_numpy() == pytest.approx(holm(contrasts["p_value"]))
    assert (contrasts["p_holm"] >= contrasts["p_value"]).all()
    assert (contrasts["clear_holm"] == (contrasts["p_holm"] < 0.05)).all()
    assert "over the family of all 6 contrasts of this report (2 scenarios x 3 metrics)" in (
        comparison.describe()
    )
    # fewer metrics: a smaller family, so adjusted p-values can only shrink
    alone = compare(batch, metrics=["flat_share"])
    row = _row(alone.table, "flat_share", "fault_tolerance")
    assert row["p_holm"] <= _row(comparison.table, "flat_share", "fault_tolerance")["p_holm"]
    folder = tmp_path / "holm"
    shutil.copytree(batch, folder)
    write_report(compare(folder, metrics=METRICS), figures=False)
    csv = pd.read_csv(folder / "comparison.csv")
    assert {"p_value", "p_holm", "clear", "clear_holm"} <= set(csv.columns)
    markdown = (folder / "comparison.md").read_text()
    assert "| d_z | p | p Holm |" in markdown and "## Summary" in markdown


def test_clear_alone_but_not_after_holm_is_marked(batch: Path) -> None:
    # a hand-made family of three contrasts: all clear alone, Holm keeps only the first
    comparison = compare(batch, metrics=["flat_share"])
    table = comparison.table.copy()
    names = ["baseline", "baseline_copy", "fault_tolerance"]
    table = table.set_index("scenario").loc[names].reset_index()
    table = pd.concat([table, table.iloc[[2]].assign(scenario="third")], ignore_index=True)
    table["difference"] = [0.0, 0.02, 0.03, 0.01]
    table["difference_ci_low"] = [0.0, 0.005, 0.001, 0.0005]
    table["difference_ci_high"] = [0.0, 0.035, 0.059, 0.0195]
    table["p_value"] = [1.0, 0.01, 0.04, 0.03]
    judged = compare_module._judge(table, "baseline", 0.95)
    assert judged["p_holm"].tolist()[1:] == pytest.approx([0.03, 0.06, 0.06])
    assert judged["clear"].tolist()[1:] == [True, True, True]
    assert judged["clear_holm"].tolist()[1:] == [True, False, False]
    comparison.table = judged
    comparison.metrics = ("flat_share",)
    rows = [line for line in comparison.summary_markdown().splitlines() if line.startswith("| `")]
    assert sum("*not after Holm*" in line for line in rows) == 2
    assert comparison.to_text().count("yes, not after Holm") == 2
    assert clarity(True, True) == "yes" and clarity(None) == "-"


def test_replicates_needed_from_the_paired_variance(batch: Path) -> None:
    comparison = compare(batch, metrics=["flat_share", "active_share"])
    current = comparison.table[comparison.table["scenario"] != "baseline"]
    # asking for the current half-width gives the current number of pairs
    ft = current[current["scenario"] == "fault_tolerance"].set_index("metric")
    exact = ft["difference_ci_high"] - ft["difference"]
    needed = comparison.replicates_needed({m: w * (1 + 1e-9) for m, w in exact.items()})
    row = needed[needed["scenario"] == "fault_tolerance"]
    assert (row["replicates_needed"] == REPLICATES).all()
    assert row["half_width"].to_numpy() == pytest.approx(exact.to_numpy())
    # half the width: the fewest n whose t-interval from the same sd is that narrow
    half = comparison.replicates_needed({m: w / 2 for m, w in exact.items()})
    for row in half[half["scenario"] == "fault_tolerance"].itertuples(index=False):
        n, sd, target = int(row.replicates_needed), row.difference_sd, row.target_half_width
        assert stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n) <= target
        assert stats.t.ppf(0.975, n - 2) * sd / math.sqrt(n - 1) > target
        assert n < 4 * REPLICATES  # fewer than 4x: t shrinks as n grows
    every = comparison.replicates_needed(0.005)
    assert list(every.columns) == list(PRECISION_COLUMNS) and len(every) == 4
    copy = every[every["scenario"] == "baseline_copy"]
    assert (copy["difference_sd"] == 0).all() and (copy["replicates_needed"] == 2).all()
    assert "Replicates needed" in comparison.precision_text(0.005)
    with pytest.raises(InputError, match="did you mean 'flat_share'"):
        comparison.replicates_needed({"flat_shar": 0.005})
    with pytest.raises(InputError, match="positive half-width"):
        comparison.replicates_needed(-0.005)


def test_compare_command_precision(
    batch: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "precision"
    shutil.copytree(batch, folder)
    argv = ["compare", str(folder), "--metric", "flat_share", "innovations", "--no-figures"]
    status = cli_main([*argv, "--precision", "0.005", "innovations=2"])
    out = capsys.readouterr().out
    assert status == 0
    assert "Replicates needed for a 95% t-interval" in out and "half-width now" in out
    lines = [line.split() for line in out.splitlines()]
    rows = [w for w in lines if len(w) == 7 and w[0] in ("flat_share", "innovations")]
    assert len(rows) == 4 and {w[5] for w in rows if w[0] == "innovations"} == {"2"}
    assert all(w[6].isdigit() and int(w[6]) >= 2 for w in rows)
    assert "p Holm" in out and "not clear (CI includes 0)" in out
    for bad in ("0", "-0.1", "abc", "=0.1"):
        status = cli_main([*argv, "--precision", bad])
        err = capsys.readouterr().err
        assert status == 2 and "--precision" in err and err.count("\n") == 1
    status = cli_main([*argv, "--precision", "active_share=0.01"])
    err = capsys.readouterr().err
    assert status == 2 and "not a compared metric" in err and err.count("\n") == 1
