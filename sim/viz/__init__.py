"""The browser view of one run, built on Mesa's SolaraViz.

* :mod:`sim.viz.components`: the charts (work-state shares, discipline events,
  the organisation as a hierarchy, distributions by orientation) as pure
  figure functions plus thin Solara components; the hierarchy layout is
  computed once per model build.
* :mod:`sim.viz.app`: the Solara page (``solara run sim/viz/app.py``, or
  ``cadre-sim viz``): scenario picker, sliders generated from
  :mod:`sim.params`, seed field, step/play/reset from SolaraViz.
* :mod:`sim.viz.assets`: caches Solara's browser front-end files from the npm
  registry so the view works without the CDN.

Importing this package imports nothing else: Solara and matplotlib are
loaded only by the submodules that need them.
"""

__all__ = ["SCENARIO_ENV"]

#: Environment variable naming the scenario the view shows first (a shipped
#: name or a path to a .toml file); ``cadre-sim viz`` sets it for the server.
SCENARIO_ENV = "CADRE_SIM_SCENARIO"
