"""Generate the experiment notebooks in this folder from the cell sources below.

The notebooks are build products: edit the cells here, then run

    .venv/bin/python experiments/build_notebooks.py           # rewrite the .ipynb files
    .venv/bin/python experiments/build_notebooks.py --check   # exit 1 if they are stale

The notebooks are written without outputs and with fixed cell ids, so a rebuild
of unchanged sources gives identical files and reviews see only source changes.
Each notebook reads its size from CADRE_SIM_NOTEBOOK_SCALE (small | default |
large) and writes its results under CADRE_SIM_NOTEBOOK_OUT (default
results/notebooks/ in the repository); see experiments/README.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

Cell = tuple[str, str]  # ("md" | "code", source)


def md(text: str) -> Cell:
    """A Markdown cell."""
    return ("md", text.strip("\n"))


def code(text: str) -> Cell:
    """A code cell."""
    return ("code", text.strip("\n"))


HELPERS = """
sns.set_theme(style="whitegrid", context="notebook")


def t_interval(values):
    \"\"\"The 95% t-interval of a mean (seaborn errorbar callable).\"\"\"
    mean, low, high = mean_interval(values)
    return (mean, mean) if np.isnan(low) else (low, high)


def save(figure, name):
    \"\"\"Save a figure into the results folder's figures/ and return the file.\"\"\"
    figures = out / "figures"
    figures.mkdir(exist_ok=True)
    figure.savefig(figures / f"{name}.png", dpi=120, bbox_inches="tight")
    return figures / f"{name}.png"


# CADRE_SIM_NOTEBOOK_SCALE=small|default|large; CADRE_SIM_NOTEBOOK_OUT=<folder>
scale = experiment.notebook_scale()
"""


def setup(imports: str, body: str) -> str:
    """The first code cell: the notebook's imports, the shared helpers, then ``body``."""
    return imports.strip("\n") + "\n" + HELPERS + body


SCALE_NOTE = """
**Size.** The notebook runs the shipped experiment file as it is (a few minutes on two
cores). Set the environment variable `CADRE_SIM_NOTEBOOK_SCALE=small` for a quick look
(2 replicates of 150 cadres over 36 months, as the test suite runs it) or `large` for four
times the replicates; `CADRE_SIM_NOTEBOOK_OUT` sets the folder results go under (default
`results/notebooks/`, git-ignored). Each run of the notebook starts a fresh results folder.
"""

COMPARE = [
    md(
        """
# 1. The shipped scenarios compared

The question users ask of the model: *if a province adopts policy X, or a bundle of them,
how many of its cadres will be lying flat after a few years, and what else changes?*
This notebook runs every scenario in `scenarios/` (experiment file
`experiments/scenario_comparison.toml`) with the batch machinery, replicate *k* of every
scenario on the same seed, and compares them: means with 95% t-intervals, paired
differences from the baseline, the time path of the flat share, and trade-offs.
"""
        + SCALE_NOTE
    ),
    code(
        setup(
            """
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from sim.analysis import experiment

from sim.runs import store as results
from sim.runs.batch import run_batch
from sim.analysis.compare import compare, mean_interval
""",
            """
plan = scale.apply(experiment.load("scenario_comparison"))
out = scale.folder("01_compare_scenarios")
print(f"scale {scale.name}: {len(plan.scenarios)} scenarios x {plan.replicates} replicates, "
      f"{plan.population} cadres, {plan.steps} months -> {out}")
""",
        )
    ),
    md(
        """
## Run the batch

One call of `run_batch`: the same store, seeds and executors as `cadre-sim batch`.
"""
    ),
    code(
        """
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
"""
    ),
    md(
        """
## Means over replicates

Each run is reduced to its mean over the last `window` months (`sim.results.summaries`);
the table shows the mean over replicates of each output.
"""
    ),
    code(
        """
per_run = results.summaries(out, plan.metrics, window=plan.window)
first_month = plan.steps - plan.window + 1
means = per_run.groupby("scenario", observed=True)[list(plan.metrics)].mean()
print(f"mean of months {first_month}-{plan.steps} over {plan.replicates} replicates")
means.round(4)
"""
    ),
    md(
        """
## Paired differences from the baseline

`sim.compare.compare` pairs replicate *k* of each scenario with replicate *k* of the
baseline (same seed) and reports the mean difference with its 95% t-interval, Cohen's
*d_z* and the paired t-test p-value.
"""
    ),
    code(
        """
comparison = compare(out, baseline="baseline", metrics=plan.metrics, window=plan.window)
differences = comparison.table[comparison.table["scenario"] != "baseline"]
columns = ["scenario", "difference", "difference_ci_low", "difference_ci_high", "d_z", "p_value"]
differences[differences["metric"] == "flat_share"][columns].round(4)
"""
    ),
    code(
        """
shown = [m for m in ("flat_share", "active_share", "innovations", "wrongful_punishments")
         if m in plan.metrics]
height = 0.45 * len(plan.scenarios) + 1.5
figure, panels = plt.subplots(1, len(shown), figsize=(4.2 * len(shown), height),
                              sharey=True, squeeze=False)
for axes, metric in zip(panels[0], shown, strict=True):
    rows = differences[differences["metric"] == metric]
    axes.errorbar(rows["difference"], rows["scenario"].astype(str),
                  xerr=[rows["difference"] - rows["difference_ci_low"],
                        rows["difference_ci_high"] - rows["difference"]],
                  fmt="D", color="C3", capsize=3)
    axes.axvline(0, color="0.3", linewidth=1)
    axes.set_title(metric, loc="left")
    axes.set_xlabel("difference from baseline")
figure.suptitle(f"Paired differences from the baseline (months {first_month}-{plan.steps}), "
                "mean and 95% t-interval", x=0.01, ha="left")
save(figure, "differences")
plt.show()
"""
    ),
    md(
        """
## The flat share over time

Mean over replicates with a 95% t-band; month 0 is the state after the warm-up.
"""
    ),
    code(
        """
series = results.load(out, columns=["flat_share", "active_share"])
figure, axes = plt.subplots(figsize=(10, 5))
sns.lineplot(data=series, x="month", y="flat_share", hue="scenario", errorbar=t_interval, ax=axes)
axes.axvspan(first_month - 0.5, plan.steps + 0.5, color="0.9", zorder=0)
axes.set_title("Flat share by scenario (shaded: the months summarised above)", loc="left")
sns.move_legend(axes, "upper left", bbox_to_anchor=(1.01, 1), frameon=False)
save(figure, "flat_share_over_time")
plt.show()
"""
    ),
    md(
        """
## Trade-offs

Fewer cadres lying flat can come with more wrongful punishment or more false reports.
Each point is one scenario's mean over replicates.
"""
    ),
    code(
        """
others = [m for m in ("false_reports", "wrongful_punishments", "innovations") if m in plan.metrics]
figure, panels = plt.subplots(1, len(others), figsize=(5 * len(others), 4.5), squeeze=False)
for axes, metric in zip(panels[0], others, strict=True):
    sns.scatterplot(data=means.reset_index(), x="flat_share", y=metric, hue="scenario",
                    legend=False, s=70, ax=axes)
    for name, row in means.iterrows():
        axes.annotate(str(name), (row["flat_share"], row[metric]), fontsize=8,
                      xytext=(4, 3), textcoords="offset points")
    axes.set_title(f"flat share vs {metric}", loc="left")
save(figure, "tradeoffs")
plt.show()
"""
    ),
    md(
        """
**Reading the results.** Differences are paired by seed, so an interval that excludes zero
is a difference the replicates agree on; with few replicates (the `small` scale) most
intervals are wide. `cadre-sim compare` writes the same comparison as CSV, Markdown and
figures: `cadre-sim compare <results folder> --window 24 --metric flat_share active_share`.
"""
    ),
]

TOLERANCE = [
    md(
        """
# 2. Fault tolerance x false-accusation risk

Fault tolerance (Gansu's "12 types of situations that can be fault-tolerant and exempt")
lowers the expected sanction for an honest mistake; false accusations raise the expected
harm of being visible. Both act on the active cadre's exposure, so the benefit of fault
tolerance may depend on how much false-accusation risk there is. This notebook runs the
grid of `experiments/tolerance_by_risk.toml` (fault-tolerance coverage x false-report rate)
through `sim.experiment.run_design` (the batch machinery, paired seeds) and draws the flat
share as a heatmap, then estimates the interaction.
"""
        + SCALE_NOTE
    ),
    code(
        setup(
            """
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from sim.analysis import experiment
from sim.analysis.compare import mean_interval
""",
            """
plan = scale.apply(experiment.load("tolerance_by_risk"))
out = scale.folder("02_tolerance_by_risk")
coverage, risk = plan.parameters
design = plan.build_design()
print(f"scale {scale.name}: {len(design)} points x {plan.replicates} replicates, "
      f"{plan.population} cadres, {plan.steps} months -> {out}")
design.table.head()
""",
        )
    ),
    code(
        """
run = experiment.run_design(design, out=out, executor=scale.executor)
assert run.batch.failed == 0, run.batch.failures
runs = run.runs[run.runs["status"] == "done"]
print(f"{run.batch.total} runs in {run.batch.wall_time:.1f} s; "
      f"design.csv and experiment.json are in {out}")
"""
    ),
    md(
        """
## The flat share over the grid

Mean over replicates of each run's mean over the last `window` months.
"""
    ),
    code(
        """
means = run.point_means()
grid = means.pivot(index=risk, columns=coverage, values="flat_share").sort_index(ascending=False)
figure, axes = plt.subplots(figsize=(8, 5.5))
sns.heatmap(grid, annot=True, fmt=".3f", cmap="rocket_r", cbar_kws={"label": "flat share"}, ax=axes)
axes.set_xlabel(f"{coverage} (share of honest mistakes that qualify)")
axes.set_ylabel(f"{risk} (per cadre per month)")
axes.set_title(f"Flat share, months {plan.steps - plan.window + 1}-{plan.steps}", loc="left")
save(figure, "flat_share_heatmap")
plt.show()
"""
    ),
    code(
        """
figure, axes = plt.subplots(figsize=(8, 5))
sns.lineplot(data=runs, x=coverage, y="flat_share", hue=risk, palette="flare",
             errorbar=t_interval, marker="o", ax=axes)
axes.set_title("Flat share against fault tolerance, one line per false-report rate (95% t-bands)",
               loc="left")
save(figure, "flat_share_lines")
plt.show()
"""
    ),
    md(
        """
## Does fault tolerance matter more when false accusations are common?

The effect of fault tolerance at each risk level: flat share at the highest coverage minus
flat share at the lowest, paired by replicate (same seeds), with its 95% t-interval. The
interaction is the difference of that effect between the highest and the lowest risk
level, again paired by replicate.
"""
    ),
    code(
        """
low, high = runs[coverage].min(), runs[coverage].max()
wide = runs.pivot_table(index=[risk, "replicate"], columns=coverage, values="flat_share")
effect = (wide[high] - wide[low]).rename("effect").reset_index()
rows = []
for level, values in effect.groupby(risk):
    mean, ci_low, ci_high = mean_interval(values["effect"])
    rows.append({risk: level, "effect": mean, "ci_low": ci_low, "ci_high": ci_high})
effects = pd.DataFrame(rows)

figure, axes = plt.subplots(figsize=(8, 4.5))
axes.errorbar(effects[risk], effects["effect"],
              yerr=[effects["effect"] - effects["ci_low"], effects["ci_high"] - effects["effect"]],
              fmt="o-", capsize=4)
axes.axhline(0, color="0.3", linewidth=1)
axes.set_xlabel(risk)
axes.set_ylabel(f"flat share at coverage {high:g} minus at {low:g}")
axes.set_title("Effect of fault tolerance by false-accusation risk (95% t-intervals)", loc="left")
save(figure, "tolerance_effect_by_risk")
plt.show()

by_replicate = effect.pivot(index="replicate", columns=risk, values="effect")
lowest, highest = by_replicate.columns.min(), by_replicate.columns.max()
mean, ci_low, ci_high = mean_interval(by_replicate[highest] - by_replicate[lowest])
print(f"interaction: effect at risk {highest:g} minus effect at risk {lowest:g} = "
      f"{mean:+.4f} (95% CI {ci_low:+.4f} to {ci_high:+.4f})")
effects.round(4)
"""
    ),
    md(
        """
**Reading the results.** A negative effect means fault tolerance lowers the flat share; if
the effect grows (more negative) with risk, the two levers are complements. The same sweep
runs from the command line: `cadre-sim sweep experiments/tolerance_by_risk.toml --out
results/tolerance_by_risk` writes `sweep.csv`, `sweep.md` and the heatmap.
"""
    ),
]

SENSITIVITY = [
    md(
        """
# 3. Which levers matter? Morris screening of all policy levers

`experiments/lever_sensitivity.toml` varies every non-structural policy lever of
`sim/params.py` over its whole allowed range. Morris elementary effects (SALib) move one
lever at a time along random trajectories; each point runs through the batch machinery
(`sim.experiment.run_design`) and the analysis uses each point's **replicate mean**.
`mu*` (mean absolute elementary effect) ranks overall influence; `sigma` (their spread)
flags interactions and non-linearity. The same code (`sim.sensitivity.run`) is tested on
toy functions of known sensitivity.
"""
        + SCALE_NOTE
    ),
    code(
        setup(
            """
import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from IPython.display import Image, display

from sim.analysis import experiment

from sim.analysis import sensitivity
from sim.analysis.compare import mean_interval
""",
            """
plan = scale.apply(experiment.load("lever_sensitivity"))
out = scale.folder("03_lever_sensitivity")
problem = plan.problem()
points = plan.trajectories * (len(problem.names) + 1)
print(f"scale {scale.name}: {len(problem.names)} levers, {plan.trajectories} trajectories = "
      f"{points} points x {plan.replicates} replicates, {plan.population} cadres, "
      f"{plan.steps} months -> {out}")
""",
        )
    ),
    code(
        """
def evaluate(samples):
    \"\"\"Run the sampled points through the batch machinery; return replicate means.\"\"\"
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
"""
    ),
    md("## The ten most influential levers for the flat share"),
    code(
        """
flat = result.table[result.table["output"] == "flat_share"]
flat.head(10).round(4)
"""
    ),
    code(
        """
ranks = result.table.pivot(index="parameter", columns="output", values="rank")
ranks = ranks.loc[result.ranking("flat_share")]
ranks.head(15)
"""
    ),
    md(
        """
## The Morris plane

Levers far to the right matter; levers high up act through interactions or non-linearly
(their effect depends on where the other levers are).
"""
    ),
    code(
        """
figure, axes = plt.subplots(figsize=(8, 6))
sns.scatterplot(data=flat, x="mu_star", y="sigma", hue=flat["parameter"].str.split(".").str[0],
                s=60, ax=axes)
for _, row in flat.head(8).iterrows():
    axes.annotate(row["parameter"], (row["mu_star"], row["sigma"]), fontsize=8,
                  xytext=(4, 3), textcoords="offset points")
axes.set_xlabel("mu* (mean |elementary effect| on the flat share)")
axes.set_ylabel("sigma")
axes.set_title("Morris plane: flat share", loc="left")
sns.move_legend(axes, "upper left", bbox_to_anchor=(1.01, 1), frameon=False, title="group")
save(figure, "morris_plane_flat_share")
plt.show()
"""
    ),
    md(
        """
## Influence by lever group

`mu*` relative to the most influential lever of each output, summed over the levers of
each group.
"""
    ),
    code(
        """
table = result.table.copy()
table["group"] = table["parameter"].str.split(".").str[0]
table["relative"] = table["mu_star"] / table.groupby("output")["mu_star"].transform("max")
groups = table.groupby(["group", "output"], as_index=False)["relative"].sum()
figure, axes = plt.subplots(figsize=(9, 5))
order = groups[groups["output"] == "flat_share"].sort_values("relative", ascending=False)["group"]
sns.barplot(data=groups, x="relative", y="group", hue="output", order=order, ax=axes)
axes.set_xlabel("sum of mu* / largest mu* of the output")
axes.set_title("Influence of each lever group", loc="left")
save(figure, "influence_by_group")
plt.show()
"""
    ),
    code(
        """
display(Image(filename=str(out / "figures" / "sensitivity_flat_share.png")))
"""
    ),
    md(
        """
**Reading the results.** The levers vary over their whole allowed ranges, so most points
lie far from the calibrated baseline. A lever whose effect needs other levers to be "on"
screens as weak there: fault tolerance only acts on honest mistakes that are reported
(`accusation.mistake_report_prob`) and would be punished (`discipline.severity`), and its
three parameters multiply each other. For a local picture around the status quo, give
`low` and `high` for each `[[vary]]` entry (e.g. half to twice the baseline value).
With few trajectories (the `small` scale) the ranking is rough:
raise `trajectories` (command line: `cadre-sim sensitivity experiments/lever_sensitivity.toml
--trajectories 20`) before drawing conclusions. For variance shares of the few levers that
screen as important, run a Sobol' analysis on them (`--method sobol`, with narrower ranges).
"""
    ),
]

EVENT_STUDY = [
    md(
        """
# 4. A campaign's rise and fade: Heilongjiang's special action as an event study

Seed: *"Heilongjiang ... took special actions from March to the end of December this year
to rectify false accusations and frame-ups."* `scenarios/false_accuser_crackdown.toml`
runs the campaign in a year-1 timeline (`from = 3`, `until = 13`); the experiment
`experiments/crackdown_event_study.toml` runs it and the baseline on the same replicate
seeds. The month-by-month paired difference (campaign minus baseline) is an event study:
deterrence should rise during the campaign and fade after it, false reports fall and drift
back up (stylized fact 4 of the model brief).
"""
        + SCALE_NOTE
    ),
    code(
        setup(
            """
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns

from sim.analysis import experiment

from sim.runs import store as results
from sim.runs.batch import run_batch
from sim.analysis.compare import mean_interval
""",
            """
plan = scale.apply(experiment.load("crackdown_event_study"))
out = scale.folder("04_crackdown_event_study")
campaign = next(s for s in plan.scenarios if s.timeline)
baseline = next(s for s in plan.scenarios if not s.timeline)
change = campaign.timeline[0]
start, end = change.start, change.end
print(f"{campaign.name}: {change.label!r} in effect in months {start}-{end - 1}, "
      f"setting {dict(change.settings)}")
print(f"scale {scale.name}: {plan.replicates} replicates, {plan.population} cadres, "
      f"{plan.steps} months -> {out}")
""",
        )
    ),
    code(
        """
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
series = results.load(out, columns=list(plan.metrics))
print(f"{summary.total} runs in {summary.wall_time:.1f} s")
"""
    ),
    md(
        """
## Paired differences by month

Campaign minus baseline for each replicate (same seed), then the mean over replicates and
its 95% t-interval.
"""
    ),
    code(
        """
metrics = list(plan.metrics)
wide = series.pivot_table(index=["replicate", "month"], columns="scenario", values=metrics,
                          observed=True)
paired = pd.DataFrame({m: wide[(m, campaign.name)] - wide[(m, baseline.name)] for m in metrics})
rows = []
for (month, metric), values in paired.reset_index().melt(
        id_vars=["replicate", "month"], var_name="metric").groupby(["month", "metric"])["value"]:
    mean, ci_low, ci_high = mean_interval(values)
    rows.append({"month": month, "metric": metric, "difference": mean,
                 "ci_low": ci_low, "ci_high": ci_high})
by_month = pd.DataFrame(rows)
by_month["event_time"] = by_month["month"] - start
by_month[by_month["metric"] == "false_reports"].head(15).round(3)
"""
    ),
    code(
        """
shown = ["deterrence", "false_reports", "false_accusers_punished", "flat_share"]
figure, panels = plt.subplots(len(shown), 1, figsize=(10, 2.6 * len(shown)), sharex=True)
for axes, metric in zip(panels, shown, strict=True):
    rows = by_month[(by_month["metric"] == metric) & (by_month["month"] >= 1)]
    axes.plot(rows["month"], rows["difference"], color="C0")
    axes.fill_between(rows["month"], rows["ci_low"], rows["ci_high"], color="C0", alpha=0.25)
    axes.axvspan(start - 0.5, end - 0.5, color="C1", alpha=0.12)
    axes.axhline(0, color="0.3", linewidth=0.8)
    axes.set_ylabel(metric)
panels[0].set_title(f"{campaign.name} minus baseline, mean and 95% t-band "
                    f"(shaded: campaign, months {start}-{end - 1})", loc="left")
panels[-1].set_xlabel("month")
save(figure, "paired_differences_by_month")
plt.show()
"""
    ),
    md(
        """
## Event time around the start and the end

The same differences against months since the campaign began, and since it ended.
"""
    ),
    code(
        """
figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
rows = by_month[(by_month["metric"] == "false_reports") & (by_month["month"] >= 1)]
around_start = rows[rows["month"] < end]
around_end = rows[rows["month"] >= start].assign(since_end=lambda f: f["month"] - end)
for axes, data, x, label in ((left, around_start, "event_time", "months since the start"),
                             (right, around_end, "since_end", "months since the end")):
    axes.plot(data[x], data["difference"], marker="o", markersize=3)
    axes.fill_between(data[x], data["ci_low"], data["ci_high"], alpha=0.25)
    axes.axvline(-0.5, color="C3", linestyle="--")
    axes.axhline(0, color="0.3", linewidth=0.8)
    axes.set_xlabel(label)
left.set_ylabel("false reports per month, campaign minus baseline")
left.set_title("Rise of deterrence: false reports after the start", loc="left")
right.set_title("Fade: false reports after the end", loc="left")
save(figure, "event_time_false_reports")
plt.show()
"""
    ),
    md("## Phases\n\nMean paired difference over each phase (event counts start at month 1)."),
    code(
        """
phases = {
    f"before (months 1-{start - 1})": (1, start - 1),
    f"campaign (months {start}-{end - 1})": (start, end - 1),
    f"first year after (months {end}-{min(end + 11, plan.steps)})": (
        end, min(end + 11, plan.steps)),
}
if end + 12 <= plan.steps:
    phases[f"later (months {end + 12}-{plan.steps})"] = (end + 12, plan.steps)
rows = []
for phase, (first, last) in phases.items():
    window = paired.reset_index()
    window = window[(window["month"] >= first) & (window["month"] <= last)]
    per_replicate = window.groupby("replicate")[metrics].mean()
    for metric in metrics:
        mean, ci_low, ci_high = mean_interval(per_replicate[metric])
        rows.append({"phase": phase, "metric": metric, "difference": mean,
                     "ci_low": ci_low, "ci_high": ci_high})
phase_table = pd.DataFrame(rows)
phase_table.pivot(index="metric", columns="phase", values="difference")[list(phases)].round(4)
"""
    ),
    code(
        """
deterrence = by_month[by_month["metric"] == "deterrence"].set_index("month")["difference"]
peak_month = int(deterrence.loc[start:end - 1].idxmax())
peak = deterrence.loc[peak_month]
after = deterrence.loc[end:]
below = after[after < peak / 2]
if below.empty:
    print(f"deterrence peaks at +{peak:.3f} in month {peak_month} and stays above half of it "
          f"until month {plan.steps}")
else:
    print(f"deterrence peaks at +{peak:.3f} in month {peak_month}; it falls below half of the "
          f"peak in month {int(below.index[0])}, {int(below.index[0]) - end + 1} months after "
          "the campaign ends")
"""
    ),
    md(
        """
**Reading the results.** The campaign's deterrence builds at `crackdown.deterrence_build`
per month and fades at `crackdown.deterrence_fade` once tracing returns to the baseline;
false reports follow it down and back up. `cadre-sim validate --only 4` checks the same
pattern (with a doubled false-report rate, so the campaign has more to act on) as a
stylized fact, with confidence intervals.
"""
    ),
]

NOTEBOOKS: dict[str, list[Cell]] = {
    "01_compare_scenarios": COMPARE,
    "02_tolerance_by_risk": TOLERANCE,
    "03_lever_sensitivity": SENSITIVITY,
    "04_crackdown_event_study": EVENT_STUDY,
}


def ruff_format(source: str) -> str:
    """Format one code cell as ``ruff format`` formats notebook cells (project settings)."""
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(HERE / "cell.py"), "-"],
        input=source,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.rstrip("\n")


def build(name: str, cells: Sequence[Cell]) -> nbformat.NotebookNode:
    """One notebook: the cells, no outputs, fixed cell ids, the python3 kernel."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata = {
        "kernelspec": {
            "name": "python3",
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        },
        "language_info": {"name": "python"},
    }
    for index, (kind, source) in enumerate(cells):
        if kind == "md":
            cell = nbformat.v4.new_markdown_cell(source)
        else:
            cell = nbformat.v4.new_code_cell(ruff_format(source))
        cell["id"] = f"{name[:2]}-{index:02d}"
        notebook.cells.append(cell)
    nbformat.validate(notebook)
    return notebook


def render(notebook: nbformat.NotebookNode) -> str:
    """The notebook file's text."""
    return nbformat.writes(notebook) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or with --check, compare) every notebook; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into")
    parser.add_argument("--check", action="store_true", help="exit 1 if a notebook is stale")
    args = parser.parse_args(argv)
    stale = []
    for name, cells in NOTEBOOKS.items():
        path = args.out / f"{name}.ipynb"
        text = render(build(name, cells))
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                stale.append(path)
            continue
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}")
    for path in stale:
        print(f"stale: {path} (run experiments/build_notebooks.py)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
