"""Stable entry point for batch runs: ``sim.batch.run_batch`` (see :mod:`sim.runs.batch`)."""

from sim.runs.batch import *  # noqa: F403
from sim.runs.batch import __all__  # noqa: F401
