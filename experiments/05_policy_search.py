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
# # Policy search: which bundle of reforms trades off best?
#
# *Which bundle of levers keeps lying flat lowest with the fewest wrongful punishments,
# at the least cost?* `search_reform_bundle.toml` searches three levers of the combined
# reform (fault tolerance, clarification, demotion) with NSGA-II (pymoo). Every
# candidate runs under a sample of an uncertain behavioural constant (risk aversion)
# with common replicate seeds; the Pareto front lists the candidates no other candidate
# beats on every objective, each objective with its 95% interval over replicates.
#
# Size: `CADRE_SIM_NOTEBOOK_SCALE` = `small` (seconds), `default` (the file as shipped,
# a few minutes on two cores) or `large`; results under `CADRE_SIM_NOTEBOOK_OUT`.
# The same run from the command line:
# `cadre-sim search experiments/search_reform_bundle.toml --out results/reform_bundle`.

# %%
import io

from IPython.display import Image, Markdown, display

from sim.analysis.decide import files, search
from sim.analysis.decide.evaluate import ModelEvaluator, prepare_folder
from sim.analysis.experiment import notebook_scale


def show(figure):
    """Display a matplotlib Figure (drawn on its own canvas) as a PNG image."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    display(Image(data=buffer.getvalue()))


scale = notebook_scale()
experiment = files.at_scale(files.load("search_reform_bundle"), scale.name)
out = prepare_folder(
    files.notebook_folder(scale.root, "05_policy_search", scale.name),
    "search",
    experiment.to_dict(),
    resume=False,
)
problem = experiment.problem
print(f"scale {scale.name}: {problem.generations} generations x {problem.candidates} candidates")
print("levers:", ", ".join(r.describe() for r in problem.levers))
print("objectives:", ", ".join(problem.names))

# %% [markdown]
# ## Run the search
# Each generation is one batch of runs (`rounds/generation_NNN` in the results folder),
# so an interrupted search continues with `cadre-sim search ... --resume --out DIR`.

# %%
evaluator = ModelEvaluator(
    experiment.plan, experiment.metrics, out=out, executor=scale.executor, progress=False
)
result = experiment.run(evaluator)
print(f"{evaluator.runs_used} runs; {int(result.archive['front'].sum())} candidates on the front")

# %% [markdown]
# ## The Pareto front
# One row per non-dominated candidate: the lever values and each objective with its
# 95% t-interval over the replicates.

# %%
front = search.front_table(result)
front.drop(columns=["generation", "candidate"]).round(4)

# %%
show(search.draw_front(result))

# %% [markdown]
# ## Trade-offs along the front
# How the front's lever values relate to its flat share: which lever buys the lowest
# flat share, and what it costs in wrongful punishments.

# %%
lever_names = [r.name for r in problem.levers]
front[[*lever_names, *problem.names]].corr().loc[lever_names, list(problem.names)].round(2)

# %% [markdown]
# ## Export a front point as a scenario
# Any point of the front is a scenario file that `cadre-sim run` accepts; the report
# writes them all to `front/`.

# %%
written = experiment.write_report(result, out)
best = search.front_scenario(result, int(front["flat_share"].idxmin()), experiment.plan.base)
display(Markdown(f"Lowest flat share: `{best.name}` - {best.description}"))
print("\n".join(f"wrote {p}" for p in written))
