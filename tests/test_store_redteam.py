"""The red-team cases of the results store: what a folder holds is what its manifest says.

Swapped and stray files, lost and damaged manifests, folders of store
format 1, journals cut short, filesystem errors, bad scenario files and
killed single runs; each is found, reported in one line and never mixed in.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

import sim.runs.store.writer as writer_module
from sim.cli import main as cli_main
from sim.errors import IncompleteResultsError, InputError, ResultsWarning
from sim.runs import store
from sim.runs.batch import replicate_seed, run_batch
from sim.runs.provenance import environment
from sim.runs.seeding import SEEDING
from sim.scenarios import load

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = ["baseline", "young_cadres"]
SETTINGS = {"replicates": 3, "steps": 6, "population": 60, "root_seed": 3}


def _batch(out: Path, **changes) -> Path:
    run_batch(SCENARIOS, out=out, executor="serial", **{**SETTINGS, **changes})
    return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _batch(tmp_path_factory.mktemp("redteam") / "reference")


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another batch of the same scenarios: other steps and population."""
    return _batch(tmp_path_factory.mktemp("redteam") / "other", steps=7, population=70)


@pytest.fixture(scope="module")
def per_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference batch with every run sealed into a data file of its own."""
    out = tmp_path_factory.mktemp("redteam") / "per-run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(writer_module, "PART_BYTES", 1)
        return _batch(out)


def _copy(reference: Path, tmp_path: Path, name: str = "copy") -> Path:
    out = tmp_path / name
    shutil.copytree(reference, out)
    return out


def _check(folder: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    capsys.readouterr()
    status = cli_main(["check", str(folder), *extra])
    captured = capsys.readouterr()
    return status, captured.out + captured.err


# ---------------------------------------------------------------------------
# The manifest is the truth
# ---------------------------------------------------------------------------


def test_a_stray_and_a_swapped_file_are_found_by_check_and_never_loaded(
    reference: Path, other: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = store.load(reference)
    assert _check(reference, capsys) == (0, f"{reference}: sound: 6 runs listed, 6 finished and "
                                            "verified, 0 failed\n")  # fmt: skip
    # a stray: another batch's data file and an old-layout run file copied in
    out = _copy(reference, tmp_path, "stray")
    (stray,) = (other / "data").glob("part-*.parquet")
    shutil.copy(stray, out / "data" / "part-99999999-0001.parquet")
    (out / "runs" / "baseline").mkdir(parents=True)
    shutil.copy(stray, out / "runs" / "baseline" / "rep-0099.parquet")
    with pytest.warns(ResultsWarning, match="ignored 2 file") as caught:
        pd.testing.assert_frame_equal(store.load(out), expected)
    message = str(caught[0].message)
    assert (
        "data/part-99999999-0001.parquet" in message and "runs/baseline/rep-0099.parquet" in message
    )
    assert "\n" not in message
    with pytest.warns(ResultsWarning):
        assert len(store.summaries(out, window=6)) == 6
    status, text = _check(out, capsys)
    assert status == 2
    assert text.count("error: ") == 2 and text.count("not listed in the manifest") == 2
    # a swap: a listed data file replaced by another batch's
    out = _copy(reference, tmp_path, "swapped")
    (mine,) = (out / "data").glob("part-*.parquet")
    shutil.copy(stray, mine)
    with pytest.raises(IncompleteResultsError, match="belongs to another batch"):
        store.load(out)
    with pytest.raises(IncompleteResultsError, match="belongs to another batch"):
        store.summaries(out, window=6)
    status, text = _check(out, capsys)
    assert status == 2 and f"{mine}: belongs to another batch" in text
    summary = run_batch(out=out, resume=True, executor="serial")
    assert (summary.done, summary.skipped) == (6, 0)
    with pytest.warns(ResultsWarning, match=mine.name):
        pd.testing.assert_frame_equal(store.load(out), expected)


def test_runs_moved_between_files_of_the_same_batch_or_edited_are_found(
    per_run: Path, tmp_path: Path
) -> None:
    out = _copy(per_run, tmp_path)
    first, second = sorted((out / "data").glob("part-*.parquet"))[:2]
    data = first.read_bytes()
    first.write_bytes(second.read_bytes())
    second.write_bytes(data)
    with pytest.raises(IncompleteResultsError, match="does not hold"):
        store.load(out)
    # the same file rewritten with other values but its record kept: the content digest differs
    out = _copy(per_run, tmp_path, "edited")
    victim = sorted((out / "data").glob("part-*.parquet"))[0]
    table = pq.read_table(victim)
    index = table.schema.get_field_index("flat_share")
    changed = table.set_column(index, "flat_share", [np.zeros(table.num_rows)])
    pq.write_table(changed.replace_schema_metadata(table.schema.metadata), victim)
    store.load(out, columns=["active_share"])  # only the identity is checked on a subset
    with pytest.raises(IncompleteResultsError, match="content digest"):
        store.load(out)
    assert any("content digest" in p for p in store.check(out).problems)


def test_a_subset_reads_only_its_own_data(per_run: Path, tmp_path: Path) -> None:
    out = _copy(per_run, tmp_path)
    records = store.read_manifest(out)["runs"]
    theirs = {r["file"] for r in records if r["scenario"] == "young_cadres"}
    for file in theirs:
        (out / file).write_bytes(b"not parquet")
    frame = store.load(out, scenarios=["baseline"], columns=["flat_share"], months=(2, 4))
    assert list(frame.columns) == ["scenario", "replicate", "seed", "month", "flat_share"]
    assert sorted(frame["month"].unique()) == [2, 3, 4] and len(frame) == 9
    full = store.load(per_run, scenarios=["baseline"])
    kept = full[full["month"].between(2, 4)][list(frame.columns)].reset_index(drop=True)
    pd.testing.assert_frame_equal(frame, kept)
    with pytest.raises(IncompleteResultsError, match="unreadable"):
        store.load(out, scenarios=["young_cadres"], columns=["flat_share"])
    with pytest.raises(InputError, match="month window 3..9"):
        store.load(out, months=(3, 9))


def test_one_schema_per_batch_with_the_real_timeline_values_readable_by_pyarrow_dataset(
    per_run: Path,
) -> None:
    files = sorted((per_run / "data").glob("part-*.parquet"))
    assert len(files) == 6
    schemas = {pq.read_schema(f).remove_metadata() for f in files}
    assert len(schemas) == 1
    frame = store.load(per_run)
    baseline = frame[frame["scenario"] == "baseline"]
    assert (
        baseline["workforce.idealist_share"] == load("baseline").params["workforce.idealist_share"]
    ).all()
    dataset = ds.dataset(per_run / "data", format="parquet")
    table = dataset.to_table(
        columns=["scenario", "replicate", "month", "flat_share"],
        filter=(ds.field("scenario") == "young_cadres") & (ds.field("month") >= 3),
    )
    assert table.num_rows == 3 * 4
    mine = frame[(frame["scenario"] == "young_cadres") & (frame["month"] >= 3)]
    direct = table.to_pandas().sort_values(["replicate", "month"])["flat_share"].to_numpy()
    np.testing.assert_array_equal(direct, mine["flat_share"].to_numpy())


def test_duckdb_and_polars_read_the_data_files_when_installed(per_run: Path) -> None:
    pattern = str(per_run / "data" / "*.parquet")
    expected = store.summaries(per_run, ["flat_share"], window=6)["flat_share"].mean()
    tried = 0
    try:
        import duckdb
    except ImportError:
        pass
    else:
        tried += 1
        query = f"SELECT avg(flat_share) FROM read_parquet('{pattern}') WHERE month > 0"
        assert duckdb.sql(query).fetchall()[0][0] == pytest.approx(expected)
    try:
        import polars as pl
    except ImportError:
        pass
    else:
        tried += 1
        found = (
            pl.scan_parquet(pattern).filter(pl.col("month") > 0).select(pl.col("flat_share").mean())
        )
        assert found.collect().item() == pytest.approx(expected)
    if not tried:
        pytest.skip("neither duckdb nor polars is installed")


def test_a_lost_or_damaged_manifest_is_rebuilt_from_the_data_files(
    reference: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = store.load(reference)
    before = store.read_manifest(reference)
    for damage in ("lost", "truncated"):
        out = _copy(reference, tmp_path, damage)
        manifest = out / store.MANIFEST
        if damage == "lost":
            manifest.unlink()
        else:
            manifest.write_bytes(manifest.read_bytes()[:200])
        status, text = _check(out, capsys)
        assert status == 2 and "repair" in text
        status, text = _check(out, capsys, "--repair")
        assert status == 0, text
        assert "rebuilt" in text and "6 of 6 runs" in text
        pd.testing.assert_frame_equal(store.load(out), expected)
        rebuilt = store.read_manifest(out)
        for key in ("batch", "steps", "replicates", "root_seed", "seeding", "columns", "scenarios"):
            assert rebuilt[key] == before[key], key
        summary = run_batch(out=out, resume=True, replicates=4, executor="serial")
        assert (summary.done, summary.skipped) == (2, 6)


def test_a_journal_cut_short_keeps_its_complete_runs(reference: Path, tmp_path: Path) -> None:
    out = _copy(reference, tmp_path)
    manifest = store.read_manifest(out)
    (part,) = (out / "data").glob("part-*.parquet")
    table = pq.read_table(part)
    journal = store.parts.Journal(
        out / "data" / ".journal-0badf00d-0001.arrows",
        store.batch_schema(manifest["columns"]),
        {"batch": manifest["batch"], "steps": 6},
    )
    records = {(r["scenario"], r["replicate"]): r for r in manifest["runs"]}
    redo = [("young_cadres", 1), ("young_cadres", 2)]
    for key in redo:
        rec = records[key]
        mask = (table["scenario"].to_numpy(zero_copy_only=False) == key[0]) & (
            table["replicate"].to_numpy() == key[1]
        )
        run = table.filter(mask).replace_schema_metadata(None)
        journal.append(store.encode_run(run, {**rec, "rows": 7}))
    journal.close()
    data = journal.path.read_bytes()
    journal.path.write_bytes(data[: len(data) - 200])  # the second run is cut short
    for key in redo:
        records[key]["status"] = "pending"
        for place in ("file", "row_group", "offset", "content", "rows"):
            records[key].pop(place)
    store.write_manifest(out, manifest)
    summary = run_batch(out=out, resume=True, executor="serial")
    assert (summary.done, summary.skipped) == (1, 5)
    assert any("recovered 1 finished run" in note for note in summary.notes)
    pd.testing.assert_frame_equal(store.load(out), store.load(reference))


def test_a_format_1_folder_is_upgraded_in_place(tmp_path: Path, capsys) -> None:
    out = tmp_path / "old"
    scenarios = [load(n).with_overrides({"workforce.population": 60}) for n in SCENARIOS]
    manifest = {
        "kind": store.KIND, "format": 1, "created": "2025-01-01T00:00:00+00:00",
        "status": "complete", "provenance": environment(), "steps": 6, "replicates": 2,
        "root_seed": 3, "seeding": SEEDING, "sessions": [],
        "scenarios": [{"name": s.name, "digest": s.digest()} for s in scenarios], "runs": [],
    }  # fmt: skip
    (out / "scenarios").mkdir(parents=True)
    from sim.runs.execute import simulate

    frames = []
    for s in scenarios:
        (out / "scenarios" / f"{s.name}.json").write_text(
            json.dumps({"name": s.name, "digest": s.digest(), "scenario": s.to_dict()})
        )
        for k in range(2):
            seed = replicate_seed(3, k)
            frame = simulate(s, steps=6, seed=seed)
            frame.insert(0, "scenario", s.name)
            frame.insert(1, "replicate", np.int64(k))
            frame.insert(2, "seed", np.int64(seed))
            frames.append(frame)
            meta = {"scenario": s.name, "digest": s.digest(), "replicate": k, "seed": seed,
                    "steps": 6, "wall_time": 0.1}  # fmt: skip
            store.run_file(out, s.name, k).parent.mkdir(parents=True, exist_ok=True)
            store.write_run(frame, store.run_file(out, s.name, k), meta)
            manifest["runs"].append({"scenario": s.name, "replicate": k, "seed": seed,
                                     "status": "done"})  # fmt: skip
    shutil.copy(store.run_file(out, "baseline", 0), store.run_file(out, "baseline", 99))
    (out / "manifest.json").write_text(json.dumps(manifest))
    # the old layout's files differ: the timeline scenario's has one more column
    width = len(frames[0].columns)
    assert [len(pq.read_schema(store.run_file(out, s.name, 0)).names) for s in scenarios] == [
        width,
        width + 1,
    ]
    with pytest.raises(IncompleteResultsError, match="store format 1"):
        store.load(out)
    status, text = _check(out, capsys)
    assert status == 2 and "store format 1" in text
    status, text = _check(out, capsys, "--upgrade")
    assert status == 2, text  # upgraded, and the stray copy is reported
    assert "4 run(s) converted" in text and "runs/baseline/rep-0099.parquet" in text
    assert not (out / "scenarios").exists()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResultsWarning)
        loaded = store.load(out)
    expected = pd.concat(frames, ignore_index=True)
    expected["workforce.idealist_share"] = expected["workforce.idealist_share"].fillna(
        scenarios[0].params["workforce.idealist_share"]
    )
    expected["scenario"] = pd.Categorical(expected["scenario"], categories=SCENARIOS, ordered=True)
    pd.testing.assert_frame_equal(loaded[list(expected.columns)], expected)
    (out / "runs" / "baseline" / "rep-0099.parquet").unlink()
    summary = run_batch(out=out, resume=True, replicates=3, executor="serial")
    assert (summary.done, summary.skipped) == (2, 4)
    assert _check(out, capsys)[0] == 0


# ---------------------------------------------------------------------------
# Folders: validated before anything is created, errors in one line
# ---------------------------------------------------------------------------


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    status = cli_main(list(argv))
    captured = capsys.readouterr()
    return status, captured.err


SMALL = ["--replicates", "1", "--steps", "2", "--population", "20", "--executor", "serial"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nosuch"], "unknown scenario 'nosuch'"),
        (["baseline", "--steps", "2"], "replicates is required"),
        (["baseline", "-r", "1", "--population", "5"], "workforce.population = 5 is out of range"),
        (["my scenario.toml", "-r", "1"], "'my scenario' must be"),
        (["baseline", "-r", "1", "--set", "fault_tolerance.coverage=2"], "out of range"),
    ],
)
def test_input_errors_leave_no_folder_behind(
    tmp_path: Path, capsys, monkeypatch, arguments: list[str], message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("my scenario.toml").write_text("")
    status, err = _cli(capsys, "batch", *arguments, "--out", "never/here")
    assert status == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not Path("never").exists()


def test_filesystem_errors_are_one_line_naming_the_path(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("afile").write_text("x")
    cases = {
        "afile/batch": "afile",
        "/proc/cadre-sim-batch": "/proc/cadre-sim-batch",
        "/sys/cadre-sim-batch": "/sys/cadre-sim-batch",
        "y" * 300: "File name too long",
    }
    for out, fragment in cases.items():
        for command in (["batch", "baseline", *SMALL], ["run", "baseline", "--steps", "2",
                                                         "--population", "20"]):  # fmt: skip
            status, err = _cli(capsys, *command, "--out", out)
            assert status == 2, (out, err)
            assert fragment in err and err.count("\n") == 1 and err.startswith("error: "), err
    assert sorted(os.listdir(".")) == ["afile"]


def test_resume_copes_with_folders_and_files_in_the_wrong_places(
    reference: Path, tmp_path: Path, capsys
) -> None:
    out = _copy(reference, tmp_path, "folder")
    (part,) = (out / "data").glob("part-*.parquet")
    part.unlink()
    part.mkdir()
    status, err = _cli(capsys, "batch", "--resume", "--out", str(out))
    assert status == 0, err
    assert "re-running 6 run(s)" in err and "is not a regular file" in err
    with pytest.warns(ResultsWarning, match=part.name):
        pd.testing.assert_frame_equal(store.load(out), store.load(reference))
    out = _copy(reference, tmp_path, "file")
    shutil.rmtree(out / "data")
    (out / "data").write_text("not a folder")
    status, err = _cli(capsys, "batch", "--resume", "--out", str(out))
    assert status == 2 and err.count("\n") == 1 and "data" in err and "Traceback" not in err


def test_a_folder_killed_before_its_first_manifest_starts_afresh(
    reference: Path, tmp_path: Path
) -> None:
    out = tmp_path / "unstarted"
    out.mkdir()
    (out / ".lock").write_text("123\n")
    (out / ".manifest.json.123.abcdef12.tmp").write_text('{"kind": "cadre-')
    (out / "scenarios.jsonl").write_text('{"kind": "cadre-sim scenarios"}\n')
    with pytest.raises(InputError, match="no batch recorded"):
        run_batch(out=out, resume=True, executor="serial")
    summary = run_batch(SCENARIOS, out=out, executor="serial", **SETTINGS)
    assert summary.complete and not list(out.glob("*.tmp"))
    pd.testing.assert_frame_equal(store.load(out), store.load(reference))


# ---------------------------------------------------------------------------
# Scenario files and single runs
# ---------------------------------------------------------------------------


def _show(tmp_path: Path, target: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim", "show", target],
        cwd=tmp_path, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip


def test_bad_scenario_files_are_one_line_never_a_hang_or_a_crash(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    os.symlink("loop-b.toml", "loop-a.toml")
    os.symlink("loop-a.toml", "loop-b.toml")
    Path("child.toml").write_text('extends = "loop-a.toml"\n')
    os.mkfifo("pipe.toml")
    for i in range(340):
        Path(f"chain{i}.toml").write_text(f'extends = "chain{i + 1}.toml"\n')
    Path("chain340.toml").write_text("[fault_tolerance]\ncoverage = 0.25\n")
    cases = {
        "loop-a.toml": "symbolic link loop",
        "child.toml": "symbolic link loop",
        "pipe.toml": "is a FIFO",
        "/dev/zero": "is a device",
        "y" * 300 + ".toml": "File name too long",
    }
    for target, fragment in cases.items():
        status, err = _cli(capsys, "show", target)
        assert status == 2 and fragment in err and err.count("\n") == 1, (target, err)
    status, out = cli_main(["show", "chain0.toml", "--format", "json"]), capsys.readouterr().out
    assert status == 0 and json.loads(out)["fault_tolerance"]["coverage"] == 0.25
    big = Path("big.toml")
    big.write_bytes(b"#" * (5 * 1024 * 1024))
    status, err = _cli(capsys, "show", "big.toml")
    assert status == 2 and "too large" in err


def test_show_of_a_fifo_returns_at_once(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.toml")
    done = _show(tmp_path, "pipe.toml", timeout=30)
    assert done.returncode == 2 and "is a FIFO" in done.stderr


def test_a_bad_name_from_a_file_name_is_refused_before_simulating(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("my scenario.toml").write_text("")
    import sim.runs.single as single

    def never(*args, **kwargs):
        raise AssertionError("simulated before checking the name")

    monkeypatch.setattr(single, "simulate", never)
    status, err = _cli(capsys, "run", "my scenario.toml", "--steps", "2", "--population", "20")
    assert status == 2 and "from the file name my scenario.toml" in err and ".partial" not in err
    assert sorted(os.listdir(".")) == ["my scenario.toml"]


def test_the_debris_of_killed_single_runs_is_tidied_on_the_next_start(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    argv = ["run", "baseline", "--steps", "2", "--population", "20", "--out", "one"]
    assert _cli(capsys, *argv)[0] == 0
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    # killed between moving the old run folder aside and putting the new one in place
    Path("one").rename(f".one.{dead.pid}-0123abcd.old")
    Path(f".one.{dead.pid}-89abcdef.partial").mkdir()
    store.clean_run_debris(Path("one"))
    assert sorted(os.listdir(".")) == ["one"] and Path("one/metadata.json").is_file()
    shutil.copytree("one", f".one.{dead.pid}-0123abcd.old")
    Path(f".one.{dead.pid}-89abcdef.partial").mkdir()
    assert _cli(capsys, *argv)[0] == 0
    assert sorted(os.listdir(".")) == ["one"]
