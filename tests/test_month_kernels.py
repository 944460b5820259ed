"""The compiled kernels of the monthly processes against numpy readings of their equations."""

import copy

import numpy as np
import pytest

from sim.model.constants import MILD_EROSION
from sim.model.draws import side_by_side
from sim.model.kinds import CaseKind
from sim.model.processes import cases
from sim.model.processes.stakes import removal_probability
from sim.model.stacking import (
    RunParams,
    Runs,
    at_rows,
    per_run,
    stacked_organisation,
)
from sim.model.state import Population, build_organisation
from sim.parameters.values import Params

NO_CASE = int(CaseKind.NONE)
KINDS = (int(CaseKind.FALSE_REPORT), int(CaseKind.HONEST_MISTAKE), int(CaseKind.MISCONDUCT))


def _params(**values: float) -> Params:
    """Params from dotted names given with ``__`` for the dot."""
    return Params.from_values({k.replace("__", "."): v for k, v in values.items()})


def _months(severity):
    """``round(severity)`` whole months (half to even), a number or one per row."""
    if np.ndim(severity) == 0:
        return int(round(severity))
    return np.round(severity).astype(np.int64)


def _reference_conclude(pop, org, params, month, rngs, runs):
    """conclude_cases as numpy reads it (the verdicts, then each run's counts)."""
    ending = np.flatnonzero(pop.case_kind != NO_CASE)
    pop.case_months_left[ending] -= 1
    ending = ending[pop.case_months_left[ending] <= 0]
    if ending.size == 0:
        return None
    kind = pop.case_kind[ending]
    parts = [rng.random((4, part.size)) for rng, part in zip(rngs, runs.split(ending), strict=True)]
    d = side_by_side(parts)

    def at(value, *masks):
        value = at_rows(value, ending)
        for mask in masks:
            value = at_rows(value, mask)
        return value

    accuracy = params.accusation.investigation_accuracy
    severity_months = at(_months(params.discipline.severity))
    erosion = at(params.behaviour.idealism_erosion)
    f = kind == KINDS[0]
    rows_f = ending[f]
    cleared = d[0, f] < at(accuracy, f)
    clarified = cleared & (d[1, f] < at(params.clarification.coverage, f))
    accuser = cleared & (d[2, f] < at(params.crackdown.trace_probability, f))
    wrongful = rows_f[~cleared]
    restored = rows_f[clarified]
    pop.reputation[restored] += at_rows(params.clarification.restoration, restored) * np.maximum(
        pop.reputation_at_case[restored] - pop.reputation[restored], 0.0
    )
    pop.idealism[restored] = np.maximum(pop.idealism[restored], pop.idealism_base[restored])
    pop.cleared_month[rows_f[cleared]] = month
    pop.idealism[wrongful] *= 1.0 - at_rows(at_rows(erosion, f), ~cleared)
    m = kind == KINDS[1]
    rows_m = ending[m]
    tolerance = params.fault_tolerance
    mitigation = at(tolerance.mitigation, m)
    exempted = (d[0, m] < at(tolerance.coverage, m)) & (d[1, m] < at(tolerance.credibility, m))
    severity_m = at_rows(severity_months, m)
    months_m = np.where(exempted, np.round(severity_m * (1.0 - mitigation)), severity_m).astype(
        np.int64
    )
    share_m = np.where(exempted, 1.0 - mitigation, 1.0)
    sanctioned_m = (months_m > 0) | (share_m > 0)
    mistake_punished = rows_m[sanctioned_m]
    pop.idealism[rows_m[~exempted]] *= 1.0 - MILD_EROSION * at_rows(at_rows(erosion, m), ~exempted)
    c = kind == KINDS[2]
    rows_c = ending[c]
    guilty = d[0, c] < at(accuracy, c)
    punished = np.concatenate([wrongful, mistake_punished, rows_c[guilty]])
    months = np.concatenate(
        [
            np.broadcast_to(at_rows(at_rows(severity_months, f), ~cleared), wrongful.shape),
            months_m[sanctioned_m],
            np.broadcast_to(at_rows(at_rows(severity_months, c), guilty), (int(guilty.sum()),)),
        ]
    ).astype(np.int64)
    share = np.concatenate([np.ones(wrongful.size), share_m[sanctioned_m], np.ones(guilty.sum())])
    pop.punished_until[punished] = np.maximum(pop.punished_until[punished], month + months)
    pop.reputation[punished] *= 1.0 - at_rows(params.accusation.reputation_damage, punished) * share
    removal_draw = np.concatenate([d[3, f][~cleared], d[3, m][sanctioned_m], d[3, c][guilty]])
    leader = org.post_level[pop.post[punished]] >= 1
    removed = leader & (removal_draw < removal_probability(months))
    pop.removal_pending[punished[removed]] = True
    pop.case_kind[ending] = NO_CASE
    pop.case_months_left[ending] = 0

    def per_run(rows):
        return np.bincount(runs.run[rows], minlength=runs.count)

    counts = {
        "wrongful_punishments": per_run(wrongful),
        "punishments": per_run(punished),
        "clarifications": per_run(restored),
        "false_accusers_punished": per_run(rows_f[accuser]),
        "exemptions": per_run(rows_m[exempted]),
    }
    return rows_f, clarified, rows_m, exempted, counts


def _cases_state(seed, params_list, size=300):
    """A stack of random populations with open cases, some ending this month."""
    rng = np.random.default_rng(seed)
    org = build_organisation(size, 4, 4)
    runs = Runs.stacked(len(params_list), org.n_posts, org.n_units)
    n = runs.rows
    pop = Population.empty(n)
    pop.alive[:] = rng.random(n) < 0.95
    pop.post[:] = np.tile(np.arange(org.n_posts), runs.count)
    pop.reputation[:] = rng.random(n)
    pop.reputation_at_case[:] = rng.random(n)
    pop.idealism[:] = rng.random(n)
    pop.idealism_base[:] = rng.random(n)
    pop.punished_until[:] = rng.integers(0, 40, n)
    pop.cleared_month[:] = -100
    open_ = pop.alive & (rng.random(n) < 0.4)
    pop.case_kind[open_] = rng.choice(KINDS, int(open_.sum()))
    pop.case_months_left[open_] = rng.integers(1, 4, int(open_.sum()))
    if len(params_list) == 1:
        params = params_list[0]
    else:
        params = RunParams(params_list, runs)
    return pop, stacked_organisation(org, runs.count), runs, params


PARAMS = [
    {"clarification__coverage": 0.5},
    {"discipline__severity": 18.5, "fault_tolerance__mitigation": 0.5},
    {"discipline__severity": 25.0, "fault_tolerance__coverage": 0.9},
    {
        "discipline__severity": 13.5,
        "fault_tolerance__mitigation": 1.0,
        "clarification__coverage": 1.0,
    },
    {"accusation__investigation_accuracy": 0.5, "crackdown__trace_probability": 0.9},
]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("count", [1, 3, 5])
def test_conclude_cases_matches_the_numpy_reading(seed, count):
    """Every field, verdict and count as numpy computes them, bit for bit, alone and stacked."""
    chosen = [_params(**PARAMS[(seed + r) % len(PARAMS)]) for r in range(count)]
    pop, org, runs, params = _cases_state(seed, chosen)
    expected_pop, expected_org = copy.deepcopy(pop), copy.deepcopy(org)
    rngs = [np.random.default_rng(100 + r) for r in range(count)]
    ref_rngs = [np.random.default_rng(100 + r) for r in range(count)]
    verdicts = cases.conclude_cases(pop, org, params, 30, rngs, runs)
    rows_f, clarified, rows_m, exempted, counts = _reference_conclude(
        expected_pop, expected_org, params, 30, ref_rngs, runs
    )
    for name in (
        "reputation",
        "idealism",
        "cleared_month",
        "punished_until",
        "removal_pending",
        "case_kind",
        "case_months_left",
    ):
        np.testing.assert_array_equal(getattr(pop, name), getattr(expected_pop, name), name)
    np.testing.assert_array_equal(verdicts.false_rows, rows_f)
    np.testing.assert_array_equal(verdicts.vindicated, clarified)
    np.testing.assert_array_equal(verdicts.mistake_rows, rows_m)
    np.testing.assert_array_equal(verdicts.exempted, exempted)
    assert verdicts.counts.keys() == counts.keys()
    assert counts["punishments"].sum() > 0
    for name, values in counts.items():
        np.testing.assert_array_equal(verdicts.counts[name], values, name)
    # the generators drew the same
    assert all(
        a.bit_generator.state == b.bit_generator.state for a, b in zip(rngs, ref_rngs, strict=True)
    )


def test_conclude_cases_with_no_case_of_a_kind_and_no_case_in_a_run():
    """A run with no case ending and kinds absent give zero counts and empty verdicts."""
    chosen = [_params(), _params(discipline__severity=18.5)]
    pop, org, runs, params = _cases_state(7, chosen)
    pop.case_kind[: runs.size] = NO_CASE  # run 0: no case at all
    pop.case_kind[pop.case_kind == KINDS[1]] = KINDS[2]  # no honest mistakes anywhere
    expected_pop, expected_org = copy.deepcopy(pop), copy.deepcopy(org)
    rngs = [np.random.default_rng(r) for r in range(2)]
    ref_rngs = [np.random.default_rng(r) for r in range(2)]
    verdicts = cases.conclude_cases(pop, org, params, 12, rngs, runs)
    _, _, rows_m, _, counts = _reference_conclude(
        expected_pop, expected_org, params, 12, ref_rngs, runs
    )
    assert verdicts.mistake_rows.size == 0 == rows_m.size
    assert verdicts.counts["exemptions"].tolist() == [0, 0]
    for name, values in counts.items():
        assert verdicts.counts[name][0] == 0
        np.testing.assert_array_equal(verdicts.counts[name], values)
    np.testing.assert_array_equal(pop.reputation, expected_pop.reputation)
    np.testing.assert_array_equal(pop.removal_pending, expected_pop.removal_pending)


def test_verdict_rows_match_the_numpy_comparisons():
    """review_mistakes, resolve_false_reports and resolve_misconduct read their kernels' rows."""
    rng = np.random.default_rng(3)
    d = rng.random((3, 400))
    d[:, :5] = [[0.5, 0.25, 0.0, 1.0, np.nan]] * 3  # ties with the thresholds, NaN
    p = rng.random(400)
    np.testing.assert_array_equal(
        cases.review_mistakes(d[0], d[1], 0.5, p), (d[0] < 0.5) & (d[1] < p)
    )
    cleared, clarified, accuser = cases.resolve_false_reports(d[0], d[1], d[2], p, 0.25, 0.5)
    np.testing.assert_array_equal(cleared, d[0] < p)
    np.testing.assert_array_equal(clarified, (d[0] < p) & (d[1] < 0.25))
    np.testing.assert_array_equal(accuser, (d[0] < p) & (d[2] < 0.5))
    np.testing.assert_array_equal(cases.resolve_misconduct(d[0], 0.5), d[0] < 0.5)
    assert cases.resolve_misconduct(np.empty(0), 0.5).shape == (0,)


def test_population_utilities_take_each_runs_unfit_rates_as_one_array():
    """Unfit rates as a (runs, 3) array give the utilities of the per-row form, bit for bit."""
    from sim.model.processes import decision, initial

    org = build_organisation(200, 3, 4)
    runs = Runs.stacked(3, org.n_posts, org.n_units)
    chosen = [_params(**PARAMS[r]) for r in range(3)]
    params = RunParams(chosen, runs)
    pop = Population.empty(runs.rows)
    rngs = [np.random.default_rng(r) for r in range(3)]
    org = stacked_organisation(org, runs.count)
    initial.initialise_population(pop, org, runs, params, [0.1, 0.2, 0.3], rngs)
    rates = np.random.default_rng(5).random((3, 3))
    per_row = [runs.per_row(list(rates[:, s])) for s in range(3)]
    expected = decision.population_utilities(pop, org, params, 1.1, per_row, 7, runs)
    got = decision.population_utilities(pop, org, params, 1.1, rates, 7, runs)
    np.testing.assert_array_equal(got, expected)


def test_run_shares_match_bincount():
    """Each run's verdict count and share of 1s as numpy's bincount reads them (none: 0)."""
    from sim.model.processes.learning import _run_shares

    rng = np.random.default_rng(2)
    for count, size in ((1, 50), (4, 25)):
        rows = np.sort(rng.choice(count * size, 30, replace=False))
        rows = rows[rows >= size] if count > 1 else rows  # a run with no verdict
        verdict = rng.random(rows.size) < 0.4
        sizes, shares = np.empty(count, dtype=np.int64), np.empty(count)
        _run_shares(rows, verdict, size, sizes, shares)
        expected_sizes = np.bincount(rows // size, minlength=count)
        ones = np.bincount(rows // size, weights=verdict.astype(float), minlength=count)
        expected = np.divide(ones, expected_sizes, out=np.zeros(count), where=expected_sizes > 0)
        np.testing.assert_array_equal(sizes, expected_sizes)
        np.testing.assert_array_equal(shares, expected)
    empty = np.empty(0, dtype=np.int64)
    sizes, shares = np.empty(2, dtype=np.int64), np.empty(2)
    _run_shares(empty, np.empty(0, bool), 5, sizes, shares)
    assert sizes.tolist() == [0, 0] and shares.tolist() == [0.0, 0.0]


def test_file_reports_keep_each_runs_visibility_total():
    """The reports' visibility totals are each run's numpy sum of the kept visibility."""
    from sim.model.processes import initial, reports, work

    org = build_organisation(200, 3, 4)
    runs = Runs.stacked(3, org.n_posts, org.n_units)
    params = RunParams([_params(**PARAMS[r]) for r in range(3)], runs)
    pop = Population.empty(runs.rows)
    rngs = [np.random.default_rng(r) for r in range(3)]
    org = stacked_organisation(org, runs.count)
    initial.initialise_population(pop, org, runs, params, [0.1, 0.2, 0.3], rngs)
    rng = np.random.default_rng(9)
    done = work.do_work(pop, org, params, 1.0, rng.random((3, runs.rows)), runs)
    filed = reports.file_reports(pop, org, params, 0.2, done, rng.random((2, runs.rows)), runs)
    assert filed.visibility_totals == runs.sums(filed.visibility)


def test_open_cases_match_the_numpy_reading():
    """New cases' kinds, lengths, reputations and idealism as numpy sets them, alone and stacked."""
    from sim.model.processes.reports import Reports

    for count in (1, 3):
        chosen = [_params(**PARAMS[r]) for r in range(count)]
        pop, _, runs, params = _cases_state(11 + count, chosen)
        rng = np.random.default_rng(count)
        n = runs.rows
        misconduct, mistake, false = (rng.random(n) < q for q in (0.05, 0.1, 0.2))
        filed = Reports(mistake, misconduct, false, {})
        expected = copy.deepcopy(pop)
        rngs = [np.random.default_rng(50 + r) for r in range(count)]
        ref_rngs = [np.random.default_rng(50 + r) for r in range(count)]
        cases.open_cases(pop, params, filed, rngs, runs)
        free = expected.case_kind == NO_CASE
        kind = np.where(misconduct, KINDS[2], np.where(mistake, KINDS[1], KINDS[0]))
        rows = np.flatnonzero(free & (misconduct | mistake | false))
        months = params.accusation.investigation_months
        lengths = np.concatenate(
            [
                ref_rngs[r].geometric(1.0 / per_run(runs, months, r), part.size)
                for r, part in enumerate(runs.split(rows))
            ]
        )
        expected.case_kind[rows] = kind[rows]
        expected.case_months_left[rows] = lengths
        expected.reputation_at_case[rows] = expected.reputation[rows]
        expected.reputation[rows] *= 1.0 - at_rows(params.accusation.reputation_damage, rows)
        falsely = rows[kind[rows] == KINDS[0]]
        expected.idealism[falsely] *= 1.0 - MILD_EROSION * at_rows(
            params.behaviour.idealism_erosion, falsely
        )
        for name in (
            "case_kind",
            "case_months_left",
            "reputation_at_case",
            "reputation",
            "idealism",
        ):
            np.testing.assert_array_equal(getattr(pop, name), getattr(expected, name), name)


def test_rank_factors_match_the_numpy_reading():
    """Each row's level and both rank factors as numpy computes them (per-row values too)."""
    from sim.model.processes import stakes

    org = build_organisation(300, 4, 4)
    runs = Runs.stacked(2, org.n_posts, org.n_units)
    params = RunParams(
        [_params(accusation__rank_exposure=0.3), _params(discipline__accountability=0.7)], runs
    )
    pop = Population.empty(runs.rows)
    pop.post[:] = np.random.default_rng(1).integers(0, org.n_posts, runs.rows)
    ranks = stakes.rank_factors(pop, org, params)
    level = org.post_level[pop.post]
    np.testing.assert_array_equal(ranks.level, level)
    for got, per_level in (
        (ranks.exposure, params.accusation.rank_exposure),
        (ranks.accountability, params.discipline.accountability),
    ):
        np.testing.assert_array_equal(got, 1.0 + per_level * level.astype(np.float64))
        np.testing.assert_array_equal(stakes.rank_factor(level, per_level), got)
    assert stakes.rank_factor(np.array([[0, 2]]), 0.5).tolist() == [[1.0, 2.0]]


def test_means_of_one_row_are_those_of_a_block_row():
    """Each run's mean of one row equals the mean of that row within a block (numpy's sums)."""
    from sim.model.outputs import _means

    rng = np.random.default_rng(4)
    counts = np.array([0, 1, 7, 8, 9, 130, 300, 0, 1000])
    values = rng.random((3, int(counts.sum()))) * rng.choice([1.0, 1e8, 1e-8], (3, counts.sum()))
    block = _means(values, counts)
    for j in range(3):
        np.testing.assert_array_equal(_means(np.ascontiguousarray(values[j]), counts), block[j])
    assert np.isnan(block[:, [0, 7]]).all()


def test_work_and_reports_with_the_callers_serving_counts_are_unchanged():
    """do_work and file_reports given each run's serving count give what they count themselves."""
    from sim.model.processes import initial, reports, work

    org = build_organisation(200, 3, 4)
    runs = Runs.stacked(2, org.n_posts, org.n_units)
    params = RunParams([_params(**PARAMS[r]) for r in range(2)], runs)
    pop = Population.empty(runs.rows)
    org = stacked_organisation(org, runs.count)
    initial.initialise_population(
        pop, org, runs, params, [0.1, 0.2], [np.random.default_rng(1)] * 2
    )
    pop.alive[::7] = False
    rng = np.random.default_rng(3)
    draws = rng.random((5, runs.rows))
    again = copy.deepcopy(pop)
    done = work.do_work(pop, org, params, 1.2, draws[:3], runs)
    filed = reports.file_reports(pop, org, params, 0.3, done, draws[3:], runs)
    serving = runs.counts(again.alive)
    done2 = work.do_work(again, org, params, 1.2, draws[:3], runs, serving=serving)
    filed2 = reports.file_reports(again, org, params, 0.3, done2, draws[3:], runs, serving=serving)
    assert done.public_value == done2.public_value
    np.testing.assert_array_equal(pop.performance, again.performance)
    np.testing.assert_array_equal(filed.false_report, filed2.false_report)
    assert filed.visibility_totals == filed2.visibility_totals
