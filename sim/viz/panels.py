"""Text panels of the browser view: the run's readout, what is in force, the inspector, export.

Every value a test or a screen reader needs is text in the page, marked
with a ``data-testid``: the month, the shares, each parameter in force and
its pending change, the list of policy switches the charts mark, and the
inspected cadre's history.
"""

from __future__ import annotations

from collections.abc import Callable

import solara
from mesa.visualization.utils import update_counter

from sim.model.kinds import Status
from sim.parameters import registry as P
from sim.viz.components import PngDownload, marks_key, use_latest
from sim.viz.controls import tagged
from sim.viz.export import DATA_FORMATS, export_filename, frame_bytes, session_frame
from sim.viz.inspector import cadre_history, case_spells, history_figure, state_spells
from sim.viz.session import CHOSEN, COMPARISON, START_SETTINGS, Session, live_levers
from sim.viz.style import figure_png, format_value

__all__ = ["ExportCard", "Inspector", "ParametersInForce", "PolicySwitches", "RunReadout"]


@solara.component
def RunReadout(session: Session, warning: str = "") -> None:  # noqa: N802
    """One line naming the run and its headline numbers this month, and any warning."""
    update_counter.get()
    model = session.inspected
    out = model.outputs
    items = [
        ("scenario", "scenario", session.chosen.scenario.name),
        ("seed", "seed", str(session.settings.seed)),
        ("month", "month", str(session.month)),
        ("cadres", "headcount", f"{int(out.get('headcount', 0))}"),
    ]
    if session.comparison is None:
        items += [
            ("flat", "flat-share", f"{out.get('flat_share', float('nan')):.1%}"),
            ("active", "active-share", f"{out.get('active_share', float('nan')):.1%}"),
            ("routine", "routine-share", f"{out.get('routine_share', float('nan')):.1%}"),
        ]
    else:
        chosen = session.band("flat_share", CHOSEN).mean[-1]
        other = session.band("flat_share", COMPARISON).mean[-1]
        items += [
            ("mode", "mode", f"ensemble of {len(session.chosen.models)} replicates per side"),
            ("against", "comparison", session.comparison.scenario.name),
            ("flat (mean)", "flat-share", f"{chosen:.1%}"),
            ("comparison flat", "comparison-flat-share", f"{other:.1%}"),
        ]
    with solara.v.Html(tag="div", class_="cadre-readout"):
        for label, testid, text in items:
            with solara.v.Html(tag="span"):
                solara.v.Html(tag="span", children=[f"{label}: "], class_="cadre-muted")
                tagged("b", testid, text)
    if warning:
        solara.Warning(warning, dense=True)


@solara.component
def PolicySwitches(marks: tuple[tuple[int, str], ...]) -> None:  # noqa: N802
    """The policy switches the charts mark, as a list (the scenario's and the live ones)."""
    with solara.v.Html(tag="div", class_="cadre-small"):
        solara.v.Html(tag="b", children=["Policy switches marked on the charts: "])
        if not marks:
            solara.v.Html(tag="span", children=["none yet"])
        with solara.v.Html(tag="ul", attributes={"data-testid": "policy-marks"}):
            for month, label in marks:
                solara.v.Html(tag="li", children=[f"month {month}: {label}"])


#: One row of the "in force" panel: name, value shown, value differs from the
#: default, pending text ("" if none), fixed at start.
InForceRow = tuple[str, str, bool, str, bool]


def in_force_rows(session: Session) -> tuple[InForceRow, ...]:
    """The rows of the "in force" panel this month (a value, so unchanged rows cost nothing)."""
    rows: list[InForceRow] = []
    for p in live_levers():
        value = session.in_force(p.name)
        pending = ""
        if p.name in session.pending:
            pending = (
                f" \u2192 {format_value(session.pending[p.name])} from month {session.month + 1}"
            )
        rows.append((p.name, format_value(value), value != p.default, pending, False))
    for name in START_SETTINGS:
        rows.append((name, format_value(session.in_force(name)), False, "", True))
    return tuple(rows)


@solara.component
def ParametersInForce(session: Session) -> None:  # noqa: N802
    """Every lever's value in force this month, pending changes, and the settings fixed at start.

    Re-renders each month, but hands plain values to :func:`_InForceTable`,
    which Solara redraws only when one of them changed.
    """
    update_counter.get()
    with solara.Details("Parameters in force this month", expand=True):
        PolicySwitches(tuple(session.marks()))
        _InForceTable(in_force_rows(session))


@solara.component
def _InForceTable(rows: tuple[InForceRow, ...]) -> None:  # noqa: N802
    """The "in force" panel's rows."""
    with solara.v.Html(tag="div", class_="cadre-columns"):
        for name, value, changed, pending, fixed in rows:
            with solara.v.Html(tag="div", attributes={"title": P.by_name(name).meaning}):
                solara.v.Html(tag="span", children=[f"{name} = "])
                tagged("span", f"param-{name}", value, style="font-weight: bold" if changed else "")
                if pending:
                    tagged("span", f"pending-{name}", pending, class_="cadre-pending-text")
                if fixed:
                    solara.v.Html(tag="span", class_="cadre-note", children=["fixed at start"])


def _rows(title: str, rows: list[tuple[str, str]], testid: str) -> None:
    """A small two-column table."""
    with solara.v.Html(tag="table", class_="cadre-table", attributes={"data-testid": testid}):
        solara.v.Html(tag="caption", children=[title])
        for key, value in rows:
            with solara.v.Html(tag="tr"):
                solara.v.Html(tag="th", children=[key])
                solara.v.Html(tag="td", children=[value])


def _parse_id(text: str) -> int | None:
    """A cadre id from the inspector's field (``None`` if not a whole number)."""
    try:
        value = int(str(text).strip())
    except ValueError:
        return None
    return value if value >= 0 else None


@solara.component
def Inspector(session: Session, selected: solara.Reactive[int | None]) -> None:  # noqa: N802
    """The inspected cadre: traits, beliefs, work-state history and case history."""
    update_counter.get()
    problem = solara.use_reactive("")

    def enter(text: str) -> None:
        agent_id = _parse_id(text)
        if agent_id is None:
            problem.set(f"a cadre id is a whole number, got {text!r}")
            return
        problem.set("")
        selected.set(agent_id)

    with solara.Card("Cadre inspector", margin=0, classes=["cadre-card"]):
        solara.InputText(
            "Cadre id (or click a cadre in the organisation view)",
            value="" if selected.value is None else str(selected.value),
            on_value=enter,
        )
        if problem.value:
            solara.Warning(problem.value, dense=True)
        if selected.value is None:
            return
        _InspectorBody(session, selected.value)


@solara.component
def _InspectorBody(session: Session, agent_id: int) -> None:  # noqa: N802
    """The inspector's content for one cadre."""
    update_counter.get()
    with session.lock:
        history = cadre_history(session.recorder, agent_id)
        row = session.recorder.row_of(agent_id)
        agent = session.inspected.cadre_at(row) if row is not None else None
    if history is None:
        solara.Warning(f"no cadre with id {agent_id} has served in this run", dense=True)
        return
    serving = agent is not None and agent.unique_id == agent_id
    pop = session.inspected.pop
    heading = f"Cadre {agent_id}"
    if serving:
        heading += (
            f": level {agent.level}, {agent.orientation.name.lower()}, "
            f"{agent.work_state.name.lower()}, {agent.status.name.lower().replace('_', ' ')}"
        )
    else:
        heading += f": left the service after month {int(history.months[-1])}"
    tagged("div", "inspector-heading", heading, class_="cadre-inspector-heading")
    if serving:
        with solara.v.Html(tag="div", class_="cadre-inspector-tables"):
            _rows(
                "Traits",
                [
                    ("level", str(agent.level)),
                    ("work unit", str(agent.unit)),
                    ("orientation", agent.orientation.name.lower()),
                    ("ability", f"{agent.ability:.3f}"),
                    ("risk aversion", f"{agent.risk_aversion:.3f}"),
                    (
                        "idealism",
                        f"{agent.idealism:.3f} (at recruitment {pop.idealism_base[row]:.3f})",
                    ),
                    ("reputation", f"{agent.reputation:.3f}"),
                    ("age", f"{agent.age:.1f}"),
                    ("months in post", str(agent.tenure)),
                ],
                "inspector-traits",
            )
            _rows(
                "Beliefs",
                [
                    ("exemption of honest mistakes", f"{agent.belief_exemption:.3f}"),
                    ("false accusation per month", f"{agent.belief_false_accusation:.4f}"),
                    ("promotion per year", f"{agent.belief_promotion:.3f}"),
                    ("vindication by clarification", f"{agent.belief_vindication:.3f}"),
                ],
                "inspector-beliefs",
            )
    spells = state_spells(history)
    cases = case_spells(history)
    with solara.v.Html(tag="div", class_="cadre-small"):
        solara.v.Html(tag="b", children=["Work states: "])
        tagged("span", "inspector-states", "; ".join(spells))
    with solara.v.Html(tag="div", class_="cadre-small"):
        solara.v.Html(tag="b", children=["Cases: "])
        text = "; ".join(c.describe() for c in cases) if cases else "none"
        tagged("span", "inspector-cases", text)
    punished = int((history.status == int(Status.PUNISHED)).sum())
    if punished:
        solara.Text(f"{punished} months under a sanction", classes=["cadre-small"])

    def build() -> bytes:
        return figure_png(history_figure(history, session.marks()))

    png = solara.use_memo(build, [*marks_key(session), agent_id])
    with solara.v.Html(tag="div", class_="cadre-figure", attributes={"data-testid": "chart-cadre"}):
        with solara.v.Html(tag="div", class_="cadre-figure-bar"):
            PngDownload(session, f"cadre{agent_id}", f"cadre {agent_id} history", use_latest(png))
        solara.Image(png, format="png", classes=["cadre-image"])


@solara.component
def ExportCard(session: Session) -> None:  # noqa: N802
    """Download the run's (or the ensemble's) data as CSV or Parquet."""
    update_counter.get()

    def downloads() -> dict[str, Callable[[], bytes]]:
        def data(extension: str) -> Callable[[], bytes]:
            return lambda: frame_bytes(session_frame(session), extension)

        return {extension: data(extension) for extension in DATA_FORMATS}

    data = solara.use_memo(downloads, [session.serial])

    what = "ensemble's" if session.ensemble else "run's"
    with solara.Card("Export", margin=0, classes=["cadre-card"]):
        solara.Text(
            f"The {what} data so far, one row per run and month (every output, and every "
            "parameter a timeline or a live change touched); each chart has its own PNG button.",
            classes=["cadre-small"],
        )
        with solara.Row(gap="8px"):
            for extension, (label, mime) in DATA_FORMATS.items():
                solara.FileDownload(
                    data[extension],
                    filename=export_filename(session, "data", extension),
                    label=f"Data ({label})",
                    mime_type=mime,
                )
