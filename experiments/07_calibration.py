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
# # Calibration: which behavioural constants match what is observed?
#
# `calibrate_survey_moments.toml` fits two constants of the decision rule (risk
# aversion, public service motivation) to four target moments by ABC-SMC (pyabc): a
# flat-share level, demotions and clarifications per 1,000 cadres a year, and the rank
# gap in lying flat. The observed values in the file are illustrative, on the brief's
# scales: replace them with your own data. A particle is accepted when every simulated
# moment lies within its tolerance of the target (distance = max |simulated - observed|
# / tolerance, down to 1).
#
# Size: `CADRE_SIM_NOTEBOOK_SCALE` = `small`, `default` or `large`. Command line:
# `cadre-sim calibrate experiments/calibrate_survey_moments.toml --out results/calibration`.

# %%
import io

from IPython.display import Image, display

from sim.analysis.decide import calibrate, files
from sim.analysis.decide.evaluate import ModelEvaluator, prepare_folder
from sim.analysis.experiment import notebook_scale


def show(figure):
    """Display a matplotlib Figure (drawn on its own canvas) as a PNG image."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    display(Image(data=buffer.getvalue()))


scale = notebook_scale()
experiment = files.at_scale(files.load("calibrate_survey_moments"), scale.name)
out = prepare_folder(
    files.notebook_folder(scale.root, "07_calibration", scale.name),
    "calibrate",
    experiment.to_dict(),
    resume=False,
)
problem = experiment.problem
print(
    f"scale {scale.name}: {problem.particles} particles, at most {problem.generations} generations"
)
for target in problem.targets:
    print(f"  {target.name}: {target.describe()} = {target.observed:g} +- {target.tolerance:g}")

# %%
evaluator = ModelEvaluator(
    experiment.plan, experiment.metrics, out=out, executor=scale.executor, progress=False
)
result = experiment.run(evaluator, out)
print(f"{evaluator.runs_used} runs ({result.evaluations} parameter sets)")
result.generations.round(4)

# %% [markdown]
# ## Posterior
# Weighted mean, median, standard deviation and the 90% credible interval of each
# constant in the last population.

# %%
calibrate.posterior_table(result).round(4)

# %%
show(calibrate.draw_posterior(result))

# %% [markdown]
# ## Fit per target
# Each target against the posterior predictive: the weighted mean of the accepted
# particles' simulated moments and their 90% interval.

# %%
calibrate.fit_table(result).round(4)

# %%
show(calibrate.draw_fit(result))

# %% [markdown]
# ## The calibrated scenario
# The base scenario with every calibrated constant at its posterior median, as a file
# `cadre-sim run` accepts.

# %%
written = experiment.write_report(result, out)
print("\n".join(f"wrote {p}" for p in written))
