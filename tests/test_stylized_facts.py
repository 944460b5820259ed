"""The brief's nine stylized facts, each as a comparison of two regimes.

The regimes, windows and checks come from :data:`sim.analysis.validation.FACTS`, the one
place each fact is defined (``cadre-sim validate`` runs the same facts at a
larger size). Each test runs the regimes on the same fixed seeds (common
random numbers, so the comparison is paired) and requires the mean paired
difference to be clear against its replicate spread: a paired t statistic of
at least ``T_MIN`` in the expected direction.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from sim.analysis import validation
from sim.analysis.validation import Estimate, FactResult
from sim.model import CadreModel
from sim.scenarios import load

SEEDS = tuple(range(8))
POPULATION = 2000
STEPS = 96
T_MIN = 3.0
#: Fact 4's campaign regime runs with its own headcount (its counts of false
#: reports are clear at 1500 cadres).
POPULATION_OF = {validation.CRACKDOWN_CAMPAIGN.name: 1500}


@cache
def _regime_runs(name: str) -> pd.DataFrame:
    """Every seed of one regime of FACTS, run in this process (scenario, replicate, outputs)."""
    scenarios = {s.name: s for s in validation.regime_scenarios(validation.FACTS, load("baseline"))}
    scenario = scenarios[name].with_overrides(
        {"workforce.population": POPULATION_OF.get(name, POPULATION)}
    )
    frames = []
    for replicate, seed in enumerate(SEEDS):
        model = CadreModel(**scenario.model_kwargs(), rng=seed)
        model.run(STEPS)
        frame = model.timeseries()
        frame.insert(0, "scenario", name)
        frame.insert(1, "replicate", replicate)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


@cache
def result(number: int) -> FactResult:
    """Fact ``number`` of FACTS, evaluated on the runs of its regimes."""
    fact = validation.fact(number)
    runs = pd.concat([_regime_runs(r.name) for r in fact.regimes], ignore_index=True)
    return validation.evaluate(fact, runs, STEPS)


def assert_up(c: Estimate) -> None:
    assert c.t >= T_MIN, c


def assert_down(c: Estimate) -> None:
    assert c.t <= -T_MIN, c


# 1 -----------------------------------------------------------------------------
def test_fault_tolerance_lowers_flat_share_and_raises_innovation():
    fact = result(1)
    assert_down(fact.contrast("flat_share"))
    assert_up(fact.contrast("active_share"))
    assert_up(fact.contrast("innovations"))


# 2 -----------------------------------------------------------------------------
def test_false_accusation_risk_raises_flat_share_and_hits_active_hardest():
    fact = result(2)
    flat = fact.contrast("flat_share")
    assert_up(flat)
    active = fact.contrast("active_share")
    routine = fact.contrast("routine_share")
    assert_down(active)
    # the active state loses more than any other state
    assert active.mean < routine.mean and active.mean < -abs(flat.mean) / 2
    # and false reports fall disproportionately on active cadres
    on_active = fact["false_reports_on_active"]
    total = fact["false_reports"]
    active_share = fact["active_share"]
    assert (on_active / total > 1.5 * active_share).all()


# 3 -----------------------------------------------------------------------------
def test_clarification_lowers_flat_share_and_restores_reputation():
    fact = result(3)
    assert_down(fact.contrast("flat_share"))
    # falsely accused cadres' reputations recover faster
    assert_up(fact.contrast("reputation_cleared"))
    assert_up(fact.contrast("belief_vindication"))


# 4 -----------------------------------------------------------------------------
def test_crackdown_campaign_deters_then_fades():
    fact = result(4)
    fewer = fact.contrast("fewer")
    assert_down(fewer)
    drift_back = fact.contrast("drift_back")
    assert_up(drift_back)
    deterrence = fact["deterrence_at_end"]
    assert (fact["deterrence_last"] < deterrence / 2).all()


# 5 -----------------------------------------------------------------------------
def test_demotion_moves_realists_not_idealists():
    fact = result(5)
    realists = fact.contrast("flat_share_realist")
    idealists = fact.contrast("flat_share_idealist")
    assert_down(realists)
    assert abs(idealists.mean) < abs(realists.mean) / 3


def test_demotion_under_high_risk_pushes_into_routine():
    fact = result(5)
    routine = fact.contrast("routine_share")
    active = fact.contrast("active_share")
    assert_up(routine)
    assert routine.mean > 3 * max(active.mean, 0.0)


# 6 -----------------------------------------------------------------------------
def test_realists_respond_more_to_career_rewards():
    fact = result(6)
    realists = fact.contrast("active_share_realist")
    idealists = fact.contrast("active_share_idealist")
    assert_up(realists)
    realist_flat = fact.contrast("flat_share_realist")
    idealist_flat = fact.contrast("flat_share_idealist")
    assert_down(realist_flat)
    assert abs(realist_flat.mean) > abs(idealist_flat.mean)
    assert realists.mean > idealists.mean
    # and idealists lie flat less than realists
    gap = fact.contrast("flat_gap")
    assert_up(gap)


# 7 -----------------------------------------------------------------------------
def test_strict_discipline_without_tolerance_frightens_officials():
    fact = result(7)
    assert_down(fact.contrast("active_share"))
    assert_down(fact.contrast("innovations"))


# 8 -----------------------------------------------------------------------------
def test_false_accusation_spell_leaves_hysteresis():
    fact = result(8)
    during = fact.contrast("during")
    assert_up(during)
    # a year after risk returned to normal the flat share is still raised ...
    after = fact.contrast("after")
    assert_up(after)
    # ... because beliefs and idealism recover slowly
    idealism = fact.contrast("idealism")
    assert_down(idealism)


# the same facts judged as `cadre-sim validate` judges them -------------------------
# 9 -----------------------------------------------------------------------------
def test_rank_pattern_risk_at_the_top_rewards_at_the_bottom():
    fact = result(9)
    # more accusation risk: upper ranks lie flat more, and more than the bottom
    assert_up(fact.contrast("risk_upper"))
    assert_up(fact.contrast("risk_gap"))
    # poorer material inducements: the bottom lies flat more, and more than upper ranks
    assert_up(fact.contrast("pay_bottom"))
    assert_down(fact.contrast("pay_gap"))


@pytest.mark.parametrize("number", [fact.id for fact in validation.FACTS])
def test_fact_passes_validation(number):
    """Every check's 95% interval excludes zero the expected way, every condition holds."""
    fact = result(number)
    failing = [e for e in fact.estimates.values() if e.passed is False]
    assert not failing, failing
    assert all(fact.conditions.values()), fact.details
    assert fact.passed


def test_every_fact_is_tested_and_every_regime_differs_from_baseline():
    assert [fact.id for fact in validation.FACTS] == list(range(1, 10))
    baseline = load("baseline")
    for scenario in validation.regime_scenarios(validation.FACTS, baseline):
        if scenario.name == "baseline":
            assert scenario.params == baseline.params and not scenario.timeline
        else:
            assert scenario.params != baseline.params or scenario.timeline, scenario.name
    # a regime's windows fit the runs used here
    assert all(fact.needs_steps <= STEPS for fact in validation.FACTS)
    assert np.isfinite(result(1).contrast("flat_share").t)
