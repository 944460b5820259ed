"""Stable entry point for reading results: ``sim.results.load`` (see :mod:`sim.runs.store`)."""

from sim.runs.store import *  # noqa: F403
from sim.runs.store import __all__  # noqa: F401
