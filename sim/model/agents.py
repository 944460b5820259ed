"""The cadre agent and the agent-level reporters.

The population's state lives in numpy arrays held by the model
(:class:`sim.model.Population`), so that every process runs vectorised over
all cadres. Each :class:`Cadre` is a real Mesa agent that owns one row of
those arrays: its attributes read and write that row, so ``model.agents``,
DataCollector agent reporters (:data:`AGENT_REPORTERS`) and the browser view
all see live values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import mesa

from sim.model.kinds import Orientation, Status, WorkState

if TYPE_CHECKING:
    from sim.model import CadreModel

__all__ = ["AGENT_REPORTERS", "Cadre"]


class Cadre(mesa.Agent):
    """One official, owning row ``row`` of the model's population arrays.

    Attributes are properties over the arrays, so reading them is always
    current and writing them changes the model's state.
    """

    def __init__(self, model: CadreModel, row: int) -> None:
        """Create the agent for population row ``row`` of ``model``."""
        super().__init__(model)
        self.row: int = row

    # -- fixed traits ----------------------------------------------------
    @property
    def ability(self) -> float:
        """Ability (mean 1): scales performance, innovation and public value."""
        return float(self.model.pop.ability[self.row])

    @property
    def risk_aversion(self) -> float:
        """Weight on expected sanctions in the decision rule."""
        return float(self.model.pop.risk_aversion[self.row])

    @property
    def orientation(self) -> Orientation:
        """Realist or idealist (the type the cadre was recruited as)."""
        return Orientation(int(self.model.pop.orientation[self.row]))

    # -- position -------------------------------------------------------
    @property
    def level(self) -> int:
        """Level in the hierarchy, 1 = bottom."""
        return int(self.model.org.post_level[self.model.pop.post[self.row]]) + 1

    @property
    def unit(self) -> int:
        """Work unit: the superior post's id (colleagues share it); top posts share one."""
        return int(self.model.org.post_unit[self.model.pop.post[self.row]])

    @property
    def superior(self) -> Cadre | None:
        """The cadre holding the superior post, or None (top level, vacancy)."""
        row = self.model.superior_rows()[self.row]
        return None if row < 0 else self.model.cadre_at(int(row))

    @property
    def tenure(self) -> int:
        """Months in the current post."""
        return int(self.model.pop.tenure[self.row])

    @property
    def age(self) -> float:
        """Age in years."""
        return float(self.model.pop.age[self.row])

    # -- dynamic state ----------------------------------------------------
    @property
    def work_state(self) -> WorkState:
        """This month's work state."""
        return WorkState(int(self.model.pop.state[self.row]))

    @work_state.setter
    def work_state(self, value: WorkState) -> None:
        self.model.pop.state[self.row] = int(value)

    @property
    def status(self) -> Status:
        """Standing with the discipline system this month."""
        return Status(int(self.model.status_codes()[self.row]))

    @property
    def reputation(self) -> float:
        """Reputation in [0, 1]."""
        return float(self.model.pop.reputation[self.row])

    @reputation.setter
    def reputation(self, value: float) -> None:
        self.model.pop.reputation[self.row] = min(1.0, max(0.0, float(value)))

    @property
    def idealism(self) -> float:
        """Current idealism (public service motivation) in [0, 1]."""
        return float(self.model.pop.idealism[self.row])

    @idealism.setter
    def idealism(self, value: float) -> None:
        self.model.pop.idealism[self.row] = min(1.0, max(0.0, float(value)))

    @property
    def belief_exemption(self) -> float:
        """Believed chance that an honest mistake is exempted."""
        return float(self.model.pop.belief_exemption[self.row])

    @property
    def belief_false_accusation(self) -> float:
        """Believed monthly chance of a false report (per unit of visibility)."""
        return float(self.model.pop.belief_false[self.row])

    @property
    def belief_promotion(self) -> float:
        """Believed yearly promotion rate at the cadre's level."""
        return float(self.model.pop.belief_promotion[self.row])

    @property
    def belief_vindication(self) -> float:
        """Believed chance that a false report ends in public clarification."""
        return float(self.model.pop.belief_vindication[self.row])

    def __repr__(self) -> str:
        return (
            f"Cadre(id={self.unique_id}, level={self.level}, "
            f"{self.orientation.name.lower()}, {self.work_state.name.lower()})"
        )


# --------------------------------------------------------------------------
# agent-level reporters (named functions, picklable)
# --------------------------------------------------------------------------
def agent_work_state(agent: Cadre) -> str:
    """Agent reporter: work state name."""
    return agent.work_state.name.lower()


def agent_level(agent: Cadre) -> int:
    """Agent reporter: level (1 = bottom)."""
    return agent.level


def agent_orientation(agent: Cadre) -> str:
    """Agent reporter: orientation name."""
    return agent.orientation.name.lower()


def agent_reputation(agent: Cadre) -> float:
    """Agent reporter: reputation."""
    return agent.reputation


def agent_idealism(agent: Cadre) -> float:
    """Agent reporter: idealism."""
    return agent.idealism


def agent_status(agent: Cadre) -> str:
    """Agent reporter: discipline status name."""
    return agent.status.name.lower()


def agent_belief_false_accusation(agent: Cadre) -> float:
    """Agent reporter: believed false-accusation risk."""
    return agent.belief_false_accusation


def agent_belief_exemption(agent: Cadre) -> float:
    """Agent reporter: believed chance of exemption."""
    return agent.belief_exemption


#: Agent-level records collected with ``collect_agents=True``: column name -> reporter.
AGENT_REPORTERS: dict[str, Callable[[Cadre], Any]] = {
    "work_state": agent_work_state,
    "level": agent_level,
    "orientation": agent_orientation,
    "reputation": agent_reputation,
    "idealism": agent_idealism,
    "status": agent_status,
    "belief_false_accusation": agent_belief_false_accusation,
    "belief_exemption": agent_belief_exemption,
}
