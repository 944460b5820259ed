"""``cadre-sim run``, ``cadre-sim show`` and ``cadre-sim list``.

``run`` simulates one scenario with one seed and writes one run folder
(``timeseries.parquet``, ``scenario.toml``, ``metadata.json``) through the
library (:func:`sim.runs.single.run_single`); this module parses the
arguments, calls it and prints the summary. Everything is validated before
anything is written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim import scenarios
from sim.cli.common import (
    RESULTS_DIR,
    command_line,
    non_negative_int,
    positive_int,
    sigterm_as_interrupt,
)
from sim.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

    from sim.scenarios import Scenario

__all__ = ["register", "resolve_scenario", "summary_table"]

RUN_EPILOG = """examples:
  cadre-sim run baseline
  cadre-sim run fault_tolerance --steps 120 --seed 7 --out results/ft-seed7
  cadre-sim run scenarios/clarification.toml --population 5000
  cadre-sim run baseline --set fault_tolerance.coverage=0.6 --set discipline.severity=30

The output folder (default results/run-<scenario>-seed<seed>) receives
timeseries.parquet, scenario.toml (the resolved scenario) and metadata.json.
An existing run folder of the same name is replaced.
"""

SHOW_EPILOG = """examples:
  cadre-sim show baseline
  cadre-sim show scenarios/combined_reform.toml
  cadre-sim show demotion --set demotion.intensity=0.3 --format json

Values that differ from the parameter's default are marked '# default X'.
"""

LIST_EPILOG = """examples:
  cadre-sim list
  cadre-sim show false_accuser_crackdown
"""

#: Rows of the summary's state table: (output column, label).
STATE_ROWS: tuple[tuple[str, str], ...] = (
    ("flat_share", "flat share"),
    ("active_share", "active share"),
    ("routine_share", "routine share"),
    ("flat_share_realist", "flat share, realists"),
    ("flat_share_idealist", "flat share, idealists"),
    ("mean_effort", "mean effort"),
    ("mean_reputation", "mean reputation"),
    ("mean_idealism", "mean idealism"),
    ("deterrence", "deterrence"),
)

#: Rows of the summary's event table: (monthly count column, label).
COUNT_ROWS: tuple[tuple[str, str], ...] = (
    ("innovations", "innovations"),
    ("honest_mistakes", "honest mistakes"),
    ("exemptions", "exemptions"),
    ("true_reports", "true reports"),
    ("false_reports", "false reports"),
    ("wrongful_punishments", "wrongful punishments"),
    ("clarifications", "clarifications"),
    ("false_accusers_punished", "false accusers punished"),
    ("promotions", "promotions"),
    ("demotions", "demotions"),
)


# ---------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------


def register(subparsers: Any) -> None:
    """Add the ``run``, ``show`` and ``list`` subcommands to ``subparsers``."""
    run = subparsers.add_parser(
        "run",
        help="run one scenario once and write its time series",
        description=(
            "Run one simulation of a scenario with a progress bar, print a summary\n"
            "table and write the time series (Parquet), the resolved scenario and\n"
            "run metadata to the output folder."
        ),
        epilog=RUN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_scenario_arguments(run)
    run.add_argument(
        "--steps",
        type=positive_int,
        default=120,
        metavar="N",
        help="months to simulate (default: 120)",
    )
    run.add_argument(
        "--seed",
        type=non_negative_int,
        default=1,
        metavar="S",
        help="random seed (default: 1)",
    )
    run.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="output folder (default: results/run-<scenario>-seed<S>)",
    )
    run.set_defaults(handler=run_command)

    show = subparsers.add_parser(
        "show",
        help="print a scenario's resolved parameters and timeline",
        description=(
            "Print every parameter of a scenario after resolving 'extends', the\n"
            "timeline and any --set options, as TOML that 'cadre-sim run' accepts."
        ),
        epilog=SHOW_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_scenario_arguments(show)
    show.add_argument(
        "--format",
        choices=("toml", "json"),
        default="toml",
        help="output format (default: toml)",
    )
    show.set_defaults(handler=show_command)

    listing = subparsers.add_parser(
        "list",
        help="list the shipped scenarios",
        description="List the scenarios shipped in scenarios/ with their descriptions.",
        epilog=LIST_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    listing.set_defaults(handler=list_command)


def _add_scenario_arguments(parser: argparse.ArgumentParser) -> None:
    """Add SCENARIO, ``--population`` and repeatable ``--set`` to a parser."""
    parser.add_argument(
        "scenario",
        metavar="SCENARIO",
        help="a shipped scenario's name (see 'cadre-sim list') or a path to a .toml file",
    )
    parser.add_argument(
        "--population",
        type=positive_int,
        default=None,
        metavar="N",
        help="number of cadres (overrides workforce.population)",
    )
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="GROUP.KEY=VALUE",
        help="override one parameter's value from month 1; may be repeated",
    )


# ---------------------------------------------------------------------------
# Handlers
# ---------------------------------------------------------------------------


def resolve_scenario(
    ref: str, settings: Sequence[str] = (), population: int | None = None
) -> Scenario:
    """Load a scenario and apply ``--set`` and ``--population``; validate everything.

    Raises:
        InputError: every problem with the file, the settings or the population.

    """
    problems: list[str] = []
    scenario: Scenario | None = None
    overrides: dict[str, Any] = {}
    try:
        scenario = scenarios.load(ref)
    except InputError as exc:
        problems += exc.problems
    try:
        overrides = scenarios.parse_set(settings, origin="--set")
    except InputError as exc:
        problems += exc.problems
    if population is not None:
        try:
            overrides.update(
                scenarios.parse_set([f"workforce.population={population}"], origin="--population")
            )
        except InputError as exc:
            problems += exc.problems
    if problems or scenario is None:
        raise InputError(problems[0], problems=problems)
    return scenario.with_overrides(overrides) if overrides else scenario


def run_command(args: argparse.Namespace) -> int:
    """Handle ``cadre-sim run``: simulate, write the run folder, print a summary."""
    from sim.runs import single, store

    scenario = resolve_scenario(args.scenario, args.settings, args.population)
    single.check_run_name(scenario)
    out = args.out if args.out is not None else RESULTS_DIR / f"run-{scenario.name}-seed{args.seed}"
    store.check_run_folder(out)
    for change in single.changes_after_end(scenario, args.steps):
        label = change.label or ", ".join(change.settings)
        print(
            f"note: timeline change '{label}' starts in month {change.start}, "
            f"after the last simulated month ({args.steps})",
            file=sys.stderr,
        )
    with sigterm_as_interrupt():
        done = single.run_single(
            scenario,
            steps=args.steps,
            seed=args.seed,
            out=out,
            progress=True,
            settings=list(args.settings),
            command=command_line(args),
        )
    print(summary_table(scenario, done.timeseries, seed=args.seed, wall_seconds=done.wall_seconds))
    print(f"\nwrote {out}{os.sep}: {', '.join(store.RUN_FILES)}")
    return 0


def show_command(args: argparse.Namespace) -> int:
    """Handle ``cadre-sim show``: print the resolved scenario."""
    scenario = resolve_scenario(args.scenario, args.settings, args.population)
    if args.format == "json":
        print(json.dumps(scenario.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(scenario.to_toml(annotate=True), end="")
    return 0


def list_command(args: argparse.Namespace) -> int:
    """Handle ``cadre-sim list``: the shipped scenarios with their descriptions."""
    names = scenarios.shipped()
    if not names:
        print(f"no scenarios found in {scenarios.SCENARIO_DIR}")
        return 0
    width = max(len(name) for name in names)
    for name in names:
        try:
            sc = scenarios.load(name)
        except InputError as exc:
            text = f"(invalid: {exc.problems[0]})"
        else:
            text = sc.description or "(no description)"
            if sc.timeline:
                text += f"  [timeline: {len(sc.timeline)} change(s)]"
        print(f"{name:<{width}}  {text}")
    print(
        f"\n{len(names)} scenarios in {scenarios.SCENARIO_DIR}; 'cadre-sim show NAME' for details"
    )
    return 0


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------


def summary_table(
    scenario: Scenario, frame: pd.DataFrame, *, seed: int, wall_seconds: float
) -> str:
    """Format the run summary: final shares and means, and event totals."""
    months = int(frame["month"].iloc[-1])
    last = frame[frame["month"] > months - 12] if months >= 1 else frame
    years = max(months / 12, 1e-9)
    header = (
        f"{scenario.name}: seed {seed}, {months} months, "
        f"{scenario.params['workforce.population']} cadres ({wall_seconds:.1f} s)"
    )
    lines = [header, ""]
    lines.append(f"{'state':<26}{'month 0':>10}{f'month {months}':>12}{'last 12 mo':>12}")
    for column, label in STATE_ROWS:
        series = frame[column]
        lines.append(
            f"{label:<26}{series.iloc[0]:>10.3f}{series.iloc[-1]:>12.3f}"
            f"{last[column].mean():>12.3f}"
        )
    lines.append("")
    lines.append(f"{'events':<26}{'total':>10}{'per year':>12}")
    for column, label in COUNT_ROWS:
        total = float(frame[column].iloc[1:].sum())
        lines.append(f"{label:<26}{total:>10.0f}{total / years:>12.1f}")
    lines.append(f"{'headcount at the end':<26}{float(frame['headcount'].iloc[-1]):>10.0f}")
    return "\n".join(lines)
