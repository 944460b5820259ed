"""The single typed definition of every model parameter.

Each parameter is declared exactly once here, as a :class:`Param`: its group,
key, default, allowed range, unit, one-line meaning and the seed passage or
literature it comes from. Everything else in the project reads this table:

* :class:`sim.model.CadreModel` takes every parameter as a keyword argument
  named ``<group>_<key>`` (``fault_tolerance_coverage``) with the default
  given here;
* the one validator (:mod:`sim.parameters.schema`) builds its pydantic models
  from it, so ranges and types are checked in one place;
* ``docs/ODD.md``'s parameter table is generated from it
  (:func:`markdown_table`);
* the browser view builds its sliders from it.

Parameters are addressed as ``"group.key"`` in scenario files, ``--set``
options and results; as ``group_key`` keyword arguments in Python.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

__all__ = [
    "GROUPS",
    "PARAMS",
    "Param",
    "by_kwarg",
    "by_name",
    "defaults",
    "flatten",
    "group_params",
    "kwarg_of",
    "levers",
    "markdown_table",
    "nest",
]


@dataclass(frozen=True, slots=True)
class Param:
    """One model parameter: its identity, type, default, range and meaning.

    Attributes:
        group: parameter group, e.g. ``"fault_tolerance"``.
        key: name within the group, e.g. ``"coverage"``.
        default: default value (its Python type is the parameter's type).
        low: smallest allowed value (inclusive).
        high: largest allowed value (inclusive).
        unit: unit of measurement, e.g. ``"probability"``, ``"per month"``.
        meaning: one-line meaning, shown in docs, CLI and browser tooltips.
        source: the seed passage or literature the parameter represents.
        structural: fixed when the model is built (headcount, levels); cannot
            be changed by a timeline event.
        lever: a policy lever (shown as a slider in the browser view) rather
            than a behavioural constant of the decision rule.
        step: slider step for the browser view.

    """

    group: str
    key: str
    default: float | int | bool
    low: float | int
    high: float | int
    unit: str
    meaning: str
    source: str
    structural: bool = False
    lever: bool = True
    step: float | None = None

    @property
    def name(self) -> str:
        """Dotted name used in scenario files and results: ``group.key``."""
        return f"{self.group}.{self.key}"

    @property
    def kwarg(self) -> str:
        """Keyword-argument name used by :class:`~sim.model.CadreModel`."""
        return f"{self.group}_{self.key}"

    @property
    def type(self) -> type:
        """The Python type of the parameter (``bool``, ``int`` or ``float``)."""
        return type(self.default)

    @property
    def slider_step(self) -> float:
        """Step for a slider over the parameter's range."""
        if self.step is not None:
            return self.step
        if self.type is int:
            return 1
        return round((self.high - self.low) / 100, 6)


P = Param  # local shorthand for the table below

# fmt: off

#: Parameter groups in the order of the brief's lever table, with a title and
#: the seed passage each group stands for.
GROUPS: Mapping[str, str] = MappingProxyType(
    {
        "career": "Career rewards: the promotion tournament into scarce posts",
        "demotion": "Demotion intensity: 'able to go up and down' (Inner Mongolia)",
        "fault_tolerance": "Fault tolerance: exemption of honest mistakes (Gansu)",
        "accusation": "False-accusation risk and the discipline inspection channel",
        "crackdown": "Punishing false accusers (Heilongjiang special action)",
        "clarification": "Clarification of falsely accused cadres (Hainan, Zhejiang)",
        "discipline": "Discipline strictness: 'strict management'",
        "workforce": "Workforce: headcount, hierarchy, recruitment, staffing cuts",
        "behaviour": "Decision rule and learning (behavioural constants)",
        "simulation": "Simulation settings",
    }
)

PARAMS: tuple[Param, ...] = (
    # ---- career rewards -------------------------------------------------
    P("career", "performance_weight", 0.6, 0.0, 1.0, "share",
      "Weight of performance (vs seniority) in the promotion score",
      "Promotion tournament; 'career rewards' logic (Gao Xiang); Lazear & Rosen 1981"),
    P("career", "prize", 120.0, 0.0, 300.0, "utility",
      "Value of a promotion, weighed each month against the believed yearly promotion rate",
      "Career concerns (Holmstrom 1999); prize gap of a tournament"),
    P("career", "evaluation_noise", 0.8, 0.0, 3.0, "sd of score",
      "Noise in the annual evaluation score (in standard deviations of performance)",
      "Tournament theory: effort falls with evaluation noise"),
    P("career", "span", 4, 2, 10, "posts",
      "Posts supervised by one superior post: the steepness of the pyramid",
      "'Pyramid-shaped hierarchy (few posts at the top)'", structural=True),
    P("career", "min_tenure", 24, 0, 120, "months",
      "Months in post before a cadre is eligible for promotion",
      "Cadre regulations: minimum years in post before promotion"),
    P("career", "material_reward", 0.3, 0.0, 10.0, "utility per month",
      "Performance-related pay and allowances earned per month of full effort at ability 1 "
      "(forfeited while barred by a sanction)",
      "Material inducements (Chen, Keng & Zhang 2023, The China Journal 89): thin pay "
      "drives slack among lower-ranked cadres"),
    P("career", "age_ceiling", 50.0, 30.0, 60.0, "years",
      "Age from which a cadre is no longer eligible for promotion (60: no ceiling)",
      "Maximum ages for promotion at each level ('age has become a rigid lever', "
      "Economic Observer, 6 Aug 2012); blocked prospects of older cadres"),
    # ---- demotion ------------------------------------------------------
    P("demotion", "intensity", 0.03, 0.0, 1.0, "probability",
      "Chance that a cadre judged unfit at the annual evaluation is moved down",
      "Inner Mongolia: 'increasing the intensity of lowering'"),
    P("demotion", "detection", 0.3, 0.0, 1.0, "probability",
      "Chance that a cadre who lay flat for at least half the year is judged unfit",
      "Inner Mongolia: 20 specific situations for adjusting unfit cadres"),
    P("demotion", "bottom_share", 0.05, 0.0, 0.5, "share",
      "Share of lowest-scoring cadres at each level judged unfit",
      "Inner Mongolia: 'doing well and doing bad things'"),
    P("demotion", "loss", 4.0, 0.0, 50.0, "utility",
      "Value a cadre puts on losing a level (demotion, removal from post) or, at the bottom, "
      "a grade; weighed each month against the perceived yearly chance of it",
      "'Able to go up and down': the cost of moving down"),
    # ---- fault tolerance -------------------------------------------------
    P("fault_tolerance", "coverage", 0.2, 0.0, 1.0, "share",
      "Share of honest mistakes that qualify for fault-tolerant review",
      "Gansu: 12 types of situations that can be fault-tolerant and exempt"),
    P("fault_tolerance", "credibility", 0.5, 0.0, 1.0, "probability",
      "Chance that a qualifying case is really exempted or mitigated",
      "Gansu: 'refused, exempted, mitigated, or leniently dealt with'"),
    P("fault_tolerance", "mitigation", 1.0, 0.0, 1.0, "share",
      "Share of the penalty waived for an exempted case (1 = full exemption, less = mitigation)",
      "Gansu: exempt vs mitigate vs lenient treatment"),
    # ---- false-accusation risk --------------------------------------------
    P("accusation", "false_report_rate", 0.005, 0.0, 0.05, "per month",
      "Mean false reports per cadre per month (spread by visibility, rivalry) before deterrence",
      "'Fabricating facts and forging materials to report problems'"),
    P("accusation", "visibility_active", 3.0, 1.0, 10.0, "ratio",
      "How much more reportable an active cadre is than a routine one",
      "Active cadres are 'most visible; most exposed to complaints'"),
    P("accusation", "rival_share", 0.3, 0.0, 1.0, "share",
      "Share of false reports made by rivals, aimed at the best performers",
      "Sabotage in tournaments (Lazear 1989; Chen 2003)"),
    P("accusation", "rank_exposure", 0.5, 0.0, 3.0, "ratio per level",
      "Extra exposure to false reports per level above the bottom: leaders are more visible "
      "to complainants and to rivals",
      "Chen, Keng & Zhang 2023 (risk drives higher-ranked officials' slack); the brief's "
      "rival reports in the tournament for posts"),
    P("accusation", "investigation_accuracy", 0.85, 0.0, 1.0, "probability",
      "Chance that an investigation reaches the right verdict",
      "Deterrence with wrongful punishment (Png 1986; Kaplow & Shavell 1994)"),
    P("accusation", "investigation_months", 4.0, 1.0, 24.0, "months",
      "Mean duration of an investigation",
      "Discipline inspection procedure"),
    P("accusation", "investigation_harm", 0.03, 0.0, 0.2, "reputation per month",
      "Reputation lost for each month under investigation (besides the loss when it opens; "
      "promotion is frozen meanwhile)",
      "'Adverse political influence, loss of reputation, or accountability'"),
    P("accusation", "reputation_damage", 0.4, 0.0, 1.0, "share",
      "Share of reputation lost when a cadre comes under investigation",
      "'Loss of reputation' from false accusations"),
    P("accusation", "mistake_report_prob", 0.3, 0.0, 1.0, "probability",
      "Chance that an honest mistake is reported to the discipline channel",
      "True reports follow real mistakes"),
    # ---- punishing false accusers -------------------------------------------
    P("crackdown", "trace_probability", 0.05, 0.0, 1.0, "probability",
      "Chance that a report found false is traced and its accuser punished",
      "Heilongjiang: special action March to December to punish false accusers"),
    P("crackdown", "deterrence_strength", 0.8, 0.0, 1.0, "share",
      "Largest share of would-be false reports deterred at full deterrence",
      "Deterrence of future false reports"),
    P("crackdown", "deterrence_build", 0.15, 0.0, 1.0, "per month",
      "Speed at which deterrence rises towards the perceived punishment risk",
      "Deterrence builds during a campaign"),
    P("crackdown", "deterrence_fade", 0.06, 0.0, 1.0, "per month",
      "Speed at which deterrence fades when punishment risk falls",
      "Deterrence 'fades after a campaign ends' (brief)"),
    # ---- clarification --------------------------------------------------
    P("clarification", "coverage", 0.05, 0.0, 1.0, "share",
      "Share of cadres cleared of a false report who are publicly clarified",
      "Hainan, Zhejiang: public clarification conferences"),
    P("clarification", "restoration", 0.7, 0.0, 1.0, "share",
      "Share of the reputation lost to a false report restored by clarification",
      "Hainan: 'eliminated the negative impact' by a meeting and media"),
    P("clarification", "reach", 0.2, 0.0, 1.0, "share",
      "Share of cadres who see each month's clarifications (belief update)",
      "Zhejiang: live broadcast watched by hundreds of thousands"),
    P("clarification", "typical_cases", 0.0, 0.0, 1.0, "share",
      "Publicity of punished false-accusation cases, added to deterrence",
      "Zhejiang: 10 typical cases of false accusation announced"),
    # ---- discipline strictness ------------------------------------------------
    P("discipline", "severity", 13.0, 0.0, 60.0, "months",
      "Length of the sanction for a mistake or misconduct that is not exempted: months barred "
      "from promotion and performance pay; beyond 12 months a leading cadre may lose the post "
      "(certainly from 24)",
      "'Strict management'; CCP Regulations on Disciplinary Actions (2018), art. 10-11: "
      "warning 12 months, removal from post 24 months"),
    P("discipline", "accountability", 0.3, 0.0, 3.0, "ratio per level",
      "Extra exposure to honest mistakes per level above the bottom: a post holder answers "
      "for failures in the unit it leads",
      "CPC Accountability Regulation (2016, revised 2019): leading cadres are held "
      "accountable for failures in their units; Chen, Keng & Zhang 2023"),
    P("discipline", "misconduct_rate", 0.0005, 0.0, 0.01, "per month",
      "Chance per month that a cadre commits real misconduct",
      "True reports follow real misconduct"),
    # ---- workforce -----------------------------------------------------------
    P("workforce", "population", 1000, 20, 2_000_000, "cadres",
      "Number of posts (and of cadres at the start)",
      "Provincial cadre corps", structural=True, step=10),
    P("workforce", "levels", 5, 2, 8, "levels",
      "Number of levels in the hierarchy",
      "Section, division, department... levels", structural=True),
    P("workforce", "idealist_share", 0.4, 0.0, 1.0, "share",
      "Share of long-term idealists at the start and among recruits",
      "Gao Xiang: 'short-term realist' vs 'long-term idealist'; young-cadre programmes"),
    P("workforce", "demography", True, False, True, "switch",
      "Retirement at 60 and recruitment into vacant posts",
      "Retirement, recruitment"),
    P("workforce", "staffing_cut", 0.0, 0.0, 0.5, "share",
      "Share of posts abolished as they fall vacant (more work, fewer posts)",
      "Streamlining of staffing"),
    # ---- behaviour (decision rule and learning) ------------------------------
    P("behaviour", "choice_noise", 0.35, 0.02, 5.0, "utility",
      "Temperature of the logit choice between work states",
      "Noisy (logit) choice, not a hard threshold (brief)", lever=False),
    P("behaviour", "habit", 0.6, 0.0, 5.0, "utility",
      "Utility bonus for keeping last month's work state",
      "Inertia of work habits", lever=False),
    P("behaviour", "conformity", 0.2, 0.0, 5.0, "utility",
      "Weight of the unit's and superior's work states in one's own choice",
      "Work environment (Gao Xiang); Epstein 2002 local information", lever=False),
    P("behaviour", "service_motivation", 3.0, 0.0, 10.0, "utility per month",
      "Value an idealist puts on public value produced at full effort",
      "Public service motivation (Belle 2013; Dur & Zoutenbier 2015)", lever=False),
    P("behaviour", "effort_cost", 1.0, 0.0, 10.0, "utility per month",
      "Cost of full effort (quadratic in effort)",
      "Career concerns (Holmstrom 1999)", lever=False),
    P("behaviour", "risk_aversion", 1.0, 0.0, 5.0, "multiplier",
      "Mean weight on expected sanctions (public employees are risk-averse)",
      "Buurman, Delfgaauw, Dur & Van den Bossche 2012; Epstein 2002", lever=False),
    P("behaviour", "mistake_rate", 0.04, 0.0, 0.5, "per month",
      "Chance of an honest mistake per month for an active cadre",
      "'Mistakes made in promoting reform, exploring and innovating' (Gansu)", lever=False),
    P("behaviour", "innovation_rate", 0.05, 0.0, 0.5, "per month",
      "Chance of an innovation per month for an active cadre of ability 1",
      "'Policy innovation and policy reproduction' (Gao Xiang)", lever=False),
    P("behaviour", "learning_own", 0.4, 0.0, 1.0, "weight",
      "Belief update weight of one's own experience",
      "Beliefs learned from own experience (brief)", lever=False),
    P("behaviour", "learning_peer", 0.08, 0.0, 1.0, "weight",
      "Belief update weight of what colleagues in the unit experience",
      "Beliefs learned from colleagues (brief)", lever=False),
    P("behaviour", "learning_public", 0.05, 0.0, 1.0, "weight",
      "Belief update weight of public events one sees",
      "Beliefs learned from public events (brief)", lever=False),
    P("behaviour", "idealism_erosion", 0.3, 0.0, 1.0, "share",
      "Share of idealism lost to a false accusation or wrongful punishment",
      "Work experience drives hidden withdrawal (Gao Xiang 2022); brief", lever=False),
    P("behaviour", "idealism_recovery", 0.02, 0.0, 1.0, "per month",
      "Speed at which idealism recovers towards its long-run level",
      "Hysteresis: idealism recovers slowly (brief)", lever=False),
    P("behaviour", "reputation_recovery", 0.03, 0.0, 1.0, "per month",
      "Speed at which reputation recovers on its own",
      "Reputations recover slowly without clarification", lever=False),
    # ---- simulation settings ------------------------------------------------
    P("simulation", "warmup_months", 96, 0, 240, "months",
      "Months simulated under the starting regime before month 0 (not recorded), after "
      "the career replay",
      "Spin-up of beliefs, idealism and reputations: the shortest warm-up (of 0, 24, 48, 72, "
      "96) after which the baseline's 20-year drift meets issue 10's tolerances "
      "(benchmarks/stationarity.py)",
      structural=True, lever=False),
)
# fmt: on


def _index() -> tuple[Mapping[str, Param], Mapping[str, Param]]:
    names: dict[str, Param] = {}
    kwargs: dict[str, Param] = {}
    for p in PARAMS:
        if p.group not in GROUPS:
            raise RuntimeError(f"parameter {p.name} has unknown group {p.group!r}")
        if p.name in names or p.kwarg in kwargs:
            raise RuntimeError(f"parameter {p.name} is defined twice")
        if not (p.low <= p.default <= p.high):
            raise RuntimeError(f"default of {p.name} is outside its range")
        names[p.name] = p
        kwargs[p.kwarg] = p
    return MappingProxyType(names), MappingProxyType(kwargs)


_BY_NAME, _BY_KWARG = _index()


def by_name(name: str) -> Param:
    """Return the parameter called ``group.key`` (``KeyError`` if unknown)."""
    return _BY_NAME[name]


def by_kwarg(kwarg: str) -> Param:
    """Return the parameter whose keyword argument is ``group_key``."""
    return _BY_KWARG[kwarg]


def kwarg_of(name: str) -> str:
    """Translate ``"group.key"`` into the keyword argument ``"group_key"``."""
    return _BY_NAME[name].kwarg


def group_params(group: str) -> tuple[Param, ...]:
    """All parameters of one group, in definition order."""
    return tuple(p for p in PARAMS if p.group == group)


def levers() -> tuple[Param, ...]:
    """The policy levers (everything except behavioural constants)."""
    return tuple(p for p in PARAMS if p.lever)


def defaults() -> dict[str, float | int | bool]:
    """Default value of every parameter, keyed by dotted name."""
    return {p.name: p.default for p in PARAMS}


def flatten(nested: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """``{"group": {"key": v}}`` -> ``{"group.key": v}``."""
    return {f"{g}.{k}": v for g, table in nested.items() for k, v in table.items()}


def nest(flat: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{"group.key": v}`` -> ``{"group": {"key": v}}`` in definition order."""
    out: dict[str, dict[str, Any]] = {}
    for p in PARAMS:
        if p.name in flat:
            out.setdefault(p.group, {})[p.key] = flat[p.name]
    return out


def markdown_table(group: str | None = None) -> str:
    """A Markdown table of parameters (all, or one group) for the docs."""
    rows = [
        "| parameter | default | range | unit | meaning | source |",
        "|---|---|---|---|---|---|",
    ]
    for p in PARAMS:
        if group is not None and p.group != group:
            continue
        rng = "true/false" if p.type is bool else f"{p.low} to {p.high}"
        default = str(p.default).lower() if p.type is bool else f"{p.default}"
        flags = " (fixed at start)" if p.structural else ""
        rows.append(
            f"| `{p.name}` | {default} | {rng} | {p.unit} | {p.meaning}{flags} | {p.source} |"
        )
    return "\n".join(rows) + "\n"
