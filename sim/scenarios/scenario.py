"""The resolved scenario: every parameter's month-1 value and the policy timeline.

Scenario files are read by :mod:`sim.scenarios.reading` (layout, ``extends``)
and written back by :mod:`sim.scenarios.writing`; every value is checked by
the one validator, :mod:`sim.parameters.schema`. The resolved form
(:meth:`Scenario.to_dict`, :meth:`Scenario.to_toml`) has every parameter, the
full timeline and no ``extends``; it loads back to the same scenario.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sim.errors import InputError
from sim.parameters import registry as params
from sim.parameters.names import name_message
from sim.parameters.schema import check_values
from sim.parameters.timeline import PolicyChange
from sim.parameters.values import Value
from sim.scenarios.library import locate
from sim.scenarios.reading import Layer, resolve_data, resolve_file
from sim.scenarios.writing import scenario_toml

__all__ = ["Scenario", "load"]


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
            overrides: dotted parameter names mapped to new values (numpy
                numbers welcome; checked with the files' rule of
                :mod:`sim.parameters.schema`). Structural parameters (e.g.
                ``workforce.population``) may be overridden.
                A timeline change to the same parameter still applies while it
                is in effect.
            name: a new name for the copy (default: keep the name).
            origin: what to call the overrides in error messages, e.g.
                ``"--set"``.

        Raises:
            InputError: an unknown name, a wrong type or an out-of-range value.

        """
        problems: list[str] = []
        checked = check_values(overrides, origin, problems)
        if name is not None and (bad := name_message(f"{origin}: name", name)):
            problems.append(bad)
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
        layer = resolve_data(dict(data), origin, folder=None, chain=(), problems=problems)
        if problems or layer is None:
            raise InputError(problems[0], problems=problems)
        return _resolved(layer, default_name="custom", path=None)

    def to_toml(self, *, annotate: bool = True) -> str:
        """Return the resolved scenario as TOML text that :func:`load` reads back identically.

        Args:
            annotate: add comments: group titles, ``# default X`` beside values
                that differ from the parameter's default, and the months each
                timeline entry is in effect.

        """
        return scenario_toml(self, annotate=annotate)

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


def load(ref: str | os.PathLike[str]) -> Scenario:
    """Load, validate and resolve a scenario.

    Args:
        ref: a shipped scenario's name (``"baseline"``) or a path to a
            ``.toml`` file. A string counts as a path when it ends in
            ``.toml`` or contains a path separator.

    Raises:
        InputError: every problem found in the file and its parents.

    """
    path = locate(ref)
    problems: list[str] = []
    layer = resolve_file(path, chain=(), problems=problems)
    if problems or layer is None:
        raise InputError(problems[0], problems=problems)
    return _resolved(layer, default_name=path.stem, path=path)


def _resolved(layer: Layer, default_name: str, path: Path | None) -> Scenario:
    """Fill in defaults and metadata; return the resolved :class:`Scenario`."""
    return Scenario(
        name=layer.meta.get("name") or default_name,
        description=layer.meta.get("description", ""),
        source=layer.meta.get("source", ""),
        params={**params.defaults(), **layer.params},
        timeline=tuple(layer.timeline),
        path=path,
        parents=layer.parents,
    )
