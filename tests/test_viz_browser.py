"""End-to-end tests of the browser view in headless Chromium, driven by Playwright.

One ``cadre-sim viz baseline`` server on a free port of 127.0.0.1 serves the
module's tests (each opens its own page, so its own Solara session), in
Debian's Chromium (``/usr/bin/chromium``, installed by ``.ci/run``;
Playwright never downloads a browser here):

* the page loads; Step advances; a lever plus Reset, a typed seed and another
  scenario build the right model;
* a lever moved mid-run shows as pending in the "in force" panel, is listed
  as a policy switch at the next month, and is in force after the Step;
* ensemble mode shows both sides' bands and the difference, and a live
  change moves the chosen side only;
* the inspector shows a chosen cadre's history, by click or by id;
* export downloads data (CSV, Parquet) and a chart (PNG) that load;
* a user's own Mesa dashboard around ``CadreModel`` renders its chart in
  Mesa's grid (a separate ``solara run`` server).

The servers are stopped in all cases.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from sim.scenarios import load
from sim.viz.served import ServerError, served
from sim.viz.style import format_value

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parent.parent
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
#: Milliseconds allowed for a page's first render and for building an ensemble.
FIRST_RENDER_TIMEOUT_MS = 60_000
BUILD_TIMEOUT_MS = 90_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(300),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason=f"{CHROMIUM} is not installed (apt-get install chromium; .ci/run does this)",
    ),
]


@pytest.fixture(scope="module")
def front_end_files() -> None:
    """Solara's front-end files in its local cache (the page cannot use a CDN offline)."""
    from sim.viz import assets

    try:
        assets.install()
    except assets.AssetError as exc:
        pytest.fail(f"cannot cache Solara's front-end files: {exc}")


@pytest.fixture(scope="module")
def viz_url(tmp_path_factory: pytest.TempPathFactory, front_end_files: None) -> Iterator[str]:
    """Serve ``cadre-sim viz baseline``; yield its URL; stop it afterwards."""
    log = tmp_path_factory.mktemp("viz") / "server.log"
    try:
        with served(["sim", "viz", "baseline"], log, cwd=REPO) as url:
            yield url
    except ServerError as exc:
        pytest.fail(str(exc))
    text = log.read_text()
    assert "samesite" not in text.lower(), f"cookie warnings in the server log:\n{text}"
    assert "Traceback" not in text, f"errors in the server log:\n{text}"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium for the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: object, viz_url: str) -> Iterator[object]:
    """A fresh page (its own Solara session) on the view, after its first render."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    tab = context.new_page()
    tab.goto(viz_url)
    expect(tab.get_by_test_id("scenario")).to_have_text("baseline", timeout=FIRST_RENDER_TIMEOUT_MS)
    expect(tab.get_by_test_id("month")).to_have_text("0")
    try:
        yield tab
    finally:
        context.close()


def _step(page: object, months: int) -> None:
    """Press Step ``months`` times, waiting for each month to show."""
    from playwright.sync_api import expect

    month = page.get_by_test_id("month")
    start = int(month.inner_text())
    for k in range(1, months + 1):
        page.get_by_role("button", name="Step", exact=True).click()
        expect(month).to_have_text(str(start + k))


def _set_lever_to_max(page: object, label: str) -> None:
    """Move the slider named ``label`` to its maximum with the keyboard."""
    slider = page.get_by_role("slider", name=label, exact=True)
    slider.focus()
    slider.press("End")


def test_view_steps_resets_and_loads_scenarios(page: object) -> None:
    from playwright.sync_api import expect

    month = page.get_by_test_id("month")
    shares = page.get_by_test_id("chart-shares").locator("img")
    organisation = page.get_by_test_id("organisation-view")
    expect(shares).to_have_attribute("src", re.compile(r".+"))
    shares_before = shares.get_attribute("src")
    organisation_before = organisation.get_attribute("src")
    _step(page, 3)
    expect(shares).not_to_have_attribute("src", shares_before)
    expect(organisation).not_to_have_attribute("src", organisation_before)

    # a lever, then Reset: a new run from month 0 with that value
    coverage = page.get_by_test_id("param-fault_tolerance.coverage")
    expect(coverage).to_have_text(format_value(load("baseline").params["fault_tolerance.coverage"]))
    _set_lever_to_max(page, "Fault tolerance: coverage")
    expect(page.get_by_test_id("lever-fault_tolerance.coverage")).to_have_text("1")
    page.get_by_role("button", name="Reset", exact=True).click()
    expect(month).to_have_text("0", timeout=BUILD_TIMEOUT_MS)
    expect(coverage).to_have_text("1")

    # a typed seed takes effect on Reset
    seed = page.get_by_label("Seed (whole number)")
    seed.fill("7")
    seed.press("Enter")
    page.get_by_role("button", name="Reset", exact=True).click()
    expect(page.get_by_test_id("seed")).to_have_text("7", timeout=BUILD_TIMEOUT_MS)
    expect(coverage).to_have_text("1")

    # another scenario: its values, and its timeline switching on
    chosen = load("false_accuser_crackdown")
    page.get_by_role("button", name=re.compile(r"^Scenario")).click()
    page.get_by_role("option", name=chosen.name, exact=True).click()
    expect(page.get_by_test_id("scenario")).to_have_text(chosen.name, timeout=BUILD_TIMEOUT_MS)
    expect(month).to_have_text("0")
    expect(coverage).to_have_text(format_value(chosen.params["fault_tolerance.coverage"]))
    switch = min(change.start for change in chosen.timeline)
    _step(page, switch)
    expect(page.get_by_test_id("param-crackdown.trace_probability")).to_have_text(
        format_value(chosen.timeline[0].settings["crackdown.trace_probability"])
    )
    expect(page.get_by_test_id("policy-marks")).to_contain_text(f"month {switch}:")


def test_lever_moved_mid_run_changes_in_force_panel_and_marks_that_month(page: object) -> None:
    from playwright.sync_api import expect

    _step(page, 3)
    coverage = page.get_by_test_id("param-fault_tolerance.coverage")
    before = coverage.inner_text()
    _set_lever_to_max(page, "Fault tolerance: coverage")
    # pending: still the old value this month, the new one from month 4, marked there
    expect(page.get_by_test_id("pending-fault_tolerance.coverage")).to_have_text(
        re.compile(r"\u2192 1 from month 4")
    )
    expect(coverage).to_have_text(before)
    marks = page.get_by_test_id("policy-marks")
    expect(marks).to_contain_text("month 4: set coverage = 1")
    _step(page, 1)
    expect(coverage).to_have_text("1")
    expect(page.get_by_test_id("pending-fault_tolerance.coverage")).to_have_count(0)
    expect(marks).to_contain_text("month 4: set coverage = 1")
    expect(marks).not_to_contain_text("next step")


def test_ensemble_mode_shows_bands_for_both_sides_and_the_difference(page: object) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="Ensemble", exact=True).click()
    expect(page.get_by_test_id("mode")).to_have_text(
        "ensemble of 8 replicates per side", timeout=BUILD_TIMEOUT_MS
    )
    expect(page.get_by_test_id("comparison")).to_have_text("baseline")
    for name in ("ensemble1", "ensemble2"):
        expect(page.get_by_test_id(f"chart-{name}").locator("img")).to_have_attribute(
            "src", re.compile(r".+")
        )
    _step(page, 2)
    summary = page.get_by_test_id("ensemble1-summary")
    expect(summary).to_contain_text("flat share, month 2")
    text = summary.inner_text()
    assert "baseline (chosen)" in text and "baseline (comparison)" in text, text
    # identical sides, common seeds: the difference is exactly zero
    assert re.search(r"difference 0 \(95% CI 0 to 0\)", text), text

    # a live change moves the chosen side only: the difference opens up
    _set_lever_to_max(page, "Accusation: false report rate")
    expect(page.get_by_test_id("policy-marks")).to_contain_text("month 3: set false report rate")
    _step(page, 4)
    expect(summary).to_contain_text("month 6")
    text = summary.inner_text()
    assert not re.search(r"difference 0 \(", text), text
    expect(page.get_by_test_id("ensemble2-summary")).to_contain_text("active share, month 6")


def _first_bottom_cadre() -> int:
    """The smallest id of a bottom-level cadre in the page's first run (baseline, seed 1)."""
    from sim.viz.session import RunSettings, Side

    settings = RunSettings.for_scenario(load("baseline"), load("baseline"))
    (model,) = Side(settings.scenario, settings.values, settings.seeds()).models
    return min(agent.unique_id for agent in model.agents if agent.level == 1)


def test_inspector_shows_a_chosen_cadres_history(page: object) -> None:
    from playwright.sync_api import expect

    heading = page.get_by_test_id("inspector-heading")
    # by id: a cadre serving at the bottom level at month 0 of the page's first run (the
    # career replay before month 0 retires the first cadres, so ids do not start at 1)
    chosen = _first_bottom_cadre()
    cadre_id = page.get_by_label("Cadre id (or click a cadre in the organisation view)")
    cadre_id.fill(str(chosen))
    cadre_id.press("Enter")
    expect(heading).to_contain_text(f"Cadre {chosen}: level 1")
    expect(page.get_by_test_id("inspector-traits")).to_contain_text("risk aversion")
    expect(page.get_by_test_id("inspector-beliefs")).to_contain_text("false accusation")
    expect(page.get_by_test_id("inspector-states")).to_have_text(re.compile(r"^month 0 \w+$"))
    _step(page, 3)
    states = page.get_by_test_id("inspector-states")
    expect(states).to_have_text(re.compile(r"(months \d+-3|month 3) \w+$"))
    expect(page.get_by_test_id("inspector-cases")).to_be_visible()
    expect(page.get_by_test_id("chart-cadre").locator("img")).to_have_attribute(
        "src", re.compile(r".+")
    )

    # by clicking a post at the top of the organisation view
    organisation = page.get_by_test_id("organisation-view")
    box = organisation.bounding_box()
    organisation.click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.9})
    expect(heading).not_to_contain_text(f"Cadre {chosen}:")
    expect(heading).to_contain_text(re.compile(r"Cadre \d+: level 1"))
    expect(states).to_have_text(re.compile(r"^months? 0"))


def test_export_downloads_data_and_figures_that_load(page: object) -> None:
    _step(page, 2)
    with page.expect_download() as csv_download:
        page.get_by_role("button", name="Data (CSV)").click()
    csv = csv_download.value
    assert csv.suggested_filename == "cadre-sim_baseline_seed1_month2_data.csv"
    frame = pd.read_csv(csv.path())
    assert list(frame["month"]) == [0, 1, 2]
    assert {"side", "scenario", "seed", "flat_share", "active_share"} <= set(frame.columns)

    with page.expect_download() as parquet_download:
        page.get_by_role("button", name="Data (Parquet)").click()
    table = pd.read_parquet(parquet_download.value.path())
    pd.testing.assert_frame_equal(table, frame, check_dtype=False)

    with page.expect_download() as png_download:
        page.get_by_role("button", name="Download the organisation chart as PNG").click()
    png = Path(png_download.value.path()).read_bytes()
    assert png.startswith(PNG_MAGIC) and len(png) > 5_000
    shares = "Download the work states (flat = lying flat) chart as PNG"
    with page.expect_download() as png_download:
        page.get_by_role("button", name=shares).click()
    assert Path(png_download.value.path()).read_bytes().startswith(PNG_MAGIC)


USER_DASHBOARD = """\
from mesa.visualization import SolaraViz, make_plot_component

from sim.model import CadreModel

page = SolaraViz(
    CadreModel(rng=1, workforce_population=200),
    components=[make_plot_component("flat_share")],
)
"""


def test_user_dashboard_with_mesa_plot_component_renders_a_chart(
    tmp_path: Path, browser: object, front_end_files: None
) -> None:
    from playwright.sync_api import expect

    app = tmp_path / "dashboard.py"
    app.write_text(USER_DASHBOARD)
    command = ["solara", "run", str(app), "--host", "127.0.0.1", "--production", "--no-open"]
    with served(command, tmp_path / "server.log", cwd=REPO, env={"PYTHONPATH": str(REPO)}) as url:
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        try:
            tab = context.new_page()
            missing: list[str] = []
            tab.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
            tab.goto(url)
            chart = tab.locator(".vue-grid-item img")
            expect(chart).to_have_attribute(
                "src", re.compile(r".+"), timeout=FIRST_RENDER_TIMEOUT_MS
            )
            before = chart.get_attribute("src")
            tab.get_by_role("button", name="Step").click()
            expect(chart).not_to_have_attribute("src", before)
            assert not missing, f"front-end files not found: {missing}"
        finally:
            context.close()
