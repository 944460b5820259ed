"""Batches: paired seeds, identical data on every executor, crash safety, resume."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import dataclasses
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest

from sim.cli import main as cli_main
from sim.errors import InputError
from sim.model import CadreModel
from sim.model.stack import RunStack
from sim.runs import store as results
from sim.runs.batch import BatchInterrupted, replicate_seed, run_batch
from sim.scenarios import load

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = ["baseline", "fault_tolerance"]
#: A small batch: a few seconds on any executor.
SMALL = {"replicates": 3, "steps": 24, "population": 150, "root_seed": 11}
#: Runs long enough for a kill to land part way through a batch. Stacked, each scenario's
#: 12 runs are two stacks of 6, one per worker, so a batch is two rounds of stacks; the
#: second (about a second here) must outlast the time the test takes to react.
LONG = {"replicates": 12, "steps": 240, "population": 1000, "root_seed": 5}


def _cli_args(settings: dict[str, int]) -> list[str]:
    """The ``cadre-sim batch`` options of a batch configuration."""
    return [
        "--replicates", str(settings["replicates"]),
        "--steps", str(settings["steps"]),
        "--population", str(settings["population"]),
        "--seed", str(settings["root_seed"]),
    ]  # fmt: skip


#: ``python -m sim`` with Ctrl-C raising KeyboardInterrupt even if the test
#: runner was started with SIGINT ignored (as background jobs are).
CLI = [
    sys.executable,
    "-c",
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv[0] = 'cadre-sim'; runpy.run_module('sim', run_name='__main__', alter_sys=True)",
]


_STARTED: list[subprocess.Popen[str]] = []


def _start_cli(*args: str) -> subprocess.Popen[str]:
    """Start ``python -m sim ARGS`` in its own process group."""
    process = subprocess.Popen(
        [*CLI, *args],
        cwd=REPO,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _STARTED.append(process)
    return process


@pytest.fixture(autouse=True)
def _stop_started_batches() -> Iterator[None]:
    """Kill the process group of any batch a test started, however the test ends."""
    yield
    while _STARTED:
        process = _STARTED.pop()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()


def _finished(folder: Path) -> int:
    """Runs the batch in ``folder`` has finished so far (``done`` events of its status log)."""
    try:
        text = (folder / "status.log").read_text()
    except FileNotFoundError:
        return 0
    return text.count('"event":"done"')


def _listed(folder: Path) -> int:
    """Runs the manifest lists as finished."""
    return sum(r["status"] == "done" for r in results.read_manifest(folder)["runs"])


def _wait_for_files(folder: Path, count: int, process: subprocess.Popen[str]) -> int:
    """Wait until ``count`` runs have finished (fail if the batch ends or stalls first)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = _finished(folder)
        if found >= count:
            return found
        if process.poll() is not None:
            pytest.fail(f"batch ended before {count} runs: {process.communicate()}")
        time.sleep(0.005)
    pytest.fail("batch made no progress")


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small batch run serially: the reference every other executor must match."""
    out = tmp_path_factory.mktemp("reference") / "batch"
    summary = run_batch(SCENARIOS, out=out, executor="serial", **SMALL)
    assert summary.complete and summary.failed == 0
    return out


@pytest.fixture(scope="module")
def long_reference(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The data of the longer batch run serially, uninterrupted."""
    out = tmp_path_factory.mktemp("long") / "batch"
    run_batch(SCENARIOS, out=out, executor="serial", **LONG)
    return results.load(out)


# ---------------------------------------------------------------------------
# Seeds
# ---------------------------------------------------------------------------


def test_replicate_seed_is_a_pure_function_of_root_and_replicate() -> None:
    seeds = [replicate_seed(2026, k) for k in range(50)]
    assert seeds == [replicate_seed(2026, k) for k in range(50)]
    assert len(set(seeds)) == 50
    assert all(0 <= s < 2**63 for s in seeds)
    assert replicate_seed(2027, 0) != seeds[0]
    child = np.random.SeedSequence(2026).spawn(4)[3].generate_state(2, dtype=np.uint32)
    assert seeds[3] == ((int(child[1]) << 32) | int(child[0])) & (2**63 - 1)
    with pytest.raises(ValueError):
        replicate_seed(-1, 0)


def test_replicate_k_of_every_scenario_shares_its_seed(reference: Path) -> None:
    frame = results.summaries(reference, ["flat_share"], window=12)
    by_scenario = frame.pivot(index="replicate", columns="scenario", values="seed")
    assert (by_scenario["baseline"] == by_scenario["fault_tolerance"]).all()
    assert list(by_scenario["baseline"]) == [replicate_seed(11, k) for k in range(3)]
    manifest = results.read_manifest(reference)
    assert manifest["root_seed"] == 11
    assert {r["seed"] for r in manifest["runs"]} == {replicate_seed(11, k) for k in range(3)}


def test_a_run_is_the_model_run_with_its_seed(reference: Path) -> None:
    stored = results.load(reference, scenarios=["fault_tolerance"])
    stored = stored[stored["replicate"] == 2].drop(columns=["scenario", "replicate", "seed"])
    scenario = load("fault_tolerance").with_overrides({"workforce.population": 150})
    model = CadreModel(**scenario.model_kwargs(), rng=replicate_seed(11, 2))
    model.run(24)
    pd.testing.assert_frame_equal(stored.reset_index(drop=True), model.timeseries())


# ---------------------------------------------------------------------------
# Executors give identical data
# ---------------------------------------------------------------------------


def test_two_processes_match_serial(reference: Path, tmp_path: Path) -> None:
    summary = run_batch(SCENARIOS, out=tmp_path / "process", executor="process", workers=2, **SMALL)
    assert summary.executor == {"executor": "process", "workers": 2}
    pd.testing.assert_frame_equal(results.load(tmp_path / "process"), results.load(reference))
    # the per-run summaries the parent keeps are those of the stored series
    stored = results.summaries(reference, ["flat_share", "active_share"], window=12)
    kept = summary.runs[["scenario", "replicate", "seed", "flat_share", "active_share"]]
    pd.testing.assert_frame_equal(kept, stored, check_exact=False, rtol=1e-12)


def test_dask_cluster_at_a_scheduler_address_matches_serial(
    reference: Path, tmp_path: Path
) -> None:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        summary = run_batch(
            SCENARIOS, out=tmp_path / "dask", executor="dask",
            scheduler=cluster.scheduler_address, **SMALL,
        )  # fmt: skip
        assert summary.executor == {
            "executor": "dask", "workers": 2, "scheduler": cluster.scheduler_address,
        }  # fmt: skip
    pd.testing.assert_frame_equal(results.load(tmp_path / "dask"), results.load(reference))


def test_dask_local_cluster_and_any_executor_match_serial(reference: Path, tmp_path: Path) -> None:
    summary = run_batch(SCENARIOS, out=tmp_path / "dask", executor="dask", workers=2, **SMALL)
    assert summary.executor["executor"] == "dask" and summary.executor["workers"] == 2
    assert summary.executor["scheduler"].startswith("tcp://127.0.0.1:")
    pd.testing.assert_frame_equal(results.load(tmp_path / "dask"), results.load(reference))
    with cf.ThreadPoolExecutor(max_workers=2) as pool:
        run_batch(SCENARIOS, out=tmp_path / "threads", executor=pool, **SMALL)
    pd.testing.assert_frame_equal(results.load(tmp_path / "threads"), results.load(reference))


def test_manifest_records_provenance_seeds_and_times(reference: Path) -> None:
    manifest = results.read_manifest(reference)
    assert manifest["status"] == "complete"
    assert manifest["steps"] == 24 and manifest["replicates"] == 3
    for key in ("cadre_sim", "mesa", "numpy", "python", "git_commit"):
        assert key in manifest["provenance"]
    assert manifest["provenance"]["mesa"].startswith("3.")
    names = [s["name"] for s in manifest["scenarios"]]
    assert names == SCENARIOS
    lines = [json.loads(line) for line in (reference / "scenarios.jsonl").read_text().splitlines()]
    assert lines[0]["batch"] == manifest["batch"]
    stored = {line["name"]: line for line in lines[1:]}
    for entry in manifest["scenarios"]:
        assert stored[entry["name"]]["digest"] == entry["digest"]
        scenario = load(entry["name"]).with_overrides({"workforce.population": 150})
        assert entry["digest"] == scenario.digest()
    assert len(manifest["runs"]) == 6
    for run in manifest["runs"]:
        assert run["status"] == "done" and run["wall_time"] > 0
        assert run["started"] <= run["finished"]
        assert run["steps"] == 24 and run["rows"] == 25 and len(run["content"]) == 32
        assert (reference / run["file"]).is_file() and run["file"].startswith("data/part-")
    assert manifest["sessions"][0]["executor"] == "serial"
    table = results.run_table(reference)
    assert len(table) == 6 and set(table["status"]) == {"done"}
    assert table["seed"].tolist() == [r["seed"] for r in manifest["runs"]]


# ---------------------------------------------------------------------------
# Crash safety and resume
# ---------------------------------------------------------------------------


@pytest.mark.slow
def test_killed_batch_resumes_to_the_uninterrupted_result(
    long_reference: pd.DataFrame, tmp_path: Path
) -> None:
    out = tmp_path / "killed"
    total = len(SCENARIOS) * LONG["replicates"]
    batch = _start_cli("batch", *SCENARIOS, *_cli_args(LONG), "--workers", "2", "--out", str(out))
    _wait_for_files(out, 3, batch)
    helpers = psutil.Process(batch.pid).children(recursive=True)  # fork server, workers
    os.kill(batch.pid, signal.SIGKILL)  # the parent only: its workers must notice and exit
    batch.communicate(timeout=30)  # reap it and close its pipes
    _, alive = psutil.wait_procs(helpers, timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(batch.pid, signal.SIGKILL)  # whatever is left, so the test cleans up
    assert not alive, f"orphaned helper processes: {alive}"
    left = _finished(out)
    assert 3 <= left < total, "the kill must land part way through the batch"

    resumed = _start_cli("batch", "--resume", "--out", str(out))
    stdout, stderr = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, stderr
    already = int(stdout.split(" already done")[0].rsplit(", ", 1)[-1].split()[-1])
    assert already >= left  # every finished run was recovered from the journal
    assert "recovered" in stderr
    assert "run/s" not in stderr and "%|" not in stderr  # no bar when stderr is not a terminal
    assert _listed(out) == total
    assert not list(out.rglob("*.tmp")) and not list(out.rglob(".journal-*"))
    pd.testing.assert_frame_equal(results.load(out), long_reference)
    manifest = results.read_manifest(out)
    assert manifest["status"] == "complete"
    assert [s["resumed"] for s in manifest["sessions"]] == [False, True]
    assert all(r["status"] == "done" for r in manifest["runs"])


@pytest.mark.slow
def test_killed_worker_is_replaced_and_its_runs_redone(
    long_reference: pd.DataFrame, tmp_path: Path
) -> None:
    out = tmp_path / "worker-killed"
    batch = _start_cli("batch", *SCENARIOS, *_cli_args(LONG), "--workers", "2", "--out", str(out))
    _wait_for_files(out, 2, batch)
    parent = psutil.Process(batch.pid)
    workers = [p for p in parent.children(recursive=True) if p.ppid() != batch.pid]
    assert workers, "the pool's workers are forked by the fork server"
    workers[0].kill()
    stdout, stderr = batch.communicate(timeout=120)
    assert batch.returncode == 0, stderr
    pd.testing.assert_frame_equal(results.load(out), long_reference)
    manifest = results.read_manifest(out)
    assert manifest["status"] == "complete"
    assert any(r.get("attempts", 1) > 1 for r in manifest["runs"])


@pytest.mark.slow
def test_ctrl_c_keeps_finished_runs_and_says_how_to_resume(
    long_reference: pd.DataFrame, tmp_path: Path
) -> None:
    out = tmp_path / "interrupted"
    batch = _start_cli("batch", *SCENARIOS, *_cli_args(LONG), "-w", "2", "--out", str(out))
    _wait_for_files(out, 2, batch)
    os.killpg(batch.pid, signal.SIGINT)  # as a terminal does: the whole group
    stdout, stderr = batch.communicate(timeout=60)
    assert batch.returncode == 130, stderr
    assert f"resume with: cadre-sim batch --resume --out {out}" in stderr
    manifest = results.read_manifest(out)
    assert manifest["status"] == "interrupted"
    assert not list(out.rglob("*.tmp"))
    summary = run_batch(out=out, resume=True, executor="serial")
    assert summary.skipped >= 2 and summary.complete
    pd.testing.assert_frame_equal(results.load(out), long_reference)


def test_failing_run_is_recorded_and_the_others_finish(
    reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stack with one failing run finishes the others and retries the failure alone."""
    bad_seed = replicate_seed(11, 1)
    original, original_stack = CadreModel.run, RunStack.run
    stacks: list[int] = []
    alone: list[int] = []

    def bad(seed: int, params) -> bool:
        return seed == bad_seed and params.fault_tolerance.coverage > 0.2

    def run_or_fail(self: CadreModel, steps: int) -> None:
        alone.append(self._seed)
        if bad(self._seed, self.params):
            raise FloatingPointError("model diverged at month 7")
        original(self, steps)

    def stack_or_fail(self: RunStack, steps: int) -> None:
        stacks.append(len(self.specs))
        if any(bad(spec.seed, spec.params) for spec in self.specs):
            raise FloatingPointError("a run of the stack diverged")
        original_stack(self, steps)

    monkeypatch.setattr(CadreModel, "run", run_or_fail)
    monkeypatch.setattr(RunStack, "run", stack_or_fail)
    out = tmp_path / "failing"
    summary = run_batch(SCENARIOS, out=out, executor="serial", **SMALL)
    assert stacks == [6] and len(alone) == 6  # the stack failed: each of its runs again alone
    assert (summary.done, summary.failed, summary.complete) == (5, 1, False)
    failed = summary.failures
    assert list(failed["scenario"]) == ["fault_tolerance"] and list(failed["replicate"]) == [1]
    assert failed["error"].iloc[0] == "FloatingPointError: model diverged at month 7"
    manifest = results.read_manifest(out)
    assert manifest["status"] == "incomplete"
    record = next(r for r in manifest["runs"] if r["status"] == "error")
    assert "model diverged" in record["error"]
    traceback_text = (out / record["traceback_file"]).read_text()
    assert "Traceback" in traceback_text and "run_or_fail" in traceback_text
    assert _listed(out) == 5

    monkeypatch.setattr(CadreModel, "run", original)
    monkeypatch.setattr(RunStack, "run", original_stack)
    again = run_batch(out=out, resume=True, executor="serial")
    assert (again.done, again.skipped, again.failed) == (1, 5, 0)
    assert not (out / record["traceback_file"]).exists()
    pd.testing.assert_frame_equal(results.load(out), results.load(reference))


def test_resume_redoes_damaged_and_half_written_runs(reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "damaged"
    shutil.copytree(reference, out)
    (damaged,) = (out / "data").glob("part-*.parquet")
    damaged.write_bytes(damaged.read_bytes()[:300])
    leftover = out / "data" / ".part-x.parquet.999.deadbeef.tmp"
    leftover.write_bytes(b"PAR1 half")
    with pytest.raises(InputError, match="unreadable"):
        results.load(out)
    summary = run_batch(out=out, resume=True, executor="serial")
    assert (summary.done, summary.skipped) == (6, 0)
    assert any("re-running 6 run(s)" in note for note in summary.notes)
    assert any("temporary" in note for note in summary.notes)
    assert not leftover.exists()
    with pytest.warns(UserWarning, match=f"ignored 1 file.*{damaged.name}"):
        pd.testing.assert_frame_equal(results.load(out), results.load(reference))


def test_resume_can_add_replicates(reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "more"
    shutil.copytree(reference, out)
    summary = run_batch(out=out, resume=True, replicates=4, executor="serial")
    assert (summary.done, summary.skipped, summary.total) == (2, 6, 8)
    frame = results.summaries(out, ["flat_share"], window=12)
    assert sorted(frame["replicate"].unique()) == [0, 1, 2, 3]


# ---------------------------------------------------------------------------
# Foreign, corrupt and mismatched folders
# ---------------------------------------------------------------------------


def test_foreign_folder_is_rejected(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("my thesis")
    with pytest.raises(InputError, match="not a cadre-sim batch folder"):
        run_batch(SCENARIOS, out=foreign, executor="serial", **SMALL)
    with pytest.raises(InputError, match="no manifest.json"):
        results.load(foreign)
    with pytest.raises(InputError, match="does not exist"):
        results.load(tmp_path / "missing")
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]
    status = cli_main(["batch", "baseline", "-r", "2", "--out", str(foreign)])
    err = capsys.readouterr().err
    assert status == 2 and err.startswith("error: ") and err.count("\n") == 1


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("{not json", "unreadable"),
        ('{"kind": "mesa batch_run", "format": 1}', "another kind"),
        ('{"kind": "cadre-sim batch", "format": 99}', "newer cadre-sim"),
        ('{"kind": "cadre-sim batch", "format": 1, "steps": "many"}', "corrupt"),
        ("[1, 2, 3]", "corrupt"),
    ],
)
def test_corrupt_or_foreign_manifest_is_rejected(
    reference: Path, tmp_path: Path, manifest: str, message: str
) -> None:
    out = tmp_path / "bad"
    shutil.copytree(reference, out)
    (out / "manifest.json").write_text(manifest)
    with pytest.raises(InputError, match=message):
        results.load(out)
    with pytest.raises(InputError, match=message):
        run_batch(out=out, resume=True, executor="serial")


def test_resume_with_another_batch_is_rejected(reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "mismatch"
    shutil.copytree(reference, out)
    before = (out / "manifest.json").read_bytes()
    with pytest.raises(InputError, match="already holds a batch"):
        run_batch(SCENARIOS, out=out, executor="serial", **SMALL)
    with pytest.raises(InputError, match="steps 30 differs"):
        run_batch(SCENARIOS, out=out, resume=True, executor="serial", **{**SMALL, "steps": 30})
    with pytest.raises(InputError, match="root seed 12 differs"):
        run_batch(SCENARIOS, out=out, resume=True, executor="serial", **{**SMALL, "root_seed": 12})
    with pytest.raises(InputError, match="'baseline' differs"):
        run_batch(
            SCENARIOS, out=out, resume=True, executor="serial", **{**SMALL, "population": 160}
        )
    with pytest.raises(InputError, match="not in the batch"):
        run_batch(["baseline", "clarification"], out=out, resume=True, executor="serial", **SMALL)
    with pytest.raises(InputError, match="fewer than"):
        run_batch(out=out, resume=True, replicates=2, executor="serial")
    assert (out / "manifest.json").read_bytes() == before


def test_folder_in_use_by_another_batch_is_rejected(reference: Path, tmp_path: Path) -> None:
    out = tmp_path / "busy"
    shutil.copytree(reference, out)
    with open(out / ".lock", "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(InputError, match="in use by another running batch"):
            run_batch(out=out, resume=True, executor="serial")


# ---------------------------------------------------------------------------
# API for sweeps and notebooks
# ---------------------------------------------------------------------------


def test_many_in_memory_scenarios_summaries_only() -> None:
    base = load("baseline").with_overrides({"workforce.population": 60})
    points = [
        base.with_overrides({"fault_tolerance.coverage": c}, name=f"point_{i:04d}")
        for i, c in enumerate(np.linspace(0.0, 1.0, 12))
    ]
    summary = run_batch(
        points, 2, steps=12, out=None, executor="serial",
        summary_metrics=["flat_share", "innovations"], summary_window=6,
    )  # fmt: skip
    assert summary.out is None and summary.complete
    assert list(summary.runs.columns[-2:]) == ["flat_share", "innovations"]
    assert len(summary.runs) == 24
    assert summary.runs[["flat_share", "innovations"]].notna().all().all()
    assert list(summary.runs["scenario"].cat.categories) == [p.name for p in points]

    with pytest.raises(InputError, match="given twice"):
        run_batch([points[0], points[0]], 1, steps=12, out=None, executor="serial")
    with pytest.raises(InputError, match="cannot name a results folder"):
        run_batch([dataclasses.replace(base, name="../x")], 1, steps=12, out=None)


def test_bad_arguments_are_rejected_before_anything_is_written(tmp_path: Path) -> None:
    out = tmp_path / "never"
    cases = [
        ({"executor": "mpi"}, "unknown executor"),
        ({"executor": "serial", "workers": 2}, "serial executor"),
        ({"executor": "process", "scheduler": "tcp://x:8786"}, "scheduler address"),
        ({"summary_metrics": ["flat_shares"]}, "did you mean 'flat_share'"),
        ({"steps": 0}, "steps must be"),
        ({"summary_window": 50}, "summary window 50"),
    ]
    for options, message in cases:
        with pytest.raises(InputError, match=message):
            run_batch(SCENARIOS, 2, out=out, **{"steps": 24, **options})
    with pytest.raises(InputError, match="replicates is required"):
        run_batch(SCENARIOS, out=out)
    assert not out.exists()


def test_progress_bar_only_on_request_or_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_batch(["baseline"], 2, steps=6, population=40, out=tmp_path / "quiet", executor="serial")
    assert capsys.readouterr().err == ""
    run_batch(
        ["baseline"], 2, steps=6, population=40, out=tmp_path / "bar", executor="serial",
        progress=True,
    )  # fmt: skip
    err = capsys.readouterr().err
    assert "2/2" in err and "run/s" in err


def test_interrupt_in_the_api_raises_with_the_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = CadreModel.run
    calls = []

    def interrupt_third(self: CadreModel, steps: int) -> None:
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        original(self, steps)

    monkeypatch.setattr(CadreModel, "run", interrupt_third)
    out = tmp_path / "stopped"
    with pytest.raises(BatchInterrupted) as stop:  # runs one at a time: stop at the third
        run_batch(SCENARIOS, out=out, executor="serial", stack_size=1, **SMALL)
    assert stop.value.summary.done == 2 and stop.value.summary.interrupted
    assert f"kept in {out.resolve()}" in str(stop.value) and "resum" in str(stop.value)
    assert results.read_manifest(out)["status"] == "interrupted"
    assert _listed(out) == 2 and not list(out.rglob("*.tmp"))


def test_batch_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli_main(["batch", "--help"])
    text = capsys.readouterr().out
    assert "--resume" in text and "examples:" in text and "--scheduler" in text
