"""Policy search: a known Pareto front, robustness, determinism, resume, files and the CLI.

The closed-form problems run through the same :func:`search` as the model:
only the evaluate callable differs. The model-backed tests are tiny (100
cadres, 12 months) and use the batch machinery (one store per generation).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sim.analysis.decide import files
from sim.analysis.decide.evaluate import ModelEvaluator, prepare_folder
from sim.analysis.decide.search import (
    Objective,
    SearchProblem,
    front_scenario,
    front_table,
    reduce,
    search,
)
from sim.analysis.decide.space import Range
from sim.cli import main
from sim.errors import InputError
from sim.scenarios import load as load_scenario


def two_lever_problem(points: pd.DataFrame, label: str) -> pd.DataFrame:
    """f1 = x1^2 + x2^2, f2 = (x1 - 1)^2 + x2^2: the front is x2 = 0, 0 <= x1 <= 1."""
    x1, x2 = points["x1"].to_numpy(), points["x2"].to_numpy()
    runs = []
    for replicate, noise in enumerate((-0.001, 0.001)):
        runs.append(
            pd.DataFrame(
                {
                    "point": np.arange(len(points)),
                    "replicate": replicate,
                    "f1": x1**2 + x2**2 + noise,
                    "f2": (x1 - 1) ** 2 + x2**2,
                }
            )
        )
    return pd.concat(runs, ignore_index=True)


PROBLEM = SearchProblem(
    levers=(Range("x1", -1.0, 2.0), Range("x2", -1.0, 1.0)),
    objectives=(Objective("f1"), Objective("f2")),
    candidates=20,
    generations=20,
    seed=11,
)


def test_search_recovers_the_known_pareto_front_of_a_two_lever_problem():
    result = search(PROBLEM, two_lever_problem)
    front = front_table(result)
    assert len(front) >= 15
    assert front["x2"].abs().max() < 0.1
    assert front["x1"].between(-0.05, 1.05).all()
    # on the front, f2 = (1 - sqrt(f1))^2
    f1 = front["f1"].clip(lower=0)
    assert np.abs(front["f2"] - (1 - np.sqrt(f1)) ** 2).max() < 0.05
    # spread over the whole front, with an interval per point
    assert front["f1"].min() < 0.05 and front["f2"].min() < 0.05
    assert (front["f1_low"] <= front["f1"]).all() and (front["f1"] <= front["f1_high"]).all()
    assert np.allclose(
        front["f1_high"] - front["f1_low"], front["f1_high"].iloc[0] - front["f1_low"].iloc[0]
    )


def test_search_same_seed_gives_the_same_front_and_another_seed_another():
    small = SearchProblem(**{**PROBLEM.__dict__, "generations": 4})
    first, again = search(small, two_lever_problem), search(small, two_lever_problem)
    pd.testing.assert_frame_equal(front_table(first), front_table(again))
    other = search(SearchProblem(**{**small.__dict__, "seed": 12}), two_lever_problem)
    assert not front_table(other)[["x1", "x2"]].equals(front_table(first)[["x1", "x2"]])


def test_search_robustness_mean_percentile_and_regret_have_known_values():
    # loss[candidate, objective, condition, replicate]: 2 candidates, 1 objective, 3 conditions
    loss = np.array([[[[1.0], [2.0], [6.0]]], [[[3.0], [3.0], [3.0]]]])
    reference = np.array([[[2.0], [2.0], [2.0]]])[0]
    base = {"levers": (Range("a", 0, 1),), "objectives": (Objective("m"),)}
    mean = reduce(SearchProblem(**base), loss, None)
    assert mean[:, 0, 0].tolist() == [3.0, 3.0]
    p50 = reduce(SearchProblem(**base, robustness="percentile", percentile=50), loss, None)
    assert p50[:, 0, 0].tolist() == [2.0, 3.0]
    regret = reduce(
        SearchProblem(**base, robustness="regret", reference={"a": 0.5}), loss, reference
    )
    assert regret[:, 0, 0].tolist() == [4.0, 1.0]


def test_search_costs_are_an_objective_and_maximised_outputs_are_negated():
    problem = SearchProblem(
        levers=(Range("x1", 0.0, 1.0), Range("x2", -1.0, 1.0)),
        objectives=(Objective("f1", "max"),),
        costs=(2.0, 0.0),
        reference={"x1": 0.0, "x2": 0.0},
        candidates=8,
        generations=6,
        seed=1,
    )
    result = search(problem, two_lever_problem)
    assert problem.names == ("f1", "cost")
    front = front_table(result)
    assert np.allclose(front["cost"], 2.0 * front["x1"])
    # more of f1 costs more: the front runs from cheap and low to dear and high
    assert front.sort_values("cost")["f1"].is_monotonic_increasing


def tiny_experiment():
    experiment = files.load("search_reform_bundle", kind="search")
    return files.at_scale(experiment, "small").with_sizes(samples=0, candidates=4, generations=2)


def test_search_interrupted_model_search_resumes_to_the_same_front(tmp_path):
    experiment = tiny_experiment()
    settings = experiment.to_dict()

    def evaluator(folder, resume=False):
        return ModelEvaluator(
            experiment.plan, experiment.metrics, out=folder, resume=resume, executor="serial",
            progress=False,
        )  # fmt: skip

    whole = prepare_folder(tmp_path / "whole", "search", settings, resume=False)
    reference = experiment.run(evaluator(whole))

    broken = prepare_folder(tmp_path / "broken", "search", settings, resume=False)
    first = evaluator(broken)

    def stop_at_second_generation(points, label):
        if label == "generation_001":
            raise KeyboardInterrupt
        return first(points, label)

    with pytest.raises(KeyboardInterrupt):
        search(experiment.problem, stop_at_second_generation)
    # a half-finished round: one run of the first generation lost (its record
    # never reached the manifest, as when a kill falls between data and manifest)
    manifest_path = broken / "rounds" / "generation_000" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["runs"] = manifest["runs"][1:]
    manifest_path.write_text(json.dumps(manifest))
    prepare_folder(broken, "search", settings, resume=True)
    resumed = evaluator(broken, resume=True)
    result = experiment.run(resumed)
    pd.testing.assert_frame_equal(front_table(result), front_table(reference))
    assert resumed.runs_done == 1 + 4 and resumed.runs_reused == 3
    # front points are scenarios cadre-sim run accepts
    scenario = front_scenario(result, 0, experiment.plan.base)
    path = tmp_path / "front.toml"
    path.write_text(scenario.to_toml(), encoding="utf-8")
    assert load_scenario(path).params == scenario.params
    with pytest.raises(InputError, match="another"):
        prepare_folder(broken, "search", {**settings, "problem": {}}, resume=True)


def test_search_cli_writes_the_front_table_figure_and_scenarios(tmp_path, capsys):
    out = tmp_path / "out"
    status = main(
        ["search", "search_reform_bundle", "--candidates", "4", "--generations", "1",
         "--samples", "1", "--replicates", "1", "--population", "80", "--steps", "6",
         "--window", "3", "--set", "simulation.warmup_months=6", "--executor", "serial",
         "--out", str(out)]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "Pareto front" in captured.out
    for name in ("front.csv", "front.md", "archive.csv", "figures/front.png", "decide.json"):
        assert (out / name).is_file(), name
    front = pd.read_csv(out / "front.csv")
    assert {"flat_share_low", "flat_share_high", "cost"} <= set(front.columns)
    scenarios = sorted((out / "front").glob("*.toml"))
    assert len(scenarios) == len(front)
    assert main(["run", str(scenarios[0]), "--steps", "2", "--population", "40",
                 "--out", str(tmp_path / "run")]) == 0  # fmt: skip
    settings = json.loads((out / "decide.json").read_text())
    assert settings["kind"] == "cadre-sim search"
    assert main(["search", "search_reform_bundle", "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err


def test_search_file_problems_are_one_line_each_with_exit_status_2(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text(
        """
[search]
candidats = 10
robustness = "worst"

[[lever]]
parameter = "behaviour.risk_aversion"

[[lever]]
parameter = "fault_tolerance.coverage"
low = -0.5

[[objective]]
metric = "flat_shares"
""",
        encoding="utf-8",
    )
    assert main(["search", str(path)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert all(line.startswith("error: ") and "bad.toml" in line for line in lines)
    text = "\n".join(lines)
    assert "did you mean 'candidates'" in text
    assert "robustness = 'worst'" in text
    assert "behavioural constant, not a lever" in text
    assert "fault_tolerance.coverage = -0.5 is out of range" in text
    assert "did you mean 'flat_share'" in text
    assert len(lines) == 5
    with pytest.raises(InputError, match="not a 'search' one"):
        files.load("discover_reform_failure", kind="search")


def test_search_experiment_levers_come_from_the_registry():
    from sim.parameters.registry import PARAMS

    experiment = files.load("search_reform_bundle")
    levers = {p.name for p in PARAMS if p.lever}
    constants = {p.name for p in PARAMS if not p.lever}
    assert {r.name for r in experiment.problem.levers} <= levers
    assert {r.name for r in experiment.problem.uncertain} <= constants
    assert experiment.problem.reference == {
        r.name: experiment.plan.base.params[r.name] for r in experiment.problem.levers
    }
