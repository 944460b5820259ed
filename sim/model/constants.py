"""Every named constant of the model, fixed in code (not scenario settings).

Changing one changes the model. ``docs/ODD.md`` states each with its value
(sections 7.2 and 7.16) and ``tests/test_docs.py`` checks that it does.
The work states are indexed by :class:`sim.model.agents.WorkState`:
``(active, routine, flat)`` = ``(0, 1, 2)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sim.model.kinds import Orientation, WorkState

__all__ = [
    "ACTIVE",
    "ANNUAL_BELIEF_SPEED",
    "BELIEF_SPEED",
    "BURN_IN_ROUNDS",
    "CLEARED_WINDOW",
    "EFFORT",
    "FLAT",
    "FLAT_VISIBILITY",
    "IDEALISM_BETA",
    "IDEALISM_TENURE_DECAY",
    "INNOVATION_VALUE",
    "MISTAKE_EXPOSURE",
    "N_STATES",
    "RECRUIT_AGE",
    "REPUTATION_BASELINE",
    "REPUTATION_SCORE_WEIGHT",
    "REPUTATION_VALUE",
    "RETIREMENT_AGE",
    "ROUTINE",
    "SUPERIOR_NORM_WEIGHT",
]

#: The work states as plain integers (array values), and how many there are.
ACTIVE, ROUTINE, FLAT = (int(s) for s in WorkState)
N_STATES = len(WorkState)

# -- the decision rule (ODD 7.2) -------------------------------------------------
#: Effort of each work state (active, routine, flat), as a share of full effort.
EFFORT: NDArray[np.float64] = np.array([1.0, 0.6, 0.15])
#: Exposure to honest mistakes of each state, relative to an active cadre:
#: initiative, reform and innovation are where honest mistakes happen.
MISTAKE_EXPOSURE: NDArray[np.float64] = np.array([1.0, 0.25, 0.05])
#: Visibility (reportability) of a flat cadre relative to a routine one.
FLAT_VISIBILITY = 0.5
#: Weight of the superior's work state in the work norm a cadre sees; the
#: rest is the share of colleagues in the unit in each state.
SUPERIOR_NORM_WEIGHT = 0.3
#: Utility value of a full reputation (reputation runs from 0 to 1): what a
#: cadre loses, in the same units as penalties, if its name is ruined.
REPUTATION_VALUE = 30.0

# -- demography ----------------------------------------------------------------
#: Age (years) at which cadres retire, and the range recruits join at.
RETIREMENT_AGE = 60.0
RECRUIT_AGE = (24.0, 32.0)

# -- work, reputation, idealism ---------------------------------------------------
#: Reputation everyone drifts back to when nothing happens.
REPUTATION_BASELINE = 0.7
#: Public value of one innovation, in months of full-effort work of ability 1.
INNOVATION_VALUE = 1.0
#: Monthly drift of long-run idealism with tenure (prosocial motivation decays
#: with tenure: Buurman, Delfgaauw, Dur & Van den Bossche 2012).
IDEALISM_TENURE_DECAY = 0.0005
#: Beta distributions of idealism for the two orientations (means 5/7 and 2/7).
IDEALISM_BETA = {Orientation.IDEALIST: (5.0, 2.0), Orientation.REALIST: (2.0, 5.0)}

# -- evaluation and learning -----------------------------------------------------
#: Weight of reputation in the annual evaluation score (in standard deviations).
REPUTATION_SCORE_WEIGHT = 0.5
#: Speed of belief updating per month (per observation weight; see
#: :func:`sim.model.processes.learning.learn`) and, once a year, of beliefs
#: about promotion and demotion rules.
BELIEF_SPEED = 0.15
ANNUAL_BELIEF_SPEED = 0.5

# -- initialisation and status ---------------------------------------------------
#: Silent decision rounds at initialisation (see
#: :func:`sim.model.processes.setup.initialise_population`).
BURN_IN_ROUNDS = 12
#: Months after being cleared that a cadre counts as "recently cleared".
CLEARED_WINDOW = 12
