"""Browser view: cost of one Step plus the redraw, single run and ensemble.

Run:  .venv/bin/python benchmarks/bench_viz.py [--population 1000] [--replicates 8] [--steps 12]

1. Ensemble (the issue's target: well under a second). ``--replicates``
   replicates of the baseline on each side (2 x 8 x 1,000 cadres by
   default): build time, then per Step the time to advance all models and
   the time to redraw what the page shows in ensemble mode (both ensemble
   charts with their bands and text summaries, the organisation view, the
   distribution chart, all rendered to PNG).

2. The whole page, server side: Solara renders the real page
   (:func:`sim.viz.app.Page`) in this process, and its Step button is
   clicked ``--steps`` times, in single-run mode and then in ensemble mode;
   each click's time includes the model steps and every component's redraw
   (Mesa's plot components, the figures, the panels), but not the transfer
   to the browser and its painting.

Prints the machine's load average: other work on the 2 cores slows all of it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _report(label: str, seconds: list[float]) -> None:
    print(
        f"{label}: median {1000 * statistics.median(seconds):.0f} ms, "
        f"max {1000 * max(seconds):.0f} ms over {len(seconds)} steps"
    )


def bench_session(population: int, replicates: int, steps: int) -> None:
    """Time the ensemble's step and the redraw of its figures."""
    from sim.scenarios import load
    from sim.viz import figures as F
    from sim.viz.components import ensemble_summary
    from sim.viz.hierarchy import hierarchy_figure
    from sim.viz.session import RunSettings, Session
    from sim.viz.style import figure_png

    baseline = load("baseline")
    settings = RunSettings.for_scenario(
        baseline, baseline, ensemble=True, replicates=replicates
    ).with_values({"workforce.population": population})
    start = time.perf_counter()
    session = Session(settings)
    print(f"build 2 x {replicates} x {population:,} cadres: {time.perf_counter() - start:.2f} s")

    def redraw() -> None:
        for metric in ("flat_share", "active_share"):
            figure_png(F.ensemble_figure(session, metric))
            ensemble_summary(session, metric)
        figure_png(hierarchy_figure(session.inspected)[0])
        figure_png(F.distribution_figure(session.inspected, F.DISTRIBUTIONS["reputation"]))

    redraw()  # fonts, caches
    stepping, drawing, total = [], [], []
    for _ in range(steps):
        start = time.perf_counter()
        session.step()
        middle = time.perf_counter()
        redraw()
        end = time.perf_counter()
        stepping.append(middle - start)
        drawing.append(end - middle)
        total.append(end - start)
    _report(f"  step of 2 x {replicates} models", stepping)
    _report("  redraw (2 ensemble charts, organisation, distribution)", drawing)
    _report("  step + redraw", total)


def _click(rc: object, label: str) -> None:
    import ipyvuetify

    (button,) = [b for b in rc.find(ipyvuetify.Btn).widgets if label in b.children]
    button.click()


def _wait(condition: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the page did not get there in time")
        time.sleep(0.05)


def bench_page(steps: int) -> None:
    """Time clicks on Step in the real page, single run then ensemble (server side)."""
    import solara

    from sim.viz.app import Page

    _box, rc = solara.render(Page(), handle_error=False)

    import ipyvue

    def month() -> str:
        found = rc.find(ipyvue.Html, attributes={"data-testid": "month"})
        return found.widget.children[0]

    for mode in ("Single run", "Ensemble"):
        if mode == "Ensemble":
            start = time.perf_counter()
            import ipyvuetify

            rc.find(ipyvuetify.BtnToggle).widget.v_model = 1  # the "Ensemble" button
            _wait(lambda: rc.find(children=["ensemble of 8 replicates per side"]).widgets != [])
            seconds = time.perf_counter() - start
            print(f"page: switch to ensemble (build + first draw): {seconds:.2f} s")
        _click(rc, "Step")  # warm-up
        seconds = []
        for _ in range(steps):
            before = month()
            start = time.perf_counter()
            _click(rc, "Step")
            seconds.append(time.perf_counter() - start)
            assert month() == str(int(before) + 1)
        _report(f"page, {mode.lower()}: Step click incl. every redraw", seconds)
    rc.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--population", type=int, default=1000)
    parser.add_argument("--replicates", type=int, default=8)
    parser.add_argument("--steps", type=int, default=12)
    args = parser.parse_args()
    print(f"cores available: {len(os.sched_getaffinity(0))}; load average before: {_load()}")
    bench_session(args.population, args.replicates, args.steps)
    bench_page(args.steps)
    print(f"load average after: {_load()}")


if __name__ == "__main__":
    main()
