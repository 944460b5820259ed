"""End-to-end test of the browser view in headless Chromium, driven by Playwright.

Starts ``cadre-sim viz`` on a free port of 127.0.0.1, then in Debian's
Chromium (``/usr/bin/chromium``, installed by ``.ci/run``; Playwright never
downloads a browser here): the page loads; Step changes the charts; moving
the fault-tolerance coverage slider and pressing Reset builds a model with
that value; a typed seed reaches the model; choosing another scenario loads
it (and Reset keeps it); a screenshot is saved. The server is stopped in all
cases.

The screenshot goes to the test's temporary folder. To refresh the one in
the README, run with ``CADRE_SIM_UPDATE_SCREENSHOT=1``: it is then also
written to ``docs/img/viz.png``.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from sim.scenarios import load
from sim.viz.components import format_value

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parent.parent
README_SCREENSHOT = REPO / "docs" / "img" / "viz.png"
#: Seconds allowed for the server to answer, and for the page's first render.
SERVER_START_TIMEOUT = 60
FIRST_RENDER_TIMEOUT_MS = 45_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(180),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is not installed (apt-get install chromium; .ci/run does this)",
    ),
]


def _free_port() -> int:
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
    """Poll ``url`` until it answers 200; fail with the server log if it dies or times out."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the viz server exited with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    pytest.fail(
        f"the viz server did not answer within {SERVER_START_TIMEOUT} s:\n{log.read_text()}"
    )


@pytest.fixture(scope="module")
def front_end_files() -> None:
    """Solara's front-end files in its local cache (the page cannot use a CDN offline)."""
    from sim.viz import assets

    try:
        assets.install()
    except assets.AssetError as exc:
        pytest.fail(f"cannot cache Solara's front-end files: {exc}")


@pytest.fixture
def viz_url(tmp_path: Path, front_end_files: None) -> Iterator[str]:
    """Serve ``cadre-sim viz baseline`` on a free port; yield its URL; stop it afterwards."""
    port = _free_port()
    log = tmp_path / "server.log"
    env = dict(os.environ, SOLARA_TELEMETRY_MIXPANEL_ENABLE="False", PYTHONUNBUFFERED="1")
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "sim", "viz", "baseline", "--port", str(port)],
            cwd=REPO,
            env=env,
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


def test_browser_view_end_to_end(viz_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.goto(viz_url)

            # the page loads: the readout names the scenario, month 0
            month = page.get_by_test_id("month")
            expect(page.get_by_test_id("scenario")).to_have_text(
                "baseline", timeout=FIRST_RENDER_TIMEOUT_MS
            )
            expect(month).to_have_text("0")
            shares = page.locator(".cadre-chart-shares")
            hierarchy = page.locator(".cadre-chart-hierarchy")
            expect(shares).to_have_attribute("src", re.compile(r".+"))
            shares_before = shares.get_attribute("src")
            hierarchy_before = hierarchy.get_attribute("src")

            # Step several times: the month advances and the charts are redrawn
            step = page.get_by_role("button", name="Step")
            for k in range(1, 4):
                step.click()
                expect(month).to_have_text(str(k))
            expect(shares).not_to_have_attribute("src", shares_before)
            expect(hierarchy).not_to_have_attribute("src", hierarchy_before)

            # the fault-tolerance coverage slider, then Reset: a model with that value
            coverage = page.locator(".v-slider", has_text="Fault tolerance: coverage").locator(
                "[role=slider]"
            )
            coverage_in_force = page.get_by_test_id("param-fault_tolerance.coverage")
            expect(coverage_in_force).to_have_text(
                format_value(load("baseline").params["fault_tolerance.coverage"])
            )
            coverage.focus()
            coverage.press("End")
            expect(coverage).to_have_attribute("aria-valuenow", "1")
            page.get_by_role("button", name="Reset").click()
            expect(month).to_have_text("0")
            expect(coverage_in_force).to_have_text("1")

            # a typed seed reaches the model (Mesa's InputText hands over a string)
            seed = page.get_by_label("Seed (whole number)")
            seed.fill("7")
            seed.press("Enter")
            page.get_by_role("button", name="Reset").click()
            expect(page.get_by_test_id("seed")).to_have_text("7")
            expect(coverage_in_force).to_have_text("1")

            # another scenario: loaded with its values, and Reset keeps them
            chosen = load("false_accuser_crackdown")
            page.locator(".v-select", has_text="scenario").first.click()
            page.get_by_role("option", name=chosen.name, exact=True).click()
            expect(page.get_by_test_id("scenario")).to_have_text(chosen.name)
            expect(month).to_have_text("0")
            expected_coverage = format_value(chosen.params["fault_tolerance.coverage"])
            expect(coverage_in_force).to_have_text(expected_coverage)
            expect(page.get_by_test_id("seed")).to_have_text("1")
            page.get_by_role("button", name="Reset").click()
            expect(page.get_by_test_id("scenario")).to_have_text(chosen.name)
            expect(coverage_in_force).to_have_text(expected_coverage)
            for k in range(1, 7):
                step.click()
                expect(month).to_have_text(str(k))
            switch_month = min(change.start for change in chosen.timeline)
            assert switch_month <= 6, "the screenshot should show a policy switching on"
            expect(page.get_by_test_id("param-crackdown.trace_probability")).to_have_text(
                format_value(chosen.timeline[0].settings["crackdown.trace_probability"])
            )

            # a screenshot of the whole view
            screenshot = tmp_path / "viz.png"
            page.screenshot(path=str(screenshot))
            assert screenshot.stat().st_size > 20_000
            if os.environ.get("CADRE_SIM_UPDATE_SCREENSHOT") == "1":
                README_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(screenshot, README_SCREENSHOT)
        finally:
            browser.close()
