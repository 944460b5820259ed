"""The model's outputs: their names, the one rule for output names, and a month's values.

:data:`OUTPUTS` lists the outputs every model reports, in column order;
:data:`EVENT_COUNTS` those among them that count the month's events (flows).
The by-level shares ``flat_share_level<k>`` and ``active_share_level<k>``
(``k = 1`` the bottom level) depend on ``workforce.levels``, so each model
lists its own in ``CadreModel.output_names`` (:func:`output_names`).
:func:`is_output_name` is the one rule saying whether a name is an output.
Definitions are in ``docs/ODD.md`` section 9.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.model.constants import ACTIVE, CLEARED_WINDOW, EFFORT, FLAT, N_STATES, ROUTINE
from sim.model.kinds import CaseKind, Orientation
from sim.model.state import Organisation, Population

if TYPE_CHECKING:
    from sim.model.cadre_model import CadreModel
    from sim.parameters.values import Params

__all__ = [
    "BY_LEVEL_SHARES",
    "EVENT_COUNTS",
    "OUTPUTS",
    "is_output_name",
    "level_output_name",
    "month_outputs",
    "output_names",
    "read_output",
    "series_frame",
]

#: Outputs that count events during the month (flows); the rest are states.
EVENT_COUNTS: tuple[str, ...] = (
    "innovations",
    "honest_mistakes",
    "exemptions",
    "true_reports",
    "false_reports",
    "false_reports_on_active",
    "wrongful_punishments",
    "punishments",
    "clarifications",
    "false_accusers_punished",
    "promotions",
    "demotions",
    "removals",
    "retirements",
    "recruits",
)

#: Outputs reported every month, in column order (by-level shares are added
#: per model because they depend on ``workforce.levels``).
OUTPUTS: tuple[str, ...] = (
    "flat_share",
    "active_share",
    "routine_share",
    "flat_share_realist",
    "flat_share_idealist",
    "active_share_realist",
    "active_share_idealist",
    "routine_share_realist",
    "routine_share_idealist",
    "flat_share_upper",
    "active_share_upper",
    "mean_effort",
    "public_value",
    *EVENT_COUNTS,
    "headcount",
    "under_investigation",
    "mean_reputation",
    "reputation_cleared",
    "belief_exemption",
    "belief_false_accusation",
    "belief_promotion",
    "belief_vindication",
    "mean_idealism",
    "deterrence",
)

#: The shares reported for each level, in column order.
BY_LEVEL_SHARES: tuple[str, ...] = ("flat_share", "active_share")

_BY_LEVEL = re.compile(r"(?:flat|active)_share_level[1-9][0-9]*")
_OUTPUT_SET = frozenset(OUTPUTS)


def level_output_name(share: str, level: int) -> str:
    """The output name of ``share`` (one of :data:`BY_LEVEL_SHARES`) at ``level`` (1 = bottom)."""
    return f"{share}_level{level}"


def output_names(levels: int) -> tuple[str, ...]:
    """Every output of a model with ``levels`` levels, in column order."""
    return OUTPUTS + tuple(
        level_output_name(share, k) for share in BY_LEVEL_SHARES for k in range(1, levels + 1)
    )


def is_output_name(name: str) -> bool:
    """Whether ``name`` is a model output: in :data:`OUTPUTS`, or a by-level share.

    By-level shares are ``flat_share_level<k>`` and ``active_share_level<k>``
    for a whole number ``k >= 1`` written without leading zeros.
    """
    return name in _OUTPUT_SET or _BY_LEVEL.fullmatch(name) is not None


def _share(count: float, total: float) -> float:
    return float(count / total) if total else float("nan")


def month_outputs(
    pop: Population,
    org: Organisation,
    month: int,
    events: Mapping[str, int],
    public_value: float,
    deterrence: float,
) -> dict[str, float]:
    """Every output of :func:`output_names` for the state at the end of ``month``.

    ``events`` holds the month's counts (names in :data:`EVENT_COUNTS`;
    missing ones are 0) and ``public_value`` the month's public value per
    cadre; shares of an empty group are NaN.
    """
    alive = pop.alive
    n = max(int(alive.sum()), 1)
    state = pop.state[alive]
    shares = np.bincount(state, minlength=N_STATES) / n
    out: dict[str, float] = {
        "flat_share": float(shares[FLAT]),
        "active_share": float(shares[ACTIVE]),
        "routine_share": float(shares[ROUTINE]),
    }
    orient = pop.orientation[alive]
    by_orient = np.bincount(orient * N_STATES + state, minlength=2 * N_STATES).reshape(2, N_STATES)
    for o in Orientation:
        total = by_orient[o].sum()
        for s, label in ((FLAT, "flat"), (ACTIVE, "active"), (ROUTINE, "routine")):
            out[f"{label}_share_{o.name.lower()}"] = _share(by_orient[o, s], total)
    out["mean_effort"] = float(EFFORT[state].mean()) if state.size else 0.0
    out["public_value"] = public_value
    for key in EVENT_COUNTS:
        out[key] = float(events.get(key, 0))
    out["headcount"] = float(alive.sum())
    out["under_investigation"] = float((pop.case_kind[alive] != int(CaseKind.NONE)).sum())
    out["mean_reputation"] = float(pop.reputation[alive].mean())
    recent = alive & (month - pop.cleared_month < CLEARED_WINDOW)
    out["reputation_cleared"] = (
        float(pop.reputation[recent].mean()) if recent.any() else float("nan")
    )
    out["belief_exemption"] = float(pop.belief_exemption[alive].mean())
    out["belief_false_accusation"] = float(pop.belief_false[alive].mean())
    out["belief_promotion"] = float(pop.belief_promotion[alive].mean())
    out["belief_vindication"] = float(pop.belief_vindication[alive].mean())
    out["mean_idealism"] = float(pop.idealism[alive].mean())
    out["deterrence"] = float(deterrence)
    level = org.post_level[pop.post[alive]]
    by_level = np.bincount(level * N_STATES + state, minlength=org.n_levels * N_STATES).reshape(
        org.n_levels, N_STATES
    )
    totals = by_level.sum(axis=1)
    upper = by_level[1:].sum(axis=0)
    out["flat_share_upper"] = _share(upper[FLAT], upper.sum())
    out["active_share_upper"] = _share(upper[ACTIVE], upper.sum())
    for k in range(org.n_levels):
        out[level_output_name("flat_share", k + 1)] = _share(by_level[k, FLAT], totals[k])
        out[level_output_name("active_share", k + 1)] = _share(by_level[k, ACTIVE], totals[k])
    return out


def series_frame(
    values: Mapping[str, Sequence[float]],
    params_by_month: Sequence[Params],
    changed: Sequence[str],
) -> pd.DataFrame:
    """A run's monthly time series: ``month``, the outputs, then each changed parameter.

    ``values`` holds each output's value per month (month 0 first), in column
    order; ``params_by_month`` the parameters in force each month; ``changed``
    the dotted names of the parameters a timeline sets (one column each,
    holding the value in force).
    """
    frame = pd.DataFrame(values).reset_index(drop=True)
    frame.insert(0, "month", np.arange(len(frame), dtype=np.int64))
    for name in changed:
        frame[name] = [params.get(name) for params in params_by_month]
    return frame


def read_output(model: CadreModel, name: str) -> float:
    """DataCollector reporter: this month's value of output ``name`` (picklable with partial)."""
    return model.outputs[name]
