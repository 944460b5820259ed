"""Policy timelines: levers that switch on at a month, or run as campaigns.

A timeline is a sequence of :class:`PolicyChange`. Months are counted from 1
(the first step of the model is month 1). A change with ``end=None`` takes
effect at month ``start`` and stays; a campaign with ``end`` set is in effect
for months ``start <= month < end``: ``end`` is the first month it no longer
applies, when the values in force before it return. Later entries override
earlier ones where they overlap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sim.parameters import registry as P

__all__ = ["PolicyChange", "coerce_timeline", "params_at", "switch_months"]


@dataclass(frozen=True)
class PolicyChange:
    """One entry of a policy timeline.

    Attributes:
        start: first month the settings are in effect (>= 1).
        end: first month they are no longer in effect, or ``None`` for a
            permanent change.
        settings: dotted parameter names (``"crackdown.trace_probability"``)
            mapped to the values in force while the change applies.
        label: short human-readable name shown on charts.

    """

    start: int
    end: int | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""

    def __post_init__(self) -> None:
        if self.start < 1:
            raise ValueError(f"timeline month must be >= 1, got {self.start}")
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"timeline 'until' ({self.end}) must be after 'from' ({self.start})")
        for name, value in self.settings.items():
            p = P.by_name(name)
            if p.structural:
                raise ValueError(f"{name} is fixed at the start and cannot change")
            p.check(value)

    def active(self, month: int) -> bool:
        """Whether this change is in effect in ``month``."""
        return self.start <= month and (self.end is None or month < self.end)

    def to_dict(self) -> dict[str, Any]:
        """The change as plain data (the form used in resolved scenarios)."""
        out: dict[str, Any] = {"label": self.label}
        if self.end is None:
            out["at"] = self.start
        else:
            out["from"] = self.start
            out["until"] = self.end
        out["set"] = dict(self.settings)
        return out


def coerce_timeline(
    items: Iterable[PolicyChange | Mapping[str, Any]] | None,
) -> tuple[PolicyChange, ...]:
    """Accept ``PolicyChange`` objects or dicts with ``at`` / ``from``+``until``.

    A dict has either ``at`` (a permanent change) or ``from`` and ``until``
    (a campaign), a ``set`` mapping of dotted names to values, and an
    optional ``label``.
    """
    out: list[PolicyChange] = []
    for item in items or ():
        if isinstance(item, PolicyChange):
            out.append(item)
            continue
        settings = dict(item.get("set", {}))
        label = str(item.get("label", ""))
        if "at" in item:
            out.append(PolicyChange(int(item["at"]), None, settings, label))
        else:
            out.append(PolicyChange(int(item["from"]), int(item["until"]), settings, label))
    return tuple(out)


def params_at(
    base: Mapping[str, Any], timeline: Sequence[PolicyChange], month: int
) -> dict[str, Any]:
    """The parameter values in force in ``month``: ``base`` with active changes."""
    current = dict(base)
    for change in timeline:
        if change.active(month):
            current.update(change.settings)
    return current


def switch_months(timeline: Sequence[PolicyChange]) -> list[tuple[int, str]]:
    """Months at which some policy switches on or off, with a label for charts."""
    marks: list[tuple[int, str]] = []
    for change in timeline:
        name = change.label or ", ".join(change.settings)
        marks.append((change.start, f"{name} on" if change.end else name))
        if change.end is not None:
            marks.append((change.end, f"{name} off"))
    return sorted(marks)
