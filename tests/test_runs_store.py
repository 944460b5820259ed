"""The one atomic write, the store's run folder, provenance and the error types."""

from __future__ import annotations

import dataclasses
import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim import fileio
from sim.errors import InputError, Problem, arguments_of, one_line
from sim.runs import provenance, single, store
from sim.runs.checks import check_names
from sim.scenarios import load


def test_atomic_write_leaves_the_old_file_and_no_temporary_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "data.json"
    fileio.atomic_write_json(target, {"a": float("nan")})
    assert target.read_text() == '{\n "a": NaN\n}\n'

    def half_then_fail(path: Path) -> None:
        path.write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        fileio.atomic_write(target, half_then_fail)
    assert target.read_text() == '{\n "a": NaN\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["data.json"]


def test_atomic_write_forms_write_text_bytes_and_callbacks(tmp_path: Path) -> None:
    fileio.atomic_write_text(tmp_path / "t.txt", "é\n")
    fileio.atomic_write_bytes(tmp_path / "b.bin", b"\x00\x01")
    frame = pd.DataFrame({"x": [1, 2]})
    fileio.atomic_write(tmp_path / "f.parquet", lambda p: frame.to_parquet(p, index=False))
    assert (tmp_path / "t.txt").read_text(encoding="utf-8") == "é\n"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "f.parquet"), frame)
    temporary = fileio.temporary_path(tmp_path / "t.txt")
    assert temporary.name.startswith(".t.txt.") and temporary.name.endswith(".tmp")


def test_problems_keep_their_arguments_through_merging_and_pickling() -> None:
    error = InputError("x", problems=["a", Problem("b", ("steps",))], arguments=("out",))
    assert str(error) == "a\nb"
    assert [arguments_of(p) for p in error.problems] == [("out",), ("steps",)]
    merged = InputError("m", problems=[*error.problems, "c"])
    assert [arguments_of(p) for p in merged.problems] == [("out",), ("steps",), ()]
    again = pickle.loads(pickle.dumps(error.problems[1]))
    assert again == "b" and again.arguments == ("steps",)
    assert one_line(ValueError("two\nlines")) == "ValueError: two lines"


def test_scenario_names_follow_the_one_name_rule() -> None:
    base = load("baseline")
    check_names([base, base.with_overrides({}, name="a.b-c_1")])
    for bad in ("../x", ".hidden", "x" * 129, "a b"):
        with pytest.raises(InputError, match="cannot name a results folder") as caught:
            check_names([dataclasses.replace(base, name=bad)])
        assert caught.value.problems[0].arguments == ("scenarios",)


def test_a_single_run_writes_and_reads_back_its_folder(tmp_path: Path) -> None:
    scenario = load("baseline").with_overrides({"workforce.population": 80})
    done = single.run_single(scenario, steps=3, seed=2, out=tmp_path / "one", command=["x"])
    assert sorted(p.name for p in done.out.iterdir()) == sorted(store.RUN_FILES)
    back = store.read_run_folder(done.out)
    assert back.scenario == scenario
    pd.testing.assert_frame_equal(back.timeseries, done.timeseries)
    assert back.metadata == json.loads((done.out / store.METADATA_FILE).read_text())
    assert back.metadata["command"] == ["x"] and back.metadata["steps"] == 3
    with pytest.raises(InputError, match="seed must be a whole number") as caught:
        single.run_single(scenario, steps=3, seed=-1, out=tmp_path / "two")
    assert caught.value.problems[0].arguments == ("seed",)
    with pytest.raises(InputError, match="not a cadre-sim run folder"):
        store.read_run_folder(tmp_path)


def test_provenance_records_versions_and_git_state() -> None:
    environment = provenance.environment()
    assert environment["cadre_sim"] and environment["mesa"].startswith("3.")
    assert {"numpy", "pandas", "pyarrow", "python", "host", "git_commit"} <= set(environment)
    session = provenance.session(["cadre-sim", "batch"], resumed=False, recorded=environment)
    assert session["provenance"] is environment and session["command"] == ["cadre-sim", "batch"]
    assert set(provenance.run_stamp()) == {"host", "cadre_sim", "mesa"}


def test_atomic_write_names_the_path_of_a_filesystem_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    (tmp_path / "folder").mkdir()
    for target, reason in (
        (tmp_path / "afile" / "x.json", "Not a directory"),
        (tmp_path / "missing" / "x.json", "No such file or directory"),
        (tmp_path / "folder", "Is a directory"),
    ):
        with pytest.raises(InputError, match=reason) as caught:
            fileio.atomic_write_text(target, "{}")
        assert str(target.parent) in str(caught.value) and "\n" not in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "folder"]


def test_the_safe_reader_refuses_what_is_not_a_small_regular_file(tmp_path: Path) -> None:
    (tmp_path / "ok.toml").write_text("a = 1\n")
    assert fileio.read_file_bytes(tmp_path / "ok.toml", "scenario") == b"a = 1\n"
    with pytest.raises(InputError, match="too large"):
        fileio.read_file_bytes(tmp_path / "ok.toml", "scenario", limit=3)
    with pytest.raises(InputError, match="is a folder"):
        fileio.read_file_bytes(tmp_path, "scenario")
    (tmp_path / "dangling.toml").symlink_to(tmp_path / "gone.toml")
    with pytest.raises(InputError, match="broken symbolic link"):
        fileio.read_file_bytes(tmp_path / "dangling.toml", "scenario")


def test_run_means_are_bit_for_bit_the_per_run_window_means() -> None:
    rng = np.random.default_rng(7)
    runs, rows = 40, 25
    values = rng.random(runs * rows) * 10.0 ** rng.integers(-3, 4, runs * rows)
    values[rng.random(values.size) < 0.15] = np.nan
    frame = pd.DataFrame({"month": np.tile(np.arange(rows), runs), "x": values})
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for window in (1, 7, 12, 24):
        vectorised = store.run_means(table, ["x", "absent"], window, runs)
        for k in range(runs):
            one = store.window_means(frame.iloc[k * rows : (k + 1) * rows], ["x", "absent"], window)
            assert np.array_equal([vectorised["x"][k]], [one["x"]], equal_nan=True)
            assert np.isnan(vectorised["absent"][k]) and np.isnan(one["absent"])


def test_content_digest_depends_on_the_values_not_on_how_they_are_stored(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"scenario": ["a"] * 5, "replicate": np.arange(5), "x": [0.5, np.nan, 1.0, 2.0, 3.0]}
    )
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    digest = store.content_digest(table)
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=2)
    again = pq.read_table(tmp_path / "t.parquet").replace_schema_metadata(None)
    assert store.content_digest(again) == digest
    both = pa.concat_tables([table, table])
    assert store.content_digests(both, [(0, 5), (5, 5)]) == [digest, digest]
    assert store.content_digests(both, [(1, 3)]) == [store.content_digest(table.slice(1, 3))]
    changed = table.set_column(2, "x", [pa.array([0.5, None, 1.0, 2.0, 3.5])])
    assert store.content_digest(changed) != digest
