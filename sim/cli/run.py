"""``cadre-sim run``, ``cadre-sim show`` and ``cadre-sim list``.

``run`` simulates one scenario with one seed and writes, into one output folder:

* ``timeseries.parquet``: the model's monthly time series
  (:meth:`sim.model.CadreModel.timeseries`), byte-identical for the same
  scenario, options and seed;
* ``scenario.toml``: the fully resolved scenario (every parameter, the full
  timeline, no ``extends``), which loads back to the same parameters;
* ``metadata.json``: versions, seed, steps, population, times and the git
  commit of the code.

Everything is validated before anything is written. The files are written
into a hidden temporary folder next to the output folder and renamed into
place at the end, so a failure leaves nothing half-written.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

import sim
from sim import scenarios
from sim.cli import positive_int
from sim.errors import InputError
from sim.scenarios import Scenario

__all__ = ["register", "resolve_scenario", "run_metadata", "simulate", "summary_table", "write_run"]

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

#: Files a run folder holds.
RUN_FILES: tuple[str, ...] = ("timeseries.parquet", "scenario.toml", "metadata.json")

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
        type=_seed,
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


def _seed(text: str) -> int:
    """Parse a random seed: a whole number >= 0 (an argparse ``type``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}")
    return value


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
        overrides = scenarios.parse_set(settings)
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
    scenario = resolve_scenario(args.scenario, args.settings, args.population)
    out = args.out if args.out is not None else Path("results") / _default_folder(scenario, args)
    _check_output_folder(out)
    for change in scenario.timeline:
        if change.start > args.steps:
            label = change.label or ", ".join(change.settings)
            print(
                f"note: timeline change '{label}' starts in month {change.start}, "
                f"after the last simulated month ({args.steps})",
                file=sys.stderr,
            )

    started = datetime.now(UTC)
    clock = time.perf_counter()
    frame = simulate(scenario, steps=args.steps, seed=args.seed, progress=True)
    wall = time.perf_counter() - clock
    metadata = run_metadata(
        scenario,
        seed=args.seed,
        steps=args.steps,
        started=started,
        wall_seconds=wall,
        settings=list(args.settings),
    )
    write_run(out, scenario, frame, metadata)
    print(summary_table(scenario, frame, seed=args.seed, wall_seconds=wall))
    print(f"\nwrote {out}{os.sep}: {', '.join(RUN_FILES)}")
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
# Simulation and output
# ---------------------------------------------------------------------------


def simulate(scenario: Scenario, *, steps: int, seed: int, progress: bool = False) -> pd.DataFrame:
    """Run one simulation and return its monthly time series.

    Args:
        scenario: the resolved scenario.
        steps: months to simulate.
        seed: random seed (``rng`` of the model).
        progress: show a progress bar on standard error when it is a terminal.

    """
    from sim.model import CadreModel

    model = CadreModel(rng=seed, **scenario.model_kwargs())
    show_bar = progress and sys.stderr.isatty()
    with tqdm(
        total=steps,
        desc=scenario.name,
        unit="month",
        file=sys.stderr,
        disable=not show_bar,
        leave=False,
    ) as bar:
        for _ in range(steps):
            model.step()
            bar.update(1)
    return model.timeseries()


def run_metadata(
    scenario: Scenario,
    *,
    seed: int,
    steps: int,
    started: datetime,
    wall_seconds: float,
    settings: Sequence[str] = (),
) -> dict[str, Any]:
    """Describe a run: versions, seed, steps, population, times and code commit."""
    finished = datetime.now(UTC)
    commit, dirty = _git_state()
    return {
        "scenario": scenario.name,
        "scenario_file": str(scenario.path) if scenario.path else None,
        "scenario_digest": scenario.digest(),
        "settings": list(settings),
        "seed": seed,
        "steps": steps,
        "population": scenario.params["workforce.population"],
        "started": started.isoformat(timespec="seconds"),
        "finished": finished.isoformat(timespec="seconds"),
        "wall_seconds": round(wall_seconds, 3),
        "versions": {
            "cadre-sim": sim.__version__,
            "mesa": _package_version("mesa"),
            "numpy": _package_version("numpy"),
            "pandas": _package_version("pandas"),
            "pyarrow": _package_version("pyarrow"),
            "pydantic": _package_version("pydantic"),
            "python": platform.python_version(),
        },
        "platform": platform.platform(),
        "git_commit": commit,
        "git_dirty": dirty,
    }


def write_run(out: Path, scenario: Scenario, frame: pd.DataFrame, metadata: dict[str, Any]) -> None:
    """Write a run folder atomically: a hidden temporary folder renamed into place.

    An existing run folder at ``out`` is replaced; on any failure nothing is
    left behind (neither the temporary folder nor parent folders made for it).

    Raises:
        InputError: ``out`` is not usable, or the files cannot be written.

    """
    _check_output_folder(out)
    made = _make_parents(out.parent)
    staging: Path | None = None
    try:
        staging = _fresh_sibling(out, "partial")
        staging.mkdir()
        frame.to_parquet(staging / "timeseries.parquet", index=False, engine="pyarrow")
        (staging / "scenario.toml").write_text(scenario.to_toml(annotate=True), encoding="utf-8")
        reread = scenarios.load(staging / "scenario.toml")
        if reread != scenario:
            raise RuntimeError("the resolved scenario.toml does not load back to the same scenario")
        (staging / "metadata.json").write_text(
            json.dumps(metadata, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        _move_into_place(staging, out)
        staging = None
    except OSError as exc:
        raise InputError(f"--out {out}: cannot write the run folder ({exc})") from exc
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
            for folder in reversed(made):
                _remove_if_empty(folder)


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


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _default_folder(scenario: Scenario, args: argparse.Namespace) -> str:
    """Name the default output folder: ``run-<scenario>-seed<S>``."""
    return f"run-{scenario.name}-seed{args.seed}"


def _check_output_folder(out: Path) -> None:
    """Refuse an output path that is a file or a folder that is not a run folder."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "metadata.json").is_file():
        raise InputError(
            f"--out {out}: folder exists and is not a cadre-sim run folder "
            "(no metadata.json); choose another --out or remove it"
        )


def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and missing ancestors; return the ones created, outermost first."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    missing.reverse()
    folder.mkdir(parents=True, exist_ok=True)
    return missing


def _remove_if_empty(folder: Path) -> None:
    """Remove a folder if it exists and is empty."""
    try:
        folder.rmdir()
    except OSError:
        pass


def _move_into_place(staging: Path, out: Path) -> None:
    """Rename the finished staging folder to ``out``, replacing an old run folder."""
    if not out.exists():
        staging.rename(out)
        return
    old = _fresh_sibling(out, "old")
    out.rename(old)
    try:
        staging.rename(out)
    except OSError:
        old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _fresh_sibling(out: Path, kind: str) -> Path:
    """Return an unused hidden path next to ``out`` for a staging or retired folder."""
    return out.parent / f".{out.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.{kind}"


def _package_version(name: str) -> str | None:
    """Return an installed package's version, or None."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _git_state() -> tuple[str | None, bool | None]:
    """Return the code's git commit and whether tracked files differ from it."""
    root = Path(sim.__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        if head.returncode != 0:
            return None, None
        status = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None, None
    dirty = bool(status.stdout.strip()) if status.returncode == 0 else None
    return head.stdout.strip(), dirty
