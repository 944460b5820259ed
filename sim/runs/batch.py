"""Batches of scenarios x replicates: paired seeds, any executor, crash-safe store.

:func:`run_batch` runs every scenario ``replicates`` times and writes each
finished run at once to its own Parquet file in a results folder (layout in
:mod:`sim.results`). The same function backs ``cadre-sim batch``.

Seeds (common random numbers)
    Replicate ``k`` of *every* scenario is seeded with
    :func:`replicate_seed(root_seed, k) <replicate_seed>`, so two scenarios
    differ only in their parameters, never in their luck: differences
    between scenarios are paired. A run's data depend only on its scenario,
    its seed and the number of steps, so they are identical whatever the
    executor, the number of workers or the order runs finish in.

Executors
    ``"serial"`` (in this process), ``"process"`` (a pool of local processes,
    one per core; the default), ``"dask"`` (a Dask ``LocalCluster`` on this
    machine, or a running cluster given by its scheduler address), or any
    :class:`concurrent.futures.Executor` you pass in. Work is handed out
    through the ``concurrent.futures`` interface, a few runs ahead of the
    free workers, so the parent holds only small per-run summaries and its
    memory stays flat over thousands of runs. Workers write the run files
    themselves: with a remote Dask cluster the results folder must be on a
    filesystem shared by the workers, at the same path.

Crash safety and resuming
    A worker writes a run to a hidden temporary name, flushes it to disk and
    renames it into place, so a file under its final name is always
    complete. The manifest is rewritten the same way, at most every
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

    from sim.runs.batch import run_batch
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
import contextlib
import functools
import json
import math
import multiprocessing
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import sim
from sim.errors import InputError
from sim.runs import store

if TYPE_CHECKING:
    from tqdm import tqdm

    from sim.scenarios import Scenario

try:  # POSIX advisory locks keep two batches out of one folder
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "DEFAULT_ROOT_SEED",
    "DEFAULT_STEPS",
    "DEFAULT_SUMMARY_METRICS",
    "DEFAULT_WINDOW",
    "EXECUTORS",
    "BatchInterrupted",
    "BatchSummary",
    "RunTask",
    "SerialExecutor",
    "default_workers",
    "execute_run",
    "provenance",
    "replicate_seed",
    "run_batch",
]

#: Months simulated per run when a new batch does not say.
DEFAULT_STEPS = 120
#: Root seed of a new batch when none is given.
DEFAULT_ROOT_SEED = 0
#: Metrics summarised per run (averaged over the last ``summary_window`` months).
DEFAULT_SUMMARY_METRICS: tuple[str, ...] = ("flat_share", "active_share", "routine_share")
#: Months at the end of a run that per-run summaries average over.
DEFAULT_WINDOW = 12
#: Built-in executors by name.
EXECUTORS: tuple[str, ...] = ("process", "serial", "dask")
#: Tries of a run whose worker process died before it could report back.
MAX_ATTEMPTS = 3
#: Longest time (seconds) between manifest updates while a batch runs.
MANIFEST_INTERVAL = 2.0
#: How the seeds are derived; recorded in the manifest and checked on resume.
SEEDING = (
    "numpy.random.SeedSequence(root_seed, spawn_key=(replicate,)).generate_state(2) -> 63 bits"
)

_LOCK_FILE = ".lock"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


# ---------------------------------------------------------------------------
# Seeds
# ---------------------------------------------------------------------------


def replicate_seed(root_seed: int, replicate: int) -> int:
    """Return the seed of replicate ``replicate`` of every scenario (root seed ``root_seed``).

    A pure function: the seed is the first 63 bits of the state generated by
    ``numpy.random.SeedSequence(root_seed, spawn_key=(replicate,))``, which is
    the ``replicate``-th child of ``SeedSequence(root_seed).spawn(...)``. The
    children of one root are statistically independent streams, and every
    scenario's replicate ``k`` gets the same one (common random numbers),
    which makes scenario differences paired. The seed fits a signed 64-bit
    integer, so Parquet and JSON store it exactly; it is passed to
    :class:`sim.model.CadreModel` as ``rng``.

    Raises:
        ValueError: a negative root seed or replicate.

    """
    if root_seed < 0 or replicate < 0:
        raise ValueError(f"root seed and replicate must be >= 0, got {root_seed}, {replicate}")
    words = np.random.SeedSequence(int(root_seed), spawn_key=(int(replicate),)).generate_state(
        2, dtype=np.uint32
    )
    return ((int(words[1]) << 32) | int(words[0])) & ((1 << 63) - 1)


# ---------------------------------------------------------------------------
# The worker side
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunTask:
    """Everything a worker needs for one run; small and picklable.

    Attributes:
        out: absolute path of the results folder.
        scenario: the resolved scenario as plain data (:meth:`Scenario.to_dict`).
        scenario_name: the scenario's name (its folder under ``runs/``).
        digest: the scenario's :meth:`~sim.scenario.Scenario.digest`.
        replicate: replicate number ``k`` (from 0).
        seed: :func:`replicate_seed` of the batch's root seed and ``k``.
        steps: months to simulate.
        metrics: outputs to summarise for the parent.
        window: months at the end of the run the summaries average over.
        attempt: 1 for the first try, more after a worker process died.

    """

    out: str
    scenario: Mapping[str, Any]
    scenario_name: str
    digest: str
    replicate: int
    seed: int
    steps: int
    metrics: tuple[str, ...]
    window: int
    attempt: int = 1


def _now() -> str:
    """Return the current UTC time in ISO 8601, to the millisecond."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@functools.cache
def _package_version(name: str) -> str | None:
    """Installed version of a distribution, or None."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def execute_run(task: RunTask) -> dict[str, Any]:
    """Run one replicate of one scenario, store it, and return a small summary.

    Builds ``CadreModel(**scenario.model_kwargs(), rng=task.seed)``, runs
    ``task.steps`` months, writes the time series to a temporary file next
    to its final place, flushes it to disk and renames it into place. An
    exception from the model is caught and reported in the result, so one
    failing run never stops the others; the temporary file is removed
    whatever happens.

    Returns:
        ``scenario``, ``replicate``, ``seed``, ``attempt``, ``status``
        (``"done"`` or ``"error"``), ``wall_time`` (seconds to build and run
        the model), ``started``, ``finished``, ``host``, ``pid``, ``summary``
        (metric -> mean over the last ``window`` months) and, for an error,
        ``error`` (one line) and ``traceback``.

    """
    started = _now()
    clock = time.perf_counter()
    final = store.run_file(task.out, task.scenario_name, task.replicate)
    result: dict[str, Any] = {
        "scenario": task.scenario_name,
        "replicate": task.replicate,
        "seed": task.seed,
        "attempt": task.attempt,
        "started": started,
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "summary": {},
    }
    temporary: Path | None = None
    try:
        if not final.parent.is_dir():
            raise RuntimeError(
                f"results folder {final.parent} does not exist on host {result['host']}: "
                "workers write the run files themselves, so a Dask cluster needs the "
                "results folder on a shared filesystem at the same path"
            )
        from sim.model import CadreModel
        from sim.scenarios import Scenario

        scenario = Scenario.from_dict(task.scenario, origin=f"scenario {task.scenario_name}")
        model = CadreModel(**scenario.model_kwargs(), rng=task.seed)
        model.run(task.steps)
        frame = model.timeseries()
        frame.insert(0, "scenario", task.scenario_name)
        frame.insert(1, "replicate", np.int64(task.replicate))
        frame.insert(2, "seed", np.int64(task.seed))
        wall_time = time.perf_counter() - clock
        finished = _now()
        meta = {
            "kind": store.RUN_KIND,
            "format": store.FORMAT,
            "scenario": task.scenario_name,
            "digest": task.digest,
            "replicate": task.replicate,
            "seed": task.seed,
            "steps": task.steps,
            "started": started,
            "finished": finished,
            "wall_time": wall_time,
            "host": result["host"],
            "cadre_sim": sim.__version__,
            "mesa": _package_version("mesa"),
        }
        temporary = final.with_name(f".{final.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        store.write_run(frame, temporary, meta)
        os.replace(temporary, final)
        temporary = None
        result.update(
            status="done",
            wall_time=wall_time,
            finished=finished,
            summary=store.window_means(frame, task.metrics, task.window),
        )
    except Exception as exc:
        result.update(
            status="error",
            wall_time=time.perf_counter() - clock,
            finished=_now(),
            error=_one_line(exc),
            traceback=traceback.format_exc(),
        )
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                temporary.unlink()
    return result


def _one_line(exc: BaseException) -> str:
    """``Type: message`` on one line."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _parent_alive(pid: int) -> Callable[[], bool]:
    """Return a check that process ``pid`` (the batch's parent) still runs.

    With psutil (installed with dask.distributed) the check survives pid
    reuse and treats a zombie as dead; without it, it asks the kernel
    whether the pid exists.
    """
    try:
        import psutil

        process = psutil.Process(pid)
    except Exception:  # psutil missing, or the parent already gone

        def exists() -> bool:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return False
            except PermissionError:
                return True
            return True

        return exists

    def running() -> bool:
        try:
            return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    return running


def _init_process_worker(parent_pid: int) -> None:
    """Set up a pool worker: leave Ctrl-C to the parent, exit if the parent dies.

    The parent handles Ctrl-C and stops the workers itself. A watchdog thread
    ends the worker when the batch's parent process is gone (killed), so no
    orphan keeps computing or waits forever for work. The worker's own
    parent is the fork server, which outlives the batch while any worker
    lives, so the batch's pid is watched instead.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    alive = _parent_alive(parent_pid)

    def watch_parent() -> None:
        while True:
            time.sleep(0.5)
            if not alive():
                os._exit(1)

    threading.Thread(target=watch_parent, name="cadre-sim-watch-parent", daemon=True).start()


class SerialExecutor(cf.Executor):
    """A :class:`concurrent.futures.Executor` that runs each call at once, in this thread.

    Used by ``executor="serial"``: the simplest way to run a batch, and the
    reference the parallel executors must match. Ctrl-C inside a call
    propagates to the caller.
    """

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        """Run ``fn(*args, **kwargs)`` now and return its finished future."""
        future: cf.Future[Any] = cf.Future()
        future.set_running_or_notify_cancel()
        try:
            value = fn(*args, **kwargs)
        except Exception as exc:
            future.set_exception(exc)
        else:
            future.set_result(value)
        return future


# ---------------------------------------------------------------------------
# Executors
# ---------------------------------------------------------------------------


def default_workers() -> int:
    """Return the number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class _Backend:
    """An executor to submit runs to, with how to restart, stop and close it.

    Attributes:
        kind: ``"serial"``, ``"process"``, ``"dask"`` or ``"custom"``.
        workers: number of runs that can execute at once.
        executor: the :class:`concurrent.futures.Executor` in use.
        max_in_flight: runs submitted ahead at most (bounds parent memory).
        address: the Dask scheduler address, if any.

    """

    def __init__(
        self,
        kind: str,
        workers: int,
        executor: cf.Executor,
        *,
        owned: bool,
        max_in_flight: int,
        address: str | None = None,
        client: Any = None,
        cluster: Any = None,
    ) -> None:
        self.kind = kind
        self.workers = workers
        self.executor = executor
        self.owned = owned
        self.max_in_flight = max(1, max_in_flight)
        self.address = address
        self._client = client
        self._cluster = cluster

    def describe(self) -> dict[str, Any]:
        """Return the executor as recorded in the manifest."""
        out: dict[str, Any] = {"executor": self.kind, "workers": self.workers}
        if self.address:
            out["scheduler"] = self.address
        return out

    def restart(self) -> bool:
        """Replace a broken process pool; False if this executor cannot be replaced."""
        if self.kind != "process" or not self.owned:
            return False
        with contextlib.suppress(Exception):
            self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = _process_pool(self.workers)
        return True

    def abort(self) -> None:
        """Stop now: cancel queued runs and stop the running ones (owned executors)."""
        if not self.owned:
            return
        if self.kind == "process":
            # ProcessPoolExecutor has no public way to stop running calls;
            # its worker processes are in ``_processes``.
            processes = list((getattr(self.executor, "_processes", None) or {}).values())
            self.executor.shutdown(wait=False, cancel_futures=True)
            for process in processes:
                with contextlib.suppress(Exception):
                    process.kill()
            for process in processes:
                with contextlib.suppress(Exception):
                    process.join(timeout=5)
        elif self.kind == "dask":
            with contextlib.suppress(Exception):
                self.executor.shutdown(wait=False)
        self.close()

    def close(self) -> None:
        """Shut the executor down in order (owned executors only)."""
        if not self.owned:
            return
        with contextlib.suppress(Exception):
            self.executor.shutdown(wait=True)
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
            self._client = None
        if self._cluster is not None:
            with contextlib.suppress(Exception):
                self._cluster.close()
            self._cluster = None


def _process_pool(workers: int) -> cf.ProcessPoolExecutor:
    """Start a pool of ``workers`` processes from a fork server (or spawned).

    Neither start method copies the parent's threads or state; the fork
    server imports the model once and forks workers from it cheaply.
    """
    methods = multiprocessing.get_all_start_methods()
    if "forkserver" in methods:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["sim.runs.batch", "sim.model", "sim.scenarios"])
    else:  # pragma: no cover - Windows
        context = multiprocessing.get_context("spawn")
    return cf.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init_process_worker,
        initargs=(os.getpid(),),
    )


def _check_executor_options(
    executor: str | cf.Executor, workers: int | None, scheduler: str | None
) -> None:
    """Reject inconsistent executor options before anything is written."""
    if workers is not None and (isinstance(workers, bool) or int(workers) < 1):
        raise InputError(f"workers must be a whole number >= 1, got {workers!r}")
    if isinstance(executor, cf.Executor):
        if scheduler is not None:
            raise InputError("a scheduler address applies to executor 'dask' only")
        return
    if executor not in EXECUTORS:
        raise InputError(f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}")
    if scheduler is not None and executor != "dask":
        raise InputError(f"a scheduler address applies to executor 'dask', not {executor!r}")
    if executor == "serial" and workers not in (None, 1):
        raise InputError("the serial executor runs one run at a time: omit workers")
    if scheduler is not None and workers is not None:
        raise InputError(
            "workers does not apply with a scheduler address: the cluster's workers run the batch"
        )


def _open_backend(
    executor: str | cf.Executor, workers: int | None, scheduler: str | None, n_runs: int
) -> _Backend:
    """Start (or wrap) the executor for a batch of ``n_runs`` runs."""
    if isinstance(executor, cf.Executor):
        count = workers or getattr(executor, "_max_workers", None) or default_workers()
        return _Backend("custom", int(count), executor, owned=False, max_in_flight=2 * count)
    if executor == "serial":
        return _Backend("serial", 1, SerialExecutor(), owned=True, max_in_flight=1)
    if executor == "process":
        count = max(1, min(workers or default_workers(), n_runs))
        return _Backend("process", count, _process_pool(count), owned=True, max_in_flight=2 * count)
    return _open_dask(workers, scheduler, n_runs)


@contextlib.contextmanager
def _children_ignore_ctrl_c() -> Iterator[None]:
    """Start processes that ignore Ctrl-C, which the parent alone handles.

    An ignored SIGINT is inherited by the processes started meanwhile (here
    the Dask nannies and workers), so a Ctrl-C in the terminal stops the
    batch through the parent instead of making every worker print a
    traceback. A Ctrl-C during the few seconds of start-up is ignored.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _open_dask(workers: int | None, scheduler: str | None, n_runs: int) -> _Backend:
    """Connect to a Dask scheduler, or start a ``LocalCluster`` on this machine."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler is None:
        count = max(1, min(workers or default_workers(), n_runs))
        with _children_ignore_ctrl_c():
            cluster = LocalCluster(
                n_workers=count,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
        client = Client(cluster)
    else:
        cluster = None
        try:
            client = Client(scheduler, timeout="15s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(
                f"cannot connect to the Dask scheduler at {scheduler}: {_one_line(exc)}"
            ) from None
        try:
            client.wait_for_workers(1, timeout=60)
        except (OSError, TimeoutError) as exc:
            client.close()
            raise InputError(
                f"the Dask scheduler at {scheduler} has no workers: {_one_line(exc)}"
            ) from None
        count = max(1, sum(client.nthreads().values()))
    return _Backend(
        "dask",
        count,
        client.get_executor(pure=False),
        owned=True,
        max_in_flight=2 * count,
        address=client.scheduler.address if client.scheduler else scheduler,
        client=client,
        cluster=cluster,
    )


# ---------------------------------------------------------------------------
# Results of a batch
# ---------------------------------------------------------------------------


@dataclass
class BatchSummary:
    """What a batch did, with one row of summaries per run.

    Attributes:
        out: the results folder, or None when the batch used a temporary
            folder (``out=None``) that has been removed.
        runs: one row per run: ``scenario``, ``replicate``, ``seed``,
            ``status`` (``done``, ``error`` or ``pending``), ``wall_time``,
            ``error``, and one column per summary metric (its mean over the
            last ``window`` months; NaN for a run that did not finish).
        metrics: the summarised metrics.
        window: months the summaries average over.
        total: runs in the batch.
        done: runs finished in this call.
        skipped: runs already finished before this call (resume).
        failed: runs that raised.
        interrupted: the batch was stopped by Ctrl-C before its end.
        wall_time: seconds this call took.
        executor: the executor and workers used.
        notes: things worth telling the user (damaged files re-run, ...).

    """

    out: Path | None
    runs: pd.DataFrame
    metrics: tuple[str, ...]
    window: int
    total: int
    done: int
    skipped: int
    failed: int
    interrupted: bool
    wall_time: float
    executor: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every run of the batch has finished."""
        return self.done + self.skipped == self.total

    @property
    def failures(self) -> pd.DataFrame:
        """The runs that raised: scenario, replicate, seed and error."""
        rows = self.runs["status"] == "error"
        return self.runs.loc[rows, ["scenario", "replicate", "seed", "error"]]

    def resume_command(self) -> str:
        """Return the command that continues this batch."""
        return f"cadre-sim batch --resume --out {self.out}"


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a batch; finished runs are kept and the manifest is up to date.

    Attributes:
        summary: the :class:`BatchSummary` of what was done before the stop.

    """

    def __init__(self, summary: BatchSummary) -> None:
        self.summary = summary
        where = f"; resume with: {summary.resume_command()}" if summary.out else ""
        super().__init__(
            f"batch interrupted after {summary.done + summary.skipped} of {summary.total} "
            f"runs{where}"
        )


# ---------------------------------------------------------------------------
# Provenance
# ---------------------------------------------------------------------------


def _git_state() -> tuple[str | None, bool | None]:
    """Commit and dirtiness of the source tree the package runs from, if it is a git checkout."""
    root = Path(sim.__file__).resolve().parent.parent

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10
        )

    try:
        top = git("rev-parse", "--show-toplevel")
        if top.returncode != 0 or Path(top.stdout.strip()).resolve() != root:
            return None, None
        head = git("rev-parse", "HEAD")
        commit = head.stdout.strip() if head.returncode == 0 else None
        status = git("status", "--porcelain", "--untracked-files=no")
        dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit, dirty


def provenance() -> dict[str, Any]:
    """Versions of the package, Mesa, numpy, pandas, pyarrow and Python; host; git commit."""
    commit, dirty = _git_state()
    return {
        "cadre_sim": sim.__version__,
        "mesa": _package_version("mesa"),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "pyarrow": pa.__version__,
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "host": socket.gethostname(),
        "git_commit": commit,
        "git_dirty": dirty,
    }


# ---------------------------------------------------------------------------
# The store
# ---------------------------------------------------------------------------


def _write_json(path: Path, data: Any) -> None:
    """Write JSON atomically: a temporary file in the same folder, flushed, renamed."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as sink:
            json.dump(data, sink, indent=1, allow_nan=True)
            sink.write("\n")
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` so that no two batches write to it at once.

    The lock is released when the process ends, however it ends.
    """
    with open(folder / _LOCK_FILE, "a+", encoding="utf-8") as handle:
        if fcntl is not None:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.seek(0)
                holder = handle.read().strip()
                who = f" (pid {holder})" if holder else ""
                raise InputError(
                    f"{folder} is in use by another running batch{who}; "
                    "wait for it to end or choose another --out"
                ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield


def _clean_temporary(folder: Path) -> int:
    """Remove half-written temporary files left by killed workers or parents."""
    removed = 0
    candidates = list(folder.glob(".*.tmp"))
    for sub in (store.RUNS_DIR, store.SCENARIOS_DIR, store.ERRORS_DIR):
        if (folder / sub).is_dir():
            candidates.extend((folder / sub).rglob(".*.tmp"))
    for path in candidates:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            removed += 1
    return removed


def _is_empty(folder: Path) -> bool:
    """Whether ``folder`` holds nothing but a lock file."""
    return all(entry.name == _LOCK_FILE for entry in folder.iterdir())


def _check_folder(folder: Path, resume: bool) -> bool:
    """Whether ``folder`` holds a batch to resume; raise for foreign or occupied folders."""
    if folder.exists() and not folder.is_dir():
        raise InputError(f"--out {folder} exists and is not a folder")
    if not folder.exists():
        return False
    if (folder / store.MANIFEST).exists():
        if not resume:
            raise InputError(
                f"{folder} already holds a batch; continue it with --resume "
                "(resume=True) or choose another --out"
            )
        return True
    if not _is_empty(folder):
        raise InputError(
            f"{folder} is not empty and is not a cadre-sim batch folder (no {store.MANIFEST}); "
            "choose a new or empty --out"
        )
    return False


# ---------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------


def _as_scenario(item: Scenario | str | os.PathLike[str]) -> Scenario:
    """Return a Scenario as is, or load a name or path with :func:`sim.scenario.load`."""
    from sim.scenarios import Scenario, load

    if isinstance(item, Scenario):
        return item
    if isinstance(item, str | os.PathLike):
        return load(item)
    raise InputError(f"not a scenario, name or path: {item!r}")


def _check_names(scenarios: Sequence[Scenario]) -> None:
    """Names must be distinct and safe as folder names."""
    pattern = _SAFE_NAME
    problems = []
    seen: set[str] = set()
    for scenario in scenarios:
        if not pattern.match(scenario.name):
            problems.append(
                f"scenario name {scenario.name!r} cannot name a results folder: use letters, "
                "digits, '_', '.' and '-' (at most 128, starting with a letter or digit)"
            )
        elif scenario.name in seen:
            problems.append(
                f"scenario name {scenario.name!r} is given twice; give each scenario a "
                "distinct name, e.g. with_overrides({...}, name='...')"
            )
        seen.add(scenario.name)
    if problems:
        raise InputError(problems[0], problems=problems)


def _stored_scenarios(folder: Path, manifest: Mapping[str, Any]) -> list[Scenario]:
    """Read the scenarios of a batch as stored in ``OUT/scenarios/``."""
    from sim.scenarios import Scenario

    out = []
    for entry in manifest["scenarios"]:
        path = folder / store.SCENARIOS_DIR / f"{entry['name']}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            scenario = Scenario.from_dict(data["scenario"], origin=str(path))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(
                f"cannot read scenario {entry['name']!r} of the batch from {path}: "
                f"{_one_line(exc)}; resume with the scenarios given again"
            ) from None
        out.append(scenario)
    return out


def _apply_overrides(
    scenarios: list[Scenario], population: int | None, overrides: Mapping[str, Any] | None
) -> list[Scenario]:
    """Apply ``population`` and ``overrides`` to every scenario (names kept)."""
    changes: dict[str, Any] = dict(overrides or {})
    if population is not None:
        changes["workforce.population"] = population
    if not changes:
        return scenarios
    return [s.with_overrides(changes, name=s.name, origin="batch overrides") for s in scenarios]


def _check_resume(
    folder: Path,
    manifest: Mapping[str, Any],
    scenarios: Sequence[Scenario],
    steps: int | None,
    root_seed: int | None,
    replicates: int | None,
) -> None:
    """Raise ``InputError`` if a resume asks for another batch than the folder holds."""
    where = folder / store.MANIFEST
    problems = []
    if manifest.get("seeding") != SEEDING:
        problems.append(f"{where} was seeded another way ({manifest.get('seeding')!r})")
    if steps is not None and steps != manifest["steps"]:
        problems.append(
            f"--steps {steps} differs from the batch's {manifest['steps']} steps in {where}"
        )
    if root_seed is not None and root_seed != manifest["root_seed"]:
        problems.append(
            f"--seed {root_seed} differs from the batch's root seed {manifest['root_seed']} "
            f"in {where}"
        )
    if replicates is not None and replicates < manifest["replicates"]:
        problems.append(
            f"--replicates {replicates} is fewer than the batch's {manifest['replicates']} "
            f"in {where} (more extend the batch)"
        )
    recorded = {s["name"]: s["digest"] for s in manifest["scenarios"]}
    given = {s.name: s.digest() for s in scenarios}
    for name, digest in given.items():
        if name not in recorded:
            problems.append(f"scenario {name!r} is not in the batch in {where}")
        elif digest != recorded[name]:
            problems.append(
                f"scenario {name!r} differs from the one in the batch in {where} "
                f"(digest {digest[:12]} vs {recorded[name][:12]}: other parameters or --set)"
            )
    problems.extend(
        f"the batch in {where} also has scenario {name!r}, which was not given"
        for name in recorded
        if name not in given
    )
    if problems:
        problems = [f"cannot resume: {p}" for p in problems]
        raise InputError(problems[0], problems=problems)


# ---------------------------------------------------------------------------
# Running a batch
# ---------------------------------------------------------------------------


def _verified_run(
    file: Path, record: Mapping[str, Any], digest: str, steps: int
) -> tuple[dict[str, Any], pa.Table] | None:
    """Return the metadata and table of a finished run file, or None if it is not trusted.

    The whole file is read (with page checksums) so that damage anywhere is
    found, and its record must match the run: scenario, digest, replicate,
    seed and steps.
    """
    try:
        meta = store.read_run_meta(file)
        expected = {
            "scenario": record["scenario"],
            "digest": digest,
            "replicate": record["replicate"],
            "seed": record["seed"],
            "steps": steps,
        }
        if any(meta.get(key) != value for key, value in expected.items()):
            return None
        table = pq.read_table(file, page_checksum_verification=True)
        if table.num_rows != steps + 1:
            return None
        return meta, table
    except (OSError, ValueError, KeyError, TypeError, pa.ArrowException):
        return None


class _BatchRun:
    """The state of one call of :func:`run_batch` on an open, locked store."""

    def __init__(
        self,
        folder: Path,
        manifest: dict[str, Any],
        scenarios: Sequence[Scenario],
        metrics: tuple[str, ...],
        window: int,
    ) -> None:
        self.folder = folder
        self.manifest = manifest
        self.scenarios = {s.name: s for s in scenarios}
        self.digests = {s.name: s.digest() for s in scenarios}
        self.plain = {s.name: s.to_dict() for s in scenarios}
        self.metrics = metrics
        self.window = window
        self.records: dict[tuple[str, int], dict[str, Any]] = {
            (r["scenario"], r["replicate"]): r for r in manifest["runs"]
        }
        self.summaries: dict[tuple[str, int], dict[str, float]] = {}
        self.done = 0
        self.skipped = 0
        self.failed = 0
        self.notes: list[str] = []
        self._last_write = 0.0

    # -- manifest ---------------------------------------------------------
    def write_manifest(self, force: bool = True) -> None:
        """Rewrite the manifest now (``force``) or if the last write is old enough."""
        now = time.monotonic()
        if not force and now - self._last_write < MANIFEST_INTERVAL:
            return
        self.manifest["updated"] = _now()
        _write_json(self.folder / store.MANIFEST, self.manifest)
        self._last_write = now

    # -- planning ---------------------------------------------------------
    def plan(self, replicates: int, steps: int, root_seed: int) -> list[RunTask]:
        """Record every run of the batch and return the tasks still to do.

        A run whose file is present, readable and matches is kept (skipped);
        a damaged or mismatched file is removed and its run redone.
        """
        runs: list[dict[str, Any]] = []
        todo: list[RunTask] = []
        for name in self.scenarios:
            for k in range(replicates):
                record = self.records.get((name, k)) or {"scenario": name, "replicate": k}
                record["seed"] = replicate_seed(root_seed, k)
                record["file"] = str(store.run_file(".", name, k))
                self.records[(name, k)] = record
                runs.append(record)
                file = store.run_file(self.folder, name, k)
                if file.exists():
                    checked = _verified_run(file, record, self.digests[name], steps)
                    if checked is not None:
                        meta, table = checked
                        self._mark_present(record, meta, table)
                        continue
                    file.unlink()
                    self.notes.append(f"re-running {file}: unreadable or not of this batch")
                record.update(status="pending", wall_time=None, error=None)
                todo.append(self.task(name, k, record["seed"], steps))
        self.manifest["runs"] = runs
        return todo

    def _mark_present(
        self, record: dict[str, Any], meta: Mapping[str, Any], table: pa.Table
    ) -> None:
        """Record a run found finished on disk."""
        record.update(
            status="done",
            wall_time=meta.get("wall_time"),
            started=meta.get("started"),
            finished=meta.get("finished"),
            error=None,
        )
        self.skipped += 1
        if self.metrics:
            present = [m for m in ("month", *self.metrics) if m in table.column_names]
            frame = table.select(present).to_pandas()
            self.summaries[(record["scenario"], record["replicate"])] = store.window_means(
                frame, self.metrics, self.window
            )

    def task(self, name: str, replicate: int, seed: int, steps: int, attempt: int = 1) -> RunTask:
        """Return the task of one run."""
        return RunTask(
            out=str(self.folder),
            scenario=self.plain[name],
            scenario_name=name,
            digest=self.digests[name],
            replicate=replicate,
            seed=seed,
            steps=steps,
            metrics=self.metrics,
            window=self.window,
            attempt=attempt,
        )

    # -- outcomes ---------------------------------------------------------
    def record(self, outcome: Mapping[str, Any]) -> None:
        """Store a run's outcome in the manifest (and its traceback in ``errors/``)."""
        key = (outcome["scenario"], outcome["replicate"])
        record = self.records[key]
        record.update(
            status=outcome["status"],
            wall_time=outcome.get("wall_time"),
            started=outcome.get("started"),
            finished=outcome.get("finished"),
            host=outcome.get("host"),
            attempts=outcome.get("attempt", 1),
            error=outcome.get("error"),
        )
        error_file = self.folder / store.ERRORS_DIR / key[0] / f"rep-{key[1]:04d}.txt"
        if outcome["status"] == "done":
            self.done += 1
            if self.metrics:
                self.summaries[key] = dict(outcome.get("summary") or {})
            record.pop("traceback_file", None)
            with contextlib.suppress(FileNotFoundError):
                error_file.unlink()
        else:
            self.failed += 1
            error_file.parent.mkdir(parents=True, exist_ok=True)
            text = outcome.get("traceback") or outcome.get("error") or "unknown error"
            error_file.write_text(
                f"{key[0]} replicate {key[1]} seed {record['seed']}\n{text}\n", encoding="utf-8"
            )
            record["traceback_file"] = str(error_file.relative_to(self.folder))
        self.write_manifest(force=False)

    def failure(self, task: RunTask, message: str, exc: BaseException | None) -> dict[str, Any]:
        """Return the outcome of a run that failed outside the model (executor, pickling)."""
        detail = "".join(traceback.format_exception(exc)) if exc is not None else message
        return {
            "scenario": task.scenario_name,
            "replicate": task.replicate,
            "seed": task.seed,
            "attempt": task.attempt,
            "status": "error",
            "finished": _now(),
            "error": message,
            "traceback": detail,
        }

    def frame(self) -> pd.DataFrame:
        """One row per run with status and summaries, in batch order."""
        rows = []
        for record in self.manifest["runs"]:
            key = (record["scenario"], record["replicate"])
            summary = self.summaries.get(key, {})
            rows.append(
                {
                    "scenario": record["scenario"],
                    "replicate": record["replicate"],
                    "seed": record["seed"],
                    "status": record.get("status", "pending"),
                    "wall_time": record.get("wall_time"),
                    "error": record.get("error"),
                    **{m: summary.get(m, math.nan) for m in self.metrics},
                }
            )
        columns = ["scenario", "replicate", "seed", "status", "wall_time", "error", *self.metrics]
        frame = pd.DataFrame.from_records(rows, columns=columns)
        frame["scenario"] = pd.Categorical(
            frame["scenario"], categories=list(self.scenarios), ordered=True
        )
        frame["wall_time"] = frame["wall_time"].astype("float64")
        return frame


def _execute(batch: _BatchRun, backend: _Backend, tasks: deque[RunTask], bar: tqdm[Any]) -> bool:
    """Run ``tasks`` on ``backend``; return True if Ctrl-C stopped it."""
    in_flight: dict[cf.Future[Any], RunTask] = {}

    def finish(outcome: Mapping[str, Any]) -> None:
        batch.record(outcome)
        bar.update(1)
        if batch.failed:
            bar.set_postfix(failed=batch.failed, refresh=False)

    def broken(casualties: list[RunTask], exc: BaseException) -> None:
        """Retry a dead worker's runs on a fresh pool, or record them as failed."""
        casualties = casualties + list(in_flight.values())
        in_flight.clear()
        if backend.restart():
            for task in reversed(casualties):
                if task.attempt < MAX_ATTEMPTS:
                    tasks.appendleft(
                        batch.task(
                            task.scenario_name,
                            task.replicate,
                            task.seed,
                            task.steps,
                            task.attempt + 1,
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
        message = f"executor broke: {_one_line(exc)}"
        for task in [*casualties, *tasks]:
            finish(batch.failure(task, message, exc))
        tasks.clear()

    try:
        while tasks or in_flight:
            while tasks and len(in_flight) < backend.max_in_flight:
                task = tasks.popleft()
                try:
                    future = backend.executor.submit(execute_run, task)
                except cf.BrokenExecutor as exc:
                    broken([task], exc)
                    continue
                in_flight[future] = task
            if not in_flight:
                continue
            finished, _ = cf.wait(list(in_flight), return_when=cf.FIRST_COMPLETED)
            casualties: list[RunTask] = []
            failure: BaseException | None = None
            for future in finished:
                task = in_flight.pop(future)
                if future.cancelled():
                    finish(batch.failure(task, "cancelled by the executor", None))
                    continue
                exc = future.exception()
                if isinstance(exc, cf.BrokenExecutor):
                    casualties.append(task)
                    failure = exc
                elif exc is not None:
                    finish(batch.failure(task, _one_line(exc), exc))
                else:
                    finish(future.result())
            if failure is not None:
                broken(casualties, failure)
    except KeyboardInterrupt:
        for future in in_flight:
            future.cancel()
        backend.abort()
        return True
    return False


def _validate_counts(replicates: int, steps: int, root_seed: int, window: int) -> None:
    """Raise ``InputError`` for out-of-range counts."""
    problems = []
    for label, value, low in (
        ("replicates", replicates, 1),
        ("steps", steps, 1),
        ("seed", root_seed, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            problems.append(f"{label} must be a whole number >= {low}, got {value!r}")
    if not problems and not 1 <= window <= steps:
        problems.append(f"summary window {window} is outside 1..{steps} (the run length)")
    if problems:
        raise InputError(problems[0], problems=problems)


def _validate_metrics(metrics: Sequence[str]) -> tuple[str, ...]:
    """Summary metrics must be model outputs (or timeline parameters)."""
    from sim.model import OUTPUTS
    from sim.parameters import registry as params

    wanted = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    problems = []
    for metric in wanted:
        if not store.is_known_output(metric):
            hint = params.suggest(metric, OUTPUTS)
            extra = f" (did you mean {hint!r}?)" if hint else ""
            problems.append(f"unknown summary metric {metric!r}{extra}; see sim.model.OUTPUTS")
    if problems:
        raise InputError(problems[0], problems=problems)
    return tuple(dict.fromkeys(wanted))


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

    Returns:
        A :class:`BatchSummary`; ``summary.runs`` has one row per run.

    Raises:
        InputError: bad arguments, a foreign, corrupt or busy results folder,
            or a resume that does not match the folder's batch.
        BatchInterrupted: Ctrl-C; finished runs are kept and the manifest
            says what is left (``summary`` attribute).

    """
    clock = time.perf_counter()
    _check_executor_options(executor, workers, scheduler)
    metrics = _validate_metrics(summary_metrics)
    temporary = out is None
    if temporary and resume:
        raise InputError("resume needs the results folder (out) of the batch to continue")
    folder = Path(tempfile.mkdtemp(prefix="cadre-sim-batch-")) if temporary else Path(out)
    folder = folder.expanduser().resolve()
    try:
        if not temporary:
            _check_folder(folder, resume)
        folder.mkdir(parents=True, exist_ok=True)
        with _locked(folder):
            resuming = _check_folder(folder, resume)
            existing = store.read_manifest(folder) if resuming else None
            given = None if scenarios is None else [_as_scenario(s) for s in scenarios]
            if given is None:
                if existing is None:
                    raise InputError("no scenarios given (and no batch to resume)")
                given = _stored_scenarios(folder, existing)
            elif existing is not None:
                order = {entry["name"]: i for i, entry in enumerate(existing["scenarios"])}
                given.sort(key=lambda s: order.get(s.name, len(order)))
            if not given:
                raise InputError("no scenarios given")
            chosen = _apply_overrides(given, population, overrides)
            _check_names(chosen)
            if existing is not None:
                _check_resume(folder, existing, chosen, steps, root_seed, replicates)
                replicates = replicates if replicates is not None else existing["replicates"]
                steps, root_seed = existing["steps"], existing["root_seed"]
            elif replicates is None:
                raise InputError("--replicates is required for a new batch")
            steps = DEFAULT_STEPS if steps is None else steps
            root_seed = DEFAULT_ROOT_SEED if root_seed is None else root_seed
            window = min(DEFAULT_WINDOW, steps) if summary_window is None else summary_window
            _validate_counts(replicates, steps, root_seed, window)
            return _run_locked(
                folder=folder,
                existing=existing,
                scenarios=chosen,
                replicates=int(replicates),
                steps=int(steps),
                root_seed=int(root_seed),
                executor=executor,
                workers=workers,
                scheduler=scheduler,
                metrics=metrics,
                window=int(window),
                progress=progress,
                command=command,
                temporary=temporary,
                clock=clock,
            )
    finally:
        if temporary:
            shutil.rmtree(folder, ignore_errors=True)


def _terminal_width() -> int:
    """Return the width of the terminal on stderr, 0 if unknown (a pty without a size)."""
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError, AttributeError):
        return 0


def _new_manifest(replicates: int, steps: int, root_seed: int) -> dict[str, Any]:
    """Return the manifest of a new batch."""
    return {
        "kind": store.KIND,
        "format": store.FORMAT,
        "created": _now(),
        "updated": _now(),
        "status": "running",
        "provenance": provenance(),
        "steps": steps,
        "replicates": replicates,
        "root_seed": root_seed,
        "seeding": SEEDING,
        "scenarios": [],
        "sessions": [],
        "runs": [],
    }


def _run_locked(
    *,
    folder: Path,
    existing: dict[str, Any] | None,
    scenarios: Sequence[Scenario],
    replicates: int,
    steps: int,
    root_seed: int,
    executor: str | cf.Executor,
    workers: int | None,
    scheduler: str | None,
    metrics: tuple[str, ...],
    window: int,
    progress: bool | None,
    command: Sequence[str] | None,
    temporary: bool,
    clock: float,
) -> BatchSummary:
    """Run the batch once the folder is checked and locked (body of :func:`run_batch`).

    Runs are planned (finished files verified) and the executor started
    before anything is written, so a failure to start (e.g. no Dask
    scheduler) leaves a new folder empty.
    """
    from tqdm import tqdm

    removed = _clean_temporary(folder)
    manifest = existing if existing is not None else _new_manifest(replicates, steps, root_seed)
    manifest["replicates"] = replicates
    manifest["scenarios"] = [
        {
            "name": s.name,
            "digest": s.digest(),
            "file": f"{store.SCENARIOS_DIR}/{s.name}.json",
            "description": s.description,
            "source_file": str(s.path) if s.path else None,
        }
        for s in scenarios
    ]
    batch = _BatchRun(folder, manifest, scenarios, metrics, window)
    if removed:
        batch.notes.append(f"removed {removed} half-written temporary file(s)")
    tasks = deque(batch.plan(replicates, steps, root_seed))
    total = len(manifest["runs"])
    backend: _Backend | None = None
    interrupted = False
    session: dict[str, Any] = {
        "started": _now(),
        "finished": None,
        "resumed": existing is not None,
        "command": list(command) if command is not None else None,
        "provenance": provenance() if existing is not None else manifest["provenance"],
        "runs_to_do": len(tasks),
        "runs_already_done": batch.skipped,
        "status": "running",
    }
    enabled = sys.stderr.isatty() if progress is None else progress
    sized = _terminal_width() > 0  # a pty without a size would hide the bar
    try:
        if tasks:
            backend = _open_backend(executor, workers, scheduler, len(tasks))
            session.update(backend.describe())
        manifest["status"] = "running"
        manifest["sessions"].append(session)
        batch.write_manifest()
        (folder / store.SCENARIOS_DIR).mkdir(exist_ok=True)
        for scenario in scenarios:
            (folder / store.RUNS_DIR / scenario.name).mkdir(parents=True, exist_ok=True)
            path = folder / store.SCENARIOS_DIR / f"{scenario.name}.json"
            if not path.exists():
                plain = {"name": scenario.name, "digest": scenario.digest()}
                _write_json(path, {**plain, "scenario": scenario.to_dict()})
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
                interrupted = _execute(batch, backend, tasks, bar)
    except KeyboardInterrupt:  # while starting the executor or writing the store
        interrupted = True
        if backend is not None:
            backend.abort()
    finally:
        if backend is not None and not interrupted:
            backend.close()
        if session in manifest["sessions"]:
            status = "interrupted" if interrupted else "complete"
            if not interrupted and batch.done + batch.skipped < total:
                status = "incomplete"
            session.update(
                finished=_now(), status=status, runs_done=batch.done, runs_failed=batch.failed
            )
            manifest["status"] = status
            manifest["finished"] = session["finished"] if status == "complete" else None
            batch.write_manifest()
    summary = BatchSummary(
        out=None if temporary else folder,
        runs=batch.frame(),
        metrics=metrics,
        window=window,
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
