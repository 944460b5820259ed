"""The batched ABC-SMC sampler: pyabc proposes one point at a time, the model runs rounds.

pyabc's samplers call ``simulate_one()`` until enough particles are accepted;
each call proposes a parameter, simulates and judges it. :class:`BatchModel`
and :func:`BatchSampler` split that into rounds: every proposal ``i`` of
generation ``t`` is drawn with numpy's global generator seeded from
``(seed, t, i)``; a first pass only records the proposals (the model raises
after noting them), the round is simulated as one batch, and a second pass
with the same seeds redraws the very same proposals and lets pyabc judge
them on the stored results. Accepted particles are taken in proposal order,
so the result depends only on the seed and the simulations, never on
timing. Rounds are sized from the acceptance rate seen so far.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.decide.space import Range, as_values, seed_for

__all__ = ["BatchModel", "BatchSampler", "Simulate", "global_numpy_seed", "keys", "quiet_pyabc"]

#: ``simulate(points, label) -> statistics``: one row per point, one column per statistic.
Simulate = Callable[[pd.DataFrame, str], pd.DataFrame]


class _Deferred(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised by the model while a round's proposals are being recorded."""

    def __init__(self, key: tuple[float, ...]) -> None:
        self.key = key
        super().__init__("proposal recorded")


def keys(ranges: Sequence[Range]) -> list[str]:
    """The names pyabc knows the parameters by (``p0``, ``p1``, ...: no dots in names)."""
    return [f"p{i}" for i in range(len(ranges))]


class BatchModel:
    """A pyabc model whose simulations are looked up from rounds evaluated in batches.

    ``recording`` makes :meth:`sample` raise after noting the proposal;
    :meth:`evaluate_round` evaluates the noted proposals at once.

    Args:
        ranges: the parameters (prior ranges), in pyabc's ``p0``, ``p1``, ... order.
        simulate: ``simulate(points, label)`` returns one row of simulated
            summary statistics per row of ``points`` (one column per
            parameter), as one batch named ``label``.

    """

    def __init__(self, ranges: Sequence[Range], simulate: Simulate) -> None:
        self.ranges = tuple(ranges)
        self.simulate = simulate
        self.recording = False
        self.cache: dict[tuple[float, ...], dict[str, float]] = {}
        self.pyabc_model = _pyabc_model(self)

    def key(self, pars: Any) -> tuple[float, ...]:
        """The proposal as a tuple of floats, in parameter order."""
        return tuple(float(pars[k]) for k in keys(self.ranges))

    def sample(self, pars: Any) -> dict[str, float]:
        """Simulated moments of a proposal (raises while recording)."""
        key = self.key(pars)
        if self.recording:
            raise _Deferred(key)
        return self.cache[key]

    def evaluate_round(self, proposals: list[tuple[float, ...]], label: str) -> None:
        """Simulate a round of proposals as one batch and store their statistics."""
        names = [r.name for r in self.ranges]
        points = pd.DataFrame(
            [as_values(self.ranges, dict(zip(names, p, strict=True))) for p in proposals],
            columns=names,
        )
        statistics = self.simulate(points, label)
        for key, row in zip(proposals, statistics.to_dict("records"), strict=True):
            self.cache[key] = {k: float(v) for k, v in row.items()}


def _pyabc_model(batch: BatchModel) -> Any:
    """A :class:`pyabc.Model` that hands every simulation to ``batch``."""
    import pyabc

    class _Model(pyabc.Model):
        def sample(self, pars: Any) -> dict[str, float]:
            return batch.sample(pars)

    return _Model(name="cadre_sim")


def _sampler_class() -> type:
    """:class:`BatchSampler`'s base needs pyabc, imported only when a calibration runs."""
    from pyabc.sampler import Sampler

    class _BatchSampler(Sampler):
        """Rounds of proposals: record, evaluate in one batch, replay (module docstring)."""

        def __init__(self, model: BatchModel, seed: int) -> None:
            super().__init__()
            self.model = model
            self.seed = seed
            self.rate = 0.5
            self.proposed = 0

        def _draw(self, simulate_one: Callable[[], Any], seed: int) -> Any:
            np.random.seed(seed)
            return simulate_one()

        def sample_until_n_accepted(
            self, n, simulate_one, t, *, max_eval=np.inf, all_accepted=False, ana_vars=None
        ):  # noqa: D102 - pyabc's interface
            sample = self._create_empty_sample()
            accepted = evaluated = proposed = rounds = 0
            rate = 1.0 if all_accepted else self.rate
            while accepted < n and evaluated < max_eval:
                size = math.ceil((n - accepted) / max(rate, 0.02) * 1.2)
                size = int(min(max(size, n - accepted), 20 * n, max_eval - evaluated))
                seeds = [seed_for(self.seed, 3, t + 1, proposed + j) for j in range(size)]
                proposed += size
                recorded = []
                self.model.recording = True
                try:
                    for seed in seeds:
                        try:
                            self._draw(simulate_one, seed)
                        except _Deferred as deferred:
                            recorded.append(deferred.key)
                finally:
                    self.model.recording = False
                stage = "calibration" if t < 0 else f"generation_{t:02d}"
                self.model.evaluate_round(recorded, f"{stage}_round_{rounds:02d}")
                rounds += 1
                for seed in seeds:
                    particle = self._draw(simulate_one, seed)
                    evaluated += 1
                    sample.append(particle)
                    if particle.accepted:
                        accepted += 1
                        if accepted == n:
                            break
                rate = accepted / evaluated
            self.proposed += proposed
            if not all_accepted:
                self.rate = max(accepted / max(evaluated, 1), 0.02)
            self.nr_evaluations_ = evaluated
            if accepted < n:
                sample.ok = False
            return sample

    return _BatchSampler


def BatchSampler(model: BatchModel, seed: int) -> Any:  # noqa: N802 - a class made on demand
    """The batched pyabc sampler of ``model`` (see the module docstring)."""
    return _sampler_class()(model, seed)


@contextlib.contextmanager
def global_numpy_seed(seed: int) -> Iterator[None]:
    """Seed numpy's global generator (which pyabc draws from) and restore it afterwards."""
    state = np.random.get_state()
    np.random.seed(seed_for(seed, 4))
    try:
        yield
    finally:
        np.random.set_state(state)


@contextlib.contextmanager
def quiet_pyabc() -> Iterator[None]:
    """Keep pyabc's loggers (INFO every generation) to warnings."""
    loggers = [logging.getLogger(name) for name in ("ABC", "pyabc", "Sampler", "Epsilon")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
