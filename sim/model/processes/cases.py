"""Investigations (ODD 7.6 to 7.8): verdicts on concluded cases and opening new ones.

A cadre has at most one open case. Each month open cases count down; those
that reach zero conclude: false reports are cleared (and some publicly
clarified, some accusers punished) or wrongly punished; honest mistakes go
through fault-tolerance review; misconduct is punished when found. Then
cadres with no open case and a report get a new one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.model.compiled import kernel
from sim.model.constants import MILD_EROSION
from sim.model.kinds import CaseKind
from sim.model.processes.reports import Reports
from sim.model.processes.stakes import removal_probability
from sim.model.stacking import RunParams, Runs, at_rows, per_run
from sim.model.state import BoolArray, FloatArray, IntArray, Organisation, Population
from sim.parameters.values import Params

__all__ = [
    "Verdicts",
    "conclude_cases",
    "open_cases",
    "resolve_false_reports",
    "resolve_misconduct",
    "review_mistakes",
]

NO_CASE = int(CaseKind.NONE)
FALSE_REPORT = int(CaseKind.FALSE_REPORT)
HONEST_MISTAKE = int(CaseKind.HONEST_MISTAKE)
MISCONDUCT = int(CaseKind.MISCONDUCT)


def review_mistakes(
    qualify_draw: FloatArray, credible_draw: FloatArray, coverage: float, credibility: float
) -> BoolArray:
    """Fault-tolerance review: which honest mistakes are exempted.

    A mistake qualifies with probability ``coverage`` (it falls under one of
    the listed situations) and a qualifying case is really exempted with
    probability ``credibility``.
    """
    return (qualify_draw < coverage) & (credible_draw < credibility)


def resolve_false_reports(
    accuracy_draw: FloatArray,
    clarify_draw: FloatArray,
    trace_draw: FloatArray,
    accuracy: float,
    clarification_coverage: float,
    trace_probability: float,
) -> tuple[BoolArray, BoolArray, BoolArray]:
    """Verdicts on false reports: (cleared, publicly clarified, accuser punished).

    A false report is seen to be false with probability ``accuracy``;
    otherwise the cadre is wrongly punished. A cleared cadre is publicly
    clarified with probability ``clarification_coverage``; the accuser of a
    report found false is traced and punished with ``trace_probability``.
    """
    cleared = accuracy_draw < accuracy
    clarified = cleared & (clarify_draw < clarification_coverage)
    accuser_punished = cleared & (trace_draw < trace_probability)
    return cleared, clarified, accuser_punished


def resolve_misconduct(accuracy_draw: FloatArray, accuracy: float) -> BoolArray:
    """Real misconduct is punished when the investigation gets it right."""
    return accuracy_draw < accuracy


def _no_rows() -> IntArray:
    return np.empty(0, np.int64)


def _no_flags() -> BoolArray:
    return np.empty(0, bool)


@dataclass(frozen=True, slots=True)
class Verdicts:
    """The cases concluded this month, as the learning process needs them.

    Attributes:
        false_rows: rows whose false-report case concluded.
        vindicated: for each of ``false_rows``, whether it was publicly clarified.
        mistake_rows: rows whose honest-mistake case concluded.
        exempted: for each of ``mistake_rows``, whether it was exempted.
        counts: ``wrongful_punishments``, ``punishments``, ``clarifications``,
            ``false_accusers_punished`` and ``exemptions``, one count per
            run (empty when no case concluded).

    """

    false_rows: IntArray = field(default_factory=_no_rows)
    vindicated: BoolArray = field(default_factory=_no_flags)
    mistake_rows: IntArray = field(default_factory=_no_rows)
    exempted: BoolArray = field(default_factory=_no_flags)
    counts: dict[str, IntArray] = field(default_factory=dict)


def _months(severity: Any) -> Any:
    """``round(severity)`` whole months (half to even), a number or one per row."""
    if np.ndim(severity) == 0:
        return int(round(severity))
    return np.round(severity).astype(np.int64)


def _draws(
    runs: Runs, rows: IntArray, rngs: Sequence[np.random.Generator], shape: int
) -> FloatArray:
    """``rng.random((shape, k))`` from each run's generator for its ``k`` rows, side by side."""
    if runs.count == 1:
        return rngs[0].random((shape, rows.size))
    parts = [
        rng.random((shape, part.size)) for rng, part in zip(rngs, runs.split(rows), strict=True)
    ]
    return np.concatenate(parts, axis=1)


def _count_rows(runs: Runs, rows: IntArray) -> IntArray:
    """How many of the stack ``rows`` fall in each run."""
    if runs.count == 1:
        return np.array([rows.size], dtype=np.int64)
    return np.bincount(runs.run[rows], minlength=runs.count)


def conclude_cases(
    pop: Population,
    org: Organisation,
    params: Params | RunParams,
    month: int,
    rngs: Sequence[np.random.Generator],
    runs: Runs | None = None,
) -> Verdicts:
    """Count open cases down one month and hand down verdicts on those that end.

    A case of length ``L`` opened in month ``t`` ends in month ``t + L``.
    Each run draws ``rng.random((4, k))`` from its generator (``rngs``, one
    per run) for its ``k`` cases that end, if any (rows:
    accuracy or qualification, clarification or credibility, tracing,
    removal from post). A sanction of ``T = round(discipline.severity)``
    months (an exempted honest mistake: ``round(T * (1 - mitigation))`` and
    the reputation loss scaled by ``1 - mitigation``) bars promotion and
    performance pay until ``month + T`` (never shortening an earlier bar),
    costs ``reputation_damage`` of the reputation left, and removes a leading
    cadre from its post at the next evaluation with
    :func:`~sim.model.processes.stakes.removal_probability`. Changes the
    ended cases' rows of ``pop``: case fields, reputation, idealism,
    ``cleared_month``, ``punished_until`` and ``removal_pending``.
    """
    runs = runs or Runs.single(pop.alive.size, org.n_units)
    ending = np.empty(pop.alive.size, dtype=np.int64)
    ending = ending[: _count_down(pop.case_kind, pop.case_months_left, ending)]
    if ending.size == 0:
        return Verdicts()
    kind = pop.case_kind[ending]
    d = _draws(runs, ending, rngs, 4)

    def at(value: Any, *masks: Any) -> Any:
        """A parameter at the ending rows, then at each mask in turn."""
        value = at_rows(value, ending)
        for mask in masks:
            value = at_rows(value, mask)
        return value

    accuracy = params.accusation.investigation_accuracy
    severity_months = at(_months(params.discipline.severity))
    erosion = at(params.behaviour.idealism_erosion)
    damage = params.accusation.reputation_damage

    # false reports
    f = kind == FALSE_REPORT
    rows_f = ending[f]
    cleared, clarified, accuser = resolve_false_reports(
        d[0, f],
        d[1, f],
        d[2, f],
        at(accuracy, f),
        at(params.clarification.coverage, f),
        at(params.crackdown.trace_probability, f),
    )
    wrongful = rows_f[~cleared]
    restored = rows_f[clarified]
    pop.reputation[restored] += at_rows(params.clarification.restoration, restored) * np.maximum(
        pop.reputation_at_case[restored] - pop.reputation[restored], 0.0
    )
    # public clarification "eliminated the negative impact" (seed): the idealism
    # the false report cost returns with the reputation
    pop.idealism[restored] = np.maximum(pop.idealism[restored], pop.idealism_base[restored])
    pop.cleared_month[rows_f[cleared]] = month
    pop.idealism[wrongful] *= 1.0 - at_rows(at_rows(erosion, f), ~cleared)

    # honest mistakes: fault-tolerance review
    m = kind == HONEST_MISTAKE
    rows_m = ending[m]
    tolerance = params.fault_tolerance
    mitigation = at(tolerance.mitigation, m)
    exempted = review_mistakes(
        d[0, m], d[1, m], at(tolerance.coverage, m), at(tolerance.credibility, m)
    )
    severity_m = at_rows(severity_months, m)
    months_m = np.where(exempted, np.round(severity_m * (1.0 - mitigation)), severity_m).astype(
        np.int64
    )
    # a mitigated sanction is lighter in every part: months and reputation
    share_m = np.where(exempted, 1.0 - mitigation, 1.0)
    sanctioned_m = (months_m > 0) | (share_m > 0)
    mistake_punished = rows_m[sanctioned_m]
    months_m = months_m[sanctioned_m]
    share_m = share_m[sanctioned_m]
    # being punished for an honest mistake is the bad experience behind
    # hidden withdrawal: it erodes idealism like a false accusation does
    pop.idealism[rows_m[~exempted]] *= 1.0 - MILD_EROSION * at_rows(at_rows(erosion, m), ~exempted)

    # misconduct
    c = kind == MISCONDUCT
    rows_c = ending[c]
    guilty = resolve_misconduct(d[0, c], at(accuracy, c))
    misconduct_punished = rows_c[guilty]

    punished = np.concatenate([wrongful, mistake_punished, misconduct_punished])
    months = np.concatenate(
        [
            np.broadcast_to(at_rows(at_rows(severity_months, f), ~cleared), wrongful.shape),
            months_m,
            np.broadcast_to(
                at_rows(at_rows(severity_months, c), guilty), misconduct_punished.shape
            ),
        ]
    ).astype(np.int64)
    share = np.concatenate([np.ones(wrongful.size), share_m, np.ones(misconduct_punished.size)])
    pop.punished_until[punished] = np.maximum(pop.punished_until[punished], month + months)
    pop.reputation[punished] *= 1.0 - at_rows(damage, punished) * share
    # a leading cadre sanctioned heavily enough loses the post: it is moved
    # down at the next annual evaluation
    removal_draw = np.concatenate([d[3, f][~cleared], d[3, m][sanctioned_m], d[3, c][guilty]])
    leader = org.post_level[pop.post[punished]] >= 1
    removed = leader & (removal_draw < removal_probability(months))
    pop.removal_pending[punished[removed]] = True
    pop.case_kind[ending] = NO_CASE
    pop.case_months_left[ending] = 0
    counts = {
        "wrongful_punishments": _count_rows(runs, wrongful),
        "punishments": _count_rows(runs, punished),
        "clarifications": _count_rows(runs, restored),
        "false_accusers_punished": _count_rows(runs, rows_f[accuser]),
        "exemptions": _count_rows(runs, rows_m[exempted]),
    }
    return Verdicts(rows_f, clarified, rows_m, exempted, counts)


def open_cases(
    pop: Population,
    params: Params | RunParams,
    reports: Reports,
    rngs: Sequence[np.random.Generator],
    runs: Runs | None = None,
) -> None:
    """Open an investigation for every cadre with no open case and a report.

    Misconduct takes precedence over an honest mistake, which takes
    precedence over a false report. Each run draws its new cases' lengths
    from its generator's ``rng.geometric`` (mean ``accusation.investigation_months``);
    the cadre's reputation is damaged and a falsely accused cadre loses idealism.
    """
    runs = runs or Runs.single(pop.alive.size, 0)
    accusation = params.accusation
    opened_rows = pop.workspace.array("open_rows", (pop.alive.size,), np.int64)
    kind = pop.workspace.array("open_kinds", (pop.alive.size,), np.int64)
    opened = _new_cases(
        pop.case_kind,
        reports.false_report,
        reports.mistake_reported,
        reports.misconduct,
        opened_rows,
        kind,
    )
    opened_rows, kind = opened_rows[:opened], kind[:opened]
    pop.case_kind[opened_rows] = kind
    months = accusation.investigation_months
    if runs.count == 1:
        lengths = rngs[0].geometric(1.0 / months, opened_rows.size)
    else:
        lengths = np.concatenate(
            [
                rng.geometric(1.0 / per_run(runs, months, r), part.size)
                for r, (rng, part) in enumerate(zip(rngs, runs.split(opened_rows), strict=True))
            ]
        )
    pop.case_months_left[opened_rows] = lengths
    pop.reputation_at_case[opened_rows] = pop.reputation[opened_rows]
    pop.reputation[opened_rows] *= 1.0 - at_rows(accusation.reputation_damage, opened_rows)
    falsely_accused = opened_rows[kind == FALSE_REPORT]
    pop.idealism[falsely_accused] *= 1.0 - MILD_EROSION * at_rows(
        params.behaviour.idealism_erosion, falsely_accused
    )


@kernel
def _count_down(case_kind, months_left, ending):  # pragma: no cover - compiled
    """Open cases count down a month; the rows whose case ends go into ``ending``, in order.

    Returns how many. A case ends when no months are left.
    """
    count = 0
    for i in range(case_kind.size):
        if case_kind[i] != NO_CASE:
            left = months_left[i] - 1
            months_left[i] = left
            if left <= 0:
                ending[count] = i
                count += 1
    return count


@kernel
def _new_cases(
    case_kind, false_report, mistake_reported, misconduct, rows, kinds
):  # pragma: no cover - compiled
    """The rows with no open case and a report, in order, and each one's kind of case.

    Misconduct takes precedence over an honest mistake, which takes
    precedence over a false report. Fills ``rows`` and ``kinds`` from the
    start and returns how many.
    """
    count = 0
    for i in range(case_kind.size):
        if case_kind[i] != NO_CASE:
            continue
        if misconduct[i]:
            kind = MISCONDUCT
        elif mistake_reported[i]:
            kind = HONEST_MISTAKE
        elif false_report[i]:
            kind = FALSE_REPORT
        else:
            continue
        rows[count] = i
        kinds[count] = kind
        count += 1
    return count
