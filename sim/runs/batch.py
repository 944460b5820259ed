"""Batches of scenarios x replicates: paired seeds, any executor, crash-safe store.

:func:`run_batch` runs every scenario ``replicates`` times and hands each
finished run at once to the results store, which appends it to a few data
files of the results folder (layout in :mod:`sim.runs.store`). The same
function backs ``cadre-sim batch`` and the experiment commands. This module
orchestrates; the parts live in
:mod:`~sim.runs.seeding` (seeds), :mod:`~sim.runs.executors` (where runs
execute), :mod:`~sim.runs.execute` (a worker's run),
:mod:`~sim.runs.ledger` (the record of runs and the manifest),
:mod:`~sim.runs.checks` and :mod:`~sim.runs.planning` (validation and
resume checks, before anything is written),
:mod:`~sim.runs.provenance` and :mod:`~sim.runs.store`.

Seeds (common random numbers)
    Replicate ``k`` of *every* scenario is seeded with
    :func:`replicate_seed(root_seed, k) <replicate_seed>`, so differences
    between scenarios are paired. A run's data depend only on its scenario,
    its seed and the number of steps, so they are identical whatever the
    executor, the number of workers or the order runs finish in.

Executors
    ``"serial"``, ``"process"`` (the default), ``"dask"`` or any
    :class:`concurrent.futures.Executor`. Work is handed out a few runs
    ahead of the free workers, so the parent holds only small per-run
    summaries and its memory stays flat over thousands of runs. Workers
    write the run files themselves: with a remote Dask cluster the results
    folder must be on a filesystem shared by the workers, at the same path.

Crash safety and resuming
    A run file appears under its final name only once complete. The
    manifest is rewritten the same way, at most every
    :data:`MANIFEST_INTERVAL` seconds and at the end. A run that raises is
    recorded (its one-line error in the manifest, the traceback in
    ``errors/``) and the others go on. ``resume=True`` checks that the
    scenarios, steps and root seed are those of the folder, removes
    half-written temporary files, keeps every readable finished run and runs
    the rest (failed, cancelled, never started, or a damaged file). A worker
    process that dies (killed, out of memory) is replaced and its runs are
    tried again, up to :data:`MAX_ATTEMPTS` times. Ctrl-C stops submitting,
    cancels what is queued, stops the running workers, updates the manifest
    and raises :class:`BatchInterrupted`.

Example::

    from sim.batch import run_batch
    from sim.scenarios import load

    base = load("baseline")
    points = [base.with_overrides({"fault_tolerance.coverage": c}, name=f"ftc_{i:02d}")
              for i, c in enumerate([0.0, 0.25, 0.5, 0.75, 1.0])]
    summary = run_batch(points, replicates=10, steps=120, out=None,
                        summary_metrics=["flat_share"], summary_window=24)
    summary.runs.groupby("scenario", observed=True)["flat_share"].mean()
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import shutil
import sys
import tempfile
import time
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import InputError, one_line
from sim.fileio import make_folder, os_errors_as_input
from sim.runs import checks, provenance, store
from sim.runs.execute import RunTask, execute_run, execute_stack, stack_key
from sim.runs.executors import (
    EXECUTORS,
    Backend,
    SerialExecutor,
    check_executor_options,
    default_workers,
    open_backend,
)
from sim.runs.ledger import MANIFEST_INTERVAL, BatchLedger
from sim.runs.planning import (
    DEFAULT_ROOT_SEED,
    DEFAULT_STEPS,
    DEFAULT_SUMMARY_METRICS,
    DEFAULT_WINDOW,
    BatchPlan,
    prepare_batch,
)
from sim.runs.seeding import SEEDING, replicate_seed
from sim.runs.summary import BatchInterrupted, BatchSummary

if TYPE_CHECKING:
    from tqdm import tqdm

    from sim.scenarios import Scenario

__all__ = [
    "DEFAULT_ROOT_SEED",
    "DEFAULT_STEPS",
    "DEFAULT_SUMMARY_METRICS",
    "DEFAULT_WINDOW",
    "EXECUTORS",
    "MANIFEST_INTERVAL",
    "MAX_ATTEMPTS",
    "SEEDING",
    "BatchInterrupted",
    "BatchSummary",
    "RunTask",
    "SerialExecutor",
    "default_workers",
    "execute_run",
    "replicate_seed",
    "run_batch",
]

#: Tries of a run whose worker process died before it could report back.
MAX_ATTEMPTS = 3


#: Rows (cadres) a stack of runs holds at most: beyond about 64,000 rows the
#: stack's arrays outgrow the caches and a run costs more, not less
#: (``benchmarks/bench_batch.py --only stacking``: 32 x 2,000 rows per run
#: cheaper than 16 x 2,000 or 64 x 2,000).
STACK_ROWS = 65_536
#: Runs stepped together at most, by default.
STACK_SIZE = 32

Stack = tuple[RunTask, ...]


def stack_tasks(tasks: Iterable[RunTask], size: int | None, workers: int) -> deque[Stack]:
    """Group runs into stacks of equal :func:`~sim.runs.execute.stack_key`, in order.

    A stack holds at most ``size`` runs (default :data:`STACK_SIZE`; 1 turns
    stacking off) and :data:`STACK_ROWS` cadres, and no more than an even
    share of its group over ``workers``, so that every worker gets work.
    """
    groups: dict[tuple[Any, ...], list[RunTask]] = {}
    for task in tasks:
        groups.setdefault(stack_key(task), []).append(task)
    stacks: deque[Stack] = deque()
    for key, group in groups.items():
        population = key[1][0] if key[1] else 1
        limit = STACK_SIZE if size is None else size
        k = max(1, min(limit, STACK_ROWS // max(population, 1), -(-len(group) // max(workers, 1))))
        stacks.extend(tuple(group[i : i + k]) for i in range(0, len(group), k))
    return stacks


def _execute(
    batch: BatchLedger,
    backend: Backend,
    runs: deque[RunTask],
    bar: tqdm[Any],
    stack_size: int | None = None,
) -> bool:
    """Run ``runs`` on ``backend`` in stacks (:func:`stack_tasks`); True if Ctrl-C stopped it."""
    tasks = stack_tasks(runs, stack_size, backend.workers)
    in_flight: dict[cf.Future[Any], Stack] = {}

    def finish(outcome: Mapping[str, Any]) -> None:
        batch.record(outcome)
        bar.update(1)
        if batch.failed:
            bar.set_postfix(failed=batch.failed, refresh=False)

    def broken(casualties: list[RunTask], exc: BaseException) -> None:
        """Retry a dead worker's runs on a fresh pool (each alone), or record them as failed."""
        casualties = casualties + [task for stack in in_flight.values() for task in stack]
        in_flight.clear()
        if backend.restart():
            for task in reversed(casualties):
                if task.attempt < MAX_ATTEMPTS:
                    tasks.appendleft(
                        (
                            batch.task(
                                task.scenario_name,
                                task.replicate,
                                task.seed,
                                task.steps,
                                task.attempt + 1,
                            ),
                        )
                    )
                else:
                    finish(
                        batch.failure(
                            task,
                            f"worker process died {MAX_ATTEMPTS} times (killed or out of memory)",
                            exc,
                        )
                    )
            return
        message = f"executor broke: {one_line(exc)}"
        for task in [*casualties, *(task for stack in tasks for task in stack)]:
            finish(batch.failure(task, message, exc))
        tasks.clear()

    try:
        while tasks or in_flight:
            while tasks and len(in_flight) < backend.max_in_flight:
                stack = tasks.popleft()
                try:
                    future = backend.executor.submit(execute_stack, stack)
                except cf.BrokenExecutor as exc:
                    broken(list(stack), exc)
                    continue
                in_flight[future] = stack
            if not in_flight:
                continue
            finished, _ = cf.wait(list(in_flight), return_when=cf.FIRST_COMPLETED)
            casualties: list[RunTask] = []
            failure: BaseException | None = None
            for future in finished:
                stack = in_flight.pop(future)
                if future.cancelled():
                    for task in stack:
                        finish(batch.failure(task, "cancelled by the executor", None))
                    continue
                exc = future.exception()
                if isinstance(exc, cf.BrokenExecutor):
                    casualties.extend(stack)
                    failure = exc
                elif exc is not None:
                    for task in stack:
                        finish(batch.failure(task, one_line(exc), exc))
                else:
                    for outcome in future.result():
                        finish(outcome)
            if failure is not None:
                broken(casualties, failure)
    except KeyboardInterrupt:
        for future in in_flight:
            future.cancel()
        backend.abort()
        return True
    return False


def run_batch(
    scenarios: Iterable[Scenario | str | os.PathLike[str]] | None = None,
    replicates: int | None = None,
    *,
    steps: int | None = None,
    root_seed: int | None = None,
    out: str | os.PathLike[str] | None = None,
    executor: str | cf.Executor = "process",
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    population: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    summary_metrics: Sequence[str] = DEFAULT_SUMMARY_METRICS,
    summary_window: int | None = None,
    progress: bool | None = None,
    command: Sequence[str] | None = None,
    stack_size: int | None = None,
) -> BatchSummary:
    """Run every scenario ``replicates`` times and store each run as it finishes.

    Args:
        scenarios: :class:`sim.scenario.Scenario` objects (any number, with
            distinct names; e.g. ``base.with_overrides({...}, name="point_0007")``)
            or shipped names / ``.toml`` paths. May be omitted with
            ``resume=True``: the folder's stored scenarios are used.
        replicates: runs per scenario; replicate ``k`` of every scenario has
            the seed :func:`replicate_seed(root_seed, k) <replicate_seed>`.
            Required for a new batch; on resume, more than before extends it.
        steps: months per run (new batch default :data:`DEFAULT_STEPS`).
        root_seed: root of all seeds (new batch default :data:`DEFAULT_ROOT_SEED`).
        out: results folder; it must be new or empty, or hold this batch
            with ``resume=True``. ``None`` uses a temporary folder that is
            removed at the end: only ``BatchSummary.runs`` is kept.
        executor: ``"process"`` (default), ``"serial"``, ``"dask"`` or any
            :class:`concurrent.futures.Executor` (used as is, not shut down).
        workers: processes (``"process"``) or Dask workers of a new
            ``LocalCluster`` (default: one per available core).
        scheduler: address of a running Dask scheduler (``tcp://host:8786``),
            with ``executor="dask"``.
        resume: continue the batch in ``out``: keep its finished runs and do
            the rest. Scenarios, steps and root seed must match the folder's.
        population: if given, ``workforce.population`` for every scenario.
        overrides: dotted parameter names and values applied to every
            scenario (as ``--set``); the names are kept.
        summary_metrics: outputs to summarise per run (mean over the last
            ``summary_window`` months) into ``BatchSummary.runs``.
        summary_window: months the per-run summaries average over (default
            :data:`DEFAULT_WINDOW`, or the whole run if shorter).
        progress: show a progress bar (default: only if stderr is a terminal).
        command: the command line that started the batch, recorded in the
            manifest's session (``cadre-sim batch`` passes its arguments).
        stack_size: runs of equal structure a worker steps together in one
            set of arrays (default :data:`STACK_SIZE`; 1 runs each alone).
            The data are the same whatever the stack size.

    Returns:
        A :class:`BatchSummary`; ``summary.runs`` has one row per run.

    Raises:
        InputError: bad arguments, a foreign, corrupt or busy results folder,
            a resume that does not match the folder's batch, or a filesystem
            error (one line naming the path); nothing is created for any
            problem found before the batch starts.
        BatchInterrupted: Ctrl-C; finished runs are kept and the manifest
            says what is left (``summary`` attribute).

    """
    clock = time.perf_counter()
    check_executor_options(executor, workers, scheduler)
    if stack_size is not None and (
        isinstance(stack_size, bool) or not isinstance(stack_size, int) or stack_size < 1
    ):
        raise InputError(
            f"stack_size: expected a whole number >= 1, got {stack_size!r}",
            arguments=("stack_size",),
        )
    metrics = checks.check_metrics(summary_metrics)
    options = {
        "resume": resume,
        "population": population,
        "overrides": overrides,
        "summary_window": summary_window,
    }
    running = {
        "executor": executor,
        "workers": workers,
        "scheduler": scheduler,
        "metrics": metrics,
        "progress": progress,
        "command": command,
        "clock": clock,
        "stack_size": stack_size,
    }
    if out is None:
        if resume:
            raise InputError(
                "resume needs the results folder (out) of the batch to continue",
                arguments=("out",),
            )
        plan = prepare_batch(None, "new", scenarios, replicates, steps, root_seed, **options)
        folder = Path(tempfile.mkdtemp(prefix="cadre-sim-batch-"))
        try:
            with store.locked(folder):
                return _run_locked(folder=folder, plan=plan, temporary=True, **running)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    folder = Path(out).expanduser().absolute()
    with os_errors_as_input(folder, arguments=("out",)):
        state = store.folder_state(folder)
        plan = prepare_batch(folder, state, scenarios, replicates, steps, root_seed, **options)
        make_folder(folder, arguments=("out",))
        with store.locked(folder):
            now = store.folder_state(folder)
            if now != state:  # another process changed the folder meanwhile
                plan = prepare_batch(
                    folder, now, scenarios, replicates, steps, root_seed, **options
                )
            return _run_locked(folder=folder, plan=plan, temporary=False, **running)


def _terminal_width() -> int:
    """Return the width of the terminal on stderr, 0 if unknown (a pty without a size)."""
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 0


def _open_manifest(folder: Path, plan: BatchPlan, notes: list[str]) -> tuple[dict[str, Any], bool]:
    """The manifest to continue (upgrading a format-1 folder first) or a new one."""
    existing = plan.existing
    if plan.legacy:
        notes.extend(store.upgrade(folder, plan.scenarios))
        existing = store.read_manifest(folder)
    if existing is not None:
        return existing, False
    manifest = store.new_manifest(
        plan.replicates,
        plan.steps,
        plan.root_seed,
        provenance=provenance.environment(),
        seeding=SEEDING,
        columns=plan.columns,
    )
    return manifest, True


def _scenarios_missing(folder: Path, manifest: Mapping[str, Any]) -> bool:
    """Whether the batch's scenario record is missing or unreadable."""
    try:
        store.read_scenarios(folder, manifest)
    except InputError:
        return True
    return False


def _run_locked(
    *,
    folder: Path,
    plan: BatchPlan,
    executor: str | cf.Executor,
    workers: int | None,
    scheduler: str | None,
    metrics: tuple[str, ...],
    progress: bool | None,
    command: Sequence[str] | None,
    temporary: bool,
    clock: float,
    stack_size: int | None = None,
) -> BatchSummary:
    """Run the batch once the folder is checked and locked (body of :func:`run_batch`).

    Runs are planned (journals recovered, finished runs verified) and the
    executor started before anything new is written, so a failure to start
    (e.g. no Dask scheduler) leaves a new folder empty. A new batch's
    scenarios are written before its manifest, so a batch with a manifest
    can always be resumed from the folder alone.
    """
    from tqdm import tqdm

    notes = list(plan.notes)
    removed = store.clean_temporary(folder)
    manifest, new = _open_manifest(folder, plan, notes)
    scenarios = plan.scenarios
    manifest["replicates"] = plan.replicates
    manifest["scenarios"] = [store.scenario_entry(s) for s in scenarios]
    batch = BatchLedger(folder, manifest, scenarios, metrics, plan.window)
    batch.notes.extend(notes)
    if removed:
        batch.notes.append(f"removed {removed} half-written temporary file(s)")
    tasks = deque(batch.plan(plan.replicates, plan.steps, plan.root_seed))
    if not new:
        strays = store.stray_files(folder, manifest)
        if strays:
            shown = ", ".join(strays[:5]) + (
                f" and {len(strays) - 5} more" if len(strays) > 5 else ""
            )
            batch.notes.append(f"ignored {len(strays)} file(s) not listed in the manifest: {shown}")
    total = len(manifest["runs"])
    backend: Backend | None = None
    interrupted = False
    session = provenance.session(
        command, resumed=not new, recorded=manifest["provenance"] if new else None
    )
    session.update(runs_to_do=len(tasks), runs_already_done=batch.skipped, status="running")
    enabled = sys.stderr.isatty() if progress is None else progress
    sized = _terminal_width() > 0  # a pty without a size would hide the bar
    try:
        if tasks:
            backend = open_backend(executor, workers, scheduler, len(tasks))
            session.update(backend.describe())
        if new or _scenarios_missing(folder, manifest):
            store.write_scenarios(folder, manifest["batch"], scenarios)
        manifest["status"] = "running"
        manifest["sessions"].append(session)
        batch.write_manifest()
        store.log_event(folder, "session", session=len(manifest["sessions"]), runs_to_do=len(tasks))
        (folder / store.DATA_DIR).mkdir(exist_ok=True)
        with tqdm(
            total=total,
            initial=batch.skipped,
            unit="run",
            desc="batch",
            disable=not enabled,
            file=sys.stderr,
            dynamic_ncols=sized,
            ncols=None if sized else 80,
            nrows=None if sized else 24,
            smoothing=0.05,
        ) as bar:
            if backend is not None:
                interrupted = _execute(batch, backend, tasks, bar, stack_size)
    except KeyboardInterrupt:  # while starting the executor or writing the store
        interrupted = True
        if backend is not None:
            backend.abort()
    finally:
        if backend is not None and not interrupted:
            backend.close()
        if session in manifest["sessions"]:
            _end_session(batch, session, interrupted, total)
    summary = BatchSummary(
        out=None if temporary else folder,
        runs=batch.frame(),
        metrics=metrics,
        window=plan.window,
        total=total,
        done=batch.done,
        skipped=batch.skipped,
        failed=batch.failed,
        interrupted=interrupted,
        wall_time=time.perf_counter() - clock,
        executor=backend.describe() if backend is not None else {"executor": "none", "workers": 0},
        notes=batch.notes,
    )
    if interrupted:
        raise BatchInterrupted(summary)
    return summary


def _end_session(
    batch: BatchLedger, session: dict[str, Any], interrupted: bool, total: int
) -> None:
    """Seal what is left, record how the session ended and write the manifest."""
    manifest = batch.manifest
    try:
        batch.writer.close()
    except BaseException:
        batch.writer.abandon()  # the journal stays; the next start recovers it
        raise
    finally:
        status = "interrupted" if interrupted else "complete"
        if not interrupted and batch.done + batch.skipped < total:
            status = "incomplete"
        session.update(
            finished=provenance.timestamp(),
            status=status,
            runs_done=batch.done,
            runs_failed=batch.failed,
        )
        manifest["status"] = status
        manifest["finished"] = session["finished"] if status == "complete" else None
        batch.write_manifest()
        store.log_event(batch.folder, "end", status=status, runs_done=batch.done)
