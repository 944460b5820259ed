"""Calibration: known answers (closed form, and data simulated by the model), resume, files.

The closed-form problem and the model-recovery problem run through the same
:func:`calibrate` as ``cadre-sim calibrate``: only the evaluate callable
differs. The model-recovery test runs the model directly (no results store,
to keep the suite quick); the batch-backed evaluate, one store per round, is
what the resume test interrupts and continues.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from sim.analysis.decide import files
from sim.analysis.decide.calibrate import (
    CalibrateProblem,
    Target,
    calibrate,
    calibrated_scenario,
    fit_table,
    posterior_table,
    simulated_moments,
)
from sim.analysis.decide.evaluate import ModelEvaluator, prepare_folder
from sim.analysis.decide.space import Range
from sim.cli import main
from sim.errors import InputError
from sim.model import CadreModel
from sim.runs.batch import replicate_seed
from sim.scenarios import load as load_scenario


def sum_and_difference(points: pd.DataFrame, label: str) -> pd.DataFrame:
    """m1 = a + b, m2 = a - b: observed 0.9 and 0.1 put the truth at a = 0.5, b = 0.4."""
    a, b = points["a"].to_numpy(), points["b"].to_numpy()
    return pd.DataFrame({"point": np.arange(len(points)), "replicate": 0, "m1": a + b, "m2": a - b})


CLOSED = CalibrateProblem(
    parameters=(Range("a", 0.0, 1.0), Range("b", 0.0, 1.0)),
    targets=(Target("sum", "m1", 0.9, 0.05), Target("difference", "m2", 0.1, 0.05)),
    particles=20,
    generations=3,
    seed=5,
)


def test_calibrate_recovers_a_closed_form_posterior_and_is_deterministic():
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    result = calibrate(CLOSED, sum_and_difference)
    assert (np.random.get_state()[1] == before).all()  # numpy's global state is restored
    posterior = posterior_table(result).set_index("parameter")
    assert posterior.loc["a", "median"] == pytest.approx(0.5, abs=0.05)
    assert posterior.loc["b", "median"] == pytest.approx(0.4, abs=0.05)
    for name, truth in (("a", 0.5), ("b", 0.4)):
        assert posterior.loc[name, "low"] < truth < posterior.loc[name, "high"]
    assert result.generations["epsilon"].is_monotonic_decreasing
    assert result.particles["weight"].sum() == pytest.approx(1.0)
    again = calibrate(CLOSED, sum_and_difference)
    pd.testing.assert_frame_equal(again.particles, result.particles)


def test_calibrate_moments_per_1000_a_year_and_differences():
    runs = pd.DataFrame(
        {"point": [0, 0, 1], "replicate": [0, 1, 0], "demotions": [0.2, 0.4, 0.1],
         "headcount": [1000.0, 1000.0, 500.0], "top": [0.1, 0.2, 0.3], "bottom": [0.3, 0.2, 0.5]}
    )  # fmt: skip
    problem = CalibrateProblem(
        parameters=(Range("x", 0.0, 1.0),),
        targets=(
            Target("demoted", "demotions", 3.0, 1.0, statistic="per_1000_per_year"),
            Target("gap", "bottom", 0.1, 0.1, statistic="difference", minus="top"),
        ),
    )
    assert problem.metrics == ("demotions", "headcount", "bottom", "top")
    moments = simulated_moments(problem, runs, 3)
    assert moments["demoted"].tolist()[:2] == pytest.approx([3.6, 2.4])
    assert moments["gap"].tolist()[:2] == pytest.approx([0.1, 0.2])
    assert moments.iloc[2].isna().all()  # a point without runs


# ---------------------------------------------------------------------------
# Data simulated by the model itself
# ---------------------------------------------------------------------------

TRUTH = {"behaviour.risk_aversion": 1.4, "behaviour.service_motivation": 2.0}
METRICS = ("flat_share", "active_share", "flat_share_idealist", "active_share_realist")
TOLERANCE = {"flat_share": 0.02, "active_share": 0.015, "flat_share_idealist": 0.03,
             "active_share_realist": 0.02}  # fmt: skip


def model_runs(base, seed: int, replicates: int = 1):
    """An evaluate that runs the model in this process (12 months, window 12)."""

    def evaluate(points: pd.DataFrame, label: str) -> pd.DataFrame:
        rows = []
        for i, values in enumerate(points.to_dict("records")):
            kwargs = base.with_overrides(values).model_kwargs()
            for k in range(replicates):
                model = CadreModel(rng=replicate_seed(seed, k), **kwargs)
                model.run(12)
                tail = model.timeseries().tail(12)
                rows.append({"point": i, "replicate": k, **{m: tail[m].mean() for m in METRICS}})
        return pd.DataFrame(rows)

    return evaluate


def test_calibrate_recovers_the_constants_of_data_simulated_by_the_model():
    base = load_scenario("baseline").with_overrides(
        {"simulation.warmup_months": 12, "workforce.population": 300}
    )
    observed = model_runs(base, seed=99, replicates=4)(pd.DataFrame([TRUTH]), "truth")
    problem = CalibrateProblem(
        parameters=(
            Range("behaviour.risk_aversion", 0.4, 2.5),
            Range("behaviour.service_motivation", 0.5, 5.0),
        ),
        targets=tuple(Target(m, m, float(observed[m].mean()), TOLERANCE[m]) for m in METRICS),
        particles=20,
        generations=4,
        seed=3,
    )
    result = calibrate(problem, model_runs(base, seed=7))
    posterior = posterior_table(result).set_index("parameter")
    for r in problem.parameters:
        row = posterior.loc[r.name]
        assert row["low"] <= TRUTH[r.name] <= row["high"], (r.name, row.to_dict())
        assert row["high"] - row["low"] < 0.9 * (r.high - r.low)  # the data told us something
    motivation = posterior.loc["behaviour.service_motivation"]
    assert motivation["high"] - motivation["low"] < 0.5 * 4.5
    fit = fit_table(result)
    assert fit["within"].all()
    scenario = calibrated_scenario(result, base)
    assert scenario.params["behaviour.service_motivation"] == pytest.approx(motivation["median"])


# ---------------------------------------------------------------------------
# Resume, command line, files
# ---------------------------------------------------------------------------

SMALL = [
    "--particles", "4", "--generations", "2", "--replicates", "1", "--population", "100",
    "--steps", "12", "--window", "6", "--set", "simulation.warmup_months=12",
    "--executor", "serial",
]  # fmt: skip


def test_calibrate_interrupted_model_calibration_resumes_to_the_same_posterior(tmp_path, capsys):
    whole = tmp_path / "whole"
    assert main(["calibrate", "calibrate_survey_moments", *SMALL, "--out", str(whole)]) == 0
    assert "Posterior" in capsys.readouterr().out
    reference = pd.read_csv(whole / "particles.csv")
    assert (whole / "baseline_calibrated.toml").is_file() and (whole / "fit.csv").is_file()

    experiment = files.at_scale(files.load("calibrate_survey_moments"), "small")
    experiment = experiment.with_sizes(particles=4)
    broken = prepare_folder(tmp_path / "broken", "calibrate", experiment.to_dict(), resume=False)
    first = ModelEvaluator(experiment.plan, experiment.metrics, out=broken, executor="serial",
                           progress=False)  # fmt: skip

    def stop_in_the_second_generation(points, label):
        if label.startswith("generation_01"):
            raise KeyboardInterrupt
        return first(points, label)

    with pytest.raises(KeyboardInterrupt):
        calibrate(experiment.problem, stop_in_the_second_generation, broken / "abc.db")
    # a data file of the first round lost: its runs are rerun, the others reused
    lost = sorted((broken / "rounds" / "generation_00_round_00" / "data").glob("part-*.parquet"))
    lost[-1].unlink()
    assert main(["calibrate", "calibrate_survey_moments", *SMALL, "--resume",
                 "--out", str(broken)]) == 0  # fmt: skip
    done, reused = map(int, re.search(r"\((\d+) run now, (\d+) already done\)",
                                      capsys.readouterr().out).groups())  # fmt: skip
    assert reused > 0 and done > 0
    resumed = pd.read_csv(broken / "particles.csv")
    pd.testing.assert_frame_equal(resumed, reference)


def test_calibrate_file_problems_are_one_line_each_with_exit_status_2(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(
        """
[calibrate]
particles = 2

[[parameter]]
parameter = "career.prize"

[[parameter]]
parameter = "behaviour.nonsense"

[[target]]
metric = "flat_share"
observed = 0.2
tolerance = 0

[[target]]
metric = "demotions"
statistic = "difference"
observed = 1.0
tolerance = 1.0
""",
        encoding="utf-8",
    )
    assert main(["calibrate", str(path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert all(line.startswith("error: ") and "bad.toml" in line for line in lines)
    text = "\n".join(lines)
    assert "calibrate.particles must be a whole number >= 4" in text
    assert "career.prize is not a behavioural constant" in text
    assert "behaviour.nonsense" in text and "unknown parameter" in text
    assert "target[1].tolerance must be a number in (0, inf), got 0" in text
    assert "statistic = 'difference' goes with minus" in text
    with pytest.raises(InputError, match="not a 'calibrate' one"):
        files.load("search_reform_bundle", kind="calibrate")


def test_calibrate_shipped_experiment_fits_behavioural_constants_of_the_registry():
    from sim.parameters.registry import PARAMS

    experiment = files.load("calibrate_survey_moments")
    constants = {p.name for p in PARAMS if not p.lever and not p.structural}
    assert {r.name for r in experiment.problem.parameters} <= constants
    assert {t.statistic for t in experiment.problem.targets} == {
        "mean", "per_1000_per_year", "difference"
    }  # fmt: skip
