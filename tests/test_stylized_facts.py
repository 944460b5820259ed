"""The brief's eight stylized facts, each as a comparison of two regimes.

Each test runs two parameter sets that differ in one lever on the same fixed
seeds (common random numbers, so the comparison is paired) and requires the
mean paired difference to be clear against its replicate spread: a paired
t statistic of at least ``T_MIN`` in the expected direction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from sim.model import CadreModel

SEEDS = tuple(range(8))
POPULATION = 2000
STEPS = 96
WINDOW = 24
T_MIN = 3.0

HIGH_RISK = {"accusation_false_report_rate": 0.015}
NO_TOLERANCE = {"fault_tolerance_coverage": 0.0}
DEMOTION = {"demotion_intensity": 0.15, "demotion_detection": 0.5}


@cache
def _run(settings_json: str, seed: int, steps: int, population: int) -> pd.DataFrame:
    settings = json.loads(settings_json)
    timeline = settings.pop("timeline", None)
    model = CadreModel(
        rng=seed, timeline=timeline, workforce_population=population, **settings
    )
    model.run(steps)
    return model.timeseries()


def runs(settings: dict, steps: int = STEPS, population: int = POPULATION) -> list[pd.DataFrame]:
    key = json.dumps(settings, sort_keys=True)
    return [_run(key, seed, steps, population) for seed in SEEDS]


@dataclass
class Contrast:
    """Paired difference (alternative minus base) over seeds."""

    diffs: np.ndarray

    @property
    def mean(self) -> float:
        return float(self.diffs.mean())

    @property
    def t(self) -> float:
        se = self.diffs.std(ddof=1) / np.sqrt(self.diffs.size)
        return float(self.mean / se) if se > 0 else float(np.sign(self.mean) * np.inf)

    def __repr__(self) -> str:
        return f"Contrast(mean={self.mean:+.4f}, t={self.t:+.1f})"


def window_mean(frames: list[pd.DataFrame], metric: str, lo: int, hi: int) -> np.ndarray:
    """Each replicate's mean of ``metric`` over months ``lo <= month < hi``."""
    return np.array([f.loc[(f.month >= lo) & (f.month < hi), metric].mean() for f in frames])


def contrast(base: dict, alt: dict, metric: str, window: int = WINDOW) -> Contrast:
    lo, hi = STEPS + 1 - window, STEPS + 1
    return Contrast(window_mean(runs(alt), metric, lo, hi) - window_mean(runs(base), metric, lo, hi))


def assert_up(c: Contrast) -> None:
    assert c.t >= T_MIN, c


def assert_down(c: Contrast) -> None:
    assert c.t <= -T_MIN, c


# 1 -----------------------------------------------------------------------------
def test_fault_tolerance_lowers_flat_share_and_raises_innovation():
    more = {"fault_tolerance_coverage": 0.8, "fault_tolerance_credibility": 0.9}
    assert_down(contrast({}, more, "flat_share"))
    assert_up(contrast({}, more, "active_share"))
    assert_up(contrast({}, more, "innovations"))


# 2 -----------------------------------------------------------------------------
def test_false_accusation_risk_raises_flat_share_and_hits_active_hardest():
    assert_up(contrast({}, HIGH_RISK, "flat_share"))
    active = contrast({}, HIGH_RISK, "active_share")
    routine = contrast({}, HIGH_RISK, "routine_share")
    assert_down(active)
    # the active state loses more than any other state
    assert active.mean < routine.mean and active.mean < -abs(contrast({}, HIGH_RISK, "flat_share").mean) / 2
    # and false reports fall disproportionately on active cadres
    frames = runs(HIGH_RISK)
    lo, hi = STEPS + 1 - WINDOW, STEPS + 1
    on_active = window_mean(frames, "false_reports_on_active", lo, hi)
    total = window_mean(frames, "false_reports", lo, hi)
    active_share = window_mean(frames, "active_share", lo, hi)
    assert (on_active / total > 1.5 * active_share).all()


# 3 -----------------------------------------------------------------------------
def test_clarification_lowers_flat_share_and_restores_reputation():
    clarification = {"clarification_coverage": 0.8, "clarification_reach": 0.6}
    assert_down(contrast({}, clarification, "flat_share"))
    # falsely accused cadres' reputations recover faster
    assert_up(contrast({}, clarification, "reputation_cleared"))
    assert_up(contrast({}, clarification, "belief_vindication"))


# 4 -----------------------------------------------------------------------------
def test_crackdown_campaign_deters_then_fades():
    campaign = {
        "accusation_false_report_rate": 0.01,
        "timeline": [
            {"from": 25, "until": 37, "set": {"crackdown.trace_probability": 0.7}}
        ],
    }
    frames = runs(campaign, population=1500)
    before = window_mean(frames, "false_reports", 13, 25)
    late_campaign = window_mean(frames, "false_reports", 31, 37)
    just_after = window_mean(frames, "false_reports", 37, 49)
    long_after = window_mean(frames, "false_reports", 73, 97)
    fewer = Contrast(late_campaign - before)
    assert_down(fewer)
    drift_back = Contrast(long_after - just_after)
    assert_up(drift_back)
    deterrence = window_mean(frames, "deterrence", 36, 37)
    assert (window_mean(frames, "deterrence", 96, 97) < deterrence / 2).all()


# 5 -----------------------------------------------------------------------------
def test_demotion_moves_realists_not_idealists():
    realists = contrast({}, DEMOTION, "flat_share_realist")
    idealists = contrast({}, DEMOTION, "flat_share_idealist")
    assert_down(realists)
    assert abs(idealists.mean) < abs(realists.mean) / 3


def test_demotion_under_high_risk_pushes_into_routine():
    regime = {**HIGH_RISK, **NO_TOLERANCE}
    with_demotion = {**regime, **DEMOTION}
    routine = contrast(regime, with_demotion, "routine_share")
    active = contrast(regime, with_demotion, "active_share")
    assert_up(routine)
    assert routine.mean > 3 * max(active.mean, 0.0)


# 6 -----------------------------------------------------------------------------
def test_realists_respond_more_to_career_rewards():
    bigger_prize = {"career_prize": 240.0}
    realists = contrast({}, bigger_prize, "active_share_realist")
    idealists = contrast({}, bigger_prize, "active_share_idealist")
    assert_up(realists)
    realist_flat = contrast({}, bigger_prize, "flat_share_realist")
    idealist_flat = contrast({}, bigger_prize, "flat_share_idealist")
    assert_down(realist_flat)
    assert abs(realist_flat.mean) > abs(idealist_flat.mean)
    assert realists.mean > idealists.mean
    # and idealists lie flat less than realists
    base = runs({})
    lo, hi = STEPS + 1 - WINDOW, STEPS + 1
    gap = Contrast(
        window_mean(base, "flat_share_realist", lo, hi)
        - window_mean(base, "flat_share_idealist", lo, hi)
    )
    assert_up(gap)


# 7 -----------------------------------------------------------------------------
def test_strict_discipline_without_tolerance_frightens_officials():
    frightened = {"discipline_severity": 35.0, **NO_TOLERANCE}
    assert_down(contrast({}, frightened, "active_share"))
    assert_down(contrast({}, frightened, "innovations"))


# 8 -----------------------------------------------------------------------------
def test_false_accusation_spell_leaves_hysteresis():
    spell = {
        "timeline": [
            {"from": 13, "until": 49, "set": {"accusation.false_report_rate": 0.02}}
        ]
    }
    during = Contrast(
        window_mean(runs(spell), "flat_share", 37, 49) - window_mean(runs({}), "flat_share", 37, 49)
    )
    assert_up(during)
    # a year after risk returned to normal the flat share is still raised ...
    after = Contrast(
        window_mean(runs(spell), "flat_share", 49, 61) - window_mean(runs({}), "flat_share", 49, 61)
    )
    assert_up(after)
    # ... because beliefs and idealism recover slowly
    idealism = Contrast(
        window_mean(runs(spell), "mean_idealism", 49, 61)
        - window_mean(runs({}), "mean_idealism", 49, 61)
    )
    assert_down(idealism)
