"""Parameter values: one frozen, typed object generated from the registry.

:class:`Params` has one attribute per parameter group, each a frozen
dataclass with one typed attribute per parameter, so processes read
``params.fault_tolerance.coverage`` instead of looking up dotted strings.
Both classes are generated from :data:`sim.parameters.registry.PARAMS`, the
only place a parameter is declared; adding a row there adds the attribute.

Values enter through :func:`coerce_value`, which accepts any standard or
numpy number (``numbers.Integral``, ``numbers.Real``, ``np.bool_``) and
converts it to a plain Python ``int``, ``float`` or ``bool``; a bool is never
a number and a number never a bool.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import numpy as np

from sim.parameters.registry import GROUPS, PARAMS, Param, by_kwarg, by_name, group_params

__all__ = ["GROUP_CLASSES", "Params", "Value", "coerce_value", "plain_number"]

#: A parameter value as stored: a plain Python bool, int or float.
Value = float | int | bool


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


def coerce_value(param: Param, value: Any) -> Value:
    """Return ``value`` in ``param``'s exact type, or raise ``ValueError`` saying why.

    Booleans are not accepted for numbers and vice versa; whole numbers are
    accepted for floats; a float is accepted for an int only when whole;
    values must be finite and inside ``[param.low, param.high]``.
    """
    value = plain_number(value)
    if param.type is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{param.name} must be true or false, got {value!r}")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{param.name} must be a number, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{param.name} must be a finite number, got {value!r}")
    if param.type is int:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"{param.name} must be a whole number, got {value!r}")
        value = int(value)
    else:
        value = float(value)
    if not (param.low <= value <= param.high):
        raise ValueError(f"{param.name} = {value!r} is out of range [{param.low}, {param.high}]")
    return value


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
        return cls.from_values({by_kwarg(k).name: v for k, v in kwargs.items()})

    @classmethod
    def defaults(cls) -> Params:
        """Every parameter at its registry default."""
        return cls(**{g: GROUP_CLASSES[g]() for g in GROUPS})  # type: ignore[return-value]

    def replace(self, values: Mapping[str, Any]) -> Params:
        """A copy with some parameters (dotted names) changed; validated, self unchanged."""
        if not values:
            return self  # type: ignore[return-value]
        by_group: dict[str, dict[str, Value]] = {}
        for name, value in values.items():
            p = by_name(name)
            by_group.setdefault(p.group, {})[p.key] = coerce_value(p, value)
        changed = {g: dataclasses.replace(getattr(self, g), **kv) for g, kv in by_group.items()}
        return dataclasses.replace(self, **changed)  # type: ignore[return-value]

    def get(self, name: str) -> Value:
        """The value of one parameter by dotted name (for tools that hold names)."""
        p = by_name(name)
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
