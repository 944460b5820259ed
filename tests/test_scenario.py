"""Scenario files: loading, validation messages, inheritance, timelines, round trips."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.errors import InputError
from sim.model import CadreModel
from sim.parameters import registry as params
from sim.parameters.names import NAME_RULE
from sim.parameters.timeline import PolicyChange
from sim.scenarios import SCENARIO_DIR, Scenario, load, parse_set, shipped

LIBRARY = (
    "baseline",
    "fault_tolerance",
    "demotion",
    "false_accuser_crackdown",
    "clarification",
    "strict_without_tolerance",
    "combined_reform",
    "false_accusation_risk",
    "career_rewards",
    "young_cadres",
    "streamlining",
)


def write(folder: Path, name: str, text: str) -> Path:
    """Write a scenario file into ``folder`` and return its path."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(ref: str | Path) -> list[str]:
    """Load a scenario that must fail; return its problem lines."""
    with pytest.raises(InputError) as caught:
        load(ref)
    return caught.value.problems


# ---------------------------------------------------------------------------
# The shipped library
# ---------------------------------------------------------------------------


def test_library_ships_the_seven_scenarios_in_order() -> None:
    assert tuple(shipped()[: len(LIBRARY)]) == LIBRARY


@pytest.mark.parametrize("name", LIBRARY)
def test_every_shipped_scenario_loads_with_description_and_source(name: str) -> None:
    scenario = load(name)
    assert scenario.name == name
    assert scenario.description and scenario.source
    assert set(scenario.params) == {p.name for p in params.PARAMS}
    assert scenario.path == SCENARIO_DIR / f"{name}.toml"


@pytest.mark.parametrize("name", LIBRARY)
def test_every_shipped_scenario_is_commented_with_a_seed_quotation(name: str) -> None:
    text = (SCENARIO_DIR / f"{name}.toml").read_text(encoding="utf-8")
    assert "# Seed" in text


@pytest.mark.parametrize("name", LIBRARY)
def test_resolved_toml_loads_back_to_identical_scenario(name: str, tmp_path: Path) -> None:
    scenario = load(name)
    path = write(tmp_path, "resolved.toml", scenario.to_toml())
    again = load(path)
    assert again == scenario
    assert again.params == scenario.params
    assert all(type(again.params[k]) is type(v) for k, v in scenario.params.items())
    assert again.digest() == scenario.digest()


@pytest.mark.parametrize("name", LIBRARY)
def test_plain_data_round_trip_gives_identical_scenario(name: str) -> None:
    scenario = load(name)
    assert Scenario.from_dict(scenario.to_dict()) == scenario


def test_baseline_is_every_parameter_at_its_default() -> None:
    scenario = load("baseline")
    assert scenario.params == params.defaults()
    assert scenario.timeline == ()


@pytest.mark.parametrize(
    ("name", "groups"),
    [
        ("fault_tolerance", {"fault_tolerance"}),
        ("demotion", {"demotion"}),
        ("clarification", {"clarification"}),
        ("strict_without_tolerance", {"discipline", "fault_tolerance"}),
        ("false_accusation_risk", {"accusation"}),
        ("career_rewards", {"career"}),
        ("streamlining", {"workforce"}),
    ],
)
def test_single_lever_scenarios_change_only_their_lever(name: str, groups: set[str]) -> None:
    scenario = load(name)
    assert {key.partition(".")[0] for key in scenario.changed()} == groups
    assert scenario.timeline == ()


def test_crackdown_changes_nothing_outside_its_campaign() -> None:
    scenario = load("false_accuser_crackdown")
    assert scenario.changed() == {}
    assert [set(change.settings) for change in scenario.timeline] == [
        {"crackdown.trace_probability"}
    ]


@pytest.mark.parametrize(
    ("name", "lever", "direction"),
    [
        ("fault_tolerance", "fault_tolerance.coverage", +1),
        ("fault_tolerance", "fault_tolerance.credibility", +1),
        ("fault_tolerance", "fault_tolerance.mitigation", -1),
        ("demotion", "demotion.intensity", +1),
        ("demotion", "demotion.detection", +1),
        ("clarification", "clarification.coverage", +1),
        ("clarification", "clarification.restoration", +1),
        ("clarification", "clarification.reach", +1),
        ("clarification", "clarification.typical_cases", +1),
        ("strict_without_tolerance", "discipline.severity", +1),
        ("strict_without_tolerance", "fault_tolerance.coverage", -1),
    ],
)
def test_scenario_moves_its_lever_the_way_its_comment_explains(
    name: str, lever: str, direction: int
) -> None:
    value, default = load(name).params[lever], params.by_name(lever).default
    assert (value - default) * direction > 0


def test_heilongjiang_campaign_runs_march_to_end_of_december() -> None:
    (campaign,) = load("false_accuser_crackdown").timeline
    assert (campaign.start, campaign.end) == (3, 13)
    assert (
        campaign.settings["crackdown.trace_probability"]
        > params.by_name("crackdown.trace_probability").default
    )


def test_combined_reform_bundles_the_single_lever_scenarios() -> None:
    combined = load("combined_reform")
    parts = ("fault_tolerance", "clarification", "demotion")
    expected: dict[str, object] = {}
    for part in parts:
        expected.update(load(part).changed())
    assert combined.changed() == expected
    assert combined.timeline == load("false_accuser_crackdown").timeline


def test_unknown_shipped_name_suggests_the_closest() -> None:
    (problem,) = problems_of("baselin")
    assert "unknown scenario 'baselin'" in problem
    assert "did you mean 'baseline'?" in problem


# ---------------------------------------------------------------------------
# Inheritance
# ---------------------------------------------------------------------------


def test_extends_is_resolved_relative_to_the_extending_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "parent.toml", "[fault_tolerance]\ncoverage = 0.5\ncredibility = 0.9\n")
    (tmp_path / "sub").mkdir()
    child = write(
        tmp_path / "sub",
        "child.toml",
        'extends = "../parent.toml"\n[fault_tolerance]\ncoverage = 0.7\n',
    )
    monkeypatch.chdir(SCENARIO_DIR)
    scenario = load(child)
    assert scenario.params["fault_tolerance.coverage"] == 0.7
    assert scenario.params["fault_tolerance.credibility"] == 0.9
    assert scenario.name == "child"
    assert scenario.parents == ((tmp_path / "parent.toml").resolve(),)


def test_child_timeline_entries_follow_the_parents(tmp_path: Path) -> None:
    write(
        tmp_path,
        "parent.toml",
        '[[timeline]]\nat = 2\nset = { "discipline.severity" = 3.0 }\n',
    )
    child = write(
        tmp_path,
        "child.toml",
        'extends = "parent.toml"\n[[timeline]]\nat = 5\nset = { "discipline.severity" = 4.0 }\n',
    )
    assert [change.start for change in load(child).timeline] == [2, 5]


def test_inherit_timeline_false_drops_the_parents_timeline(tmp_path: Path) -> None:
    write(tmp_path, "parent.toml", '[[timeline]]\nat = 2\nset = { "discipline.severity" = 3.0 }\n')
    child = write(tmp_path, "child.toml", 'extends = "parent.toml"\ninherit_timeline = false\n')
    assert load(child).timeline == ()


def test_scenario_metadata_is_not_inherited(tmp_path: Path) -> None:
    child = write(tmp_path, "mine.toml", f'extends = "{SCENARIO_DIR / "fault_tolerance.toml"}"\n')
    scenario = load(child)
    assert scenario.name == "mine"
    assert scenario.description == ""
    assert (
        scenario.params["fault_tolerance.coverage"]
        == load("fault_tolerance").params["fault_tolerance.coverage"]
    )


def test_missing_parent_names_the_extends_key_and_the_file(tmp_path: Path) -> None:
    child = write(tmp_path, "orphan.toml", 'extends = "nowhere.toml"\n')
    (problem,) = problems_of(child)
    assert "orphan.toml: extends = 'nowhere.toml'" in problem
    assert "parent file not found" in problem


def test_extends_cycle_names_the_whole_chain(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", 'extends = "b.toml"\n')
    write(tmp_path, "b.toml", 'extends = "c.toml"\n')
    write(tmp_path, "c.toml", 'extends = "a.toml"\n')
    (problem,) = problems_of(tmp_path / "a.toml")
    assert "cycle" in problem
    chain = problem.split("cycle: ")[1]
    assert [Path(part).name for part in chain.split(" -> ")] == [
        "a.toml",
        "b.toml",
        "c.toml",
        "a.toml",
    ]


def test_file_extending_itself_is_a_cycle(tmp_path: Path) -> None:
    path = write(tmp_path, "self.toml", 'extends = "self.toml"\n')
    (problem,) = problems_of(path)
    assert "extends = 'self.toml' makes a cycle" in problem


def test_problems_in_a_parent_are_reported_with_the_parents_name(tmp_path: Path) -> None:
    write(tmp_path, "parent.toml", "[demotion]\nintensity = 2.0\n")
    child = write(tmp_path, "child.toml", 'extends = "parent.toml"\n[demotion]\nloss = -1.0\n')
    lines = problems_of(child)
    assert any("parent.toml: demotion.intensity = 2.0 is out of range" in line for line in lines)
    assert any("child.toml: demotion.loss = -1.0 is out of range" in line for line in lines)


# ---------------------------------------------------------------------------
# Validation messages
# ---------------------------------------------------------------------------


def test_typo_key_suggests_correct_name(tmp_path: Path) -> None:
    path = write(tmp_path, "x.toml", "[fault_tolerance]\ncoverag = 0.5\n")
    (problem,) = problems_of(path)
    assert problem.endswith(
        "x.toml: fault_tolerance.coverag: unknown key (did you mean 'coverage'?)"
    )


def test_key_in_the_wrong_group_points_to_its_group(tmp_path: Path) -> None:
    path = write(tmp_path, "x.toml", "[fault_tolerance]\ntrace_probability = 0.5\n")
    (problem,) = problems_of(path)
    assert "did you mean 'crackdown.trace_probability'?" in problem


def test_unknown_group_table_suggests_the_group(tmp_path: Path) -> None:
    path = write(tmp_path, "x.toml", "[fault_tolerence]\ncoverage = 0.5\n")
    (problem,) = problems_of(path)
    assert "[fault_tolerence]: unknown parameter group (did you mean 'fault_tolerance'?)" in problem


def test_parameter_outside_its_table_names_the_tables_it_belongs_to(tmp_path: Path) -> None:
    path = write(tmp_path, "x.toml", "coverage = 0.5\n")
    (problem,) = problems_of(path)
    assert "'fault_tolerance.coverage'" in problem and "'clarification.coverage'" in problem


def test_out_of_range_value_names_file_key_value_and_range(tmp_path: Path) -> None:
    path = write(tmp_path, "x.toml", "[fault_tolerance]\ncoverage = 1.7\n")
    (problem,) = problems_of(path)
    assert problem.endswith(
        "x.toml: fault_tolerance.coverage = 1.7 is out of range [0.0, 1.0] (share)"
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            'coverage = "0.5"',
            "fault_tolerance.coverage must be a number in [0.0, 1.0] (share), got '0.5'",
        ),
        (
            'coverage = "high"',
            "fault_tolerance.coverage must be a number in [0.0, 1.0] (share), got 'high'",
        ),
        (
            "coverage = true",
            "fault_tolerance.coverage must be a number in [0.0, 1.0] (share), got true",
        ),
        ("coverage = nan", "fault_tolerance.coverage must be a finite number, got nan"),
    ],
)
def test_wrong_type_names_key_and_value(tmp_path: Path, line: str, expected: str) -> None:
    path = write(tmp_path, "x.toml", f"[fault_tolerance]\n{line}\n")
    (problem,) = problems_of(path)
    assert problem.endswith(f"x.toml: {expected}")


def test_whole_number_parameter_rejects_a_fraction(tmp_path: Path) -> None:
    path = write(tmp_path, "x.toml", "[workforce]\npopulation = 500.5\n")
    (problem,) = problems_of(path)
    p = params.by_name("workforce.population")
    assert f"workforce.population must be a whole number in [{p.low}, {p.high}] (cadres)" in problem
    assert "got 500.5" in problem


def test_switch_parameter_rejects_a_number(tmp_path: Path) -> None:
    path = write(tmp_path, "x.toml", "[workforce]\ndemography = 1\n")
    (problem,) = problems_of(path)
    assert problem.endswith("workforce.demography must be true or false, got 1")


def test_integer_is_accepted_for_a_real_parameter_and_stored_as_float(tmp_path: Path) -> None:
    path = write(tmp_path, "x.toml", "[discipline]\nseverity = 4\n")
    value = load(path).params["discipline.severity"]
    assert value == 4.0 and isinstance(value, float)


def test_bad_toml_reports_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "x.toml", "[fault_tolerance]\ncoverage = = 0.5\n")
    (problem,) = problems_of(path)
    assert "x.toml: invalid TOML:" in problem
    assert "line 2" in problem


def test_missing_file_is_named(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path / "absent.toml")
    assert problem.endswith("absent.toml: file not found")


def test_every_problem_in_a_file_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "x.toml",
        "[scenario]\ntitle = 'x'\n[fault_tolerance]\ncoverag = 0.5\ncredibility = 2.0\n"
        "[workforce]\nlevels = 'five'\n",
    )
    lines = problems_of(path)
    assert len(lines) == 4
    assert all("x.toml: " in line for line in lines)


def test_scenario_name_must_be_usable_as_a_folder_name(tmp_path: Path) -> None:
    path = write(tmp_path, "x.toml", '[scenario]\nname = "../escape"\n')
    (problem,) = problems_of(path)
    assert "scenario.name = '../escape'" in problem


def test_scenario_files_are_data_and_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    path = write(
        tmp_path,
        "x.toml",
        f"[scenario]\ndescription = \"__import__('pathlib').Path('{marker}').touch()\"\n",
    )
    assert load(path).description.startswith("__import__")
    assert not marker.exists()


# ---------------------------------------------------------------------------
# Timeline entries
# ---------------------------------------------------------------------------


def test_timeline_accepts_quoted_and_nested_parameter_names(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "x.toml",
        '[[timeline]]\nat = 24\nlabel = "reform"\nset = { "fault_tolerance.coverage" = 0.6 }\n'
        "[[timeline]]\nfrom = 3\nuntil = 13\n[timeline.set]\ncrackdown.trace_probability = 1\n",
    )
    assert load(path).timeline == (
        PolicyChange(24, None, {"fault_tolerance.coverage": 0.6}, "reform"),
        PolicyChange(3, 13, {"crackdown.trace_probability": 1.0}, ""),
    )


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("at = 3\nfrom = 4\nuntil = 6", "timeline[1]: use either 'at'"),
        ("label = 'x'", "timeline[1]: needs 'at'"),
        ("from = 4", "timeline[1]: a campaign needs both 'from' and 'until' ('until' is missing"),
        ("from = 9\nuntil = 4", "timeline[1].until = 4 must be after from = 9"),
        ("at = 0", "timeline[1].at must be a whole month >= 1"),
        ("at = 2.5", "timeline[1].at must be a whole month >= 1"),
        ("at = 3\nstart = 2", "timeline[1].start: unknown key"),
    ],
)
def test_malformed_timeline_entry_is_explained(tmp_path: Path, entry: str, expected: str) -> None:
    path = write(
        tmp_path, "x.toml", f'[[timeline]]\n{entry}\nset = {{ "discipline.severity" = 3.0 }}\n'
    )
    lines = problems_of(path)
    assert any(expected in line and "x.toml: " in line for line in lines), lines


def test_timeline_unknown_parameter_suggests_the_name(tmp_path: Path) -> None:
    path = write(
        tmp_path, "x.toml", '[[timeline]]\nat = 3\nset = { "crackdown.trace_probabilty" = 0.5 }\n'
    )
    (problem,) = problems_of(path)
    assert "timeline[1].set.crackdown.trace_probabilty: unknown key" in problem
    assert "did you mean 'trace_probability'?" in problem


def test_timeline_value_out_of_range_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "x.toml", '[[timeline]]\nat = 3\nset = { "demotion.intensity" = 1.5 }\n')
    (problem,) = problems_of(path)
    assert "timeline[1].set.demotion.intensity = 1.5 is out of range [0.0, 1.0]" in problem


def test_timeline_cannot_change_a_structural_parameter(tmp_path: Path) -> None:
    path = write(
        tmp_path, "x.toml", '[[timeline]]\nat = 3\nset = { "workforce.population" = 500 }\n'
    )
    (problem,) = problems_of(path)
    assert "timeline[1].set.workforce.population: fixed when the model is built" in problem


def test_timeline_entry_must_set_something(tmp_path: Path) -> None:
    path = write(tmp_path, "x.toml", "[[timeline]]\nat = 3\n")
    (problem,) = problems_of(path)
    assert "timeline[1].set is missing" in problem


# ---------------------------------------------------------------------------
# --set, overrides, digests, model keyword arguments
# ---------------------------------------------------------------------------


def test_parse_set_reads_values_as_toml() -> None:
    parsed = parse_set(
        ["fault_tolerance.coverage=0.6", "workforce.population=300", "workforce.demography=false"]
    )
    assert parsed == {
        "fault_tolerance.coverage": 0.6,
        "workforce.population": 300,
        "workforce.demography": False,
    }


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("fault_tolerance.coverage", "--set 'fault_tolerance.coverage': expected group.key=value"),
        (
            "fault_tolerance.coverag=0.5",
            "--set: fault_tolerance.coverag: unknown key (did you mean 'coverage'?)",
        ),
        ("fault_tolerance.coverage=high", "--set: fault_tolerance.coverage must be a number"),
        ("fault_tolerance.coverage=1.5", "--set: fault_tolerance.coverage = 1.5 is out of range"),
        ("coverage=0.5", "--set: coverage: unknown parameter (did you mean"),
    ],
)
def test_bad_set_option_is_explained(item: str, expected: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_set([item], origin="--set")
    assert expected in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.5\nworkforce.population=5", "a line break is not allowed"),
        ("0.5\r\nworkforce.population=5", "a line break is not allowed"),
        ("0.5, workforce.population = 5", "holds another assignment"),
        ("0.5 = 5", "holds another assignment"),
        ("[0.5, 0.6]", "is an array"),
        ("{ x = 1 }", "is a table"),
        ("0.5 abc", "is not a single value"),
        ("0.5 # a comment", "is not a single value"),
        ("1979-05-27", "is a date or time"),
    ],
)
def test_set_takes_exactly_one_scalar_value(text: str, expected: str) -> None:
    item = f"fault_tolerance.coverage={text}"
    with pytest.raises(InputError) as caught:
        parse_set([item, "discipline.severity=2"], origin="--set")
    (problem,) = caught.value.problems
    assert problem.startswith(f"--set {item!r}: ")
    assert expected in problem


def test_set_never_drops_a_second_assignment_silently() -> None:
    with pytest.raises(InputError, match="line break"):
        parse_set(["fault_tolerance.coverage=0.5\nworkforce.population=5"], origin="--set")


def test_set_reads_every_scalar_spelling() -> None:
    assert parse_set(["discipline.severity=1e1", "workforce.population=1_000"]) == {
        "discipline.severity": 10.0,
        "workforce.population": 1000,
    }
    with pytest.raises(InputError, match="got 'x = 1'"):
        parse_set(["fault_tolerance.coverage='x = 1'"])


@pytest.mark.parametrize("name", ["../escape", ".hidden", "two words", "x" * 129])
def test_scenario_names_follow_the_one_name_rule(name: str, tmp_path: Path) -> None:
    path = write(tmp_path, "x.toml", f"[scenario]\nname = {name!r}\n")
    (problem,) = problems_of(path)
    assert "x.toml: scenario.name = '" in problem
    assert NAME_RULE in problem
    with pytest.raises(InputError) as caught:
        load("baseline").with_overrides({}, name=name, origin="sweep")
    (problem,) = caught.value.problems
    assert problem.startswith("sweep: name = '") and NAME_RULE in problem


def test_with_overrides_returns_a_validated_copy() -> None:
    base = load("baseline")
    changed = base.with_overrides({"fault_tolerance.coverage": 1}, name="ft_full")
    assert changed.params["fault_tolerance.coverage"] == 1.0
    assert changed.name == "ft_full"
    assert base.params["fault_tolerance.coverage"] == params.defaults()["fault_tolerance.coverage"]
    with pytest.raises(InputError, match="sweep: fault_tolerance.coverage = 3.0 is out of range"):
        base.with_overrides({"fault_tolerance.coverage": 3.0}, origin="sweep")


def test_digest_is_stable_and_tracks_parameters() -> None:
    assert load("baseline").digest() == load("baseline").digest()
    changed = load("baseline").with_overrides({"discipline.severity": 2.5})
    assert changed.digest() != load("baseline").digest()


def test_model_kwargs_build_a_model_with_the_timeline() -> None:
    kwargs = load("false_accuser_crackdown").with_overrides({"workforce.population": 200})
    model = CadreModel(rng=1, **kwargs.model_kwargs())
    assert model.params["workforce.population"] == 200
    assert model.policy_marks == [
        (3, "Heilongjiang special action on"),
        (13, "Heilongjiang special action off"),
    ]


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_any_valid_parameter_values_round_trip_through_toml(data: st.DataObject) -> None:
    overrides: dict[str, object] = {}
    for p in data.draw(st.lists(st.sampled_from(params.PARAMS), max_size=6, unique=True)):
        if p.type is bool:
            overrides[p.name] = data.draw(st.booleans())
        elif p.type is int:
            overrides[p.name] = data.draw(st.integers(int(p.low), int(p.high)))
        else:
            overrides[p.name] = data.draw(
                st.floats(float(p.low), float(p.high), allow_nan=False, allow_infinity=False)
            )
    description = data.draw(st.text(max_size=30))
    scenario = Scenario.from_dict({"scenario": {"description": description}}).with_overrides(
        overrides
    )
    text = scenario.to_toml()
    assert Scenario.from_dict(tomllib.loads(text)) == scenario


# ---------------------------------------------------------------------------
# Timeline edges in the running model
# ---------------------------------------------------------------------------

EDGE_SCENARIO = """
[scenario]
name = "edges"
[workforce]
population = 1000
[accusation]
false_report_rate = 0.03
investigation_months = 1.0
[crackdown]
trace_probability = 0.0
[fault_tolerance]
coverage = 0.0
credibility = 1.0

[[timeline]]
label = "tolerance on"
at = 6
set = { "fault_tolerance.coverage" = 1.0 }

[[timeline]]
label = "campaign"
from = 4
until = 9
set = { "crackdown.trace_probability" = 1.0 }
"""


@pytest.fixture(scope="module")
def edge_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[dict[str, float]], object]:
    """Run the edge scenario 20 months, recording the in-force parameters each month."""
    path = write(tmp_path_factory.mktemp("edges"), "edges.toml", EDGE_SCENARIO)
    model = CadreModel(rng=3, **load(path).model_kwargs())
    seen = [model.params.to_dict()]
    for _ in range(20):
        model.step()
        seen.append(model.params.to_dict())
    return seen, model.timeseries()


def test_permanent_change_takes_effect_exactly_at_its_month(edge_run: tuple) -> None:
    seen, frame = edge_run
    assert [seen[m]["fault_tolerance.coverage"] for m in (4, 5, 6, 7, 20)] == [0, 0, 1, 1, 1]
    column = frame.set_index("month")["fault_tolerance.coverage"]
    assert column[5] == 0.0 and column[6] == 1.0
    exemptions = frame.set_index("month")["exemptions"]
    assert exemptions.loc[1:5].sum() == 0
    assert exemptions.loc[6:20].sum() > 0


def test_campaign_starts_at_from_and_ends_at_until(edge_run: tuple) -> None:
    seen, frame = edge_run
    values = [seen[m]["crackdown.trace_probability"] for m in (3, 4, 8, 9, 10)]
    assert values == [0.0, 1.0, 1.0, 0.0, 0.0]
    column = frame.set_index("month")["crackdown.trace_probability"]
    assert list(column.loc[2:10]) == [0, 0, 1, 1, 1, 1, 1, 0, 0]


def test_false_accusers_are_punished_only_during_the_campaign(edge_run: tuple) -> None:
    _, frame = edge_run
    punished = frame.set_index("month")["false_accusers_punished"]
    assert punished.loc[1:3].sum() == 0
    assert punished.loc[4:8].sum() > 0
    assert punished.loc[9:20].sum() == 0


def test_deterrence_rises_at_from_and_fades_from_until(edge_run: tuple) -> None:
    _, frame = edge_run
    deterrence = frame.set_index("month")["deterrence"]
    assert deterrence[3] == deterrence[0]
    assert deterrence[4] > deterrence[3]
    assert deterrence[8] > deterrence[7]
    assert deterrence[9] < deterrence[8]
    assert deterrence[20] < deterrence[9]
