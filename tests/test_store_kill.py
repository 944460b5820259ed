"""A batch SIGKILLed at any moment of its life resumes to the data of an uninterrupted batch.

The test hook (:data:`sim.fileio.CRASH_ENV`): a process with
``CADRE_SIM_CRASH_AT=k`` kills itself with SIGKILL at its k-th durable write
step (each step of an atomic write, each journal or log append, each seal),
and ``CADRE_SIM_CRASH_LOG`` lists the steps. A reference batch run with the
log gives every step of a batch's life; the batch is then started again in a
fresh folder and killed at each chosen step, from taking the lock through
the first manifest write, every run, every seal, to the final manifest, and
resumed. Each resumed folder must hold exactly the reference data, verify
with ``check`` and leave no journal or temporary file.

The batches are tiny (60 cadres x 6 months, two scenarios, one with a
timeline, three replicates) and journals are sealed every two runs or so,
so each kill-and-resume takes well under a second. Batches run in
processes forked from a fork server that imported the package once.
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pandas as pd
import pytest

from sim.fileio import CRASH_ENV, CRASH_LOG_ENV
from sim.runs import store
from sim.runs.batch import run_batch

SCENARIOS = ["baseline", "young_cadres"]
SETTINGS = {"replicates": 3, "steps": 6, "population": 60, "root_seed": 3}
#: Journal size at which it is sealed: about two of these runs.
PART_BYTES = 12_000
#: Moments killed at: every step up to the end of the first manifest write, then spread.
FIRST_STEPS = 8
MOMENTS = 26


def _cli_args(out: Path) -> list[str]:
    return [
        "batch", *SCENARIOS, "--executor", "serial", "--out", str(out),
        "--replicates", str(SETTINGS["replicates"]), "--steps", str(SETTINGS["steps"]),
        "--population", str(SETTINGS["population"]), "--seed", str(SETTINGS["root_seed"]),
    ]  # fmt: skip


def _batch_child(out: str, crash_at: int | None, log: str | None) -> None:
    """Run ``cadre-sim batch`` in this (forked) process, killed at step ``crash_at``."""
    import sim.runs.store.writer as writer
    from sim.cli import main

    writer.PART_BYTES = PART_BYTES
    if crash_at is not None:
        os.environ[CRASH_ENV] = str(crash_at)
    if log is not None:
        os.environ[CRASH_LOG_ENV] = log
    os._exit(main(_cli_args(Path(out))))


@pytest.fixture(scope="module")
def forks() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(
        ["sim.cli", "sim.runs.batch", "sim.model", "tests.test_store_kill"]
    )
    return context


def _run_child(forks, out: Path, crash_at: int | None = None, log: Path | None = None) -> int:
    process = forks.Process(target=_batch_child, args=(str(out), crash_at, log and str(log)))
    process.start()
    process.join(timeout=120)
    assert process.exitcode is not None, "the batch hung"
    return process.exitcode


@pytest.fixture(scope="module")
def reference(forks, tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, list[str]]:
    """The uninterrupted batch's data and the labels of its durable write steps."""
    root = tmp_path_factory.mktemp("kill")
    log = root / "steps.log"
    assert _run_child(forks, root / "reference", log=log) == 0
    steps = [line.split(" ", 1)[1] for line in log.read_text().splitlines()]
    return store.load(root / "reference"), steps


def _moments(steps: list[str]) -> list[int]:
    """Step numbers to kill at: every early one, then spread evenly over the rest."""
    total = len(steps)
    spread = MOMENTS - FIRST_STEPS
    later = {
        FIRST_STEPS + 1 + round(i * (total - FIRST_STEPS - 1) / (spread - 1)) for i in range(spread)
    }
    return sorted(set(range(1, FIRST_STEPS + 1)) | later)


def test_the_reference_batch_seals_journals_and_writes_its_manifest_first(reference) -> None:
    frame, steps = reference
    assert steps[0] == "lock"
    first_manifest = steps.index("rename manifest.json")
    assert steps.index("rename scenarios.jsonl") < first_manifest < FIRST_STEPS
    assert steps.index("write manifest.json") < first_manifest  # inside the first manifest write
    assert sum(s.startswith("rename part-") for s in steps) >= 3
    assert "workforce.idealist_share" in frame.columns
    assert len(_moments(steps)) >= 20


def test_a_kill_at_any_moment_resumes_to_the_uninterrupted_data(
    forks, reference, tmp_path: Path
) -> None:
    frame, steps = reference
    for k in _moments(steps):
        out = tmp_path / f"killed-{k:03d}"
        code = _run_child(forks, out, crash_at=k)
        assert code == -9, f"step {k} ({steps[k - 1]}): the batch was not killed (exit {code})"
        if (out / store.MANIFEST).exists():  # the batch is recorded: resume from the folder alone
            summary = run_batch(out=out, resume=True, executor="serial")
        else:  # killed before its first manifest: the same batch again, resuming
            summary = run_batch(SCENARIOS, out=out, resume=True, executor="serial", **SETTINGS)
        where = f"killed at step {k} ({steps[k - 1]})"
        assert summary.complete, where
        pd.testing.assert_frame_equal(store.load(out), frame, obj=where)
        report = store.check(out)
        assert report.sound, f"{where}: {report.problems}"
        assert not list(out.rglob("*.tmp")) and not list(out.rglob(".journal-*")), where
