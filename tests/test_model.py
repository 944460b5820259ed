"""CadreModel as a whole: institutions, invariants, determinism, Mesa integration."""

import inspect
import pickle

import mesa
import numpy as np
import pandas as pd
import pytest

from sim.model import OUTPUTS, CadreModel, build_organisation, is_output_name
from sim.model.agents import Cadre
from sim.model.kinds import Orientation, Status, WorkState
from sim.parameters import registry as P
from sim.parameters.timeline import PolicyChange
from sim.parameters.values import Params

SMALL = dict(workforce_population=300, simulation_warmup_months=12)
COUNTS = (
    "innovations honest_mistakes exemptions true_reports false_reports false_reports_on_active "
    "wrongful_punishments punishments clarifications false_accusers_punished promotions "
    "demotions retirements recruits headcount under_investigation"
).split()


def run(steps=36, rng=1, **kwargs):
    model = CadreModel(rng=rng, **{**SMALL, **kwargs})
    model.run(steps)
    return model, model.timeseries()


# --- institutions ----------------------------------------------------------
def test_perfect_investigation_punishes_no_false_report():
    _, df = run(60, accusation_investigation_accuracy=1.0, accusation_false_report_rate=0.03)
    assert df.false_reports.sum() > 50
    assert df.wrongful_punishments.sum() == 0


def test_full_fault_tolerance_punishes_no_honest_mistake():
    _, df = run(
        60,
        fault_tolerance_coverage=1.0,
        fault_tolerance_credibility=1.0,
        fault_tolerance_mitigation=1.0,
        accusation_false_report_rate=0.0,
        discipline_misconduct_rate=0.0,
        accusation_mistake_report_prob=1.0,
    )
    assert df.honest_mistakes.sum() > 50
    assert df.exemptions.sum() > 0
    assert df.punishments.sum() == 0


def test_without_fault_tolerance_reported_mistakes_are_punished():
    _, df = run(
        60,
        fault_tolerance_coverage=0.0,
        accusation_false_report_rate=0.0,
        discipline_misconduct_rate=0.0,
        accusation_mistake_report_prob=1.0,
    )
    assert df.exemptions.sum() == 0
    assert df.punishments.sum() > 20


def test_no_false_reports_means_no_wrongful_punishment():
    _, df = run(60, accusation_false_report_rate=0.0, accusation_investigation_accuracy=0.3)
    assert df.false_reports.sum() == 0
    assert df.wrongful_punishments.sum() == 0
    assert df.clarifications.sum() == 0
    assert df.false_accusers_punished.sum() == 0


def test_no_tracing_punishes_no_false_accuser():
    _, df = run(48, crackdown_trace_probability=0.0, accusation_false_report_rate=0.02)
    assert df.false_reports.sum() > 0
    assert df.false_accusers_punished.sum() == 0


def test_full_clarification_clarifies_cleared_cadres():
    _, df = run(
        60,
        clarification_coverage=1.0,
        accusation_false_report_rate=0.02,
        accusation_investigation_accuracy=1.0,
    )
    assert df.clarifications.sum() > 20


def test_promotions_demotions_and_retirements_happen_only_at_annual_evaluation():
    _, df = run(48)
    yearly = df.month % 12 == 0
    for column in ("promotions", "demotions", "retirements", "recruits"):
        assert df.loc[~yearly, column].sum() == 0, column
    assert df.loc[yearly, "promotions"].sum() > 0
    assert df.loc[yearly, "retirements"].sum() > 0


def test_demotions_are_rare_at_baseline():
    _, df = run(120, workforce_population=1000)
    yearly_rate = df.demotions.sum() / 10 / 1000
    assert 0 < yearly_rate < 0.01


def test_higher_demotion_intensity_demotes_more():
    _, low = run(60, demotion_intensity=0.0)
    _, high = run(60, demotion_intensity=1.0, demotion_detection=1.0)
    assert low.demotions.sum() == 0
    assert high.demotions.sum() > 10


def test_staffing_cuts_shrink_the_workforce_and_raise_workload():
    model, df = run(60, workforce_staffing_cut=0.3)
    assert df.headcount.iloc[-1] < df.headcount.iloc[0]
    assert len(model.agents) == df.headcount.iloc[-1]
    assert model.workload > 1.0


# --- invariants -------------------------------------------------------------
def test_state_shares_sum_to_one():
    _, df = run(36, workforce_levels=4)
    total = df.flat_share + df.active_share + df.routine_share
    np.testing.assert_allclose(total, 1.0)
    for o in ("realist", "idealist"):
        total = df[f"flat_share_{o}"] + df[f"active_share_{o}"] + df[f"routine_share_{o}"]
        np.testing.assert_allclose(total, 1.0)


def test_counts_are_never_negative():
    _, df = run(36)
    assert (df[COUNTS] >= 0).all().all()


def test_headcount_conserved_when_demography_is_off():
    model, df = run(48, workforce_demography=False)
    assert (df.headcount == 300).all()
    assert (df.retirements == 0).all() and (df.recruits == 0).all()
    assert len(model.agents) == 300


def test_every_post_is_held_by_exactly_one_serving_cadre():
    model, _ = run(48)
    org, pop = model.org, model.pop
    held = org.post_holder[org.post_holder >= 0]
    assert len(np.unique(held)) == held.size
    assert (pop.post[held] == np.flatnonzero(org.post_holder >= 0)).all()
    assert pop.alive[held].all()
    assert pop.alive.sum() == held.size


def test_pyramid_has_few_posts_at_the_top():
    org = build_organisation(1000, 5, 4)
    assert org.level_sizes.sum() == 1000
    assert (np.diff(org.level_sizes) < 0).all()
    assert org.level_sizes[-1] >= 1


def test_outputs_include_every_brief_output_and_each_level():
    model, df = run(3, workforce_levels=3)
    for name in OUTPUTS:
        assert name in df.columns
    for k in (1, 2, 3):
        assert f"flat_share_level{k}" in df.columns and f"active_share_level{k}" in df.columns
    assert list(df.month) == [0, 1, 2, 3]


# --- determinism --------------------------------------------------------------
def test_same_seed_gives_identical_frames():
    _, a = run(24, rng=7)
    _, b = run(24, rng=7)
    pd.testing.assert_frame_equal(a, b)


def test_different_seeds_give_different_frames():
    _, a = run(24, rng=7)
    _, b = run(24, rng=8)
    assert not a.equals(b)


# --- parameters -----------------------------------------------------------------
def test_every_parameter_is_a_keyword_argument_with_its_default():
    model = CadreModel(rng=1, workforce_population=50, simulation_warmup_months=0)
    assert isinstance(model.params, Params) and model.params is model.base_params
    assert model.params.to_dict() == {p.name: p.default for p in P.PARAMS} | {
        "workforce.population": 50,
        "simulation.warmup_months": 0,
    }
    assert model.params["workforce.population"] == model.params.get("workforce.population") == 50
    assert model.params.workforce.population == 50


def test_signature_lists_the_options_and_every_parameter_keyword_only():
    signature = inspect.signature(CadreModel)
    names = list(signature.parameters)
    assert names == ["rng", "timeline", "collect_agents", *(p.kwarg for p in P.PARAMS)]
    assert all(q.kind is inspect.Parameter.KEYWORD_ONLY for q in signature.parameters.values())
    for p in P.PARAMS:
        assert signature.parameters[p.kwarg].default == p.default
    assert signature.parameters["rng"].default is None
    assert signature.parameters["collect_agents"].default is False


def test_numpy_numbers_are_accepted_as_parameters():
    model = CadreModel(
        rng=np.int64(3),
        career_span=np.int64(2),
        workforce_demography=np.bool_(False),
        fault_tolerance_coverage=np.float32(0.5),
        **SMALL,
    )
    assert model.params.career.span == 2 and type(model.params.career.span) is int
    assert model.params.workforce.demography is False
    assert model.params.fault_tolerance.coverage == 0.5
    model.run(2)


@pytest.mark.filterwarnings("ignore:The `iterations` keyword argument is deprecated")
def test_numpy_ranges_run_under_mesa_batch_run():
    results = mesa.batch_run(
        CadreModel,
        parameters={"workforce_population": np.arange(500, 701, 200)},
        iterations=1,
        max_steps=3,
        number_processes=1,
        display_progress=False,
    )
    frame = pd.DataFrame(results)
    assert sorted(frame.workforce_population) == [500, 700]
    assert (frame.Step == 3).all()


def test_unknown_parameter_is_rejected_with_a_suggestion():
    with pytest.raises(TypeError, match="fault_tolerance_coverage"):
        CadreModel(fault_tolerance_coverag=0.5)


def test_out_of_range_parameter_is_rejected():
    with pytest.raises(ValueError, match=r"out of range \[0.0, 1.0\]"):
        CadreModel(fault_tolerance_coverage=1.5)


def test_wrongly_typed_parameter_is_rejected():
    with pytest.raises(ValueError, match="whole number"):
        CadreModel(career_span=2.5)
    with pytest.raises(ValueError, match="true or false"):
        CadreModel(workforce_demography=1)


def test_timeline_changes_parameter_at_its_month():
    model = CadreModel(
        rng=1,
        timeline=[{"at": 5, "set": {"fault_tolerance.coverage": 0.9}}],
        **SMALL,
    )
    seen = []
    for _ in range(8):
        model.step()
        seen.append(model.params["fault_tolerance.coverage"])
    assert seen == [0.2] * 4 + [0.9] * 4
    df = model.timeseries()
    assert list(df["fault_tolerance.coverage"]) == [0.2] * 5 + [0.9] * 4
    assert model.policy_marks == [(5, "fault_tolerance.coverage")]


def test_parameters_in_force_are_built_once_per_set_of_active_changes():
    model = CadreModel(
        rng=1,
        timeline=[{"from": 2, "until": 4, "set": {"crackdown.trace_probability": 0.5}}],
        **SMALL,
    )
    seen = []
    for _ in range(5):
        model.step()
        seen.append(model.params)
    assert seen[0] is model.base_params and seen[3] is model.base_params
    assert seen[1] is seen[2] and seen[1].crackdown.trace_probability == 0.5
    assert seen[4] is model.base_params


def test_schedule_change_applies_from_next_month_with_a_timeseries_column():
    model = CadreModel(
        rng=1,
        timeline=[{"at": 2, "set": {"fault_tolerance.coverage": 0.5}}],
        **SMALL,
    )
    model.run(3)
    change = model.schedule_change(
        {"crackdown.trace_probability": np.float64(0.6), "fault_tolerance.coverage": 0.9},
        label="live",
    )
    assert change == PolicyChange(
        4, None, {"crackdown.trace_probability": 0.6, "fault_tolerance.coverage": 0.9}, "live"
    )
    assert model.timeline[-1] is change
    assert (4, "live") in model.policy_marks
    assert model.params.crackdown.trace_probability == 0.05  # this month is unchanged
    model.run(2)
    assert model.params.crackdown.trace_probability == 0.6
    df = model.timeseries()
    assert list(df["crackdown.trace_probability"]) == [0.05] * 4 + [0.6] * 2
    assert list(df["fault_tolerance.coverage"]) == [0.2, 0.2, 0.5, 0.5, 0.9, 0.9]


def test_schedule_change_rejects_structural_unknown_and_bad_settings():
    model = CadreModel(rng=1, **SMALL)
    with pytest.raises(ValueError, match="fixed when the model is built"):
        model.schedule_change({"workforce.population": 400})
    with pytest.raises(ValueError, match="did you mean 'coverage'"):
        model.schedule_change({"fault_tolerance.coverag": 0.5})
    with pytest.raises(ValueError, match="out of range"):
        model.schedule_change({"fault_tolerance.coverage": 2.0})
    with pytest.raises(ValueError, match="at least one"):
        model.schedule_change({})
    assert model.timeline == () and model.policy_marks == []


def test_output_names_follow_the_one_name_rule():
    model = CadreModel(rng=1, workforce_population=60, simulation_warmup_months=0)
    assert all(is_output_name(name) for name in model.output_names)
    assert is_output_name("flat_share_level12")
    for name in ("flat_share_level0", "flat_share_level01", "routine_share_level1", "month"):
        assert not is_output_name(name), name


# --- Mesa integration ------------------------------------------------------------
def test_agents_are_cadres_reading_their_own_row():
    model, _ = run(13)
    agents = list(model.agents)
    assert len(agents) == 300
    assert all(isinstance(a, Cadre) for a in agents)
    shares = np.bincount([int(a.work_state) for a in agents], minlength=3) / 300
    assert shares[WorkState.FLAT] == pytest.approx(model.outputs["flat_share"])
    a = agents[0]
    assert 1 <= a.level <= model.org.n_levels
    assert isinstance(a.orientation, Orientation)
    assert isinstance(a.status, Status)
    assert 0.0 <= a.reputation <= 1.0
    a.reputation = 0.123
    assert model.pop.reputation[a.row] == pytest.approx(0.123)


def test_superior_is_a_cadre_one_level_up():
    model, _ = run(1)
    bottom = [a for a in model.agents if a.level == 1]
    sup = bottom[0].superior
    assert isinstance(sup, Cadre) and sup.level == 2
    top = [a for a in model.agents if a.level == model.org.n_levels]
    assert all(a.superior is None for a in top)


def test_recruits_are_new_agents_and_retirees_leave_model_agents():
    model, df = run(25)
    assert df.retirements.sum() > 0
    ids = {a.unique_id for a in model.agents}
    assert max(ids) >= 300
    assert len(model.agents) == int(df.headcount.iloc[-1])


def test_agent_records_only_when_asked():
    model, _ = run(2)
    with pytest.raises(RuntimeError):
        model.agent_records()
    model = CadreModel(rng=1, collect_agents=True, **SMALL)
    model.run(2)
    records = model.agent_records()
    assert len(records) == 3 * 300
    assert {"work_state", "level", "orientation", "reputation"} <= set(records.columns)


def test_runs_under_mesa_batch_run():
    results = mesa.batch_run(
        CadreModel,
        parameters={
            "workforce_population": 120,
            "simulation_warmup_months": 0,
            "fault_tolerance_coverage": [0.1, 0.9],
        },
        number_processes=1,
        iterations=None,
        max_steps=5,
        display_progress=False,
        rng=[1, 2],
    )
    frame = pd.DataFrame(results)
    assert set(frame.fault_tolerance_coverage) == {0.1, 0.9}
    assert {"flat_share", "active_share", "Step"} <= set(frame.columns)
    assert frame.Step.max() == 5


def test_model_pickles_for_process_pools():
    model, _ = run(3)
    clone = pickle.loads(pickle.dumps(model))
    clone.step()
    model.step()
    assert clone.month == 4
    pd.testing.assert_frame_equal(clone.timeseries(), model.timeseries())
