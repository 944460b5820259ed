"""The browser view: a run or an ensemble, live policy changes, a cadre inspector, export.

* :mod:`sim.viz.session`: what a browser session runs (plain Python): one
  model, or K replicates of a scenario and K of a comparison scenario with
  common seeds; live lever changes from the next month; means and 95%
  bands per month.
* :mod:`sim.viz.hierarchy`, :mod:`sim.viz.figures`, :mod:`sim.viz.inspector`,
  :mod:`sim.viz.export`, :mod:`sim.viz.style`: pure figure, history and
  export functions (matplotlib's object-oriented API, pandas).
* :mod:`sim.viz.controls`, :mod:`sim.viz.components`, :mod:`sim.viz.panels`,
  :mod:`sim.viz.page_style`: the Solara components; the single run's time
  series are Mesa's own ``make_plot_component``.
* :mod:`sim.viz.app`: the page (``solara run sim/viz/app.py``, or
  ``cadre-sim viz``).
* :mod:`sim.viz.assets`: caches Solara's browser front-end files (and the
  script of Mesa's component grid) from the npm registry, so the view works
  without a CDN.
* :mod:`sim.viz.served`: serves a Solara app in a child process, for the
  browser tests and ``docs/screenshots.py``.

Importing this package imports nothing else: Solara and matplotlib are
loaded only by the submodules that need them.
"""

__all__ = ["SCENARIO_ENV"]

#: Environment variable naming the scenario the view shows first (a shipped
#: name or a path to a .toml file); ``cadre-sim viz`` sets it for the server.
SCENARIO_ENV = "CADRE_SIM_SCENARIO"
