"""Restructuring keeps results bit-identical: today's model against the golden data.

The goldens (``tests/golden/``) were recorded before a restructuring; these tests
fail if any shipped scenario's time series or any number ``cadre-sim validate``
prints has moved by a single bit. Only ``--regenerate-goldens`` rewrites them.
"""

from __future__ import annotations

import pytest

from sim.analysis import validation
from sim.model import CadreModel
from sim.scenarios import load, shipped
from tests import golden

CASES = [(name, seed) for name in shipped() for seed in golden.SEEDS]


def _frame(name: str, seed: int):
    scenario = load(name).with_overrides({"workforce.population": golden.POPULATION})
    model = CadreModel(**scenario.model_kwargs(), rng=seed)
    model.run(golden.STEPS)
    return model.timeseries()


def test_golden_frames_cover_every_shipped_scenario(regenerate_goldens):
    if regenerate_goldens:
        records = {}
        for name, seed in CASES:
            records.setdefault(name, {})[str(seed)] = golden.frame_record(_frame(name, seed))
        golden.write_json(golden.FRAMES_FILE, records)
    stored = golden.read_json(golden.FRAMES_FILE)
    assert sorted(stored) == sorted(shipped())
    assert all(sorted(v) == sorted(str(s) for s in golden.SEEDS) for v in stored.values())


@pytest.mark.parametrize(("name", "seed"), CASES)
def test_scenario_timeseries_match_golden(name, seed, regenerate_goldens):
    stored = golden.read_json(golden.FRAMES_FILE)[name][str(seed)]
    record = golden.frame_record(_frame(name, seed))
    moved = sorted(
        c
        for c in stored["columns"] | record["columns"]
        if stored["columns"].get(c) != record["columns"].get(c)
    )
    assert record["rows"] == stored["rows"]
    assert not moved, f"{name} seed {seed}: columns changed: {moved}"
    assert record["digest"] == stored["digest"]


def test_validate_numbers_match_golden(regenerate_goldens):
    outcome = validation.run(executor="serial", progress=False, **golden.VALIDATE_SIZE)
    record = golden.validation_record(outcome.table())
    if regenerate_goldens:
        golden.write_json(golden.VALIDATE_FILE, record)
    assert record == golden.read_json(golden.VALIDATE_FILE)
