"""``cadre-sim run``, ``show`` and ``list`` through :func:`sim.cli.main`."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import sim.cli
from sim.cli import run as run_commands
from sim.parameters import registry as params
from sim.scenarios import SCENARIO_DIR, Scenario, load, shipped

SMALL = ["--steps", "12", "--population", "200"]

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    """Call ``sim.cli.main`` in-process from ``tmp_path``; return (status, stdout, stderr).

    Only :mod:`sim.cli.run`'s commands are registered, so these tests exercise
    ``run``, ``show`` and ``list`` alone; the full command set is checked by
    the ``python -m sim --help`` subprocess test.
    """
    monkeypatch.chdir(tmp_path)

    def call(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = sim.cli.main(list(argv), commands=(run_commands,))
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return call


def entries(folder: Path) -> set[str]:
    """Names in a folder, hidden ones included."""
    return {path.name for path in folder.iterdir()}


# ---------------------------------------------------------------------------
# run
# ---------------------------------------------------------------------------


def test_run_writes_timeseries_resolved_scenario_and_metadata(cli: Cli, tmp_path: Path) -> None:
    status, out, err = cli("run", "false_accuser_crackdown", *SMALL, "--seed", "4", "--out", "one")
    assert status == 0, err
    folder = tmp_path / "one"
    assert entries(folder) == {"timeseries.parquet", "scenario.toml", "metadata.json"}
    assert entries(tmp_path) == {"one"}

    frame = pd.read_parquet(folder / "timeseries.parquet")
    assert list(frame["month"]) == list(range(13))
    assert frame.columns[0] == "month"
    assert {"flat_share", "false_reports", "crackdown.trace_probability"} <= set(frame.columns)

    meta = json.loads((folder / "metadata.json").read_text())
    assert (meta["scenario"], meta["seed"], meta["steps"], meta["population"]) == (
        "false_accuser_crackdown",
        4,
        12,
        200,
    )
    assert {"cadre-sim", "mesa", "numpy", "python"} <= set(meta["versions"])
    assert meta["started"] <= meta["finished"]
    assert meta["wall_seconds"] >= 0
    assert "git_commit" in meta
    assert meta["scenario_digest"] == load(folder / "scenario.toml").digest()

    assert "flat share" in out and "false accusers punished" in out
    assert "wrote one" in out


def test_run_summary_reports_the_final_shares(cli: Cli, tmp_path: Path) -> None:
    status, out, _ = cli("run", "baseline", *SMALL, "--out", "one")
    frame = pd.read_parquet(tmp_path / "one" / "timeseries.parquet")
    flat_line = next(line for line in out.splitlines() if line.startswith("flat share "))
    assert status == 0
    assert f"{frame['flat_share'].iloc[-1]:.3f}" in flat_line.split()


def test_default_output_folder_is_named_by_scenario_and_seed(cli: Cli, tmp_path: Path) -> None:
    status, _, _ = cli("run", "demotion", *SMALL, "--seed", "3")
    assert status == 0
    assert (tmp_path / "results" / "run-demotion-seed3" / "timeseries.parquet").is_file()


def test_same_scenario_and_seed_write_identical_parquet(cli: Cli, tmp_path: Path) -> None:
    for folder in ("a", "b"):
        assert cli("run", "combined_reform", *SMALL, "--seed", "9", "--out", folder)[0] == 0
    assert cli("run", "combined_reform", *SMALL, "--seed", "10", "--out", "c")[0] == 0
    first = (tmp_path / "a" / "timeseries.parquet").read_bytes()
    assert first == (tmp_path / "b" / "timeseries.parquet").read_bytes()
    assert first != (tmp_path / "c" / "timeseries.parquet").read_bytes()


def test_written_scenario_reproduces_the_run(cli: Cli, tmp_path: Path) -> None:
    args = ["--set", "fault_tolerance.coverage=0.9", "--set", "discipline.severity=20"]
    assert cli("run", "clarification", *SMALL, *args, "--out", "first")[0] == 0
    written = load(tmp_path / "first" / "scenario.toml")
    expected = load("clarification").with_overrides(
        {
            "fault_tolerance.coverage": 0.9,
            "discipline.severity": 20.0,
            "workforce.population": 200,
        }
    )
    assert written == expected
    assert cli("run", "first/scenario.toml", "--steps", "12", "--out", "second")[0] == 0
    assert (tmp_path / "first" / "timeseries.parquet").read_bytes() == (
        tmp_path / "second" / "timeseries.parquet"
    ).read_bytes()


def test_rerun_replaces_the_previous_run_folder(cli: Cli, tmp_path: Path) -> None:
    assert cli("run", "baseline", *SMALL, "--out", "same")[0] == 0
    (tmp_path / "same" / "stale.txt").write_text("old")
    assert cli("run", "baseline", "--steps", "6", "--population", "200", "--out", "same")[0] == 0
    assert entries(tmp_path / "same") == {"timeseries.parquet", "scenario.toml", "metadata.json"}
    assert len(pd.read_parquet(tmp_path / "same" / "timeseries.parquet")) == 7
    assert entries(tmp_path) == {"same"}


def test_run_refuses_to_replace_a_folder_that_is_not_a_run(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "precious").mkdir()
    (tmp_path / "precious" / "notes.txt").write_text("keep")
    status, out, err = cli("run", "baseline", *SMALL, "--out", "precious")
    assert status == 2
    assert "precious: folder exists and is not a cadre-sim run folder" in err
    assert err.rstrip().endswith("(option --out)") and err.count("\n") == 1
    assert entries(tmp_path / "precious") == {"notes.txt"}


def test_run_creates_missing_parent_folders(cli: Cli, tmp_path: Path) -> None:
    assert cli("run", "baseline", *SMALL, "--out", "deep/er/run")[0] == 0
    assert (tmp_path / "deep" / "er" / "run" / "metadata.json").is_file()
    assert entries(tmp_path / "deep" / "er") == {"run"}


# ---------------------------------------------------------------------------
# Bad input: one line per problem, status 2, nothing written, no traceback
# ---------------------------------------------------------------------------

BAD_INPUTS: dict[str, tuple[dict[str, str], list[str], list[str]]] = {
    # case: (files to write, extra arguments, fragments the error must contain)
    "typo_key": (
        {"bad.toml": "[fault_tolerance]\ncoverag = 0.5\n"},
        [],
        ["bad.toml: fault_tolerance.coverag: unknown key (did you mean 'coverage'?)"],
    ),
    "wrong_type": (
        {"bad.toml": '[fault_tolerance]\ncoverage = "high"\n'},
        [],
        ["bad.toml: fault_tolerance.coverage must be a number", "got 'high'"],
    ),
    "out_of_range": (
        {"bad.toml": "[fault_tolerance]\ncoverage = 1.7\n"},
        [],
        ["bad.toml: fault_tolerance.coverage = 1.7 is out of range [0.0, 1.0] (share)"],
    ),
    "bad_toml": (
        {"bad.toml": "[fault_tolerance]\ncoverage = \n"},
        [],
        ["bad.toml: invalid TOML:", "line 2"],
    ),
    "missing_file": ({}, [], ["bad.toml: file not found"]),
    "missing_parent": (
        {"bad.toml": 'extends = "gone.toml"\n'},
        [],
        ["bad.toml: extends = 'gone.toml': parent file not found", "gone.toml"],
    ),
    "cycle": (
        {"bad.toml": 'extends = "other.toml"\n', "other.toml": 'extends = "bad.toml"\n'},
        [],
        ["extends = 'bad.toml' makes a cycle: bad.toml -> other.toml -> bad.toml"],
    ),
    "bad_set": (
        {"bad.toml": "[scenario]\nname = 'fine'\n"},
        ["--set", "fault_tolerance.coverage=lots"],
        ["--set: fault_tolerance.coverage must be a number", "got 'lots'"],
    ),
    "set_without_equals": (
        {"bad.toml": ""},
        ["--set", "fault_tolerance.coverage"],
        ["--set 'fault_tolerance.coverage': expected group.key=value"],
    ),
    "bad_population": (
        {"bad.toml": ""},
        ["--population", "5"],
        ["--population: workforce.population = 5 is out of range"],
    ),
    "bad_steps": ({"bad.toml": ""}, ["--steps", "0"], ["--steps", "must be a whole number >= 1"]),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_prints_one_line_per_problem_exits_2_and_writes_nothing(
    cli: Cli, tmp_path: Path, case: str
) -> None:
    files, extra, fragments = BAD_INPUTS[case]
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    before = entries(tmp_path)
    status, out, err = cli("run", "bad.toml", *SMALL, *extra, "--out", "results/never")
    assert status == 2
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert lines and all(line.startswith("error: ") for line in lines)
    for fragment in fragments:
        assert fragment in err
    assert entries(tmp_path) == before
    assert not (tmp_path / "results").exists()


def test_every_problem_is_reported_not_just_the_first(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("[fault_tolerance]\ncoverag = 0.5\ncredibility = 3\n")
    status, _, err = cli("run", "bad.toml", "--set", "demotion.intensity=2", "--out", "x")
    assert status == 2
    lines = err.strip().splitlines()
    assert len(lines) == 3
    assert "coverag" in lines[0] and "credibility" in lines[1] and "--set" in lines[2]


# ---------------------------------------------------------------------------
# show and list
# ---------------------------------------------------------------------------


def test_show_prints_resolved_parameters_after_extends_timeline_and_set(cli: Cli) -> None:
    status, out, _ = cli(
        "show", "false_accuser_crackdown", "--set", "demotion.intensity=0.2", "--population", "300"
    )
    assert status == 0
    data = tomllib.loads(out)
    assert "extends" not in data
    assert data["demotion"]["intensity"] == 0.2
    assert data["workforce"]["population"] == 300
    assert (
        data["fault_tolerance"]["coverage"] == load("baseline").params["fault_tolerance.coverage"]
    )
    assert data["timeline"][0]["from"] == 3 and data["timeline"][0]["until"] == 13
    assert f"intensity = 0.2  # default {params.by_name('demotion.intensity').default!r}" in out
    assert Scenario.from_dict(data) == load("false_accuser_crackdown").with_overrides(
        {"demotion.intensity": 0.2, "workforce.population": 300}
    )


def test_show_json_is_the_resolved_plain_data(cli: Cli) -> None:
    status, out, _ = cli("show", "combined_reform", "--format", "json")
    assert status == 0
    assert json.loads(out) == load("combined_reform").to_dict()


def test_show_reports_bad_scenarios_like_run(cli: Cli) -> None:
    status, out, err = cli("show", "baselin")
    assert status == 2 and out == ""
    assert "error: unknown scenario 'baselin' (did you mean 'baseline'?)" in err


def test_list_shows_every_shipped_scenario_with_its_description(cli: Cli) -> None:
    status, out, _ = cli("list")
    assert status == 0
    for name in shipped():
        line = next(line for line in out.splitlines() if line.startswith(f"{name} "))
        assert load(name).description in line
    assert str(SCENARIO_DIR) in out


def test_help_text_shows_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("run", "show", "list"):
        with pytest.raises(SystemExit):
            sim.cli.main([command, "--help"], commands=(run_commands,))
        text = capsys.readouterr().out
        assert "examples:" in text and f"cadre-sim {command}" in text


def test_python_dash_m_sim_help_lists_the_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sim", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for command in ("run", "show", "list"):
        assert f"    {command} " in result.stdout
