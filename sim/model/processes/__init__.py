"""The model's processes, one module per part of the schedule (``docs/ODD.md`` section 7).

* :mod:`~sim.model.processes.stakes`: rank-structured exposure, eligibility and the stakes
  of every realised consequence, as the decision rule values them;
* :mod:`~sim.model.processes.decision`: utilities, the work norm and logit choice;
* :mod:`~sim.model.processes.work`: effort, public value, innovations, mistakes, misconduct;
* :mod:`~sim.model.processes.reports`: visibility, true and false reports, deterrence;
* :mod:`~sim.model.processes.cases`: verdicts on concluded cases, opening new ones;
* :mod:`~sim.model.processes.learning`: monthly belief learning, idealism and reputation;
* :mod:`~sim.model.processes.evaluation`: the annual evaluation's scores, who is unfit,
  demotion;
* :mod:`~sim.model.processes.promotion`: promotion to vacancies and promotion beliefs;
* :mod:`~sim.model.processes.ranking`: its kernels ranking and standardising within levels;
* :mod:`~sim.model.processes.demography`: ageing, retirement, staffing cuts, recruitment;
* :mod:`~sim.model.processes.annual`: the annual evaluation's processes in schedule order;
* :mod:`~sim.model.processes.setup`: traits and initial beliefs of new cadres;
* :mod:`~sim.model.processes.replay`: the career replay of the first population (a
  decision, a discipline record and an evaluation a year);
* :mod:`~sim.model.processes.initial`: the first population (steady-state ages, the
  career replay, the burn-in);
* :mod:`~sim.model.processes.month`: the monthly processes in schedule order, for one
  run or a stack of runs.

Convention, applied by every process here:

* A process is a function of the state objects it reads (the
  :class:`~sim.model.state.Population` ``pop`` and the
  :class:`~sim.model.state.Organisation` ``org``), the parameters in force
  (a :class:`sim.parameters.values.Params`, read by attribute:
  ``params.fault_tolerance.coverage``) and random numbers.
* It changes the population and the organisation **in place**, and only
  those it is given as arguments (copying the big arrays every month would
  cost more than the month itself). Everything else it produces is
  **returned**: the month's events and masks (a small frozen record such as
  :class:`~sim.model.processes.cases.Verdicts`), and new values of the
  model's other state (``deterrence``, the perceived ``unfit_rate``). No
  process keeps state between calls, touches the Mesa model or its agents,
  or reads a global. (Scratch arrays reused from month to month live in
  ``pop.workspace``, :class:`sim.model.state.Workspace`; they carry nothing
  from one call to the next.)
* Random numbers come in as arguments: arrays of uniform draws made by the
  caller, or, where how many numbers are drawn depends on the process's own
  intermediate results, the generator itself (``rng``; a monthly process
  takes ``rngs``, one per run, and draws run by run through
  :func:`~sim.model.draws.per_run_draws`), drawn from in the order the docstring
  states. So the same state, parameters and draws give the same result,
  bit for bit.
* Every process also takes ``runs`` (:class:`sim.model.stacking.Runs`,
  default one run): the monthly ones, the annual evaluation and the first
  population alike. The rows may hold several runs of equal structure,
  stepped together. Parameters then come as a
  :class:`~sim.model.stacking.RunParams` (a number where runs agree, one
  value per row where they differ), unit indices are offset per run, and
  every float total over a run's cadres is summed per run
  (:meth:`~sim.model.stacking.Runs.sums`), so a run's numbers are the same
  alone or stacked. Arrays are updated in place, never rebound, so views of
  one run's rows stay live.
* Small kernels (``state_utilities``, ``learn``, ``group_mean``, ...) are
  plain functions of arrays and numbers that change nothing, so each can be
  tested on chosen inputs.

:class:`sim.model.CadreModel` composes the processes in schedule order.
"""
