"""Each process on its own: the functions in sim.model.processes, called directly."""

import numpy as np
import pytest

from sim.model.constants import (
    BELIEF_SPEED,
    EFFORT,
    IDEALISM_TENURE_DECAY,
    RECRUIT_AGE,
    REPUTATION_BASELINE,
    REPUTATION_VALUE,
    RETIREMENT_AGE,
)
from sim.model.kinds import CaseKind, WorkState
from sim.model.outputs import EVENT_COUNTS, month_outputs, output_names
from sim.model.processes import (
    cases,
    decision,
    demography,
    evaluation,
    initial,
    learning,
    promotion,
    reports,
    setup,
    stakes,
    work,
)
from sim.model.stacking import Runs
from sim.model.state import Population, build_organisation, move, superior_rows, vacate
from sim.parameters.values import Params

A, R, F = int(WorkState.ACTIVE), int(WorkState.ROUTINE), int(WorkState.FLAT)
NO_CASE = int(CaseKind.NONE)

#: Decision parameters for the utility tests: habit and conformity off.
DECISION = {"behaviour.habit": 0.0, "behaviour.conformity": 0.0}


def params(**values):
    """Params from dotted names given with ``__`` for the dot (``fault_tolerance__coverage``)."""
    return Params.from_values({k.replace("__", "."): v for k, v in values.items()})


def utilities(n=1, params_=None, unfit_rate=(0.0, 0.03, 0.4), **arrays):
    base = dict(
        ability=np.ones(n),
        idealism=np.full(n, 0.5),
        risk_aversion=np.ones(n),
        belief_exemption=np.full(n, 0.1),
        belief_false=np.full(n, 0.003),
        belief_promotion=np.full(n, 0.02),
        belief_vindication=np.full(n, 0.05),
        previous_state=np.full(n, R),
        norm_shares=np.full((3, n), 1 / 3),
    )
    base.update(arrays)
    prm = params_ or Params.from_values(DECISION)
    stake = stakes.stakes(
        ability=base["ability"],
        idealism=base["idealism"],
        reputation=base.pop("reputation", np.full(n, 0.6)),
        belief_promotion=base["belief_promotion"],
        below_ceiling=base.pop("below_ceiling", np.ones(n, bool)),
        leader=base.pop("leader", np.zeros(n, bool)),
        params=prm,
    )
    extra = dict(
        eligible=np.ones(n, bool),
        paid=np.ones(n, bool),
        report_exposure=np.ones(n),
        accountability=np.ones(n),
    )
    extra.update({k: base.pop(k) for k in list(base) if k in extra})
    # state_utilities returns one row per state; the tests read one row per cadre
    return decision.state_utilities(
        **base,
        **extra,
        stake=stake,
        params=prm,
        workload=1.0,
        unfit_rate=np.array(unfit_rate),
    ).T


def small_state(n=40, levels=3, span=2, seed=0, **values):
    """A burnt-in organisation and population of ``n`` cadres under ``values``."""
    prm = params(**values)
    org = build_organisation(n, levels, span)
    pop = Population.empty(n)
    rng = np.random.default_rng(seed)
    runs = Runs.single(org.n_posts, org.n_units)
    unfit = initial.initialise_population(pop, org, runs, prm, [0.05], [rng])[0].unfit_rate
    return pop, org, prm, unfit, rng


# --- decision ----------------------------------------------------------------
def test_idealists_value_effort_more_than_realists():
    u = utilities(2, idealism=np.array([0.9, 0.1]))
    gain_active = u[:, A] - u[:, F]
    assert gain_active[0] > gain_active[1]


def test_belief_in_exemption_makes_active_work_more_attractive():
    u = utilities(2, belief_exemption=np.array([0.0, 1.0]))
    assert (u[1, A] - u[1, R]) > (u[0, A] - u[0, R])


def test_perceived_false_accusation_risk_hits_active_state_hardest():
    low = utilities(1, belief_false=np.array([0.001]))
    high = utilities(1, belief_false=np.array([0.02]))
    drop = low - high
    assert drop[0, A] > drop[0, R] > drop[0, F] > 0


def test_belief_in_vindication_lowers_the_harm_of_false_reports():
    u = utilities(2, belief_false=np.full(2, 0.02), belief_vindication=np.array([0.0, 1.0]))
    assert u[1, A] > u[0, A]


def test_demotion_threat_falls_on_flat_realists():
    harsh = Params.from_values({**DECISION, "demotion.intensity": 0.5})
    u = utilities(2, params_=harsh, idealism=np.array([0.0, 1.0]))
    base = utilities(2, idealism=np.array([0.0, 1.0]))
    realist_drop = base[0, F] - u[0, F]
    idealist_drop = base[1, F] - u[1, F]
    assert realist_drop > 0
    assert idealist_drop == pytest.approx(0.0)


def test_habit_rewards_keeping_last_months_state():
    habit = Params.from_values({**DECISION, "behaviour.habit": 1.0})
    u_habit = utilities(1, params_=habit, previous_state=np.array([F]))
    u_none = utilities(1, previous_state=np.array([F]))
    assert u_habit[0, F] - u_none[0, F] == pytest.approx(1.0)
    assert u_habit[0, A] == pytest.approx(u_none[0, A])


def test_softmax_rows_sum_to_one_and_follow_utility():
    u = np.array([[1.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    p = decision.softmax_probabilities(u.T.copy(), 0.5).T
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert p[0, 0] > p[0, 1] > p[0, 2]
    np.testing.assert_allclose(p[1], 1 / 3)


def test_choice_is_noisy_but_follows_probabilities():
    rng = np.random.default_rng(0)
    n = 20000
    u = np.tile([0.5, 0.0, -0.5], (n, 1)).T.copy()
    expected = decision.softmax_probabilities(u[:, :1].copy(), 0.5)[:, 0]
    states = decision.choose_states(u, 0.5, rng.random(n))
    share = np.bincount(states, minlength=3) / n
    np.testing.assert_allclose(share, expected, atol=0.015)


def test_near_zero_noise_chooses_the_best_state():
    u = np.array([[0.0], [1.0], [0.5]])
    assert decision.choose_states(u, 0.02, np.array([0.999]))[0] == R


def test_work_norm_mixes_unit_shares_and_the_superiors_state():
    pop, org, *_ = small_state()
    norm = decision.norm_shares(pop, org).T
    np.testing.assert_allclose(norm.sum(axis=1), 1.0)
    sup = superior_rows(pop, org)
    row = int(np.flatnonzero(sup >= 0)[0])
    assert norm[row, pop.state[sup[row]]] >= 0.3


def _norm_reference(pop, org):
    """The work norm by numpy, from its definition (unit shares, then the superior's state)."""
    from sim.model.constants import SUPERIOR_NORM_WEIGHT

    unit = org.post_unit[pop.post]
    alive = pop.alive
    counts = np.zeros((org.n_units, 3), dtype=np.int64)
    np.add.at(counts, (unit[alive], pop.state[alive]), 1)
    total = counts.sum(axis=1, keepdims=True)
    shares = np.where(total > 0, counts / np.maximum(total, 1), 1.0 / 3)[unit]
    sup = superior_rows(pop, org)
    led = sup >= 0
    shares[led] *= 1.0 - SUPERIOR_NORM_WEIGHT
    shares[led, pop.state[sup[led]]] += SUPERIOR_NORM_WEIGHT
    return shares.T


def test_work_norm_reuses_its_scratch_counts_without_carrying_them_over():
    pop, org, *_ = small_state(n=60)
    first = decision.norm_shares(pop, org)
    np.testing.assert_array_equal(first, _norm_reference(pop, org))
    # the population changes: states move, a cadre leaves, a unit empties
    pop.state[:] = np.roll(pop.state, 7)
    vacate(pop, org, np.array([3, 4, 5]))
    out = np.full((3, pop.alive.size), np.nan)
    again = decision.norm_shares(pop, org, out=out)
    assert again is out
    np.testing.assert_array_equal(again, _norm_reference(pop, org))
    fresh = Population(**{f: getattr(pop, f).copy() for f in pop.__dataclass_fields__})
    np.testing.assert_array_equal(again, decision.norm_shares(fresh, org))


def test_a_pickled_population_leaves_its_scratch_arrays_behind():
    import pickle

    pop, org, *_ = small_state()
    expected = decision.norm_shares(pop, org)
    copy = pickle.loads(pickle.dumps(pop))
    assert not copy.workspace._arrays
    np.testing.assert_array_equal(decision.norm_shares(copy, org), expected)


def test_decide_chooses_as_choose_states_does_from_the_utilities():
    pop, org, prm, unfit, rng = small_state(n=60)
    for month in (1, 2):  # the scratch arrays are reused from month to month
        draws = rng.random(pop.alive.size)
        u = decision.population_utilities(pop, org, prm, 1.2, unfit, month)
        expected = decision.choose_states(u, prm.behaviour.choice_noise, draws)
        decision.decide(pop, org, prm, 1.2, unfit, draws, month)
        np.testing.assert_array_equal(pop.state, expected)


def test_decide_sets_every_state_from_the_uniform_draws():
    pop, org, prm, unfit, _ = small_state()
    decision.decide(pop, org, prm, 1.0, unfit, np.zeros(pop.alive.size), 1)
    assert (pop.state == A).all()
    decision.decide(pop, org, prm, 1.0, unfit, np.full(pop.alive.size, 1.0), 1)
    assert (pop.state == F).all()


# --- work ----------------------------------------------------------------------
def test_work_follows_its_equations_row_by_row():
    pop, org, prm, _, rng = small_state(n=60)
    n = pop.alive.size
    pop.state[:] = rng.integers(0, 3, n)
    pop.alive[:] = rng.random(n) < 0.8
    draws = rng.random((3, n))
    before = (pop.performance.copy(), pop.active_months.copy(), pop.flat_months.copy())
    load = 40.0  # some chances of a mistake reach 1
    done = work.do_work(pop, org, prm, load, draws)
    b, alive = prm.behaviour, pop.alive
    output = pop.ability * EFFORT[pop.state]
    active = (pop.state == A) & alive
    innovation = active & (draws[0] < b.innovation_rate * pop.ability)
    level = org.post_level[pop.post]
    chance = np.minimum(
        b.mistake_rate
        * load
        * np.array([1.0, 0.25, 0.05])[pop.state]
        * stakes.rank_factor(level, prm.discipline.accountability),
        1.0,
    )
    assert (chance == 1.0).any()
    np.testing.assert_array_equal(done.active, active)
    np.testing.assert_array_equal(done.mistake, alive & (draws[1] < chance))
    np.testing.assert_array_equal(
        done.misconduct, alive & (draws[2] < prm.discipline.misconduct_rate)
    )
    assert done.counts["innovations"][0] == innovation.sum()
    total = np.add.reduce(output[alive]) + innovation.sum()
    assert done.public_value == [float(total / alive.sum())]
    gained = np.where(alive, output + innovation, 0.0)
    np.testing.assert_array_equal(pop.performance, before[0] + gained)
    np.testing.assert_array_equal(pop.active_months, before[1] + active)
    np.testing.assert_array_equal(pop.flat_months, before[2] + ((pop.state == F) & alive))


def test_work_adds_output_to_performance_and_counts_months():
    pop, org, prm, _, _ = small_state()
    pop.state[:] = np.resize([A, R, F], pop.state.size)
    before = pop.performance.copy()
    done = work.do_work(pop, org, prm, 1.0, np.ones((3, pop.alive.size)))
    np.testing.assert_allclose(pop.performance - before, pop.ability * EFFORT[pop.state])
    assert (pop.active_months == (pop.state == A)).all()
    assert (pop.flat_months == (pop.state == F)).all()
    assert done.counts == {"innovations": 0, "honest_mistakes": 0}
    assert not done.misconduct.any()
    assert done.public_value == [pytest.approx(float((pop.ability * EFFORT[pop.state]).mean()))]


def test_only_active_cadres_innovate_and_mistakes_follow_exposure():
    pop, org, _, _, _ = small_state()
    prm = params(discipline__misconduct_rate=0.01)
    pop.state[:] = np.resize([A, R, F], pop.state.size)
    done = work.do_work(pop, org, prm, 1.0, np.zeros((3, pop.alive.size)))
    assert done.counts["innovations"] == int((pop.state == A).sum())
    assert done.mistake.all() and done.misconduct.all()
    assert (done.active == (pop.state == A)).all()


# --- reports -------------------------------------------------------------------
def test_report_hazard_follows_its_equations_row_by_row():
    from sim.model.constants import RIVAL_ABILITY_EXPONENT

    rng = np.random.default_rng(3)
    n = 500
    visible, ability = rng.random(n) * 3, rng.lognormal(0.0, 0.4, n)
    alive = rng.random(n) < 0.9
    kwargs = dict(base_rate=0.4, deterrence=0.3, deterrence_strength=0.5, rival_share=0.3)
    lam = reports.report_hazard(visible=visible, ability=ability, alive=alive, **kwargs)
    vis = visible * alive
    rival = vis * ability**RIVAL_ABILITY_EXPONENT
    k = alive.sum()
    weight = 0.7 * vis / (vis.sum() / k) + 0.3 * rival / (rival.sum() / k)
    expected = np.minimum(0.4 * (1.0 - 0.5 * 0.3) * weight, 1.0)
    assert (expected == 1.0).any()
    np.testing.assert_array_equal(lam, expected)
    nobody = reports.report_hazard(visible=visible, ability=ability, alive=alive & False, **kwargs)
    np.testing.assert_array_equal(nobody, np.zeros(n))


def test_false_reports_fall_on_the_visible_and_the_able():
    state = np.array([A, R, F, A])
    ability = np.array([1.0, 1.0, 1.0, 1.5])
    lam = reports.false_report_intensity(
        state=state,
        ability=ability,
        alive=np.ones(4, bool),
        exposure=np.ones(4),
        base_rate=0.01,
        deterrence=0.0,
        deterrence_strength=0.8,
        visibility_active=3.0,
        rival_share=0.5,
    )
    assert lam[0] > lam[1] > lam[2]
    assert lam[3] > lam[0]


def test_false_report_rate_averages_base_rate_at_unit_visibility():
    n = 1000
    lam = reports.false_report_intensity(
        state=np.full(n, R),
        ability=np.ones(n),
        alive=np.ones(n, bool),
        exposure=np.ones(n),
        base_rate=0.004,
        deterrence=0.0,
        deterrence_strength=0.8,
        visibility_active=3.0,
        rival_share=0.3,
    )
    assert lam.mean() == pytest.approx(0.004)


def test_full_deterrence_removes_its_share_of_false_reports():
    kwargs = dict(
        state=np.full(10, R),
        ability=np.ones(10),
        alive=np.ones(10, bool),
        exposure=np.ones(10),
        base_rate=0.01,
        deterrence_strength=0.8,
        visibility_active=3.0,
        rival_share=0.0,
    )
    none = reports.false_report_intensity(deterrence=0.0, **kwargs)
    full = reports.false_report_intensity(deterrence=1.0, **kwargs)
    np.testing.assert_allclose(full, 0.2 * none)


def test_no_false_reports_on_departed_cadres():
    lam = reports.false_report_intensity(
        state=np.array([A, A]),
        ability=np.ones(2),
        alive=np.array([True, False]),
        exposure=np.ones(2),
        base_rate=0.01,
        deterrence=0.0,
        deterrence_strength=0.8,
        visibility_active=3.0,
        rival_share=0.3,
    )
    assert lam[1] == 0.0 and lam[0] > 0


def test_file_reports_reports_mistakes_and_targets_serving_cadres():
    pop, org, prm, _, _ = small_state()
    n = pop.alive.size
    pop.alive[0] = False
    pop.state[:] = A
    done = work.Work(
        active=pop.alive.copy(),
        mistake=np.ones(n, bool),
        misconduct=np.zeros(n, bool),
        public_value=[1.0],
        counts={},
    )
    filed = reports.file_reports(pop, org, prm, 0.0, done, np.zeros((2, n)))
    assert filed.mistake_reported.all()
    assert not filed.false_report[0] and filed.false_report[1:].all()
    assert filed.counts == {
        "true_reports": n,
        "false_reports": n - 1,
        "false_reports_on_active": n - 1,
    }


def test_deterrence_builds_fast_and_fades_slowly():
    up = reports.update_deterrence(0.0, 1.0, build=0.3, fade=0.05)
    down = reports.update_deterrence(1.0, 0.0, build=0.3, fade=0.05)
    assert up == pytest.approx(0.3)
    assert down == pytest.approx(0.95)


def test_typical_cases_add_to_tracing_as_a_second_channel():
    assert reports.deterrence_target(0.0, 0.0) == 0.0
    assert reports.deterrence_target(0.5, 0.0) == pytest.approx(0.5)
    assert reports.deterrence_target(0.5, 0.5) == pytest.approx(0.75)


def test_next_deterrence_moves_towards_the_regimes_target():
    prm = params(crackdown__trace_probability=1.0, crackdown__deterrence_build=0.5)
    assert reports.next_deterrence(0.0, prm) == pytest.approx(0.5)


# --- cases ---------------------------------------------------------------------
def test_full_coverage_and_credibility_exempt_every_honest_mistake():
    rng = np.random.default_rng(1)
    exempt = cases.review_mistakes(rng.random(500), rng.random(500), 1.0, 1.0)
    assert exempt.all()


def test_no_coverage_exempts_nothing():
    rng = np.random.default_rng(2)
    assert not cases.review_mistakes(rng.random(500), rng.random(500), 0.0, 1.0).any()


def test_perfect_investigation_clears_every_false_report():
    rng = np.random.default_rng(3)
    d = rng.random((3, 400))
    cleared, clarified, accuser = cases.resolve_false_reports(d[0], d[1], d[2], 1.0, 0.5, 0.5)
    assert cleared.all()
    assert 0 < clarified.sum() < 400 and 0 < accuser.sum() < 400


def test_only_cleared_cadres_are_clarified():
    rng = np.random.default_rng(4)
    d = rng.random((3, 400))
    cleared, clarified, accuser = cases.resolve_false_reports(d[0], d[1], d[2], 0.5, 1.0, 1.0)
    assert (clarified == cleared).all()
    assert not (accuser & ~cleared).any()


def test_no_case_ending_draws_nothing_and_gives_empty_verdicts():
    pop, org, prm, _, rng = small_state()
    pop.case_kind[:3] = int(CaseKind.FALSE_REPORT)
    pop.case_months_left[:3] = 3
    before = rng.bit_generator.state
    verdicts = cases.conclude_cases(pop, org, prm, 5, [rng])
    assert rng.bit_generator.state == before
    assert verdicts.false_rows.size == 0 and verdicts.counts == {}
    assert (pop.case_months_left[:3] == 2).all()


def test_verdicts_clear_clarify_exempt_and_punish():
    pop, org, _, _, rng = small_state()
    prm = params(
        accusation__investigation_accuracy=1.0,
        clarification__coverage=1.0,
        fault_tolerance__coverage=1.0,
        fault_tolerance__credibility=1.0,
        fault_tolerance__mitigation=1.0,
        crackdown__trace_probability=0.0,
    )
    kinds = [CaseKind.FALSE_REPORT, CaseKind.HONEST_MISTAKE, CaseKind.MISCONDUCT]
    pop.case_kind[:3] = [int(k) for k in kinds]
    pop.case_months_left[:3] = 1
    pop.reputation[:3] = 0.2
    pop.reputation_at_case[:3] = 0.8
    verdicts = cases.conclude_cases(pop, org, prm, 7, [rng])
    assert list(verdicts.false_rows) == [0] and verdicts.vindicated.all()
    assert list(verdicts.mistake_rows) == [1] and verdicts.exempted.all()
    assert verdicts.counts == {
        "wrongful_punishments": 0,
        "punishments": 1,
        "clarifications": 1,
        "false_accusers_punished": 0,
        "exemptions": 1,
    }
    assert pop.cleared_month[0] == 7 and pop.reputation[0] > 0.2
    assert pop.punished_until[1] < 0
    assert pop.punished_until[2] >= 7 + round(prm.discipline.severity)
    assert (pop.case_kind[:3] == NO_CASE).all()


def test_open_cases_takes_misconduct_first_and_skips_open_cases():
    pop, _, prm, _, rng = small_state()
    n = pop.alive.size
    false_report = np.zeros(n, bool)
    mistake = np.zeros(n, bool)
    misconduct = np.zeros(n, bool)
    false_report[[0, 1, 2, 3]] = True
    mistake[[1, 2]] = True
    misconduct[[2]] = True
    pop.case_kind[3] = int(CaseKind.MISCONDUCT)
    filed = reports.Reports(mistake, misconduct, false_report, {})
    reputation, idealism = pop.reputation.copy(), pop.idealism.copy()
    cases.open_cases(pop, prm, filed, [rng])
    assert list(pop.case_kind[:4]) == [
        int(CaseKind.FALSE_REPORT),
        int(CaseKind.HONEST_MISTAKE),
        int(CaseKind.MISCONDUCT),
        int(CaseKind.MISCONDUCT),
    ]
    assert (pop.case_months_left[:3] >= 1).all()
    assert (pop.reputation[:3] < reputation[:3]).all() and pop.reputation[3] == reputation[3]
    assert pop.idealism[0] < idealism[0] and pop.idealism[1] == idealism[1]


# --- learning --------------------------------------------------------------------
def test_group_mean_ignores_empty_groups_and_masked_rows():
    groups = np.array([0, 0, 1, 2])
    values = np.array([1.0, 3.0, 5.0, 100.0])
    mask = np.array([True, True, True, False])
    mean, count = learning.group_mean(groups, values, mask, 4)
    np.testing.assert_allclose(mean, [2.0, 5.0, 0.0, 0.0])
    np.testing.assert_allclose(count, [2, 1, 0, 0])


def test_learning_moves_beliefs_only_for_those_who_saw_something():
    belief = np.array([0.2, 0.2])
    saw = np.array([True, False])
    out = learning.learn(belief, [(1.0, 1.0, saw)], speed=0.5)
    assert out[0] == pytest.approx(0.6)
    assert out[1] == pytest.approx(0.2)


def test_own_experience_moves_beliefs_more_than_public_news():
    belief = np.zeros(2)
    own = np.array([True, False])
    public = np.array([False, True])
    out = learning.learn(belief, [(1.0, 0.4, own), (1.0, 0.05, public)], speed=0.2)
    assert out[0] > out[1] > 0


def test_the_reports_keep_the_visibility_learning_reads():
    pop, org, prm, _, rng = small_state(n=60)
    n = pop.alive.size
    pop.state[:] = rng.integers(0, 3, n)
    pop.alive[:5] = False
    done = work.do_work(pop, org, prm, 1.0, rng.random((3, n)))
    filed = reports.file_reports(pop, org, prm, 0.2, done, rng.random((2, n)))
    vis = reports.visibility_of(pop.state, prm.accusation.visibility_active)
    np.testing.assert_array_equal(
        filed.visibility, vis * reports.report_exposure(pop, org, prm) * pop.alive
    )
    false_report = pop.alive & (rng.random(n) < 0.2)
    before = pop.belief_false.copy()
    learning.learn_monthly(pop, org, prm, false_report, cases.Verdicts(), np.ones(n))
    computed = pop.belief_false.copy()
    pop.belief_false[:] = before
    learning.learn_monthly(
        pop, org, prm, false_report, cases.Verdicts(), np.ones(n), visibility=filed.visibility
    )
    np.testing.assert_array_equal(pop.belief_false, computed)


def test_an_exempted_case_raises_its_cadres_belief_in_exemption_most():
    pop, org, prm, _, _ = small_state()
    n = pop.alive.size
    pop.belief_exemption[:] = 0.1
    verdicts = cases.Verdicts(mistake_rows=np.array([0]), exempted=np.array([True]))
    learning.learn_monthly(pop, org, prm, np.zeros(n, bool), verdicts, np.ones(n))
    others = np.delete(pop.belief_exemption, 0)
    assert pop.belief_exemption[0] > others.max() >= others.min() > 0.1


def test_false_reports_raise_the_belief_in_false_accusation():
    pop, org, prm, _, _ = small_state()
    n = pop.alive.size
    before = pop.belief_false.copy()
    false_report = np.zeros(n, bool)
    false_report[0] = True
    learning.learn_monthly(pop, org, prm, false_report, cases.Verdicts(), np.ones(n))
    assert pop.belief_false[0] - before[0] > np.max(np.delete(pop.belief_false - before, 0))


def _learn_monthly_reference(pop, org, prm, false_report, verdicts, reach_draw):
    """learn_monthly of one run composed from learn and group_mean (numpy), new beliefs."""
    b = prm.behaviour
    w = (b.learning_own, b.learning_peer, b.learning_public)
    alive, n, n_units = pop.alive, pop.alive.size, org.n_units
    unit = org.post_unit[pop.post]
    vis = reports.visibility_of(pop.state, prm.accusation.visibility_active)
    vis = vis * reports.report_exposure(pop, org, prm) * alive
    seen = np.bincount(unit, weights=vis, minlength=n_units)
    filed = np.bincount(unit, weights=false_report.astype(float), minlength=n_units)
    unit_rate = np.divide(filed, seen, out=np.zeros(n_units), where=seen > 0)[unit]
    own_rate = false_report / np.maximum(vis, 1e-9)
    public = false_report.sum() / max(vis.sum(), 1e-9)
    out = [
        learning.learn(
            pop.belief_false,
            [(own_rate, w[0], alive), (unit_rate, w[1], alive), (public, w[2], alive)],
            BELIEF_SPEED,
        )
    ]
    for rows, verdict, belief, public_mask in (
        (verdicts.mistake_rows, verdicts.exempted, pop.belief_exemption, alive),
        (
            verdicts.false_rows,
            verdicts.vindicated,
            pop.belief_vindication,
            alive & (reach_draw < prm.clarification.reach),
        ),
    ):
        if rows.size == 0:
            out.append(belief.copy())
            continue
        outcome, had_case = np.zeros(n), np.zeros(n, bool)
        outcome[rows], had_case[rows] = verdict, True
        mean, count = learning.group_mean(unit, outcome, had_case, n_units)
        sources = [
            (outcome, w[0], had_case),
            (mean[unit], w[1], alive & (count[unit] > 0)),
            (float(outcome[rows].mean()), w[2], public_mask),
        ]
        out.append(learning.learn(belief, sources, BELIEF_SPEED))
    return out


def test_monthly_learning_is_learn_from_its_three_sources_each_month():
    pop, org, prm, _, rng = small_state(n=60)
    n = pop.alive.size
    for month in range(3):  # the scratch arrays are reused from month to month
        pop.state[:] = rng.integers(0, 3, n)
        false_report = pop.alive & (rng.random(n) < 0.2)
        rows = np.flatnonzero(pop.alive & (rng.random(n) < 0.3))
        half = rows.size // 2
        verdicts = cases.Verdicts(
            false_rows=rows[:half],
            vindicated=rng.random(half) < 0.5,
            mistake_rows=rows[half:] if month != 1 else np.empty(0, np.int64),
            exempted=rng.random(rows.size - half) < 0.5 if month != 1 else np.empty(0, bool),
        )
        reach = rng.random(n)
        expected = _learn_monthly_reference(pop, org, prm, false_report, verdicts, reach)
        learning.learn_monthly(pop, org, prm, false_report, verdicts, reach)
        beliefs = (pop.belief_false, pop.belief_exemption, pop.belief_vindication)
        for got, want in zip(beliefs, expected, strict=True):
            np.testing.assert_array_equal(got, want)


def test_recovery_follows_its_equations_row_by_row():
    pop, _, prm, _, rng = small_state(n=60)
    n = pop.alive.size
    pop.case_kind[:] = np.where(rng.random(n) < 0.4, int(CaseKind.MISCONDUCT), 0)
    pop.reputation[:] = rng.random(n) * 0.02  # some fall below 0 under a case
    b = prm.behaviour
    base = pop.idealism_base * (1.0 - IDEALISM_TENURE_DECAY)
    idealism = pop.idealism + b.idealism_recovery * (base - pop.idealism)
    reputation = pop.reputation + np.where(
        pop.case_kind == 0,
        b.reputation_recovery * (REPUTATION_BASELINE - pop.reputation),
        -prm.accusation.investigation_harm,
    )
    assert (reputation < 0).any()
    learning.recover(pop, prm)
    np.testing.assert_array_equal(pop.idealism_base, base)
    np.testing.assert_array_equal(pop.idealism, idealism)
    np.testing.assert_array_equal(pop.reputation, np.maximum(reputation, 0.0))


def test_reputation_recovers_only_without_an_open_case_and_erodes_under_one():
    pop, _, prm, _, _ = small_state()
    pop.reputation[:2] = 0.2
    pop.case_kind[1] = int(CaseKind.FALSE_REPORT)
    learning.recover(pop, prm)
    harm = prm.accusation.investigation_harm
    assert pop.reputation[0] > 0.2 and pop.reputation[1] == pytest.approx(0.2 - harm)
    assert pop.reputation[0] < REPUTATION_BASELINE


# --- annual evaluation --------------------------------------------------------------
def test_within_level_zscore_standardises_each_level():
    values = np.array([1.0, 2.0, 3.0, 10.0, 20.0])
    groups = np.array([0, 0, 0, 1, 1])
    z = evaluation.within_group_zscore(values, groups, np.ones(5, bool), 2)
    np.testing.assert_allclose(z[:3].mean(), 0.0, atol=1e-12)
    np.testing.assert_allclose(z[3:], [-1.0, 1.0])


def test_bottom_of_levels_marks_the_lowest_share_of_each_level():
    score = np.array([3.0, 1.0, 2.0, 0.0, 9.0, 8.0])
    level = np.array([0, 0, 0, 0, 1, 1])
    bottom = evaluation.bottom_of_levels(score, level, np.ones(6, bool), 0.5, 2)
    assert list(np.flatnonzero(bottom)) == [1, 3, 5]


def test_detected_flat_cadres_are_unfit_and_demoted():
    pop, org, _, unfit, rng = small_state()
    prm = params(demotion__detection=1.0, demotion__intensity=1.0, demotion__bottom_share=0.0)
    pop.flat_months[:] = 0
    pop.flat_months[:5] = 12
    pop.removal_pending[:] = False
    pop.case_kind[:] = NO_CASE
    verdict = evaluation.evaluate(pop, org, prm, 12, [unfit], [rng])
    assert list(np.flatnonzero(verdict.demoted)) == [0, 1, 2, 3, 4]
    assert verdict.unfit_rate[0][F] == pytest.approx(unfit[F] + 0.5 * (1.0 - unfit[F]))
    expected = stakes.promotable(pop, prm, 12)
    assert (verdict.eligible == expected).all()


def test_demotion_swaps_posts_with_the_best_eligible_cadre_below():
    pop, org, prm, unfit, rng = small_state()
    verdict = evaluation.evaluate(pop, org, prm, 12, [unfit], [rng])
    level = verdict.level_at_start
    up_row = int(np.flatnonzero(level == 1)[0])
    demoted = np.zeros_like(verdict.demoted)
    demoted[up_row] = True
    eligible = level == 0
    score = np.where(level == 0, np.arange(level.size, dtype=float), 0.0)
    best = int(np.flatnonzero(level == 0)[-1])
    chosen = evaluation.Evaluation(score, level, eligible, demoted, verdict.unfit_rate)
    post_up, post_down = pop.post[up_row], pop.post[best]
    result = evaluation.demote(pop, org, chosen, 12)
    assert result.count == [1] and list(np.flatnonzero(result.promoted)) == [best]
    assert pop.post[up_row] == post_down and pop.post[best] == post_up
    assert org.post_holder[post_up] == best and org.post_holder[post_down] == up_row


def test_promotion_fills_a_vacancy_with_the_best_eligible_cadre_below():
    pop, org, prm, unfit, rng = small_state()
    top = int(np.flatnonzero(org.post_level == org.n_levels - 1)[0])
    leaver = int(org.post_holder[top])
    pop.alive[leaver] = False
    org.post_holder[top] = -1
    verdict = evaluation.evaluate(pop, org, prm, 12, [unfit], [rng])
    eligible = pop.alive.copy()
    chosen = evaluation.Evaluation(
        verdict.score, verdict.level_at_start, eligible, np.zeros_like(eligible), unfit
    )
    below = np.flatnonzero(pop.alive & (verdict.level_at_start == org.n_levels - 2))
    best = int(below[np.argmax(verdict.score[below])])
    promoted = promotion.promote(pop, org, chosen, np.zeros_like(eligible), [rng])
    assert promoted[best] and pop.post[best] == top and org.post_holder[top] == best


def test_promoted_cadres_learn_a_higher_promotion_belief():
    pop, org, prm, _, _ = small_state()
    pop.belief_promotion[:] = 0.1
    promoted = np.zeros(pop.alive.size, bool)
    promoted[0] = True
    level = org.post_level[pop.post]
    verdict = evaluation.Evaluation(
        np.zeros(level.size), level, pop.alive.copy(), np.zeros(level.size, bool), np.zeros(3)
    )
    promotion.learn_promotion(pop, org, prm, verdict, promoted)
    assert pop.belief_promotion[0] > pop.belief_promotion[1:].max()


def test_close_year_resets_the_years_counters():
    pop, *_ = small_state()
    pop.performance[:] = 5.0
    pop.flat_months[:] = 3
    evaluation.close_year(pop)
    assert not pop.performance.any() and not pop.flat_months.any()


def test_expected_unfit_rates_are_probabilities_highest_for_flat():
    pop, org, prm, _, rng = small_state(n=200)
    pop.state[:] = np.resize([A, R, F], pop.state.size)
    rates = evaluation.expected_unfit_rates(pop, org, prm, rng)
    assert ((rates >= 0) & (rates <= 1)).all()
    assert rates[F] >= prm.demotion.detection > rates[A]


# --- demography ------------------------------------------------------------------
def test_a_month_of_service_advances_tenure_and_age():
    pop, _, prm, _, _ = small_state()
    pop.alive[0] = False
    tenure, age = pop.tenure.copy(), pop.age.copy()
    demography.serve_month(pop, prm)
    assert (pop.tenure - tenure == pop.alive).all()
    np.testing.assert_allclose(pop.age - age, pop.alive / 12.0)
    demography.serve_month(pop, params(workforce__demography=False))
    assert (pop.tenure - tenure == 2 * pop.alive).all()
    np.testing.assert_allclose(pop.age - age, pop.alive / 12.0)


def test_retirement_vacates_the_posts_of_the_old():
    pop, org, prm, _, _ = small_state()
    pop.age[:] = 40.0
    pop.age[[2, 5]] = RETIREMENT_AGE
    assert demography.retire(pop, org, params(workforce__demography=False)).size == 0
    retired = demography.retire(pop, org, prm)
    assert list(retired) == [2, 5]
    assert not pop.alive[[2, 5]].any() and (org.post_holder[pop.post[[2, 5]]] == -1).all()


def test_staffing_cuts_close_vacant_posts_down_to_the_target():
    pop, org, _, _, _ = small_state(n=40)
    bottom = np.flatnonzero(org.post_level == 0)
    org.post_holder[bottom[:10]] = -1
    demography.cut_posts(org, params(workforce__staffing_cut=0.2))
    target = int(np.ceil(0.8 * org.level_sizes[0]))
    assert int(org.post_open[bottom].sum()) == target
    assert org.post_open[bottom[10:]].all()


def test_recruits_fill_vacant_bottom_posts_in_free_rows():
    pop, org, prm, _, rng = small_state()
    bottom = np.flatnonzero(org.post_level == 0)[:3]
    rows = org.post_holder[bottom].copy()
    pop.alive[rows] = False
    org.post_holder[bottom] = -1
    recruited = demography.recruit(pop, org, prm, [0.05], [rng])
    assert sorted(recruited) == sorted(rows)
    assert pop.alive.all() and (org.post_holder[bottom] >= 0).all()
    assert (pop.state[recruited] == R).all()
    assert ((pop.age[recruited] >= RECRUIT_AGE[0]) & (pop.age[recruited] <= RECRUIT_AGE[1])).all()


# --- setup -------------------------------------------------------------------------
def test_traits_of_new_cadres_are_in_range():
    pop = Population.empty(500)
    rows = np.arange(500)
    setup.draw_traits(pop, rows, Params.defaults(), np.random.default_rng(5))
    assert pop.alive.all()
    assert ((pop.ability >= 0.3) & (pop.ability <= 2.0)).all()
    assert (pop.idealism == pop.idealism_base).all()
    idealist = pop.orientation == 1
    assert pop.idealism[idealist].mean() > pop.idealism[~idealist].mean()
    assert (pop.cleared_month < 0).all() and (pop.punished_until < 0).all()


def test_initial_beliefs_scatter_around_the_regimes_truth():
    pop, org, prm, _, rng = small_state(n=400)
    rows = np.arange(400)
    setup.initial_beliefs(pop, org, rows, prm, 0.05, rng)
    truth = setup.belief_truths(pop, org, prm, 0.05)
    assert truth.exemption == pytest.approx(
        prm.fault_tolerance.coverage * prm.fault_tolerance.credibility
    )
    assert np.median(pop.belief_exemption) == pytest.approx(truth.exemption, rel=0.1)


def test_no_promotion_expected_from_the_top_or_without_turnover():
    org = build_organisation(100, 4, 3)
    rates = setup.expected_promotion_rates(org, Params.defaults())
    assert rates[-1] == 0.0 and (rates[:-1] > 0).all()
    still = setup.expected_promotion_rates(org, params(workforce__demography=False))
    assert not still.any()


def test_initialised_population_holds_every_post():
    pop, org, _, unfit, _ = small_state()
    assert pop.alive.all()
    assert (org.post_holder[pop.post] == np.arange(pop.alive.size)).all()
    assert unfit.shape == (3,) and ((unfit >= 0) & (unfit <= 1)).all()


# --- state and outputs --------------------------------------------------------------
def test_move_vacates_the_old_post_and_restarts_tenure():
    pop, org, *_ = small_state()
    vacant = int(org.n_posts - 1)
    pop.alive[org.post_holder[vacant]] = False
    org.post_holder[vacant] = -1
    old = int(pop.post[0])
    move(pop, org, np.array([0]), np.array([vacant]))
    assert org.post_holder[old] == -1 and org.post_holder[vacant] == 0
    assert pop.post[0] == vacant and pop.tenure[0] == 0


def test_month_outputs_name_every_output_and_count_events():
    pop, org, *_ = small_state()
    out = month_outputs(pop, org, 3, {"promotions": 2}, 0.5, 0.1)
    assert set(out) == set(output_names(org.n_levels))
    assert out["promotions"] == 2.0 and out["public_value"] == 0.5
    assert all(out[name] == 0.0 for name in EVENT_COUNTS if name != "promotions")
    assert out["flat_share"] + out["active_share"] + out["routine_share"] == pytest.approx(1.0)


def test_month_outputs_count_and_average_the_serving_cadres_each_month():
    pop, org, _, _, rng = small_state(n=60)
    n = pop.alive.size
    # the scratch arrays are reused from month to month; at last everyone serves
    for month, serving in ((3, 0.8), (4, 0.8), (5, 1.0)):
        pop.state[:] = rng.integers(0, 3, n)
        pop.alive[:] = rng.random(n) < serving
        pop.case_kind[:] = np.where(rng.random(n) < 0.3, int(CaseKind.FALSE_REPORT), 0)
        pop.cleared_month[:] = np.where(rng.random(n) < 0.3, month - 1, -1000)
        pop.idealism[:] = rng.random(n)
        out = month_outputs(pop, org, month, {}, 0.5, 0.1)
        alive = pop.alive
        recent = alive & (pop.cleared_month == month - 1)
        level = org.post_level[pop.post]
        assert out["headcount"] == alive.sum()
        assert out["under_investigation"] == (alive & (pop.case_kind != 0)).sum()
        assert out["mean_idealism"] == np.add.reduce(pop.idealism[alive]) / alive.sum()
        assert out["reputation_cleared"] == np.add.reduce(pop.reputation[recent]) / recent.sum()
        assert out["mean_effort"] == np.add.reduce(EFFORT[pop.state[alive]]) / alive.sum()
        assert out["flat_share"] == (alive & (pop.state == F)).sum() / alive.sum()
        bottom = alive & (level == 0)
        assert out["active_share_level1"] == (bottom & (pop.state == A)).sum() / bottom.sum()
        realist = alive & (pop.orientation == 0)
        assert out["routine_share_realist"] == (realist & (pop.state == R)).sum() / realist.sum()


# --- rank-structured stakes and realised sanctions ---------------------------------
def stake_of(n=1, prm=None, **arrays):
    base = dict(
        ability=np.ones(n),
        idealism=np.full(n, 0.5),
        reputation=np.full(n, 0.6),
        belief_promotion=np.full(n, 0.02),
        below_ceiling=np.ones(n, bool),
        leader=np.zeros(n, bool),
    )
    base.update(arrays)
    return stakes.stakes(**base, params=prm or Params.defaults())


def test_sanctions_beyond_a_year_remove_leading_cadres_from_post():
    np.testing.assert_allclose(
        stakes.removal_probability(np.array([6.0, 12.0, 18.0, 24.0, 36.0])),
        [0.0, 0.0, 0.5, 1.0, 1.0],
    )


def test_a_leading_post_raises_what_a_sanction_costs():
    prm = params(discipline__severity=18.0)
    clerk = stake_of(1, prm)
    leader = stake_of(1, prm, leader=np.array([True]))
    loss = prm.demotion.loss
    assert leader.punishment[0] - clerk.punishment[0] == pytest.approx(0.5 * 0.5 * loss)
    assert leader.case[0] == pytest.approx(clerk.case[0])


def test_a_bar_costs_more_with_better_prospects_and_nothing_past_the_ceiling():
    bright = stake_of(1, belief_promotion=np.array([0.2]))
    dim = stake_of(1, belief_promotion=np.array([0.01]))
    blocked = stake_of(1, belief_promotion=np.array([0.2]), below_ceiling=np.array([False]))
    assert bright.month_value[0] > dim.month_value[0] > blocked.month_value[0]
    assert blocked.prospects_value[0] == 0.0
    pay = Params.defaults().career.material_reward
    assert blocked.month_value[0] == pytest.approx(0.5 * pay)


def test_the_rule_counts_both_reputation_losses_of_a_punishment():
    prm = Params.defaults()
    s = stake_of(1, reputation=np.array([0.5]))
    d, value = prm.accusation.reputation_damage, REPUTATION_VALUE
    verdict = value * 0.5 * (1 - d) * d
    months = prm.discipline.severity
    assert s.punishment[0] == pytest.approx(months * s.month_value[0] + verdict)
    opening = value * (
        0.5 * d + prm.accusation.investigation_months * prm.accusation.investigation_harm
    )
    assert s.case_reputation[0] == pytest.approx(opening)


def test_no_tournament_return_without_eligibility_and_no_pay_while_barred():
    prm = Params.from_values(DECISION)
    both = utilities(1)
    barred = utilities(1, eligible=np.array([False]), paid=np.array([False]))
    gain_both = both[0, A] - both[0, F]
    gain_barred = barred[0, A] - barred[0, F]
    c = prm.career
    tournament = c.prize * c.performance_weight / (1 + c.evaluation_noise) * 0.02
    expected = 0.5 * (c.material_reward + tournament) * (EFFORT[A] - EFFORT[F])
    assert gain_both - gain_barred == pytest.approx(expected)


def test_exposure_and_accountability_raise_the_risk_of_active_work():
    base = utilities(1)
    exposed = utilities(1, report_exposure=np.array([2.0]))
    accountable = utilities(1, accountability=np.array([2.0]))
    for u in (exposed, accountable):
        drop = base - u
        assert drop[0, A] > drop[0, R] > drop[0, F] > 0


def test_rank_factor_grows_linearly_with_level():
    np.testing.assert_allclose(stakes.rank_factor(np.array([0, 1, 4]), 0.5), [1.0, 1.5, 3.0])


def test_a_heavy_sanction_removes_a_leader_at_the_next_evaluation():
    pop, org, _, unfit, rng = small_state()
    prm = params(discipline__severity=30.0, accusation__investigation_accuracy=1.0)
    leader = int(np.flatnonzero(org.post_level[pop.post] >= 1)[0])
    pop.case_kind[:] = NO_CASE
    pop.case_kind[leader] = int(CaseKind.MISCONDUCT)
    pop.case_months_left[leader] = 1
    cases.conclude_cases(pop, org, prm, 5, [rng])
    assert pop.removal_pending[leader] and pop.punished_until[leader] == 35
    verdict = evaluation.evaluate(pop, org, prm, 12, [unfit], [rng])
    assert verdict.demoted[leader]
    result = evaluation.demote(pop, org, verdict, 12)
    if result.removals[0]:
        assert not pop.removal_pending[leader]


def test_stationary_ages_follow_the_demographic_steady_state():
    rng = np.random.default_rng(3)
    age, service = initial.stationary_ages(rng.random((2, 200_000)), (24.0, 32.0), 60.0)
    assert age.min() >= 24.0 and age.max() <= 60.0
    assert (service >= 0).all() and (age - service >= 24.0 - 1e-9).all()
    # density proportional to P(recruit age <= a): a ramp over 24-32, flat to 60
    assert np.mean(age >= 32.0) == pytest.approx(28 / 32, abs=0.005)
    assert np.mean(age < 28.0) == pytest.approx(1 / 32, abs=0.002)


def test_retirement_drops_an_open_case_and_a_pending_removal():
    pop, org, *_ = small_state()
    pop.case_kind[0] = int(CaseKind.FALSE_REPORT)
    pop.removal_pending[0] = True
    vacate(pop, org, np.array([0]))
    assert pop.case_kind[0] == NO_CASE and not pop.removal_pending[0]


def test_sorting_within_groups_is_a_stable_lexsort():
    rng = np.random.default_rng(8)
    for values in (rng.standard_normal(500), rng.integers(0, 4, 500).astype(float)):
        values[::50] = -0.0
        groups = rng.integers(0, 7, 500)
        expected = np.lexsort((values, groups))
        np.testing.assert_array_equal(evaluation.sort_within_groups(values, groups, 7), expected)
    values[3] = np.nan
    np.testing.assert_array_equal(
        evaluation.sort_within_groups(values, groups, 7), np.lexsort((values, groups))
    )
