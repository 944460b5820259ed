"""What the commands share (:mod:`sim.cli.common`) and how the command line is assembled."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim.cli
from sim.cli import common
from sim.errors import IncompleteResultsError, InputError, Problem
from sim.runs.summary import BatchSummary


def _summary(out: Path | None, failed: int) -> BatchSummary:
    rows = [
        {
            "scenario": "baseline",
            "replicate": k,
            "seed": 100 + k,
            "status": "error",
            "error": "boom",
        }
        for k in range(failed)
    ]
    rows.append({"scenario": "baseline", "replicate": failed, "seed": 9, "status": "done"})
    return BatchSummary(
        out=out,
        runs=pd.DataFrame(rows),
        metrics=(),
        window=12,
        total=failed + 3,
        done=1,
        skipped=1,
        failed=failed,
        interrupted=False,
        wall_time=1.0,
        executor={"executor": "serial", "workers": 1},
    )


@pytest.mark.parametrize(("kind", "text"), [("positive", "0"), ("positive", "x"), ("zero", "-1")])
def test_whole_number_types_reject_out_of_range(kind: str, text: str) -> None:
    parse = common.positive_int if kind == "positive" else common.non_negative_int
    with pytest.raises(argparse.ArgumentTypeError, match="whole number"):
        parse(text)


def test_whole_number_types_accept_their_range() -> None:
    assert common.positive_int("3") == 3 and common.non_negative_int("0") == 0


def test_executor_defaults_to_dask_with_a_scheduler() -> None:
    given = argparse.Namespace(executor=None, scheduler="tcp://x:8786")
    assert common.executor_name(given) == "dask"
    assert common.executor_name(argparse.Namespace(executor=None, scheduler=None)) == "process"
    assert common.executor_name(argparse.Namespace(executor="serial", scheduler=None)) == "serial"


def test_resume_command_repeats_the_command_with_resume_and_out() -> None:
    args = argparse.Namespace(
        command_line=["cadre-sim", "sweep", "x.toml", "--out", "old", "-r", "2", "--resume"]
    )
    assert common.resume_command(args, "results/a b") == (
        "cadre-sim sweep x.toml -r 2 --resume --out 'results/a b'"
    )
    assert common.batch_resume_command("r/x") == "cadre-sim batch --resume --out r/x"


def test_input_errors_name_the_option_of_the_blamed_argument(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = argparse.Namespace(steps=3, seed=None, out=None)
    problems = [
        Problem("steps 3 differs", ("steps",)),
        Problem("root seed 4 differs", ("root_seed",)),
        Problem("workers do not apply", ("workers",)),  # this command has no --workers
        "plain",
    ]
    common.print_input_error(InputError(problems[0], problems=problems), args)
    assert capsys.readouterr().err.splitlines() == [
        "error: steps 3 differs (option --steps)",
        "error: root seed 4 differs (option --seed)",
        "error: workers do not apply",
        "error: plain",
    ]
    common.print_input_error(InputError("folder busy", arguments=("out", "resume")), args)
    assert capsys.readouterr().err == "error: folder busy (option --out)\n"


def test_incomplete_results_say_how_to_resume(capsys: pytest.CaptureFixture[str]) -> None:
    common.print_input_error(IncompleteResultsError("no runs in r/x", Path("r/x")), None)
    assert capsys.readouterr().err == "error: no runs in r/x (cadre-sim batch --resume --out r/x)\n"


def test_failures_and_interrupts_are_printed_one_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = _summary(tmp_path, failed=12)
    common.print_failures(summary, "cadre-sim batch --resume --out X")
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == f"12 run(s) failed (tracebacks in {tmp_path}/errors/):"
    assert lines[1] == "  baseline replicate 0 (seed 100): boom"
    assert lines[-2] == "  ... and 2 more" and len(lines) == 13
    assert lines[-1] == "rerun the failed runs with: cadre-sim batch --resume --out X"
    assert common.print_interrupted(summary, Path("X"), "again") == 130
    assert capsys.readouterr().err == (
        "interrupted: 2 of 15 runs finished and kept in X; resume with: again\n"
    )


def test_sigterm_is_an_interrupt_only_inside_the_block() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt), common.sigterm_as_interrupt():
        os.kill(os.getpid(), signal.SIGTERM)
    assert signal.getsignal(signal.SIGTERM) == before


def test_command_modules_are_imported_explicitly_and_never_import_the_package_top() -> None:
    assert [m.__name__ for m in sim.cli.COMMANDS] == [
        "sim.cli.run",
        "sim.cli.batch",
        "sim.cli.check",
        "sim.cli.viz",
        "sim.cli.experiments",
        "sim.cli.diagnose",
        "sim.cli.decide",
    ]
    folder = Path(sim.cli.__file__).parent
    for module in folder.glob("*.py"):
        text = module.read_text()
        assert "importlib" not in text
        if module.name != "__init__.py":
            assert "from sim.cli import" not in text and "import sim.cli\n" not in text


def test_every_command_is_offered_with_its_options() -> None:
    parser = sim.cli.build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert list(commands) == [
        "run",
        "show",
        "list",
        "batch",
        "compare",
        "check",
        "viz",
        "sweep",
        "sensitivity",
        "validate",
        "diagnose",
        "search",
        "discover",
        "calibrate",
    ]
    batch = {o for a in commands["batch"]._actions for o in a.option_strings}
    assert {"--replicates", "--steps", "--seed", "--workers", "--executor", "--scheduler"} <= batch
    assert {"--out", "--resume", "--population", "--set", "--window", "--progress"} <= batch


def test_the_console_script_and_python_dash_m_agree() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sim", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0 and result.stdout.startswith("cadre-sim ")
