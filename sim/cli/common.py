"""What every ``cadre-sim`` command shares: argument types, options, signals, reports.

Command modules import this module (never the :mod:`sim.cli` package top).
It holds the argparse types (:func:`positive_int`, :func:`non_negative_int`),
the execution options (:func:`add_execution_options`), the one SIGTERM-as-
Ctrl-C context (:func:`sigterm_as_interrupt`), the one way failed and
interrupted batches are reported (:func:`print_failures`,
:func:`print_interrupted`) and the translation of a library error into the
option to change (:func:`print_input_error`).
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from sim.errors import IncompleteResultsError, InputError, arguments_of

if TYPE_CHECKING:
    from sim.runs.summary import BatchSummary

__all__ = [
    "OPTIONS",
    "RESULTS_DIR",
    "add_execution_options",
    "add_run_options",
    "batch_resume_command",
    "command_line",
    "execution_options",
    "experiment_parser",
    "default_out",
    "executor_name",
    "non_negative_int",
    "out_folder",
    "positive_int",
    "print_failures",
    "print_input_error",
    "print_interrupted",
    "print_notes",
    "resume_command",
    "sigterm_as_interrupt",
]

#: Where commands write when no ``--out`` is given.
RESULTS_DIR = Path("results")

#: Library argument -> (the option that sets it, its argparse ``dest``).
OPTIONS: dict[str, tuple[str, str]] = {
    "out": ("--out", "out"),
    "resume": ("--resume", "resume"),
    "steps": ("--steps", "steps"),
    "seed": ("--seed", "seed"),
    "root_seed": ("--seed", "seed"),
    "replicates": ("--replicates", "replicates"),
    "window": ("--window", "window"),
    "summary_window": ("--window", "window"),
    "population": ("--population", "population"),
    "overrides": ("--set", "settings"),
    "workers": ("--workers", "workers"),
    "executor": ("--executor", "executor"),
    "scheduler": ("--scheduler", "scheduler"),
    "metrics": ("--metric", "metrics"),
    "baseline": ("--baseline", "baseline"),
    "confidence": ("--confidence", "confidence"),
    "only": ("--only", "only"),
    "precision": ("--precision", "precision"),
    "port": ("--port", "port"),
}

#: Most failed runs listed one by one.
MAX_LISTED_FAILURES = 10


# ---------------------------------------------------------------------------
# Argument types and shared options
# ---------------------------------------------------------------------------


def _whole(text: str, low: int) -> int:
    """Parse a whole number >= ``low`` or raise ``argparse.ArgumentTypeError``."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= {low}, got {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"must be a whole number >= {low}, got {value}")
    return value


def positive_int(text: str) -> int:
    """Parse a whole number >= 1 (an argparse ``type``)."""
    return _whole(text, 1)


def non_negative_int(text: str) -> int:
    """Parse a whole number >= 0 (an argparse ``type``)."""
    return _whole(text, 0)


def add_execution_options(group: argparse._ActionsContainer) -> None:
    """Add ``--workers``, ``--executor`` and ``--scheduler`` (batch, sweep, ...)."""
    group.add_argument(
        "--workers",
        "-w",
        type=positive_int,
        metavar="W",
        help="worker processes or Dask workers (default: one per core)",
    )
    group.add_argument(
        "--executor",
        choices=("process", "serial", "dask"),
        help="where runs execute: local processes (default), this process, or Dask",
    )
    group.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="connect to a running Dask scheduler, e.g. tcp://host:8786 (implies --executor dask)",
    )


def executor_name(args: argparse.Namespace) -> str:
    """The executor: as given, else ``dask`` with a scheduler, else ``process``."""
    return args.executor or ("dask" if args.scheduler else "process")


def command_line(args: argparse.Namespace | None = None) -> list[str]:
    """The command line that started this command, for provenance records."""
    recorded = getattr(args, "command_line", None)
    return list(recorded) if recorded is not None else ["cadre-sim", *sys.argv[1:]]


def default_out(kind: str, name: str | None = None) -> Path:
    """``results/<kind>[-<name>]-YYYYMMDD-HHMMSS``: a new folder for a command's results."""
    stem = f"{kind}-{name}" if name else kind
    return RESULTS_DIR / f"{stem}-{datetime.now():%Y%m%d-%H%M%S}"


# ---------------------------------------------------------------------------
# Signals
# ---------------------------------------------------------------------------


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM into Ctrl-C, so a terminated command stops as cleanly."""
    raise KeyboardInterrupt


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C while the block runs (a batch stops cleanly, resumable)."""
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# ---------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------


def batch_resume_command(out: Path | str) -> str:
    """The command that continues the batch in ``out``."""
    return shlex.join(["cadre-sim", "batch", "--resume", "--out", str(out)])


def resume_command(args: argparse.Namespace, out: Path | str) -> str:
    """This command line again with ``--resume --out OUT`` (for sweeps and analyses)."""
    words = command_line(args)
    kept: list[str] = []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word in ("--out", "-o"):
            skip = True
        elif word != "--resume" and not word.startswith("--out="):
            kept.append(word)
    return shlex.join([*kept, "--resume", "--out", str(out)])


def print_failures(summary: BatchSummary, resume: str | None) -> None:
    """Print the runs that raised (the first few), where the tracebacks are, how to rerun."""
    where = f" (tracebacks in {summary.out}/errors/)" if summary.out is not None else ""
    print(f"{summary.failed} run(s) failed{where}:", file=sys.stderr)
    for row in summary.failures.head(MAX_LISTED_FAILURES).itertuples(index=False):
        print(
            f"  {row.scenario} replicate {row.replicate} (seed {row.seed}): {row.error}",
            file=sys.stderr,
        )
    if summary.failed > MAX_LISTED_FAILURES:
        print(f"  ... and {summary.failed - MAX_LISTED_FAILURES} more", file=sys.stderr)
    if resume is not None:
        print(f"rerun the failed runs with: {resume}", file=sys.stderr)


def print_interrupted(summary: BatchSummary | None, out: Path | None, resume: str | None) -> int:
    """Report a batch stopped by Ctrl-C or SIGTERM and return the exit status 130."""
    done = f"{summary.done + summary.skipped} of {summary.total} runs" if summary else "runs"
    where = f" and kept in {out}" if out is not None else ""
    again = f"; resume with: {resume}" if resume is not None and out is not None else ""
    print(f"interrupted: {done} finished{where}{again}", file=sys.stderr)
    return 130


def _hint(problem: str, args: argparse.Namespace | None) -> str:
    """The options (of this command) that set the arguments a problem blames."""
    present = vars(args) if args is not None else {}
    flags = [
        OPTIONS[name][0]
        for name in arguments_of(problem)
        if name in OPTIONS and OPTIONS[name][1] in present
    ]
    flags = list(dict.fromkeys(flags))
    if not flags:
        return ""
    return f" (option{'s' if len(flags) > 1 else ''} {', '.join(flags)})"


def print_input_error(exc: InputError, args: argparse.Namespace | None) -> None:
    """Print each problem as ``error: ...`` on one line, with the option to change."""
    resume = ""
    if isinstance(exc, IncompleteResultsError):
        resume = f" ({batch_resume_command(exc.folder)})"
    for problem in exc.problems:
        print(f"error: {problem}{_hint(problem, args)}{resume}", file=sys.stderr)


def print_notes(notes: Sequence[str]) -> None:
    """Print things worth telling the user, one ``note:`` line each."""
    for note in notes:
        print(f"note: {note}", file=sys.stderr)


def add_run_options(
    parser: argparse.ArgumentParser,
    *,
    window: bool = True,
    sizes_title: str = "run size (override the experiment file's values)",
    set_help: str = "change a parameter of the base scenario (repeatable), "
    "e.g. discipline.severity=25",
    unit: str = "point",
) -> None:
    """Options of the experiment commands: sizes, seed, ``--set``, executor, output, resume."""
    sizes = parser.add_argument_group(sizes_title)
    sizes.add_argument(
        "--replicates", "-r", type=positive_int, metavar="R", help=f"runs per {unit}"
    )
    sizes.add_argument("--steps", type=positive_int, metavar="N", help="months per run")
    sizes.add_argument(
        "--population", type=positive_int, metavar="N", help="workforce.population of every run"
    )
    sizes.add_argument("--seed", type=non_negative_int, metavar="SEED", help="root seed")
    if window:
        sizes.add_argument(
            "--window",
            type=positive_int,
            metavar="MONTHS",
            help="months at the end of each run that are averaged",
        )
    sizes.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="GROUP.KEY=VALUE",
        help=set_help,
    )
    where = parser.add_argument_group("where runs execute and where results go")
    add_execution_options(where)
    where.add_argument("--out", "-o", type=Path, metavar="DIR", help="results folder")
    where.add_argument(
        "--resume", action="store_true", help="continue the batch in --out (same design)"
    )
    where.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar (default: only when stderr is a terminal)",
    )


def out_folder(args: argparse.Namespace, kind: str, name: str) -> Path:
    """``--out``, or ``results/<kind>-<name>-YYYYMMDD-HHMMSS``."""
    if args.resume and args.out is None:
        raise InputError("--resume needs --out DIR: the folder of the run to continue")
    return args.out if args.out is not None else default_out(kind, name)


def experiment_parser(
    subparsers: Any, name: str, help_text: str, description: str, epilog: str
) -> argparse.ArgumentParser:
    """A subcommand that takes an experiment file: its parser with the ``EXPERIMENT`` argument."""
    parser = subparsers.add_parser(
        name,
        help=help_text,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("experiment", metavar="EXPERIMENT", help="experiment .toml file or name")
    return parser


def execution_options(args: argparse.Namespace) -> dict[str, Any]:
    """The library's execution keywords from the execution options of a command.

    ``executor``, ``workers``, ``scheduler``, ``progress`` and the ``command``
    line that is recorded in the manifest, as :func:`sim.batch.run_batch` and
    the experiment runners take them.
    """
    return {
        "executor": executor_name(args),
        "workers": args.workers,
        "scheduler": args.scheduler,
        "progress": args.progress,
        "command": command_line(args),
    }
