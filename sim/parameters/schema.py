"""The one validator of parameter values, built from the registry.

Every entry point checks values here: scenario files and plain scenario data,
``--set`` options, timeline ``set`` tables and :class:`PolicyChange`,
:meth:`Scenario.with_overrides`, experiment files, and the ``Params`` object
behind :class:`~sim.model.CadreModel`'s keyword arguments. The checks are
strict pydantic models generated from :data:`sim.parameters.registry.PARAMS`
(:func:`group_model`), one per parameter group.

The rule (the only statement of it):

* **Numbers.** A number parameter takes any standard or numpy number
  (``int``, ``float``, ``numbers.Integral`` such as ``np.int64``,
  ``numbers.Real`` such as ``np.float32`` or ``Fraction``); it is stored as a
  plain Python ``int`` or ``float``. A bool (``True``, ``np.bool_``) is never
  a number, and text (``"0.5"``) is never a number.
* **Floats** take whole numbers too (``4`` is stored as ``4.0``) and must be
  finite (no ``nan``, no ``inf``).
* **Whole numbers** (``int`` parameters) take integers. A whole float
  (``3.0``) is accepted only from Python callers that pass
  ``whole_floats=True`` (``Params``, :func:`~sim.parameters.values.coerce_value`,
  ``CadreModel`` keyword arguments, :class:`PolicyChange`), as ``Param.check``
  did; values read from files and options (scenario files, ``--set``,
  experiment files, ``Scenario.with_overrides``) keep TOML's distinction and
  reject ``3.0``.
* **Switches** (``bool`` parameters) take ``True``/``False`` or ``np.bool_``;
  never ``0`` or ``1``.
* **Ranges.** Every number must lie in ``[low, high]`` of its registry row.
* **Names.** Parameters are ``group.key``; an unknown group or key is an error
  with a "did you mean" suggestion.
* **Timelines.** Structural parameters (headcount, levels, span, warm-up) are
  fixed when the model is built and cannot be set by a timeline change.

Problems are one line each, ``<origin>: <key path><what is wrong>``, e.g.
``x.toml: fault_tolerance.coverage = 1.7 is out of range [0.0, 1.0] (share)``;
without an origin the line starts at the key path. The same bad value gives
the same line from every entry point.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from sim.errors import did_you_mean, suggest
from sim.fileio import show_value
from sim.parameters.registry import GROUPS, PARAMS, Param, by_name, group_params

if TYPE_CHECKING:
    from sim.parameters.values import Value

__all__ = [
    "check_group",
    "check_settings",
    "check_value",
    "check_values",
    "dotted",
    "group_model",
    "names_with_key",
    "plain_number",
    "prefixed",
    "unknown_key",
    "unknown_name",
]

#: Every dotted parameter name, in registry order.
_NAMES: tuple[str, ...] = tuple(p.name for p in PARAMS)


def plain_number(value: Any) -> Any:
    """Return numpy and other standard numbers as plain Python values; anything else unchanged.

    ``np.bool_`` becomes ``bool``; an ``numbers.Integral`` (``np.int64``)
    becomes ``int``; a ``numbers.Real`` (``np.float32``, ``Fraction``) becomes
    ``float``. A Python ``bool`` stays a ``bool`` (it is not treated as a number).
    """
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return value


@cache
def group_model(group: str) -> type[BaseModel]:
    """The strict pydantic model of one parameter group, generated from the registry."""
    fields: dict[str, Any] = {}
    for p in group_params(group):
        if p.type is bool:
            fields[p.key] = (bool, Field(default=p.default, description=p.meaning))
        elif p.type is int:
            fields[p.key] = (
                int,
                Field(default=p.default, ge=p.low, le=p.high, description=p.meaning),
            )
        else:
            bounds = {"ge": p.low, "le": p.high, "allow_inf_nan": False}
            fields[p.key] = (float, Field(default=p.default, description=p.meaning, **bounds))
    model_name = "".join(part.title() for part in group.split("_")) + "Model"
    return create_model(  # type: ignore[call-overload]
        model_name,
        __config__=ConfigDict(extra="forbid", strict=True),
        __doc__=GROUPS[group],
        **fields,
    )


# ---------------------------------------------------------------------------
# The core: one group table against its model
# ---------------------------------------------------------------------------


def _prepared(param: Param | None, value: Any, whole_floats: bool) -> Any:
    """A value as the model sees it: plain Python, whole floats made ints if allowed."""
    value = plain_number(value)
    if (
        whole_floats
        and param is not None
        and param.type is int
        and isinstance(value, float)
        and value.is_integer()
    ):
        return int(value)
    return value


def _typed(param: Param, value: Value) -> Value:
    """A validated value in the parameter's exact type (an int given for a float -> float)."""
    return float(value) if param.type is float else value


def _check_table(
    group: str, table: Mapping[Any, Any], whole_floats: bool
) -> tuple[dict[str, Value], list[tuple[str, str]]]:
    """Check one group's ``{key: value}`` table.

    Returns:
        The valid values by key, in their exact types, and ``(key, what is
        wrong)`` for each bad entry in table order, e.g. ``(coverage, " = 1.7
        is out of range [0.0, 1.0] (share)")``.

    """
    own = {p.key: p for p in group_params(group)}
    prepared = {
        str(key): _prepared(own.get(str(key)), value, whole_floats) for key, value in table.items()
    }
    try:
        group_model(group).model_validate(prepared)
    except ValidationError as exc:
        errors = exc.errors()
    else:
        errors = []
    order = {key: index for index, key in enumerate(prepared)}
    bad: list[tuple[str, str]] = []
    for error in sorted(errors, key=lambda e: order.get(str(e["loc"][0]) if e["loc"] else "", 0)):
        key = str(error["loc"][0]) if error["loc"] else "?"
        if error["type"] == "extra_forbidden":
            bad.append((key, f": {_unknown_key(group, key)}"))
        else:
            bad.append((key, _value_problem(own[key], error.get("input"), error["type"])))
    failed = {key for key, _ in bad}
    checked = {key: _typed(own[key], v) for key, v in prepared.items() if key not in failed}
    return checked, bad


def _value_problem(param: Param, value: Any, kind: str) -> str:
    """What is wrong with a value: `` = 1.7 is out of range [0.0, 1.0] (share)``."""
    allowed = f"[{param.low!r}, {param.high!r}] ({param.unit})"
    shown = show_value(value)
    if kind in ("greater_than_equal", "less_than_equal"):
        return f" = {shown} is out of range {allowed}"
    if param.type is bool:
        return f" must be true or false, got {shown}"
    if param.type is int:
        return f" must be a whole number in {allowed}, got {shown}"
    if kind == "finite_number":
        return f" must be a finite number, got {shown}"
    return f" must be a number in {allowed}, got {shown}"


def prefixed(origin: str, where: str) -> str:
    """``origin: where`` (a file or option, then a key path), or ``where`` alone."""
    return f"{origin}: {where}" if origin else where


def _join(where: str, path: str) -> str:
    """``where.path``, or ``path`` alone when ``where`` is empty."""
    return f"{where}.{path}" if where else path


# ---------------------------------------------------------------------------
# Public checks (each records one line per problem in ``problems``)
# ---------------------------------------------------------------------------


def check_group(
    group: str,
    table: Any,
    origin: str,
    path: str,
    problems: list[str],
    *,
    whole_floats: bool = False,
) -> dict[str, Value]:
    """Check one group table (``[fault_tolerance]``); return its values by dotted name.

    Args:
        group: a group of :data:`~sim.parameters.registry.GROUPS`.
        table: the table read from a file: keys of that group mapped to values.
        origin: the file or option named at the start of each problem line.
        path: the key path of the table in messages (``fault_tolerance`` or
            ``timeline[2].set.fault_tolerance``).
        problems: where each problem is recorded, one line each.
        whole_floats: accept ``3.0`` for a whole-number parameter (Python callers).

    """
    if not isinstance(table, Mapping):
        problems.append(
            f"{prefixed(origin, path)} must be a table of parameters ([{group}]), "
            f"got {show_value(table)}"
        )
        return {}
    checked, bad = _check_table(group, table, whole_floats)
    problems.extend(f"{prefixed(origin, _join(path, key))}{what}" for key, what in bad)
    return {f"{group}.{key}": value for key, value in checked.items()}


def check_values(
    values: Mapping[str, Any],
    origin: str,
    problems: list[str],
    *,
    whole_floats: bool = False,
) -> dict[str, Value]:
    """Check dotted-name values (``{"fault_tolerance.coverage": 0.6}``); return them typed.

    Structural parameters are allowed (they are month-1 values). Used by
    ``--set``, :meth:`Scenario.with_overrides`, experiment files and ``Params``.
    Only valid values are returned; check ``problems`` before using them.

    Args:
        values: dotted names mapped to values (numpy numbers welcome).
        origin: what to name at the start of each problem line (a file, an
            option such as ``--set``); empty for none.
        problems: where each problem is recorded, one line each.
        whole_floats: accept ``3.0`` for a whole-number parameter (Python callers).

    """
    return _check_flat(values, origin, "", problems, whole_floats, structural=True)


def check_value(
    name: str,
    value: Any,
    origin: str,
    problems: list[str],
    *,
    where: str | None = None,
    whole_floats: bool = False,
) -> Value | None:
    """Check one dotted-name value; return it typed, or None after recording the problem.

    Args:
        name: the parameter's dotted name.
        value: the value to check.
        origin: what to name at the start of the problem line (empty for none).
        problems: where the problem is recorded.
        where: the key path shown in the message instead of ``name``
            (e.g. ``vary[2].values[3]``).
        whole_floats: accept ``3.0`` for a whole-number parameter (Python callers).

    """
    shown = name if where is None else where
    try:
        param = by_name(name)
    except (KeyError, TypeError):
        problems.append(f"{prefixed(origin, shown)}: {unknown_name(str(name))}")
        return None
    checked, bad = _check_table(param.group, {param.key: value}, whole_floats)
    if bad:
        problems.append(f"{prefixed(origin, shown)}{bad[0][1]}")
        return None
    return checked[param.key]


def check_settings(
    raw: Mapping[str, Any],
    origin: str,
    where: str,
    problems: list[str],
    *,
    whole_floats: bool = False,
) -> dict[str, Value]:
    """Check a timeline change's ``set`` table; return its values by dotted name.

    Names are dotted (``"crackdown.trace_probability"``) or nested group
    tables (``{"crackdown": {"trace_probability": 0.5}}``, how TOML reads an
    unquoted dotted key). Structural parameters are rejected: they are fixed
    when the model is built.

    Args:
        raw: the ``set`` table.
        origin: what to name at the start of each problem line (empty for none).
        where: the key path of the table (``timeline[2].set``; empty for none).
        problems: where each problem is recorded, one line each.
        whole_floats: accept ``3.0`` for a whole-number parameter (Python callers).

    """
    flat = dotted(raw, origin, where, problems)
    return _check_flat(flat, origin, where, problems, whole_floats, structural=False)


def dotted(raw: Mapping[str, Any], origin: str, where: str, problems: list[str]) -> dict[str, Any]:
    """A table of dotted names and nested group tables as dotted names only (unchecked).

    ``{"crackdown": {"trace_probability": 0.5}, "demotion.loss": 2.0}`` (how
    TOML reads unquoted and quoted dotted keys) becomes
    ``{"crackdown.trace_probability": 0.5, "demotion.loss": 2.0}``. A nested
    table that is not a parameter group is recorded as a problem; pass the
    result to :func:`check_values`.
    """
    flat: dict[str, Any] = {}
    for name, value in raw.items():
        if isinstance(value, Mapping) and name in GROUPS:
            flat.update({f"{name}.{key}": item for key, item in value.items()})
        elif isinstance(value, Mapping):
            problems.append(
                f"{prefixed(origin, _join(where, str(name)))}: {unknown_name(str(name))}"
            )
        else:
            flat[name] = value
    return flat


def _check_flat(
    values: Mapping[Any, Any],
    origin: str,
    where: str,
    problems: list[str],
    whole_floats: bool,
    *,
    structural: bool,
) -> dict[str, Value]:
    """Check dotted-name values group by group; reject structural ones unless allowed."""
    by_group: dict[str, dict[str, Any]] = {}
    for name, value in values.items():
        group, dot, key = str(name).partition(".")
        if not isinstance(name, str) or not dot or group not in GROUPS:
            problems.append(
                f"{prefixed(origin, _join(where, str(name)))}: {unknown_name(str(name))}"
            )
            continue
        by_group.setdefault(group, {})[key] = value
    checked: dict[str, Value] = {}
    for group, table in by_group.items():
        if not structural:
            fixed = {p.key for p in group_params(group) if p.structural}
            for key in [key for key in table if key in fixed]:
                problems.append(
                    f"{prefixed(origin, _join(where, f'{group}.{key}'))}: fixed when the model "
                    "is built (structural); it cannot change in a timeline"
                )
                del table[key]
        checked.update(
            check_group(
                group, table, origin, _join(where, group), problems, whole_floats=whole_floats
            )
        )
    return checked


# ---------------------------------------------------------------------------
# Did you mean: unknown names and keys
# ---------------------------------------------------------------------------


def unknown_name(name: str) -> str:
    """Explain an unknown dotted parameter name, with the closest known names."""
    hint = suggest(name, _NAMES)
    candidates = [hint] if hint else names_with_key(name.rpartition(".")[2])
    if candidates:
        return f"unknown parameter ({did_you_mean(candidates)})"
    return "unknown parameter (names are group.key, e.g. fault_tolerance.coverage)"


def unknown_key(key: str, allowed: Sequence[str], table: str = "") -> str:
    """``unknown key (did you mean 'x'?)``, else ``unknown key (allowed[ in table]: a, b)``."""
    hint = suggest(key, allowed)
    if hint is not None:
        return f"unknown key (did you mean '{hint}'?)"
    where = f" in {table}" if table else ""
    return f"unknown key (allowed{where}: {', '.join(allowed)})"


def _unknown_key(group: str, key: str) -> str:
    """Explain an unknown key in a group table, pointing to its group if it has one."""
    own = [p.key for p in group_params(group)]
    elsewhere = [p.name for p in PARAMS if p.key == key]
    if elsewhere and suggest(key, own) is None:
        return f"unknown key in [{group}] ({did_you_mean(elsewhere)})"
    return unknown_key(key, own, f"[{group}]")


def names_with_key(key: str) -> list[str]:
    """The dotted names whose key is ``key`` or, failing that, the closest key."""
    keys = list(dict.fromkeys(p.key for p in PARAMS))
    if key not in keys:
        hint = suggest(key, keys)
        if hint is None:
            return []
        key = hint
    return [p.name for p in PARAMS if p.key == key]
