"""Golden data: what the model produced before a restructuring, to compare after it.

Two kinds of record, both independent of any file format:

* ``frames.json``: for every shipped scenario and two seeds, a SHA-256 of the
  model's time-series frame (36 months at 500 cadres), with one short digest
  per column so that a mismatch names the outputs that moved;
* ``validate.json``: the numbers ``cadre-sim validate`` prints (every check's
  difference, interval, t and p, and every condition's verdict) at a small
  size that the suite can afford.

They are rewritten only by ``pytest tests/test_golden.py --regenerate-goldens``;
a change to the model's behaviour regenerates them in its own commit.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
FRAMES_FILE = HERE / "frames.json"
VALIDATE_FILE = HERE / "validate.json"

SEEDS: tuple[int, ...] = (11, 12)
POPULATION = 500
STEPS = 36

#: The size at which the validation numbers are recorded.
#: Fact 9 needs 1,000 cadres (the upper levels must hold hundreds); 2 replicates keep it cheap.
VALIDATE_SIZE: dict[str, int] = {"replicates": 2, "population": 1000, "steps": 96, "root_seed": 5}


def column_digest(values: pd.Series) -> str:
    """SHA-256 of one column: its dtype and its values' bytes (NaN bit patterns included)."""
    array = values.to_numpy()
    if array.dtype == object:
        payload = json.dumps([str(v) for v in array]).encode()
    else:
        payload = np.ascontiguousarray(array).tobytes()
    h = hashlib.sha256()
    h.update(str(array.dtype).encode())
    h.update(payload)
    return h.hexdigest()


def frame_record(frame: pd.DataFrame) -> dict[str, Any]:
    """A frame's digest (over sorted column names and column digests) and per-column digests."""
    columns = {str(name): column_digest(frame[name]) for name in sorted(frame.columns)}
    whole = hashlib.sha256(json.dumps(columns, sort_keys=True).encode()).hexdigest()
    return {"rows": len(frame), "digest": whole, "columns": {k: v[:16] for k, v in columns.items()}}


def rounded(value: Any) -> Any:
    """A JSON-safe copy of a number: NaN as None, floats as repr-exact floats."""
    if isinstance(value, float | np.floating):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def validation_record(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The numeric and verdict columns of ``Validation.table()``, one dict per row."""
    keep = ("fact", "kind", "key", "n", "difference", "ci_low", "ci_high", "t", "p_value")
    keep += ("detail", "passed", "fact_passed")
    return [{k: rounded(row[k]) for k in keep} for _, row in table.iterrows()]


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON with a trailing newline."""
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def read_json(path: Path) -> Any:
    """Read a golden JSON file."""
    return json.loads(path.read_text(encoding="utf-8"))
