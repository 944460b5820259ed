"""The experiment notebooks run top to bottom at the small scale, in a clean kernel.

The notebooks are jupytext percent-format scripts (``experiments/0N_*.py``):
each is converted with jupytext and executed with nbclient in a ``python3``
kernel that is resolved to this interpreter (a kernelspec written into a
temporary JUPYTER_PATH folder), with ``CADRE_SIM_NOTEBOOK_SCALE=small`` and its
results written under a temporary folder. A failing cell fails the test.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest
from nbclient import NotebookClient

EXPERIMENTS = Path(__file__).resolve().parent.parent / "experiments"
#: Every notebook (each must be canonical percent format).
ALL_NOTEBOOKS = sorted(EXPERIMENTS.glob("[0-9][0-9]_*.py"))
#: The sweep notebooks run here; the decision notebooks (05-07) in test_decide_notebooks.py.
NOTEBOOKS = [p for p in ALL_NOTEBOOKS if p.stem[:2] in ("01", "02", "03", "04")]


def test_the_four_notebooks_are_shipped_as_percent_scripts():
    assert [p.stem for p in NOTEBOOKS] == [
        "01_compare_scenarios",
        "02_tolerance_by_risk",
        "03_lever_sensitivity",
        "04_crackdown_event_study",
    ]


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=[p.stem for p in ALL_NOTEBOOKS])
def test_notebook_is_canonical_percent_format(path):
    notebook = jupytext.read(path)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    assert notebook.cells[0].cell_type == "markdown"
    assert notebook.cells[0].source.startswith("# ")  # the title
    assert sum(cell.cell_type == "code" for cell in notebook.cells) >= 3
    # jupytext writes the file back unchanged (its version line aside), so opening and
    # saving it in Jupyter gives no spurious diff
    written = jupytext.writes(notebook, fmt="py:percent").splitlines()
    assert [line for line in written if "jupytext_version" not in line] == (
        path.read_text(encoding="utf-8").splitlines()
    )


@pytest.mark.timeout(300)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom_at_small_scale(path, kernel_environment):
    notebook = jupytext.read(path)
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=240,
        resources={"metadata": {"path": str(EXPERIMENTS)}},
    )
    client.execute()  # raises CellExecutionError if a cell fails
    folder = kernel_environment / f"{path.stem}-small"
    assert (folder / "manifest.json").is_file()
    figures = sorted((folder / "figures").glob("*.png"))
    assert figures, f"{path.stem} saved no figures"
    images = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    ]
    assert images, f"{path.stem} displayed no figures"
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.get("output_type") == "error"
    ]
    assert not errors
