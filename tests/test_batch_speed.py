"""The batch's work around a stack: the same data, digests and summaries by the cheaper path.

The references here are the earlier, frame-based readings: a run's frame
with its identifying columns inserted, brought to the batch's columns one
frame column at a time, and its summary by :func:`sim.runs.store.window_means`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from sim.model import CadreModel
from sim.model.outputs import series_columns, series_frame
from sim.model.stack import RunSpec, RunStack
from sim.parameters.timeline import coerce_timeline
from sim.parameters.values import Params
from sim.runs import store
from sim.runs.execute import (
    RunTask,
    _finish,
    _scenario,
    _stack_specs,
    execute_run,
    execute_stack,
)
from sim.scenarios import Scenario, load

MONTHS = 14
METRICS = (
    "flat_share",
    "reputation_cleared",
    "flat_share_level3",
    "flat_share_level6",  # a level only the batch's widest scenario has: null
    "fault_tolerance.coverage",
)


def _reference_table(
    frame: pd.DataFrame, schema: pa.Schema, scenario: Scenario, identity: Mapping[str, Any]
) -> pa.Table:
    """The batch table as it was made: identity columns inserted, columns read one by one."""
    frame = frame.copy()
    frame.insert(0, "scenario", identity["scenario"])
    frame.insert(1, "replicate", np.int64(identity["replicate"]))
    frame.insert(2, "seed", np.int64(identity["seed"]))
    arrays = []
    for name, kind in zip(schema.names, schema.types, strict=True):
        if name in frame.columns:
            arrays.append(pa.array(frame[name].to_numpy(), type=kind, from_pandas=True))
        elif "." in name:
            arrays.append(pa.array([scenario.params.get(name)] * len(frame), type=kind))
        else:
            arrays.append(pa.nulls(len(frame), type=kind))
    return pa.Table.from_arrays(arrays, schema=schema)


def _reference_series(
    values: Mapping[str, Sequence[float]], params_by_month: Sequence[Any], changed: Sequence[str]
) -> pd.DataFrame:
    """A run's time series frame as it was built: outputs, then month inserted, then parameters."""
    frame = pd.DataFrame(values).reset_index(drop=True)
    frame.insert(0, "month", np.arange(len(frame), dtype=np.int64))
    for name in changed:
        frame[name] = [params.get(name) for params in params_by_month]
    return frame


def _scenarios() -> list[Scenario]:
    """A baseline and a policy switch of fewer levels than the batch's widest scenario."""
    small = {"workforce.population": 90}
    switch = load("baseline").with_overrides(
        small | {"fault_tolerance.coverage": 0.3}, name="switch"
    )
    switch = Scenario.from_dict(
        switch.to_dict() | {"timeline": [{"at": 6, "set": {"fault_tolerance.coverage": 0.9}}]},
        origin="test",
    )
    return [load("baseline").with_overrides(small, name="plain"), switch]


def _tasks(scenarios: Sequence[Scenario], columns: Sequence[Sequence[str]]) -> list[RunTask]:
    """Two replicates of each scenario, for a batch of ``columns``."""
    return [
        RunTask(
            columns=tuple((name, kind) for name, kind in columns),
            scenario=scenario.to_dict(),
            scenario_name=scenario.name,
            digest=scenario.digest(),
            replicate=k,
            seed=100 + k,
            steps=MONTHS,
            metrics=METRICS,
            window=5,
        )
        for scenario in scenarios
        for k in range(2)
    ]


def _wider(scenarios: Sequence[Scenario]) -> list[list[str]]:
    """Batch columns of ``scenarios`` plus one more level (so some by-level shares are null)."""
    levels = int(scenarios[0].params["workforce.levels"]) + 1
    wider = scenarios[0].with_overrides({"workforce.levels": levels}, name="wide")
    return store.batch_columns([*scenarios, wider])


def _same_result(got: Mapping[str, Any], want: Mapping[str, Any]) -> None:
    """Two results of one run hold the same table, record (but times) and summary, bit for bit."""
    a = pa.ipc.open_stream(got["run"].payload).read_all()
    b = pa.ipc.open_stream(want["run"].payload).read_all()
    assert a.schema.equals(b.schema, check_metadata=False)
    assert a.equals(b)
    record = dict(want["run"].record)
    assert store.encode_run(a, record).payload == store.encode_run(b, record).payload
    assert got["run"].record["content"] == want["run"].record["content"]
    assert list(got["summary"]) == list(want["summary"])
    for metric, value in want["summary"].items():
        assert np.array_equal([got["summary"][metric]], [value], equal_nan=True), metric


def test_series_frame_is_the_frame_built_column_by_column() -> None:
    rng = np.random.default_rng(3)
    months = 9
    outputs = {"a": rng.random(months), "b": np.full(months, np.nan), "c": rng.random(months)}
    as_lists = {name: [float(v) for v in column] for name, column in outputs.items()}
    params = [
        {"x.f": 0.5 if m < 4 else 1, "x.i": 3 if m < 5 else 4, "x.b": m > 6} for m in range(months)
    ]
    changed = ["x.b", "x.f", "x.i"]
    for values in (outputs, as_lists, {k: v[::1] for k, v in outputs.items()}):
        got, want = (
            series_frame(values, params, changed),
            _reference_series(values, params, changed),
        )
        assert got.equals(want)
        assert list(got.columns) == list(want.columns)
        assert (got.dtypes == want.dtypes).all()
        assert got.index.equals(want.index) and isinstance(got.index, pd.RangeIndex)
        columns = series_columns(values, params, changed)
        assert list(columns) == list(want.columns)


def test_stack_series_columns_are_its_timeseries_and_give_the_same_table() -> None:
    scenarios = _scenarios()
    schema = store.batch_schema(_wider(scenarios))
    specs, frames = [], []
    for k, scenario in enumerate(scenarios):
        model = CadreModel(**scenario.model_kwargs(), rng=7 + k)
        model.run(MONTHS)
        specs.append(RunSpec(model.base_params, model.timeline, 7 + k))
        frames.append(model.timeseries())
    stack = RunStack(specs)
    stack.run(MONTHS)
    for r, (scenario, frame) in enumerate(zip(scenarios, frames, strict=True)):
        got = stack.timeseries(r)
        assert got.equals(frame) and (got.dtypes == frame.dtypes).all()
        assert list(got.columns) == list(frame.columns)
        columns = stack.series_columns(r)
        assert list(columns) == list(frame.columns)
        identity = {"scenario": scenario.name, "replicate": r, "seed": 7 + r}
        want = _reference_table(frame, schema, scenario, identity)
        for run in (columns, frame):
            table = store.as_batch_table(run, schema, scenario, identity)
            assert table.schema.equals(want.schema) and table.equals(want)
            for a, b in zip(table.columns, want.columns, strict=True):
                assert a.null_count == b.null_count
            record = {"scenario": scenario.name, "rows": table.num_rows}
            assert store.encode_run(table, record).payload == store.encode_run(want, record).payload
            assert store.content_digest(table) == store.content_digest(want)


def test_stacked_and_alone_runs_finish_with_the_same_data_and_summaries() -> None:
    scenarios = _scenarios()
    tasks = tuple(_tasks(scenarios, _wider(scenarios)))
    stacked = execute_stack(tasks)
    alone = [execute_run(task) for task in tasks]
    for got, want in zip(stacked, alone, strict=True):
        assert got["status"] == want["status"] == "done"
        _same_result(got, want)
    # the parameter column of the policy switch: NaN for the run whose series lacks it
    assert math.isnan(stacked[0]["summary"]["fault_tolerance.coverage"])
    assert stacked[2]["summary"]["fault_tolerance.coverage"] == 0.9
    assert "flat_share_level6" in store.batch_schema(tasks[0].columns).names
    assert all(math.isnan(result["summary"]["flat_share_level6"]) for result in stacked)
    assert all(not math.isnan(result["summary"]["flat_share_level3"]) for result in stacked)


def test_finish_gives_what_the_frame_with_inserted_columns_gave() -> None:
    scenarios = _scenarios()
    schema_columns = _wider(scenarios)
    schema = store.batch_schema(schema_columns)
    for task, scenario in zip(_tasks(scenarios, schema_columns)[1::2], scenarios, strict=True):
        model = CadreModel(**scenario.model_kwargs(), rng=task.seed)
        model.run(MONTHS)
        frame = model.timeseries()
        kept = frame.copy()
        result = _finish(task, {"started": "t", "host": "h"}, scenario, frame, 1.0)
        assert frame.equals(kept) and list(frame.columns) == list(kept.columns)
        identity = {"scenario": task.scenario_name, "replicate": task.replicate, "seed": task.seed}
        table = _reference_table(frame, schema, scenario, identity)
        assert result["run"].record["content"] == store.content_digest(table)
        assert result["run"].record["rows"] == table.num_rows == MONTHS + 1
        want = store.window_means(frame, task.metrics, task.window)
        for metric, value in want.items():
            assert np.array_equal([result["summary"][metric]], [value], equal_nan=True), metric


@pytest.mark.parametrize("window", [1, 4, 12, 30])
def test_table_window_means_are_the_frame_window_means_bit_for_bit(window: int) -> None:
    rng = np.random.default_rng(window)
    rows = 25
    for _ in range(20):
        x = rng.random(rows) * 10.0 ** rng.integers(-3, 4, rows)
        x[rng.random(rows) < 0.3] = np.nan
        frame = pd.DataFrame(
            {
                "month": np.arange(rows, dtype=np.int64),
                "x": x,
                "gone": np.full(rows, np.nan),
                "n": rng.integers(0, 9, rows),
                "b": rng.random(rows) < 0.5,
            }
        )
        table = pa.Table.from_pandas(frame, preserve_index=False)
        metrics = ["x", "gone", "n", "b", "absent"]
        got = store.table_window_means(table, metrics, window)
        want = store.window_means(frame, metrics, window)
        assert list(got) == list(want)
        for metric in metrics:
            assert np.array_equal([got[metric]], [want[metric]], equal_nan=True), metric
            assert type(got[metric]) is float


def test_as_batch_table_takes_lists_typed_as_frame_columns_and_checks_its_columns() -> None:
    schema = pa.schema(
        [("scenario", pa.string()), ("month", pa.int64()), ("x", pa.float64()), ("y", pa.bool_())]
    )
    columns = {"month": np.arange(3, dtype=np.int64), "x": [0.5, math.nan, 2.0], "y": [1, 0, 1]}
    columns["y"] = [True, 0, 1.0]  # an object column: neither way takes it as bools
    with pytest.raises(pa.ArrowInvalid):
        store.as_batch_table(columns, schema, {}, {"scenario": "s"})
    with pytest.raises(pa.ArrowInvalid):
        store.as_batch_table(pd.DataFrame(columns), schema, {}, {"scenario": "s"})
    for y in ([1, 0, 1], [True, False, True]):
        columns["y"] = y
        table = store.as_batch_table(columns, schema, {}, {"scenario": "s"})
        frame = pd.DataFrame(columns)
        frame.insert(0, "scenario", "s")
        assert table.equals(store.as_batch_table(frame, schema, {}))
        assert table.column("x").null_count == 1
    with pytest.raises(ValueError, match="outside the batch's schema: z"):
        store.as_batch_table({**columns, "z": [1, 2, 3]}, schema, {})
    with pytest.raises(ValueError, match="outside the batch's schema: w"):
        store.as_batch_table(columns, schema, {}, {"w": 1})
    with pytest.raises(ValueError, match="different lengths"):
        store.as_batch_table({**columns, "x": [1.0]}, schema, {})


def test_content_digest_of_a_column_in_several_chunks_is_that_of_one_chunk() -> None:
    x = pa.chunked_array([[0.5, None], [2.0], [None, 4.0]])
    s = pa.chunked_array([["a", None], ["bc"]], type=pa.string())
    chunked = pa.table({"x": x, "s": pa.chunked_array([*s.chunks, pa.array(["d", "e"])])})
    whole = pa.table({"x": x.combine_chunks(), "s": chunked.column("s").combine_chunks()})
    assert chunked.column("x").num_chunks == 3
    assert store.content_digest(chunked) == store.content_digest(whole)
    assert store.content_digests(chunked, [(0, 2), (2, 3)]) == store.content_digests(
        whole, [(0, 2), (2, 3)]
    )


def test_tasks_of_one_scenario_share_its_scenario_and_parameters_in_a_stack() -> None:
    scenarios = _scenarios()
    tasks = _tasks(scenarios, _wider(scenarios))
    built, specs = _stack_specs(tasks)
    assert [s.name for s in built] == [t.scenario_name for t in tasks]
    assert built[0] is built[1] and specs[0].params is specs[1].params
    assert built[1] is not built[2] and specs[1].params != specs[2].params
    assert [spec.seed for spec in specs] == [task.seed for task in tasks]
    for scenario, spec, task in zip(built, specs, tasks, strict=True):
        alone = _scenario(task)
        assert scenario == alone and spec.params == Params.from_values(alone.params)
        assert spec.timeline == coerce_timeline(alone.timeline)
    # the same digest with other data (never made by a batch) is built apart
    other = replace(tasks[1], scenario=tasks[2].scenario)
    built, specs = _stack_specs([tasks[0], other])
    assert built[1] == _scenario(tasks[2]) and specs[1].params != specs[0].params
