"""Checking the values of a decision-experiment file, one problem per line.

:class:`Reader` holds the file's name and the list of problems found; each
method checks one kind of value (a size, a number, a choice, a model
output, a parameter and its range, an entry of ``[[lever]]``,
``[[uncertain]]``, ``[[parameter]]``, ``[[objective]]`` or ``[[target]]``),
records a one-line message naming the file and the key when it is wrong,
and returns the checked value. Parameter values pass through
:func:`sim.parameters.values.coerce_value` only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.analysis.decide.calibrate import STATISTICS
from sim.analysis.decide.search import DIRECTIONS
from sim.errors import hint, suggest
from sim.fileio import show_value
from sim.parameters import registry, schema
from sim.parameters.values import Value, coerce_value
from sim.runs import store
from sim.scenarios import Scenario

__all__ = ["ENTRY_KEYS", "SIZES", "Reader"]

#: Keys of each kind of entry.
ENTRY_KEYS: Mapping[str, tuple[str, ...]] = {
    "lever": ("parameter", "low", "high", "cost"),
    "uncertain": ("parameter", "low", "high"),
    "parameter": ("parameter", "low", "high"),
    "objective": ("metric", "direction"),
    "target": ("name", "metric", "statistic", "minus", "observed", "tolerance", "source"),
}
#: Defaults and smallest values of the whole-number sizes.
SIZES: Mapping[str, tuple[int | None, int]] = {
    "replicates": (2, 1),
    "steps": (60, 1),
    "seed": (0, 0),
    "window": (12, 1),
    "candidates": (20, 4),
    "generations": (10, 1),
    "samples": (0, 0),
    "boxes": (1, 1),
    "particles": (50, 4),
    "max_evaluations": (None, 1),
}
#: Sizes whose default or smallest value depends on the kind: ``(default, low)``.
KIND_SIZES: Mapping[tuple[str, str], tuple[int, int]] = {("discover", "samples"): (200, 10)}


@dataclass
class Reader:
    """Checks values of one file, collecting one-line problems that name file and key."""

    origin: str
    kind: str
    problems: list[str]
    seen: dict[str, int] = field(default_factory=dict)

    def problem(self, text: str) -> None:
        """Record a problem."""
        self.problems.append(f"{self.origin}: {text}")

    def unknown(self, where: str, key: str, allowed: tuple[str, ...], what: str) -> str:
        """A message for an unknown key, with the closest allowed one."""
        close = suggest(key, allowed)
        extra = f"did you mean '{close}'?" if close else f"allowed: {', '.join(allowed)}"
        return f"{self.origin}: {where}: unknown {what} ({extra})"

    def table(self, value: Any, where: str) -> dict[str, Any]:
        """A TOML table, or an empty one with a problem."""
        if isinstance(value, dict):
            return value
        self.problem(f"{where} must be a table, got {show_value(value)}")
        return {}

    def size(self, table: Mapping[str, Any], key: str) -> int | None:
        """A whole-number size (``population`` checked against the registry)."""
        where = f"{self.kind}.{key}"
        if key == "population":
            if key not in table:
                return None
            try:
                return int(coerce_value(registry.by_name("workforce.population"), table[key]))
            except ValueError as exc:
                self.problem(f"{where}: {exc}")
                return None
        default, low = KIND_SIZES.get((self.kind, key), SIZES[key])
        value = table.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            self.problem(f"{where} must be a whole number >= {low}, got {show_value(value)}")
            return default
        return int(value)

    def number(
        self,
        table: Mapping[str, Any],
        key: str,
        default: float,
        low: float = -math.inf,
        high: float = math.inf,
        open_ends: bool = False,
        where: str | None = None,
    ) -> float:
        """A finite number within ``[low, high]`` (``(low, high)`` with ``open_ends``)."""
        value = table.get(key, default)
        number = not isinstance(value, bool) and isinstance(value, int | float)
        if number and math.isfinite(value):
            if (low < value < high) if open_ends else (low <= value <= high):
                return float(value)
        ends = f"({low:g}, {high:g})" if open_ends else f"[{low:g}, {high:g}]"
        bounded = "" if math.isinf(low) and math.isinf(high) else f" in {ends}"
        place = where or f"{self.kind}.{key}"
        self.problem(f"{place} must be a number{bounded}, got {show_value(value)}")
        return default

    def choice(
        self, table: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str
    ) -> str:
        """One of ``allowed``."""
        value = table.get(key, default)
        if value not in allowed:
            extra = hint(str(value), allowed)
            shown = f"{self.kind}.{key} = {show_value(value)}{extra}"
            self.problem(f"{shown}: choose one of {', '.join(allowed)}")
            return default
        return value

    def metric(self, value: Any, where: str) -> str:
        """A model output name."""
        if isinstance(value, str) and store.is_known_output(value):
            return value
        from sim.model import OUTPUTS

        extra = hint(str(value), OUTPUTS)
        self.problem(
            f"{where} = {show_value(value)} is not a model output{extra}; see sim.model.OUTPUTS"
        )
        return "flat_share"

    def need(self, entries: list[str], example: str) -> None:
        """At least one entry of one of the kinds ``entries`` (counting bad ones too)."""
        if not any(self.seen.get(entry) for entry in entries):
            self.problem(f"{' or '.join(entries)} is missing: add e.g. {example}")

    def scenario(self, ref: Any, folder: Path) -> Scenario | None:
        """The base scenario (shipped name, or a path relative to the file's folder)."""
        from sim.analysis.experiment.files import load_scenario_ref

        return load_scenario_ref(ref, f"{self.origin}: {self.kind}.scenario", folder, self.problems)

    def settings(self, raw: Any) -> dict[str, Value]:
        """The ``[set]`` table (dotted names or group tables), each value coerced."""
        flat = schema.dotted(self.table(raw, "[set]"), self.origin, "set", self.problems)
        return schema.check_values(flat, f"{self.origin}: set", self.problems)

    def param(self, name: Any, where: str) -> registry.Param | None:
        """A parameter of the registry by dotted name."""
        try:
            return registry.by_name(name)
        except (KeyError, TypeError):
            extra = hint(str(name), [p.name for p in registry.PARAMS]) or " (names are group.key)"
            self.problem(f"{where} = {show_value(name)}: unknown parameter{extra}")
            return None

    def value(self, param: registry.Param, value: Any, where: str) -> Value | None:
        """A value of ``param``, through :func:`coerce_value`."""
        try:
            return coerce_value(param, value)
        except ValueError as exc:
            self.problem(f"{where}: {exc}")
            return None

    def entries(self, raw: Any, entry: str) -> list[dict[str, Any]]:
        """An array of tables (``[[lever]]``, ...), each checked; the good ones returned."""
        if not isinstance(raw, list):
            self.problem(f"{entry} must be an array of tables ([[{entry}]]), got {show_value(raw)}")
            return []
        good = []
        self.seen[entry] = len(raw)
        for number, item in enumerate(raw, start=1):
            where = f"{entry}[{number}]"
            if not isinstance(item, dict):
                self.problem(f"{where} must be a table ([[{entry}]]), got {show_value(item)}")
                continue
            count = len(self.problems)
            for key in item:
                if key not in ENTRY_KEYS[entry]:
                    self.problems.append(
                        self.unknown(
                            f"{where}.{key}", key, ENTRY_KEYS[entry], f"key in [[{entry}]]"
                        )
                    )
            checked = _CHECKS[entry](self, item, where)
            if checked is not None and len(self.problems) == count:
                good.append(checked)
        return good

    def range_entry(self, item: Mapping[str, Any], where: str, role: str) -> dict[str, Any] | None:
        """``parameter``, ``low``, ``high`` (and ``cost`` for levers) of one entry."""
        param = self.param(item.get("parameter"), f"{where}.parameter")
        if param is None:
            return None
        if role == "lever" and not param.lever:
            self.problem(
                f"{where}: {param.name} is a behavioural constant, not a lever; use [[uncertain]]"
            )
            return None
        if role != "lever" and (param.lever or param.structural):
            self.problem(
                f"{where}: {param.name} is not a behavioural constant; use [[lever]] or [set]"
            )
            return None
        if param.type is bool:
            self.problem(
                f"{where}: {param.name} is true or false and has no range; fix it in [set]"
            )
            return None
        low = self.value(param, item.get("low", param.low), f"{where}.low")
        high = self.value(param, item.get("high", param.high), f"{where}.high")
        if low is None or high is None:
            return None
        if not low < high:
            self.problem(f"{where}: low = {low!r} must be below high = {high!r}")
            return None
        out = {"parameter": param.name, "low": low, "high": high}
        if role == "lever":
            out["cost"] = self.number(item, "cost", 0.0, low=0.0, where=f"{where}.cost")
        return out

    def objective(self, item: Mapping[str, Any], where: str) -> dict[str, Any] | None:
        """``metric`` and ``direction`` of an objective."""
        metric = self.metric(item.get("metric"), f"{where}.metric")
        direction = item.get("direction", "min")
        if direction not in DIRECTIONS:
            self.problem(f"{where}.direction = {show_value(direction)}: choose min or max")
        return {"metric": metric, "direction": direction}

    def target(self, item: Mapping[str, Any], where: str) -> dict[str, Any] | None:
        """One observed moment."""
        metric = self.metric(item.get("metric"), f"{where}.metric")
        statistic = item.get("statistic", "mean")
        if statistic not in STATISTICS:
            shown = f"{where}.statistic = {show_value(statistic)}"
            self.problem(f"{shown}: choose one of {', '.join(STATISTICS)}")
        minus = item.get("minus")
        if minus is not None:
            minus = self.metric(minus, f"{where}.minus")
        if (statistic == "difference") != (minus is not None):
            self.problem(f"{where}: statistic = 'difference' goes with minus = '<another output>'")
        observed = self.number(item, "observed", math.nan, where=f"{where}.observed")
        tolerance = self.number(
            item, "tolerance", math.nan, low=0.0, open_ends=True, where=f"{where}.tolerance"
        )
        name = item.get("name", metric)
        source = item.get("source", "")
        if not isinstance(name, str) or not isinstance(source, str):
            self.problem(f"{where}: name and source must be text")
        return {
            "name": name,
            "metric": metric,
            "statistic": statistic,
            "minus": minus,
            "observed": observed,
            "tolerance": tolerance,
            "source": source,
        }


_CHECKS = {
    "lever": lambda r, item, where: r.range_entry(item, where, "lever"),
    "uncertain": lambda r, item, where: r.range_entry(item, where, "uncertain"),
    "parameter": lambda r, item, where: r.range_entry(item, where, "parameter"),
    "objective": Reader.objective,
    "target": Reader.target,
}
