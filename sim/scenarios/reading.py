"""Reading scenario files: the file layout, ``extends`` resolution and metadata.

A scenario file is data, read with the standard library's :mod:`tomllib`;
nothing in it is ever executed. Its layout::

    # scenarios/my_regime.toml
    extends = "baseline.toml"      # optional: inherit another file, change only what differs

    [scenario]                     # optional metadata
    name = "my_regime"             # defaults to the file name without .toml
    description = "Gansu-style fault tolerance from year 2"
    source = "Gansu: 12 types of situations that can be fault-tolerant and exempt"

    [fault_tolerance]              # one table per parameter group of the registry
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
  ``timeline`` and the parameter groups of
  :data:`sim.parameters.registry.GROUPS` (``[career]``,
  ``[fault_tolerance]``, ...). Every parameter is checked by the one
  validator, :mod:`sim.parameters.schema`, with the files' rule: strict
  types (``"0.5"`` or ``true`` is not a number, ``3.0`` is not a whole
  number), the allowed range, unknown keys (with a "did you mean"
  suggestion). Parameters not given anywhere take their defaults.
* ``extends`` names a parent file relative to the extending file's folder.
  The chain of parents is followed iteratively (any length; a file met
  twice is a cycle) and every file is read through
  :func:`sim.fileio.read_file_bytes` (regular files only, size capped, no
  blocking on a FIFO); the child's parameter values
  replace the parent's key by key. The child's timeline entries are appended
  after the parent's (later entries win where they overlap), unless the
  child sets ``inherit_timeline = false``. ``[scenario]`` metadata is not
  inherited: it describes the file it is in.
* ``[[timeline]]`` entries are checked by
  :func:`sim.parameters.timeline.check_timeline` (``at``, or ``from`` and
  ``until``, ``label``, ``set``; structural parameters cannot appear).
* ``[scenario] name`` follows the one name rule,
  :func:`sim.parameters.names.name_problem` (it names output folders).

All problems in a file (and its parents) are collected, one line per
problem, each naming the file, the key path, the value and what is allowed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim import fileio as files
from sim.errors import InputError, did_you_mean, suggest
from sim.fileio import display_path, show_value
from sim.parameters import registry as params
from sim.parameters.names import name_message
from sim.parameters.schema import check_group, names_with_key, unknown_key
from sim.parameters.timeline import PolicyChange, check_timeline
from sim.parameters.values import Value

__all__ = ["TOP_LEVEL_KEYS", "Layer", "resolve_data", "resolve_file"]

#: Top-level keys of a scenario file other than the parameter group tables.
TOP_LEVEL_KEYS: tuple[str, ...] = ("extends", "inherit_timeline", "scenario", "timeline")
#: Keys of the ``[scenario]`` metadata table.
SCENARIO_KEYS: tuple[str, ...] = ("name", "description", "source")


@dataclass
class Layer:
    """A scenario file merged with its parents, before defaults are filled in.

    Attributes:
        params: parameter values given in the file or its parents (dotted names).
        timeline: the policy changes, parents' first.
        meta: the file's own ``[scenario]`` table (name, description, source).
        parents: the files it inherits from, nearest first.

    """

    params: dict[str, Value]
    timeline: list[PolicyChange]
    meta: dict[str, str]
    parents: tuple[Path, ...] = ()


def resolve_file(path: Path, chain: tuple[Path, ...], problems: list[str]) -> Layer | None:
    """Read ``path`` and resolve it with its parents; record problems, None if unusable.

    Args:
        path: the scenario file.
        chain: the files already being resolved (to detect ``extends`` cycles).
        problems: where each problem is recorded, one line each.

    """
    try:
        data = files.read_toml(path, "scenario")
    except InputError as exc:
        problems.extend(exc.problems)
        return None
    return resolve_data(
        data, display_path(path), folder=path.parent, chain=chain + (path,), problems=problems
    )


@dataclass(frozen=True)
class _File:
    """One file of an ``extends`` chain: its data, its name in messages, its folder."""

    data: dict[str, Any]
    origin: str
    folder: Path | None


def resolve_data(
    data: dict[str, Any],
    origin: str,
    folder: Path | None,
    chain: tuple[Path, ...],
    problems: list[str],
) -> Layer | None:
    """Check one file's data and merge it onto its parents (if it extends one).

    The ``extends`` chain is followed iteratively (any length, no
    recursion), each parent read once; a file met twice is a cycle. Each
    file's own content is then checked, the furthest parent first, and
    merged onto what it extends.

    Args:
        data: the parsed file (or plain data in the same layout).
        origin: the file named in messages.
        folder: the folder ``extends`` is relative to; None where ``extends``
            is not allowed (plain data).
        chain: the files already being resolved (to detect cycles).
        problems: where each problem is recorded, one line each.

    """
    levels = [_File(data, origin, folder)]
    parents: list[Path] = []
    seen = [_resolved_path(p) for p in chain]
    broken = False
    while "extends" in levels[-1].data:
        child = levels[-1]
        parent = _parent_file(child.data["extends"], child.origin, child.folder, seen, problems)
        if parent is None:
            broken = True
            break
        try:
            parent_data = files.read_toml(parent, "scenario")
        except InputError as exc:
            problems.extend(exc.problems)
            broken = True
            break
        levels.append(_File(parent_data, display_path(parent), parent.parent))
        parents.append(parent)
        seen.append(parent)
    merged = Layer(params={}, timeline=[], meta={})
    for level in reversed(levels):
        own = _own_layer(level.data, level.origin, problems)
        merged = Layer(
            params={**merged.params, **own.params},
            timeline=(merged.timeline if own.inherit else []) + own.timeline,
            meta=own.meta,
        )
    if broken:
        return None
    merged.parents = tuple(parents)
    return merged


@dataclass
class _OwnLayer:
    """What one file itself says: its parameters, timeline, metadata, inheritance."""

    params: dict[str, Value]
    timeline: list[PolicyChange]
    meta: dict[str, str]
    inherit: bool


def _own_layer(data: dict[str, Any], origin: str, problems: list[str]) -> _OwnLayer:
    """Check the content of one file (not its parents); record its problems."""
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
            own_params.update(check_group(key, value, origin, key, problems))
        else:
            problems.append(_unknown_top_level(key, value, origin))
    timeline = check_timeline(data.get("timeline", []), origin, problems)
    return _OwnLayer(params=own_params, timeline=timeline, meta=meta, inherit=inherit)


def _resolved_path(path: Path) -> Path:
    """``path`` made absolute with symlinks resolved where possible (never raises)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python 3.12)
        return path.absolute()


def _parent_file(
    extends: Any,
    origin: str,
    folder: Path | None,
    seen: list[Path],
    problems: list[str],
) -> Path | None:
    """The file named by ``extends``; record bad values, cycles and missing parents."""
    if not isinstance(extends, str) or not extends.strip():
        problems.append(
            f"{origin}: extends must be the name of a parent file, e.g. "
            f'extends = "baseline.toml", got {show_value(extends)}'
        )
        return None
    if folder is None:
        problems.append(f"{origin}: extends = {extends!r} is only allowed in scenario files")
        return None
    parent = _resolved_path(folder / extends)
    if parent in seen:
        loop = seen[seen.index(parent) :] + [parent]
        problems.append(
            f"{origin}: extends = {extends!r} makes a cycle: "
            + " -> ".join(display_path(p) for p in loop)
        )
        return None
    if not os.path.lexists(parent):
        problems.append(
            f"{origin}: extends = {extends!r}: parent file not found "
            f"(looked for {display_path(parent)}, relative to {display_path(folder)})"
        )
        return None
    return parent


def _unknown_top_level(key: str, value: Any, origin: str) -> str:
    """Explain an unknown top-level key or table."""
    if isinstance(value, dict):
        hint = suggest(key, list(params.GROUPS))
        if hint:
            return f"{origin}: [{key}]: unknown parameter group (did you mean '{hint}'?)"
        return (
            f"{origin}: [{key}]: unknown parameter group "
            f"(groups: {', '.join(params.GROUPS)}; other tables: scenario, timeline)"
        )
    hint = suggest(key, TOP_LEVEL_KEYS)
    if hint:
        return f"{origin}: {key}: unknown top-level key (did you mean '{hint}'?)"
    owners = names_with_key(key)
    if owners:
        group, _, own_key = owners[0].partition(".")
        return (
            f"{origin}: {key}: unknown top-level key ({did_you_mean(owners)} "
            f"parameters go in their group table, e.g. [{group}] {own_key} = ...)"
        )
    return (
        f"{origin}: {key}: unknown top-level key "
        f"(allowed: {', '.join(TOP_LEVEL_KEYS)} and the parameter group tables)"
    )


def _check_meta(value: Any, origin: str, problems: list[str]) -> dict[str, str]:
    """Check the ``[scenario]`` table: name, description, source (all text)."""
    if not isinstance(value, dict):
        problems.append(f"{origin}: scenario must be a table ([scenario]), got {show_value(value)}")
        return {}
    meta: dict[str, str] = {}
    for key, item in value.items():
        if key not in SCENARIO_KEYS:
            problems.append(f"{origin}: scenario.{key}: {unknown_key(key, SCENARIO_KEYS)}")
        elif not isinstance(item, str):
            problems.append(f"{origin}: scenario.{key} must be text, got {show_value(item)}")
        elif key == "name" and (bad := name_message(f"{origin}: scenario.name", item)):
            problems.append(bad)
        else:
            meta[key] = item
    return meta
