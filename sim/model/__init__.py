"""The model layer: cadres' state, the pure processes, outputs and the Mesa model."""

from sim.model.cadre_model import (
    AGENT_REPORTERS,
    EVENT_COUNTS,
    OUTPUTS,
    CadreModel,
    Organisation,
    Population,
    build_organisation,
    level_sizes,
)

__all__ = [
    "AGENT_REPORTERS",
    "EVENT_COUNTS",
    "OUTPUTS",
    "CadreModel",
    "Organisation",
    "Population",
    "build_organisation",
    "level_sizes",
]
