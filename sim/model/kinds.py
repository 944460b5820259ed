"""The model's categories: work states, orientations, discipline status, case kinds.

Integer enums, so that population arrays hold them as ``int64`` codes and the
processes compare codes without importing the Mesa agent.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["CaseKind", "Orientation", "Status", "WorkState"]


class WorkState(IntEnum):
    """The work state a cadre chooses each month.

    ``ACTIVE``: takes initiative, reforms, innovates; most visible and most
    exposed to mistakes and complaints. ``ROUTINE``: does what is assigned,
    safely (includes busy-looking formalism). ``FLAT``: lying flat, hidden
    withdrawal: minimal effort, neither resigns nor speaks out.
    """

    ACTIVE = 0
    ROUTINE = 1
    FLAT = 2


class Orientation(IntEnum):
    """Gao Xiang's two logics of cadres' career choices."""

    REALIST = 0  # short-term realist: career rewards, experience, environment
    IDEALIST = 1  # long-term idealist: public service, lasting achievement


class Status(IntEnum):
    """A cadre's standing with the discipline system."""

    NORMAL = 0
    UNDER_INVESTIGATION = 1
    PUNISHED = 2
    CLEARED = 3  # cleared of a report within the last year


class CaseKind(IntEnum):
    """What an open investigation is really about (unknown to investigators)."""

    NONE = 0
    FALSE_REPORT = 1
    HONEST_MISTAKE = 2
    MISCONDUCT = 3
