"""Stable entry point for runs: ``sim.batch.run_batch`` (see :mod:`sim.runs.batch`).

Everything :mod:`sim.runs.batch` exports (``run_batch``, ``BatchSummary``,
``BatchInterrupted``, ``replicate_seed``, the defaults, the executors), plus
a single run (``run_single``, ``simulate``) and the batch provenance record.
"""

from sim.runs.batch import *  # noqa: F403
from sim.runs.batch import __all__ as _BATCH
from sim.runs.execute import simulate
from sim.runs.provenance import environment as provenance
from sim.runs.single import SingleRun, run_single

__all__ = [*_BATCH, "SingleRun", "provenance", "run_single", "simulate"]
