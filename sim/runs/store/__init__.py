"""The results store: the only code that reads and writes run files and manifests.

A batch (:func:`sim.batch.run_batch`, ``cadre-sim batch``) writes one folder::

    OUT/
      manifest.json                 provenance, seeds, every run's status (JSON)
      scenarios/<scenario>.json     each resolved scenario, as run
      runs/<scenario>/rep-0003.parquet
                                    one finished run: its monthly time series
      errors/<scenario>/rep-0003.txt
                                    traceback of a run that raised
      comparison.csv, comparison.md, figures/
                                    written by ``cadre-sim compare``

A single run (``cadre-sim run``) writes a run folder with
``timeseries.parquet``, ``scenario.toml`` and ``metadata.json``
(:mod:`sim.runs.store.run_folder`).

Each run file is an ordinary Parquet file, readable by any Parquet tool. Its
columns are ``scenario``, ``replicate``, ``seed``, ``month`` and then every
model output (:data:`sim.model.OUTPUTS` plus the by-level shares) and the
in-force value of every parameter the scenario's timeline changes (named by
dotted name). Its schema metadata key ``cadre_sim`` holds a JSON record of
the run (scenario digest, replicate, seed, steps, times), so a run file
describes itself even if the manifest is lost or stale.

A run file exists only once its run has finished: it is written to a hidden
temporary name and renamed into place (:func:`sim.fileio.atomic_write`), so
a file under its final name is always complete. Reading: :func:`load` for
the tidy time series, :func:`summaries` for one row per run,
:func:`read_manifest` and :func:`run_table` for provenance and status,
:func:`read_run_folder` for a single run.

Modules: :mod:`~sim.runs.store.layout` (names, folder checks, lock),
:mod:`~sim.runs.store.runfile` (run files), :mod:`~sim.runs.store.manifest`
(manifest, scenario and error records), :mod:`~sim.runs.store.reading`
(loading for analysis), :mod:`~sim.runs.store.run_folder` (single runs).
"""

from sim.runs.store.layout import (
    ERRORS_DIR,
    FIGURES_DIR,
    FORMAT,
    ID_COLUMNS,
    KIND,
    LOCK_FILE,
    MANIFEST,
    RUN_KIND,
    RUN_META_KEY,
    RUNS_DIR,
    SCENARIOS_DIR,
    check_batch_folder,
    clean_temporary,
    error_file,
    locked,
    run_file,
    run_files,
    scenario_file,
)
from sim.runs.store.manifest import (
    new_manifest,
    read_manifest,
    read_scenarios,
    remove_error,
    run_table,
    scenario_entry,
    scenario_names,
    write_error,
    write_manifest,
    write_scenarios,
)
from sim.runs.store.reading import check_metrics, is_known_output, load, summaries
from sim.runs.store.run_folder import (
    METADATA_FILE,
    RUN_FILES,
    SCENARIO_FILE,
    TIMESERIES_FILE,
    RunFolder,
    check_run_folder,
    read_run_folder,
    write_run_folder,
)
from sim.runs.store.runfile import (
    read_run_meta,
    read_verified_run,
    summarise_file,
    table_window_means,
    window_means,
    write_run,
)

__all__ = [
    "ERRORS_DIR",
    "FIGURES_DIR",
    "FORMAT",
    "ID_COLUMNS",
    "KIND",
    "LOCK_FILE",
    "MANIFEST",
    "METADATA_FILE",
    "RUNS_DIR",
    "RUN_FILES",
    "RUN_KIND",
    "RUN_META_KEY",
    "SCENARIOS_DIR",
    "SCENARIO_FILE",
    "TIMESERIES_FILE",
    "RunFolder",
    "check_batch_folder",
    "check_metrics",
    "check_run_folder",
    "clean_temporary",
    "error_file",
    "is_known_output",
    "load",
    "locked",
    "new_manifest",
    "read_manifest",
    "read_run_folder",
    "read_run_meta",
    "read_scenarios",
    "read_verified_run",
    "remove_error",
    "run_file",
    "run_files",
    "run_table",
    "scenario_entry",
    "scenario_file",
    "scenario_names",
    "summarise_file",
    "summaries",
    "table_window_means",
    "window_means",
    "write_error",
    "write_manifest",
    "write_run",
    "write_run_folder",
    "write_scenarios",
]
