"""The results store: the only code that reads and writes a batch's results.

A batch (:func:`sim.batch.run_batch`, ``cadre-sim batch``) writes one folder::

    OUT/
      manifest.json           the truth: batch id, provenance, columns, scenarios,
                              sessions, and one record per run (identity, status,
                              rows, place in the data files, content digest)
      scenarios.jsonl         every resolved scenario, one JSON line each
      status.log              append-only log: sessions, runs done or failed, seals
      data/part-<w>-<n>.parquet
                              data files: many runs each, one schema per batch
      data/.journal-<w>-<n>.arrows
                              the open journal (hidden; sealed into a data file)
      errors/<scenario>/rep-0003.txt
                              traceback of a run that raised
      comparison.csv, comparison.md, figures/
                              written by ``cadre-sim compare``

A single run (``cadre-sim run``) writes a run folder with
``timeseries.parquet``, ``scenario.toml`` and ``metadata.json``
(:mod:`sim.runs.store.run_folder`).

Writing: :class:`RunWriter` (one finished run at a time, as a frame with
its record or an :class:`EncodedRun`; journal, seal, commit) in
:mod:`~sim.runs.store.writer`, data files in
:mod:`~sim.runs.store.parts`, the batch's columns and content digests in
:mod:`~sim.runs.store.columns`, the manifest and the records beside it in
:mod:`~sim.runs.store.manifest`. Reading: :func:`load` for the tidy time
series, :func:`summaries` for one row per run (:mod:`~sim.runs.store.reading`),
both through :func:`read_runs` (:mod:`~sim.runs.store.catalog`), which reads
only what the manifest lists and checks it; :func:`read_manifest` and
:func:`run_table` for provenance and status; :func:`check` and
:func:`repair` (:mod:`~sim.runs.store.checking`); :func:`upgrade` for folders
of store format 1 (:mod:`~sim.runs.store.legacy`); :func:`read_run_folder`
for a single run. Names, folder states and the lock are in
:mod:`~sim.runs.store.layout`.
"""

from sim.runs.store.catalog import IDENTITY, done_by_file, read_runs, stray_files, warn_strays
from sim.runs.store.checking import CheckReport, check, repair
from sim.runs.store.columns import (
    ARROW_TYPES,
    as_batch_table,
    batch_columns,
    batch_schema,
    content_digest,
    content_digests,
)
from sim.runs.store.layout import (
    DATA_DIR,
    DATA_KIND,
    ERRORS_DIR,
    FIGURES_DIR,
    FORMAT,
    ID_COLUMNS,
    JOURNAL_KIND,
    KIND,
    LOCK_FILE,
    MANIFEST,
    RUN_KIND,
    RUN_META_KEY,
    RUNS_DIR,
    SCENARIOS_DIR,
    SCENARIOS_FILE,
    STATUS_LOG,
    FolderState,
    clean_temporary,
    data_files,
    error_file,
    folder_state,
    journal_files,
    lock_held,
    locked,
)
from sim.runs.store.legacy import (
    read_legacy_manifest,
    read_legacy_scenarios,
    read_run_meta,
    read_verified_run,
    run_file,
    run_files,
    summarise_file,
    upgrade,
    write_run,
)
from sim.runs.store.manifest import (
    LEGACY_FORMAT,
    log_event,
    new_manifest,
    read_log,
    read_manifest,
    read_manifest_data,
    read_scenarios,
    remove_error,
    run_table,
    scenario_entry,
    scenario_names,
    write_error,
    write_manifest,
    write_scenarios,
)
from sim.runs.store.parts import (
    GROUP_ROWS,
    DamagedFileError,
    EncodedRun,
    encode_run,
    journal_header,
    journal_runs,
    open_part,
    seal_journal,
)
from sim.runs.store.reading import (
    check_metrics,
    is_known_output,
    load,
    run_means,
    summaries,
    table_window_means,
    window_means,
)
from sim.runs.store.run_folder import (
    METADATA_FILE,
    RUN_FILES,
    SCENARIO_FILE,
    TIMESERIES_FILE,
    RunFolder,
    check_run_folder,
    clean_run_debris,
    read_run_folder,
    write_run_folder,
)
from sim.runs.store.writer import PART_BYTES, SEAL_SECONDS, RunWriter, recover_journals

__all__ = [
    "ARROW_TYPES",
    "DATA_DIR",
    "DATA_KIND",
    "ERRORS_DIR",
    "FIGURES_DIR",
    "FORMAT",
    "GROUP_ROWS",
    "IDENTITY",
    "ID_COLUMNS",
    "JOURNAL_KIND",
    "KIND",
    "LEGACY_FORMAT",
    "LOCK_FILE",
    "MANIFEST",
    "METADATA_FILE",
    "PART_BYTES",
    "RUNS_DIR",
    "RUN_FILES",
    "RUN_KIND",
    "RUN_META_KEY",
    "SCENARIOS_DIR",
    "SCENARIOS_FILE",
    "SCENARIO_FILE",
    "SEAL_SECONDS",
    "STATUS_LOG",
    "TIMESERIES_FILE",
    "CheckReport",
    "DamagedFileError",
    "EncodedRun",
    "FolderState",
    "RunFolder",
    "RunWriter",
    "as_batch_table",
    "batch_columns",
    "batch_schema",
    "check",
    "check_metrics",
    "check_run_folder",
    "clean_run_debris",
    "clean_temporary",
    "content_digest",
    "content_digests",
    "data_files",
    "done_by_file",
    "encode_run",
    "error_file",
    "folder_state",
    "is_known_output",
    "journal_files",
    "journal_header",
    "journal_runs",
    "load",
    "lock_held",
    "locked",
    "log_event",
    "new_manifest",
    "open_part",
    "read_legacy_manifest",
    "read_legacy_scenarios",
    "read_log",
    "read_manifest",
    "read_manifest_data",
    "read_run_folder",
    "read_run_meta",
    "read_runs",
    "read_scenarios",
    "read_verified_run",
    "recover_journals",
    "remove_error",
    "repair",
    "run_file",
    "run_files",
    "run_means",
    "run_table",
    "scenario_entry",
    "scenario_names",
    "seal_journal",
    "stray_files",
    "summaries",
    "summarise_file",
    "table_window_means",
    "upgrade",
    "warn_strays",
    "window_means",
    "write_error",
    "write_manifest",
    "write_run",
    "write_run_folder",
    "write_scenarios",
]
