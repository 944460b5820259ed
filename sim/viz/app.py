"""The browser view of one run: Mesa's SolaraViz with cadre-sim's controls and charts.

Serve it with ``cadre-sim viz [SCENARIO] [--port P]`` or
``solara run sim/viz/app.py``. The scenario shown first is read from the
environment variable :data:`SCENARIO_ENV` (``cadre-sim viz`` sets it), else
``baseline``.

Layout:

* sidebar: a scenario picker (the shipped library), then SolaraViz's
  controls (step, play, reset), then its model parameters: a slider or switch
  for every policy lever, generated from :func:`sim.params.levers` (labels,
  ranges, steps and defaults in one place), the headcount, and an integer
  seed field;
* main area: a readout of the run (scenario, seed, month, shares), the
  work-state shares and the discipline channel over time with a line where a
  timeline policy switches, the organisation as a hierarchy coloured by work
  state, the distribution of reputation or beliefs by orientation, and the
  value of every lever in force.

Choosing a scenario builds a model with its values (and its timeline) and
moves the sliders to them; Reset builds a model with the sliders' values.
Importing this module builds nothing: each browser session builds its model
when its page is first rendered.
"""

from __future__ import annotations

import os
from typing import Any

import solara
from mesa.visualization import Slider, SolaraViz

from sim.errors import InputError
from sim.model import CadreModel
from sim.parameters import registry as P
from sim.scenarios import Scenario, load, shipped
from sim.viz import SCENARIO_ENV
from sim.viz.components import (
    DistributionChart,
    EventsChart,
    HierarchyChart,
    ParametersInForce,
    RunReadout,
    SharesChart,
)

__all__ = [
    "DEFAULT_SCENARIO",
    "DEFAULT_SEED",
    "HEADCOUNT_RANGE",
    "SCENARIO_ENV",
    "BrowserModel",
    "Page",
    "initial_model",
    "lever_label",
    "model_params_for",
    "page",
    "parse_seed",
    "scenario_choices",
]

#: Scenario shown when the environment does not name one.
DEFAULT_SCENARIO = "baseline"
#: Seed of the first model of a session (the command line's default seed too).
DEFAULT_SEED = 1
#: Headcount slider range in the browser: (low, high). A browser view of
#: millions of cadres would not redraw interactively; batches handle those.
HEADCOUNT_RANGE: tuple[int, int] = (100, 5000)
#: Structural parameters that get a control (all other structural ones keep
#: the scenario's value: they fix the shape of the pyramid).
_STRUCTURAL_CONTROLS = ("workforce.population",)
#: Dotted name of the headcount parameter.
_HEADCOUNT = "workforce.population"


def parse_seed(text: Any) -> int:
    """The seed as an integer, from the seed field's text or a number.

    Mesa's ``InputText`` hands the model a string (Mesa issue 3516), which
    numpy cannot seed from; this turns ``" 42 "`` into ``42``.

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


class BrowserModel(CadreModel):
    """:class:`CadreModel` as built by the browser view.

    SolaraViz rebuilds the model on Reset as ``type(model)(**parameters)``
    with the values of its controls. This subclass accepts the seed as the
    seed field's text and remembers the scenario it was built from, for the
    readout; everything else is :class:`CadreModel` unchanged. A seed that
    is not a whole number does not stop the page (an exception would replace
    it with a traceback): the model is built with :data:`DEFAULT_SEED` and
    :attr:`seed_problem` says so, and the readout shows it.

    Args:
        rng: the seed, as text or an integer (see :func:`parse_seed`).
        scenario_name: name of the scenario the parameters came from.
        scenario: ignored. SolaraViz's Reset passes a default Mesa
            ``Scenario`` (with a random generator of its own) to models that
            have one; this model's parameters are its keyword arguments and
            its generator comes from the seed field.
        **kwargs: :class:`CadreModel` keyword arguments (parameters, timeline).

    Attributes:
        seed: the integer seed the model was built with.
        seed_problem: why the seed field's text was not used, or ``""``.
        scenario_name: the scenario's name.

    """

    def __init__(
        self,
        *,
        rng: Any = DEFAULT_SEED,
        scenario_name: str = "",
        scenario: object = None,
        **kwargs: Any,
    ) -> None:
        """Build the model with the parsed seed."""
        del scenario
        self.seed_problem: str = ""
        try:
            self.seed: int = parse_seed(rng)
        except InputError as exc:
            self.seed = DEFAULT_SEED
            self.seed_problem = f"{exc}: built with seed {DEFAULT_SEED} instead"
        self.scenario_name: str = scenario_name
        super().__init__(rng=self.seed, **kwargs)


def lever_label(param: P.Param) -> str:
    """Slider label of a parameter: ``"Fault tolerance: coverage"``."""
    group = param.group.replace("_", " ")
    return f"{group[0].upper()}{group[1:]}: {param.key.replace('_', ' ')}"


def _headcount(value: int) -> int:
    """A scenario's headcount clipped to the browser's slider range."""
    low, high = HEADCOUNT_RANGE
    return int(min(max(value, low), high))


def model_params_for(scenario: Scenario, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """SolaraViz ``model_params`` for ``scenario``: controls at its values, the rest fixed.

    Every policy lever (:func:`sim.params.levers`) gets a slider over its
    allowed range with its slider step, or a switch if it is a boolean; the
    headcount gets a slider over :data:`HEADCOUNT_RANGE`; the seed gets a
    text field. Other structural parameters, the behavioural constants, the
    timeline and the scenario's name are passed unchanged on every Reset.
    Keys are :class:`CadreModel` keyword arguments.
    """
    values = dict(scenario.params)
    values[_HEADCOUNT] = _headcount(int(values[_HEADCOUNT]))
    model_params: dict[str, Any] = {
        "rng": {"type": "InputText", "value": str(seed), "label": "Seed (whole number)"},
        "scenario_name": scenario.name,
        "timeline": tuple(scenario.timeline),
    }
    for p in P.PARAMS:
        value = values[p.name]
        controlled = p.lever and (not p.structural or p.name in _STRUCTURAL_CONTROLS)
        if not controlled:
            model_params[p.kwarg] = value
        elif p.type is bool:
            model_params[p.kwarg] = {"type": "Checkbox", "value": value, "label": lever_label(p)}
        elif p.name == _HEADCOUNT:
            low, high = HEADCOUNT_RANGE
            model_params[p.kwarg] = Slider(
                "Workforce: headcount", value, low, high, p.slider_step, dtype=int
            )
        else:
            model_params[p.kwarg] = Slider(
                lever_label(p), value, p.low, p.high, p.slider_step, dtype=p.type
            )
    return model_params


def initial_model(scenario: Scenario, seed: int = DEFAULT_SEED) -> BrowserModel:
    """The model a session starts from: ``scenario``'s values, timeline and ``seed``.

    Uses the same values :func:`model_params_for` gives the controls, so the
    first model and one built by Reset without touching anything agree.
    """
    kwargs = scenario.model_kwargs()
    kwargs[P.kwarg_of(_HEADCOUNT)] = _headcount(int(kwargs[P.kwarg_of(_HEADCOUNT)]))
    return BrowserModel(rng=seed, scenario_name=scenario.name, **kwargs)


def scenario_choices(first: str) -> list[str]:
    """The picker's entries: the shipped scenarios, plus ``first`` if it is a file."""
    names = shipped()
    return names if first in names else [first, *names]


def _describe_timeline(scenario: Scenario) -> list[str]:
    """One line per timeline entry: when it applies and what it sets."""
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


# Solara components are named in CapWords, as Solara's own are (hence noqa N802).
@solara.component
def ScenarioCard(  # noqa: N802
    choices: list[str], choice: solara.Reactive[str], scenario: Scenario
) -> None:
    """The scenario picker, with the scenario's description and timeline."""
    with solara.Card("Scenario", margin=0, style={"margin-bottom": "12px"}):
        solara.Select("scenario", values=choices, value=choice)
        solara.Text(scenario.description, style={"font-size": "0.85em"})
        timeline = _describe_timeline(scenario)
        if timeline:
            with solara.Column(gap="2px", style={"font-size": "0.8em", "margin-top": "6px"}):
                solara.Text("Timeline (applies over the sliders' values):")
                for line in timeline:
                    solara.Text(line)


@solara.component
def Page() -> None:  # noqa: N802
    """The page: one session's model, its controls and its charts.

    Changing the scenario takes two renders: the first removes SolaraViz
    (and so its controls in the sidebar), the second mounts a new one for
    the new scenario. SolaraViz's controls keep their own state and live in
    the app's sidebar, outside this component's subtree, so only unmounting
    them makes their sliders, seed field and pending parameters start afresh
    from the new scenario's values.
    """
    first = solara.use_memo(lambda: os.environ.get(SCENARIO_ENV, DEFAULT_SCENARIO), [])
    choices = solara.use_memo(lambda: scenario_choices(first), [first])
    choice = solara.use_reactive(first)
    shown = solara.use_reactive(first)

    def follow_choice() -> None:
        shown.set(choice.value)

    solara.use_effect(follow_choice, [choice.value])

    def load_shown() -> tuple[Scenario | None, str]:
        try:
            return load(shown.value), ""
        except InputError as exc:
            return None, str(exc)

    scenario, problem = solara.use_memo(load_shown, [shown.value])
    built = solara.use_memo(lambda: initial_model(scenario) if scenario else None, [scenario])
    model = solara.use_reactive(built)
    model_params = solara.use_memo(
        lambda: model_params_for(scenario) if scenario else {}, [scenario]
    )
    solara.Title("cadre-sim")
    if scenario is None or model.value is None:
        with solara.Sidebar():
            solara.Select("scenario", values=choices, value=choice)
        solara.Error(f"cannot load scenario {shown.value!r}: {problem}")
        return
    current = model.value

    with solara.Sidebar():
        ScenarioCard(choices, choice, scenario)
    if shown.value != choice.value:
        solara.Text(f"loading scenario {choice.value} ...")
        return
    with solara.Column(style={"padding": "4px 12px"}):
        RunReadout(current, current.scenario_name, current.seed, current.seed_problem)
        with solara.Columns([1, 1]):
            SharesChart(current)
            EventsChart(current)
        with solara.Columns([1, 1]):
            HierarchyChart(current)
            DistributionChart(current)
        ParametersInForce(current)
        SolaraViz(
            model,
            components=[],
            model_params=model_params,
            name="cadre-sim: cadres lying flat under incentive regimes",
        ).key(f"solaraviz-{shown.value}")


#: The page Solara serves (``solara run sim/viz/app.py``).
page = Page
