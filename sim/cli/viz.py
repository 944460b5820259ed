"""``cadre-sim viz``: serve the browser view of one run on 127.0.0.1.

The scenario is loaded and validated first (a bad one is a one-line error,
exit status 2, before any server starts); the app (:mod:`sim.viz.app`) then
runs under Solara's server in this process, reading the scenario's name from
the environment variable :data:`sim.viz.SCENARIO_ENV`. Solara and the app are
imported only when the command runs, so other commands stay fast.
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys
from typing import Any

from sim.errors import InputError
from sim.viz import SCENARIO_ENV

__all__ = ["DEFAULT_PORT", "HOST", "port_number", "register", "run_viz", "serve"]

#: The only address the view is served on: this machine.
HOST = "127.0.0.1"
#: Default port (Solara's own default).
DEFAULT_PORT = 8765
#: The Solara app, as a module Solara imports.
APP_MODULE = "sim.viz.app"

DESCRIPTION = """\
Serve the interactive browser view of SCENARIO on http://127.0.0.1:PORT/: a single
run or an ensemble of paired replicates against a comparison scenario, live policy
levers that apply from the next month, a cadre inspector, and CSV/Parquet/PNG
export. Stop the server with Ctrl-C.
"""

EPILOG = """\
examples:
  cadre-sim viz
  cadre-sim viz false_accuser_crackdown --port 8800
  cadre-sim viz my_scenarios/province.toml

The same app also runs with `solara run sim/viz/app.py`. Offline, first cache
Solara's front-end files with `python -m sim.viz.assets` (make does this).
"""


def port_number(text: str) -> int:
    """Parse a TCP port (an argparse ``type``): a whole number from 1 to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number 1-65535, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a whole number 1-65535, got {text!r}")
    return value


def register(subparsers: Any) -> None:
    """Add the ``viz`` command to the ``cadre-sim`` parser."""
    parser = subparsers.add_parser(
        "viz",
        help="serve the interactive browser view (single run or ensemble)",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "scenario",
        nargs="?",
        default="baseline",
        metavar="SCENARIO",
        help="shipped scenario name or path to a .toml file (default: baseline)",
    )
    parser.add_argument(
        "--port",
        type=port_number,
        default=DEFAULT_PORT,
        metavar="P",
        help=f"port on {HOST} to serve on (default: {DEFAULT_PORT})",
    )
    parser.set_defaults(handler=run_viz)


def _check_port_free(port: int) -> None:
    """Raise :class:`InputError` if ``port`` on :data:`HOST` cannot be bound."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            reason = "is in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc})"
            raise InputError(
                f"port {port} on {HOST} {reason}: choose another with --port"
            ) from None


def run_viz(args: argparse.Namespace) -> int:
    """Handler of ``cadre-sim viz``: validate, then serve until interrupted."""
    from sim.scenarios import load, shipped

    scenario = load(args.scenario)
    ref = scenario.name if args.scenario in shipped() else str(scenario.path or args.scenario)
    _check_port_free(args.port)
    os.environ[SCENARIO_ENV] = ref
    print(
        f"cadre-sim viz: scenario {scenario.name} on http://{HOST}:{args.port}/ (Ctrl-C to stop)",
        file=sys.stderr,
    )
    return serve(args.port)


def serve(port: int) -> int:
    """Run Solara's server for :data:`APP_MODULE` on :data:`HOST`:``port`` in this process.

    Production mode (no auto-restart), no browser opened, no version check,
    no usage telemetry and no "runs on Solara" banner. Returns the server's
    exit status.
    """
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    from sim.viz import assets

    absent = assets.missing()
    if absent:
        print(
            f"note: Solara's front-end files ({', '.join(absent)}) are not cached locally, "
            "so the browser fetches them from a public CDN; to work offline run "
            "'python -m sim.viz.assets' first",
            file=sys.stderr,
        )
    from solara.__main__ import cli

    solara_args = [
        "run",
        APP_MODULE,
        "--host",
        HOST,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--no-check-version",
    ]
    try:
        cli.main(args=solara_args, prog_name="solara", standalone_mode=False)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0
