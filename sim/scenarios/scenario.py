"""Scenario files: a policy regime described in TOML, validated and resolved.

A scenario file is data, read with the standard library's :mod:`tomllib`;
nothing in it is ever executed. Its layout::

    # scenarios/my_regime.toml
    extends = "baseline.toml"      # optional: inherit another file, change only what differs

    [scenario]                     # optional metadata
    name = "my_regime"             # defaults to the file name without .toml
    description = "Gansu-style fault tolerance from year 2"
    source = "Gansu: 12 types of situations that can be fault-tolerant and exempt"

    [fault_tolerance]              # one table per parameter group of sim.params
    credibility = 0.7              # in force from month 1

    [[timeline]]                   # a permanent change from a month on
    at = 13
    label = "Gansu measures"
    set = { "fault_tolerance.coverage" = 0.6 }

    [[timeline]]                   # a campaign: months from <= m < until
    from = 3
    until = 13
    label = "special action"
    [timeline.set]
    crackdown.trace_probability = 0.5

Rules:

* Top-level keys are ``extends``, ``inherit_timeline``, ``scenario``,
  ``timeline`` and the parameter groups of :data:`sim.params.GROUPS`
  (``[career]``, ``[fault_tolerance]``, ...). Every parameter is checked
  against its single typed definition in :mod:`sim.params` by pydantic models
  built from it: strict types (``"0.5"`` or ``true`` is not a number, ``3.0``
  is not a whole number), the allowed range, unknown keys (with a "did you
  mean" suggestion). Parameters not given anywhere take their defaults.
* ``extends`` names a parent file relative to the extending file's folder.
  The parent is resolved first (recursively); the child's parameter values
  replace the parent's key by key. The child's timeline entries are appended
  after the parent's (later entries win where they overlap), unless the
  child sets ``inherit_timeline = false``. ``[scenario]`` metadata is not
  inherited: it describes the file it is in.
* A ``[[timeline]]`` entry has either ``at`` (the month a change switches on
  and stays) or ``from`` and ``until`` (a campaign in effect for months
  ``from <= month < until``; ``until`` is the first month it no longer
  applies), an optional ``label`` and a ``set`` table. ``set`` names
  parameters by dotted name, quoted (``"crackdown.trace_probability" = 0.5``)
  or as nested group tables (``crackdown.trace_probability = 0.5`` unquoted,
  which TOML reads as a ``crackdown`` table). Months count from 1, the first
  step of the model. Structural parameters (headcount, levels, span) are
  fixed when the model is built and cannot appear in a timeline.

All problems in a file (and its parents) are collected and raised together
as one :class:`sim.errors.InputError`, one line per problem, each naming the
file, the key path, the value and what is allowed.

The resolved form (:meth:`Scenario.to_dict`, :meth:`Scenario.to_toml`) has
every parameter, the full timeline and no ``extends``; it loads back to the
same scenario.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

import sim
from sim import fileio as files
from sim.errors import InputError
from sim.fileio import display_path, show_value
from sim.parameters import registry as params
from sim.parameters.timeline import PolicyChange

__all__ = [
    "SCENARIO_DIR",
    "Scenario",
    "load",
    "parse_set",
    "shipped",
    "shipped_path",
]

#: The folder of the shipped scenario library (``scenarios/`` in the repository).
SCENARIO_DIR: Path = Path(sim.__file__).resolve().parent.parent / "scenarios"

#: The order in which the shipped library is listed; other files follow by name.
LIBRARY_ORDER: tuple[str, ...] = (
    "baseline",
    "fault_tolerance",
    "demotion",
    "false_accuser_crackdown",
    "clarification",
    "strict_without_tolerance",
    "combined_reform",
    "false_accusation_risk",
    "career_rewards",
    "young_cadres",
    "streamlining",
)

_TOP_LEVEL_KEYS: tuple[str, ...] = ("extends", "inherit_timeline", "scenario", "timeline")
_SCENARIO_KEYS: tuple[str, ...] = ("name", "description", "source")
_TIMELINE_KEYS: tuple[str, ...] = ("at", "from", "until", "label", "set")
_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")

Value = float | int | bool


# ---------------------------------------------------------------------------
# The resolved scenario
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A fully resolved scenario: every parameter's value and the policy timeline.

    Attributes:
        name: short name, used in output folder names and result tables.
        description: one-line description (shown by ``cadre-sim list``).
        source: the seed passage or reference the scenario represents.
        params: every parameter, dotted name -> value in force from month 1
            (before any timeline change). Treat it as read-only; use
            :meth:`with_overrides` for a changed copy.
        timeline: policy changes in order; later entries win where they overlap.
        path: the file the scenario was loaded from, if any (provenance; not
            part of equality or :meth:`digest`).
        parents: the files it inherits from, nearest first (provenance).

    """

    name: str
    description: str
    source: str
    params: dict[str, Value]
    timeline: tuple[PolicyChange, ...] = ()
    path: Path | None = field(default=None, compare=False)
    parents: tuple[Path, ...] = field(default=(), compare=False)

    def model_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :class:`sim.model.CadreModel`, including the timeline.

        The random seed (``rng``) is not included: it belongs to a run.
        """
        kwargs: dict[str, Any] = {
            params.kwarg_of(name): value for name, value in self.params.items()
        }
        kwargs["timeline"] = list(self.timeline)
        return kwargs

    def with_overrides(
        self,
        overrides: Mapping[str, Any],
        name: str | None = None,
        *,
        origin: str = "override",
    ) -> Scenario:
        """Return a validated copy with some parameters' month-1 values replaced.

        Args:
            overrides: dotted parameter names mapped to new values. Structural
                parameters (e.g. ``workforce.population``) may be overridden.
                A timeline change to the same parameter still applies while it
                is in effect.
            name: a new name for the copy (default: keep the name).
            origin: what to call the overrides in error messages, e.g.
                ``"--set"``.

        Raises:
            InputError: an unknown name, a wrong type or an out-of-range value.

        """
        problems: list[str] = []
        checked = _check_flat(dict(overrides), origin, problems)
        if name is not None:
            _check_name(name, f"{origin}: name", problems)
        if problems:
            raise InputError(problems[0], problems=problems)
        return replace(
            self,
            name=self.name if name is None else name,
            params={**self.params, **checked},
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the resolved scenario as plain data (the layout of a scenario file).

        ``{"scenario": {name, description, source}, "<group>": {key: value},
        ..., "timeline": [{"label", "at" | "from"+"until", "set"}]}``, with
        every parameter and no ``extends``.
        """
        out: dict[str, Any] = {
            "scenario": {
                "name": self.name,
                "description": self.description,
                "source": self.source,
            }
        }
        out.update(params.nest(self.params))
        out["timeline"] = [change.to_dict() for change in self.timeline]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], origin: str = "<scenario data>") -> Scenario:
        """Build a scenario from plain data in the layout of :meth:`to_dict`.

        The data is validated exactly like a file (``extends`` is not allowed).
        Parameters not given take their defaults.

        Raises:
            InputError: every problem found, one per line, prefixed by ``origin``.

        """
        problems: list[str] = []
        layer = _resolve_data(dict(data), origin, folder=None, chain=(), problems=problems)
        if problems or layer is None:
            raise InputError(problems[0], problems=problems)
        return layer.to_scenario(default_name="custom", path=None)

    def to_toml(self, *, annotate: bool = True) -> str:
        """Return the resolved scenario as TOML text that :func:`load` reads back identically.

        Args:
            annotate: add comments: group titles, ``# default X`` beside values
                that differ from the parameter's default, and the months each
                timeline entry is in effect.

        """
        return _to_toml(self, annotate=annotate)

    def digest(self) -> str:
        """SHA-256 hex digest of the canonical resolved form (:meth:`to_dict`)."""
        canonical = json.dumps(
            self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def changed(self) -> dict[str, Value]:
        """Return the parameters whose month-1 value differs from the default."""
        return {
            name: value
            for name, value in self.params.items()
            if params.by_name(name).default != value
        }


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------


def shipped() -> list[str]:
    """Names of the shipped scenarios (``scenarios/*.toml``), library order first."""
    if not SCENARIO_DIR.is_dir():
        return []
    names = sorted(path.stem for path in SCENARIO_DIR.glob("*.toml"))
    ordered = [name for name in LIBRARY_ORDER if name in names]
    return ordered + [name for name in names if name not in LIBRARY_ORDER]


def shipped_path(name: str) -> Path:
    """Return the file of a shipped scenario (it may not exist)."""
    return SCENARIO_DIR / f"{name}.toml"


def load(ref: str | os.PathLike[str]) -> Scenario:
    """Load, validate and resolve a scenario.

    Args:
        ref: a shipped scenario's name (``"baseline"``) or a path to a
            ``.toml`` file. A string counts as a path when it ends in
            ``.toml`` or contains a path separator.

    Raises:
        InputError: every problem found in the file and its parents.

    """
    path = _locate(ref)
    problems: list[str] = []
    layer = _resolve_file(path, chain=(), problems=problems)
    if problems or layer is None:
        raise InputError(problems[0], problems=problems)
    return layer.to_scenario(default_name=path.stem, path=path)


def parse_set(items: Iterable[str], origin: str = "--set") -> dict[str, Value]:
    """Parse ``--set group.key=value`` options into validated dotted-name values.

    Values are read as TOML values (``0.5``, ``12``, ``true``); anything that
    is not a TOML value is kept as text and then rejected by the type check.

    Raises:
        InputError: a missing ``=``, an unknown name (with a suggestion), a
            wrong type or an out-of-range value; one line per problem.

    """
    problems: list[str] = []
    raw: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            problems.append(
                f"{origin} {item!r}: expected group.key=value, "
                "e.g. --set fault_tolerance.coverage=0.6"
            )
            continue
        raw[name] = _parse_value(text.strip())
    checked = _check_flat(raw, origin, problems)
    if problems:
        raise InputError(problems[0], problems=problems)
    return checked


# ---------------------------------------------------------------------------
# Locating and reading files
# ---------------------------------------------------------------------------


def _locate(ref: str | os.PathLike[str]) -> Path:
    """Turn a shipped name or a path into the file to read (``InputError`` if unknown)."""
    return files.locate(ref, SCENARIO_DIR, "scenario", shipped)


def _read_toml(path: Path, problems: list[str]) -> dict[str, Any] | None:
    """Parse one TOML file; on failure record a one-line problem and return None."""
    try:
        return files.read_toml(path, "scenario")
    except InputError as exc:
        problems.extend(exc.problems)
        return None


# ---------------------------------------------------------------------------
# Resolution
# ---------------------------------------------------------------------------


@dataclass
class _Layer:
    """A scenario file merged with its parents, before defaults are filled in."""

    params: dict[str, Value]
    timeline: list[PolicyChange]
    meta: dict[str, str]
    parents: tuple[Path, ...] = ()

    def to_scenario(self, default_name: str, path: Path | None) -> Scenario:
        """Fill in defaults and metadata; return the resolved :class:`Scenario`."""
        return Scenario(
            name=self.meta.get("name") or default_name,
            description=self.meta.get("description", ""),
            source=self.meta.get("source", ""),
            params={**params.defaults(), **self.params},
            timeline=tuple(self.timeline),
            path=path,
            parents=self.parents,
        )


def _resolve_file(path: Path, chain: tuple[Path, ...], problems: list[str]) -> _Layer | None:
    """Read ``path`` and resolve it with its parents; record problems, None if unusable."""
    data = _read_toml(path, problems)
    if data is None:
        return None
    return _resolve_data(
        data, display_path(path), folder=path.parent, chain=chain + (path,), problems=problems
    )


def _resolve_data(
    data: dict[str, Any],
    origin: str,
    folder: Path | None,
    chain: tuple[Path, ...],
    problems: list[str],
) -> _Layer | None:
    """Validate one file's data and merge it onto its parent (if it extends one)."""
    base = _Layer(params={}, timeline=[], meta={})
    parent_failed = False
    if "extends" in data:
        parent = _resolve_parent(data["extends"], origin, folder, chain, problems)
        if parent is None:
            parent_failed = True
        else:
            base = parent

    inherit = data.get("inherit_timeline", True)
    if not isinstance(inherit, bool):
        problems.append(
            f"{origin}: inherit_timeline must be true or false, got {show_value(inherit)}"
        )
        inherit = True

    own_params: dict[str, Value] = {}
    meta: dict[str, str] = {}
    for key, value in data.items():
        if key in ("extends", "inherit_timeline", "timeline"):
            continue
        if key == "scenario":
            meta = _check_meta(value, origin, problems)
        elif key in params.GROUPS:
            own_params.update(_check_group(key, value, origin, key, problems))
        else:
            problems.append(_unknown_top_level(key, value, origin))
    own_timeline = _check_timeline(data.get("timeline", []), origin, problems)

    if parent_failed:
        return None
    parent_timeline = base.timeline if inherit else []
    return _Layer(
        params={**base.params, **own_params},
        timeline=parent_timeline + own_timeline,
        meta=meta,
        parents=base.parents,
    )


def _resolve_parent(
    extends: Any,
    origin: str,
    folder: Path | None,
    chain: tuple[Path, ...],
    problems: list[str],
) -> _Layer | None:
    """Resolve the file named by ``extends``; record cycles and missing parents."""
    if not isinstance(extends, str) or not extends.strip():
        problems.append(
            f"{origin}: extends must be the name of a parent file, e.g. "
            f'extends = "baseline.toml", got {show_value(extends)}'
        )
        return None
    if folder is None:
        problems.append(f"{origin}: extends = {extends!r} is only allowed in scenario files")
        return None
    parent = (folder / extends).resolve()
    resolved_chain = [p.resolve() for p in chain]
    if parent in resolved_chain:
        loop = resolved_chain[resolved_chain.index(parent) :] + [parent]
        problems.append(
            f"{origin}: extends = {extends!r} makes a cycle: "
            + " -> ".join(display_path(p) for p in loop)
        )
        return None
    if not parent.is_file():
        problems.append(
            f"{origin}: extends = {extends!r}: parent file not found "
            f"(looked for {display_path(parent)}, relative to {display_path(folder)})"
        )
        return None
    layer = _resolve_file(parent, chain, problems)
    if layer is not None:
        layer.parents = (parent,) + layer.parents
    return layer


def _unknown_top_level(key: str, value: Any, origin: str) -> str:
    """Explain an unknown top-level key or table."""
    if isinstance(value, dict):
        hint = params.suggest(key, list(params.GROUPS))
        if hint:
            return f"{origin}: [{key}]: unknown parameter group (did you mean '{hint}'?)"
        return (
            f"{origin}: [{key}]: unknown parameter group "
            f"(groups: {', '.join(params.GROUPS)}; other tables: scenario, timeline)"
        )
    hint = params.suggest(key, _TOP_LEVEL_KEYS)
    if hint:
        return f"{origin}: {key}: unknown top-level key (did you mean '{hint}'?)"
    owners = _names_with_key(key)
    if owners:
        group, _, own_key = owners[0].partition(".")
        return (
            f"{origin}: {key}: unknown top-level key ({_did_you_mean(owners)} "
            f"parameters go in their group table, e.g. [{group}] {own_key} = ...)"
        )
    return (
        f"{origin}: {key}: unknown top-level key "
        f"(allowed: {', '.join(_TOP_LEVEL_KEYS)} and the parameter group tables)"
    )


def _names_with_key(key: str) -> list[str]:
    """Find the dotted names whose key is ``key`` or, failing that, the closest key."""
    keys = list(dict.fromkeys(p.key for p in params.PARAMS))
    if key not in keys:
        hint = params.suggest(key, keys)
        if hint is None:
            return []
        key = hint
    return [p.name for p in params.PARAMS if p.key == key]


def _did_you_mean(names: Sequence[str]) -> str:
    """Format ``did you mean 'a'?`` or ``did you mean 'a' or 'b'?``."""
    quoted = [f"'{name}'" for name in names]
    if len(quoted) == 1:
        return f"did you mean {quoted[0]}?"
    return f"did you mean {', '.join(quoted[:-1])} or {quoted[-1]}?"


def _check_meta(value: Any, origin: str, problems: list[str]) -> dict[str, str]:
    """Validate the ``[scenario]`` table: name, description, source (all text)."""
    if not isinstance(value, dict):
        problems.append(f"{origin}: scenario must be a table ([scenario]), got {show_value(value)}")
        return {}
    meta: dict[str, str] = {}
    for key, item in value.items():
        if key not in _SCENARIO_KEYS:
            problems.append(_unknown_key_message(origin, "scenario", key, _SCENARIO_KEYS))
        elif not isinstance(item, str):
            problems.append(f"{origin}: scenario.{key} must be text, got {show_value(item)}")
        elif key == "name":
            if _check_name(item, f"{origin}: scenario.name", problems):
                meta[key] = item
        else:
            meta[key] = item
    return meta


def _check_name(name: str, where: str, problems: list[str]) -> bool:
    """Check that a scenario name is usable in folder names; record a problem if not."""
    if isinstance(name, str) and _NAME_PATTERN.match(name):
        return True
    problems.append(
        f"{where} = {show_value(name)} must be letters, digits, '_', '-' or '.' "
        "(it names output folders)"
    )
    return False


def _unknown_key_message(origin: str, table: str, key: str, allowed: Sequence[str]) -> str:
    """``origin: table.key: unknown key (did you mean 'x'?)``."""
    hint = params.suggest(key, allowed)
    if hint:
        return f"{origin}: {table}.{key}: unknown key (did you mean '{hint}'?)"
    return f"{origin}: {table}.{key}: unknown key (allowed: {', '.join(allowed)})"


# ---------------------------------------------------------------------------
# Parameter validation (pydantic models built from sim.params)
# ---------------------------------------------------------------------------


@cache
def _group_model(group: str) -> type[BaseModel]:
    """Build a strict pydantic model of one parameter group from ``sim.params``."""
    fields: dict[str, Any] = {}
    for p in params.group_params(group):
        if p.type is bool:
            fields[p.key] = (bool, Field(default=p.default, description=p.meaning))
        elif p.type is int:
            fields[p.key] = (
                int,
                Field(default=p.default, ge=p.low, le=p.high, description=p.meaning),
            )
        else:
            fields[p.key] = (
                float,
                Field(
                    default=p.default,
                    ge=p.low,
                    le=p.high,
                    allow_inf_nan=False,
                    description=p.meaning,
                ),
            )
    model_name = "".join(part.title() for part in group.split("_")) + "Params"
    return create_model(  # type: ignore[call-overload]
        model_name,
        __config__=ConfigDict(extra="forbid", strict=True),
        __doc__=params.GROUPS[group],
        **fields,
    )


def _check_group(
    group: str, table: Any, origin: str, path: str, problems: list[str]
) -> dict[str, Value]:
    """Validate one group table; return its given values by dotted name.

    ``path`` is the key path shown in messages for the table (``fault_tolerance``
    or ``timeline[2].set.fault_tolerance``).
    """
    if not isinstance(table, dict):
        problems.append(
            f"{origin}: {path} must be a table of parameters ([{group}]), got {show_value(table)}"
        )
        return {}
    model = _group_model(group)
    try:
        model.model_validate(table)
    except ValidationError as exc:
        order = {key: index for index, key in enumerate(table)}
        errors = sorted(exc.errors(), key=lambda e: order.get(e["loc"][0] if e["loc"] else "", 0))
        for error in errors:
            problems.append(_error_message(group, error, origin, path))
        return {}
    return {
        f"{group}.{key}": _coerce(params.by_name(f"{group}.{key}"), table[key]) for key in table
    }


def _coerce(param: params.Param, value: Value) -> Value:
    """Return a validated value in the parameter's exact type (int given for float -> float)."""
    if param.type is float:
        return float(value)
    return value


def _error_message(group: str, error: Mapping[str, Any], origin: str, path: str) -> str:
    """Turn one pydantic error into a one-line message naming file, key, value and range."""
    key = str(error["loc"][0]) if error["loc"] else "?"
    value = error.get("input")
    where = f"{origin}: {path}.{key}"
    kind = error["type"]
    if kind == "extra_forbidden":
        own = [p.key for p in params.group_params(group)]
        hint = params.suggest(key, own)
        if hint is None:
            elsewhere = [p.name for p in params.PARAMS if p.key == key]
            if elsewhere:
                return f"{where}: unknown key in [{group}] ({_did_you_mean(elsewhere)})"
            return f"{where}: unknown key (allowed in [{group}]: {', '.join(own)})"
        return f"{where}: unknown key (did you mean '{hint}'?)"
    param = params.by_name(f"{group}.{key}")
    return f"{where}{_value_problem(param, value, kind, error.get('msg', ''))}"


def _value_problem(param: params.Param, value: Any, kind: str, fallback: str) -> str:
    """Describe what is wrong with a value: `` = 1.7 is out of range [0.0, 1.0] (share)``."""
    if kind in ("greater_than_equal", "less_than_equal"):
        return (
            f" = {show_value(value)} is out of range [{param.low!r}, {param.high!r}] ({param.unit})"
        )
    if param.type is bool:
        return f" must be true or false, got {show_value(value)}"
    if param.type is int:
        return (
            f" must be a whole number in [{param.low!r}, {param.high!r}] ({param.unit}), "
            f"got {show_value(value)}"
        )
    if kind == "finite_number":
        return f" must be a finite number, got {show_value(value)}"
    if kind == "float_type":
        allowed = f"[{param.low!r}, {param.high!r}] ({param.unit})"
        return f" must be a number in {allowed}, got {show_value(value)}"
    return f" = {show_value(value)}: {fallback}"


def _check_flat(values: Mapping[str, Any], origin: str, problems: list[str]) -> dict[str, Value]:
    """Validate dotted-name values (``--set``, overrides); return them in their types."""
    by_group: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        group, dot, key = name.partition(".")
        if not dot or group not in params.GROUPS:
            problems.append(f"{origin}: {name}: {_unknown_name_hint(name)}")
            continue
        by_group.setdefault(group, {})[key] = value
    checked: dict[str, Value] = {}
    for group, table in by_group.items():
        checked.update(_check_group(group, table, origin, group, problems))
    return checked


def _unknown_name_hint(name: str) -> str:
    """Explain an unknown dotted parameter name, with the closest known name."""
    all_names = [p.name for p in params.PARAMS]
    hint = params.suggest(name, all_names)
    candidates = [hint] if hint else _names_with_key(name.rpartition(".")[2])
    if candidates:
        return f"unknown parameter ({_did_you_mean(candidates)})"
    return "unknown parameter (names are group.key, e.g. fault_tolerance.coverage)"


# ---------------------------------------------------------------------------
# Timeline validation
# ---------------------------------------------------------------------------


def _check_timeline(entries: Any, origin: str, problems: list[str]) -> list[PolicyChange]:
    """Validate the ``[[timeline]]`` array; return its policy changes."""
    if not isinstance(entries, list):
        problems.append(
            f"{origin}: timeline must be an array of tables ([[timeline]]), "
            f"got {show_value(entries)}"
        )
        return []
    changes: list[PolicyChange] = []
    for number, entry in enumerate(entries, start=1):
        change = _check_entry(entry, origin, f"timeline[{number}]", problems)
        if change is not None:
            changes.append(change)
    return changes


def _check_entry(entry: Any, origin: str, where: str, problems: list[str]) -> PolicyChange | None:
    """Validate one timeline entry (``where`` is e.g. ``timeline[2]``, counted from 1)."""
    if not isinstance(entry, dict):
        problems.append(
            f"{origin}: {where} must be a table ([[timeline]]), got {show_value(entry)}"
        )
        return None
    count = len(problems)
    for key in entry:
        if key not in _TIMELINE_KEYS:
            problems.append(_unknown_key_message(origin, where, key, _TIMELINE_KEYS))

    months: dict[str, int] = {}
    for key in ("at", "from", "until"):
        if key in entry:
            month = entry[key]
            if isinstance(month, bool) or not isinstance(month, int) or month < 1:
                problems.append(
                    f"{origin}: {where}.{key} must be a whole month >= 1 "
                    f"(month 1 is the first step), got {show_value(month)}"
                )
            else:
                months[key] = month
    has_at = "at" in entry
    has_from, has_until = "from" in entry, "until" in entry
    if has_at and (has_from or has_until):
        problems.append(
            f"{origin}: {where}: use either 'at' (a permanent change) or 'from' and "
            "'until' (a campaign), not both"
        )
    elif not has_at and not (has_from or has_until):
        problems.append(
            f"{origin}: {where}: needs 'at' (the month a change switches on) or "
            "'from' and 'until' (a campaign in effect for from <= month < until)"
        )
    elif has_from != has_until:
        missing = "until" if has_from else "from"
        problems.append(
            f"{origin}: {where}: a campaign needs both 'from' and 'until' ('{missing}' "
            "is missing; 'until' is the first month it no longer applies); "
            "use 'at' for a permanent change"
        )
    elif "from" in months and "until" in months and months["until"] <= months["from"]:
        problems.append(
            f"{origin}: {where}.until = {months['until']} must be after "
            f"from = {months['from']} (until is the first month the campaign no longer applies)"
        )

    label = entry.get("label", "")
    if not isinstance(label, str):
        problems.append(f"{origin}: {where}.label must be text, got {show_value(label)}")
        label = ""
    settings = _check_settings(entry.get("set"), origin, f"{where}.set", problems)

    if len(problems) > count:
        return None
    start = months.get("at", months.get("from"))
    end = months.get("until")
    if start is None:
        return None
    try:
        return PolicyChange(start, end, settings, label)
    except (ValueError, KeyError) as exc:
        problems.append(f"{origin}: {where}: {exc}")
        return None


def _check_settings(raw: Any, origin: str, where: str, problems: list[str]) -> dict[str, Value]:
    """Validate a timeline entry's ``set`` table (dotted names or nested group tables)."""
    if raw is None:
        problems.append(
            f"{origin}: {where} is missing: the parameters this change sets, e.g. "
            'set = { "fault_tolerance.coverage" = 0.6 }'
        )
        return {}
    if not isinstance(raw, dict):
        problems.append(f"{origin}: {where} must be a table of parameters, got {show_value(raw)}")
        return {}
    if not raw:
        problems.append(f"{origin}: {where} is empty: a timeline change must set something")
        return {}
    by_group: dict[str, dict[str, Any]] = {}
    for name, value in raw.items():
        if isinstance(value, dict) and name in params.GROUPS:
            for key, item in value.items():
                by_group.setdefault(name, {})[key] = item
            continue
        group, dot, key = name.partition(".")
        if isinstance(value, dict) or not dot or group not in params.GROUPS:
            problems.append(f"{origin}: {where}.{name}: {_unknown_name_hint(name)}")
            continue
        by_group.setdefault(group, {})[key] = value
    settings: dict[str, Value] = {}
    for group, table in by_group.items():
        fixed = [key for key in table if key in _structural_keys(group)]
        for key in fixed:
            problems.append(
                f"{origin}: {where}.{group}.{key}: fixed when the model is built "
                "(structural); it cannot change in a timeline"
            )
        rest = {key: value for key, value in table.items() if key not in fixed}
        settings.update(_check_group(group, rest, origin, f"{where}.{group}", problems))
    return settings


def _structural_keys(group: str) -> frozenset[str]:
    """Keys of a group's structural parameters."""
    return frozenset(p.key for p in params.group_params(group) if p.structural)


# ---------------------------------------------------------------------------
# Values: parsing --set, showing values in messages, writing TOML
# ---------------------------------------------------------------------------


def _parse_value(text: str) -> Any:
    """Read a ``--set`` value as a TOML value, or keep the text if it is not one."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def _toml_string(text: str) -> str:
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
    return key if _BARE_KEY.match(key) else _toml_string(key)


def _toml_value(value: Any) -> str:
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
        return _toml_string(value)
    raise TypeError(f"cannot write {type(value).__name__} as a TOML value")


def _to_toml(scenario: Scenario, *, annotate: bool) -> str:
    """Write the TOML text of a resolved scenario (see :meth:`Scenario.to_toml`)."""
    lines: list[str] = []
    if annotate:
        lines += [
            f"# Resolved scenario '{scenario.name}' (cadre-sim {sim.__version__}):",
            "# every parameter after extends and overrides, and the full timeline.",
            f"# digest {scenario.digest()}",
            "",
        ]
    lines.append("[scenario]")
    lines.append(f"name = {_toml_string(scenario.name)}")
    lines.append(f"description = {_toml_string(scenario.description)}")
    lines.append(f"source = {_toml_string(scenario.source)}")
    for group, table in params.nest(scenario.params).items():
        lines.append("")
        if annotate:
            lines.append(f"# {params.GROUPS[group]}")
        lines.append(f"[{group}]")
        for key, value in table.items():
            line = f"{_toml_key(key)} = {_toml_value(value)}"
            default = params.by_name(f"{group}.{key}").default
            if annotate and value != default:
                line += f"  # default {_toml_value(default)}"
            lines.append(line)
    for change in scenario.timeline:
        lines.append("")
        if annotate:
            if change.end is None:
                lines.append(f"# in effect from month {change.start} on")
            else:
                lines.append(f"# in effect in months {change.start} to {change.end - 1}")
        lines.append("[[timeline]]")
        lines.append(f"label = {_toml_string(change.label)}")
        if change.end is None:
            lines.append(f"at = {change.start}")
        else:
            lines.append(f"from = {change.start}")
            lines.append(f"until = {change.end}")
        settings = ", ".join(
            f"{_toml_string(name)} = {_toml_value(value)}"
            for name, value in change.settings.items()
        )
        lines.append(f"set = {{ {settings} }}")
    return "\n".join(lines) + "\n"
