"""Controls of the browser view: levers with value labels, a clickable image, small helpers.

Every control has an accessible name (its visible label, or ``aria-label``)
so that screen readers and browser tests find it by role and name. A lever
is a label row (name on the left, current value on the right, always shown)
above a full-width slider, so every slider's track starts at the same place;
dragging updates the value label at once and commits the value when
released (or on a key press), so a drag is one change, not dozens.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import ipyvuetify
import solara
import traitlets
from solara import v

from sim.parameters import registry as P
from sim.viz.style import format_value

__all__ = [
    "ClickableImage",
    "Lever",
    "NumberSetting",
    "lever_label",
    "tagged",
]


def lever_label(param: P.Param) -> str:
    """A parameter's control label: ``"Fault tolerance: coverage"``."""
    group = param.group.replace("_", " ")
    return f"{group[0].upper()}{group[1:]}: {param.key.replace('_', ' ')}"


def tagged(tag: str, testid: str, text: str, style: str = "", class_: str = "") -> solara.Element:
    """An HTML element with a ``data-testid`` attribute (readouts that tests and tools read)."""
    return solara.v.Html(
        tag=tag,
        attributes={"data-testid": testid},
        children=[text],
        style_=style,
        class_=class_,
    )


@solara.component
def NumberSetting(  # noqa: N802
    label: str,
    value: float,
    low: float,
    high: float,
    step: float,
    on_commit: Callable[[Any], None],
    testid: str,
    note: str = "",
    disabled: bool = False,
) -> None:
    """A labelled slider whose value is always shown, committed on release.

    Args:
        label: visible label and accessible name.
        value: current value.
        low: lowest value.
        high: highest value.
        step: slider step.
        on_commit: called with the new value when the user releases the slider.
        testid: ``data-testid`` of the value label.
        note: a short tag after the label, e.g. ``"on Reset"``.
        disabled: greyed out and not movable.

    """
    shown, set_shown = solara.use_state_or_update(value)

    def commit(*args: Any) -> None:
        new = args[-1]
        set_shown(new)
        on_commit(new)

    with solara.v.Html(tag="div", class_="cadre-lever"):
        with solara.v.Html(tag="div", class_="cadre-lever-label"):
            solara.v.Html(tag="span", children=[label])
            if note:
                solara.v.Html(tag="span", class_="cadre-note", children=[note])
            tagged("b", testid, format_value(shown), class_="cadre-lever-value")
        slider = v.Slider(
            v_model=shown,
            on_v_model=set_shown,
            min=low,
            max=high,
            step=step,
            hide_details=True,
            dense=True,
            disabled=disabled,
            attributes={"aria-label": label},
            class_="cadre-slider",
        )
        v.use_event(slider, "change", commit)


@solara.component
def Lever(  # noqa: N802
    param: P.Param,
    value: Any,
    on_commit: Callable[[str, Any], None],
    pending: bool = False,
    note: str = "",
) -> None:
    """The control of one parameter: a slider over its range, or a switch for a boolean.

    Args:
        param: the parameter.
        value: the value the control shows.
        on_commit: called with ``(param.name, value)`` when the user sets a value.
        pending: the value waits for the next step (shown in italics).
        note: a short tag after the label, e.g. ``"on Reset"``.

    """
    label = lever_label(param)

    def commit(value: Any) -> None:
        on_commit(param.name, value)

    classes = ["cadre-lever-row", "cadre-pending"] if pending else ["cadre-lever-row"]
    with solara.v.Html(tag="div", class_=" ".join(classes), attributes={"title": param.meaning}):
        if param.type is bool:
            v.Switch(
                v_model=bool(value),
                on_v_model=commit,
                label=f"{label}{f' ({note})' if note else ''}",
                hide_details=True,
                dense=True,
                inset=True,
                class_="cadre-switch",
            )
        else:
            NumberSetting(
                label,
                value,
                param.low,
                param.high,
                param.slider_step,
                commit,
                testid=f"lever-{param.name}",
                note=note,
            )


#: The clickable image's Vue template: reports where a click landed as
#: fractions of the image's size (top-left origin), with a click counter so
#: that two clicks on the same spot are two events.
_CLICKABLE_TEMPLATE = """
<template>
  <img :src="src" :alt="alt" :data-testid="testid" class="cadre-clickable"
       style="width: 100%; height: auto; display: block; cursor: crosshair"
       @click="onClick" />
</template>
<script>
module.exports = {
  methods: {
    onClick(event) {
      const box = event.target.getBoundingClientRect();
      const count = (this.pick && this.pick.n) || 0;
      this.pick = {
        x: (event.clientX - box.left) / box.width,
        y: (event.clientY - box.top) / box.height,
        n: count + 1,
      };
    },
  },
};
</script>
"""


class ClickableImageWidget(ipyvuetify.VuetifyTemplate):
    """An image that reports clicks as fractions of its size (:attr:`pick`)."""

    template = traitlets.Unicode(_CLICKABLE_TEMPLATE).tag(sync=True)
    src = traitlets.Unicode("").tag(sync=True)
    alt = traitlets.Unicode("").tag(sync=True)
    testid = traitlets.Unicode("").tag(sync=True)
    pick = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)


@solara.component
def ClickableImage(  # noqa: N802
    png: bytes, alt: str, testid: str, on_pick: Callable[[float, float], None]
) -> None:
    """Show ``png``; a click calls ``on_pick(x, y)`` with fractions from the top-left corner."""
    src = solara.use_memo(
        lambda: "data:image/png;base64," + base64.b64encode(png).decode("ascii"), [png]
    )

    def picked(data: dict[str, float] | None) -> None:
        if data:
            on_pick(float(data["x"]), float(data["y"]))

    ClickableImageWidget.element(src=src, alt=alt, testid=testid, on_pick=picked)
