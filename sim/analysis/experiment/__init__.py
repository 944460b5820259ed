"""Experiment files: a base scenario, parameters to vary, a design and replicates.

An experiment file is TOML data, read with :mod:`tomllib` and validated as
strictly as a scenario file: unknown keys with a "did you mean", every
varied value and range checked by the one parameter validator
(:func:`sim.parameters.values.coerce_value`), one-line
:class:`~sim.errors.InputError` messages naming the file and the key. Its layout::

    # experiments/tolerance_by_risk.toml
    [experiment]
    name = "tolerance_by_risk"           # default: the file name without .toml
    description = "Flat share over fault tolerance x false-accusation risk"
    scenario = "baseline"                # shipped name, or a .toml path relative to this file
    design = "grid"                      # grid | lhs | morris | sobol | scenarios
    replicates = 5                       # runs per design point (paired seeds)
    steps = 120                          # months per run
    seed = 2026                          # root seed of the runs and of the sampler
    population = 1000                    # optional: workforce.population of every run
    window = 24                          # months at the end of each run that are averaged
    metrics = ["flat_share", "active_share"]

    [set]                                # optional: fixed changes to the base scenario
    "accusation.investigation_months" = 6

    [[vary]]                             # grid: the values to take
    parameter = "fault_tolerance.coverage"
    values = [0.0, 0.25, 0.5, 0.75, 1.0]

    [[vary]]                             # grid: or an evenly spaced range
    parameter = "accusation.false_report_rate"
    low = 0.0
    high = 0.02
    points = 5

Designs:

``grid``
    every combination of the ``values`` of each ``[[vary]]`` entry (the first
    entry varies slowest); an entry gives ``values`` or ``low``, ``high`` and
    ``points``.
``lhs``
    ``samples`` points of a Latin hypercube (:class:`scipy.stats.qmc.LatinHypercube`)
    over the ``low``-``high`` range of each entry (default: the parameter's
    whole allowed range).
``morris``
    Morris elementary-effects trajectories (:func:`SALib.sample.morris.sample`,
    ``trajectories`` and ``levels``) over the ranges, for ``cadre-sim sensitivity``.
``sobol``
    Saltelli's extension of Sobol' sequences (:func:`SALib.sample.sobol.sample`,
    ``base_samples`` a power of two, first and total order) over the ranges.
``scenarios``
    no ``[[vary]]``: the points are whole scenarios, ``scenarios = ["baseline",
    "fault_tolerance"]`` (shipped names or paths) or ``scenarios = "shipped"``
    for the whole shipped library.

Integer parameters sampled from a range are rounded to whole numbers; true /
false parameters can only take listed ``values`` in a grid.

Each design point becomes a :class:`~sim.scenarios.Scenario` through
:meth:`~sim.scenarios.Scenario.with_overrides`, named ``point_0000``,
``point_0001``, ... The design is a pure function of the file and its seed,
so ``--resume`` re-creates it exactly; the mapping from point to parameter
values is saved next to the runs as ``design.csv`` (checked on resume), and
the settings as ``experiment.json``, so a results folder describes itself.
The runs go through :func:`sim.batch.run_batch` (same store, seeds,
executors, resume and progress as ``cadre-sim batch``).

Modules: :mod:`~sim.analysis.experiment.schema` (keys, defaults, value
checks), :mod:`~sim.analysis.experiment.spec` (:class:`Experiment`),
:mod:`~sim.analysis.experiment.files` (reading files),
:mod:`~sim.analysis.experiment.design` (design points),
:mod:`~sim.analysis.experiment.run` (running them),
:mod:`~sim.analysis.experiment.report` (sweep report and figures) and
:mod:`~sim.analysis.experiment.notebook` (the notebooks' scale).
"""

from sim.analysis.experiment.design import Design
from sim.analysis.experiment.files import from_dict, load, shipped
from sim.analysis.experiment.notebook import (
    OUT_VARIABLE,
    SCALE_VARIABLE,
    SCALES,
    NotebookScale,
    notebook_scale,
)
from sim.analysis.experiment.report import (
    draw_sweep,
    plot_sweep,
    sweep_markdown,
    write_sweep_report,
)
from sim.analysis.experiment.run import ExperimentRun, run_design
from sim.analysis.experiment.schema import (
    DEFAULTS,
    DESIGN_FILE,
    DESIGNS,
    EXPERIMENT_DIR,
    EXPERIMENT_FILE,
    RANGE_DESIGNS,
    SENSITIVITY_DESIGNS,
    SWEEP_FILE,
    SWEEP_REPORT,
)
from sim.analysis.experiment.spec import Experiment, Vary

__all__ = [
    "DEFAULTS",
    "DESIGNS",
    "DESIGN_FILE",
    "EXPERIMENT_DIR",
    "EXPERIMENT_FILE",
    "OUT_VARIABLE",
    "RANGE_DESIGNS",
    "SCALES",
    "SCALE_VARIABLE",
    "SENSITIVITY_DESIGNS",
    "SWEEP_FILE",
    "SWEEP_REPORT",
    "Design",
    "Experiment",
    "ExperimentRun",
    "NotebookScale",
    "Vary",
    "draw_sweep",
    "from_dict",
    "load",
    "notebook_scale",
    "plot_sweep",
    "run_design",
    "shipped",
    "sweep_markdown",
    "write_sweep_report",
]
