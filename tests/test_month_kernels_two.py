"""Second round of monthly kernels (service, the units' learning rates) against numpy readings."""

import dataclasses

import numpy as np
import pytest

from sim.model.processes import decision, demography, learning, stakes
from sim.model.stacking import RunParams, Runs
from sim.model.state import Population, build_organisation, units_in_use
from sim.parameters.values import Params


def _params(**values: float) -> Params:
    """Params from dotted names given with ``__`` for the dot."""
    return Params.from_values({k.replace("__", "."): v for k, v in values.items()})


def _serving_population(n: int, seed: int) -> Population:
    """``n`` rows with random service, tenure and age (some not serving)."""
    rng = np.random.default_rng(seed)
    pop = Population.empty(n)
    pop.alive[:] = rng.random(n) < 0.8
    pop.tenure[:] = rng.integers(0, 200, n)
    pop.age[:] = rng.uniform(20.0, 60.0, n)
    return pop


@pytest.mark.parametrize("on", [True, False])
def test_serve_month_matches_the_numpy_reading(on: bool) -> None:
    pop = _serving_population(500, 1)
    tenure, age = pop.tenure.copy(), pop.age.copy()
    demography.serve_month(pop, _params(workforce__demography=on))
    assert pop.tenure.tobytes() == (tenure + pop.alive).tobytes()
    expected = age + pop.alive / 12.0 if on else age
    assert pop.age.tobytes() == expected.tobytes()


def test_serve_month_in_a_stack_ages_only_the_runs_with_demography() -> None:
    runs = Runs.stacked(3, 100, 10)
    prm = RunParams([_params(workforce__demography=d) for d in (True, False, True)], runs)
    pop = _serving_population(300, 2)
    tenure, age = pop.tenure.copy(), pop.age.copy()
    demography.serve_month(pop, prm)
    on = np.repeat([True, False, True], 100)
    expected = age.copy()
    np.add(age, pop.alive / 12.0, out=expected, where=on)
    assert pop.tenure.tobytes() == (tenure + pop.alive).tobytes()
    assert pop.age.tobytes() == expected.tobytes()


def test_serve_month_with_nobody_serving_changes_nothing() -> None:
    pop = _serving_population(50, 3)
    pop.alive[:] = False
    tenure, age = pop.tenure.copy(), pop.age.copy()
    demography.serve_month(pop, _params())
    assert pop.tenure.tobytes() == tenure.tobytes() and pop.age.tobytes() == age.tobytes()


@pytest.mark.parametrize(("seed", "several"), [(0, False), (1, True), (2, True)])
def test_unit_reports_give_each_units_rate(seed: int, several: bool) -> None:
    rng = np.random.default_rng(seed)
    count, size, units = (3, 200, 40) if several else (1, 200, 40)
    n = count * size
    post = np.tile(rng.permutation(size), count)
    post_unit = rng.integers(0, units - 5, size)  # a few units with nobody
    run = np.repeat(np.arange(count), size)
    false_report = rng.random(n) < 0.1
    vis = np.where(rng.random(n) < 0.2, 0.0, rng.random(n))
    unit = np.empty(n, np.int64)
    per_unit = np.full((2, count * units), np.nan)
    first, stop = int(post_unit.min()), int(post_unit.max()) + 1
    learning._unit_reports(
        false_report, vis, post, post_unit, run, several, count, units, first, stop, unit, per_unit
    )
    k = post_unit[post] + run * units
    used = np.zeros(count * units, np.bool_)
    for r in range(count):
        used[r * units + first : r * units + stop] = True
    assert np.isnan(per_unit[:, ~used]).all()  # units no row is in: not touched
    assert (unit == k).all()
    reports = np.zeros(count * units)
    seen = np.zeros(count * units)
    for i in range(n):  # in row order, as the kernel sums them
        reports[k[i]] += 1.0 if false_report[i] else 0.0
        seen[k[i]] += vis[i]
    rate = np.divide(reports, seen, out=np.zeros_like(seen), where=seen > 0)
    assert per_unit[1, used].tobytes() == seen[used].tobytes()
    assert per_unit[0, used].tobytes() == rate[used].tobytes()


def test_verdict_units_give_each_units_mean_verdict() -> None:
    rng = np.random.default_rng(4)
    n, units = 300, 30
    unit = rng.integers(0, units, n)
    rows = np.sort(rng.choice(n, 40, replace=False))
    verdict = rng.random(40) < 0.4
    case = np.empty(n, np.int8)
    per_unit = np.full((4, units), np.nan)
    learning._verdict_units(rows, verdict, unit, case, per_unit, 2, 1, units, 0, units)
    ones = np.bincount(unit[rows], weights=verdict.astype(float), minlength=units)
    count = np.bincount(unit[rows], minlength=units).astype(float)
    mean = np.divide(ones, count, out=np.zeros(units), where=count > 0)
    expected_case = np.full(n, -1, np.int8)
    expected_case[rows] = verdict
    assert (case == expected_case).all()
    assert per_unit[3].tobytes() == count.tobytes()
    assert per_unit[2].tobytes() == mean.tobytes()
    assert np.isnan(per_unit[:2]).all()  # the other verdict's rows untouched


@pytest.mark.parametrize("vis", [0.0, 1e-12, 0.5, 3.0, np.inf, np.nan])
@pytest.mark.parametrize("reported", [True, False])
def test_false_belief_own_rate_is_the_division(vis: float, reported: bool) -> None:
    b, w_own, w_peer, w_pub, speed = 0.3, 0.5, 0.3, 0.2, 0.1
    own = (1.0 if reported else 0.0) / max(vis, 1e-9) if vis == vis else np.nan
    step = 0.0
    for w, signal in ((w_own, own), (w_peer, 0.02), (w_pub, 0.01)):
        step += w * 1.0 * (signal - b)
    value = b + speed * step / (w_own + w_peer + w_pub)
    expected = value if value != value else min(max(value, 0.0), 1.0)
    got = learning._false_belief(
        b, reported, vis, 0.02, 0.01, True, w_own, w_peer, w_pub, w_own + w_peer + w_pub, speed
    )
    assert np.array([got]).tobytes() == np.array([expected]).tobytes()


def test_verdict_units_of_two_runs_cover_only_the_units_in_use() -> None:
    rows = np.array([0, 3, 12, 14])
    unit = np.array([2, 2, 3, 2, 3, 2, 2, 2, 2, 2, 7, 8, 7, 8, 8, 7])  # runs of 8 rows, 5 units
    verdict = np.array([True, False, True, True])
    case = np.empty(16, np.int8)
    per_unit = np.full((4, 10), np.nan)
    learning._verdict_units(rows, verdict, unit, case, per_unit, 0, 2, 5, 2, 4)
    assert per_unit[0, [2, 3, 7, 8]].tolist() == [0.5, 0.0, 1.0, 1.0]
    assert per_unit[1, [2, 3, 7, 8]].tolist() == [2.0, 0.0, 1.0, 1.0]
    assert np.isnan(per_unit[:2, [0, 1, 4, 5, 6, 9]]).all() and np.isnan(per_unit[2:]).all()


@pytest.mark.parametrize(("population", "levels", "span"), [(40, 3, 2), (2000, 5, 4), (7, 2, 3)])
def test_every_posts_unit_is_in_use_range(population: int, levels: int, span: int) -> None:
    org = build_organisation(population, levels, span)
    first, stop = units_in_use(org)
    assert first == org.post_unit.min() and stop == org.post_unit.max() + 1
    assert 0 <= first < stop <= org.n_units


def test_no_post_has_no_unit_in_use() -> None:
    org = build_organisation(10, 2, 3)
    empty = dataclasses.replace(org, post_unit=np.empty(0, np.int64))
    assert units_in_use(empty) == (0, 0)


def _utility_inputs(n: int, seed: int) -> dict:
    """Random traits, beliefs, norm and post factors of ``n`` cadres for ``state_utilities``."""
    rng = np.random.default_rng(seed)
    return dict(
        ability=rng.uniform(0.5, 1.5, n),
        idealism=rng.random(n),
        risk_aversion=rng.uniform(0.5, 2.0, n),
        belief_exemption=rng.random(n),
        belief_false=rng.random(n) * 0.01,
        belief_promotion=rng.random(n) * 0.1,
        belief_vindication=rng.random(n),
        previous_state=rng.integers(0, 3, n),
        eligible=rng.random(n) < 0.7,
        paid=rng.random(n) < 0.9,
        report_exposure=rng.uniform(1.0, 2.0, n),
        accountability=rng.uniform(1.0, 2.0, n),
    )


@pytest.mark.parametrize("several", [False, True])
def test_utilities_scaled_and_shifted_in_one_pass_match_the_numpy_reading(several: bool) -> None:

    n = 300
    inputs = _utility_inputs(n, 5)
    rng = np.random.default_rng(6)
    if several:
        runs = Runs.stacked(3, 100, 10)
        prm = RunParams([_params(behaviour__choice_noise=v) for v in (0.05, 0.2, 0.2)], runs)
        unfit = np.array([[0.0, 0.03, 0.4], [0.01, 0.05, 0.3], [0.0, 0.0, 0.5]])
    else:
        prm = _params(behaviour__choice_noise=0.1)
        unfit = np.array([0.0, 0.03, 0.4])
    stake = stakes.stakes(
        ability=inputs["ability"],
        idealism=inputs["idealism"],
        reputation=rng.random(n),
        belief_promotion=inputs["belief_promotion"],
        below_ceiling=rng.random(n) < 0.8,
        leader=rng.random(n) < 0.3,
        params=prm,
    )
    norm = rng.dirichlet(np.ones(3), n).T.copy()
    common = dict(**inputs, stake=stake, params=prm, workload=1.1, unfit_rate=unfit)
    plain = decision.state_utilities(norm_shares=norm.copy(), **common)
    noise = prm.behaviour.choice_noise
    z = plain / noise
    expected = z - np.maximum(np.maximum(z[0], z[1]), z[2])
    shifted = decision.state_utilities(norm_shares=norm.copy(), choice_noise=noise, **common)
    assert shifted.tobytes() == expected.tobytes()
    again = plain.copy()
    decision._exponentiate(again, noise)
    assert np.exp(shifted).tobytes() == again.tobytes()


@pytest.mark.parametrize(("month", "ahead"), [(5, 0), (12, 1), (7, 6)])
@pytest.mark.parametrize("several", [False, True])
def test_eligibility_and_age_ceiling_match_the_numpy_reading(
    month: int, ahead: int, several: bool
) -> None:
    rng = np.random.default_rng(month + ahead)
    pop = _serving_population(300, 7)
    pop.case_kind[:] = rng.choice([0, 0, 0, 1, 2, 3], 300)
    pop.punished_until[:] = rng.integers(0, 15, 300)
    pop.age[:50] = 58.0 - ahead / 12.0  # on the ceiling
    if several:
        runs = Runs.stacked(3, 100, 10)
        prm = RunParams([_params(career__age_ceiling=c) for c in (58, 55, 60)], runs)
    else:
        prm = _params(career__age_ceiling=58)
    ceiling = prm.career.age_ceiling
    below = pop.age + ahead / 12.0 < ceiling
    expected = pop.alive & (pop.case_kind == 0) & (pop.punished_until <= month) & below
    assert (stakes._eligible_but_tenure(pop, prm, month, ahead) == expected).all()
    years = (-month) % 12 + 1
    assert (stakes.below_age_ceiling(pop, prm, month) == (pop.age + years / 12.0 < ceiling)).all()
    nxt = month + (-month) % 12
    eligible = stakes.eligible_at_next_evaluation(pop, prm, month)
    assert (eligible == stakes._eligible_but_tenure(pop, prm, nxt, nxt - month + 1)).all()
