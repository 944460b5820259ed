"""From what-if to what-to-do: policy search, scenario discovery and calibration.

Each method is a pipeline of small functions with plain data between them,
and never runs the model itself: every round of points goes to an
*evaluate* callable (:mod:`~sim.analysis.decide.evaluate`), so closed-form
test problems and the model run through the same code.

Modules:

``space``
    parameter ranges, seeded Latin hypercubes, rounding to parameter values.
``evaluate``
    the evaluate contract, :class:`~sim.analysis.decide.evaluate.ModelEvaluator`
    (rounds through :func:`sim.batch.run_batch`) and results folders.
``search``
    multi-objective policy search with pymoo's NSGA-II, robustness over
    uncertain constants, the Pareto front and front points as scenarios.
``discover``
    scenario discovery: a Latin hypercube, then PRIM (EMA Workbench) boxes.
``calibrate``, ``smc``
    ABC-SMC with pyabc against observed moments, with a batched sampler.
``files``, ``checks``
    the three kinds of experiment file, read and validated.
``report``
    shared pieces of the reports.
"""
