"""Pattern-oriented validation: the model brief's nine stylized facts as data.

Each :class:`Fact` holds the brief's wording, the regimes it compares (as
parameter overrides and timelines on the baseline), and what must be seen:

* :class:`Check`: a paired difference ``alt - base`` of a metric's mean over
  a window of months, where ``alt`` and ``base`` are each a regime, metric
  and window (:class:`Measure`), with the expected direction. Runs are
  paired by replicate: replicate ``k`` of every regime has the same seed
  (common random numbers). The check passes when the t-based confidence
  interval of the mean paired difference excludes zero in the expected
  direction. A check without a direction is reported, not tested (it feeds
  a condition).
* :class:`Condition`: an extra requirement where the brief has a second
  clause ("active cadres are hit hardest", "idealists change little"),
  evaluated on the checks' estimates and on per-replicate measures.

A fact passes when all its checks and conditions do. :func:`run` runs the
regimes of the chosen facts through :func:`sim.batch.run_batch` and
evaluates them; ``cadre-sim validate`` prints the table and exits 1 when a
fact fails. ``tests/test_stylized_facts.py`` takes its regimes and windows
from :data:`FACTS`, so each fact is defined in one place.

Modules: :mod:`~sim.analysis.validation.blocks` (the building blocks),
:mod:`~sim.analysis.validation.facts` (the facts as data),
:mod:`~sim.analysis.validation.evaluation` (judging a fact on runs),
:mod:`~sim.analysis.validation.report` (tables, text, Markdown) and
:mod:`~sim.analysis.validation.runner` (running the regimes).
"""

from sim.analysis.stats import CONFIDENCE
from sim.analysis.validation.blocks import (
    DERIVED_METRICS,
    Check,
    Condition,
    Direction,
    Fact,
    Measure,
    Regime,
    Window,
)
from sim.analysis.validation.evaluation import Estimate, FactResult, evaluate, regime_scenarios
from sim.analysis.validation.facts import (
    ACCUSATION_SPELL,
    BASELINE,
    BIGGER_PRIZE,
    CLARIFICATION_ON,
    CRACKDOWN_CAMPAIGN,
    FACTS,
    FRIGHTENED,
    HIGH_RISK,
    LAST_24,
    MORE_DEMOTION,
    MORE_FAULT_TOLERANCE,
    POORER_PAY,
    RANK_FACT_POPULATION,
    RISK_NO_TOLERANCE,
    RISK_NO_TOLERANCE_DEMOTION,
    fact,
    parse_only,
)
from sim.analysis.validation.report import Validation
from sim.analysis.validation.runner import (
    DEFAULT_POPULATION,
    DEFAULT_REPLICATES,
    DEFAULT_STEPS,
    run,
)

__all__ = [
    "ACCUSATION_SPELL",
    "BASELINE",
    "BIGGER_PRIZE",
    "CLARIFICATION_ON",
    "CONFIDENCE",
    "CRACKDOWN_CAMPAIGN",
    "DEFAULT_POPULATION",
    "DERIVED_METRICS",
    "DEFAULT_REPLICATES",
    "DEFAULT_STEPS",
    "FACTS",
    "FRIGHTENED",
    "HIGH_RISK",
    "LAST_24",
    "MORE_DEMOTION",
    "MORE_FAULT_TOLERANCE",
    "POORER_PAY",
    "RANK_FACT_POPULATION",
    "RISK_NO_TOLERANCE",
    "RISK_NO_TOLERANCE_DEMOTION",
    "Check",
    "Condition",
    "Direction",
    "Estimate",
    "Fact",
    "FactResult",
    "Measure",
    "Regime",
    "Validation",
    "Window",
    "evaluate",
    "fact",
    "parse_only",
    "regime_scenarios",
    "run",
]
