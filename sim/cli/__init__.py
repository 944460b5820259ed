"""The ``cadre-sim`` command line.

Each subcommand lives in its own module (:mod:`sim.cli.run`: run, show,
list; :mod:`sim.cli.batch`: batch, compare; :mod:`sim.cli.viz`: viz;
:mod:`sim.cli.experiments`: sweep, sensitivity, validate; :mod:`sim.cli.diagnose`:
diagnose), which provides
``register(subparsers) -> None``: it adds its parser(s) and sets
``handler=<function(args) -> int>`` as a default. Command modules share
:mod:`sim.cli.common` and never import this package's top. This module only
assembles them and turns :class:`sim.errors.InputError` into one line per
problem on standard error, with the option to change, and exit status 2 (no
traceback, nothing written).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from types import ModuleType

from sim import __version__
from sim.cli import batch, check, decide, diagnose, experiments, run, viz
from sim.cli.common import (
    add_execution_options,
    non_negative_int,
    positive_int,
    print_input_error,
)
from sim.errors import InputError

__all__ = [
    "COMMANDS",
    "add_execution_options",
    "build_parser",
    "main",
    "non_negative_int",
    "positive_int",
]

#: Modules that each register one or more subcommands, in help order.
COMMANDS: tuple[ModuleType, ...] = (run, batch, check, viz, experiments, diagnose, decide)

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


def build_parser(commands: Sequence[ModuleType] | None = None) -> argparse.ArgumentParser:
    """The full argument parser with the subcommands of ``commands`` (default: all)."""
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
    for module in COMMANDS if commands is None else commands:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None, *, commands: Sequence[ModuleType] | None = None) -> int:
    """Run the command line; return the exit status.

    Args:
        argv: the arguments (default: ``sys.argv[1:]``).
        commands: the command modules to offer (default: :data:`COMMANDS`).

    """
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(commands)
    args: argparse.Namespace | None = None
    try:
        args = parser.parse_args(words)
        args.command_line = ["cadre-sim", *words]
        handler = getattr(args, "handler", None)
        if handler is None:
            parser.print_help()
            return 2
        return int(handler(args) or 0)
    except InputError as exc:
        print_input_error(exc, args)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
