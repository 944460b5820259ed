"""Parameter values: one frozen, typed object generated from the registry.

:class:`Params` has one attribute per parameter group, each a frozen
dataclass with one typed attribute per parameter, so processes read
``params.fault_tolerance.coverage`` instead of looking up dotted strings.
Both classes are generated from :data:`sim.parameters.registry.PARAMS`, the
only place a parameter is declared; adding a row there adds the attribute.

Values enter through :mod:`sim.parameters.schema`, the one validator:
:func:`coerce_value` and :meth:`Params.replace` check them there with the
Python callers' rule (numpy numbers welcome and made plain; a whole float is
accepted for a whole-number parameter; a bool is never a number and a number
never a bool; see that module for the whole rule).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from sim.errors import hint
from sim.parameters import schema
from sim.parameters.registry import GROUPS, PARAMS, Param, by_kwarg, by_name, group_params
from sim.parameters.schema import plain_number

__all__ = ["GROUP_CLASSES", "Params", "Value", "coerce_value", "plain_number"]

#: A parameter value as stored: a plain Python bool, int or float.
Value = float | int | bool


def coerce_value(param: Param, value: Any) -> Value:
    """Return ``value`` in ``param``'s exact type, or raise ``ValueError`` saying why.

    The rule for Python callers (:mod:`sim.parameters.schema`): standard and
    numpy numbers are made plain; booleans are not numbers and numbers not
    booleans; whole numbers are accepted for floats; a float is accepted for
    an int only when whole; values must be finite and inside
    ``[param.low, param.high]``. The message is one line, e.g.
    ``fault_tolerance.coverage = 1.5 is out of range [0.0, 1.0] (share)``.
    """
    problems: list[str] = []
    checked = schema.check_value(param.name, value, "", problems, whole_floats=True)
    if checked is None:
        raise ValueError(problems[0])
    return checked


def _param(name: str) -> Param:
    """The parameter called ``name``; ``KeyError`` with a suggestion if unknown."""
    try:
        return by_name(name)
    except (KeyError, TypeError):
        raise KeyError(f"{name}: {schema.unknown_name(str(name))}") from None


def _kwarg_name(kwarg: str) -> str:
    """The dotted name of keyword argument ``kwarg``; ``KeyError`` with a suggestion if unknown."""
    try:
        return by_kwarg(kwarg).name
    except (KeyError, TypeError):
        extra = hint(str(kwarg), [p.kwarg for p in PARAMS])
        raise KeyError(f"{kwarg}: unknown parameter{extra}") from None


def _class_name(group: str) -> str:
    return "".join(part.title() for part in group.split("_")) + "Params"


def _make_group_class(group: str) -> type:
    """A frozen dataclass of one group's parameters, typed and defaulted from the registry."""
    fields = [
        (p.key, p.type, dataclasses.field(default=p.default, metadata={"param": p}))
        for p in group_params(group)
    ]
    cls = dataclasses.make_dataclass(
        _class_name(group),
        fields,
        frozen=True,
        slots=True,
        module=__name__,
    )
    cls.__doc__ = f"{GROUPS[group]}.\n\nGenerated from the parameter registry (group ``{group}``)."
    return cls


#: One generated frozen dataclass per parameter group, in registry order.
GROUP_CLASSES: Mapping[str, type] = {group: _make_group_class(group) for group in GROUPS}
globals().update({cls.__name__: cls for cls in GROUP_CLASSES.values()})


@dataclasses.dataclass(frozen=True, slots=True)
class _ParamsBase:
    """Methods shared by the generated :class:`Params`."""

    GROUP_NAMES: ClassVar[tuple[str, ...]] = tuple(GROUPS)

    @classmethod
    def from_values(cls, values: Mapping[str, Any] | None = None) -> Params:
        """Build from dotted names (``{"fault_tolerance.coverage": 0.5}``); the rest default.

        Raises:
            KeyError: an unknown name.
            ValueError: a value of the wrong type or out of range.

        """
        return cls.defaults().replace(values or {})

    @classmethod
    def from_kwargs(cls, kwargs: Mapping[str, Any]) -> Params:
        """Build from keyword names (``{"fault_tolerance_coverage": 0.5}``); the rest default."""
        return cls.from_values({_kwarg_name(k): v for k, v in kwargs.items()})

    @classmethod
    def defaults(cls) -> Params:
        """Every parameter at its registry default."""
        return cls(**{g: GROUP_CLASSES[g]() for g in GROUPS})  # type: ignore[return-value]

    def replace(self, values: Mapping[str, Any]) -> Params:
        """A copy with some parameters (dotted names) changed; validated, self unchanged.

        Raises:
            KeyError: an unknown name.
            ValueError: a value of the wrong type or out of range (the first
                problem, one line).

        """
        if not values:
            return self  # type: ignore[return-value]
        for name in values:
            _param(name)
        problems: list[str] = []
        checked = schema.check_values(values, "", problems, whole_floats=True)
        if problems:
            raise ValueError(problems[0])
        by_group: dict[str, dict[str, Value]] = {}
        for name, value in checked.items():
            p = by_name(name)
            by_group.setdefault(p.group, {})[p.key] = value
        changed = {g: dataclasses.replace(getattr(self, g), **kv) for g, kv in by_group.items()}
        return dataclasses.replace(self, **changed)  # type: ignore[return-value]

    def get(self, name: str) -> Value:
        """The value of one parameter by dotted name (for tools that hold names)."""
        p = _param(name)
        return getattr(getattr(self, p.group), p.key)

    def __getitem__(self, name: str) -> Value:
        """``params["group.key"]``: the same as :meth:`get` (for tools, not processes)."""
        return self.get(name)

    def items(self) -> Iterator[tuple[str, Value]]:
        """``(dotted name, value)`` for every parameter, in registry order."""
        for p in PARAMS:
            yield p.name, getattr(getattr(self, p.group), p.key)

    def to_dict(self) -> dict[str, Value]:
        """Every parameter by dotted name, in registry order (plain data)."""
        return dict(self.items())


Params = dataclasses.make_dataclass(
    "Params",
    [(g, GROUP_CLASSES[g]) for g in GROUPS],
    bases=(_ParamsBase,),
    frozen=True,
    slots=True,
    module=__name__,
)
Params.__doc__ = (
    "Every parameter's value, read by attribute: ``params.fault_tolerance.coverage``.\n\n"
    "Generated from the parameter registry: one attribute per group, each a frozen\n"
    "dataclass of that group's typed parameters. Build with :meth:`from_values`,\n"
    ":meth:`from_kwargs` or :meth:`defaults`; change with :meth:`replace`."
)
