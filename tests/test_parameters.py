"""The one validator: numpy numbers, bools, whole floats and messages at every entry point."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.errors import InputError
from sim.parameters import registry as params
from sim.parameters import schema
from sim.parameters.names import MAX_NAME_LENGTH, NAME_RULE, name_message
from sim.parameters.timeline import PolicyChange, coerce_timeline
from sim.parameters.values import Params, coerce_value
from sim.scenarios import Scenario, load, parse_set

COVERAGE = "fault_tolerance.coverage"
POPULATION = "workforce.population"
DEMOGRAPHY = "workforce.demography"


def _toml(value: Any) -> str:
    """A plain value in TOML spelling, for writing it into a file or a --set option."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return repr(value)


# ---------------------------------------------------------------------------
# Every entry point, as a function (name, value, tmp_path) -> the problem line
# ---------------------------------------------------------------------------


def _file(name: str, value: Any, tmp_path: Path) -> str:
    group, _, key = name.partition(".")
    path = tmp_path / "x.toml"
    path.write_text(f"[{group}]\n{key} = {_toml(value)}\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load(path)
    (problem,) = caught.value.problems
    return problem.replace(f"{tmp_path}/", "")


def _timeline_file(name: str, value: Any, tmp_path: Path) -> str:
    path = tmp_path / "x.toml"
    path.write_text(f'[[timeline]]\nat = 3\nset = {{ "{name}" = {_toml(value)} }}\n')
    with pytest.raises(InputError) as caught:
        load(path)
    (problem,) = caught.value.problems
    return problem.replace(f"{tmp_path}/", "")


def _set_option(name: str, value: Any, tmp_path: Path) -> str:
    with pytest.raises(InputError) as caught:
        parse_set([f"{name}={_toml(value)}"], origin="--set")
    (problem,) = caught.value.problems
    return problem


def _with_overrides(name: str, value: Any, tmp_path: Path) -> str:
    with pytest.raises(InputError) as caught:
        load("baseline").with_overrides({name: value}, origin="sweep")
    (problem,) = caught.value.problems
    return problem


def _from_dict(name: str, value: Any, tmp_path: Path) -> str:
    group, _, key = name.partition(".")
    with pytest.raises(InputError) as caught:
        Scenario.from_dict({group: {key: value}}, origin="data")
    (problem,) = caught.value.problems
    return problem


def _check_values(name: str, value: Any, tmp_path: Path) -> str:
    problems: list[str] = []
    assert schema.check_values({name: value}, "exp.toml: set", problems) == {}
    (problem,) = problems
    return problem


def _check_value(name: str, value: Any, tmp_path: Path) -> str:
    problems: list[str] = []
    assert schema.check_value(name, value, "exp.toml", problems) is None
    (problem,) = problems
    return problem


def _coerce_value(name: str, value: Any, tmp_path: Path) -> str:
    with pytest.raises(ValueError) as caught:
        coerce_value(params.by_name(name), value)
    return str(caught.value)


def _params_replace(name: str, value: Any, tmp_path: Path) -> str:
    with pytest.raises(ValueError) as caught:
        Params.defaults().replace({name: value})
    return str(caught.value)


def _params_from_kwargs(name: str, value: Any, tmp_path: Path) -> str:
    with pytest.raises(ValueError) as caught:
        Params.from_kwargs({params.kwarg_of(name): value})
    return str(caught.value)


def _policy_change(name: str, value: Any, tmp_path: Path) -> str:
    with pytest.raises(ValueError) as caught:
        PolicyChange(3, None, {name: value})
    return str(caught.value)


def _coerce_timeline(name: str, value: Any, tmp_path: Path) -> str:
    with pytest.raises(ValueError) as caught:
        coerce_timeline([{"at": 3, "set": {name: value}}])
    return str(caught.value)


#: Entry point -> (function, how the line starts before the key path).
ENTRY_POINTS: dict[str, tuple[Callable[[str, Any, Path], str], str]] = {
    "scenario file": (_file, "x.toml: "),
    "timeline in a file": (_timeline_file, "x.toml: timeline[1].set."),
    "--set": (_set_option, "--set: "),
    "with_overrides": (_with_overrides, "sweep: "),
    "from_dict": (_from_dict, "data: "),
    "check_values": (_check_values, "exp.toml: set: "),
    "check_value": (_check_value, "exp.toml: "),
    "coerce_value": (_coerce_value, ""),
    "Params.replace": (_params_replace, ""),
    "Params.from_kwargs": (_params_from_kwargs, ""),
    "PolicyChange": (_policy_change, ""),
    "coerce_timeline": (_coerce_timeline, "timeline[1].set."),
}

#: Bad values the files can spell too, and the line every entry point gives.
BAD_VALUES: list[tuple[str, Any, str]] = [
    (COVERAGE, 1.7, "fault_tolerance.coverage = 1.7 is out of range [0.0, 1.0] (share)"),
    (COVERAGE, -1, "fault_tolerance.coverage = -1 is out of range [0.0, 1.0] (share)"),
    (
        COVERAGE,
        True,
        "fault_tolerance.coverage must be a number in [0.0, 1.0] (share), got true",
    ),
    (
        COVERAGE,
        "0.5",
        "fault_tolerance.coverage must be a number in [0.0, 1.0] (share), got '0.5'",
    ),
    (COVERAGE, math.nan, "fault_tolerance.coverage must be a finite number, got nan"),
    (COVERAGE, math.inf, "fault_tolerance.coverage must be a finite number, got inf"),
    (
        POPULATION,
        500.5,
        "workforce.population must be a whole number in [20, 2000000] (cadres), got 500.5",
    ),
    (
        POPULATION,
        False,
        "workforce.population must be a whole number in [20, 2000000] (cadres), got false",
    ),
    (POPULATION, 5, "workforce.population = 5 is out of range [20, 2000000] (cadres)"),
    (DEMOGRAPHY, 1, "workforce.demography must be true or false, got 1"),
    (DEMOGRAPHY, "yes", "workforce.demography must be true or false, got 'yes'"),
]

#: Structural parameters cannot be set by a timeline; those entry points say so instead.
TIMELINES = {"timeline in a file", "PolicyChange", "coerce_timeline"}


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
@pytest.mark.parametrize(("name", "value", "expected"), BAD_VALUES)
def test_the_same_bad_value_gives_the_same_line_from_every_entry_point(
    entry: str, name: str, value: Any, expected: str, tmp_path: Path
) -> None:
    check, prefix = ENTRY_POINTS[entry]
    if entry in TIMELINES and params.by_name(name).structural:
        expected = f"{name}: fixed when the model is built (structural); it cannot change"
    assert check(name, value, tmp_path).startswith(prefix + expected)


PYTHON_ENTRY_POINTS = ["with_overrides", "check_values", "check_value", "coerce_value"]
PYTHON_ENTRY_POINTS += ["Params.replace", "Params.from_kwargs", "PolicyChange"]


@pytest.mark.parametrize("entry", PYTHON_ENTRY_POINTS)
@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (np.float64(1.7), "= 1.7 is out of range"),
        (np.int64(2), "= 2 is out of range"),
        (np.bool_(True), "must be a number in [0.0, 1.0] (share), got true"),
        (np.float32(np.nan), "must be a finite number, got nan"),
    ],
)
def test_numpy_values_are_reported_as_the_plain_values_they_stand_for(
    entry: str, value: Any, shown: str, tmp_path: Path
) -> None:
    check, prefix = ENTRY_POINTS[entry]
    assert check(COVERAGE, value, tmp_path).startswith(f"{prefix}{COVERAGE} {shown}")


# ---------------------------------------------------------------------------
# Numpy and other standard numbers are accepted and made plain
# ---------------------------------------------------------------------------

NUMPY_VALUES: dict[str, tuple[Any, Any]] = {
    # name: (numpy value, the plain value it becomes)
    POPULATION: (np.int64(300), 300),
    COVERAGE: (np.float32(0.5), 0.5),
    "discipline.severity": (np.int32(4), 4.0),
    DEMOGRAPHY: (np.bool_(False), False),
}


def _assert_plain(values: dict[str, Any]) -> None:
    for name, (_, plain) in NUMPY_VALUES.items():
        assert values[name] == plain and type(values[name]) is type(plain), name


def test_numpy_numbers_through_with_overrides_are_stored_plain() -> None:
    changed = load("baseline").with_overrides({k: v for k, (v, _) in NUMPY_VALUES.items()})
    _assert_plain(changed.params)


def test_numpy_numbers_through_params_are_stored_plain() -> None:
    numpy = {k: v for k, (v, _) in NUMPY_VALUES.items()}
    _assert_plain(Params.from_values(numpy).to_dict())
    _assert_plain(Params.defaults().replace(numpy).to_dict())
    kwargs = {params.kwarg_of(k): v for k, v in numpy.items()}
    _assert_plain(Params.from_kwargs(kwargs).to_dict())
    _assert_plain({k: coerce_value(params.by_name(k), v) for k, v in numpy.items()})


def test_numpy_numbers_through_a_policy_change_are_stored_plain() -> None:
    settings = {COVERAGE: np.float32(0.5), "discipline.severity": np.int64(4)}
    change = PolicyChange(np.int64(3), np.int16(9), settings, "reform")
    assert (change.start, change.end) == (3, 9)
    assert type(change.start) is int and type(change.end) is int
    assert change.settings == {COVERAGE: 0.5, "discipline.severity": 4.0}
    assert all(type(v) is float for v in change.settings.values())
    (again,) = coerce_timeline([{"from": np.int64(3), "until": 9, "set": settings}])
    assert (again.start, again.end, again.settings) == (3, 9, change.settings)


def test_numpy_numbers_in_plain_scenario_data_are_accepted() -> None:
    entry = {"at": np.int64(2), "set": {COVERAGE: np.float64(0.5)}}
    data = {"workforce": {"population": np.int64(300)}, "timeline": [entry]}
    scenario = Scenario.from_dict(data)
    assert type(scenario.params[POPULATION]) is int
    assert scenario.timeline[0].start == 2 and type(scenario.timeline[0].start) is int


def test_other_standard_numbers_are_made_plain() -> None:
    assert schema.plain_number(Fraction(1, 4)) == 0.25
    assert type(coerce_value(params.by_name(COVERAGE), Fraction(1, 4))) is float
    assert schema.plain_number(np.bool_(True)) is True
    assert schema.plain_number(True) is True
    assert schema.plain_number("0.5") == "0.5"


def test_a_model_accepts_numpy_keyword_arguments() -> None:
    from sim.model import CadreModel

    model = CadreModel(
        rng=1,
        workforce_population=np.int64(40),
        fault_tolerance_coverage=np.float32(0.5),
        workforce_demography=np.bool_(True),
        simulation_warmup_months=np.int64(0),
    )
    assert type(model.params[POPULATION]) is int
    assert type(model.params[COVERAGE]) is float
    assert model.params[DEMOGRAPHY] is True


# ---------------------------------------------------------------------------
# Whole floats: Python callers yes, files and options no
# ---------------------------------------------------------------------------


def test_python_callers_may_give_a_whole_float_for_a_whole_number() -> None:
    assert coerce_value(params.by_name(POPULATION), 300.0) == 300
    assert type(coerce_value(params.by_name(POPULATION), np.float64(300.0))) is int
    assert Params.from_kwargs({"workforce_population": 300.0}).workforce.population == 300
    assert PolicyChange(3.0, None, {"career.min_tenure": 6.0}).start == 3
    (change,) = coerce_timeline([{"at": 2.0, "set": {"career.min_tenure": 6.0}}])
    assert change.settings == {"career.min_tenure": 6}


@pytest.mark.parametrize("entry", ["scenario file", "--set", "with_overrides", "check_values"])
def test_files_and_options_reject_a_whole_float_for_a_whole_number(
    entry: str, tmp_path: Path
) -> None:
    check, prefix = ENTRY_POINTS[entry]
    assert check(POPULATION, 300.0, tmp_path).startswith(
        f"{prefix}workforce.population must be a whole number in [20, 2000000] (cadres), got 300.0"
    )


def test_a_fractional_month_is_rejected_everywhere() -> None:
    with pytest.raises(ValueError, match=r"timeline\[1\].at must be a whole month >= 1"):
        coerce_timeline([{"at": 2.5, "set": {COVERAGE: 0.5}}])
    with pytest.raises(ValueError, match="start must be a whole month >= 1"):
        PolicyChange(2.5, None, {COVERAGE: 0.5})
    with pytest.raises(ValueError, match="start must be a whole month >= 1"):
        PolicyChange(True, None, {COVERAGE: 0.5})


# ---------------------------------------------------------------------------
# Names, structural parameters, the registry's models
# ---------------------------------------------------------------------------


def test_unknown_names_raise_key_error_with_a_suggestion() -> None:
    with pytest.raises(KeyError, match="did you mean 'fault_tolerance.coverage'"):
        Params.defaults().replace({"fault_tolerance.coverag": 0.5})
    with pytest.raises(KeyError, match="did you mean 'fault_tolerance_coverage'"):
        Params.from_kwargs({"fault_tolerance_coverag": 0.5})
    with pytest.raises(KeyError):
        Params.defaults().get("nothing.here")


def test_unknown_names_in_a_policy_change_are_explained() -> None:
    with pytest.raises(ValueError, match="unknown key \\(did you mean 'trace_probability'\\?\\)"):
        PolicyChange(3, None, {"crackdown.trace_probabilty": 0.5})
    with pytest.raises(ValueError, match="coverage: unknown parameter"):
        PolicyChange(3, None, {"coverage": 0.5})


def test_structural_parameters_cannot_change_in_a_policy_change() -> None:
    for p in params.PARAMS:
        if p.structural:
            with pytest.raises(ValueError, match=f"{p.name}: fixed when the model is built"):
                PolicyChange(3, None, {p.name: p.default})


def test_structural_parameters_may_be_month_one_values() -> None:
    problems: list[str] = []
    assert schema.check_values({POPULATION: 300}, "x", problems) == {POPULATION: 300}
    assert problems == []


def test_check_value_names_the_key_path_it_is_given() -> None:
    problems: list[str] = []
    assert schema.check_value(COVERAGE, 0.25, "exp.toml", problems) == 0.25
    schema.check_value(COVERAGE, 2.0, "exp.toml", problems, where="vary[1].values[2]")
    schema.check_value("fault_tolerance.coverag", 0.5, "exp.toml", problems)
    assert problems == [
        "exp.toml: vary[1].values[2] = 2.0 is out of range [0.0, 1.0] (share)",
        "exp.toml: fault_tolerance.coverag: unknown parameter "
        "(did you mean 'fault_tolerance.coverage'?)",
    ]


def test_group_models_are_generated_from_the_registry() -> None:
    for group in params.GROUPS:
        fields = schema.group_model(group).model_fields
        assert list(fields) == [p.key for p in params.group_params(group)]
        for p in params.group_params(group):
            assert fields[p.key].default == p.default
            assert fields[p.key].description == p.meaning


def test_param_has_no_check_of_its_own() -> None:
    assert not hasattr(params.Param, "check")


@pytest.mark.parametrize("name", ["../escape", ".hidden", "a b", "", "a/b", "x" * 129])
def test_name_message_names_where_the_value_and_the_rule(name: str) -> None:
    message = name_message("x.toml: scenario.name", name)
    assert message is not None
    shown = repr(name) if len(name) <= 40 else repr(name[:37] + "...")
    assert (
        message == f"x.toml: scenario.name = {shown} must be {NAME_RULE} (it names output folders)"
    )


def test_usable_names_give_no_message() -> None:
    assert name_message("where", "ft_0.5-high") is None
    assert name_message("where", "x" * MAX_NAME_LENGTH) is None
    assert name_message("where", 3) == f"where must be text ({NAME_RULE}), got 3"


def test_dotted_names_come_from_quoted_and_nested_keys() -> None:
    problems: list[str] = []
    raw = {"crackdown": {"trace_probability": 0.5}, "demotion.loss": 2, "nowhere": {"x": 1}}
    flat = schema.dotted(raw, "exp.toml", "set", problems)
    assert flat == {"crackdown.trace_probability": 0.5, "demotion.loss": 2}
    assert problems == [
        "exp.toml: set.nowhere: unknown parameter "
        "(names are group.key, e.g. fault_tolerance.coverage)"
    ]
    assert schema.check_values(flat, "exp.toml: set", problems) == {
        "crackdown.trace_probability": 0.5,
        "demotion.loss": 2.0,
    }
