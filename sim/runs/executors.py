"""Where the runs of a batch execute: serial, local processes, Dask, or your executor.

``"serial"`` (in this process), ``"process"`` (a pool of local processes, one
per core; the default), ``"dask"`` (a Dask ``LocalCluster`` on this machine,
or a running cluster given by its scheduler address), or any
:class:`concurrent.futures.Executor` passed in. :func:`open_backend` wraps
the choice in a :class:`Backend` that the batch submits runs to and knows how
to restart (a process pool whose worker died), stop at once (Ctrl-C) and
close.

Pool workers leave Ctrl-C to the parent, which stops them itself, and end
on their own when the batch's parent process dies (killed), so no orphan
keeps computing.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from sim.errors import InputError, one_line

__all__ = [
    "EXECUTORS",
    "WORKER_MODULES",
    "Backend",
    "SerialExecutor",
    "check_executor_options",
    "default_workers",
    "init_process_worker",
    "open_backend",
]

#: Built-in executors by name.
EXECUTORS: tuple[str, ...] = ("process", "serial", "dask")
#: Modules the fork server imports once, so that forked workers start warm
#: (:mod:`sim.runs.warm` also loads the compiled kernels).
WORKER_MODULES: tuple[str, ...] = (
    "sim.runs.execute",
    "sim.model",
    "sim.scenarios",
    "sim.runs.warm",
)


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


def init_process_worker(parent_pid: int) -> None:
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


def default_workers() -> int:
    """Return the number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


class Backend:
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
        context.set_forkserver_preload([*WORKER_MODULES])
    else:  # pragma: no cover - Windows
        context = multiprocessing.get_context("spawn")
    return cf.ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=init_process_worker,
        initargs=(os.getpid(),),
    )


def check_executor_options(
    executor: str | cf.Executor, workers: int | None, scheduler: str | None
) -> None:
    """Reject inconsistent executor options before anything is written."""
    if workers is not None and (isinstance(workers, bool) or int(workers) < 1):
        raise InputError(
            f"workers must be a whole number >= 1, got {workers!r}", arguments=("workers",)
        )
    if isinstance(executor, cf.Executor):
        if scheduler is not None:
            raise InputError(
                "a scheduler address applies to executor 'dask' only", arguments=("scheduler",)
            )
        return
    if executor not in EXECUTORS:
        raise InputError(
            f"unknown executor {executor!r}; choose one of {', '.join(EXECUTORS)}",
            arguments=("executor",),
        )
    if scheduler is not None and executor != "dask":
        raise InputError(
            f"a scheduler address applies to executor 'dask', not {executor!r}",
            arguments=("scheduler", "executor"),
        )
    if executor == "serial" and workers not in (None, 1):
        raise InputError(
            "the serial executor runs one run at a time: omit workers", arguments=("workers",)
        )
    if scheduler is not None and workers is not None:
        raise InputError(
            "workers does not apply with a scheduler address: the cluster's workers run the batch",
            arguments=("workers",),
        )


def open_backend(
    executor: str | cf.Executor, workers: int | None, scheduler: str | None, n_runs: int
) -> Backend:
    """Start (or wrap) the executor for a batch of ``n_runs`` runs."""
    if isinstance(executor, cf.Executor):
        count = workers or getattr(executor, "_max_workers", None) or default_workers()
        return Backend("custom", int(count), executor, owned=False, max_in_flight=2 * count)
    if executor == "serial":
        return Backend("serial", 1, SerialExecutor(), owned=True, max_in_flight=1)
    if executor == "process":
        count = max(1, min(workers or default_workers(), n_runs))
        return Backend("process", count, _process_pool(count), owned=True, max_in_flight=2 * count)
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


def _open_dask(workers: int | None, scheduler: str | None, n_runs: int) -> Backend:
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
                f"cannot connect to the Dask scheduler at {scheduler}: {one_line(exc)}",
                arguments=("scheduler",),
            ) from None
        try:
            client.wait_for_workers(1, timeout=60)
        except (OSError, TimeoutError) as exc:
            client.close()
            raise InputError(
                f"the Dask scheduler at {scheduler} has no workers: {one_line(exc)}",
                arguments=("scheduler",),
            ) from None
        count = max(1, sum(client.nthreads().values()))
    return Backend(
        "dask",
        count,
        client.get_executor(pure=False),
        owned=True,
        max_in_flight=2 * count,
        address=client.scheduler.address if client.scheduler else scheduler,
        client=client,
        cluster=cluster,
    )
