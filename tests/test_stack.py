"""Stacked runs: K runs stepped together in one set of arrays give each run's data bit for bit."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.model import CadreModel
from sim.model.constants import RETIREMENT_AGE
from sim.model.processes import evaluation, setup
from sim.model.processes.annual import annual_evaluation
from sim.model.stack import RunSpec, RunStack, structure
from sim.model.stacking import RunParams, Runs, per_run, run_table, run_values
from sim.model.state import Organisation, Population
from sim.parameters.values import Params
from sim.runs import store as results
from sim.runs.batch import run_batch, stack_tasks
from sim.runs.execute import RunTask
from sim.scenarios import load, shipped

MONTHS = 26  # two annual evaluations


def _alone(scenario, seed: int) -> tuple[RunSpec, pd.DataFrame]:
    model = CadreModel(**scenario.model_kwargs(), rng=seed)
    model.run(MONTHS)
    return RunSpec(model.base_params, model.timeline, seed), model.timeseries()


def test_every_run_of_a_stack_is_identical_to_the_run_alone() -> None:
    # every shipped scenario (different levers, timelines, demography) in one stack
    scenarios = [load(name).with_overrides({"workforce.population": 160}) for name in shipped()]
    pairs = [_alone(s, 40 + i) for i, s in enumerate(scenarios)]
    stack = RunStack([spec for spec, _ in pairs])
    stack.run(MONTHS)
    for r, (_, frame) in enumerate(pairs):
        pd.testing.assert_frame_equal(stack.timeseries(r), frame, check_exact=True)


def test_a_stack_of_replicates_with_a_policy_switch_matches_each_replicate() -> None:
    base = load("baseline").with_overrides(
        {"workforce.population": 120, "fault_tolerance.coverage": 0.3}
    )
    timeline = ({"at": 14, "set": {"fault_tolerance.coverage": 0.9}},)
    specs, frames = [], []
    for seed in (1, 2, 3):
        model = CadreModel(**base.model_kwargs() | {"timeline": timeline}, rng=seed)
        model.run(MONTHS)
        specs.append(RunSpec(model.base_params, model.timeline, seed))
        frames.append(model.timeseries())
    stack = RunStack(specs)
    stack.run(MONTHS)
    for r, frame in enumerate(frames):
        pd.testing.assert_frame_equal(stack.timeseries(r), frame, check_exact=True)
    assert "fault_tolerance.coverage" in frames[0].columns


def test_runs_of_different_structure_are_not_stacked() -> None:
    small = Params.from_values({"workforce.population": 50})
    large = Params.from_values({"workforce.population": 60})
    assert structure(small) != structure(large)
    with pytest.raises(ValueError, match="different structure"):
        RunStack([RunSpec(small, (), 1), RunSpec(large, (), 2)])
    with pytest.raises(ValueError, match="at least one"):
        RunStack([])


def test_per_run_sums_are_summed_as_each_run_alone_sums_them() -> None:
    rng = np.random.default_rng(5)
    runs = Runs.stacked(3, 1000, 10)
    values = rng.random(3000) * 10.0 ** rng.uniform(-6, 6, 3000)
    mask = rng.random(3000) < 0.7
    for r, total in enumerate(runs.sums(values, mask)):
        rows = runs.bounds(r)
        assert total == values[rows][mask[rows]].sum()  # exact, not approximately
    assert list(runs.counts(mask)) == [int(mask[runs.bounds(r)].sum()) for r in range(3)]
    split = runs.split(np.flatnonzero(mask))
    assert [part.size for part in split] == list(runs.counts(mask))


def test_run_sums_equal_each_run_summed_alone() -> None:
    """Runs.sums sums each run's numbers (all, or those in a mask) as the run's own array."""
    rng = np.random.default_rng(12)
    sizes = [0, 1, 7, 8, 9, 127, 128, 129, 1000, 2000, 8191, 8193, 20000]
    for trial in range(300):
        count = int(rng.integers(1, 18))
        size = sizes[trial % len(sizes)] if trial < 2 * len(sizes) else int(rng.integers(0, 4000))
        runs = Runs.stacked(count, size, 3)
        values = rng.standard_normal(count * size) * 10.0 ** rng.uniform(-8, 8, count * size)
        mask = rng.random(count * size) < rng.random()
        alone = [values[runs.bounds(r)] for r in range(count)]
        assert runs.sums(values) == [float(part.sum()) for part in alone]
        assert runs.sums(values, mask) == [
            float(part[mask[runs.bounds(r)]].sum()) for r, part in enumerate(alone)
        ]
        rows = np.flatnonzero(mask)
        for r, part in enumerate(runs.split(rows)):
            assert part.tolist() == rows[(rows >= r * size) & (rows < (r + 1) * size)].tolist()


def test_run_block_sums_equal_each_row_summed_alone() -> None:
    """A block of rows summed along its rows (outputs' means) sums each row as a 1-d array."""
    rng = np.random.default_rng(13)
    for _ in range(300):
        n, m = int(rng.integers(1, 20000)), int(rng.integers(1, 9))
        values = rng.standard_normal((m, n)) * 10.0 ** rng.uniform(-8, 8, (m, n))
        a = int(rng.integers(0, n))
        b = int(rng.integers(a, n + 1))
        block = np.add.reduce(values[:, a:b], axis=1).tolist()
        assert block == [float(values[j, a:b].sum()) for j in range(m)]


def _rates(p: Params, pick: object) -> list[float]:
    """A module function's table: kept by the RunParams."""
    return [p.fault_tolerance.coverage, p.behaviour.habit]


def test_run_tables_are_kept_and_run_values_are_each_runs_value() -> None:
    runs = Runs.stacked(3, 4, 2)
    params = RunParams(
        [Params.from_values({"fault_tolerance.coverage": c}) for c in (0.1, 0.5, 0.9)], runs
    )
    table, run = run_table(params, runs.rows, _rates)
    assert table.tolist() == [[c, params.of(0).behaviour.habit] for c in (0.1, 0.5, 0.9)]
    assert run_table(params, runs.rows, _rates)[0] is table  # kept
    assert run.tolist() == runs.run.tolist()
    fresh = run_table(params, runs.rows, lambda p, pick: [p.fault_tolerance.coverage])[0]
    assert fresh.ravel().tolist() == [0.1, 0.5, 0.9]
    per_row = runs.per_row([0.3, 0.7, 1.1])
    assert per_row.tolist() == np.repeat([0.3, 0.7, 1.1], 4).tolist()
    want = [per_run(runs, per_row, r) for r in range(3)]
    assert run_values(params, per_row).tolist() == want
    assert run_values(params, 0.25).tolist() == [0.25] * 3


def test_run_params_are_numbers_when_shared_and_per_row_when_not() -> None:
    runs = Runs.stacked(2, 4, 3)
    a = Params.from_values({"fault_tolerance.coverage": 0.2})
    b = Params.from_values({"fault_tolerance.coverage": 0.8})
    params = RunParams([a, b], runs)
    assert params.behaviour.habit == a.behaviour.habit  # shared: the number itself
    coverage = params.fault_tolerance.coverage
    assert list(coverage) == [0.2] * 4 + [0.8] * 4
    assert params.of(1) is b


def _task(name: str, population: int, replicate: int) -> RunTask:
    scenario = load("baseline").with_overrides({"workforce.population": population}, name=name)
    return RunTask(
        columns=(),
        scenario=scenario.to_dict(),
        scenario_name=name,
        digest=scenario.digest(),
        replicate=replicate,
        seed=replicate,
        steps=12,
        metrics=(),
        window=12,
    )


def test_runs_are_grouped_by_structure_into_stacks_that_share_the_workers() -> None:
    tasks = [_task("a", 100, k) for k in range(10)] + [_task("b", 90, k) for k in range(3)]
    stacks = stack_tasks(tasks, None, workers=2)
    assert [len(s) for s in stacks] == [5, 5, 2, 1]  # each group split over the 2 workers
    assert all(len({t.scenario_name for t in s}) == 1 for s in stacks)
    assert [len(s) for s in stack_tasks(tasks, 3, workers=1)] == [3, 3, 3, 1, 3]
    assert [len(s) for s in stack_tasks(tasks, 1, workers=1)] == [1] * 13
    big = [_task("c", 100_000, k) for k in range(4)]
    assert [len(s) for s in stack_tasks(big, None, workers=1)] == [1, 1, 1, 1]


def test_batch_data_are_the_same_whatever_the_stack_size_and_executor(tmp_path: Path) -> None:
    scenarios = ["baseline", "fault_tolerance", "clarification"]
    settings = {"replicates": 3, "steps": 14, "population": 80, "root_seed": 7}
    reference = tmp_path / "alone"
    run_batch(scenarios, out=reference, executor="serial", stack_size=1, **settings)
    expected = results.load(reference)
    contents = sorted(r["content"] for r in results.read_manifest(reference)["runs"])
    for name, options in {
        "stacked": {"executor": "serial"},
        "stacks_of_2": {"executor": "serial", "stack_size": 2},
        "process": {"executor": "process", "workers": 2},
    }.items():
        out = tmp_path / name
        run_batch(scenarios, out=out, **options, **settings)
        pd.testing.assert_frame_equal(results.load(out), expected, check_exact=True)
        assert sorted(r["content"] for r in results.read_manifest(out)["runs"]) == contents


def test_a_bad_stack_size_is_an_input_error(tmp_path: Path) -> None:
    from sim.errors import InputError

    for bad in (0, -1, 1.5, True):
        with pytest.raises(InputError, match="stack_size"):
            run_batch(["baseline"], 1, out=tmp_path / "x", stack_size=bad)
    assert not (tmp_path / "x").exists()


def _initialised_alone(params: Params, seed: int):
    from sim.model.processes import initial, reports
    from sim.model.state import Population, build_organisation

    org = build_organisation(
        params.workforce.population, params.workforce.levels, params.career.span
    )
    pop = Population.empty(org.n_posts)
    rng = np.random.default_rng(seed)
    deterrence = reports.deterrence_target(
        params.crackdown.trace_probability, params.clarification.typical_cases
    )
    runs = Runs.single(org.n_posts, org.n_units)
    (start,) = initial.initialise_population(pop, org, runs, params, [deterrence], [rng])
    return pop, org, start, rng, deterrence


def test_stacked_initial_population_matches_each_run_alone() -> None:
    from dataclasses import fields

    from sim.model.processes import initial
    from sim.model.stacking import stacked_organisation
    from sim.model.state import Population, build_organisation

    base = {"workforce.population": 150}
    variants = [
        {},
        {"accusation.false_report_rate": 0.02, "fault_tolerance.coverage": 0.8},
        {"workforce.demography": False, "accusation.reputation_damage": 0.4},
        {"discipline.severity": 17.0, "behaviour.innovation_rate": 0.3},
        {"fault_tolerance.coverage": 0.1, "behaviour.choice_noise": 0.7},
    ]
    params = [Params.from_values(base | v) for v in variants]
    assert len({structure(p) for p in params}) == 1
    assert len({p.workforce.demography for p in params}) == 2  # runs are grouped
    seeds = [11 + k for k in range(len(params))]
    alone = [_initialised_alone(p, s) for p, s in zip(params, seeds, strict=True)]

    org = build_organisation(150, params[0].workforce.levels, params[0].career.span)
    runs = Runs.stacked(len(params), org.n_posts, org.n_units)
    pop = Population.empty(runs.rows)
    stack_org = stacked_organisation(org, runs.count)
    rngs = [np.random.default_rng(s) for s in seeds]
    starts = initial.initialise_population(
        pop, stack_org, runs, RunParams(params, runs), [a[4] for a in alone], rngs
    )
    for r, (one, one_org, start, rng, _) in enumerate(alone):
        rows = runs.bounds(r)
        for f in fields(Population):  # bit for bit
            assert getattr(pop, f.name)[rows].tobytes() == getattr(one, f.name).tobytes(), f.name
        assert stack_org.post_holder[rows].tobytes() == one_org.post_holder.tobytes()
        assert starts[r].unfit_rate.tobytes() == start.unfit_rate.tobytes()
        if start.promotion_rate is None:
            assert starts[r].promotion_rate is None
        else:
            assert starts[r].promotion_rate.tobytes() == start.promotion_rate.tobytes()
        assert rngs[r].bit_generator.state == rng.bit_generator.state  # the same draws


def test_a_stack_of_runs_with_and_without_demography_matches_each_run_alone() -> None:
    base = load("baseline").with_overrides({"workforce.population": 120})
    scenarios = [base, base.with_overrides({"workforce.demography": False}), base]
    pairs = [_alone(s, 60 + i) for i, s in enumerate(scenarios)]
    stack = RunStack([spec for spec, _ in pairs])
    stack.run(MONTHS)
    for r, (_, frame) in enumerate(pairs):
        pd.testing.assert_frame_equal(stack.timeseries(r), frame, check_exact=True)


def test_stacked_evaluation_matches_each_run_alone() -> None:
    # runs with different demotion, fault-tolerance, career, staffing and demography
    # parameters, one annual evaluation of all of them at once against each alone
    settings = [
        {},
        {"demotion.intensity": 1.0, "demotion.detection": 0.9, "demotion.bottom_share": 0.2},
        {"fault_tolerance.coverage": 0.9, "fault_tolerance.credibility": 0.3},
        {"workforce.staffing_cut": 0.2, "career.performance_weight": 0.3},
        {"workforce.demography": False, "behaviour.learning_own": 0.0},
    ]
    common = {"workforce.population": 150}
    params = [Params.from_values(common | extra) for extra in settings]
    states, unfit, deterrence = [], [], []
    for r, extra in enumerate(settings):
        kwargs = {k.replace(".", "_", 1): v for k, v in (common | extra).items()}
        model = CadreModel(**kwargs, rng=70 + r)
        model.run(11)  # the next month, 12, is an evaluation
        pop, org = _copy_pair(model.pop, model.org)
        rng = np.random.default_rng(r)
        pop.age[rng.choice(pop.alive.size, 8, replace=False)] = RETIREMENT_AGE + 1.0
        leaving = rng.choice(pop.alive.size, 12, replace=False)
        org.post_holder[pop.post[leaving]] = -1
        pop.alive[leaving] = False
        leaders = np.flatnonzero(pop.alive & (org.post_level[pop.post] >= 1))
        pop.removal_pending[leaders[:3]] = True
        states.append((pop, org))
        unfit.append(model.unfit_rate.copy())
        deterrence.append(model.deterrence)
    alone = []
    rngs_alone = [np.random.default_rng(900 + r) for r in range(len(params))]
    for r, (pop, org) in enumerate(states):
        pop_r, org_r = _copy_pair(pop, org)
        (result,) = annual_evaluation(
            pop_r, org_r, None, params[r], 12, [unfit[r]], [deterrence[r]], [rngs_alone[r]]
        )
        alone.append((pop_r, org_r, result))
    size = states[0][0].alive.size
    runs = Runs.stacked(len(params), size, states[0][1].n_units)
    pop = Population(
        **{
            f.name: np.concatenate([getattr(p, f.name) for p, _ in states])
            for f in fields(Population)
        }
    )
    first = states[0][1]
    org = Organisation(
        post_level=first.post_level,
        post_parent=first.post_parent,
        post_unit=first.post_unit,
        post_holder=np.concatenate([o.post_holder for _, o in states]),
        post_open=np.concatenate([o.post_open for _, o in states]),
        level_sizes=first.level_sizes,
    )
    rngs = [np.random.default_rng(900 + r) for r in range(len(params))]
    stacked = annual_evaluation(
        pop, org, runs, RunParams(params, runs), 12, unfit, deterrence, rngs
    )
    assert sum(res.counts["promotions"] for res in stacked) > 0
    assert sum(res.counts["demotions"] for res in stacked) > 0
    assert sum(res.counts["recruits"] for res in stacked) > 0
    assert not org.post_open[runs.bounds(3)].all() and org.post_open[runs.bounds(0)].all()
    for r, (pop_r, org_r, result) in enumerate(alone):
        rows = runs.bounds(r)
        for f in fields(Population):
            np.testing.assert_array_equal(getattr(pop, f.name)[rows], getattr(pop_r, f.name))
        np.testing.assert_array_equal(org.post_holder[rows], org_r.post_holder)
        np.testing.assert_array_equal(org.post_open[rows], org_r.post_open)
        got = stacked[r]
        assert got.counts == result.counts
        np.testing.assert_array_equal(got.unfit_rate, result.unfit_rate)
        np.testing.assert_array_equal(got.promotion_rate, result.promotion_rate)
        np.testing.assert_array_equal(got.retired, result.retired)
        np.testing.assert_array_equal(got.recruited, result.recruited)
        assert rngs[r].bit_generator.state == rngs_alone[r].bit_generator.state


def _copy_pair(pop: Population, org: Organisation) -> tuple[Population, Organisation]:
    """Copies of a population and an organisation."""
    return (
        Population(**{f.name: getattr(pop, f.name).copy() for f in fields(Population)}),
        Organisation(**{f.name: getattr(org, f.name).copy() for f in fields(Organisation)}),
    )


def test_stacked_traits_and_beliefs_match_each_run_alone() -> None:
    # the draws the initial population and recruits share, for a stack of runs
    settings = [
        {},
        {"workforce.idealist_share": 0.8, "fault_tolerance.coverage": 0.7},
        {
            "behaviour.learning_own": 0.0,
            "behaviour.learning_peer": 0.0,
            "behaviour.learning_public": 0.0,
            "accusation.visibility_active": 2.0,
            "accusation.rank_exposure": 0.9,
        },
    ]
    params = [Params.from_values({"workforce.population": 120} | extra) for extra in settings]
    deterrence = [0.05, 0.2, 0.1]
    alone = []
    for r, prm in enumerate(params):
        model = CadreModel(workforce_population=120, rng=5 + r)
        pop, org = _copy_pair(model.pop, model.org)
        rows = np.flatnonzero(np.arange(pop.alive.size) % 3 == r)
        rng = np.random.default_rng(30 + r)
        setup.draw_traits(pop, rows, prm, rng)
        setup.initial_beliefs(pop, org, rows, prm, deterrence[r], rng)
        rates = evaluation.expected_unfit_rates(pop, org, prm, rng)
        alone.append((_copy_pair(model.pop, model.org), pop, rows, rates, rng))
    size = alone[0][1].alive.size
    runs = Runs.stacked(len(params), size, alone[0][0][1].n_units)
    pop = Population(
        **{
            f.name: np.concatenate([getattr(start[0], f.name) for start, *_ in alone])
            for f in fields(Population)
        }
    )
    org = alone[0][0][1]
    org = Organisation(
        post_level=org.post_level,
        post_parent=org.post_parent,
        post_unit=org.post_unit,
        post_holder=np.concatenate([start[1].post_holder for start, *_ in alone]),
        post_open=np.concatenate([start[1].post_open for start, *_ in alone]),
        level_sizes=org.level_sizes,
    )
    rows = np.concatenate([r * size + rows for r, (_, _, rows, _, _) in enumerate(alone)])
    rngs = [np.random.default_rng(30 + r) for r in range(len(params))]
    run_params = RunParams(params, runs)
    setup.draw_traits(pop, rows, run_params, rngs, runs)
    setup.initial_beliefs(pop, org, rows, run_params, deterrence, rngs, None, runs)
    rates = evaluation.expected_unfit_rates(pop, org, run_params, rngs, runs)
    for r, (_, pop_r, _, rates_r, rng_r) in enumerate(alone):
        for f in fields(Population):
            np.testing.assert_array_equal(
                getattr(pop, f.name)[runs.bounds(r)], getattr(pop_r, f.name)
            )
        np.testing.assert_array_equal(rates[r], rates_r)
        assert rngs[r].bit_generator.state == rng_r.bit_generator.state
