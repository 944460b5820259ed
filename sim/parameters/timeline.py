"""Policy timelines: levers that switch on at a month, or run as campaigns.

A timeline is a sequence of :class:`PolicyChange`. Months are counted from 1
(the first step of the model is month 1). A change with ``end=None`` takes
effect at month ``start`` and stays; a campaign with ``end`` set is in effect
for months ``start <= month < end``: ``end`` is the first month it no longer
applies, when the values in force before it return. Later entries override
earlier ones where they overlap.

This module owns the format of a timeline entry, the same in a scenario
file's ``[[timeline]]`` tables and in the dicts :class:`~sim.model.CadreModel`
accepts: ``at`` (a permanent change) or ``from`` and ``until`` (a campaign),
an optional ``label`` and a ``set`` table (:func:`check_timeline`,
:func:`check_entry`, :func:`coerce_timeline`). Values are checked by
:mod:`sim.parameters.schema`; structural parameters cannot be set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sim.fileio import show_value
from sim.parameters.schema import check_settings, plain_number, prefixed, unknown_key

if TYPE_CHECKING:
    from sim.parameters.values import Params, Value

__all__ = [
    "ENTRY_KEYS",
    "PolicyChange",
    "Schedule",
    "check_entry",
    "check_timeline",
    "coerce_timeline",
    "params_at",
    "switch_months",
]

#: The keys of a timeline entry (a ``[[timeline]]`` table or a dict).
ENTRY_KEYS: tuple[str, ...] = ("at", "from", "until", "label", "set")


@dataclass(frozen=True)
class PolicyChange:
    """One entry of a policy timeline.

    Values are checked by :mod:`sim.parameters.schema` with the Python
    callers' rule (numpy numbers are made plain, a whole float is accepted for
    a whole month or a whole-number parameter) and stored as plain values.

    Attributes:
        start: first month the settings are in effect (>= 1).
        end: first month they are no longer in effect, or ``None`` for a
            permanent change.
        settings: dotted parameter names (``"crackdown.trace_probability"``)
            mapped to the values in force while the change applies.
        label: short human-readable name shown on charts.

    Raises:
        ValueError: a month that is not a whole number >= 1, ``end`` not after
            ``start``, an unknown parameter, a structural parameter, or a bad
            value (the first problem, one line).

    """

    start: int
    end: int | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    label: str = ""

    def __post_init__(self) -> None:
        problems: list[str] = []
        start = _month(self.start, "start", "", problems, whole_floats=True)
        end = None if self.end is None else _month(self.end, "end", "", problems, whole_floats=True)
        if start is not None and end is not None and end <= start:
            problems.append(
                f"end = {end} must be after start = {start} "
                "(end is the first month the change no longer applies)"
            )
        if not isinstance(self.settings, Mapping):
            problems.append(
                f"settings must be a mapping of parameters, got {show_value(self.settings)}"
            )
            settings: dict[str, Value] = {}
        else:
            settings = check_settings(self.settings, "", "", problems, whole_floats=True)
        if not isinstance(self.label, str):
            problems.append(f"label must be text, got {show_value(self.label)}")
        if problems:
            raise ValueError(problems[0])
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "settings", settings)

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
    optional ``label``; it is checked like a ``[[timeline]]`` entry of a
    scenario file, with the Python callers' rule for numbers.

    Raises:
        ValueError: the first problem, e.g. ``timeline[2].until = 4 must be
            after from = 9 (...)``.

    """
    out: list[PolicyChange] = []
    problems: list[str] = []
    for number, item in enumerate(items or (), start=1):
        if isinstance(item, PolicyChange):
            out.append(item)
            continue
        change = check_entry(item, "", f"timeline[{number}]", problems, whole_floats=True)
        if change is not None:
            out.append(change)
    if problems:
        raise ValueError(problems[0])
    return tuple(out)


def check_timeline(
    entries: Any, origin: str, problems: list[str], *, whole_floats: bool = False
) -> list[PolicyChange]:
    """Check a ``[[timeline]]`` array read from a file; return its policy changes.

    Args:
        entries: the array (a list of tables).
        origin: the file named at the start of each problem line.
        problems: where each problem is recorded, one line each, e.g.
            ``x.toml: timeline[2].at must be a whole month >= 1 (...)``.
        whole_floats: accept ``3.0`` for a whole month or whole-number
            parameter (Python callers).

    """
    if not isinstance(entries, list | tuple):
        problems.append(
            f"{prefixed(origin, 'timeline')} must be an array of tables ([[timeline]]), "
            f"got {show_value(entries)}"
        )
        return []
    changes: list[PolicyChange] = []
    for number, entry in enumerate(entries, start=1):
        change = check_entry(
            entry, origin, f"timeline[{number}]", problems, whole_floats=whole_floats
        )
        if change is not None:
            changes.append(change)
    return changes


def check_entry(
    entry: Any, origin: str, where: str, problems: list[str], *, whole_floats: bool = False
) -> PolicyChange | None:
    """Check one timeline entry (``where`` is its key path, e.g. ``timeline[2]``, from 1)."""
    if not isinstance(entry, Mapping):
        problems.append(
            f"{prefixed(origin, where)} must be a table ([[timeline]]), got {show_value(entry)}"
        )
        return None
    count = len(problems)
    for key in entry:
        if key not in ENTRY_KEYS:
            message = unknown_key(str(key), ENTRY_KEYS)
            problems.append(f"{prefixed(origin, f'{where}.{key}')}: {message}")
    months = {
        key: _month(entry[key], f"{where}.{key}", origin, problems, whole_floats=whole_floats)
        for key in ("at", "from", "until")
        if key in entry
    }
    _check_months(entry, months, origin, where, problems)
    label = entry.get("label", "")
    if not isinstance(label, str):
        problems.append(
            f"{prefixed(origin, f'{where}.label')} must be text, got {show_value(label)}"
        )
    settings = _check_set(entry.get("set"), origin, f"{where}.set", problems, whole_floats)
    start = months.get("at", months.get("from"))
    if len(problems) > count or start is None:
        return None
    try:
        return PolicyChange(start, months.get("until"), settings, label)
    except ValueError as exc:
        problems.append(f"{prefixed(origin, where)}: {exc}")
        return None


def _check_months(
    entry: Mapping[str, Any],
    months: Mapping[str, int | None],
    origin: str,
    where: str,
    problems: list[str],
) -> None:
    """Check that an entry has ``at`` or ``from`` and ``until``, and ``until`` after ``from``."""
    has_at = "at" in entry
    has_from, has_until = "from" in entry, "until" in entry
    here = prefixed(origin, where)
    if has_at and (has_from or has_until):
        problems.append(
            f"{here}: use either 'at' (a permanent change) or 'from' and "
            "'until' (a campaign), not both"
        )
    elif not has_at and not (has_from or has_until):
        problems.append(
            f"{here}: needs 'at' (the month a change switches on) or "
            "'from' and 'until' (a campaign in effect for from <= month < until)"
        )
    elif has_from != has_until:
        missing = "until" if has_from else "from"
        problems.append(
            f"{here}: a campaign needs both 'from' and 'until' ('{missing}' "
            "is missing; 'until' is the first month it no longer applies); "
            "use 'at' for a permanent change"
        )
    else:
        start, end = months.get("from"), months.get("until")
        if start is not None and end is not None and end <= start:
            problems.append(
                f"{prefixed(origin, f'{where}.until')} = {end} must be after from = {start} "
                "(until is the first month the campaign no longer applies)"
            )


def _check_set(
    raw: Any, origin: str, where: str, problems: list[str], whole_floats: bool
) -> dict[str, Value]:
    """Check an entry's ``set`` table: present, a table, not empty, valid settings."""
    here = prefixed(origin, where)
    if raw is None:
        problems.append(
            f"{here} is missing: the parameters this change sets, e.g. "
            'set = { "fault_tolerance.coverage" = 0.6 }'
        )
        return {}
    if not isinstance(raw, Mapping):
        problems.append(f"{here} must be a table of parameters, got {show_value(raw)}")
        return {}
    if not raw:
        problems.append(f"{here} is empty: a timeline change must set something")
        return {}
    return check_settings(raw, origin, where, problems, whole_floats=whole_floats)


def _month(
    value: Any, where: str, origin: str, problems: list[str], *, whole_floats: bool
) -> int | None:
    """A month (a whole number >= 1), or None after recording the problem."""
    month = plain_number(value)
    if whole_floats and isinstance(month, float) and month.is_integer():
        month = int(month)
    if isinstance(month, bool) or not isinstance(month, int) or month < 1:
        problems.append(
            f"{prefixed(origin, where)} must be a whole month >= 1 "
            f"(month 1 is the first step), got {show_value(month)}"
        )
        return None
    return month


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


class Schedule:
    """The parameters in force in each month of a run: base values with the timeline's changes.

    Each distinct set of active changes is built into a
    :class:`~sim.parameters.values.Params` once, so months under the same
    policies share one object.
    """

    def __init__(self, base: Params, timeline: Iterable[PolicyChange] = ()) -> None:
        """The schedule of ``base`` under ``timeline`` (later changes win)."""
        self.base = base
        self.timeline: tuple[PolicyChange, ...] = tuple(timeline)
        self._by_changes: dict[tuple[int, ...], Params] = {(): base}

    def add(self, change: PolicyChange) -> None:
        """Append a change (it wins over every earlier one)."""
        self.timeline = (*self.timeline, change)

    def at(self, month: int) -> Params:
        """The parameters in force in ``month``."""
        active = tuple(i for i, change in enumerate(self.timeline) if change.active(month))
        params = self._by_changes.get(active)
        if params is None:
            settings = params_at({}, [self.timeline[i] for i in active], month)
            params = self._by_changes[active] = self.base.replace(settings)
        return params

    def changed_names(self) -> list[str]:
        """Every parameter some change sets, sorted (the time series' parameter columns)."""
        return sorted({name for change in self.timeline for name in change.settings})
