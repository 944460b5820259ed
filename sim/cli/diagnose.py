"""The ``diagnose`` subcommand of ``cadre-sim``: whether a regime stands still over a long run.

Runs the scenario for ``--years`` years over ``--replicates`` seeds through the
batch machinery and prints each headline output's change from years 1-3 to
the last three years with its 95% interval, and the month from which it is
stationary (:mod:`sim.analysis.stationarity`). Exit status 1 when a tested
output's interval leaves its tolerance.
"""

from __future__ import annotations

import argparse

from sim.cli.common import (
    add_execution_options,
    command_line,
    executor_name,
    non_negative_int,
    positive_int,
    print_interrupted,
    sigterm_as_interrupt,
)

__all__ = ["register", "run_diagnose_command"]

EPILOG = """examples:
  cadre-sim diagnose baseline
  cadre-sim diagnose baseline --years 30 --replicates 8 --workers 2
  cadre-sim diagnose fault_tolerance --set accusation.false_report_rate=0.01
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``diagnose`` subcommand."""
    parser = subparsers.add_parser(
        "diagnose",
        help="check that a scenario stands still over a long run (trends and stationarity)",
        description=(
            "Run a scenario for many years over replicates and print, for each headline "
            "output, its change from years 1-3 to the last three years with a 95% paired "
            "interval, and the month from which it is stationary."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("scenario", help="shipped scenario name or .toml file")
    sizes = parser.add_argument_group("run size (default 16 replicates x 2000 cadres x 20 years)")
    sizes.add_argument("--years", type=positive_int, default=20, metavar="Y", help="years per run")
    sizes.add_argument(
        "--replicates", "-r", type=positive_int, default=16, metavar="R", help="runs"
    )
    sizes.add_argument(
        "--population", type=positive_int, default=2000, metavar="N", help="cadres per run"
    )
    sizes.add_argument("--seed", type=non_negative_int, default=0, metavar="SEED", help="root seed")
    sizes.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="GROUP.KEY=VALUE",
        help="change a parameter of the scenario (repeatable)",
    )
    where = parser.add_argument_group("where runs execute")
    add_execution_options(where)
    where.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar (default: only when stderr is a terminal)",
    )
    parser.set_defaults(handler=run_diagnose_command)


def run_diagnose_command(args: argparse.Namespace) -> int:
    """Handle ``cadre-sim diagnose``: print the drift table; exit 1 if a tolerance is missed."""
    from sim.analysis import stationarity
    from sim.runs.summary import BatchInterrupted
    from sim.scenarios import parse_set

    overrides = parse_set(args.settings, origin="--set") if args.settings else None
    try:
        with sigterm_as_interrupt():
            outcome = stationarity.diagnose(
                args.scenario,
                replicates=args.replicates,
                population=args.population,
                years=args.years,
                root_seed=args.seed,
                overrides=overrides,
                executor=executor_name(args),
                workers=args.workers,
                scheduler=args.scheduler,
                progress=args.progress,
                command=command_line(args),
            )
    except BatchInterrupted as stop:
        return print_interrupted(stop.summary, None, None)
    print(outcome.to_text(), end="")
    return 0 if outcome.passed else 1
