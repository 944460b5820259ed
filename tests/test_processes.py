"""Each process on its own: the pure functions in sim.processes."""

import numpy as np
import pytest

from sim.model import processes as proc
from sim.model.agents import WorkState

A, R, F = int(WorkState.ACTIVE), int(WorkState.ROUTINE), int(WorkState.FLAT)


def decision_inputs(**overrides):
    values = dict(
        service_motivation=3.0,
        effort_cost=0.7,
        workload=1.0,
        prize=120.0,
        performance_weight=0.6,
        evaluation_noise=0.8,
        demotion_loss=4.0,
        demotion_intensity=0.03,
        unfit_rate=np.array([0.0, 0.03, 0.4]),
        mistake_rate=0.04,
        mistake_report_prob=0.3,
        exemption_relief=1.0,
        severity=15.0,
        investigation_months=4.0,
        investigation_harm=0.5,
        investigation_accuracy=0.85,
        reputation_damage=0.4,
        restoration=0.7,
        visibility_active=3.0,
        habit=0.0,
        conformity=0.0,
    )
    values.update(overrides)
    return proc.DecisionInputs(**values)


def utilities(n=1, d=None, **arrays):
    base = dict(
        ability=np.ones(n),
        idealism=np.full(n, 0.5),
        risk_aversion=np.ones(n),
        belief_exemption=np.full(n, 0.1),
        belief_false=np.full(n, 0.003),
        belief_promotion=np.full(n, 0.02),
        belief_vindication=np.full(n, 0.05),
        previous_state=np.full(n, R),
        norm_shares=np.full((n, 3), 1 / 3),
    )
    base.update(arrays)
    return proc.state_utilities(**base, d=d or decision_inputs())


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
    d = decision_inputs(demotion_intensity=0.5)
    u = utilities(2, d=d, idealism=np.array([0.0, 1.0]))
    base = utilities(2, idealism=np.array([0.0, 1.0]))
    realist_drop = base[0, F] - u[0, F]
    idealist_drop = base[1, F] - u[1, F]
    assert realist_drop > 0
    assert idealist_drop == pytest.approx(0.0)


def test_habit_rewards_keeping_last_months_state():
    d = decision_inputs(habit=1.0)
    u_habit = utilities(1, d=d, previous_state=np.array([F]))
    u_none = utilities(1, previous_state=np.array([F]))
    assert u_habit[0, F] - u_none[0, F] == pytest.approx(1.0)
    assert u_habit[0, A] == pytest.approx(u_none[0, A])


def test_softmax_rows_sum_to_one_and_follow_utility():
    u = np.array([[1.0, 0.0, -1.0], [0.0, 0.0, 0.0]])
    p = proc.softmax_probabilities(u.copy(), 0.5)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert p[0, 0] > p[0, 1] > p[0, 2]
    np.testing.assert_allclose(p[1], 1 / 3)


def test_choice_is_noisy_but_follows_probabilities():
    rng = np.random.default_rng(0)
    n = 20000
    u = np.tile([0.5, 0.0, -0.5], (n, 1))
    states = proc.choose_states(u, 0.5, rng.random(n))
    share = np.bincount(states, minlength=3) / n
    expected = proc.softmax_probabilities(u[:1].copy(), 0.5)[0]
    np.testing.assert_allclose(share, expected, atol=0.015)


def test_near_zero_noise_chooses_the_best_state():
    u = np.array([[0.0, 1.0, 0.5]])
    assert proc.choose_states(u, 0.02, np.array([0.999]))[0] == R


def test_false_reports_fall_on_the_visible_and_the_able():
    state = np.array([A, R, F, A])
    ability = np.array([1.0, 1.0, 1.0, 1.5])
    lam = proc.false_report_intensity(
        state=state,
        ability=ability,
        alive=np.ones(4, bool),
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
    lam = proc.false_report_intensity(
        state=np.full(n, R),
        ability=np.ones(n),
        alive=np.ones(n, bool),
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
        base_rate=0.01,
        deterrence_strength=0.8,
        visibility_active=3.0,
        rival_share=0.0,
    )
    none = proc.false_report_intensity(deterrence=0.0, **kwargs)
    full = proc.false_report_intensity(deterrence=1.0, **kwargs)
    np.testing.assert_allclose(full, 0.2 * none)


def test_no_false_reports_on_departed_cadres():
    lam = proc.false_report_intensity(
        state=np.array([A, A]),
        ability=np.ones(2),
        alive=np.array([True, False]),
        base_rate=0.01,
        deterrence=0.0,
        deterrence_strength=0.8,
        visibility_active=3.0,
        rival_share=0.3,
    )
    assert lam[1] == 0.0 and lam[0] > 0


def test_deterrence_builds_fast_and_fades_slowly():
    up = proc.update_deterrence(0.0, 1.0, build=0.3, fade=0.05)
    down = proc.update_deterrence(1.0, 0.0, build=0.3, fade=0.05)
    assert up == pytest.approx(0.3)
    assert down == pytest.approx(0.95)


def test_typical_cases_add_to_tracing_as_a_second_channel():
    assert proc.deterrence_target(0.0, 0.0) == 0.0
    assert proc.deterrence_target(0.5, 0.0) == pytest.approx(0.5)
    assert proc.deterrence_target(0.5, 0.5) == pytest.approx(0.75)


def test_full_coverage_and_credibility_exempt_every_honest_mistake():
    rng = np.random.default_rng(1)
    exempt = proc.review_mistakes(rng.random(500), rng.random(500), 1.0, 1.0)
    assert exempt.all()


def test_no_coverage_exempts_nothing():
    rng = np.random.default_rng(2)
    assert not proc.review_mistakes(rng.random(500), rng.random(500), 0.0, 1.0).any()


def test_perfect_investigation_clears_every_false_report():
    rng = np.random.default_rng(3)
    d = rng.random((3, 400))
    cleared, clarified, accuser = proc.resolve_false_reports(d[0], d[1], d[2], 1.0, 0.5, 0.5)
    assert cleared.all()
    assert 0 < clarified.sum() < 400 and 0 < accuser.sum() < 400


def test_only_cleared_cadres_are_clarified():
    rng = np.random.default_rng(4)
    d = rng.random((3, 400))
    cleared, clarified, accuser = proc.resolve_false_reports(d[0], d[1], d[2], 0.5, 1.0, 1.0)
    assert (clarified == cleared).all()
    assert not (accuser & ~cleared).any()


def test_group_mean_ignores_empty_groups_and_masked_rows():
    groups = np.array([0, 0, 1, 2])
    values = np.array([1.0, 3.0, 5.0, 100.0])
    mask = np.array([True, True, True, False])
    mean, count = proc.group_mean(groups, values, mask, 4)
    np.testing.assert_allclose(mean, [2.0, 5.0, 0.0, 0.0])
    np.testing.assert_allclose(count, [2, 1, 0, 0])


def test_learning_moves_beliefs_only_for_those_who_saw_something():
    belief = np.array([0.2, 0.2])
    saw = np.array([True, False])
    out = proc.learn(belief, [(1.0, 1.0, saw)], speed=0.5)
    assert out[0] == pytest.approx(0.6)
    assert out[1] == pytest.approx(0.2)


def test_own_experience_moves_beliefs_more_than_public_news():
    belief = np.zeros(2)
    own = np.array([True, False])
    public = np.array([False, True])
    out = proc.learn(belief, [(1.0, 0.4, own), (1.0, 0.05, public)], speed=0.2)
    assert out[0] > out[1] > 0


def test_within_level_zscore_standardises_each_level():
    values = np.array([1.0, 2.0, 3.0, 10.0, 20.0])
    groups = np.array([0, 0, 0, 1, 1])
    z = proc.within_group_zscore(values, groups, np.ones(5, bool), 2)
    np.testing.assert_allclose(z[:3].mean(), 0.0, atol=1e-12)
    np.testing.assert_allclose(z[3:], [-1.0, 1.0])
