"""Cost of the cadre model per cadre-step, against a bare Mesa loop of the same size.

Run:  .venv/bin/python benchmarks/bench_model.py [--steps N] [--sizes 500,2000,10000,100000]

For each headcount it times ``CadreModel.step`` (model-level collection on,
agent-level off; initialisation and warm-up excluded) and, in the same run,
a bare Mesa model whose agents each do one float update per step through
``agents.shuffle_do("step")``. It prints microseconds per cadre-step for
both, their ratio, and the growth from 10,000 to 100,000 cadres.
Machines are noisy: compare the ratios within one run, not absolute times.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import mesa

from sim.model import CadreModel


class BareAgent(mesa.Agent):
    """An agent that does one float update per step."""

    def __init__(self, model: mesa.Model) -> None:
        super().__init__(model)
        self.value = 0.0

    def step(self) -> None:
        self.value += 1.0


class BareModel(mesa.Model):
    """The reference: n agents stepped by ``shuffle_do``."""

    def __init__(self, n: int, rng: int = 1) -> None:
        super().__init__(rng=rng)
        BareAgent.create_agents(self, n)

    def step(self) -> None:
        self.agents.shuffle_do("step")


def cost_per_agent_step(build: Callable[[], mesa.Model], n: int, steps: int, repeats: int) -> float:
    """Best-of-``repeats`` microseconds per agent-step of ``steps`` steps of ``build()``.

    Building the model is not timed, only its steps.
    """
    best = float("inf")
    for _ in range(repeats):
        model = build()
        start = time.perf_counter()
        for _ in range(steps):
            model.step()
        best = min(best, time.perf_counter() - start)
    return best / steps / n * 1e6


def time_cadre(n: int, steps: int, repeats: int) -> float:
    """Microseconds per cadre-step of CadreModel at headcount ``n`` (no warm-up)."""
    return cost_per_agent_step(
        lambda: CadreModel(rng=1, workforce_population=n, simulation_warmup_months=0),
        n,
        steps,
        repeats,
    )


def time_bare(n: int, steps: int, repeats: int) -> float:
    """Microseconds per agent-step of the bare Mesa loop at size ``n``."""
    return cost_per_agent_step(lambda: BareModel(n), n, steps, repeats)


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=24, help="steps timed per run (default 24)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per size; best is kept")
    parser.add_argument(
        "--sizes", default="500,2000,10000,100000", help="comma-separated headcounts"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"steps per run: {args.steps}, best of {args.repeats} runs")
    print(f"{'cadres':>8} {'cadre us/step':>14} {'bare Mesa us/step':>18} {'ratio':>6}")
    cadre_cost = {}
    for n in sizes:
        c = time_cadre(n, args.steps, args.repeats)
        b = time_bare(n, args.steps, args.repeats)
        cadre_cost[n] = c
        print(f"{n:>8} {c:>14.3f} {b:>18.3f} {c / b:>6.2f}")
    if 10_000 in cadre_cost and 100_000 in cadre_cost:
        growth = cadre_cost[100_000] * 100_000 / (cadre_cost[10_000] * 10_000)
        print(f"total cost 100,000 / 10,000 cadres: {growth:.1f}x (linear = 10x; target <= 12x)")
    if 100_000 in cadre_cost:
        seconds = cadre_cost[100_000] * 100_000 * 120 / 1e6
        print(f"a 100,000-cadre province over 120 months: about {seconds:.1f} s of stepping")


if __name__ == "__main__":
    main()
