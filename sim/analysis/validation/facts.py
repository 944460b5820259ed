"""The model brief's nine stylized facts as data (:data:`FACTS`).

Each fact holds the brief's wording, the regimes it compares (parameter
overrides and timelines on the baseline), the metrics, windows and expected
directions of its checks, and its second clauses as conditions.
``cadre-sim validate`` runs them; ``tests/test_stylized_facts.py`` takes its
regimes and windows from the same :data:`FACTS`, so each fact is defined once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.analysis.validation.blocks import (
    Check,
    Condition,
    Direction,
    Fact,
    Measure,
    Regime,
    Window,
)
from sim.errors import InputError

if TYPE_CHECKING:
    from sim.analysis.validation.evaluation import FactResult

__all__ = ["FACTS", "LAST_24", "fact", "parse_only"]

# ---------------------------------------------------------------------------
# The regimes (from tests/test_stylized_facts.py: they work at the current calibration)
# ---------------------------------------------------------------------------

BASELINE = Regime("baseline", "the shipped baseline: every parameter at its default")
MORE_FAULT_TOLERANCE = Regime(
    "more_fault_tolerance",
    "most honest mistakes qualify for review, and reviews are credible",
    {"fault_tolerance.coverage": 0.8, "fault_tolerance.credibility": 0.9},
)
HIGH_RISK = Regime(
    "high_accusation_risk",
    "three times the baseline rate of false reports",
    {"accusation.false_report_rate": 0.015},
)
CLARIFICATION_ON = Regime(
    "clarification_on",
    "most cleared cadres are publicly clarified, and most cadres see it",
    {"clarification.coverage": 0.8, "clarification.reach": 0.6},
)
CRACKDOWN_CAMPAIGN = Regime(
    "crackdown_campaign",
    "doubled false-report rate; a one-year campaign (months 25-36) tracing false accusers",
    {"accusation.false_report_rate": 0.01},
    (
        {
            "from": 25,
            "until": 37,
            "label": "campaign against false accusers",
            "set": {"crackdown.trace_probability": 0.7},
        },
    ),
)
MORE_DEMOTION = Regime(
    "more_demotion",
    "unfit and flat cadres are detected and moved down far more often",
    {"demotion.intensity": 0.15, "demotion.detection": 0.5},
)
RISK_NO_TOLERANCE = Regime(
    "high_risk_no_tolerance",
    "high false-accusation risk and no fault tolerance",
    {"accusation.false_report_rate": 0.015, "fault_tolerance.coverage": 0.0},
)
RISK_NO_TOLERANCE_DEMOTION = Regime(
    "high_risk_no_tolerance_demotion",
    "high false-accusation risk, no fault tolerance, and more demotion",
    {
        "accusation.false_report_rate": 0.015,
        "fault_tolerance.coverage": 0.0,
        "demotion.intensity": 0.15,
        "demotion.detection": 0.5,
    },
)
BIGGER_PRIZE = Regime(
    "bigger_career_prize", "promotion is worth twice as much", {"career.prize": 240.0}
)
FRIGHTENED = Regime(
    "frightened_officials",
    "strict discipline (severity 35) and no fault tolerance",
    {"discipline.severity": 35.0, "fault_tolerance.coverage": 0.0},
)
ACCUSATION_SPELL = Regime(
    "accusation_spell",
    "a three-year spell (months 13-48) of four times the false-report rate, no clarification",
    timeline=(
        {
            "from": 13,
            "until": 49,
            "label": "spell of false accusations",
            "set": {"accusation.false_report_rate": 0.02, "clarification.coverage": 0.0},
        },
    ),
)

POORER_PAY = Regime(
    "poorer_material_inducements",
    "performance pay and allowances halved",
    {"career.material_reward": 0.15},
)

LAST_24 = Window.final(24)
#: Cadres above the bottom level must number in the hundreds for fact 9: with
#: the default pyramid (5 levels, span 4) a quarter of the posts, 250 of 1,000.
RANK_FACT_POPULATION = 1000


def _paired(
    key: str,
    claim: str,
    base: Regime,
    alt: Regime,
    metric: str,
    direction: Direction | None,
    window: Window = LAST_24,
) -> Check:
    """A check comparing two regimes on one metric over one window."""
    return Check(key, claim, Measure(alt, metric, window), Measure(base, metric, window), direction)


def _mean(result: FactResult, key: str) -> float:
    """The mean paired difference of a check."""
    return result.contrast(key).mean


def _ratio_on_active(result: FactResult) -> np.ndarray:
    """Per replicate: share of false reports aimed at active cadres / active share."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return (result["false_reports_on_active"] / result["false_reports"]) / result[
            "active_share"
        ]


# fmt: off
FACTS: tuple[Fact, ...] = (
    Fact(
        1,
        "More fault tolerance",
        "More fault tolerance: lower flat share, higher active share and more innovation.",
        (
            _paired("flat_share", "flat share falls", BASELINE, MORE_FAULT_TOLERANCE,
                    "flat_share", "down"),
            _paired("active_share", "active share rises", BASELINE, MORE_FAULT_TOLERANCE,
                    "active_share", "up"),
            _paired("innovations", "more innovations", BASELINE, MORE_FAULT_TOLERANCE,
                    "innovations", "up"),
        ),
    ),
    Fact(
        2,
        "More false-accusation risk",
        "More false-accusation risk: higher flat share; active cadres are hit hardest.",
        (
            _paired("flat_share", "flat share rises", BASELINE, HIGH_RISK, "flat_share", "up"),
            _paired("active_share", "active share falls", BASELINE, HIGH_RISK,
                    "active_share", "down"),
            _paired("routine_share", "change of the routine share", BASELINE, HIGH_RISK,
                    "routine_share", None),
        ),
        measures={
            "false_reports_on_active": Measure(HIGH_RISK, "false_reports_on_active", LAST_24),
            "false_reports": Measure(HIGH_RISK, "false_reports", LAST_24),
            "active_share": Measure(HIGH_RISK, "active_share", LAST_24),
        },
        conditions=(
            Condition(
                "active_hit_hardest",
                "active share falls more than the routine share, and by more than half "
                "the rise of the flat share",
                lambda r: _mean(r, "active_share") < _mean(r, "routine_share")
                and _mean(r, "active_share") < -abs(_mean(r, "flat_share")) / 2,
                lambda r: f"active {_mean(r, 'active_share'):+.4f}, routine "
                f"{_mean(r, 'routine_share'):+.4f}, flat {_mean(r, 'flat_share'):+.4f}",
            ),
            Condition(
                "reports_fall_on_active",
                "false reports fall disproportionately on active cadres: their share of "
                "false reports exceeds 1.5 x the active share in every replicate",
                lambda r: bool((_ratio_on_active(r) > 1.5).all()),
                lambda r: f"smallest ratio {np.nanmin(_ratio_on_active(r)):.2f}"
                if np.isfinite(_ratio_on_active(r)).any()
                else "no false reports",
            ),
        ),
    ),
    Fact(
        3,
        "Clarification",
        "Clarification on, same accusation risk: lower flat share than without it, and "
        "falsely accused cadres' reputations recover faster.",
        (
            _paired("flat_share", "flat share falls", BASELINE, CLARIFICATION_ON,
                    "flat_share", "down"),
            _paired("reputation_cleared", "cleared cadres' reputation is higher", BASELINE,
                    CLARIFICATION_ON, "reputation_cleared", "up"),
            _paired("belief_vindication", "cadres expect to be vindicated", BASELINE,
                    CLARIFICATION_ON, "belief_vindication", "up"),
        ),
    ),
    Fact(
        4,
        "Punishing false accusers",
        "Punishing false accusers: fewer false reports over time; after a time-limited "
        "campaign ends, deterrence fades and false reports drift back up.",
        (
            Check(
                "fewer",
                "fewer false reports late in the campaign than the year before it",
                Measure(CRACKDOWN_CAMPAIGN, "false_reports", Window.months(31, 36)),
                Measure(CRACKDOWN_CAMPAIGN, "false_reports", Window.months(13, 24)),
                "down",
            ),
            Check(
                "drift_back",
                "false reports drift back up after the campaign",
                Measure(CRACKDOWN_CAMPAIGN, "false_reports", LAST_24),
                Measure(CRACKDOWN_CAMPAIGN, "false_reports", Window.months(37, 48)),
                "up",
            ),
        ),
        measures={
            "deterrence_at_end": Measure(CRACKDOWN_CAMPAIGN, "deterrence", Window.months(36, 36)),
            "deterrence_last": Measure(CRACKDOWN_CAMPAIGN, "deterrence", Window.final(1)),
        },
        conditions=(
            Condition(
                "deterrence_fades",
                "deterrence in the last month is below half its level at the campaign's "
                "end, in every replicate",
                lambda r: bool((r["deterrence_last"] < r["deterrence_at_end"] / 2).all()),
                lambda r: f"{np.nanmax(r['deterrence_last']):.3f} vs "
                f"{np.nanmin(r['deterrence_at_end']):.3f} at the end",
            ),
        ),
        min_steps=72,
    ),
    Fact(
        5,
        "Demotion intensity",
        "Demotion intensity: fewer realists lie flat; idealists change little. With high "
        "accusation risk and no fault tolerance, it pushes cadres into routine (safe "
        "compliance) more than into active.",
        (
            _paired("flat_share_realist", "fewer realists lie flat", BASELINE, MORE_DEMOTION,
                    "flat_share_realist", "down"),
            _paired("flat_share_idealist", "change of the idealists' flat share", BASELINE,
                    MORE_DEMOTION, "flat_share_idealist", None),
            _paired("routine_share", "under high risk without tolerance: routine share rises",
                    RISK_NO_TOLERANCE, RISK_NO_TOLERANCE_DEMOTION, "routine_share", "up"),
            _paired("active_share", "under high risk without tolerance: change of the "
                    "active share", RISK_NO_TOLERANCE, RISK_NO_TOLERANCE_DEMOTION,
                    "active_share", None),
        ),
        conditions=(
            Condition(
                "idealists_change_little",
                "idealists change little: their flat share moves less than a third as "
                "much as the realists'",
                lambda r: abs(_mean(r, "flat_share_idealist"))
                < abs(_mean(r, "flat_share_realist")) / 3,
                lambda r: f"idealists {_mean(r, 'flat_share_idealist'):+.4f}, realists "
                f"{_mean(r, 'flat_share_realist'):+.4f}",
            ),
            Condition(
                "routine_more_than_active",
                "under high risk without tolerance, routine gains more than three times "
                "what active gains",
                lambda r: _mean(r, "routine_share") > 3 * max(_mean(r, "active_share"), 0.0),
                lambda r: f"routine {_mean(r, 'routine_share'):+.4f}, active "
                f"{_mean(r, 'active_share'):+.4f}",
            ),
        ),
    ),
    Fact(
        6,
        "Career rewards by orientation",
        "Realists respond more to career rewards than idealists; idealists lie flat less.",
        (
            _paired("active_share_realist", "realists become more active", BASELINE,
                    BIGGER_PRIZE, "active_share_realist", "up"),
            _paired("active_share_idealist", "change of the idealists' active share",
                    BASELINE, BIGGER_PRIZE, "active_share_idealist", None),
            _paired("flat_share_realist", "fewer realists lie flat", BASELINE, BIGGER_PRIZE,
                    "flat_share_realist", "down"),
            _paired("flat_share_idealist", "change of the idealists' flat share", BASELINE,
                    BIGGER_PRIZE, "flat_share_idealist", None),
            Check(
                "flat_gap",
                "at baseline, realists lie flat more than idealists",
                Measure(BASELINE, "flat_share_realist", LAST_24),
                Measure(BASELINE, "flat_share_idealist", LAST_24),
                "up",
            ),
        ),
        conditions=(
            Condition(
                "realists_respond_more",
                "realists respond more: their flat share falls more, and their active "
                "share rises more, than the idealists'",
                lambda r: abs(_mean(r, "flat_share_realist")) > abs(_mean(r, "flat_share_idealist"))
                and _mean(r, "active_share_realist") > _mean(r, "active_share_idealist"),
                lambda r: f"flat {_mean(r, 'flat_share_realist'):+.4f} vs "
                f"{_mean(r, 'flat_share_idealist'):+.4f}; active "
                f"{_mean(r, 'active_share_realist'):+.4f} vs "
                f"{_mean(r, 'active_share_idealist'):+.4f}",
            ),
        ),
    ),
    Fact(
        7,
        "Frightened officials",
        "Strict discipline with no fault tolerance ('frightened officials'): active share "
        "and innovation fall below baseline.",
        (
            _paired("active_share", "active share falls", BASELINE, FRIGHTENED,
                    "active_share", "down"),
            _paired("innovations", "fewer innovations", BASELINE, FRIGHTENED,
                    "innovations", "down"),
        ),
    ),
    Fact(
        8,
        "Hysteresis",
        "Hysteresis: after a spell of high false-accusation risk without clarification, the "
        "flat share stays raised for a while after the risk returns to normal, because "
        "beliefs and idealism recover slowly.",
        (
            _paired("during", "flat share raised during the spell", BASELINE, ACCUSATION_SPELL,
                    "flat_share", "up", Window.months(37, 48)),
            _paired("after", "flat share still raised in the year after it", BASELINE,
                    ACCUSATION_SPELL, "flat_share", "up", Window.months(49, 60)),
            _paired("idealism", "idealism still lower in the year after it", BASELINE,
                    ACCUSATION_SPELL, "mean_idealism", "down", Window.months(49, 60)),
        ),
    ),
    Fact(
        9,
        "Rank pattern",
        "Rank pattern (Chen, Keng & Zhang 2023): slack among higher-ranked officials is "
        "driven mainly by risk, among lower-ranked cadres mainly by a lack of material "
        "inducements. More accusation risk raises lying flat more among upper ranks; "
        "poorer rewards raise it more at the bottom.",
        (
            _paired("risk_upper", "more risk: upper ranks lie flat more", BASELINE, HIGH_RISK,
                    "flat_share_upper", "up"),
            _paired("risk_gap", "more risk: upper ranks' flat share rises more than the "
                    "bottom's", BASELINE, HIGH_RISK, "flat_rank_gap", "up"),
            _paired("pay_bottom", "poorer pay: the bottom level lies flat more", BASELINE,
                    POORER_PAY, "flat_share_level1", "up"),
            _paired("pay_gap", "poorer pay: the bottom's flat share rises more than upper "
                    "ranks'", BASELINE, POORER_PAY, "flat_rank_gap", "down"),
        ),
        min_population=RANK_FACT_POPULATION,
    ),
)
# fmt: on


def fact(number: int) -> Fact:
    """The fact with brief number ``number`` (1-9)."""
    for item in FACTS:
        if item.id == number:
            return item
    raise KeyError(f"no stylized fact {number}; the brief has facts 1-{len(FACTS)}")


def parse_only(text: str | None) -> tuple[Fact, ...]:
    """The facts named by a list of numbers (``"1,3"`` or ``"2-4"``), or all of them.

    Raises:
        InputError: a number that is not a fact, or text that is not a list.

    """
    if text is None or not text.strip():
        return FACTS
    wanted: list[int] = []
    for part in text.split(","):
        piece = part.strip()
        first, dash, last = piece.partition("-")
        try:
            numbers = range(int(first), int(last) + 1) if dash else [int(piece)]
        except ValueError:
            raise InputError(
                f"stylized facts {text!r}: expected fact numbers like 1,3 or 2-4",
                arguments=("only",),
            ) from None
        wanted.extend(numbers)
    known = {item.id for item in FACTS}
    unknown = [n for n in wanted if n not in known]
    if unknown or not wanted:
        raise InputError(
            f"stylized facts {text!r}: no stylized fact {unknown[0] if unknown else ''}; "
            f"the brief has facts {min(known)}-{max(known)}",
            arguments=("only",),
        )
    return tuple(item for item in FACTS if item.id in set(wanted))
