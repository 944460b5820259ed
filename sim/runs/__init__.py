"""Runs: executing the model, seeding, executors, provenance and the results store.

:mod:`~sim.runs.seeding` (seeds), :mod:`~sim.runs.execute` (one model run;
a batch worker's run), :mod:`~sim.runs.executors` (serial, processes, Dask),
:mod:`~sim.runs.provenance` (versions, git state, command, times),
:mod:`~sim.runs.store` (the only code that reads and writes results),
:mod:`~sim.runs.checks`, :mod:`~sim.runs.planning`, :mod:`~sim.runs.ledger`
and :mod:`~sim.runs.batch` (batches and resume), :mod:`~sim.runs.summary` (what a batch did) and
:mod:`~sim.runs.single` (one run into a run folder). Entry points for users:
:mod:`sim.batch` and :mod:`sim.results`.
"""
