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
    "ABILITY_BOUNDS",
    "ABILITY_MEAN",
    "ABILITY_SD",
    "BELIEF_NOISE",
    "BURN_IN_ROUNDS",
    "CAREER_REPLAY_YEARS",
    "CLEARED_WINDOW",
    "EFFORT",
    "FLAT",
    "FLAT_VISIBILITY",
    "GRADE_LOSS_MONTHS",
    "IDEALISM_BETA",
    "IDEALISM_TENURE_DECAY",
    "INNOVATION_VALUE",
    "LONG_AGO",
    "MILD_EROSION",
    "MISTAKE_EXPOSURE",
    "N_STATES",
    "RECRUIT_AGE",
    "REMOVAL_MONTHS",
    "REPUTATION_BASELINE",
    "REPUTATION_NOISE",
    "REPUTATION_SCORE_WEIGHT",
    "REPUTATION_VALUE",
    "RETIREMENT_AGE",
    "RISK_AVERSION_LOG_MEAN",
    "RISK_AVERSION_LOG_SD",
    "RIVAL_ABILITY_EXPONENT",
    "ROUTINE",
    "SUPERIOR_NORM_WEIGHT",
    "UNFIT_MONTHS",
    "WARNING_MONTHS",
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
#: Visibility (reportability) of a flat cadre relative to a routine one:
#: lying flat is hidden withdrawal (Gao Xiang), doing little that anyone can
#: complain about.
FLAT_VISIBILITY = 0.3
#: Exponent of ability in the weight rivals put on a target (``visibility *
#: exposure * ability**RIVAL_ABILITY_EXPONENT``): rivals aim at the able.
RIVAL_ABILITY_EXPONENT = 2
#: Weight of the superior's work state in the work norm a cadre sees; the
#: rest is the share of colleagues in the unit in each state.
SUPERIOR_NORM_WEIGHT = 0.3
#: Utility value of a full reputation (reputation runs from 0 to 1): what a
#: cadre loses, in the same units as the other stakes, if its name is ruined.
REPUTATION_VALUE = 45.0

# -- sanctions (ODD 7.7, 7.8) ----------------------------------------------------
#: The sanction ladder (CCP Regulations on Disciplinary Actions, 2018, art. 10
#: and 11): a warning bars promotion for a year; a removal from post bars it
#: for two years and moves the cadre down. A sanction of ``T`` months is read
#: as a mix of the two, so a leading cadre sanctioned for ``T`` months loses
#: the post with probability ``clip((T - WARNING_MONTHS) / (REMOVAL_MONTHS -
#: WARNING_MONTHS), 0, 1)``.
WARNING_MONTHS = 12.0
REMOVAL_MONTHS = 24.0
#: Months a bottom-level cadre judged unfit and demoted is barred from
#: promotion and performance pay (it has no post below to move to: it loses grade).
GRADE_LOSS_MONTHS = 12
#: Share of ``behaviour.idealism_erosion`` an idealist loses when accused
#: (a case opens on a false report) or punished for an honest mistake that
#: is not exempted; a wrongful punishment costs the full erosion.
MILD_EROSION = 0.5

# -- demography ----------------------------------------------------------------
#: Age (years) at which cadres retire, and the range recruits join at.
RETIREMENT_AGE = 60.0
RECRUIT_AGE = (24.0, 32.0)

# -- traits of new cadres (ODD 5) ------------------------------------------------
#: Ability ``clip(N(ABILITY_MEAN, ABILITY_SD), *ABILITY_BOUNDS)``.
ABILITY_MEAN = 1.0
ABILITY_SD = 0.25
ABILITY_BOUNDS = (0.3, 2.0)
#: Individual risk aversion: ``behaviour.risk_aversion`` times
#: ``LogNormal(RISK_AVERSION_LOG_MEAN, RISK_AVERSION_LOG_SD)`` (mean 1:
#: the log mean is minus half the log variance).
RISK_AVERSION_LOG_MEAN = -0.045
RISK_AVERSION_LOG_SD = 0.3
#: Spread of a new cadre's reputation around the baseline, ``N(0, REPUTATION_NOISE)``.
REPUTATION_NOISE = 0.05
#: Spread (sd of the log) of initial beliefs around the regime's truth; the
#: noise is mean-preserving (LogNormal(-BELIEF_NOISE**2 / 2, BELIEF_NOISE)).
BELIEF_NOISE = 0.25

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
#: Months of a year (of 12) in one state that make it the year's dominant
#: state (active or flat), and that a flat cadre must spend flat to be
#: detected lying flat.
UNFIT_MONTHS = 6
#: Weight of reputation in the annual evaluation score (in standard deviations).
REPUTATION_SCORE_WEIGHT = 0.5
#: Speed of belief updating per month (per observation weight; see
#: :func:`sim.model.processes.learning.learn`) and, once a year, of beliefs
#: about promotion and demotion rules.
BELIEF_SPEED = 0.15
ANNUAL_BELIEF_SPEED = 0.5

# -- initialisation and status ---------------------------------------------------
#: Silent decision rounds at initialisation (see
#: :func:`sim.model.processes.initial.initialise_population`).
BURN_IN_ROUNDS = 12
#: Years of careers replayed at initialisation (evaluations, promotions,
#: retirements and recruitment, once a year) so that the hierarchy's age,
#: tenure and trait structure starts in steady state: one full career, the
#: longest a recruit can serve, so no cadre of the first draw remains.
CAREER_REPLAY_YEARS = int(np.ceil(RETIREMENT_AGE - RECRUIT_AGE[0]))
#: A month before any run, its replayed careers and warm-up: "never" for
#: the month a cadre was last barred or cleared.
LONG_AGO = -(10**6)
#: Months after being cleared that a cadre counts as "recently cleared".
CLEARED_WINDOW = 12
