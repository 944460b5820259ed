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
from sim.model.stacking import RunParams, Runs, per_run, run_table, strided
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


@kernel
def exempted_row(qualify_draw, credible_draw, coverage, credibility):  # pragma: no cover
    """One honest mistake's fault-tolerance review (:func:`review_mistakes`)."""
    return qualify_draw < coverage and credible_draw < credibility


@kernel
def false_report_row(
    accuracy_draw, clarify_draw, trace_draw, accuracy, clarification_coverage, trace_probability
):  # pragma: no cover - compiled
    """One false report's verdict (:func:`resolve_false_reports`): cleared, clarified, traced."""
    cleared = accuracy_draw < accuracy
    return (
        cleared,
        cleared and clarify_draw < clarification_coverage,
        cleared and trace_draw < trace_probability,
    )


@kernel
def guilty_row(accuracy_draw, accuracy):  # pragma: no cover - compiled
    """One misconduct case's verdict (:func:`resolve_misconduct`)."""
    return accuracy_draw < accuracy


@kernel
def _review_rows(q, c, coverage, credibility, out):  # pragma: no cover - compiled
    """:func:`exempted_row` of every entry (broadcast arrays) into ``out``."""
    for i in range(out.size):
        out[i] = exempted_row(q[i], c[i], coverage[i], credibility[i])


@kernel
def _false_report_rows(a, c, t, accuracy, coverage, trace, out):  # pragma: no cover - compiled
    """:func:`false_report_row` of every entry (broadcast arrays) into ``out`` (three rows)."""
    for i in range(a.size):
        out[0, i], out[1, i], out[2, i] = false_report_row(
            a[i], c[i], t[i], accuracy[i], coverage[i], trace[i]
        )


@kernel
def _guilty_rows(a, accuracy, out):  # pragma: no cover - compiled
    """:func:`guilty_row` of every entry (broadcast arrays) into ``out``."""
    for i in range(out.size):
        out[i] = guilty_row(a[i], accuracy[i])


def _flat(*values: Any) -> tuple[tuple[FloatArray, ...], tuple[int, ...]]:
    """``values`` broadcast together, each as a contiguous 1-d float64 array, and their shape."""
    arrays = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in values))
    return tuple(np.ascontiguousarray(x).reshape(-1) for x in arrays), arrays[0].shape


def review_mistakes(
    qualify_draw: FloatArray, credible_draw: FloatArray, coverage: float, credibility: float
) -> BoolArray:
    """Fault-tolerance review: which honest mistakes are exempted.

    A mistake qualifies with probability ``coverage`` (it falls under one of
    the listed situations) and a qualifying case is really exempted with
    probability ``credibility`` (:func:`exempted_row`).
    """
    flat, shape = _flat(qualify_draw, credible_draw, coverage, credibility)
    out = np.empty(flat[0].size, dtype=np.bool_)
    _review_rows(*flat, out)
    return out.reshape(shape)


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
    report found false is traced and punished with ``trace_probability``
    (:func:`false_report_row`).
    """
    flat, shape = _flat(
        accuracy_draw, clarify_draw, trace_draw, accuracy, clarification_coverage, trace_probability
    )
    out = np.empty((3, flat[0].size), dtype=np.bool_)
    _false_report_rows(*flat, out)
    return out[0].reshape(shape), out[1].reshape(shape), out[2].reshape(shape)


def resolve_misconduct(accuracy_draw: FloatArray, accuracy: float) -> BoolArray:
    """Real misconduct is punished when the investigation gets it right (:func:`guilty_row`)."""
    flat, shape = _flat(accuracy_draw, accuracy)
    out = np.empty(flat[0].size, dtype=np.bool_)
    _guilty_rows(*flat, out)
    return out.reshape(shape)


def _no_rows() -> IntArray:
    """No rows: an empty row index."""
    return np.empty(0, np.int64)


def _no_flags() -> BoolArray:
    """No verdicts: an empty flag array."""
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
    d = _draws(runs, ending, rngs, 4)
    table, run = run_table(params, pop.alive.size, _verdict_numbers)
    k = ending.size
    false_rows, mistake_rows = np.empty(k, dtype=np.int64), np.empty(k, dtype=np.int64)
    vindicated, exempted = np.empty(k, dtype=np.bool_), np.empty(k, dtype=np.bool_)
    counts = np.zeros((runs.count, len(_VERDICT_COUNTS)), dtype=np.int64)
    n_false, n_mistakes = _verdicts_kernel(
        ending,
        d,
        pop.case_kind,
        pop.case_months_left,
        pop.post,
        pop.reputation,
        pop.reputation_at_case,
        pop.idealism,
        pop.idealism_base,
        pop.cleared_month,
        pop.punished_until,
        pop.removal_pending,
        org.post_level,
        table,
        run,
        month,
        false_rows,
        vindicated,
        mistake_rows,
        exempted,
        counts,
    )
    by_run = dict(zip(_VERDICT_COUNTS, counts.T.copy(), strict=True))
    return Verdicts(
        false_rows[:n_false],
        vindicated[:n_false],
        mistake_rows[:n_mistakes],
        exempted[:n_mistakes],
        by_run,
    )


#: The counts of :class:`Verdicts`, in the order of :func:`_verdicts_kernel`'s columns.
_VERDICT_COUNTS = (
    "wrongful_punishments",
    "punishments",
    "clarifications",
    "false_accusers_punished",
    "exemptions",
)


def _verdict_numbers(p: Params, pick: Any) -> list[float]:
    """One run's numbers for :func:`_verdicts_kernel` (the columns of its :func:`run_table`).

    The sanction's whole months ``T = round(severity)`` (half to even), a
    mitigated sanction's ``round(T * (1 - mitigation))`` and each one's
    :func:`~sim.model.processes.stakes.removal_probability`.
    """
    tolerance = p.fault_tolerance
    months = _months(p.discipline.severity)
    mitigated = int(np.round(months * (1.0 - tolerance.mitigation)))
    return [
        p.accusation.investigation_accuracy,
        p.clarification.coverage,
        p.crackdown.trace_probability,
        p.clarification.restoration,
        p.behaviour.idealism_erosion,
        tolerance.coverage,
        tolerance.credibility,
        tolerance.mitigation,
        p.accusation.reputation_damage,
        float(months),
        float(mitigated),
        float(removal_probability(months)),
        float(removal_probability(mitigated)),
    ]


@kernel
def _larger(a, b):  # pragma: no cover - compiled
    """``np.maximum`` of two numbers (NaN wins)."""
    return a if (a >= b or a != a) else b


@kernel
def _verdicts_kernel(
    ending,
    d,
    case_kind,
    months_left,
    post,
    reputation,
    reputation_at_case,
    idealism,
    idealism_base,
    cleared_month,
    punished_until,
    removal_pending,
    post_level,
    table,
    run,
    month,
    false_rows,
    vindicated,
    mistake_rows,
    exempted,
    counts,
):  # pragma: no cover - compiled
    """The verdicts of :func:`conclude_cases` on the ``ending`` rows (case ``j`` reads ``d[:, j]``).

    Fills ``false_rows`` and ``vindicated``, ``mistake_rows`` and
    ``exempted`` from the start (returns how many of each) and ``counts``
    (per run, :data:`_VERDICT_COUNTS`); changes the ended cases' rows. With
    one run (``table`` of one row) ``run`` is not read.
    """
    several = table.shape[0] > 1
    n_false = 0
    n_mistakes = 0
    for j in range(ending.size):
        i = ending[j]
        r = run[i] if several else 0
        p = table[r]
        kind = case_kind[i]
        months = 0.0
        share = 1.0
        punished = False
        removal = p[11]
        if kind == FALSE_REPORT:
            cleared, clarified, accuser = false_report_row(
                d[0, j], d[1, j], d[2, j], p[0], p[1], p[2]
            )
            false_rows[n_false] = i
            vindicated[n_false] = clarified
            n_false += 1
            if clarified:
                gap = _larger(reputation_at_case[i] - reputation[i], 0.0)
                reputation[i] += p[3] * gap
                # public clarification "eliminated the negative impact" (seed): the
                # idealism the false report cost returns with the reputation
                idealism[i] = _larger(idealism[i], idealism_base[i])
                counts[r, 2] += 1
            if cleared:
                cleared_month[i] = month
                counts[r, 3] += 1 if accuser else 0
            else:
                idealism[i] *= 1.0 - p[4]
                punished, months = True, p[9]
                counts[r, 0] += 1
        elif kind == HONEST_MISTAKE:
            exempt = exempted_row(d[0, j], d[1, j], p[5], p[6])
            mistake_rows[n_mistakes] = i
            exempted[n_mistakes] = exempt
            n_mistakes += 1
            months = p[10] if exempt else p[9]
            removal = p[12] if exempt else p[11]
            # a mitigated sanction is lighter in every part: months and reputation
            share = 1.0 - p[7] if exempt else 1.0
            punished = months > 0 or share > 0
            if exempt:
                counts[r, 4] += 1
            else:
                # being punished for an honest mistake is the bad experience behind
                # hidden withdrawal: it erodes idealism like a false accusation does
                idealism[i] *= 1.0 - MILD_EROSION * p[4]
        elif kind == MISCONDUCT:
            punished, months = guilty_row(d[0, j], p[0]), p[9]
        if punished:
            counts[r, 1] += 1
            punished_until[i] = max(punished_until[i], month + int(months))
            reputation[i] *= 1.0 - p[8] * share
            # a leading cadre sanctioned heavily enough loses the post: it is moved
            # down at the next annual evaluation
            if post_level[post[i]] >= 1 and d[3, j] < removal:
                removal_pending[i] = True
        case_kind[i] = NO_CASE
        months_left[i] = 0
    return n_false, n_mistakes


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
    _open_kernel(
        opened_rows,
        kind,
        lengths,
        pop.case_kind,
        pop.case_months_left,
        pop.reputation,
        pop.reputation_at_case,
        pop.idealism,
        *strided(accusation.reputation_damage),
        *strided(params.behaviour.idealism_erosion),
    )


@kernel
def _open_kernel(
    rows,
    kinds,
    lengths,
    case_kind,
    months_left,
    reputation,
    reputation_at_case,
    idealism,
    damage,
    d_stride,
    erosion,
    e_stride,
):  # pragma: no cover - compiled
    """The new cases of :func:`open_cases` on ``rows``: kind, length, reputation and idealism."""
    for j in range(rows.size):
        i = rows[j]
        case_kind[i] = kinds[j]
        months_left[i] = lengths[j]
        reputation_at_case[i] = reputation[i]
        reputation[i] *= 1.0 - damage[i * d_stride]
        if kinds[j] == FALSE_REPORT:
            idealism[i] *= 1.0 - MILD_EROSION * erosion[i * e_stride]


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
