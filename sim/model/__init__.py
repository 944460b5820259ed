"""The model layer: cadres' state, the processes, the outputs and the Mesa model.

* :mod:`sim.model.kinds`: the categories (work state, orientation, status,
  case kind) as integer enums;
* :mod:`sim.model.constants`: every named constant of the model;
* :mod:`sim.model.agents`: the :class:`Cadre` agent and the agent-level
  reporters;
* :mod:`sim.model.state`: :class:`Population` and :class:`Organisation`, the
  struct-of-arrays state;
* :mod:`sim.model.processes`: one module per part of the monthly and annual
  schedule (the package docstring states their shared convention);
* :mod:`sim.model.outputs`: output names (:func:`is_output_name`, the one name
  rule) and a month's values;
* :mod:`sim.model.cadre_model`: :class:`CadreModel`, which composes them.
"""

from sim.model.agents import AGENT_REPORTERS
from sim.model.cadre_model import CadreModel
from sim.model.kinds import CaseKind, Orientation, Status, WorkState
from sim.model.outputs import EVENT_COUNTS, OUTPUTS, is_output_name
from sim.model.state import Organisation, Population, build_organisation, level_sizes

__all__ = [
    "AGENT_REPORTERS",
    "EVENT_COUNTS",
    "OUTPUTS",
    "CadreModel",
    "CaseKind",
    "Organisation",
    "Orientation",
    "Population",
    "Status",
    "WorkState",
    "build_organisation",
    "is_output_name",
    "level_sizes",
]
