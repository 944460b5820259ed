"""Colours, series and number formats shared by every figure and readout of the browser view.

Pure data and two tiny helpers (:func:`figure_png`, :func:`format_value`);
no Solara here, so figures can be built and tested without a browser.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

from matplotlib.figure import Figure

from sim.model.kinds import Orientation, WorkState

__all__ = [
    "CHOSEN_COLOUR",
    "COMPARISON_COLOUR",
    "DIFFERENCE_COLOUR",
    "DPI",
    "EVENT_SERIES",
    "ORIENTATION_COLOURS",
    "POLICY_MARK_COLOUR",
    "SELECTED_COLOUR",
    "SHARE_SERIES",
    "VACANT_COLOUR",
    "WORK_STATE_COLOURS",
    "figure_png",
    "format_value",
]

#: Colour of each work state (Okabe-Ito palette, readable by colour-blind users).
WORK_STATE_COLOURS: Mapping[WorkState, str] = {
    WorkState.ACTIVE: "#009E73",
    WorkState.ROUTINE: "#56B4E9",
    WorkState.FLAT: "#D55E00",
}
#: Colour of a vacant post in the organisation view.
VACANT_COLOUR = "#BBBBBB"
#: Ring around the inspected cadre's post.
SELECTED_COLOUR = "#000000"
#: Colour of each orientation in the distribution chart.
ORIENTATION_COLOURS: Mapping[Orientation, str] = {
    Orientation.REALIST: "#E69F00",
    Orientation.IDEALIST: "#0072B2",
}
#: Colour of the policy switch lines on the time charts.
POLICY_MARK_COLOUR = "#7A3E9D"
#: Ensemble charts: the chosen scenario is drawn in its work-state-free blue,
#: the comparison in grey, their difference in black.
CHOSEN_COLOUR = "#0072B2"
COMPARISON_COLOUR = "#777777"
DIFFERENCE_COLOUR = "#222222"

#: Work-state share series of the single-run chart: output column -> colour.
SHARE_SERIES: Mapping[str, str] = {
    f"{state.name.lower()}_share": colour for state, colour in WORK_STATE_COLOURS.items()
}
#: Discipline-channel series on the events chart: output column -> (label, colour).
EVENT_SERIES: Mapping[str, tuple[str, str]] = {
    "true_reports": ("true reports", "#555555"),
    "false_reports": ("false reports", "#CC79A7"),
    "wrongful_punishments": ("wrongful punishments", "#D55E00"),
    "clarifications": ("clarifications", "#009E73"),
    "false_accusers_punished": ("false accusers punished", "#0072B2"),
}

#: Resolution of every figure sent to the browser or exported.
DPI = 80
#: zlib level of the PNGs: fast (the figures are small; level 6 costs more time than it saves).
PNG_COMPRESSION = 1


def figure_png(figure: Figure, tight: bool = False) -> bytes:
    """Render ``figure`` to PNG bytes (what the browser receives or the user downloads).

    Args:
        figure: the figure.
        tight: crop to the drawn content (for figures without a fixed layout).

    """
    buffer = io.BytesIO()
    figure.savefig(
        buffer,
        format="png",
        dpi=DPI,
        bbox_inches="tight" if tight else None,
        pil_kwargs={"compress_level": PNG_COMPRESSION},
    )
    return buffer.getvalue()


def format_value(value: float | int | bool) -> str:
    """A parameter value as shown in the readouts (booleans as on/off)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int):
        return str(value)
    return f"{value:.4g}"
