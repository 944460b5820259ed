"""Take the README's screenshots of the browser view, at 1,400 and 1,024 px wide.

Run from the repository (after ``make test`` or ``make demo`` set up .venv,
with Debian's Chromium installed):

    .venv/bin/python docs/screenshots.py

It serves ``cadre-sim viz false_accuser_crackdown`` on a free port of
127.0.0.1 and, in headless Chromium, writes:

* ``docs/img/viz-1400.png``: a single run at month 9 (the campaign against
  false accusers on since month 3, fault-tolerance coverage raised during
  month 8, in force from month 9), with a cadre in the inspector;
* ``docs/img/viz-1024.png``: the same at 1,024 px: the charts in one column;
* ``docs/img/viz-ensemble.png``: ensemble mode at 1,400 px, 8 replicates of
  the scenario against 8 of the baseline, after 12 months.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sim.viz.served import served  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
OUT = REPO / "docs" / "img"
SCENARIO = "false_accuser_crackdown"
TIMEOUT_MS = 120_000


def _step(page: object, months: int) -> None:
    from playwright.sync_api import expect

    month = page.get_by_test_id("month")
    start = int(month.inner_text())
    for k in range(1, months + 1):
        page.get_by_role("button", name="Step", exact=True).click()
        expect(month).to_have_text(str(start + k), timeout=TIMEOUT_MS)


def _top(page: object) -> None:
    """Scroll the main area and the controls to the top; let the last images arrive."""
    page.locator(".cadre-main").evaluate("element => { element.scrollTop = 0; }")
    page.locator(".cadre-sidebar").evaluate("element => { element.scrollTop = 0; }")
    page.wait_for_timeout(1500)


def _single_run(browser: object, url: str, width: int, height: int, out: Path) -> None:
    """A single run at month 9 with a live change and an inspected cadre."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(url)
    expect(page.get_by_test_id("scenario")).to_have_text(SCENARIO, timeout=TIMEOUT_MS)
    _step(page, 8)
    slider = page.get_by_role("slider", name="Fault tolerance: coverage", exact=True)
    slider.focus()
    slider.press("PageUp")
    expect(page.get_by_test_id("policy-marks")).to_contain_text("set coverage", timeout=TIMEOUT_MS)
    _step(page, 1)
    cadre = page.get_by_label("Cadre id (or click a cadre in the organisation view)")
    cadre.fill("12")
    cadre.press("Enter")
    heading = page.get_by_test_id("inspector-heading")
    expect(heading).to_contain_text("Cadre 12", timeout=TIMEOUT_MS)
    _top(page)
    page.screenshot(path=str(out))
    context.close()


def _ensemble(browser: object, url: str, out: Path) -> None:
    """Ensemble mode after 12 months."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    expect(page.get_by_test_id("scenario")).to_have_text(SCENARIO, timeout=TIMEOUT_MS)
    page.get_by_role("button", name="Ensemble", exact=True).click()
    expect(page.get_by_test_id("mode")).to_contain_text("ensemble", timeout=TIMEOUT_MS)
    _step(page, 12)
    _top(page)
    page.screenshot(path=str(out))
    context.close()


def main() -> int:
    """Take the three screenshots; print where they went."""
    from playwright.sync_api import sync_playwright

    from sim.viz import assets

    assets.install()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        with served(["sim", "viz", SCENARIO], Path(tmp) / "server.log", cwd=REPO) as url:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
                try:
                    _single_run(browser, url, 1400, 1000, OUT / "viz-1400.png")
                    _single_run(browser, url, 1024, 900, OUT / "viz-1024.png")
                    _ensemble(browser, url, OUT / "viz-ensemble.png")
                finally:
                    browser.close()
    for name in ("viz-1400.png", "viz-1024.png", "viz-ensemble.png"):
        print(f"wrote {OUT / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
