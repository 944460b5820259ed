"""The ``check`` subcommand of ``cadre-sim``: verify, repair or upgrade a results folder.

``check RESULTS`` reads everything the folder's manifest lists and verifies
it (:func:`sim.runs.store.check`): exit status 0 if the folder is sound, 2
with one line per problem otherwise. ``--repair`` first rebuilds a lost or
damaged manifest from the records embedded in the data files
(:func:`sim.runs.store.repair`); ``--upgrade`` first converts a folder of
store format 1 (one file per run) in place (:func:`sim.runs.store.upgrade`).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from sim.cli.common import print_notes
from sim.errors import InputError

__all__ = ["register"]

CHECK_EPILOG = """examples:
  cadre-sim check results/demo               # verify every run against the manifest
  cadre-sim check results/demo --repair      # rebuild a lost or damaged manifest
  cadre-sim check results/old --upgrade      # convert a folder of one file per run

Exit status 0: the folder is sound (runs still to do are only noted);
2: each problem on its own line (a stray or swapped file, a damaged data
file, runs a killed batch left unsealed, half-written temporary files, a
lost manifest). Resuming the batch fixes most of them; --repair rebuilds
the manifest from the data files.
"""


def register(subparsers: Any) -> None:
    """Add the ``check`` subcommand."""
    check = subparsers.add_parser(
        "check",
        help="verify a batch results folder against its manifest (or repair, upgrade it)",
        description=(
            "Verify every run a batch results folder lists (place, identity, content "
            "digest) and name everything else in it that is wrong."
        ),
        epilog=CHECK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("results", type=Path, metavar="RESULTS", help="a batch results folder")
    action = check.add_mutually_exclusive_group()
    action.add_argument(
        "--repair",
        action="store_true",
        help="first rebuild the manifest from the records embedded in the data files",
    )
    action.add_argument(
        "--upgrade",
        action="store_true",
        help="first convert a folder of store format 1 (one Parquet file per run) in place",
    )
    check.set_defaults(handler=run_check_command)


def run_check_command(args: argparse.Namespace) -> int:
    """Handle ``cadre-sim check``: 0 if the folder is sound, 2 listing each problem."""
    from sim.fileio import os_errors_as_input
    from sim.runs import store

    folder: Path = args.results
    with os_errors_as_input(folder, "cannot check"):
        if args.upgrade:
            if store.read_manifest_data(folder)["format"] != store.LEGACY_FORMAT:
                print_notes([f"{folder} is already in the current store format"])
            else:
                with store.locked(folder):
                    print_notes(store.upgrade(folder))
        if args.repair:
            print_notes(store.repair(folder))
        report = store.check(folder)
    print_notes(report.notes)
    if not report.sound:
        raise InputError(report.problems[0], problems=report.problems)
    print(
        f"{folder}: sound: {report.runs} runs listed, {report.done} finished and verified, "
        f"{report.failed} failed"
    )
    return 0
