"""The cadre inspector: one cadre's traits, beliefs, work states and cases over the run.

The model keeps only the present, so :class:`CadreRecorder` records, every
month, what the inspector shows of every cadre slot of one model (work
state, discipline status, open case, reputation, idealism, level and the
agent holding the slot), from the model's population arrays and
:meth:`CadreModel.status_codes`. A cadre chosen at month 30 therefore shows
its whole history from month 0. The record costs about 20 bytes per cadre
and month.

:func:`cadre_history` reads one cadre's months from it; :func:`state_spells`
and :func:`case_spells` summarise them as text; :func:`history_figure`
draws them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from numpy.typing import NDArray

from sim.model.kinds import CaseKind, Status, WorkState
from sim.viz.style import POLICY_MARK_COLOUR, WORK_STATE_COLOURS

if TYPE_CHECKING:
    from sim.model import CadreModel

__all__ = [
    "CadreHistory",
    "CadreRecorder",
    "CaseSpell",
    "cadre_history",
    "case_spells",
    "history_figure",
    "state_spells",
]

#: Row of an empty slot in the recorder's agent-id table.
NO_AGENT = -1
#: What a case is about, as the inspector names it (the model knows the truth).
CASE_NAMES = {
    CaseKind.FALSE_REPORT: "false report",
    CaseKind.HONEST_MISTAKE: "honest mistake",
    CaseKind.MISCONDUCT: "misconduct",
}
#: How a concluded case ended, by the cadre's status in the month it ended.
OUTCOMES = {
    Status.PUNISHED: "punished",
    Status.CLEARED: "cleared",
    Status.NORMAL: "no sanction",
    Status.UNDER_INVESTIGATION: "a new case opened",
}


class CadreRecorder:
    """Every cadre slot's inspector data, month by month, for one model.

    Args:
        model: the model; its current month is recorded at once.

    """

    def __init__(self, model: CadreModel) -> None:
        """Attach to ``model`` and record its current month."""
        self.model = model
        self.months: list[int] = []
        self._agent: list[NDArray[np.int64]] = []
        self._state: list[NDArray[np.int8]] = []
        self._status: list[NDArray[np.int8]] = []
        self._case: list[NDArray[np.int8]] = []
        self._level: list[NDArray[np.int8]] = []
        self._reputation: list[NDArray[np.float32]] = []
        self._idealism: list[NDArray[np.float32]] = []
        self.record()

    def record(self) -> None:
        """Record the model's current month."""
        model = self.model
        pop = model.pop
        n = pop.alive.size
        agents = [model.cadre_at(row) for row in range(n)]
        self.months.append(model.month)
        self._agent.append(
            np.array([NO_AGENT if a is None else a.unique_id for a in agents], dtype=np.int64)
        )
        self._state.append(pop.state.astype(np.int8))
        self._status.append(model.status_codes().astype(np.int8))
        self._case.append(pop.case_kind.astype(np.int8))
        self._level.append(model.level_of_rows().astype(np.int8))
        self._reputation.append(pop.reputation.astype(np.float32))
        self._idealism.append(pop.idealism.astype(np.float32))

    def row_of(self, agent_id: int) -> int | None:
        """The population row cadre ``agent_id`` held (``None`` if never seen)."""
        for ids in reversed(self._agent):
            rows = np.flatnonzero(ids == agent_id)
            if rows.size:
                return int(rows[0])
        return None

    def known(self, agent_id: int) -> bool:
        """Whether cadre ``agent_id`` served in some recorded month."""
        return self.row_of(agent_id) is not None


@dataclass(frozen=True)
class CadreHistory:
    """One cadre's recorded months.

    Attributes:
        agent_id: the cadre's id (Mesa's ``unique_id``).
        months: the months it served, ascending.
        state: its :class:`WorkState` code per month.
        status: its :class:`Status` code per month.
        case: its open case's :class:`CaseKind` code per month.
        level: its level per month (1 = bottom).
        reputation: its reputation per month.
        idealism: its idealism per month.

    """

    agent_id: int
    months: NDArray[np.int64]
    state: NDArray[np.int8]
    status: NDArray[np.int8]
    case: NDArray[np.int8]
    level: NDArray[np.int64]
    reputation: NDArray[np.float32]
    idealism: NDArray[np.float32]


def cadre_history(recorder: CadreRecorder, agent_id: int) -> CadreHistory | None:
    """Cadre ``agent_id``'s months in ``recorder`` (``None`` if it never served)."""
    row = recorder.row_of(agent_id)
    if row is None:
        return None
    served = np.array([ids[row] == agent_id for ids in recorder._agent])

    def column(records: Sequence[NDArray], dtype: type) -> NDArray:
        return np.array([r[row] for r, keep in zip(records, served, strict=True) if keep], dtype)

    return CadreHistory(
        agent_id=agent_id,
        months=np.asarray(recorder.months, dtype=np.int64)[served],
        state=column(recorder._state, np.int8),
        status=column(recorder._status, np.int8),
        case=column(recorder._case, np.int8),
        level=column(recorder._level, np.int64) + 1,
        reputation=column(recorder._reputation, np.float32),
        idealism=column(recorder._idealism, np.float32),
    )


def _runs(values: NDArray[np.integer]) -> list[tuple[int, int]]:
    """``(start, end)`` index pairs (end exclusive) of runs of equal consecutive values."""
    if values.size == 0:
        return []
    cuts = np.flatnonzero(np.diff(values)) + 1
    starts = np.concatenate([[0], cuts])
    ends = np.concatenate([cuts, [values.size]])
    return [(int(s), int(e)) for s, e in zip(starts, ends, strict=True)]


def _months(first: int, last: int) -> str:
    return f"month {first}" if first == last else f"months {first}-{last}"


def state_spells(history: CadreHistory) -> list[str]:
    """The work states as spells: ``["months 0-3 routine", "months 4-6 active"]``."""
    return [
        f"{_months(int(history.months[s]), int(history.months[e - 1]))} "
        f"{WorkState(int(history.state[s])).name.lower()}"
        for s, e in _runs(history.state)
    ]


@dataclass(frozen=True)
class CaseSpell:
    """One investigation of the cadre.

    Attributes:
        start: first month the case was open.
        end: month it concluded, or ``None`` if still open.
        kind: what it was really about.
        outcome: how it ended (``"open"`` while open).

    """

    start: int
    end: int | None
    kind: CaseKind
    outcome: str

    def describe(self) -> str:
        """One line: ``"months 5-8: false report, cleared (month 9)"``."""
        last = self.start if self.end is None else self.end - 1
        when = _months(self.start, last)
        tail = "still open" if self.end is None else f"{self.outcome} (month {self.end})"
        return f"{when}: {CASE_NAMES.get(self.kind, self.kind.name.lower())}, {tail}"


def case_spells(history: CadreHistory) -> list[CaseSpell]:
    """The cadre's investigations, in order, with how each ended."""
    spells = []
    for s, e in _runs(history.case):
        kind = CaseKind(int(history.case[s]))
        if kind is CaseKind.NONE:
            continue
        if e >= history.case.size:
            spells.append(CaseSpell(int(history.months[s]), None, kind, "open"))
            continue
        outcome = OUTCOMES[Status(int(history.status[e]))]
        spells.append(CaseSpell(int(history.months[s]), int(history.months[e]), kind, outcome))
    return spells


def history_figure(history: CadreHistory, marks: Sequence[tuple[int, str]] = ()) -> Figure:
    """One cadre's work state per month (a strip), cases shaded, reputation and idealism below."""
    fig = Figure(figsize=(6.4, 2.4))
    fig.subplots_adjust(left=0.1, right=0.98, bottom=0.17, top=0.88, hspace=0.15)
    strip, lines = fig.subplots(2, 1, sharex=True, height_ratios=[1, 2.2])
    months = history.months
    first = int(months[0]) if months.size else 0
    last = int(months[-1]) if months.size else 0
    colours = ListedColormap([WORK_STATE_COLOURS[s] for s in WorkState])
    if months.size:
        strip.imshow(
            history.state[np.newaxis, :],
            cmap=colours,
            vmin=-0.5,
            vmax=len(WorkState) - 0.5,
            aspect="auto",
            interpolation="nearest",
            extent=(first - 0.5, last + 0.5, 0, 1),
        )
    strip.set_yticks([])
    strip.set_title(f"Cadre {history.agent_id}: work state and cases by month", fontsize=9)
    for spell in case_spells(history):
        end = last + 1 if spell.end is None else spell.end
        for ax in (strip, lines):
            ax.axvspan(spell.start - 0.5, end - 0.5, color="#000000", alpha=0.12, linewidth=0)
    lines.plot(months, history.reputation, color="#333333", linewidth=1.4, label="reputation")
    lines.plot(months, history.idealism, color="#0072B2", linewidth=1.2, label="idealism")
    for month, _ in marks:
        lines.axvline(month, color=POLICY_MARK_COLOUR, linestyle="--", linewidth=0.9)
    lines.set_ylim(0, 1)
    lines.set_xlim(first - 0.5, max(last, first + 11) + 0.5)
    lines.set_xlabel("month", fontsize=8)
    lines.tick_params(labelsize=7)
    lines.grid(True, alpha=0.3)
    handles = [Patch(color=WORK_STATE_COLOURS[s], label=s.name.lower()) for s in WorkState]
    handles.append(Patch(color="#000000", alpha=0.12, label="case open"))
    lines.legend(
        handles=[*handles, *lines.get_lines()[:2]],
        fontsize=6,
        ncols=3,
        loc="lower left",
        frameon=False,
    )
    return fig
