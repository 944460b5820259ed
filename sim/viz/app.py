"""The browser view: one run or an ensemble, live policy changes, a cadre inspector, export.

Serve it with ``cadre-sim viz [SCENARIO] [--port P]`` or
``solara run sim/viz/app.py``. The scenario shown first is read from the
environment variable :data:`SCENARIO_ENV` (``cadre-sim viz`` sets it), else
``baseline``.

Layout (works from 1,024 px wide up; the controls can be hidden):

* header: the app's icon and title, a button that shows or hides the controls;
* controls: the scenario picker; the mode (single run or ensemble), Reset,
  Play and Step; the settings that take effect on Reset (seed, headcount,
  levels, span, warm-up; replicates and comparison scenario of an
  ensemble); a slider or switch for every policy lever, generated from
  :func:`sim.parameters.registry.levers`, which applies from the next month
  when moved during a run (:class:`sim.viz.session.Session`);
* main area: a readout of the run; the charts (:mod:`sim.viz.components`),
  each with a PNG download; the cadre inspector, what is in force, and the
  data export (:mod:`sim.viz.panels`).

Mesa's own plot component draws the single run's time series; the page's
controls are its own so that each has an accessible name and Mesa's
internals (Render Interval, Use Threads) stay out of the way. Importing this
module builds nothing: each browser session builds its model when its page
is first rendered.
"""

from __future__ import annotations

import os
import time
import warnings
from dataclasses import replace
from typing import Any

import reacton.core
import solara
import solara.lab
from mesa.visualization.utils import force_update, update_counter

from sim.errors import InputError
from sim.parameters import registry as P
from sim.scenarios import Scenario, load, shipped
from sim.viz import SCENARIO_ENV
from sim.viz.components import (
    DistributionChart,
    EnsembleChart,
    EventsChart,
    OrganisationChart,
    SharesChart,
)
from sim.viz.controls import Lever, NumberSetting, tagged
from sim.viz.page_style import PAGE_CSS
from sim.viz.panels import ExportCard, Inspector, ParametersInForce, RunReadout
from sim.viz.session import (
    DEFAULT_SEED,
    HEADCOUNT_RANGE,
    REPLICATE_RANGE,
    START_SETTINGS,
    RunSettings,
    Session,
    live_levers,
)

__all__ = [
    "COMPARISON_DEFAULT",
    "DEFAULT_SCENARIO",
    "PLAY_PAUSE",
    "TITLE",
    "Page",
    "page",
    "parse_seed",
    "scenario_choices",
    "timeline_lines",
]

#: Scenario shown when the environment does not name one, and the default comparison.
DEFAULT_SCENARIO = "baseline"
COMPARISON_DEFAULT = "baseline"
#: The page's title (header and browser tab).
TITLE = "cadre-sim: cadres lying flat under incentive regimes"
#: Seconds Play waits between steps (on top of the step and the redraw).
PLAY_PAUSE = 0.05

# Solara warns on every page load that a session cookie over plain http falls
# back to SameSite=Lax; that is right for a view served on 127.0.0.1.
warnings.filterwarnings(
    "ignore", message="Cookies with samesite=none require https", category=UserWarning
)


def parse_seed(text: Any) -> int:
    """The seed as an integer, from the seed field's text or a number.

    Raises:
        InputError: the text is not a whole number >= 0.

    """
    if isinstance(text, bool):
        raise InputError(f"seed must be a whole number >= 0, got {text!r}")
    if isinstance(text, int):
        value = text
    else:
        try:
            value = int(str(text).strip())
        except ValueError:
            raise InputError(f"seed must be a whole number >= 0, got {text!r}") from None
    if value < 0:
        raise InputError(f"seed must be a whole number >= 0, got {text!r}")
    return value


def scenario_choices(first: str) -> list[str]:
    """The picker's entries: the shipped scenarios, plus ``first`` if it is a file."""
    names = shipped()
    return names if first in names else [first, *names]


def timeline_lines(scenario: Scenario) -> list[str]:
    """One line per timeline entry of ``scenario``: when it applies and what it sets."""
    lines = []
    for change in scenario.timeline:
        when = (
            f"from month {change.start}"
            if change.end is None
            else f"months {change.start} to {change.end - 1}"
        )
        settings = ", ".join(f"{name} = {value}" for name, value in change.settings.items())
        label = f"{change.label}: " if change.label else ""
        lines.append(f"{when}: {label}{settings}")
    return lines


def _start_draft(settings: RunSettings) -> dict[str, Any]:
    """The Reset card's values for ``settings``."""
    draft: dict[str, Any] = {name: settings.values[name] for name in START_SETTINGS}
    draft["seed"] = str(settings.seed)
    draft["replicates"] = settings.replicates
    draft["comparison"] = settings.comparison.name
    return draft


def _next_settings(
    session: Session, draft: dict[str, Any], ensemble: bool
) -> tuple[RunSettings, str]:
    """What Reset builds: the user's values, the Reset card, the mode; and a seed warning."""
    warning = ""
    try:
        seed = parse_seed(draft["seed"])
    except InputError as exc:
        seed = DEFAULT_SEED
        warning = f"{exc}: built with seed {DEFAULT_SEED} instead"
    settings = session.settings
    comparison = settings.comparison
    if draft["comparison"] != comparison.name:
        comparison = load(draft["comparison"])
    values = {**session.user_values(), **{name: draft[name] for name in START_SETTINGS}}
    settings = replace(
        settings.with_values(values),
        seed=seed,
        ensemble=ensemble,
        replicates=int(draft["replicates"]),
        comparison=comparison,
    )
    return settings, warning


@solara.component
def Header(title: str, sidebar: solara.Reactive[bool]) -> None:  # noqa: N802
    """The page's header: show/hide the controls, the app's icon and its title."""
    with solara.v.Html(tag="header", class_="cadre-header"):
        solara.Button(
            icon_name="mdi-menu",
            icon=True,
            dark=True,
            on_click=lambda: sidebar.set(not sidebar.value),
            attributes={
                "aria-label": "Hide the controls" if sidebar.value else "Show the controls",
                "aria-expanded": "true" if sidebar.value else "false",
            },
        )
        solara.v.Icon(children=["mdi-account-group"], dark=True, class_="cadre-app-icon")
        solara.v.Html(tag="h1", class_="cadre-title", children=[title])


@solara.component
def ScenarioCard(  # noqa: N802
    choices: list[str], scenario: Scenario, on_choose: Any
) -> None:
    """The scenario picker, with the scenario's description and timeline."""
    with solara.Card("Scenario", margin=0, classes=["cadre-card"]):
        solara.Select("Scenario", values=choices, value=scenario.name, on_value=on_choose)
        solara.Text(scenario.description, classes=["cadre-small"])
        lines = timeline_lines(scenario)
        if lines:
            with solara.Column(gap="2px", classes=["cadre-small"]):
                solara.Text("Timeline (applies over the levers' starting values):")
                for line in lines:
                    solara.Text(line)


@solara.component
def RunCard(  # noqa: N802
    session: Session,
    playing: solara.Reactive[bool],
    busy: bool,
    on_mode: Any,
    on_reset: Any,
    on_step: Any,
) -> None:
    """Mode (single run or ensemble), Reset, Play/Pause and Step (not while ``busy``)."""
    with solara.Card("Run", margin=0, classes=["cadre-card"]):
        solara.ToggleButtonsSingle(
            value="Ensemble" if session.ensemble else "Single run",
            values=["Single run", "Ensemble"],
            on_value=on_mode,
            dense=True,
        )
        with solara.Row(
            gap="6px",
            style={"margin-top": "8px", "flex-wrap": "wrap"},
            classes=["cadre-run-buttons"],
        ):
            solara.Button(
                "Reset", icon_name="mdi-restore", color="primary", on_click=on_reset, small=True
            )
            solara.Button(
                "Pause" if playing.value else "Play",
                icon_name="mdi-pause" if playing.value else "mdi-play",
                color="primary",
                small=True,
                on_click=lambda: playing.set(not playing.value),
                disabled=busy,
            )
            solara.Button(
                "Step",
                icon_name="mdi-skip-next",
                color="primary",
                small=True,
                on_click=on_step,
                disabled=playing.value or busy,
            )
        if session.ensemble:
            solara.Text(
                f"Ensemble: {len(session.chosen.models)} replicates of "
                f"{session.chosen.scenario.name} and of {session.settings.comparison.name}, "
                "common seeds. A lever moved now changes the chosen side only.",
                classes=["cadre-small"],
            )


@solara.component
def ResetCard(  # noqa: N802
    session: Session, draft: solara.Reactive[dict[str, Any]], comparisons: list[str]
) -> None:
    """The settings fixed when the models are built: each takes effect on Reset."""

    def put(name: str, value: Any) -> None:
        draft.set({**draft.value, name: value})

    current = _start_draft(session.settings)
    waiting = [name for name, value in draft.value.items() if str(value) != str(current[name])]
    with solara.Card("Take effect on Reset", margin=0, classes=["cadre-card"]):
        solara.InputText(
            "Seed (whole number)", value=str(draft.value["seed"]), on_value=lambda t: put("seed", t)
        )
        for name in START_SETTINGS:
            p = P.by_name(name)
            low, high = HEADCOUNT_RANGE if name == "workforce.population" else (p.low, p.high)
            high = min(high, 120) if name == "simulation.warmup_months" else high
            Lever(
                replace(p, low=low, high=high),
                draft.value[name],
                put,
                note="on Reset",
            )
        NumberSetting(
            "Ensemble: replicates per side",
            draft.value["replicates"],
            REPLICATE_RANGE[0],
            REPLICATE_RANGE[1],
            1,
            lambda value: put("replicates", int(value)),
            testid="lever-replicates",
            note="on Reset",
        )
        solara.Select(
            "Ensemble: comparison scenario (on Reset)",
            values=comparisons,
            value=draft.value["comparison"],
            on_value=lambda name: put("comparison", name),
        )
        if waiting:
            solara.Info(
                "Press Reset to apply: " + ", ".join(waiting), dense=True, classes=["cadre-small"]
            )


@solara.component
def LeversCard(session: Session, on_lever: Any) -> None:  # noqa: N802
    """A control for every policy lever, grouped; moved during a run it applies next month.

    Re-renders each month to follow the values in force (a timeline switch
    moves its lever), but each :class:`Lever` is redrawn only if its value
    changed.
    """
    update_counter.get()
    with solara.Card("Policy levers", margin=0, classes=["cadre-card"]):
        solara.Text(
            "Moved during a run, a lever applies from the next month (marked on the charts); "
            "Reset starts again from month 0 with the levers' current values.",
            classes=["cadre-small"],
        )
        group = ""
        for p in live_levers():
            if p.group != group:
                group = p.group
                solara.v.Html(tag="h3", class_="cadre-group", children=[P.GROUPS[group]])
            Lever(p, session.lever_value(p.name), on_lever, pending=p.name in session.pending)


@solara.component
def Charts(session: Session, selected: solara.Reactive[int | None]) -> None:  # noqa: N802
    """The charts of the mode: Mesa's time series for a run, bands for an ensemble."""
    first = solara.use_reactive("flat_share")
    second = solara.use_reactive("active_share")
    with solara.v.Html(tag="div", class_="cadre-charts"):
        if session.ensemble:
            EnsembleChart(session, first, "ensemble1")
            EnsembleChart(session, second, "ensemble2")
        else:
            SharesChart(session)
            EventsChart(session)
        OrganisationChart(session, selected)
        DistributionChart(session)


@solara.component
def Page() -> None:  # noqa: N802
    """The page: one session's run, its controls, charts, inspector and export."""
    first = solara.use_memo(lambda: os.environ.get(SCENARIO_ENV, DEFAULT_SCENARIO), [])
    choices = solara.use_memo(lambda: scenario_choices(first), [first])

    def initial() -> tuple[Session | None, str]:
        try:
            scenario = load(first)
            comparison = load(COMPARISON_DEFAULT)
        except InputError as exc:
            return None, str(exc)
        return Session(RunSettings.for_scenario(scenario, comparison)), ""

    built, problem = solara.use_memo(initial, [])
    session = solara.use_reactive(built)
    draft = solara.use_reactive(_start_draft(built.settings) if built else {})
    selected = solara.use_reactive(None)
    warning = solara.use_reactive("")
    playing = solara.use_reactive(False)
    sidebar = solara.use_reactive(True)
    error = solara.use_reactive(problem)

    # Every component that shows the run re-renders on Mesa's update counter;
    # inside the page's render context their renders are batched into one.
    render_context = solara.use_memo(reacton.core.get_render_context, [])
    job = solara.use_ref(None)
    builds = solara.use_reactive(0)
    building = solara.use_reactive("")

    def rebuild(settings: RunSettings, seed_warning: str = "") -> None:
        """Build a new session in a worker thread; the page says so meanwhile."""
        playing.set(False)
        job.current = (settings, seed_warning)
        runs = len(settings.seeds()) * (2 if settings.ensemble else 1)
        building.set(f"building {runs} model{'s' if runs > 1 else ''} ...")
        builds.set(builds.value + 1)

    def build_job() -> None:
        if job.current is None:
            return
        settings, seed_warning = job.current
        job.current = None
        fresh = Session(settings)
        with render_context:
            session.set(fresh)
            selected.set(None)
            warning.set(seed_warning)
            building.set("")
            force_update()

    solara.lab.use_task(build_job, dependencies=[builds.value], prefer_threaded=True)

    def choose(name: str) -> None:
        try:
            scenario = load(name)
        except InputError as exc:
            error.set(f"cannot load scenario {name!r}: {exc}")
            return
        error.set("")
        current = session.value.settings
        settings = RunSettings.for_scenario(
            scenario,
            current.comparison,
            seed=current.seed,
            ensemble=current.ensemble,
            replicates=current.replicates,
        )
        draft.set(_start_draft(settings))
        rebuild(settings)

    def reset(ensemble: bool | None = None) -> None:
        mode = session.value.ensemble if ensemble is None else ensemble
        settings, seed_warning = _next_settings(session.value, draft.value, mode)
        draft.set(_start_draft(settings))
        rebuild(settings, seed_warning)

    def step() -> None:
        session.value.step()
        with render_context:
            force_update()

    def lever(name: str, value: Any) -> None:
        session.value.set_lever(name, value)
        with render_context:
            force_update()

    def play() -> None:
        while playing.value:
            step()
            time.sleep(PLAY_PAUSE)

    solara.lab.use_task(play, dependencies=[playing.value], prefer_threaded=True)
    # The handlers only touch reactive values and refs, which are the same on
    # every render: keeping the first render's functions keeps the controls'
    # arguments equal, so a render of the page does not redraw every lever.
    handlers = solara.use_memo(
        lambda: {
            "choose": choose,
            "mode": lambda mode: reset(ensemble=mode == "Ensemble"),
            "reset": lambda: reset(),
            "step": step,
            "lever": lever,
        },
        [],
    )

    solara.Title("cadre-sim")
    solara.Style(PAGE_CSS)
    if session.value is None:
        solara.Error(f"cannot load scenario {first!r}: {error.value}")
        return
    current = session.value
    with solara.v.Html(tag="div", class_="cadre-app"):
        Header(TITLE, sidebar)
        body = "cadre-body" if sidebar.value else "cadre-body cadre-closed"
        with solara.v.Html(tag="div", class_=body):
            with solara.v.Html(
                tag="aside", class_="cadre-sidebar", attributes={"aria-label": "Controls"}
            ):
                if sidebar.value:
                    ScenarioCard(choices, current.chosen.scenario, handlers["choose"])
                    RunCard(
                        current,
                        playing,
                        busy=bool(building.value),
                        on_mode=handlers["mode"],
                        on_reset=handlers["reset"],
                        on_step=handlers["step"],
                    )
                    ResetCard(current, draft, shipped())
                    LeversCard(current, handlers["lever"])
            with solara.v.Html(tag="main", class_="cadre-main"):
                if error.value:
                    solara.Error(error.value)
                if building.value:
                    solara.ProgressLinear(True)
                    tagged("div", "building", building.value, class_="cadre-small")
                RunReadout(current, warning.value)
                Charts(current, selected)
                with solara.v.Html(tag="div", class_="cadre-panels"):
                    Inspector(current, selected)
                    ExportCard(current)
                ParametersInForce(current)


#: The page Solara serves (``solara run sim/viz/app.py``).
page = Page
