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
# # 2. Fault tolerance x false-accusation risk
#
# Fault tolerance (Gansu's "12 types of situations that can be fault-tolerant and exempt")
# lowers the expected sanction for an honest mistake; false accusations raise the expected
# harm of being visible. Both act on the active cadre's exposure, so the benefit of fault
# tolerance may depend on how much false-accusation risk there is. This notebook runs the
# grid of `experiments/tolerance_by_risk.toml` (fault-tolerance coverage x false-report rate)
# through `sim.analysis.experiment.run_design` (the batch machinery, paired seeds) and draws
# the flat share as a heatmap, then estimates the interaction.
#
# **Size.** The notebook runs the shipped experiment file as it is (a few minutes on two
# cores). Set the environment variable `CADRE_SIM_NOTEBOOK_SCALE=small` for a quick look
# (2 replicates of 150 cadres over 36 months, as the test suite runs it) or `large` for four
# times the replicates; `CADRE_SIM_NOTEBOOK_OUT` sets the folder results go under (default
# `results/notebooks/`, git-ignored). Each run of the notebook starts a fresh results folder.

# %%
import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from sim.analysis import experiment, figures
from sim.analysis.stats import mean_interval

sns.set_theme(style="whitegrid", context="notebook")

# CADRE_SIM_NOTEBOOK_SCALE=small|default|large; CADRE_SIM_NOTEBOOK_OUT=<folder>
scale = experiment.notebook_scale()

plan = scale.apply(experiment.load("tolerance_by_risk"))
out = scale.folder("02_tolerance_by_risk")
coverage, risk = plan.parameters
design = plan.build_design()
print(
    f"scale {scale.name}: {len(design)} points x {plan.replicates} replicates, "
    f"{plan.population} cadres, {plan.steps} months -> {out}"
)
design.table.head()

# %%
run = experiment.run_design(design, out=out, executor=scale.executor)
assert run.batch.failed == 0, run.batch.failures
runs = run.runs[run.runs["status"] == "done"]
print(
    f"{run.batch.total} runs in {run.batch.wall_time:.1f} s; "
    f"design.csv and experiment.json are in {out}"
)

# %% [markdown]
# ## The flat share over the grid
#
# Mean over replicates of each run's mean over the last `window` months.

# %%
means = run.point_means()
grid = means.pivot(index=risk, columns=coverage, values="flat_share").sort_index(ascending=False)
figure, axes = plt.subplots(figsize=(8, 5.5))
sns.heatmap(grid, annot=True, fmt=".3f", cmap="rocket_r", cbar_kws={"label": "flat share"}, ax=axes)
axes.set_xlabel(f"{coverage} (share of honest mistakes that qualify)")
axes.set_ylabel(f"{risk} (per cadre per month)")
axes.set_title(f"Flat share, months {plan.steps - plan.window + 1}-{plan.steps}", loc="left")
figures.save(figure, out / "figures" / "flat_share_heatmap.png", bbox_inches="tight")
plt.show()

# %%
figure, axes = plt.subplots(figsize=(8, 5))
sns.lineplot(
    data=runs,
    x=coverage,
    y="flat_share",
    hue=risk,
    palette="flare",
    errorbar=figures.t_errorbar(),
    marker="o",
    ax=axes,
)
axes.set_title(
    "Flat share against fault tolerance, one line per false-report rate (95% t-bands)", loc="left"
)
figures.save(figure, out / "figures" / "flat_share_lines.png", bbox_inches="tight")
plt.show()

# %% [markdown]
# ## Does fault tolerance matter more when false accusations are common?
#
# The effect of fault tolerance at each risk level: flat share at the highest coverage minus
# flat share at the lowest, paired by replicate (same seeds), with its 95% t-interval. The
# interaction is the difference of that effect between the highest and the lowest risk
# level, again paired by replicate.

# %%
low, high = runs[coverage].min(), runs[coverage].max()
wide = runs.pivot_table(index=[risk, "replicate"], columns=coverage, values="flat_share")
effect = (wide[high] - wide[low]).rename("effect").reset_index()
rows = []
for level, values in effect.groupby(risk):
    mean, ci_low, ci_high = mean_interval(values["effect"])
    rows.append({risk: level, "effect": mean, "ci_low": ci_low, "ci_high": ci_high})
effects = pd.DataFrame(rows)

figure, axes = plt.subplots(figsize=(8, 4.5))
axes.errorbar(
    effects[risk],
    effects["effect"],
    yerr=[effects["effect"] - effects["ci_low"], effects["ci_high"] - effects["effect"]],
    fmt="o-",
    capsize=4,
)
axes.axhline(0, color="0.3", linewidth=1)
axes.set_xlabel(risk)
axes.set_ylabel(f"flat share at coverage {high:g} minus at {low:g}")
axes.set_title("Effect of fault tolerance by false-accusation risk (95% t-intervals)", loc="left")
figures.save(figure, out / "figures" / "tolerance_effect_by_risk.png", bbox_inches="tight")
plt.show()

by_replicate = effect.pivot(index="replicate", columns=risk, values="effect")
lowest, highest = by_replicate.columns.min(), by_replicate.columns.max()
mean, ci_low, ci_high = mean_interval(by_replicate[highest] - by_replicate[lowest])
print(
    f"interaction: effect at risk {highest:g} minus effect at risk {lowest:g} = "
    f"{mean:+.4f} (95% CI {ci_low:+.4f} to {ci_high:+.4f})"
)
effects.round(4)

# %% [markdown]
# **Reading the results.** A negative effect means fault tolerance lowers the flat share; if
# the effect grows (more negative) with risk, the two levers are complements. The same sweep
# runs from the command line: `cadre-sim sweep experiments/tolerance_by_risk.toml --out
# results/tolerance_by_risk` writes `sweep.csv`, `sweep.md` and the heatmap.
