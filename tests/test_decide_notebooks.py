"""The search, discovery and calibration notebooks run top to bottom at the small scale.

The notebooks are jupytext percent-format scripts (``experiments/0[5-7]_*.py``);
each is converted with jupytext and executed with nbclient in a clean
``python3`` kernel of this interpreter, with ``CADRE_SIM_NOTEBOOK_SCALE=small``
and its results under a temporary folder (the fixture of
``tests/conftest.py``). A failing cell fails the test.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest
from nbclient import NotebookClient

EXPERIMENTS = Path(__file__).resolve().parent.parent / "experiments"
NOTEBOOKS = {
    "05_policy_search": "search_reform_bundle",
    "06_scenario_discovery": "discover_reform_failure",
    "07_calibration": "calibrate_survey_moments",
}


def test_search_discover_calibrate_notebooks_are_shipped_as_percent_scripts():
    for stem, experiment in NOTEBOOKS.items():
        path = EXPERIMENTS / f"{stem}.py"
        text = path.read_text(encoding="utf-8")
        assert "# %%" in text and "format_name: percent" in text, stem
        assert experiment in text and "notebook_scale()" in text, stem
        assert (EXPERIMENTS / f"{experiment}.toml").is_file()


@pytest.mark.timeout(300)
@pytest.mark.parametrize("stem", list(NOTEBOOKS))
def test_search_discover_calibrate_notebook_runs_at_small_scale(stem, kernel_environment):
    notebook = jupytext.read(EXPERIMENTS / f"{stem}.py")
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=240,
        resources={"metadata": {"path": str(EXPERIMENTS)}},
    )
    client.execute()  # raises CellExecutionError if a cell fails
    folder = kernel_environment / f"{stem}-small"
    assert (folder / "decide.json").is_file()
    assert sorted((folder / "figures").glob("*.png")), f"{stem} saved no figures"
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert any("image/png" in o.get("data", {}) for o in outputs), f"{stem} showed no figure"
    assert not [o for o in outputs if o.get("output_type") == "error"]
