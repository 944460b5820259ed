"""Stable entry point for batch runs: ``sim.batch.run_batch`` (see :mod:`sim.runs.batch`)."""

from sim.runs.batch import (
    DEFAULT_ROOT_SEED,
    DEFAULT_STEPS,
    DEFAULT_SUMMARY_METRICS,
    DEFAULT_WINDOW,
    MAX_ATTEMPTS,
    run_batch,
)
from sim.runs.execute import RunTask, execute_run, simulate
from sim.runs.executors import EXECUTORS, SerialExecutor, default_workers
from sim.runs.ledger import MANIFEST_INTERVAL
from sim.runs.provenance import environment as provenance
from sim.runs.seeding import SEEDING, replicate_seed
from sim.runs.single import SingleRun, run_single
from sim.runs.summary import BatchInterrupted, BatchSummary

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
    "SingleRun",
    "default_workers",
    "execute_run",
    "provenance",
    "replicate_seed",
    "run_batch",
    "run_single",
    "simulate",
]
