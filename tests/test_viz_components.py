"""Fast tests of the browser view without a browser: session, figures, inspector, export, CLI."""

from __future__ import annotations

import argparse
import io
import socket
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection

from sim.analysis.stats import mean_interval
from sim.cli.viz import HOST, port_number, run_viz
from sim.errors import InputError
from sim.model import CadreModel, build_organisation
from sim.model.kinds import CaseKind, Status, WorkState
from sim.runs.batch import replicate_seed
from sim.scenarios import load
from sim.viz import export as E
from sim.viz import figures as F
from sim.viz import hierarchy as H
from sim.viz import inspector as I
from sim.viz.app import parse_seed, scenario_choices, timeline_lines
from sim.viz.controls import lever_label
from sim.viz.session import HEADCOUNT_RANGE, RunSettings, Session, live_levers
from sim.viz.style import figure_png, format_value

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _settings(scenario: str = "baseline", population: int = 200, **options: object) -> RunSettings:
    settings = RunSettings.for_scenario(load(scenario), load("baseline"), **options)
    return settings.with_values({"workforce.population": population})


# --------------------------------------------------------------------------
# hierarchy layout, aggregation and clicks
# --------------------------------------------------------------------------
def test_layout_of_a_small_tree_is_tidy() -> None:
    # Two top posts; post 4 has subordinates 0 and 1, post 5 has 2 and 3.
    level = [0, 0, 0, 0, 1, 1]
    parent = [4, 4, 5, 5, -1, -1]
    layout = H.hierarchy_layout(level, parent)
    assert layout.n_levels == 2
    np.testing.assert_allclose(layout.x[:4], [0.125, 0.375, 0.625, 0.875])
    np.testing.assert_allclose(layout.x[4:], [0.25, 0.75])
    np.testing.assert_allclose(layout.y, level)
    assert layout.marker.all() and layout.blocks == ()
    assert layout.segments.shape == (4, 2, 2)
    np.testing.assert_allclose(layout.segments[0], [[0.125, 0.0], [0.25, 1.0]])


def test_layout_orders_units_under_their_superior_depth_first() -> None:
    # Subordinates listed out of order: post 0 belongs to superior 5, post 1 to 4.
    level = [0, 0, 0, 1, 1, 1]
    parent = [5, 4, 3, -1, -1, -1]
    layout = H.hierarchy_layout(level, parent)
    bottom = np.argsort(layout.x[:3])
    assert [parent[i] for i in bottom] == [3, 4, 5]
    for sup in (3, 4, 5):
        assert layout.x[sup] == pytest.approx(layout.x[parent.index(sup)])


@pytest.mark.parametrize(
    ("population", "levels", "span"), [(1000, 5, 4), (137, 3, 6), (2000, 5, 4), (5000, 8, 3)]
)
def test_large_levels_are_aggregated_into_columns_of_posts(
    population: int, levels: int, span: int
) -> None:
    org = build_organisation(population, levels, span)
    layout = H.hierarchy_layout(org.post_level, org.post_parent)
    n = org.n_posts
    assert ((layout.x > 0) & (layout.x < 1)).all()
    np.testing.assert_array_equal(layout.y, org.post_level)
    # no level has more markers than fit in a row: larger ones are blocks
    markers_per_level = np.bincount(org.post_level[layout.marker], minlength=org.n_levels)
    assert markers_per_level.max() <= H.MAX_POSTS_PER_ROW
    assert (layout.size[layout.marker] > 0).all()
    # every post is drawn exactly once: as a marker or as one block cell
    in_blocks = np.concatenate([b.posts[b.posts >= 0] for b in layout.blocks] or [[]])
    assert sorted(in_blocks.tolist()) == np.flatnonzero(~layout.marker).tolist()
    assert in_blocks.size + layout.marker.sum() == n
    for block in layout.blocks:
        assert (org.post_level[block.posts[block.posts >= 0]] == block.level).all()
        assert block.posts.shape[1] <= H.MAX_POSTS_PER_ROW
        # columns left to right follow the depth-first order
        flat = block.posts.T.ravel()
        flat = flat[flat >= 0]
        assert (np.diff(layout.x[flat]) >= 0).all()
    # every superior drawn as a marker sits at the mean position of its subordinates
    has_parent = org.post_parent >= 0
    sums = np.bincount(org.post_parent[has_parent], weights=layout.x[has_parent], minlength=n)
    counts = np.bincount(org.post_parent[has_parent], minlength=n)
    superiors = counts > 0
    np.testing.assert_allclose(layout.x[superiors], sums[superiors] / counts[superiors])


def test_the_bottom_level_of_2000_cadres_is_one_block() -> None:
    model = CadreModel(rng=1, workforce_population=2000)
    layout = H.model_layout(model)
    assert [b.level for b in layout.blocks][0] == 0
    figure, _ = H.hierarchy_figure(model)
    assert len(figure.axes[0].images) == len(layout.blocks)


def test_layout_is_computed_once_per_model(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = H.hierarchy_layout

    def counting(post_level, post_parent, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(len(post_level))
        return real(post_level, post_parent, *args, **kwargs)

    monkeypatch.setattr(H, "hierarchy_layout", counting)
    model = CadreModel(rng=3, workforce_population=300)
    first = H.model_layout(model)
    for _ in range(3):
        model.step()
        H.hierarchy_figure(model)
    assert calls == [model.org.n_posts]
    assert H.model_layout(model) is first


def test_post_codes_follow_holders_work_states() -> None:
    model = CadreModel(rng=5, workforce_population=200)
    model.step()
    codes = H.post_codes(model)
    holder = model.org.post_holder
    held = holder >= 0
    np.testing.assert_array_equal(codes[held], model.pop.state[holder[held]])
    vacated, abolished = np.flatnonzero(held)[:2]
    model.org.post_holder[vacated] = -1
    model.org.post_holder[abolished] = -1
    model.org.post_open[abolished] = False
    codes = H.post_codes(model)
    assert codes[vacated] == H.VACANT
    assert codes[abolished] == H.CLOSED


def _fraction(picker: H.HierarchyPicker, x: float, y: float) -> tuple[float, float]:
    """Where data point ``(x, y)`` is in the image, as fractions from its top-left corner."""
    left, bottom, right, top = picker.axes_box
    fig_x = left + (x - picker.xlim[0]) / (picker.xlim[1] - picker.xlim[0]) * (right - left)
    fig_y = bottom + (y - picker.ylim[0]) / (picker.ylim[1] - picker.ylim[0]) * (top - bottom)
    return fig_x, 1.0 - fig_y


def test_a_click_picks_the_post_under_it() -> None:
    model = CadreModel(rng=2, workforce_population=1000)
    model.run(2)
    _, picker = H.hierarchy_figure(model)
    # markers: the click on a post's centre picks it
    for post in picker.marker_posts[:: max(1, picker.marker_posts.size // 15)]:
        assert picker.post_at(*_fraction(picker, picker.x[post], picker.y[post])) == post
    # blocks: the centre of every cell picks the post drawn there
    for (x0, x1, y0, y1), posts in picker.blocks:
        rows, columns = posts.shape
        for row in range(rows):
            for column in range(0, columns, 7):
                cx = x0 + (column + 0.5) / columns * (x1 - x0)
                cy = y0 + (row + 0.5) / rows * (y1 - y0)
                expected = int(posts[row, column])
                assert picker.post_at(*_fraction(picker, cx, cy)) == (
                    expected if expected >= 0 else None
                )
        # the cells of a column are sorted by work state, active at the bottom
        codes = H.post_codes(model)[np.maximum(posts, 0)]
        assert (np.diff(np.where(posts >= 0, codes, 99), axis=0) >= 0).all()
    # between levels there is nothing
    assert picker.post_at(*_fraction(picker, 0.5, picker.ylim[1] - 0.1)) is None


def test_the_selected_post_is_ringed() -> None:
    model = CadreModel(rng=2, workforce_population=300)
    top = int(np.flatnonzero(model.org.post_level == model.org.n_levels - 1)[0])
    plain, _ = H.hierarchy_figure(model)
    ringed, _ = H.hierarchy_figure(model, selected_post=top)
    assert len(ringed.axes[0].get_lines()) == len(plain.axes[0].get_lines()) + 1
    bottom, _ = H.hierarchy_figure(model, selected_post=0)
    assert len(bottom.axes[0].get_lines()) == len(plain.axes[0].get_lines()) + 1


# --------------------------------------------------------------------------
# the session: live changes, ensembles, bands
# --------------------------------------------------------------------------
def test_a_live_change_applies_from_the_next_month_and_is_marked() -> None:
    session = Session(_settings())
    session.step()
    session.step()
    session.set_lever("fault_tolerance.coverage", 1.0)
    assert session.pending == {"fault_tolerance.coverage": 1.0}
    assert session.in_force("fault_tolerance.coverage") == 0.2
    assert session.lever_value("fault_tolerance.coverage") == 1.0
    assert session.marks() == [(3, "set coverage = 1 (next step)")]
    session.step()
    assert session.pending == {}
    assert session.in_force("fault_tolerance.coverage") == 1.0
    assert session.marks() == [(3, "set coverage = 1")]
    frame = session.inspected.timeseries()
    assert frame["fault_tolerance.coverage"].tolist() == [0.2, 0.2, 0.2, 1.0]
    assert [c.start for c in session.changes] == [3]


def test_moving_a_lever_back_cancels_the_pending_change() -> None:
    session = Session(_settings())
    session.set_lever("career.prize", 200.0)
    session.set_lever("career.prize", session.in_force("career.prize"))
    assert session.pending == {}
    session.step()
    assert session.changes == [] and session.marks() == []


def test_settings_fixed_at_start_cannot_change_during_a_run() -> None:
    session = Session(_settings())
    with pytest.raises(ValueError, match="fixed at the start"):
        session.set_lever("workforce.population", 300)
    with pytest.raises(ValueError, match="out of range"):
        session.set_lever("fault_tolerance.coverage", 2.0)
    assert all(not p.structural for p in live_levers())


def test_reset_values_fold_in_the_live_and_pending_changes() -> None:
    session = Session(_settings())
    session.set_lever("fault_tolerance.coverage", 0.9)
    session.step()
    session.set_lever("career.prize", 150.0)
    values = session.user_values()
    assert values["fault_tolerance.coverage"] == 0.9 and values["career.prize"] == 150.0
    again = Session(session.settings.with_values(values))
    assert again.month == 0 and again.in_force("fault_tolerance.coverage") == 0.9


def test_headcount_is_kept_in_the_browser_range() -> None:
    settings = RunSettings.for_scenario(
        load("baseline").with_overrides({"workforce.population": 20_000}), load("baseline")
    )
    assert settings.values["workforce.population"] == HEADCOUNT_RANGE[1]
    low = settings.with_values({"workforce.population": 20}).values["workforce.population"]
    assert low == HEADCOUNT_RANGE[0]
    assert Session(settings).inspected.org.n_posts == HEADCOUNT_RANGE[1]


def test_ensemble_sides_share_seeds_and_a_live_change_moves_the_chosen_side_only() -> None:
    settings = _settings("fault_tolerance", ensemble=True, replicates=3, seed=11)
    settings = settings.with_values({"workforce.levels": 4})
    session = Session(settings)
    seeds = [replicate_seed(11, k) for k in range(3)]
    assert session.chosen.seeds == seeds and session.comparison.seeds == seeds
    assert session.comparison.scenario.name == "baseline"
    # the comparison takes the chosen side's organisation, not its levers
    comparison = session.comparison.models[0]
    assert comparison.org.n_levels == 4 and comparison.org.n_posts == 200
    assert (
        comparison.params["fault_tolerance.coverage"]
        == load("baseline").params["fault_tolerance.coverage"]
    )
    session.step()
    session.set_lever("accusation.false_report_rate", 0.05)
    session.step()
    assert all(m.params["accusation.false_report_rate"] == 0.05 for m in session.chosen.models)
    baseline_rate = load("baseline").params["accusation.false_report_rate"]
    assert all(
        m.params["accusation.false_report_rate"] == baseline_rate for m in session.comparison.models
    )
    assert all(m.policy_marks == [] for m in session.comparison.models)


def test_bands_are_the_compare_statistic_and_identical_sides_differ_by_zero() -> None:
    session = Session(_settings(ensemble=True, replicates=4))
    for _ in range(3):
        session.step()
    values = session.chosen.values("flat_share")
    band = session.band("flat_share", "chosen")
    assert len(band.mean) == 4
    for month in range(4):
        assert (band.mean[month], band.low[month], band.high[month]) == pytest.approx(
            mean_interval(values[month])
        )
    difference = session.band("flat_share", "difference")
    assert difference.mean == difference.low == difference.high == [0.0] * 4
    figure = F.ensemble_figure(session, "flat_share")
    bands = [c for ax in figure.axes for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 3  # chosen, comparison, difference
    assert figure_png(figure).startswith(PNG_MAGIC)


def test_a_single_run_has_no_comparison_side() -> None:
    session = Session(_settings(seed=4))
    assert session.chosen.seeds == [4] and session.comparison is None
    with pytest.raises(ValueError):
        session.band("flat_share", "comparison")
    with pytest.raises(ValueError):
        F.ensemble_figure(session, "flat_share")


def test_step_and_redraw_of_an_ensemble_of_8_x_1000_per_side() -> None:
    session = Session(RunSettings.for_scenario(load("baseline"), load("baseline"), ensemble=True))
    assert len(session.chosen.models) == 8 and session.inspected.org.n_posts == 1000
    times = []
    for _ in range(3):
        start = time.perf_counter()
        session.step()
        pngs = [
            figure_png(F.ensemble_figure(session, "flat_share")),
            figure_png(F.ensemble_figure(session, "active_share")),
            figure_png(H.hierarchy_figure(session.inspected)[0]),
            figure_png(F.distribution_figure(session.inspected, F.DISTRIBUTIONS["reputation"])),
        ]
        times.append(time.perf_counter() - start)
        assert all(png.startswith(PNG_MAGIC) for png in pngs)
    print(f"\nensemble 2 x 8 x 1,000 step + redraw: median {1000 * np.median(times):.0f} ms")


# --------------------------------------------------------------------------
# figures: Mesa's plot component styled, distributions
# --------------------------------------------------------------------------
def test_mesa_plot_component_gets_cadre_sim_style_and_policy_lines() -> None:
    import solara
    from mesa.visualization.components.matplotlib_components import PlotMatplotlib

    model = CadreModel(
        rng=1, workforce_population=200, timeline=load("false_accuser_crackdown").timeline
    )
    model.run(2)
    kept: list[object] = []
    style = F.time_chart_styler(
        "Work states", "share", lambda: model.policy_marks, True, kept.append
    )
    solara.render(
        PlotMatplotlib(model, {"flat_share": "#D55E00"}, post_process=style), handle_error=False
    )
    (figure,) = kept
    ax = figure.axes[0]
    assert ax.get_ylim() == (0.0, 1.0)
    assert [line.get_label() for line in ax.get_lines()][0] == "flat share"
    vertical = [
        line.get_xdata()[0]
        for line in ax.get_lines()
        if len(line.get_xdata()) == 2 and line.get_xdata()[0] == line.get_xdata()[1]
    ]
    assert sorted(vertical) == sorted(month for month, _ in model.policy_marks)
    assert ax.get_xlim()[1] > max(month for month, _ in model.policy_marks)


def test_distribution_figure_for_every_variable() -> None:
    model = CadreModel(rng=2, workforce_population=150)
    model.run(2)
    for variable in F.DISTRIBUTIONS.values():
        assert figure_png(F.distribution_figure(model, variable)).startswith(PNG_MAGIC)


def test_a_users_mesa_dashboard_around_cadre_model_renders() -> None:
    import ipywidgets
    import solara
    from mesa.visualization import SolaraViz, make_plot_component

    element = SolaraViz(
        CadreModel(rng=1, workforce_population=200),
        components=[make_plot_component(["flat_share", "active_share"])],
    )
    _box, rc = solara.render(element, handle_error=False)
    (image,) = rc.find(ipywidgets.Image).widgets
    assert bytes(image.value).startswith(PNG_MAGIC)


# --------------------------------------------------------------------------
# the inspector
# --------------------------------------------------------------------------
def test_recorder_keeps_every_cadres_history_from_month_0() -> None:
    model = CadreModel(rng=7, workforce_population=200)
    recorder = I.CadreRecorder(model)
    states = [model.pop.state.copy()]
    for _ in range(13):  # past the annual evaluation: some retire, recruits arrive
        model.step()
        recorder.record()
        states.append(model.pop.state.copy())
    agent = model.cadre_at(10)
    history = I.cadre_history(recorder, agent.unique_id)
    assert history.months.tolist() == list(range(14))
    assert history.state.tolist() == [int(s[10]) for s in states]
    assert history.level[-1] == agent.level
    assert I.state_spells(history)[0].startswith("month")
    assert figure_png(I.history_figure(history, model.policy_marks)).startswith(PNG_MAGIC)
    assert I.cadre_history(recorder, 10**9) is None
    # a slot taken over by a recruit: the leaver's history stops, the recruit's starts
    ids = np.array([[a for a in month] for month in recorder._agent])
    changed = np.flatnonzero((ids[0] != ids[-1]) & (ids[-1] >= 0))
    if changed.size:
        row = int(changed[0])
        leaver = I.cadre_history(recorder, int(ids[0, row]))
        recruit = I.cadre_history(recorder, int(ids[-1, row]))
        assert leaver.months[-1] < recruit.months[0]


def _history(state: list[int], case: list[int], status: list[int]) -> I.CadreHistory:
    n = len(state)
    return I.CadreHistory(
        agent_id=3,
        months=np.arange(n),
        state=np.array(state, np.int8),
        status=np.array(status, np.int8),
        case=np.array(case, np.int8),
        level=np.ones(n, np.int64),
        reputation=np.full(n, 0.7, np.float32),
        idealism=np.full(n, 0.5, np.float32),
    )


def test_state_and_case_spells_read_as_text() -> None:
    r, a, f = (int(s) for s in (WorkState.ROUTINE, WorkState.ACTIVE, WorkState.FLAT))
    fr, hm = int(CaseKind.FALSE_REPORT), int(CaseKind.HONEST_MISTAKE)
    normal, under, punished, cleared = (int(s) for s in Status)
    history = _history(
        state=[r, r, a, a, a, f, f, r],
        case=[0, fr, fr, 0, hm, hm, 0, hm],
        status=[normal, under, under, cleared, under, under, punished, under],
    )
    assert I.state_spells(history) == [
        "months 0-1 routine",
        "months 2-4 active",
        "months 5-6 flat",
        "month 7 routine",
    ]
    assert [c.describe() for c in I.case_spells(history)] == [
        "months 1-2: false report, cleared (month 3)",
        "months 4-5: honest mistake, punished (month 6)",
        "month 7: honest mistake, still open",
    ]


# --------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------
@pytest.mark.parametrize("ensemble", [False, True])
def test_export_writes_csv_and_parquet_that_load(ensemble: bool) -> None:
    session = Session(_settings(ensemble=ensemble, replicates=2))
    session.step()
    session.set_lever("fault_tolerance.coverage", 0.8)
    session.step()
    frame = E.session_frame(session)
    runs = 4 if ensemble else 1
    assert len(frame) == runs * 3
    assert list(frame.columns[:5]) == ["side", "scenario", "replicate", "seed", "month"]
    assert set(frame["side"]) == ({"chosen", "comparison"} if ensemble else {"chosen"})
    chosen = frame[frame["side"] == "chosen"]
    assert chosen["fault_tolerance.coverage"].tolist()[-1] == 0.8
    csv = pd.read_csv(io.BytesIO(E.frame_bytes(frame, "csv")))
    parquet = pd.read_parquet(io.BytesIO(E.frame_bytes(frame, "parquet")))
    pd.testing.assert_frame_equal(parquet, frame)
    assert csv.shape == frame.shape
    with pytest.raises(ValueError, match="unknown export format"):
        E.frame_bytes(frame, "xlsx")
    name = E.export_filename(session, "data", "csv")
    expected = "baseline-vs-baseline_2x" if ensemble else "baseline"
    assert name == f"cadre-sim_{expected}_seed1_month2_data.csv"


# --------------------------------------------------------------------------
# the page's helpers, the front-end cache, the page itself
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "value"), [("42", 42), (" 7 ", 7), (0, 0), ("123456789", 123456789)]
)
def test_parse_seed_accepts_whole_numbers(text: object, value: int) -> None:
    assert parse_seed(text) == value


@pytest.mark.parametrize("text", ["abc", "-1", "1.5", "", True, -3])
def test_parse_seed_rejects_other_text(text: object) -> None:
    with pytest.raises(InputError, match="seed must be a whole number"):
        parse_seed(text)


def test_labels_and_timeline_lines() -> None:
    from sim.parameters import registry as P

    assert lever_label(P.by_name("fault_tolerance.coverage")) == "Fault tolerance: coverage"
    assert format_value(True) == "on" and format_value(0.25) == "0.25" and format_value(3) == "3"
    lines = timeline_lines(load("false_accuser_crackdown"))
    assert lines and all(line.startswith(("from month", "months")) for line in lines)
    assert scenario_choices("baseline")[0] != "x.toml"
    assert scenario_choices("x.toml")[0] == "x.toml"


def test_front_end_cache_includes_mesas_grid_script() -> None:
    import ipyvue

    from sim.viz import assets

    specs = assets.required_packages()
    assert any(spec.startswith("@widgetti/vue-grid-layout@") for spec in specs)
    app = (
        "@widgetti/solara-vuetify3-app@"
        if ipyvue.__version__.startswith("3")
        else "@widgetti/solara-vuetify-app@"
    )
    assert any(spec.startswith(app) for spec in specs)


def test_the_page_renders_with_accessible_controls(monkeypatch: pytest.MonkeyPatch) -> None:
    import ipyvuetify
    import solara

    from sim.viz import SCENARIO_ENV
    from sim.viz.app import Page

    monkeypatch.setenv(SCENARIO_ENV, "baseline")
    _box, rc = solara.render(Page(), handle_error=False)
    buttons = rc.find(ipyvuetify.Btn).widgets
    names = {
        (b.attributes or {}).get("aria-label")
        or "".join(c for c in b.children if isinstance(c, str))
        for b in buttons
    }
    assert {"Reset", "Play", "Step", "Hide the controls"} <= {n.strip() for n in names}
    assert all(n.strip() for n in names)
    sliders = rc.find(ipyvuetify.Slider).widgets
    assert len(sliders) >= len(live_levers())
    assert all((s.attributes or {}).get("aria-label") for s in sliders)
    labels = " ".join(str(w.label) for w in rc.find(ipyvuetify.Checkbox).widgets)
    assert "Use Threads" not in labels


# --------------------------------------------------------------------------
# nothing built or loaded at import; cadre-sim viz validation
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
