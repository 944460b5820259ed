"""The columns of a batch: one schema for every run, and a digest of a run's content.

Every data file of a batch has the same columns (:func:`batch_columns`),
fixed when the batch is created and recorded in its manifest: the
identifying columns, every model output (the by-level shares of the
scenario with the most levels), and every parameter some scenario's
timeline changes. A run is brought to that schema by :func:`as_batch_table`: a
parameter its own timeline leaves alone holds its real (constant) value,
and a by-level share its organisation lacks is null. Missing values (NaN)
are stored as nulls, as pandas does.

:func:`content_digests` is the digest of a run's data that the manifest
records and every full read checks. It is computed from the values
themselves (names, types, nulls and value bytes of each column), not from
any file encoding, so it does not depend on the pyarrow version or on how
the run is stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from sim.model.outputs import output_names
from sim.parameters import registry as params
from sim.runs.store.layout import ID_COLUMNS

if TYPE_CHECKING:
    from sim.scenarios import Scenario

__all__ = [
    "ARROW_TYPES",
    "ColumnSpec",
    "batch_columns",
    "batch_schema",
    "content_digest",
    "content_digests",
    "as_batch_table",
]

#: A batch's columns as stored in its manifest: ``[[name, type name], ...]``.
ColumnSpec = Sequence[Sequence[str]]

#: The column types a batch can have, by the name the manifest records.
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int64": pa.int64(),
    "double": pa.float64(),
    "bool": pa.bool_(),
}

_ID_TYPES = {"scenario": "string", "replicate": "int64", "seed": "int64", "month": "int64"}
_PARAM_TYPES = {bool: "bool", int: "int64", float: "double"}


def batch_columns(scenarios: Iterable[Scenario]) -> list[list[str]]:
    """The columns of a batch of ``scenarios``: ``[[name, type], ...]`` in file order.

    Identifying columns, then the model outputs of the largest organisation
    (:func:`sim.model.outputs.output_names`), then every parameter changed by
    some scenario's timeline (sorted by dotted name), typed by the registry.
    """
    chosen = list(scenarios)
    levels = max((int(s.params["workforce.levels"]) for s in chosen), default=1)
    changed = sorted({name for s in chosen for change in s.timeline for name in change.settings})
    columns = [[name, _ID_TYPES[name]] for name in ID_COLUMNS]
    columns += [[name, "double"] for name in output_names(levels)]
    columns += [[name, _PARAM_TYPES[type(params.by_name(name).default)]] for name in changed]
    return columns


def batch_schema(columns: ColumnSpec) -> pa.Schema:
    """The Arrow schema of a batch's columns (as recorded in its manifest).

    Raises:
        ValueError: a column type this store does not know.

    """
    fields = []
    for name, kind in columns:
        if kind not in ARROW_TYPES:
            raise ValueError(f"column {name!r} has an unknown type {kind!r}")
        fields.append(pa.field(name, ARROW_TYPES[kind]))
    return pa.schema(fields)


def as_batch_table(
    frame: pd.DataFrame | Mapping[str, Sequence[Any]],
    schema: pa.Schema,
    scenario: Scenario | Mapping[str, Any],
    constants: Mapping[str, Any] | None = None,
) -> pa.Table:
    """One run's frame (identifying columns in it or as ``constants``) as a batch table.

    ``frame`` may also be the run's columns by name (as
    :func:`sim.model.outputs.series_columns` gives them): numpy arrays, or
    lists typed as a frame's column of them would be; the table is the
    same as from the frame of those columns.
    ``constants`` are columns holding one value on every row (a run's
    ``scenario``, ``replicate`` and ``seed``), given as values instead of
    frame columns; the table is the same as with those columns in the frame.
    A timeline parameter column the frame lacks gets the scenario's value
    (constant over the run, since its timeline does not change it); any
    other missing column (a by-level share of a level the organisation does
    not have) is null. Columns the schema does not have are an error.

    Raises:
        ValueError: the frame (or ``constants``) has a column outside the batch's schema.

    """
    known = set(schema.names)
    constants = constants or {}
    columns = _frame_columns(frame) if isinstance(frame, pd.DataFrame) else _as_columns(frame)
    extra = [str(c) for c in (*columns, *constants) if c not in known]
    if extra:
        raise ValueError(f"run has columns outside the batch's schema: {', '.join(extra)}")
    values = scenario.params if hasattr(scenario, "params") else scenario
    rows = len(frame) if isinstance(frame, pd.DataFrame) else _rows(columns)
    arrays = []
    for name, kind in zip(schema.names, schema.types, strict=True):
        if name in columns:
            arrays.append(pa.array(columns[name], type=kind, from_pandas=True))
        elif name in constants:
            arrays.append(pa.array([constants[name]] * rows, type=kind))
        elif _is_parameter(name):
            arrays.append(pa.array([values.get(name)] * rows, type=kind))
        else:
            arrays.append(pa.nulls(rows, type=kind))
    return pa.Table.from_arrays(arrays, schema=schema)


def _frame_columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each column of ``frame`` as a numpy array (``Series.to_numpy``), by name."""
    return {name: frame[name].to_numpy() for name in frame.columns}


def _as_columns(columns: Mapping[str, Sequence[Any]]) -> dict[str, np.ndarray]:
    """Columns by name as numpy arrays: arrays as they are, lists as a frame's column types them."""
    return {
        name: column if isinstance(column, np.ndarray) else pd.Series(column).to_numpy()
        for name, column in columns.items()
    }


def _rows(columns: Mapping[str, np.ndarray]) -> int:
    """The rows of a run's columns (all of one length).

    Raises:
        ValueError: columns of different lengths.

    """
    lengths = {len(column) for column in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"run has columns of different lengths: {sorted(lengths)}")
    return lengths.pop() if lengths else 0


def _is_parameter(name: str) -> bool:
    """Whether a column is a parameter (a dotted name of the registry), not an output."""
    try:
        params.by_name(name)
    except KeyError:
        return False
    return True


def _column_parts(column: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A column's null mask and its values (nulls as 0 or empty text) as numpy arrays."""
    if isinstance(column, pa.ChunkedArray):
        array = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    else:
        array = column
    text = _is_text(array.type)
    if array.null_count:
        nulls = np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        array = array.fill_null("" if text else 0)
    else:
        nulls = np.zeros(len(array), dtype=bool)
    if text:
        return nulls, np.asarray(array.to_numpy(zero_copy_only=False), dtype=object)
    return nulls, np.ascontiguousarray(array.to_numpy(zero_copy_only=False))


def _is_text(kind: pa.DataType) -> bool:
    """Whether a column type holds text."""
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def content_digests(table: pa.Table, slices: Sequence[tuple[int, int]]) -> list[str]:
    """The content digest of each run ``(offset, rows)`` of ``table`` (BLAKE2b, 128 bits).

    Each run's digest covers, column by column, the name, the type, the null
    mask and the values of its rows, so it is the same however and wherever
    the run is stored. One pass per column serves every run.
    """
    hashers = [hashlib.blake2b(digest_size=16) for _ in slices]
    for name, column in zip(table.column_names, table.columns, strict=True):
        nulls, values = _column_parts(column)
        header = f"{name}\0{column.type}\0".encode()
        text = values.dtype == object
        for hasher, (offset, rows) in zip(hashers, slices, strict=True):
            hasher.update(header)
            hasher.update(nulls[offset : offset + rows].tobytes())
            if text:
                hasher.update("\0".join(values[offset : offset + rows]).encode("utf-8"))
            else:
                hasher.update(values[offset : offset + rows].tobytes())
    return [hasher.hexdigest() for hasher in hashers]


def content_digest(table: pa.Table) -> str:
    """The content digest of one run's table (see :func:`content_digests`)."""
    return content_digests(table, [(0, table.num_rows)])[0]
