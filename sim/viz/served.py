"""Serve a Solara app in a child process for a browser to drive (tests, screenshots).

:func:`served` starts ``python -m <command...> --port P`` on a free port of
127.0.0.1 in its own process group, waits until the page answers, yields its
URL and stops the whole group afterwards, whatever happened. The server's
output goes to a log file, which is quoted if the server dies or does not
answer in time.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

__all__ = ["ServerError", "free_port", "served"]

#: Seconds allowed for the server to answer.
START_TIMEOUT = 90


class ServerError(RuntimeError):
    """The server exited or did not answer in time (the message quotes its log)."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server and everything it started (its own process group)."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=15)


def _wait_until_served(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    """Poll ``url`` until it answers 200; raise :class:`ServerError` if it dies or times out."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise ServerError(f"the server exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    raise ServerError(f"the server did not answer within {START_TIMEOUT} s:\n{log.read_text()}")


@contextmanager
def served(
    command: Sequence[str], log: Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> Iterator[str]:
    """Run ``python -m <command> --port P`` until the block ends; yield ``http://127.0.0.1:P/``.

    Args:
        command: the module and its arguments, e.g. ``["sim", "viz", "baseline"]``
            or ``["solara", "run", "app.py", "--host", "127.0.0.1"]``.
        log: file the server's output is written to.
        cwd: working folder of the server.
        env: extra environment variables.

    Raises:
        ServerError: the server exited or did not answer in time.

    """
    port = free_port()
    variables = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False", PYTHONUNBUFFERED="1")
    variables.update(env or {})
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", *command, "--port", str(port)],
            cwd=cwd,
            env=variables,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}/"
        _wait_until_served(url, server, log)
        yield url
    finally:
        _stop(server)
