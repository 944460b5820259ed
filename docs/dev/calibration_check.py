"""Calibration check: baseline scales and each stylized fact's contrast.

Reproduces the figures quoted in ``docs/ODD.md`` (section 10, calibration).
Run from the repository root::

    .venv/bin/python docs/dev/calibration_check.py
    .venv/bin/python docs/dev/calibration_check.py accusation.false_report_rate=0.004

Every run uses 4 seeds (0-3) and 1,000 cadres. Unless a line says otherwise,
a value is the mean over the last 24 of 120 recorded months (months 97-120),
averaged over the seeds, with the standard deviation across seeds after
``±``; a difference ``d`` is the mean over seeds of the per-seed difference
(scenario minus reference run with the same seed), with its sd across seeds.

Each contrast is set relative to the *current* defaults in ``sim/params.py``
(e.g. "false-report rate x3" is three times ``accusation.false_report_rate``
as defined there), so the script stays right when defaults are retuned.
Optional arguments ``group.key=value`` (or ``group_key=value``) change the
reference regime of every run, as the lead's original calibration script did.

This file is self-contained: it needs only the ``sim`` package of this
repository (found relative to this file) and numpy/pandas.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sim.model import CadreModel  # noqa: E402
from sim.parameters import registry as P  # noqa: E402
from sim.parameters.values import coerce_value  # noqa: E402

SEEDS = range(4)
POPULATION = 1000
STEPS = 120
WINDOW = 24

Frames = list[pd.DataFrame]


def parse_overrides(argv: Sequence[str]) -> dict[str, Any]:
    """``group.key=value`` / ``group_key=value`` arguments as CadreModel keyword args."""
    out: dict[str, Any] = {}
    for arg in argv:
        name, _, raw = arg.partition("=")
        p = P.by_name(name) if "." in name else P.by_kwarg(name)
        low = raw.strip().lower()
        value: Any = (low == "true") if low in ("true", "false") else float(raw)
        out[p.kwarg] = coerce_value(p, value)
    return out


BASE: dict[str, Any] = {"workforce_population": POPULATION}
BASE.update(parse_overrides(sys.argv[1:]))


def value(kwarg: str) -> Any:
    """The reference value of a parameter: an override, else its default in sim/params.py."""
    return BASE.get(kwarg, P.by_kwarg(kwarg).default)


_CACHE: dict[tuple, Frames] = {}


def run(
    extra: Mapping[str, Any] | None = None,
    steps: int = STEPS,
    timeline: list[dict[str, Any]] | None = None,
) -> Frames:
    """One time series per seed for the reference regime changed by ``extra``."""
    kw = {**BASE, **(extra or {})}
    key = (tuple(sorted(kw.items())), steps, repr(timeline))
    if key not in _CACHE:
        frames = []
        for seed in SEEDS:
            model = CadreModel(rng=seed, timeline=timeline, **kw)
            model.run(steps)
            frames.append(model.timeseries())
        _CACHE[key] = frames
    return _CACHE[key]


def per_seed(frames: Frames, col: str, months: tuple[int, int] | None = None) -> np.ndarray:
    """Per-seed mean of ``col`` over ``months`` (inclusive), default the last WINDOW months."""
    out = []
    for frame in frames:
        if months is None:
            sel = frame[col].iloc[-WINDOW:]
        else:
            sel = frame.loc[frame["month"].between(*months), col]
        out.append(float(sel.mean()))
    return np.array(out)


def ms(x: np.ndarray, digits: int = 3) -> str:
    """``mean±sd`` across seeds."""
    return f"{x.mean():.{digits}f}±{x.std(ddof=1):.{digits}f}"


def contrast(
    ref: Frames, alt: Frames, cols: Sequence[str], months: tuple[int, int] | None = None
) -> None:
    """Print reference and scenario values of ``cols`` and their paired difference."""
    for col in cols:
        a, b = per_seed(ref, col, months), per_seed(alt, col, months)
        digits = 1 if np.abs(np.concatenate([a, b])).max() >= 2 else 3
        print(
            f"    {col:24s} {ms(a, digits):>15s} -> {ms(b, digits):>15s}   d = {ms(b - a, digits)}"
        )


def header(title: str, ref_label: str, alt_label: str) -> None:
    """Print a fact's title and what is compared with what."""
    print(f"\n{title}")
    print(f"    {ref_label}  ->  {alt_label}")


def yearly_total(frames: Frames, col: str) -> np.ndarray:
    """Per-seed events per year over recorded months 1..STEPS."""
    return np.array([f.loc[f["month"] >= 1, col].sum() / (STEPS / 12) for f in frames])


def false_reports_by_state(frames: Frames) -> tuple[np.ndarray, np.ndarray]:
    """Per-seed false reports per 1,000 cadre-months on active and on other cadres."""
    on_active, on_other = [], []
    for f in frames:
        tail = f.iloc[-WINDOW:]
        active = (tail["active_share"] * tail["headcount"]).sum()
        other = ((1 - tail["active_share"]) * tail["headcount"]).sum()
        fa = tail["false_reports_on_active"].sum()
        on_active.append(1000 * fa / active)
        on_other.append(1000 * (tail["false_reports"].sum() - fa) / other)
    return np.array(on_active), np.array(on_other)


def main() -> None:
    """Print the baseline and every stylized fact's contrast."""
    overrides = ", ".join(f"{P.by_kwarg(k).name}={v}" for k, v in BASE.items()) or "none"
    print(
        f"cadre-sim calibration check: seeds {SEEDS.start}-{SEEDS.stop - 1}, "
        f"{POPULATION} cadres, {STEPS} months; values: mean over months "
        f"{STEPS - WINDOW + 1}-{STEPS}, mean±sd across seeds; d = paired difference"
    )
    print(f"reference regime: defaults of sim/params.py with {overrides}")

    base = run()
    print("\nBaseline (all defaults)")
    for col in (
        "flat_share",
        "active_share",
        "routine_share",
        "flat_share_realist",
        "flat_share_idealist",
        "active_share_realist",
        "active_share_idealist",
        "flat_share_level1",
        "flat_share_upper",
        "active_share_level1",
        "active_share_upper",
    ):
        print(f"    {col:24s} {ms(per_seed(base, col)):>15s}")
    month0 = np.array([f["flat_share"].iloc[0] for f in base])
    print(f"    {'flat_share at month 0':24s} {ms(month0):>15s}")
    print("  scales, per 1,000 cadres (events per year over months 1-120)")
    dem = yearly_total(base, "demotions") / POPULATION * 100
    print(f"    {'demotions (% of cadres)':24s} {ms(dem, 2):>15s}")
    removed = yearly_total(base, "removals") / POPULATION * 100
    print(f"    {'removals (% of cadres)':24s} {ms(removed, 2):>15s}")
    for col in (
        "promotions",
        "clarifications",
        "punishments",
        "wrongful_punishments",
        "false_accusers_punished",
        "exemptions",
        "false_reports",
        "true_reports",
        "retirements",
    ):
        print(f"    {col:24s} {ms(yearly_total(base, col), 1):>15s}")
    print("  per month (last 24 months)")
    for col in ("innovations", "honest_mistakes", "false_reports", "under_investigation"):
        print(f"    {col:24s} {ms(per_seed(base, col), 1):>15s}")

    # 1 fault tolerance
    ft = {"fault_tolerance_coverage": 0.8, "fault_tolerance_credibility": 0.9}
    header("1 Fault tolerance", "baseline", "coverage 0.8, credibility 0.9")
    contrast(base, run(ft), ("flat_share", "active_share", "innovations"))

    # 2 false-accusation risk
    rate3 = 3 * value("accusation_false_report_rate")
    high = run({"accusation_false_report_rate": rate3})
    header("2 False-accusation risk", "baseline", f"false_report_rate x3 = {rate3:g}")
    contrast(base, high, ("flat_share", "active_share", "routine_share", "false_reports"))
    for label, frames in (("baseline", base), ("x3", high)):
        act, oth = false_reports_by_state(frames)
        print(
            f"    false reports per 1,000 cadre-months, {label:8s}: "
            f"on active {ms(act, 1)}, on others {ms(oth, 1)}"
        )

    # 3 clarification
    clar = {"clarification_coverage": 0.8, "clarification_reach": 0.6}
    header("3 Clarification", "baseline", "clarification coverage 0.8, reach 0.6")
    contrast(
        base, run(clar), ("flat_share", "active_share", "reputation_cleared", "clarifications")
    )

    # 4 punishing false accusers: a time-limited campaign
    campaign = [
        {"from": 3, "until": 13, "set": {"crackdown.trace_probability": 0.5}, "label": "campaign"}
    ]
    base60, camp = run(steps=60), run(steps=60, timeline=campaign)
    header(
        "4 Crackdown campaign (trace_probability 0.5 in months 3-12), by period",
        "baseline",
        "campaign",
    )
    for months in ((7, 12), (13, 24), (25, 36), (49, 60)):
        print(f"  months {months[0]}-{months[1]}")
        contrast(base60, camp, ("false_reports", "deterrence"), months)

    # 5 demotion
    dem_on = {"demotion_intensity": 0.15, "demotion_detection": 0.5}
    header("5 Demotion", "baseline", "demotion intensity 0.15, detection 0.5")
    contrast(
        base,
        run(dem_on),
        (
            "flat_share",
            "flat_share_realist",
            "flat_share_idealist",
            "active_share",
            "routine_share",
        ),
    )
    hr = {"accusation_false_report_rate": rate3, "fault_tolerance_coverage": 0.0}
    header(
        "5b Demotion under high risk, no fault tolerance",
        f"false_report_rate {rate3:g}, coverage 0",
        "same + demotion intensity 0.15, detection 0.5",
    )
    contrast(run(hr), run({**hr, **dem_on}), ("flat_share", "active_share", "routine_share"))

    # 6 career rewards
    prize2 = 2 * value("career_prize")
    header("6 Career rewards", "baseline", f"career.prize x2 = {prize2:g}")
    contrast(
        base,
        run({"career_prize": prize2}),
        (
            "flat_share_realist",
            "flat_share_idealist",
            "active_share_realist",
            "active_share_idealist",
        ),
    )

    # 7 strict discipline without fault tolerance
    strict = {"discipline_severity": 35.0, "fault_tolerance_coverage": 0.0}
    header("7 Strict discipline, no fault tolerance", "baseline", "severity 35, coverage 0")
    contrast(base, run(strict), ("flat_share", "active_share", "innovations"))

    # 8 hysteresis
    spell = [
        {
            "from": 1,
            "until": 37,
            "set": {"accusation.false_report_rate": rate3, "clarification.coverage": 0.0},
            "label": "high-risk spell",
        }
    ]
    base72, hyst = run(steps=72), run(steps=72, timeline=spell)
    header(
        f"8 Hysteresis: false_report_rate {rate3:g} and no clarification in months 1-36, "
        "then back to baseline",
        "baseline",
        "spell",
    )
    for months in ((25, 36), (37, 48), (49, 60), (61, 72)):
        print(f"  months {months[0]}-{months[1]}")
        contrast(
            base72,
            hyst,
            ("flat_share", "mean_idealism", "belief_false_accusation"),
            months,
        )

    # 9 rank pattern
    ranks = ("flat_share_level1", "flat_share_upper", "active_share_level1", "active_share_upper")
    header("9 Rank pattern: risk", "baseline", f"false_report_rate x3 = {rate3:g}")
    contrast(base, high, ranks)
    pay = value("career_material_reward") / 2
    header("9 Rank pattern: rewards", "baseline", f"career.material_reward / 2 = {pay:g}")
    contrast(base, run({"career_material_reward": pay}), ranks)


if __name__ == "__main__":
    main()
