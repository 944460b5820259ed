"""The ``sweep``, ``sensitivity`` and ``validate`` subcommands of ``cadre-sim``.

``sweep`` runs an experiment file's grid, Latin hypercube or list of
scenarios and draws the response (:mod:`sim.analysis.experiment`);
``sensitivity`` runs a Morris or Sobol' analysis of the varied parameters
(:mod:`sim.analysis.sensitivity`); ``validate`` judges the model brief's
nine stylized facts (:mod:`sim.analysis.validation`). All three run through
the batch machinery (:func:`sim.batch.run_batch`): the same results store, paired
seeds, executors, resume and progress bar as ``cadre-sim batch``.

Exit status: 0 on success, 1 when runs failed (or, for ``validate``, a fact
failed), 2 for bad input, 130 after Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.cli.common import (
    add_run_options,
    execution_options,
    experiment_parser,
    out_folder,
    positive_int,
    print_failures,
    print_interrupted,
    resume_command,
    sigterm_as_interrupt,
)
from sim.errors import InputError

if TYPE_CHECKING:
    from sim.analysis.experiment import Design, Experiment
    from sim.runs.summary import BatchSummary

__all__ = ["register", "run_sensitivity_command", "run_sweep_command", "run_validate_command"]

SWEEP_EPILOG = """examples:
  cadre-sim sweep experiments/tolerance_by_risk.toml
  cadre-sim sweep experiments/tolerance_by_risk.toml --replicates 10 --workers 2 \\
      --out results/tolerance_by_risk
  cadre-sim sweep experiments/scenario_comparison.toml --population 500 --steps 60
  cadre-sim sweep my_sweep.toml --set discipline.severity=25 --executor dask
  cadre-sim sweep experiments/tolerance_by_risk.toml --resume --out results/tolerance_by_risk

EXPERIMENT is a TOML file (or a shipped experiment's name): a base scenario, the
parameters to vary ([[vary]]: a grid of values or a range for a Latin
hypercube), replicates, steps, seed, window and metrics (see
experiments/README.md). Every design point runs --replicates times with the same
replicate seeds (paired). OUT receives the batch store (manifest.json,
scenarios/, runs/), design.csv (point -> parameter values), experiment.json,
sweep.csv and sweep.md (mean and 95% t-interval per point and metric) and
figures/sweep_<metric>.png: a line with a confidence band for one parameter, a
heatmap for two, one panel per parameter otherwise. --resume re-creates the
same design from the file and its seed and runs what is missing.
"""

SENSITIVITY_EPILOG = """examples:
  cadre-sim sensitivity experiments/lever_sensitivity.toml
  cadre-sim sensitivity experiments/lever_sensitivity.toml --trajectories 20 --workers 2
  cadre-sim sensitivity my_ranges.toml --method sobol --base-samples 128 --replicates 2
  cadre-sim sensitivity experiments/lever_sensitivity.toml --resume --out results/levers

Samples the [[vary]] parameters within their ranges (low/high, default: the
parameter's whole allowed range) by Morris trajectories or Saltelli's Sobol'
scheme (SALib), runs every point --replicates times through the batch
machinery, and analyses each point's replicate mean of each metric. Morris
reports mu* (mean absolute elementary effect) with its 95% bootstrap interval
and sigma; Sobol' reports S1 and ST with 95% bootstrap intervals. OUT receives
the batch store, design.csv, points.csv (the analysed replicate means),
sensitivity.csv, sensitivity.md and figures/sensitivity_<metric>.png.
"""

VALIDATE_EPILOG = """examples:
  cadre-sim validate
  cadre-sim validate --replicates 40 --population 2000 --workers 2 --out results/validation
  cadre-sim validate --only 1,3
  cadre-sim validate --only 1 --set behaviour.mistake_rate=0     # fact 1 must fail

Runs the nine stylized facts of the model brief (sim/validation.py) as paired
experiments: replicate k of every regime shares its seed. For each fact it
prints the regimes compared, each measured difference with its 95% t-interval
and pass or fail; a check passes when its interval excludes zero in the
expected direction, a fact when all its checks and conditions do. --set changes
the baseline under every regime (each regime's own changes apply on top). With
--out, the batch store, validation.csv and validation.md are kept there. Exit
status 1 when a fact fails.
"""


# ---------------------------------------------------------------------------
# Parsers
# ---------------------------------------------------------------------------


def _add_report_options(parser: argparse.ArgumentParser, metric_help: str) -> None:
    """``--metric`` (repeatable, extends) and ``--no-figures``, shared by sweep and sensitivity."""
    parser.add_argument(
        "--metric", dest="metrics", action="extend", nargs="+", metavar="METRIC", help=metric_help
    )
    parser.add_argument(
        "--no-figures", dest="figures", action="store_false", help="write the tables only"
    )


def register(subparsers: Any) -> None:
    """Add the ``sweep``, ``sensitivity`` and ``validate`` subcommands."""
    sweep = experiment_parser(
        subparsers,
        "sweep",
        "run an experiment file (grid, Latin hypercube, scenarios) and draw the response",
        "Run every point of EXPERIMENT's design --replicates times with paired seeds "
        "through the batch machinery; write design.csv, sweep.csv/.md and figures.",
        SWEEP_EPILOG,
    )
    _add_report_options(sweep, "outputs to summarise (default: the file's metrics)")
    add_run_options(sweep)
    sweep.set_defaults(handler=run_sweep_command)

    sensitivity = experiment_parser(
        subparsers,
        "sensitivity",
        "global sensitivity analysis (Morris or Sobol') of an experiment's parameters",
        "Sample EXPERIMENT's [[vary]] ranges with SALib (Morris or Sobol'), run every "
        "point through the batch machinery and report the sensitivity indices of each "
        "metric as tables and bar charts.",
        SENSITIVITY_EPILOG,
    )
    sensitivity.add_argument(
        "--method",
        choices=("morris", "sobol"),
        help="analysis method (default: the file's design)",
    )
    sensitivity.add_argument(
        "--trajectories", type=positive_int, metavar="R", help="Morris trajectories"
    )
    sensitivity.add_argument(
        "--base-samples",
        type=positive_int,
        metavar="N",
        help="Sobol' base samples, a power of two (N * (D + 2) points)",
    )
    _add_report_options(sensitivity, "outputs to analyse (default: the file's metrics)")
    add_run_options(sensitivity)
    sensitivity.set_defaults(handler=run_sensitivity_command)

    validate = subparsers.add_parser(
        "validate",
        help="check the model brief's nine stylized facts (exit 1 if one fails)",
        description=(
            "Run the stylized facts of the model brief as paired experiments and print, "
            "for each, the regimes compared, the measured differences with 95% intervals "
            "and pass or fail."
        ),
        epilog=VALIDATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    validate.add_argument(
        "--only", metavar="FACTS", help="facts to run, e.g. 1,3 or 2-4 (default: all nine)"
    )
    add_run_options(
        validate,
        window=False,
        sizes_title="run size (default 20 replicates x 1000 cadres x 96 months, root seed 0)",
        set_help="change a parameter of the baseline under every regime (repeatable); "
        "each regime's own changes apply on top",
        unit="regime",
    )
    validate.set_defaults(handler=run_validate_command)


# ---------------------------------------------------------------------------
# Handlers
# ---------------------------------------------------------------------------


def _experiment(args: argparse.Namespace, **extra: Any) -> Experiment:
    """Load the experiment and apply the command line's sizes and ``--set``."""
    from sim.analysis import experiment as experiments
    from sim.scenarios import parse_set

    loaded = experiments.load(args.experiment)
    loaded = loaded.with_sizes(
        replicates=args.replicates,
        steps=args.steps,
        population=args.population,
        window=args.window,
        seed=args.seed,
        metrics=args.metrics,
        **extra,
    )
    if args.settings:
        loaded = loaded.with_overrides(parse_set(args.settings, origin="--set"), origin="--set")
    return loaded


def run_sweep_command(args: argparse.Namespace) -> int:
    """Handle ``cadre-sim sweep``: run the design, print means, write report and figures."""
    from sim.analysis import experiment as experiments
    from sim.runs.summary import BatchInterrupted

    loaded = _experiment(args)
    if loaded.design in ("morris", "sobol"):
        raise InputError(
            f"{loaded.origin}: a {loaded.design!r} design is analysed by "
            f"cadre-sim sensitivity {args.experiment}, not swept"
        )
    design = loaded.build_design()
    out = out_folder(args, "sweep", loaded.name)
    if args.resume:
        design.check_against(out)
    print(
        f"sweep {loaded.name}: {loaded.design} design, {len(design)} points x "
        f"{loaded.replicates} replicates = {len(design) * loaded.replicates} runs of "
        f"{loaded.steps} months -> {out}",
        file=sys.stderr,
    )
    try:
        with sigterm_as_interrupt():
            run = experiments.run_design(
                design,
                out=out,
                resume=args.resume,
                **execution_options(args),
            )
    except BatchInterrupted as stop:
        return print_interrupted(stop.summary, out, resume_command(args, out))
    summary = run.batch
    print(
        f"sweep: {summary.total} runs ({summary.done} run now, {summary.skipped} already done, "
        f"{summary.failed} failed) in {summary.wall_time:.1f} s on "
        f"{summary.executor['executor']} x{summary.executor['workers']}"
    )
    table = run.point_summary()
    first = loaded.steps - loaded.window + 1
    for metric in loaded.metrics:
        rows = table[table["metric"] == metric]
        if design.method == "grid" and len(loaded.parameters) == 2:
            print(f"\n{metric}, mean of months {first}-{loaded.steps} over replicates:")
            print(_grid_text(rows, loaded.parameters))
        else:
            print(f"\n{metric}, mean of months {first}-{loaded.steps} over replicates (95% CI):")
            print(_points_text(rows, design))
    if args.figures:
        written = experiments.write_sweep_report(run)
    else:
        table.to_csv(out / experiments.SWEEP_FILE, index=False)
        written = [out / experiments.SWEEP_FILE]
    print()
    for path in [out / experiments.DESIGN_FILE, *written]:
        print(f"wrote {path}")
    if summary.failed:
        print_failures(summary, resume_command(args, out))
        return 1
    return 0


#: Most points listed in the printed table of a sweep (all are in sweep.csv).
MAX_PRINTED_POINTS = 40


def _grid_text(rows: pd.DataFrame, parameters: tuple[str, ...]) -> str:
    """The means of a two-parameter grid as a matrix: first parameter across, second down."""
    across, down = parameters
    matrix = rows.pivot_table(index=down, columns=across, values="mean", aggfunc="first")
    header = [f"{down} \\ {across}", *(_short(c) for c in matrix.columns)]
    body = [
        [_short(i), *(_short(v) for v in row)]
        for i, row in zip(matrix.index, matrix.values, strict=True)
    ]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    return "\n".join(
        "  " + "  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True))
        for cells in [header, *body]
    )


def _points_text(rows: pd.DataFrame, design: Design) -> str:
    """Aligned text of per-point means: parameter values, n, mean and interval."""
    columns = [c for c in design.table.columns if c != "point"]
    header = ["point", *columns, "n", "mean", "95% CI"]
    body = []
    hidden = max(0, len(rows) - MAX_PRINTED_POINTS)
    for record in rows.head(MAX_PRINTED_POINTS).to_dict("records"):
        body.append(
            [
                str(record["point"]),
                *(_short(record[c]) for c in columns),
                str(record["n"]),
                _short(record["mean"]),
                f"[{_short(record['ci_low'])}, {_short(record['ci_high'])}]",
            ]
        )
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = []
    for cells in [header, *body]:
        lines.append(
            "  "
            + "  ".join(
                c.ljust(w) if i == 0 or header[i] == "description" else c.rjust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            ).rstrip()
        )
    if hidden:
        from sim.analysis.experiment import SWEEP_FILE

        lines.append(f"  ... and {hidden} more points (all in {SWEEP_FILE})")
    return "\n".join(lines)


def _short(value: Any) -> str:
    """A value for a text table."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if value is None or pd.isna(value):
        return "-"
    if isinstance(value, int | np.integer):
        return str(int(value))
    return f"{float(value):.4g}"


class _RunsFailedError(Exception):
    """Some runs of a sensitivity design raised, so the analysis cannot be done."""

    def __init__(self, summary: BatchSummary) -> None:
        self.summary = summary
        super().__init__(f"{summary.failed} run(s) failed")


def _model_evaluator(
    loaded: Experiment, method: str, out: Path, args: argparse.Namespace, keep: dict[str, Any]
) -> Callable[[np.ndarray], pd.DataFrame]:
    """The evaluation callable of a model sensitivity analysis.

    It turns the sample matrix into design points, runs them through the
    batch machinery into ``out`` and returns each point's replicate mean of
    every metric; the run is kept in ``keep["run"]``.
    """
    from sim.analysis import experiment as experiments

    def evaluate(samples: np.ndarray) -> pd.DataFrame:
        design = loaded.design_from_matrix(samples, method)
        if args.resume:
            design.check_against(out)
        print(
            f"sensitivity {loaded.name}: {method}, {len(design)} points x "
            f"{loaded.replicates} replicates = {len(design) * loaded.replicates} runs of "
            f"{loaded.steps} months -> {out}",
            file=sys.stderr,
        )
        run = experiments.run_design(
            design,
            out=out,
            resume=args.resume,
            **execution_options(args),
        )
        keep["run"] = run
        if run.batch.failed:
            raise _RunsFailedError(run.batch)
        return run.point_means()[list(loaded.metrics)]

    return evaluate


def run_sensitivity_command(args: argparse.Namespace) -> int:
    """Handle ``cadre-sim sensitivity``: sample, run, analyse, print and write the report."""
    from sim.analysis import sensitivity
    from sim.runs.summary import BatchInterrupted

    loaded = _experiment(args, trajectories=args.trajectories, base_samples=args.base_samples)
    method = args.method or loaded.design
    if method not in sensitivity.METHODS:
        raise InputError(
            f"{loaded.origin}: experiment.design = {loaded.design!r}; choose the analysis "
            "with --method morris or --method sobol (or set design = 'morris' in the file)"
        )
    problem = loaded.problem()
    out = out_folder(args, "sensitivity", loaded.name)
    keep: dict[str, Any] = {}
    note = (
        f"Each point's output is the mean over {loaded.replicates} replicate(s) (common seeds "
        f"across points) of each run's mean over months {loaded.steps - loaded.window + 1}-"
        f"{loaded.steps}; the indices describe that replicate mean"
        + ("; whole-number parameters were rounded when run" if any(problem.integer) else "")
        + "."
    )
    try:
        with sigterm_as_interrupt():
            result = sensitivity.run(
                method,
                problem,
                _model_evaluator(loaded, method, out, args, keep),
                trajectories=loaded.trajectories,
                levels=loaded.levels,
                base_samples=loaded.base_samples,
                seed=loaded.seed,
                note=note,
            )
    except BatchInterrupted as stop:
        return print_interrupted(stop.summary, out, resume_command(args, out))
    except _RunsFailedError as failed:
        print_failures(failed.summary, resume_command(args, out))
        print("the analysis needs every point: no indices computed", file=sys.stderr)
        return 1
    run = keep["run"]
    points_file = out / "points.csv"
    run.point_means().to_csv(points_file, index=False)
    print(result.describe())
    print()
    print(result.to_text())
    written = sensitivity.write_report(
        result, out, title=f"Sensitivity analysis: {loaded.name}", figures=args.figures
    )
    for path in [out / "design.csv", points_file, *written]:
        print(f"wrote {path}")
    return 0


def run_validate_command(args: argparse.Namespace) -> int:
    """Handle ``cadre-sim validate``: print the facts table; exit 1 if a fact fails."""
    from sim.analysis import validation
    from sim.runs.summary import BatchInterrupted
    from sim.scenarios import parse_set

    facts = validation.parse_only(args.only)
    overrides = parse_set(args.settings, origin="--set") if args.settings else None
    if args.resume and args.out is None:
        raise InputError("--resume needs --out DIR: the folder of the validation to continue")
    population = args.population or validation.DEFAULT_POPULATION
    try:
        with sigterm_as_interrupt():
            outcome = validation.run(
                facts,
                replicates=args.replicates or validation.DEFAULT_REPLICATES,
                population=population,
                steps=args.steps or validation.DEFAULT_STEPS,
                root_seed=args.seed or 0,
                overrides=overrides,
                out=args.out,
                resume=args.resume,
                **execution_options(args),
            )
    except BatchInterrupted as stop:
        return print_interrupted(
            stop.summary, args.out, resume_command(args, args.out) if args.out else None
        )
    print(outcome.describe())
    print()
    print(outcome.to_text(), end="")
    if args.out is not None:
        for path in outcome.write(args.out):
            print(f"wrote {path}")
    if outcome.failed_runs:
        print(
            f"{outcome.failed_runs} run(s) failed; see {args.out or 'the batch'}", file=sys.stderr
        )
    return 0 if outcome.passed else 1
