"""The ``batch`` and ``compare`` subcommands of ``cadre-sim`` (``check``: :mod:`sim.cli.check`).

``batch`` runs scenarios x replicates with paired seeds on any executor into
a crash-safe results folder (:func:`sim.runs.batch.run_batch`); ``compare``
reports means, confidence intervals and paired differences from a baseline
(:mod:`sim.analysis.compare`).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from sim.cli.common import (
    add_execution_options,
    batch_resume_command,
    command_line,
    default_out,
    executor_name,
    non_negative_int,
    positive_int,
    print_failures,
    print_interrupted,
    print_notes,
    sigterm_as_interrupt,
)
from sim.errors import InputError

__all__ = ["register"]

BATCH_EPILOG = """examples:
  cadre-sim batch baseline fault_tolerance clarification --replicates 20 --out results/demo
  cadre-sim batch scenarios/*.toml --replicates 8 --steps 120 --seed 2026 --workers 2
  cadre-sim batch baseline --replicates 50 --set accusation.false_report_rate=0.01
  cadre-sim batch baseline fault_tolerance --replicates 100 --executor dask
  cadre-sim batch baseline fault_tolerance --replicates 100 --scheduler tcp://10.0.0.5:8786 \\
      --out /shared/results/big
  cadre-sim batch --resume --out results/demo          # finish an interrupted batch

Replicate k of every scenario gets the same seed (from --seed through
numpy.random.SeedSequence), so scenario differences are paired, and the data
are identical whatever the executor or number of workers. Each finished run
is appended at once to the store's journal and sealed into a few Parquet
data files, OUT/data/part-*.parquet (one schema for the whole batch);
OUT/manifest.json records versions, scenarios, seeds, times, each run's
status, place and content digest, and is the truth of what OUT holds.
Everything is checked before OUT is created. Ctrl-C or a killed process
loses no finished run: continue with --resume (a batch killed before its
manifest was written needs its scenarios again). Workers send their data
to this process, so a Dask cluster needs no shared filesystem. Verify a
folder with: cadre-sim check OUT.
"""

COMPARE_EPILOG = """examples:
  cadre-sim compare results/demo
  cadre-sim compare results/demo --baseline baseline --metric flat_share active_share
  cadre-sim compare results/demo --window 24 --no-figures
  cadre-sim compare results/demo --precision 0.005       # replicates for a +/-0.005 CI
  cadre-sim compare results/demo --metric flat_share innovations \
      --precision 0.005 innovations=1                    # per-metric half-widths

Each run is reduced to the metric's mean over its last --window months. For
each scenario: the mean over replicates with its t-based confidence interval;
the paired difference from the baseline (replicates share seeds) with its
interval and p-value; the effect size Cohen's d_z (mean paired difference /
standard deviation of the paired differences). An effect is "not clear" when
its interval includes 0. p-values are also given Holm-adjusted over all
scenario x metric contrasts of the report; "yes, not after Holm" marks an
effect that is clear alone but not once adjusted. --precision H prints, from
the standard deviation of the paired differences, how many replicates would
give each difference an interval of half-width H (in the metric's units).
Writes RESULTS/comparison.csv, RESULTS/comparison.md and PNG figures in
RESULTS/figures/.
"""


def register(subparsers: Any) -> None:
    """Add the ``batch`` and ``compare`` subcommands."""
    batch = subparsers.add_parser(
        "batch",
        help="run scenarios x replicates with paired seeds into a crash-safe results folder",
        description=(
            "Run every SCENARIO (a shipped name or a .toml path) --replicates times with "
            "common random numbers, on local processes, serially or on Dask, writing each "
            "finished run at once; resumable."
        ),
        epilog=BATCH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    batch.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help="shipped scenario name or .toml file (may be omitted with --resume)",
    )
    batch.add_argument(
        "--replicates",
        "-r",
        type=positive_int,
        metavar="R",
        help="runs per scenario (required for a new batch; with --resume, more extend it)",
    )
    batch.add_argument(
        "--steps",
        type=positive_int,
        metavar="N",
        help="months per run (default 120; with --resume, the batch's)",
    )
    batch.add_argument(
        "--seed",
        type=non_negative_int,
        metavar="SEED",
        help="root seed of all replicate seeds (default 0; with --resume, the batch's)",
    )
    add_execution_options(batch)
    batch.add_argument(
        "--out",
        "-o",
        type=Path,
        metavar="DIR",
        help="results folder (default results/batch-YYYYMMDD-HHMMSS; needed with --resume)",
    )
    batch.add_argument(
        "--resume",
        action="store_true",
        help="continue the batch in --out: keep finished runs, do the rest",
    )
    batch.add_argument(
        "--population",
        type=positive_int,
        metavar="N",
        help="set workforce.population for every scenario",
    )
    batch.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="GROUP.KEY=VALUE",
        help="set a parameter for every scenario (repeatable), e.g. fault_tolerance.coverage=0.6",
    )
    batch.add_argument(
        "--window",
        type=positive_int,
        metavar="MONTHS",
        help="months averaged in the per-run summary printed at the end (default 12 or --steps)",
    )
    batch.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar (default: only when stderr is a terminal)",
    )
    batch.set_defaults(handler=run_batch_command)

    comparison = subparsers.add_parser(
        "compare",
        help="compare a batch's scenarios: means, 95%% CIs, paired differences, figures",
        description=(
            "Compare every scenario of a batch with a baseline: means with confidence "
            "intervals, paired differences with intervals and effect sizes; writes CSV, "
            "Markdown and figures into RESULTS."
        ),
        epilog=COMPARE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    comparison.add_argument("results", type=Path, metavar="RESULTS", help="a batch results folder")
    comparison.add_argument(
        "--baseline",
        metavar="NAME",
        help="scenario to take differences from (default: 'baseline' if present, else the first)",
    )
    comparison.add_argument(
        "--metric",
        dest="metrics",
        action="extend",
        nargs="+",
        metavar="METRIC",
        help="outputs to compare (default flat_share), e.g. --metric flat_share active_share",
    )
    comparison.add_argument(
        "--window",
        type=positive_int,
        default=12,
        metavar="MONTHS",
        help="months at the end of each run to average (default 12)",
    )
    comparison.add_argument(
        "--confidence",
        type=float,
        default=0.95,
        metavar="LEVEL",
        help="confidence level of the intervals (default 0.95)",
    )
    comparison.add_argument(
        "--precision",
        nargs="+",
        type=_half_width,
        metavar="H",
        help=(
            "also print the replicates each difference needs for a CI of half-width H "
            "(a number for every metric, or METRIC=H), e.g. --precision 0.005 innovations=1"
        ),
    )
    comparison.add_argument(
        "--no-figures",
        dest="figures",
        action="store_false",
        help="write only the table (CSV and Markdown), no PNG figures",
    )
    comparison.set_defaults(handler=run_compare_command)


def run_batch_command(args: argparse.Namespace) -> int:
    """Handle ``cadre-sim batch``; return the exit status.

    0 when every run finished, 1 when some runs raised (listed), 130 after
    Ctrl-C or SIGTERM (with the command that resumes).
    """
    from sim.runs.batch import run_batch
    from sim.runs.summary import BatchInterrupted
    from sim.scenarios import parse_set

    if args.resume and args.out is None:
        raise InputError("--resume needs --out DIR: the folder of the batch to continue")
    if not args.scenarios and not args.resume:
        raise InputError("give at least one SCENARIO (a shipped name or a .toml file), or --resume")
    overrides = parse_set(args.settings, origin="--set") if args.settings else None
    out = args.out or default_out("batch")
    try:
        with sigterm_as_interrupt():
            summary = run_batch(
                args.scenarios or None,
                args.replicates,
                steps=args.steps,
                root_seed=args.seed,
                out=out,
                executor=executor_name(args),
                workers=args.workers,
                scheduler=args.scheduler,
                resume=args.resume,
                population=args.population,
                overrides=overrides,
                summary_metrics=("flat_share",),
                summary_window=args.window,
                progress=args.progress,
                command=command_line(args),
            )
    except BatchInterrupted as stop:
        return print_interrupted(stop.summary, out, batch_resume_command(out))
    print_notes(summary.notes)
    print(
        f"batch: {summary.total} runs ({summary.done} run now, {summary.skipped} already done, "
        f"{summary.failed} failed) in {summary.wall_time:.1f} s on "
        f"{summary.executor['executor']} x{summary.executor['workers']} -> {summary.out}"
    )
    finished = summary.runs[summary.runs["status"] == "done"]
    if not finished.empty:
        means = finished.groupby("scenario", observed=True)["flat_share"].agg(["count", "mean"])
        print(f"flat_share, mean of the last {summary.window} months over replicates:")
        for name, row in means.iterrows():
            print(f"  {name:<28} {row['mean']:.4f}  (n={int(row['count'])})")
    if summary.failed:
        print_failures(summary, batch_resume_command(out))
        return 1
    print(f"compare with: cadre-sim compare {summary.out}")
    return 0


def _half_width(text: str) -> tuple[str | None, float]:
    """Parse ``H`` or ``METRIC=H``, a positive half-width (an argparse ``type``)."""
    metric, _, value = text.rpartition("=")
    try:
        width = float(value)
    except ValueError:
        width = math.nan
    if not (math.isfinite(width) and width > 0.0) or (metric == "" and "=" in text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a positive half-width H or METRIC=H, e.g. 0.005 or innovations=1"
        )
    return (metric or None, width)


def _precision(given: list[tuple[str | None, float]], metrics: tuple[str, ...]) -> dict[str, float]:
    """Return each metric's wanted half-width: a bare H for all, METRIC=H for one."""
    every = [width for metric, width in given if metric is None]
    targets = dict.fromkeys(metrics, every[-1]) if every else {}
    targets.update({metric: width for metric, width in given if metric is not None})
    return targets


def run_compare_command(args: argparse.Namespace) -> int:
    """Handle ``cadre-sim compare``: print the table, write CSV, Markdown and figures.

    With ``--precision``, also print the replicates needed for the wanted
    half-widths.
    """
    from sim.analysis.compare import compare, write_report

    comparison = compare(
        args.results,
        baseline=args.baseline,
        metrics=args.metrics or ("flat_share",),
        window=args.window,
        confidence=args.confidence,
    )
    precision = None
    if args.precision:
        precision = comparison.precision_text(_precision(args.precision, comparison.metrics))
    print(comparison.describe())
    print()
    print(comparison.to_text())
    if precision is not None:
        print(precision)
    for path in write_report(comparison, figures=args.figures):
        print(f"wrote {path}")
    return 0
