"""Writing a resolved scenario as TOML text that loads back to the same scenario."""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any

import sim
from sim.parameters import registry as params

if TYPE_CHECKING:
    from sim.scenarios.scenario import Scenario

__all__ = ["scenario_toml", "toml_string", "toml_value"]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_string(text: str) -> str:
    """Quote text as a TOML basic string, escaping every character that needs it."""
    escapes = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f"}
    escapes["\r"] = "\\r"
    out = []
    for char in text:
        if char in escapes:
            out.append(escapes[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _toml_key(key: str) -> str:
    """Write a TOML key: bare when possible, quoted otherwise."""
    return key if _BARE_KEY.match(key) else toml_string(key)


def toml_value(value: Any) -> str:
    """Write a scalar value in TOML spelling (floats keep a decimal point or exponent)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write a non-finite number {value!r}")
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    raise TypeError(f"cannot write {type(value).__name__} as a TOML value")


def scenario_toml(scenario: Scenario, *, annotate: bool) -> str:
    """The TOML text of a resolved scenario (see :meth:`Scenario.to_toml`)."""
    lines: list[str] = []
    if annotate:
        lines += [
            f"# Resolved scenario '{scenario.name}' (cadre-sim {sim.__version__}):",
            "# every parameter after extends and overrides, and the full timeline.",
            f"# digest {scenario.digest()}",
            "",
        ]
    lines.append("[scenario]")
    lines.append(f"name = {toml_string(scenario.name)}")
    lines.append(f"description = {toml_string(scenario.description)}")
    lines.append(f"source = {toml_string(scenario.source)}")
    for group, table in params.nest(scenario.params).items():
        lines.append("")
        if annotate:
            lines.append(f"# {params.GROUPS[group]}")
        lines.append(f"[{group}]")
        for key, value in table.items():
            line = f"{_toml_key(key)} = {toml_value(value)}"
            default = params.by_name(f"{group}.{key}").default
            if annotate and value != default:
                line += f"  # default {toml_value(default)}"
            lines.append(line)
    for change in scenario.timeline:
        lines.append("")
        if annotate:
            if change.end is None:
                lines.append(f"# in effect from month {change.start} on")
            else:
                lines.append(f"# in effect in months {change.start} to {change.end - 1}")
        lines.append("[[timeline]]")
        lines.append(f"label = {toml_string(change.label)}")
        if change.end is None:
            lines.append(f"at = {change.start}")
        else:
            lines.append(f"from = {change.start}")
            lines.append(f"until = {change.end}")
        settings = ", ".join(
            f"{toml_string(name)} = {toml_value(value)}" for name, value in change.settings.items()
        )
        lines.append(f"set = {{ {settings} }}")
    return "\n".join(lines) + "\n"
