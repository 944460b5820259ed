"""The ``search``, ``discover`` and ``calibrate`` subcommands of ``cadre-sim``.

``search`` looks for the bundles of levers that trade off best (pymoo
NSGA-II), ``discover`` finds the conditions in which an outcome crosses a
threshold (PRIM), ``calibrate`` fits behavioural constants to observed
moments (ABC-SMC with pyabc); see :mod:`sim.analysis.decide`. Every round of
points runs through the batch machinery (:func:`sim.batch.run_batch`): the
same results store, common seeds, executors, resume and progress bar as
``cadre-sim batch``, one store per round under ``OUT/rounds/``.

Exit status: 0 on success, 1 when runs failed, 2 for bad input, 130 after
Ctrl-C or SIGTERM (resume with ``--resume --out OUT``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

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

__all__ = ["register", "run_decide_command"]

EPILOG = {
    "search": """examples:
  cadre-sim search experiments/search_reform_bundle.toml --out results/bundle
  cadre-sim search search_reform_bundle --generations 10 --candidates 24 --workers 2
  cadre-sim search search_reform_bundle --resume --out results/bundle
  cadre-sim run results/bundle/front/baseline_front_00.toml --steps 120

Searches the [[lever]] ranges for the candidates that are best on the
[[objective]] outputs (min or max; plus a cost objective when a lever has a
cost), with NSGA-II (pymoo). Each candidate runs under every condition of a
Latin-hypercube sample of the [[uncertain]] constants (samples) with common
seeds; robustness = mean, percentile or regret (from the status quo). OUT
receives one batch store per generation (rounds/), archive.csv, front.csv and
front.md (the Pareto front with a 95% interval per point), figures/front.png
and every front point as a scenario file in front/.
""",
    "discover": """examples:
  cadre-sim discover experiments/discover_reform_failure.toml --out results/failure
  cadre-sim discover discover_reform_failure --samples 300 --workers 2

Samples the [[lever]] and [[uncertain]] ranges by a Latin hypercube, runs every
point (and, with paired = true, the same point with the levers at their base
values) and finds with PRIM (EMA Workbench) the boxes where the outcome is
above or below the threshold. OUT receives the batch store (rounds/sample),
points.csv, boxes.csv (limits, coverage, density, quasi-p values),
trajectory.csv (the peeling trajectory), discover.md and figures.
""",
    "calibrate": """examples:
  cadre-sim calibrate experiments/calibrate_survey_moments.toml --out results/calibration
  cadre-sim calibrate calibrate_survey_moments --particles 100 --generations 6
  cadre-sim calibrate calibrate_survey_moments --resume --out results/calibration

Fits the [[parameter]] constants (uniform priors over their ranges) to the
[[target]] moments by ABC-SMC (pyabc): each generation's proposals run as
batches (rounds/), a particle is accepted when every target is close enough
(distance = max |simulated - observed| / tolerance), down to 1. OUT receives
posterior.csv (mean, median and 90% credible interval), fit.csv and
calibrate.md (each target against the posterior predictive), particles.csv,
generations.csv, the calibrated scenario file and figures.
""",
}

HELP = {
    "search": "multi-objective policy search over levers (NSGA-II): Pareto front, scenario files",
    "discover": "scenario discovery (PRIM): the conditions in which an outcome crosses a threshold",
    "calibrate": "fit behavioural constants to observed moments (ABC-SMC with pyabc)",
}

#: Each command's own size options: (flag, destination, help).
SIZES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "search": (
        ("--candidates", "candidates", "candidates per generation (NSGA-II population)"),
        ("--generations", "generations", "generations evaluated"),
        ("--samples", "samples", "size of the uncertainty sample of each candidate"),
    ),
    "discover": (("--samples", "samples", "points of the Latin hypercube"),),
    "calibrate": (
        ("--particles", "particles", "particles per population"),
        ("--generations", "generations", "most SMC generations"),
        ("--max-evaluations", "max_evaluations", "most points simulated in all"),
    ),
}


def register(subparsers: Any) -> None:
    """Add the ``search``, ``discover`` and ``calibrate`` subcommands."""
    for kind in ("search", "discover", "calibrate"):
        parser = experiment_parser(
            subparsers, kind, HELP[kind], HELP[kind][0].upper() + HELP[kind][1:] + ".", EPILOG[kind]
        )
        own = parser.add_argument_group(f"{kind} size (override the experiment file's values)")
        for flag, dest, text in SIZES[kind]:
            own.add_argument(flag, dest=dest, type=positive_int, metavar="N", help=text)
        parser.add_argument(
            "--no-figures", dest="figures", action="store_false", help="write the tables only"
        )
        add_run_options(parser)
        parser.set_defaults(handler=run_decide_command, kind=kind)


def run_decide_command(args: argparse.Namespace) -> int:
    """Handle ``cadre-sim search|discover|calibrate``: run, print the result, write the report."""
    from sim.analysis.decide import files
    from sim.analysis.decide.evaluate import ModelEvaluator, RunsFailedError, prepare_folder
    from sim.runs.batch import BatchInterrupted
    from sim.scenarios import parse_set

    kind = args.kind
    experiment = files.load(args.experiment, kind=kind).with_sizes(
        replicates=args.replicates,
        steps=args.steps,
        population=args.population,
        seed=args.seed,
        window=args.window,
        **{dest: getattr(args, dest) for _, dest, _ in SIZES[kind]},
    )
    if args.settings:
        experiment = experiment.with_overrides(parse_set(args.settings, origin="--set"))
    out = prepare_folder(
        out_folder(args, kind, experiment.name), kind, experiment.to_dict(), args.resume
    )
    evaluator = ModelEvaluator(
        plan=experiment.plan,
        metrics=experiment.metrics,
        out=out,
        resume=args.resume,
        **execution_options(args),
        announce=lambda line: print(f"{kind} {experiment.name}: {line}", file=sys.stderr),
    )
    try:
        with sigterm_as_interrupt():
            result = experiment.run(evaluator, out)
    except BatchInterrupted as stop:
        return print_interrupted(stop.summary, out, resume_command(args, out))
    except RunsFailedError as failed:
        print_failures(failed.summary, resume_command(args, out))
        print(f"the {kind} needs every run: no result", file=sys.stderr)
        return 1
    print(
        f"{kind} {experiment.name}: {evaluator.runs_used} runs ({evaluator.runs_done} run now, "
        f"{evaluator.runs_reused} already done)"
    )
    for title, table in experiment.summary(result):
        print(f"\n{title}")
        print(_text(table))
    print()
    for path in experiment.write_report(result, out, figures=args.figures):
        print(f"wrote {path}")
    return 0


#: Most rows printed of a table (all are in the CSV files).
MAX_ROWS = 20


def _text(table: pd.DataFrame) -> str:
    """A table as aligned text, numbers with 4 significant digits."""
    shown = table.head(MAX_ROWS)
    text = shown.to_string(index=False, float_format=lambda v: f"{v:.4g}")
    if len(table) > MAX_ROWS:
        text += f"\n... and {len(table) - MAX_ROWS} more rows"
    return text
