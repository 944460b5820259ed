"""The ``cadre-sim`` command line.

Each subcommand lives in its own module, which provides
``register(subparsers) -> None``: it adds its parser(s) and sets
``handler=<function(args) -> int>`` as a default. This module only assembles
them and turns :class:`sim.errors.InputError` into a one-line message on
standard error with exit status 2 (no traceback, nothing written).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from sim import __version__
from sim.errors import InputError

__all__ = [
    "add_execution_options",
    "build_parser",
    "main",
    "non_negative_int",
    "positive_int",
]

#: Modules that each register one or more subcommands, in help order.
COMMAND_MODULES: tuple[str, ...] = (
    "sim.cli.run",  # run, show, list
    "sim.cli.batch",  # batch, compare
    "sim.cli.viz",  # viz
    "sim.cli.experiments",  # sweep, sensitivity, validate
    "sim.cli.decide",  # search, discover, calibrate
)

EPILOG = """examples:
  cadre-sim list
  cadre-sim show scenarios/fault_tolerance.toml
  cadre-sim run baseline --steps 120 --seed 1 --out results/one
  cadre-sim batch baseline fault_tolerance clarification --replicates 20 --out results/demo
  cadre-sim compare results/demo --baseline baseline
  cadre-sim viz baseline
"""


class ArgumentError(InputError):
    """A command-line usage error (bad option or value)."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises instead of exiting, so errors are one line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ArgumentError(f"{self.prog}: {message}")


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


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every registered subcommand."""
    parser = _Parser(
        prog="cadre-sim",
        description=(
            "Agent-based simulation of cadres' effort under career rewards, "
            "false-accusation risk and fault tolerance: run scenarios, batches, "
            "comparisons, sweeps and the browser view."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"cadre-sim {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", parser_class=_Parser)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        handler = getattr(args, "handler", None)
        if handler is None:
            parser.print_help()
            return 2
        return int(handler(args) or 0)
    except InputError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
