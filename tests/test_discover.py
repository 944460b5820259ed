"""Scenario discovery: a planted box is found; paired outcomes; the model-backed CLI; files.

The closed-form problems run through the same :func:`discover` as the model:
only the evaluate callable differs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.decide import files
from sim.analysis.decide.discover import (
    DiscoverProblem,
    boxes_table,
    design,
    discover,
    outcomes,
    with_reference,
    write_report,
)
from sim.analysis.decide.space import Range
from sim.cli import main
from sim.errors import InputError
from sim.results import run_table

RANGES = (
    Range("a", 0.0, 1.0),
    Range("b", 0.0, 1.0),
    Range("c", 0.0, 10.0),
    Range("d", 0, 20, integer=True),
)


def planted_box(points: pd.DataFrame, label: str) -> pd.DataFrame:
    """y = 1 inside 0.2 < a < 0.6 and c > 5, else 0; b and d do not matter."""
    inside = (points["a"] > 0.2) & (points["a"] < 0.6) & (points["c"] > 5.0)
    return pd.DataFrame(
        {"point": np.arange(len(points)), "replicate": 0, "y": inside.astype(float).to_numpy()}
    )


def test_discover_recovers_a_planted_box(tmp_path):
    problem = DiscoverProblem(
        ranges=RANGES, metric="y", threshold=0.5, samples=400, min_coverage=0.8, seed=4
    )
    result = discover(problem, planted_box)
    assert len(result.boxes) == 1
    box = result.boxes[0]
    limits = box.limits.set_index("parameter")
    assert set(limits.index) == {"a", "c"}
    assert limits.loc["a", "low"] == pytest.approx(0.2, abs=0.05)
    assert limits.loc["a", "high"] == pytest.approx(0.6, abs=0.05)
    assert limits.loc["c", "low"] == pytest.approx(5.0, abs=0.5)
    assert box.stat("coverage") >= 0.8 and box.stat("density") >= 0.95
    # the peeling trajectory starts from the whole space and gets denser
    trajectory = box.trajectory
    assert trajectory["coverage"].iloc[0] == 1.0 and trajectory["mass"].iloc[0] == 1.0
    assert trajectory["density"].iloc[-1] > trajectory["density"].iloc[0]
    assert (limits["qp_high"].fillna(0) < 0.05).all() or (limits["qp_low"].fillna(0) < 0.05).all()
    written = write_report(result, tmp_path)
    assert {p.name for p in written} >= {"boxes.csv", "discover.md", "box_1.png", "trajectory.png"}
    assert len(pd.read_csv(tmp_path / "points.csv")) == 400


def test_discover_same_seed_gives_the_same_sample_and_whole_numbers_are_rounded():
    problem = DiscoverProblem(ranges=RANGES, metric="y", threshold=0.5, samples=50, seed=9)
    first, again = design(problem), design(problem)
    pd.testing.assert_frame_equal(first, again)
    assert first["d"].map(lambda v: float(v).is_integer()).all()
    assert not design(DiscoverProblem(**{**problem.__dict__, "seed": 10})).equals(first)


def test_discover_paired_outcome_is_the_difference_from_the_reference():
    problem = DiscoverProblem(
        ranges=(Range("lever", 0.0, 1.0), Range("constant", 0.0, 1.0)),
        metric="y",
        threshold=0.0,
        samples=20,
        reference={"lever": 0.0},
        seed=1,
    )
    points = design(problem)
    both = with_reference(problem, points)
    assert len(both) == 40 and (both["lever"].iloc[20:] == 0.0).all()
    assert both["constant"].iloc[20:].tolist() == points["constant"].tolist()
    # y = lever * (constant - 0.5): the reform helps (lowers y) only where constant < 0.5
    runs = pd.DataFrame(
        {"point": range(40), "replicate": 0, "y": both["lever"] * (both["constant"] - 0.5)}
    )
    table = outcomes(problem, runs, 20)
    expected = points["lever"] * (points["constant"] - 0.5)
    assert np.allclose(table["y_difference"], expected)
    assert (table["case"] == (expected > 0)).all()
    assert problem.case_rule() == "y_difference > 0"


def test_discover_cli_runs_the_model_paired_and_writes_the_report(tmp_path, capsys):
    out = tmp_path / "out"
    status = main(
        ["discover", "discover_reform_failure", "--samples", "12", "--replicates", "1",
         "--population", "80", "--steps", "6", "--window", "3",
         "--set", "simulation.warmup_months=6", "--executor", "serial", "--out", str(out)]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert status == 0, captured.err
    points = pd.read_csv(out / "points.csv")
    assert len(points) == 12 and {"flat_share_difference", "case"} <= set(points.columns)
    manifest = out / "rounds" / "sample" / "manifest.json"
    assert manifest.is_file()  # 24 runs: each point with and without the reform
    runs = run_table(out / "rounds" / "sample")
    assert len(runs) == 24 and set(runs["status"]) == {"done"}
    assert (out / "discover.md").is_file() and (out / "trajectory.csv").is_file()


def test_discover_file_problems_are_one_line_each_with_exit_status_2(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(
        """
[discover]
samples = 5
direction = "up"
paired = true

[[uncertain]]
parameter = "fault_tolerance.coverage"

[[uncertain]]
parameter = "behaviour.habit"
low = 2.0
high = 1.0
""",
        encoding="utf-8",
    )
    assert main(["discover", str(path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert all(line.startswith("error: ") and "bad.toml" in line for line in lines)
    text = "\n".join(lines)
    assert "discover.samples must be a whole number >= 10" in text
    assert "discover.direction = 'up'" in text
    assert "fault_tolerance.coverage is not a behavioural constant" in text
    assert "low = 2.0 must be below high = 1.0" in text
    assert "paired = true" in text
    with pytest.raises(InputError, match="not a 'discover' one"):
        files.load("calibrate_survey_moments", kind="discover")


def test_discover_boxes_table_is_empty_without_cases():
    problem = DiscoverProblem(ranges=RANGES, metric="y", threshold=2.0, samples=30, seed=1)
    result = discover(problem, planted_box)
    assert result.boxes == [] and boxes_table(result).empty
