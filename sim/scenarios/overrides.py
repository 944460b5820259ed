"""``--set group.key=value`` options: one assignment each, one TOML scalar value.

Each option is exactly one ``group.key=value``. The value is a single TOML
scalar: a number (``0.5``, ``12``, ``1e-3``), ``true``/``false`` or a quoted
string. A bare word (``high``) is kept as text so that the validator can say
which kind of value the parameter takes. Anything else is an error naming
the option and its text: a line break, a second assignment
(``0.5, workforce.population=5``), an array, a table, a comment or trailing
text (``0.5 abc``). The values are then checked by the one validator,
:mod:`sim.parameters.schema`, with the files' rule.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from sim.errors import InputError
from sim.parameters.schema import check_values
from sim.parameters.values import Value

__all__ = ["parse_set", "read_scalar"]

#: Text kept as a bare word when it is not TOML: no spaces, quotes, brackets, '=', '#' or ','.
_BARE_WORD = re.compile(r"^[^\s\"'\[\]{}=#,]*$")

_EXAMPLE = "e.g. fault_tolerance.coverage=0.6"


def parse_set(items: Iterable[str], origin: str = "overrides") -> dict[str, Value]:
    """Parse ``group.key=value`` overrides (one per item) into checked dotted-name values.

    Args:
        items: the options' texts, one ``group.key=value`` each.
        origin: what to call the items in messages (the CLI passes ``"--set"``).

    Raises:
        InputError: a missing ``=``, more than one assignment, a value that is
            not a single TOML scalar, an unknown name (with a suggestion), a
            wrong type or an out-of-range value; one line per problem.

    """
    problems: list[str] = []
    raw: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if "\n" in item or "\r" in item:
            problems.append(
                f"{origin} {item!r}: a line break is not allowed; give one group.key=value "
                f"per option, {_EXAMPLE}"
            )
        elif not sep or not name:
            problems.append(f"{origin} {item!r}: expected group.key=value, {_EXAMPLE}")
        else:
            value, problem = read_scalar(text.strip())
            if problem is None:
                raw[name] = value
            else:
                problems.append(f"{origin} {item!r}: the value {text.strip()!r} {problem}")
    checked = check_values(raw, origin, problems)
    if problems:
        raise InputError(problems[0], problems=problems)
    return checked


def read_scalar(text: str) -> tuple[Any, str | None]:
    """Read one TOML scalar from ``text``: ``(value, None)`` or ``(None, what is wrong)``.

    A bare word that is not TOML (``high``) is returned as text.
    """
    try:
        # an inline table holds one line: a comment would swallow the brace,
        # and a second assignment shows up as a second key
        data = tomllib.loads(f"value = {{ v = {text} }}")["value"]
    except tomllib.TOMLDecodeError:
        if _BARE_WORD.match(text):
            return text, None
        if "=" in text:
            return None, "holds another assignment; give one group.key=value per option"
        return None, "is not a single value (a number, true, false or a quoted string)"
    if len(data) != 1:
        return None, "holds another assignment; give one group.key=value per option"
    value = data["v"]
    if isinstance(value, list):
        return None, "is an array; give one value (a number, true, false or a quoted string)"
    if isinstance(value, dict):
        return None, "is a table; give one value (a number, true, false or a quoted string)"
    if isinstance(value, datetime | date | time):
        return None, "is a date or time; give a number, true, false or a quoted string"
    return value, None
