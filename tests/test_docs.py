"""docs/ODD.md must not drift from the code.

* The parameter table in section 8 is exactly what :mod:`sim.params` generates now.
* Every output in :data:`sim.model.OUTPUTS` is defined in section 9 (and nothing else
  is listed there).
* Every constant of the decision rule, learning and evaluation is stated in the doc
  with its current value, and no statement of it gives another value.
* Every stylized-fact test named in section 1 exists (once the test module exists).

After changing ``sim/params.py``, regenerate the table with::

    .venv/bin/python tests/test_docs.py --write
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.model import OUTPUTS, CadreModel, constants
from sim.parameters import registry as params

ROOT = Path(__file__).resolve().parents[1]
ODD = ROOT / "docs" / "ODD.md"
STYLIZED_TESTS = ROOT / "tests" / "test_stylized_facts.py"

BEGIN = "<!-- BEGIN PARAMETER TABLE (generated from sim/params.py) -->"
END = "<!-- END PARAMETER TABLE -->"

#: Module-level constants the doc must state with their current value.
CONSTANTS = {
    constants: (
        "EFFORT",
        "MISTAKE_EXPOSURE",
        "FLAT_VISIBILITY",
        "SUPERIOR_NORM_WEIGHT",
        "REPUTATION_VALUE",
        "RETIREMENT_AGE",
        "RECRUIT_AGE",
        "REPUTATION_BASELINE",
        "INNOVATION_VALUE",
        "REPUTATION_SCORE_WEIGHT",
        "IDEALISM_TENURE_DECAY",
        "BELIEF_SPEED",
        "ANNUAL_BELIEF_SPEED",
        "CLEARED_WINDOW",
        "BURN_IN_ROUNDS",
        "WARNING_MONTHS",
        "REMOVAL_MONTHS",
        "GRADE_LOSS_MONTHS",
        "ABILITY_MEAN",
        "ABILITY_SD",
        "ABILITY_BOUNDS",
        "RISK_AVERSION_LOG_MEAN",
        "RISK_AVERSION_LOG_SD",
        "IDEALISM_BETA",
        "REPUTATION_NOISE",
        "BELIEF_NOISE",
        "UNFIT_MONTHS",
        "RIVAL_ABILITY_EXPONENT",
        "MILD_EROSION",
        "CAREER_REPLAY_YEARS",
        "LONG_AGO",
    ),
}

#: The stylized-fact tests section 1 names (one or two per pattern).
STYLIZED_FACT_TESTS = (
    "test_fault_tolerance_lowers_flat_share_and_raises_innovation",
    "test_false_accusation_risk_raises_flat_share_and_hits_active_hardest",
    "test_clarification_lowers_flat_share_and_restores_reputation",
    "test_crackdown_campaign_deters_then_fades",
    "test_demotion_moves_realists_not_idealists",
    "test_demotion_under_high_risk_pushes_into_routine",
    "test_realists_respond_more_to_career_rewards",
    "test_strict_discipline_without_tolerance_frightens_officials",
    "test_false_accusation_spell_leaves_hysteresis",
)


def parameter_table() -> str:
    """The parameter section as generated now: one table per group, under its title."""
    return "\n".join(
        f"### {title}\n\n{params.markdown_table(group)}"
        for group, title in params.GROUPS.items()
        if params.group_params(group)
    )


def with_table(doc: str) -> str:
    """``doc`` with the text between the table markers replaced by :func:`parameter_table`."""
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{parameter_table()}{END}{tail}"


def section(doc: str, number: int) -> str:
    """The text of top-level section ``## <number> ...`` up to the next ``## ``."""
    match = re.search(rf"^## {number} .*?(?=^## |\Z)", doc, re.M | re.S)
    assert match, f"docs/ODD.md has no section '## {number} ...'"
    return match.group(0)


def fmt(value: object) -> str:
    """A constant's value as the doc writes it: ``repr``, arrays as lists of floats."""
    if isinstance(value, np.ndarray):
        return "[" + ", ".join(repr(x) for x in value.tolist()) + "]"
    if isinstance(value, np.generic):
        return repr(value.item())
    if isinstance(value, dict):
        items = (f"{getattr(k, 'name', repr(k))}: {fmt(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    return repr(value)


def value_statements(doc: str, name: str) -> list[str]:
    """Every value the doc states for constant ``name``.

    A statement is a table row whose first two cells are `` `NAME` `` and
    `` `VALUE` ``, or an inline code span `` `NAME = VALUE` ``.
    """
    row = re.compile(rf"^\|\s*`{name}`\s*\|\s*`([^`]*)`\s*\|", re.M)
    inline = re.compile(rf"`{name}\s*=\s*([^`]*)`")
    return [m.group(1).strip() for m in row.finditer(doc)] + [
        m.group(1).strip() for m in inline.finditer(doc)
    ]


@pytest.fixture(scope="module")
def doc() -> str:
    return ODD.read_text(encoding="utf-8")


def test_parameter_table_is_generated_from_params(doc):
    assert doc.count(BEGIN) == 1 and doc.count(END) == 1, "table markers missing or repeated"
    assert doc.index(BEGIN) < doc.index(END)
    assert doc == with_table(doc), (
        "the parameter table in docs/ODD.md differs from sim/params.py; regenerate it "
        "with `.venv/bin/python tests/test_docs.py --write`"
    )
    # every parameter really is in it
    table = doc.split(BEGIN, 1)[1].split(END, 1)[0]
    for p in params.PARAMS:
        assert f"| `{p.name}` |" in table, p.name


def test_every_output_is_defined(doc):
    outputs = section(doc, 9)
    rows = set(re.findall(r"^\| `([A-Za-z0-9_<>]+)` \|", outputs, re.M))
    missing = [name for name in OUTPUTS if name not in rows]
    assert not missing, f"outputs not defined in section 9 of docs/ODD.md: {missing}"
    by_level = {"flat_share_level<k>", "active_share_level<k>"}
    assert by_level <= rows, "by-level outputs not defined in section 9"
    stale = rows - set(OUTPUTS) - by_level
    assert not stale, f"section 9 defines outputs the model no longer has: {sorted(stale)}"
    for name in OUTPUTS:
        assert f"`{name}`" in doc


def test_by_level_outputs_match_the_model():
    m = CadreModel(rng=0, workforce_population=60, workforce_levels=3, simulation_warmup_months=0)
    extra = [name for name in m.output_names if name not in OUTPUTS]
    assert extra == [f"{s}_level{k}" for s in ("flat_share", "active_share") for k in (1, 2, 3)]


@pytest.mark.parametrize(
    ("module", "name"),
    [(module, name) for module, names in CONSTANTS.items() for name in names],
    ids=lambda x: x if isinstance(x, str) else x.__name__,
)
def test_constant_is_stated_with_its_current_value(doc, module, name):
    value = fmt(getattr(module, name))
    stated = value_statements(doc, name)
    assert stated, (
        f"docs/ODD.md never states {name} (as a row '| `{name}` | `{value}` |' "
        f"or as '`{name} = {value}`')"
    )
    wrong = [s for s in stated if s != value]
    assert not wrong, f"docs/ODD.md states {name} as {wrong}, but the code has {value}"


def test_stylized_fact_tests_are_named(doc):
    patterns = section(doc, 1)
    for name in STYLIZED_FACT_TESTS:
        assert f"`{name}`" in patterns, name


def test_named_stylized_fact_tests_exist():
    if not STYLIZED_TESTS.exists():
        pytest.skip("tests/test_stylized_facts.py does not exist yet")
    tree = ast.parse(STYLIZED_TESTS.read_text(encoding="utf-8"))
    defined = {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    missing = [name for name in STYLIZED_FACT_TESTS if name not in defined]
    assert not missing, f"docs/ODD.md names tests that do not exist: {missing}"


def test_calibration_script_exists_and_compiles():
    script = ROOT / "docs" / "dev" / "calibration_check.py"
    compile(script.read_text(encoding="utf-8"), str(script), "exec")


if __name__ == "__main__":
    text = ODD.read_text(encoding="utf-8")
    if "--write" in sys.argv[1:]:
        ODD.write_text(with_table(text), encoding="utf-8")
        print(f"regenerated the parameter table in {ODD}")
    else:
        print(parameter_table(), end="")
