"""Fast tests of the browser view without a browser: layout, figures, controls, CLI."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
from mesa.visualization import Slider

from sim.cli.viz import HOST, port_number, run_viz
from sim.errors import InputError
from sim.model import CadreModel, build_organisation
from sim.parameters import registry as P
from sim.scenarios import load
from sim.viz import components as C
from sim.viz.app import (
    DEFAULT_SEED,
    HEADCOUNT_RANGE,
    BrowserModel,
    initial_model,
    model_params_for,
    parse_seed,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------
# hierarchy layout
# --------------------------------------------------------------------------
def test_layout_of_a_small_tree_is_tidy() -> None:
    # Two top posts; post 4 has subordinates 0 and 1, post 5 has 2 and 3.
    level = [0, 0, 0, 0, 1, 1]
    parent = [4, 4, 5, 5, -1, -1]
    layout = C.hierarchy_layout(level, parent)
    assert layout.n_levels == 2
    np.testing.assert_allclose(layout.x[:4], [0.125, 0.375, 0.625, 0.875])
    np.testing.assert_allclose(layout.x[4:], [0.25, 0.75])
    np.testing.assert_allclose(layout.y, level)
    assert layout.segments.shape == (4, 2, 2)
    np.testing.assert_allclose(layout.segments[0], [[0.125, 0.0], [0.25, 1.0]])


def test_layout_orders_units_under_their_superior_depth_first() -> None:
    # Subordinates listed out of order: post 0 belongs to superior 5, post 1 to 4.
    level = [0, 0, 0, 1, 1, 1]
    parent = [5, 4, 3, -1, -1, -1]
    layout = C.hierarchy_layout(level, parent)
    bottom = np.argsort(layout.x[:3])
    # left to right at the bottom: the subordinates of 3, then of 4, then of 5
    assert [parent[i] for i in bottom] == [3, 4, 5]
    for sup in (3, 4, 5):
        child = parent.index(sup)
        assert layout.x[sup] == pytest.approx(layout.x[child])


@pytest.mark.parametrize(
    ("population", "levels", "span"), [(1000, 5, 4), (137, 3, 6), (5000, 8, 3)]
)
def test_layout_of_a_model_pyramid(population: int, levels: int, span: int) -> None:
    org = build_organisation(population, levels, span)
    layout = C.hierarchy_layout(org.post_level, org.post_parent)
    n = org.n_posts
    for array in (layout.x, layout.y, layout.size):
        assert array.shape == (n,)
        assert np.isfinite(array).all()
    assert ((layout.x > 0) & (layout.x < 1)).all()
    assert (layout.size > 0).all()
    # levels are rows: each post stays within its level's band
    assert (np.abs(layout.y - org.post_level) <= C.LEVEL_BAND / 2 + 1e-9).all()
    # every superior sits at the mean position of its subordinates
    has_parent = org.post_parent >= 0
    sums = np.bincount(org.post_parent[has_parent], weights=layout.x[has_parent], minlength=n)
    counts = np.bincount(org.post_parent[has_parent], minlength=n)
    superiors = counts > 0
    np.testing.assert_allclose(layout.x[superiors], sums[superiors] / counts[superiors])
    # at the bottom, left to right, units are contiguous and follow their superiors' order
    bottom = np.flatnonzero(org.post_level == 0)
    bosses = org.post_parent[bottom[np.argsort(layout.x[bottom])]]
    assert (np.diff(layout.x[bosses]) >= 0).all()
    assert len(set(bosses.tolist())) == int((np.diff(bosses) != 0).sum()) + 1


def test_layout_is_computed_once_per_model(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = C.hierarchy_layout

    def counting(post_level, post_parent, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(len(post_level))
        return real(post_level, post_parent, *args, **kwargs)

    monkeypatch.setattr(C, "hierarchy_layout", counting)
    model = CadreModel(rng=3, workforce_population=300)
    first = C.model_layout(model)
    for _ in range(4):
        model.step()
        C.hierarchy_figure(model)
    assert calls == [model.org.n_posts]
    assert C.model_layout(model) is first
    other = CadreModel(rng=4, workforce_population=200)
    C.hierarchy_figure(other)
    assert calls == [model.org.n_posts, other.org.n_posts]


def test_post_codes_follow_holders_work_states() -> None:
    model = CadreModel(rng=5, workforce_population=200)
    model.step()
    codes = C.post_codes(model)
    holder = model.org.post_holder
    held = holder >= 0
    np.testing.assert_array_equal(codes[held], model.pop.state[holder[held]])
    # a vacated post shows as vacant, an abolished vacant post as closed
    vacated, abolished = np.flatnonzero(held)[:2]
    model.org.post_holder[vacated] = -1
    model.org.post_holder[abolished] = -1
    model.org.post_open[abolished] = False
    codes = C.post_codes(model)
    assert codes[vacated] == C.VACANT
    assert codes[abolished] == C.CLOSED
    # the drawing has one marker per post except abolished ones
    figure = C.hierarchy_figure(model)
    (markers,) = figure.axes[0].collections[1:]
    assert len(markers.get_offsets()) == model.org.n_posts - 1


# --------------------------------------------------------------------------
# figures and the cost of a step + redraw
# --------------------------------------------------------------------------
def _redraw_all(model: CadreModel) -> list[bytes]:
    """What the page does after a step: every chart rebuilt and rendered to PNG."""
    frame = model.timeseries()
    figures = [
        C.shares_figure(frame, model.policy_marks),
        C.events_figure(frame, model.policy_marks),
        C.hierarchy_figure(model),
        C.distribution_figure(model, C.DISTRIBUTIONS["reputation"]),
    ]
    return [C.figure_png(figure) for figure in figures]


def test_step_and_redraw_at_1000_cadres() -> None:
    scenario = load("false_accuser_crackdown")
    model = initial_model(scenario)
    assert model.org.n_posts == 1000
    before = _redraw_all(model)
    times = []
    frames = []
    for _ in range(5):
        start = time.perf_counter()
        model.step()
        frames.append(_redraw_all(model))
        times.append(time.perf_counter() - start)
    print(
        f"\nstep + redraw of all charts at 1,000 cadres: median {1000 * np.median(times):.0f} ms, "
        f"max {1000 * max(times):.0f} ms over {len(times)} steps"
    )
    for pngs in [before, *frames]:
        assert all(png.startswith(PNG_MAGIC) for png in pngs)
    # every chart shows something new after a step
    for chart in range(4):
        assert before[chart] != frames[-1][chart]


def test_time_charts_draw_a_line_per_policy_switch() -> None:
    model = initial_model(load("false_accuser_crackdown"))
    model.run(2)
    assert model.policy_marks, "the crackdown scenario has a timed campaign"
    frame = model.timeseries()
    for make in (C.shares_figure, C.events_figure):
        figure = make(frame, model.policy_marks)
        ax = figure.axes[0]
        vertical = [
            line.get_xdata()[0]
            for line in ax.get_lines()
            if len(line.get_xdata()) == 2 and line.get_xdata()[0] == line.get_xdata()[1]
        ]
        assert sorted(vertical) == sorted(month for month, _ in model.policy_marks)
        # the axis reaches past the last switch even before the run gets there
        assert ax.get_xlim()[1] > max(month for month, _ in model.policy_marks)


def test_distribution_figure_for_every_variable() -> None:
    model = CadreModel(rng=2, workforce_population=150)
    model.run(2)
    for variable in C.DISTRIBUTIONS.values():
        png = C.figure_png(C.distribution_figure(model, variable))
        assert png.startswith(PNG_MAGIC)


# --------------------------------------------------------------------------
# controls generated from sim.params, and the seed
# --------------------------------------------------------------------------
def _resolve(model_params: dict[str, object]) -> dict[str, object]:
    """The keyword arguments SolaraViz passes on Reset when no control was touched."""
    kwargs: dict[str, object] = {}
    for key, spec in model_params.items():
        if isinstance(spec, Slider):
            kwargs[key] = spec.value
        elif isinstance(spec, dict) and "type" in spec:
            kwargs[key] = spec["value"]
        else:
            kwargs[key] = spec
    return kwargs


def test_every_lever_gets_a_control_from_its_definition() -> None:
    scenario = load("fault_tolerance")
    model_params = model_params_for(scenario)
    for p in P.PARAMS:
        spec = model_params[p.kwarg]
        controlled = p.lever and (not p.structural or p.name == "workforce.population")
        if not controlled:
            assert spec == scenario.params[p.name]
        elif p.type is bool:
            assert spec["type"] == "Checkbox"
            assert spec["value"] is scenario.params[p.name]
        elif p.name == "workforce.population":
            assert (spec.min, spec.max) == HEADCOUNT_RANGE
            assert not spec.is_float_slider
        else:
            assert isinstance(spec, Slider)
            assert (spec.min, spec.max, spec.step) == (p.low, p.high, p.slider_step)
            assert spec.value == scenario.params[p.name]
            assert spec.is_float_slider == (p.type is float)
    assert model_params["rng"]["type"] == "InputText"
    assert model_params["timeline"] == tuple(scenario.timeline)


def test_reset_without_touching_controls_rebuilds_the_scenario() -> None:
    scenario = load("false_accuser_crackdown")
    first = initial_model(scenario)
    again = BrowserModel(**_resolve(model_params_for(scenario)))
    assert again.base_params == first.base_params
    assert first.base_params.to_dict() == scenario.params
    assert again.policy_marks == first.policy_marks
    assert again.scenario_name == "false_accuser_crackdown"
    first.run(4)
    again.run(4)
    assert first.timeseries().equals(again.timeseries())


def test_headcount_is_kept_in_the_browser_range() -> None:
    scenario = load("baseline").with_overrides({"workforce.population": 20_000})
    assert model_params_for(scenario)["workforce_population"].value == HEADCOUNT_RANGE[1]
    assert initial_model(scenario).org.n_posts == HEADCOUNT_RANGE[1]


@pytest.mark.parametrize(
    ("text", "value"), [("42", 42), (" 7 ", 7), (0, 0), ("123456789", 123456789)]
)
def test_parse_seed_accepts_whole_numbers(text: object, value: int) -> None:
    assert parse_seed(text) == value


@pytest.mark.parametrize("text", ["abc", "-1", "1.5", "", True, -3])
def test_parse_seed_rejects_other_text(text: object) -> None:
    with pytest.raises(InputError, match="seed must be a whole number"):
        parse_seed(text)


def test_seed_text_reaches_the_generator() -> None:
    typed = BrowserModel(rng="42", workforce_population=120)
    direct = CadreModel(rng=42, workforce_population=120)
    assert typed.seed == 42 and typed.seed_problem == ""
    typed.run(3)
    direct.run(3)
    assert typed.timeseries().equals(direct.timeseries())
    other = BrowserModel(rng="43", workforce_population=120)
    other.run(3)
    assert not other.timeseries().equals(direct.timeseries())


def test_bad_seed_text_builds_with_the_default_seed_and_says_so() -> None:
    model = BrowserModel(rng="abc", workforce_population=120)
    assert model.seed == DEFAULT_SEED
    assert "'abc'" in model.seed_problem and f"seed {DEFAULT_SEED}" in model.seed_problem


def test_mesa_scenario_passed_by_reset_is_ignored() -> None:
    from mesa.experimental.scenarios import Scenario as MesaScenario

    model = BrowserModel(rng="5", scenario=MesaScenario(), workforce_population=120)
    assert model.seed == 5


# --------------------------------------------------------------------------
# nothing built or loaded at import
# --------------------------------------------------------------------------
def test_importing_the_package_loads_no_ui_libraries() -> None:
    code = (
        "import sys, sim.viz, sim.cli.viz\n"
        "heavy = [m for m in ('solara', 'matplotlib', 'mesa.visualization') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_importing_the_app_builds_no_model() -> None:
    code = (
        "import sim.model\n"
        "def refuse(self, *a, **k):\n"
        "    raise SystemExit('a model was built at import')\n"
        "sim.model.CadreModel.__init__ = refuse\n"
        "import sim.viz.app\n"
        "assert callable(sim.viz.app.page)\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


# --------------------------------------------------------------------------
# cadre-sim viz: validation before any server starts
# --------------------------------------------------------------------------
def test_viz_rejects_unknown_scenario_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from sim.cli import main

    assert main(["viz", "no_such_scenario", "--port", "9"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("error: ") and "no_such_scenario" in err[0]


@pytest.mark.parametrize("text", ["0", "65536", "http", "-5"])
def test_port_must_be_a_tcp_port(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        port_number(text)


def test_viz_refuses_a_port_in_use() -> None:
    with socket.socket() as busy:
        busy.bind((HOST, 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(InputError, match=f"port {port} .* in use"):
            run_viz(argparse.Namespace(scenario="baseline", port=port))
