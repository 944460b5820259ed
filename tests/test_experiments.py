"""Experiments: file validation, designs, sweeps, sensitivity analysis and validation.

Every run here is tiny (150 cadres, 24-36 months, a 6-12 month warm-up) and
serial, so the whole file takes seconds.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection

from sim.analysis import experiment, sensitivity, validation
from sim.cli import main as cli_main
from sim.errors import InputError
from sim.parameters import registry as params
from sim.runs import store as results

#: A fast run: enough to exercise the machinery, not to estimate anything.
TINY = """
replicates = 2
steps = 24
population = 150
window = 12
seed = 7
"""
WARMUP = '[set]\n"simulation.warmup_months" = 6\n'


def write(folder: Path, name: str, text: str) -> Path:
    """Write an experiment file and return its path."""
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def grid_file(folder: Path) -> Path:
    """A 2 x 3 grid on the baseline."""
    return write(
        folder,
        "grid.toml",
        f"""
        [experiment]
        name = "tiny_grid"
        design = "grid"
        metrics = ["flat_share", "active_share"]
        {TINY}
        {WARMUP}
        [[vary]]
        parameter = "fault_tolerance.coverage"
        values = [0.0, 1.0]

        [[vary]]
        parameter = "accusation.false_report_rate"
        low = 0.0
        high = 0.02
        points = 3
        """,
    )


def lhs_file(folder: Path, seed: int = 3, name: str = "lhs.toml") -> Path:
    """A Latin hypercube over a float and a whole-number parameter."""
    return write(
        folder,
        name,
        f"""
        [experiment]
        design = "lhs"
        samples = 10
        replicates = 1
        steps = 24
        population = 150
        window = 12
        seed = {seed}
        {WARMUP}
        [[vary]]
        parameter = "discipline.severity"
        low = 5.0
        high = 40.0

        [[vary]]
        parameter = "career.min_tenure"
        low = 6
        high = 60
        """,
    )


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``cadre-sim ARGS``; return the exit status, stdout and stderr."""
    status = cli_main([str(a) for a in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# ---------------------------------------------------------------------------
# Sweeps
# ---------------------------------------------------------------------------


def test_grid_sweep_runs_every_point_and_draws_a_heatmap(tmp_path, capsys):
    out = tmp_path / "out"
    status, stdout, stderr = run_cli(
        capsys, "sweep", grid_file(tmp_path), "--out", out, "--executor", "serial"
    )
    assert status == 0, stderr
    manifest = results.read_manifest(out)
    assert len(manifest["runs"]) == 2 * 3 * 2
    assert {r["status"] for r in manifest["runs"]} == {"done"}
    per_run = results.summaries(out, ["flat_share"], window=12)
    assert len(per_run) == 12 and per_run["flat_share"].between(0, 1).all()

    design = pd.read_csv(out / "design.csv")
    assert list(design.columns) == [
        "point",
        "fault_tolerance.coverage",
        "accusation.false_report_rate",
    ]
    assert list(design["point"]) == [f"point_{i:04d}" for i in range(6)]
    pairs = set(
        zip(design["fault_tolerance.coverage"], design["accusation.false_report_rate"], strict=True)
    )
    assert pairs == {(c, r) for c in (0.0, 1.0) for r in (0.0, 0.01, 0.02)}
    # each point's scenario in the store has exactly its design values
    (point,) = [s for s in results.read_scenarios(out, manifest) if s.name == "point_0004"]
    stored = point.to_dict()
    row = design.set_index("point").loc["point_0004"]
    assert stored["fault_tolerance"]["coverage"] == row["fault_tolerance.coverage"]
    assert stored["accusation"]["false_report_rate"] == row["accusation.false_report_rate"]
    assert stored["workforce"]["population"] == 150

    heatmap = out / "figures" / "sweep_flat_share.png"
    assert heatmap.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and heatmap.stat().st_size > 5000
    assert (out / "figures" / "sweep_active_share.png").is_file()
    table = pd.read_csv(out / "sweep.csv")
    assert len(table) == 6 * 2 and (table["n"] == 2).all()
    assert json.loads((out / "experiment.json").read_text())["points"] == 6
    assert "fault_tolerance.coverage" in stdout and "wrote" in stdout


def test_resume_recreates_the_design_and_refuses_another(tmp_path, capsys):
    out = tmp_path / "out"
    base = ["--out", out, "--executor", "serial"]
    status, _, stderr = run_cli(capsys, "sweep", lhs_file(tmp_path), *base)
    assert status == 0, stderr
    status, stdout, stderr = run_cli(capsys, "sweep", lhs_file(tmp_path), *base, "--resume")
    assert status == 0, stderr
    assert "0 run now, 10 already done" in stdout
    # another seed samples another hypercube: not the batch in the folder
    other = lhs_file(tmp_path, seed=4, name="other.toml")
    status, _, stderr = run_cli(capsys, "sweep", other, *base, "--resume")
    assert status == 2
    assert "cannot resume" in stderr and "design.csv" in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_one_parameter_sweep_draws_a_line_with_a_confidence_band(tmp_path):
    path = write(
        tmp_path,
        "line.toml",
        f"""
        [experiment]
        {TINY}
        {WARMUP}
        [[vary]]
        parameter = "discipline.severity"
        values = [0.0, 25.0, 50.0]
        """,
    )
    loaded = experiment.load(path)
    run = experiment.run_design(loaded.build_design(), executor="serial")
    summary = run.point_summary()
    assert len(summary) == 3 and (summary["n"] == 2).all()
    assert (summary["ci_low"] <= summary["mean"]).all()
    assert (summary["mean"] <= summary["ci_high"]).all()
    figure = experiment.draw_sweep(run, "flat_share")
    axes = figure.axes[0]
    bands = [c for c in axes.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 1  # the confidence band around the line
    assert list(axes.lines[0].get_xdata()) == [0.0, 25.0, 50.0]
    target = experiment.plot_sweep(run, "flat_share", tmp_path / "line.png")
    assert target.read_bytes()[:4] == b"\x89PNG"


def test_latin_hypercube_is_within_bounds_stratified_and_deterministic(tmp_path):
    loaded = experiment.load(lhs_file(tmp_path))
    first, second = loaded.build_design(), loaded.build_design()
    pd.testing.assert_frame_equal(first.table, second.table)
    assert len(first) == 10
    severity = first.table["discipline.severity"]
    tenure = first.table["career.min_tenure"]
    assert severity.between(5.0, 40.0).all() and tenure.between(6, 60).all()
    assert all(isinstance(v, int) for v in tenure)  # whole-number parameter rounded
    # one sample in each of the 10 equal strata of every dimension
    unit = (first.matrix - [5.0, 6.0]) / [35.0, 54.0]
    for column in unit.T:
        assert sorted(np.floor(column * 10).astype(int)) == list(range(10))
    # the scenarios carry the values
    assert [s.params["discipline.severity"] for s in first.scenarios] == list(severity)
    other = experiment.load(lhs_file(tmp_path, seed=4, name="other.toml")).build_design()
    assert not np.allclose(other.matrix, first.matrix)


def test_scenarios_design_names_whole_scenarios(tmp_path):
    path = write(
        tmp_path,
        "scenarios.toml",
        f"""
        [experiment]
        design = "scenarios"
        scenarios = ["baseline", "fault_tolerance"]
        {TINY}
        """,
    )
    design = experiment.load(path).build_design()
    assert design.points == ["baseline", "fault_tolerance"]
    assert design.scenarios[1].params["fault_tolerance.coverage"] == 0.6


VARY_SEVERITY = '[[vary]]\nparameter = "discipline.severity"\n'
BAD_FILES = [
    pytest.param(
        "[experiment]\nreplicats = 3\n",
        "experiment.replicats: unknown key in [experiment] (did you mean 'replicates'?)",
        id="unknown-key",
    ),
    pytest.param(
        '[[vary]]\nparameter = "fault_tolerance.coverag"\nvalues = [0.1]\n',
        "unknown parameter (did you mean 'fault_tolerance.coverage'?)",
        id="unknown-parameter",
    ),
    pytest.param(
        '[experiment]\ndesign = "lhs"\n[[vary]]\nparameter = "fault_tolerance.coverage"\n'
        "low = -0.1\n",
        "vary[1].low = -0.1: fault_tolerance.coverage takes numbers in [0.0, 1.0]",
        id="range-outside-allowed",
    ),
    pytest.param(
        '[experiment]\ndesign = "lhs"\n[[vary]]\nparameter = "career.min_tenure"\nhigh = 6.5\n',
        "vary[1].high = 6.5: career.min_tenure takes whole numbers in [0, 120]",
        id="range-bound-not-whole",
    ),
    pytest.param(
        '[set]\n"discipline.severity" = 999.0\n[[vary]]\nparameter = "fault_tolerance.coverage"\n'
        "values = [0.1]\n",
        "set.discipline.severity = 999.0: discipline.severity takes numbers in [",
        id="set-value-out-of-range",
    ),
    pytest.param(
        '[set]\n"discipline.severty" = 10.0\n' + VARY_SEVERITY + "values = [1.0]\n",
        "set.discipline.severty: unknown parameter (did you mean 'discipline.severity'?)",
        id="set-unknown-parameter",
    ),
    pytest.param(
        '[experiment]\nname = "my sweep"\n' + VARY_SEVERITY + "values = [1.0]\n",
        "experiment.name: 'my sweep' must be 1 to 128 letters, digits",
        id="bad-name",
    ),
    pytest.param(
        "[experiment]\npopulation = 2.5\n" + VARY_SEVERITY + "values = [1.0]\n",
        "experiment.population = 2.5: workforce.population takes whole numbers in [",
        id="population-not-whole",
    ),
    pytest.param(
        '[[vary]]\nparameter = "fault_tolerance.coverage"\nvalues = [0.5, 1.5]\n',
        "vary[1].values[2] = 1.5: fault_tolerance.coverage takes numbers in [0.0, 1.0]",
        id="value-out-of-range",
    ),
    pytest.param(
        '[experiment]\ndesign = "latin"\n',
        "experiment.design = 'latin' is not a design",
        id="unknown-design",
    ),
    pytest.param(
        '[experiment]\nmetrics = ["flat_shares"]\n' + VARY_SEVERITY + "values = [1.0]\n",
        "'flat_shares' is not a model output (did you mean 'flat_share'?)",
        id="unknown-metric",
    ),
    pytest.param(
        '[experiment]\ndesign = "morris"\n[[vary]]\nparameter = "workforce.demography"\n',
        "is true or false and cannot be sampled from a range",
        id="switch-in-range-design",
    ),
    pytest.param(
        "[experiment]\nsteps = 12\nwindow = 24\n" + VARY_SEVERITY + "values = [1.0]\n",
        "experiment.window = 24 is longer than the run (steps = 12)",
        id="window-too-long",
    ),
    pytest.param('[experiment]\ndesign = "grid"\n', "vary is missing", id="no-vary"),
    pytest.param(
        '[experiment]\nscenario = "baselin"\n' + VARY_SEVERITY + "values = [1.0]\n",
        "experiment.scenario: unknown scenario 'baselin' (did you mean 'baseline'?)",
        id="unknown-scenario",
    ),
    pytest.param("[experiment\n", "invalid TOML", id="invalid-toml"),
    pytest.param(
        '[experiment]\nlevels = 5\ndesign = "morris"\n' + VARY_SEVERITY,
        "Morris levels must be even",
        id="odd-levels",
    ),
    pytest.param(
        '[set]\n"discipline.severity" = 10.0\n' + VARY_SEVERITY + "values = [1.0]\n",
        "set.discipline.severity: the parameter is also varied",
        id="set-and-varied",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_bad_experiment_files_are_one_line_errors_exit_2(tmp_path, capsys, text, message):
    path = write(tmp_path, "bad.toml", text)
    status, stdout, stderr = run_cli(capsys, "sweep", path, "--out", tmp_path / "out")
    assert status == 2
    lines = stderr.strip().splitlines()
    assert lines and all(line.startswith("error: ") and "bad.toml: " in line for line in lines)
    assert any(message in line for line in lines), stderr
    assert not (tmp_path / "out").exists()  # nothing written


def test_command_line_overrides_are_validated(tmp_path, capsys):
    path = grid_file(tmp_path)
    status, _, stderr = run_cli(capsys, "sweep", path, "--set", "fault_tolerance.coverage=0.5")
    assert status == 2 and "varies this parameter" in stderr
    status, _, stderr = run_cli(capsys, "sweep", path, "--steps", "6")
    assert status == 2 and "window = 12 is longer than the run (steps = 6)" in stderr
    status, _, stderr = run_cli(capsys, "sweep", path, "--metric", "nonsense")
    assert status == 2 and "'nonsense' is not a model output" in stderr
    status, _, stderr = run_cli(capsys, "sensitivity", path)
    assert status == 2 and "--method morris" in stderr


def test_shipped_experiments_load_and_cover_the_notebooks():
    assert set(experiment.shipped()) >= {
        "scenario_comparison",
        "tolerance_by_risk",
        "lever_sensitivity",
        "crackdown_event_study",
    }
    for name in experiment.shipped():
        loaded = experiment.load(name)
        assert len(loaded.build_design()) >= 2, name
    grid = experiment.load("tolerance_by_risk")
    assert grid.design == "grid"
    assert grid.parameters == ("fault_tolerance.coverage", "accusation.false_report_rate")
    event = experiment.load("crackdown_event_study")
    campaign = [s for s in event.scenarios if s.timeline]
    assert len(campaign) == 1 and campaign[0].name == "false_accuser_crackdown"
    change = campaign[0].timeline[0]
    assert (change.start, change.end) == (3, 13)
    assert set(change.settings) == {"crackdown.trace_probability"}


def test_lever_sensitivity_varies_every_policy_lever_over_its_range():
    loaded = experiment.load("lever_sensitivity")
    wanted = [p for p in params.levers() if not p.structural and p.type is not bool]
    assert loaded.design == "morris"
    assert loaded.parameters == tuple(p.name for p in wanted)
    for vary, param in zip(loaded.vary, wanted, strict=True):
        assert (vary.low, vary.high) == (param.low, param.high)


def test_notebook_scale_comes_from_the_environment(tmp_path):
    small = experiment.notebook_scale(
        {experiment.SCALE_VARIABLE: "small", experiment.OUT_VARIABLE: str(tmp_path)}
    )
    assert small.executor == "serial" and small.root == tmp_path.resolve()
    shrunk = small.apply(experiment.load("tolerance_by_risk"))
    assert (shrunk.replicates, shrunk.population, shrunk.steps) == (2, 150, 36)
    assert shrunk.base.params["simulation.warmup_months"] == 12
    assert experiment.notebook_scale({}).name == "default"
    with pytest.raises(InputError, match="CADRE_SIM_NOTEBOOK_SCALE='huge'"):
        experiment.notebook_scale({experiment.SCALE_VARIABLE: "huge"})
    foreign = tmp_path / "nb-small"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(InputError, match="not a cadre-sim results folder"):
        small.folder("nb")


# ---------------------------------------------------------------------------
# Sensitivity analysis: toy functions of known sensitivity through the same code
# ---------------------------------------------------------------------------

UNIT_CUBE = sensitivity.Problem(("x1", "x2", "x3"), ((0.0, 1.0), (0.0, 1.0), (0.0, 1.0)))


def linear(samples: np.ndarray) -> np.ndarray:
    """y = 10 x1 + 2 x2 + 0 x3: x1 matters most, x3 not at all."""
    return 10.0 * samples[:, 0] + 2.0 * samples[:, 1] + 0.0 * samples[:, 2]


def ishigami(samples: np.ndarray) -> np.ndarray:
    """The Ishigami function (a = 7, b = 0.1) on [-pi, pi]^3."""
    x1, x2, x3 = samples.T
    return np.sin(x1) + 7.0 * np.sin(x2) ** 2 + 0.1 * x3**4 * np.sin(x1)


def test_morris_ranks_a_toy_function_correctly(tmp_path):
    result = sensitivity.run("morris", UNIT_CUBE, linear, trajectories=10, seed=1)
    assert result.ranking() == ["x1", "x2", "x3"]
    table = result.table.set_index("parameter")
    # a linear function's elementary effect is its slope over the range
    assert table.loc["x1", "mu_star"] == pytest.approx(10.0)
    assert table.loc["x2", "mu_star"] == pytest.approx(2.0)
    assert table.loc["x3", "mu_star"] == pytest.approx(0.0, abs=1e-12)
    assert table["sigma"].max() == pytest.approx(0.0, abs=1e-9)  # no interactions
    assert len(result.samples) == 10 * (3 + 1)
    written = sensitivity.write_report(result, tmp_path)
    assert {p.name for p in written} == {"sensitivity.csv", "sensitivity.md", "sensitivity_y.png"}
    assert "mu_star" in (tmp_path / "sensitivity.md").read_text()


def test_morris_on_ishigami_flags_the_interaction():
    problem = sensitivity.Problem(("x1", "x2", "x3"), ((-np.pi, np.pi),) * 3)
    result = sensitivity.run("morris", problem, ishigami, trajectories=40, seed=2)
    table = result.table.set_index("parameter")
    # x3 acts only through its interaction with x1: mu near 0, sigma large
    assert abs(table.loc["x3", "mu"]) < table.loc["x3", "sigma"] / 2


def test_sobol_orders_first_and_total_indices_of_ishigami():
    problem = sensitivity.Problem(("x1", "x2", "x3"), ((-np.pi, np.pi),) * 3)
    result = sensitivity.run("sobol", problem, ishigami, base_samples=1024, seed=3)
    table = result.table.set_index("parameter")
    s1, st = table["S1"], table["ST"]
    # analytic values: S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244
    assert s1["x2"] > s1["x1"] > s1["x3"]
    assert st["x1"] > st["x2"] > st["x3"]
    assert s1["x3"] == pytest.approx(0.0, abs=0.05) and st["x3"] > 0.15
    assert s1["x1"] == pytest.approx(0.314, abs=0.06) and st["x1"] == pytest.approx(0.558, abs=0.06)
    assert result.ranking() == ["x1", "x2", "x3"]
    assert (table["S1_conf"] > 0).all()


def test_sensitivity_of_the_model_goes_through_the_batch_machinery(tmp_path, capsys):
    path = write(
        tmp_path,
        "morris.toml",
        """
        [experiment]
        design = "morris"
        trajectories = 2
        replicates = 1
        steps = 24
        population = 150
        window = 12
        metrics = ["flat_share", "active_share"]
        [set]
        "simulation.warmup_months" = 6
        [[vary]]
        parameter = "fault_tolerance.coverage"
        [[vary]]
        parameter = "accusation.false_report_rate"
        high = 0.02
        [[vary]]
        parameter = "career.min_tenure"
        """,
    )
    out = tmp_path / "out"
    status, stdout, stderr = run_cli(
        capsys, "sensitivity", path, "--out", out, "--executor", "serial"
    )
    assert status == 0, stderr
    assert len(results.read_manifest(out)["runs"]) == 2 * (3 + 1)
    table = pd.read_csv(out / "sensitivity.csv")
    assert set(table["output"]) == {"flat_share", "active_share"}
    assert set(table["parameter"]) == {
        "fault_tolerance.coverage",
        "accusation.false_report_rate",
        "career.min_tenure",
    }
    points = pd.read_csv(out / "points.csv")
    assert len(points) == 8 and (points["n"] == 1).all()
    months = points["career.min_tenure"]
    assert (months == months.round()).all()  # a whole-number parameter, rounded
    assert (out / "figures" / "sensitivity_flat_share.png").is_file()
    assert "replicate" in (out / "sensitivity.md").read_text()  # says what was analysed
    assert "mu_star" in stdout


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------

SMALL_VALIDATION = ["--replicates", "3", "--population", "300", "--steps", "36"]


def test_validate_fails_a_fact_broken_by_a_parameter_set(tmp_path, capsys):
    # With no honest mistakes there is nothing for fault tolerance to act on:
    # the two regimes' runs are identical, every difference is exactly zero.
    out = tmp_path / "validation"
    status, stdout, stderr = run_cli(
        capsys, "validate", "--only", "1", "--set", "behaviour.mistake_rate=0",
        *SMALL_VALIDATION, "--executor", "serial", "--out", out,
    )  # fmt: skip
    assert status == 1, stderr
    assert "fact 1  FAIL" in stdout and "0 of 1 stylized facts pass" in stdout
    table = pd.read_csv(out / "validation.csv")
    assert set(table["fact"]) == {1}
    assert not table["passed"].any() and not table["fact_passed"].any()
    assert (table["difference"] == 0).all()
    assert "FAIL" in (out / "validation.md").read_text()


def test_validate_passes_a_clear_fact(capsys):
    status, stdout, stderr = run_cli(
        capsys, "validate", "--only", "7", *SMALL_VALIDATION, "--executor", "serial"
    )
    assert status == 0, stderr
    assert "fact 7  PASS" in stdout and "frightened_officials - baseline" in stdout


def test_validate_rejects_bad_input_with_exit_2(capsys):
    status, _, stderr = run_cli(capsys, "validate", "--only", "10")
    assert status == 2 and "no stylized fact 10" in stderr
    status, _, stderr = run_cli(capsys, "validate", "--only", "9", "--population", "500")
    assert status == 2 and "fact 9 needs at least 1000 cadres" in stderr
    assert "--population" in stderr
    status, _, stderr = run_cli(capsys, "validate", "--only", "4", "--steps", "36")
    assert status == 2 and "fact 4 needs runs of at least 72 months" in stderr
    status, _, stderr = run_cli(capsys, "validate", "--set", "behaviour.risk_aversion=9")
    assert status == 2 and "out of range" in stderr


def test_only_selects_facts():
    assert [f.id for f in validation.parse_only("1,3")] == [1, 3]
    assert [f.id for f in validation.parse_only("2-4")] == [2, 3, 4]
    assert validation.parse_only(None) == validation.FACTS
    with pytest.raises(InputError):
        validation.parse_only("one")
