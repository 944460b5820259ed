"""Imported by the fork server only: load the model's compiled kernels before workers fork.

numba loads a cached kernel into a process on its first call (about 0.4 s
for all of the model's kernels, see :mod:`sim.model.compiled`). The process
executor's fork server imports this module once
(:data:`sim.runs.executors.WORKER_MODULES`), so every worker forked from it
starts with the kernels in memory instead of loading them again for its first
run: a batch on ``N`` workers saves that time in each of them, and a search
or calibration that runs batch after batch saves it in every batch. Nothing
else imports it; a failure here is ignored (the runs themselves then load
the kernels, and report any error of their own).
"""

from __future__ import annotations

__all__ = ["warm_kernels"]


def warm_kernels() -> None:
    """Call every kernel a run calls once: a tiny run through an annual evaluation.

    A stack of runs with the same parameters calls the same compiled
    versions (``tests/test_compiled.py``); one whose runs differ in a
    parameter may load a few more on first use.
    """
    from sim.model import CadreModel

    CadreModel(rng=0, workforce_population=60, simulation_warmup_months=12).run(1)


try:
    warm_kernels()
except Exception:  # pragma: no cover - never stop the fork server
    pass
