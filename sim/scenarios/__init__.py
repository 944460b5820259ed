"""Scenarios: policy regimes in TOML files, validated against the parameter registry.

:mod:`~sim.scenarios.scenario` holds the resolved :class:`Scenario`,
:mod:`~sim.scenarios.reading` the file layout and ``extends``,
:mod:`~sim.scenarios.writing` the TOML text, :mod:`~sim.scenarios.overrides`
the ``--set`` options and :mod:`~sim.scenarios.library` the shipped files.
"""

from sim.parameters.values import Value
from sim.scenarios.library import SCENARIO_DIR, shipped, shipped_path
from sim.scenarios.overrides import parse_set
from sim.scenarios.scenario import Scenario, load

__all__ = ["SCENARIO_DIR", "Scenario", "Value", "load", "parse_set", "shipped", "shipped_path"]
