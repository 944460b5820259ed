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
# # 1. The shipped scenarios compared
#
# The question users ask of the model: *if a province adopts policy X, or a bundle of them,
# how many of its cadres will be lying flat after a few years, and what else changes?*
# This notebook runs every scenario in `scenarios/` (experiment file
# `experiments/scenario_comparison.toml`) with the batch machinery, replicate *k* of every
# scenario on the same seed, and compares them: means with 95% t-intervals, paired
# differences from the baseline, the time path of the flat share, and trade-offs.
#
# **Size.** The notebook runs the shipped experiment file as it is (a few minutes on two
# cores). Set the environment variable `CADRE_SIM_NOTEBOOK_SCALE=small` for a quick look
# (2 replicates of 150 cadres over 36 months, as the test suite runs it) or `large` for four
# times the replicates; `CADRE_SIM_NOTEBOOK_OUT` sets the folder results go under (default
# `results/notebooks/`, git-ignored). Each run of the notebook starts a fresh results folder.

# %%
import matplotlib.pyplot as plt
import seaborn as sns

from sim.analysis import experiment, figures
from sim.analysis.compare import compare
from sim.runs import store as results
from sim.runs.batch import run_batch

sns.set_theme(style="whitegrid", context="notebook")

# CADRE_SIM_NOTEBOOK_SCALE=small|default|large; CADRE_SIM_NOTEBOOK_OUT=<folder>
scale = experiment.notebook_scale()

plan = scale.apply(experiment.load("scenario_comparison"))
out = scale.folder("01_compare_scenarios")
print(
    f"scale {scale.name}: {len(plan.scenarios)} scenarios x {plan.replicates} replicates, "
    f"{plan.population} cadres, {plan.steps} months -> {out}"
)

# %% [markdown]
# ## Run the batch
#
# One call of `run_batch`: the same store, seeds and executors as `cadre-sim batch`.

# %%
summary = run_batch(
    list(plan.scenarios),
    plan.replicates,
    steps=plan.steps,
    root_seed=plan.seed,
    out=out,
    population=plan.population,
    executor=scale.executor,
    summary_metrics=plan.metrics,
    summary_window=plan.window,
)
assert summary.failed == 0, summary.failures
print(f"{summary.total} runs in {summary.wall_time:.1f} s on {summary.executor}")

# %% [markdown]
# ## Means over replicates
#
# Each run is reduced to its mean over the last `window` months (`sim.results.summaries`);
# the table shows the mean over replicates of each output.

# %%
per_run = results.summaries(out, plan.metrics, window=plan.window)
first_month = plan.steps - plan.window + 1
means = per_run.groupby("scenario", observed=True)[list(plan.metrics)].mean()
print(f"mean of months {first_month}-{plan.steps} over {plan.replicates} replicates")
means.round(4)

# %% [markdown]
# ## Paired differences from the baseline
#
# `sim.analysis.compare.compare` pairs replicate *k* of each scenario with replicate *k* of the
# baseline (same seed) and reports the mean difference with its 95% t-interval, Cohen's
# *d_z* and the paired t-test p-value.

# %%
comparison = compare(out, baseline="baseline", metrics=plan.metrics, window=plan.window)
differences = comparison.table[comparison.table["scenario"] != "baseline"]
columns = ["scenario", "difference", "difference_ci_low", "difference_ci_high", "d_z", "p_value"]
differences[differences["metric"] == "flat_share"][columns].round(4)

# %%
shown = [
    m
    for m in ("flat_share", "active_share", "innovations", "wrongful_punishments")
    if m in plan.metrics
]
height = 0.45 * len(plan.scenarios) + 1.5
figure, panels = plt.subplots(
    1, len(shown), figsize=(4.2 * len(shown), height), sharey=True, squeeze=False
)
for axes, metric in zip(panels[0], shown, strict=True):
    rows = differences[differences["metric"] == metric]
    axes.errorbar(
        rows["difference"],
        rows["scenario"].astype(str),
        xerr=[
            rows["difference"] - rows["difference_ci_low"],
            rows["difference_ci_high"] - rows["difference"],
        ],
        fmt="D",
        color="C3",
        capsize=3,
    )
    axes.axvline(0, color="0.3", linewidth=1)
    axes.set_title(metric, loc="left")
    axes.set_xlabel("difference from baseline")
figure.suptitle(
    f"Paired differences from the baseline (months {first_month}-{plan.steps}), "
    "mean and 95% t-interval",
    x=0.01,
    ha="left",
)
figures.save(figure, out / "figures" / "differences.png", bbox_inches="tight")
plt.show()

# %% [markdown]
# ## The flat share over time
#
# Mean over replicates with a 95% t-band; month 0 is the state after the warm-up.

# %%
series = results.load(out, columns=["flat_share", "active_share"])
figure, axes = plt.subplots(figsize=(10, 5))
sns.lineplot(
    data=series, x="month", y="flat_share", hue="scenario", errorbar=figures.t_errorbar(), ax=axes
)
axes.axvspan(first_month - 0.5, plan.steps + 0.5, color="0.9", zorder=0)
axes.set_title("Flat share by scenario (shaded: the months summarised above)", loc="left")
sns.move_legend(axes, "upper left", bbox_to_anchor=(1.01, 1), frameon=False)
figures.save(figure, out / "figures" / "flat_share_over_time.png", bbox_inches="tight")
plt.show()

# %% [markdown]
# ## Trade-offs
#
# Fewer cadres lying flat can come with more wrongful punishment or more false reports.
# Each point is one scenario's mean over replicates.

# %%
others = [m for m in ("false_reports", "wrongful_punishments", "innovations") if m in plan.metrics]
figure, panels = plt.subplots(1, len(others), figsize=(5 * len(others), 4.5), squeeze=False)
for axes, metric in zip(panels[0], others, strict=True):
    sns.scatterplot(
        data=means.reset_index(),
        x="flat_share",
        y=metric,
        hue="scenario",
        legend=False,
        s=70,
        ax=axes,
    )
    for name, row in means.iterrows():
        axes.annotate(
            str(name),
            (row["flat_share"], row[metric]),
            fontsize=8,
            xytext=(4, 3),
            textcoords="offset points",
        )
    axes.set_title(f"flat share vs {metric}", loc="left")
figures.save(figure, out / "figures" / "tradeoffs.png", bbox_inches="tight")
plt.show()

# %% [markdown]
# **Reading the results.** Differences are paired by seed, so an interval that excludes zero
# is a difference the replicates agree on; with few replicates (the `small` scale) most
# intervals are wide. `cadre-sim compare` writes the same comparison as CSV, Markdown and
# figures: `cadre-sim compare <results folder> --window 24 --metric flat_share active_share`.
