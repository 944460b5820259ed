# ---
# jupyter:
#   jupytext:
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
# # 3. Which levers matter? Morris screening of all policy levers
#
# `experiments/lever_sensitivity.toml` varies every non-structural policy lever of
# `sim/parameters/registry.py` over its whole allowed range. Morris elementary effects
# (SALib) move one lever at a time along random trajectories; each point runs through the
# batch machinery (`sim.analysis.experiment.run_design`) and the analysis uses each point's
# **replicate mean**. `mu*` (mean absolute elementary effect) ranks overall influence;
# `sigma` (their spread) flags interactions and non-linearity. The same code
# (`sim.analysis.sensitivity.run`) is tested on toy functions of known sensitivity.
#
# **Size.** The notebook runs the shipped experiment file as it is (a few minutes on two
# cores). Set the environment variable `CADRE_SIM_NOTEBOOK_SCALE=small` for a quick look
# (2 replicates of 150 cadres over 36 months, as the test suite runs it) or `large` for four
# times the replicates; `CADRE_SIM_NOTEBOOK_OUT` sets the folder results go under (default
# `results/notebooks/`, git-ignored). Each run of the notebook starts a fresh results folder.

# %%
import matplotlib.pyplot as plt
import seaborn as sns
from IPython.display import Image, display

from sim.analysis import experiment, figures, sensitivity

sns.set_theme(style="whitegrid", context="notebook")

# CADRE_SIM_NOTEBOOK_SCALE=small|default|large; CADRE_SIM_NOTEBOOK_OUT=<folder>
scale = experiment.notebook_scale()

plan = scale.apply(experiment.load("lever_sensitivity"))
out = scale.folder("03_lever_sensitivity")
problem = plan.problem()
points = plan.trajectories * (len(problem.names) + 1)
print(
    f"scale {scale.name}: {len(problem.names)} levers, {plan.trajectories} trajectories = "
    f"{points} points x {plan.replicates} replicates, {plan.population} cadres, "
    f"{plan.steps} months -> {out}"
)


# %%
def evaluate(samples):
    """Run the sampled points through the batch machinery; return replicate means."""
    design = plan.design_from_matrix(samples, "morris")
    run = experiment.run_design(design, out=out, executor=scale.executor)
    assert run.batch.failed == 0, run.batch.failures
    return run.point_means()[list(plan.metrics)]


result = sensitivity.run(
    "morris",
    problem,
    evaluate,
    trajectories=plan.trajectories,
    levels=plan.levels,
    seed=plan.seed,
    note=f"Each point's output is the mean over {plan.replicates} replicate(s) of each run's "
    f"mean over its last {plan.window} months.",
)
print(result.describe())
written = sensitivity.write_report(result, out, title="Sensitivity analysis of all levers")

# %% [markdown]
# ## The ten most influential levers for the flat share

# %%
flat = result.table[result.table["output"] == "flat_share"]
flat.head(10).round(4)

# %%
ranks = result.table.pivot(index="parameter", columns="output", values="rank")
ranks = ranks.loc[result.ranking("flat_share")]
ranks.head(15)

# %% [markdown]
# ## The Morris plane
#
# Levers far to the right matter; levers high up act through interactions or non-linearly
# (their effect depends on where the other levers are).

# %%
figure, axes = plt.subplots(figsize=(8, 6))
sns.scatterplot(
    data=flat, x="mu_star", y="sigma", hue=flat["parameter"].str.split(".").str[0], s=60, ax=axes
)
for _, row in flat.head(8).iterrows():
    axes.annotate(
        row["parameter"],
        (row["mu_star"], row["sigma"]),
        fontsize=8,
        xytext=(4, 3),
        textcoords="offset points",
    )
axes.set_xlabel("mu* (mean |elementary effect| on the flat share)")
axes.set_ylabel("sigma")
axes.set_title("Morris plane: flat share", loc="left")
sns.move_legend(axes, "upper left", bbox_to_anchor=(1.01, 1), frameon=False, title="group")
figures.save(figure, out / "figures" / "morris_plane_flat_share.png", bbox_inches="tight")
plt.show()

# %% [markdown]
# ## Influence by lever group
#
# `mu*` relative to the most influential lever of each output, summed over the levers of
# each group.

# %%
table = result.table.copy()
table["group"] = table["parameter"].str.split(".").str[0]
table["relative"] = table["mu_star"] / table.groupby("output")["mu_star"].transform("max")
groups = table.groupby(["group", "output"], as_index=False)["relative"].sum()
figure, axes = plt.subplots(figsize=(9, 5))
order = groups[groups["output"] == "flat_share"].sort_values("relative", ascending=False)["group"]
sns.barplot(data=groups, x="relative", y="group", hue="output", order=order, ax=axes)
axes.set_xlabel("sum of mu* / largest mu* of the output")
axes.set_title("Influence of each lever group", loc="left")
figures.save(figure, out / "figures" / "influence_by_group.png", bbox_inches="tight")
plt.show()

# %%
display(Image(filename=str(out / "figures" / "sensitivity_flat_share.png")))

# %% [markdown]
# **Reading the results.** The levers vary over their whole allowed ranges, so most points
# lie far from the calibrated baseline. A lever whose effect needs other levers to be "on"
# screens as weak there: fault tolerance only acts on honest mistakes that are reported
# (`accusation.mistake_report_prob`) and would be punished (`discipline.severity`), and its
# three parameters multiply each other. For a local picture around the status quo, give
# `low` and `high` for each `[[vary]]` entry (e.g. half to twice the baseline value).
# With few trajectories (the `small` scale) the ranking is rough:
# raise `trajectories` (command line: `cadre-sim sensitivity experiments/lever_sensitivity.toml
# --trajectories 20`) before drawing conclusions. For variance shares of the few levers that
# screen as important, run a Sobol' analysis on them (`--method sobol`, with narrower ranges).
