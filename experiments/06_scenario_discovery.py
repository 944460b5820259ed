# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Scenario discovery: when does a reform fail to lower the flat share?
#
# `discover_reform_failure.toml` raises fault tolerance and clarification by random
# amounts while cadres' behaviour is uncertain (risk aversion, honest-mistake rate,
# public service motivation). Each sampled point runs with and without the reform
# under the same constants and seeds; a *case of interest* is a reform that lowers the
# flat share by less than one percentage point. PRIM (EMA Workbench) finds the box of
# conditions where such cases concentrate: coverage (share of all cases inside the box)
# against density (share of the box that are cases) along its peeling trajectory.
#
# Size: `CADRE_SIM_NOTEBOOK_SCALE` = `small`, `default` or `large`. Command line:
# `cadre-sim discover experiments/discover_reform_failure.toml --out results/reform_failure`.

# %%
import io

from IPython.display import Image, display

from sim.analysis.decide import discover, files
from sim.analysis.decide.evaluate import ModelEvaluator, prepare_folder
from sim.analysis.experiment import notebook_scale


def show(figure):
    """Display a matplotlib Figure (drawn on its own canvas) as a PNG image."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    display(Image(data=buffer.getvalue()))


scale = notebook_scale()
experiment = files.at_scale(files.load("discover_reform_failure"), scale.name)
out = prepare_folder(
    files.notebook_folder(scale.root, "06_scenario_discovery", scale.name),
    "discover",
    experiment.to_dict(),
    resume=False,
)
problem = experiment.problem
print(f"scale {scale.name}: {problem.samples} points; case of interest: {problem.case_rule()}")

# %%
evaluator = ModelEvaluator(
    experiment.plan, experiment.metrics, out=out, executor=scale.executor, progress=False
)
result = experiment.run(evaluator)
points = result.points
print(f"{evaluator.runs_used} runs; {int(points['case'].sum())} of {len(points)} points are cases")

# %% [markdown]
# ## The outcome over the sample
# The paired difference in the flat share (reform minus status quo) at each point.

# %%
points[problem.outcome].describe().round(4)

# %% [markdown]
# ## The boxes
# Each restricted dimension of a box with its limits, the sampled range and the
# quasi-p values of the restriction (could it be chance?).

# %%
discover.boxes_table(result).round(4)

# %%
show(discover.draw_trajectory(result))

# %%
for box in result.boxes:
    show(discover.draw_box(result, box.number))

# %%
written = experiment.write_report(result, out)
print("\n".join(f"wrote {p}" for p in written))
