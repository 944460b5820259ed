"""The results store at study size: 50,000 short runs, compact layout against one file per run.

Run:  .venv/bin/python benchmarks/bench_store.py
      [--runs 50000] [--scenarios 10] [--population 20] [--steps 3] [--workers 2]
      [--old-ref 3404a94] [--only new|old] [--simulate | --distinct 8]

The same batch (``--scenarios`` variants of the baseline, ``fault_tolerance.coverage``
from 0 to 0.9, ``--runs / --scenarios`` replicates each, ``--population`` cadres,
``--steps`` months) runs once with this checkout's store (journal, sealed
Parquet data files, one manifest) and once with the store of commit
``--old-ref`` (one Parquet file per run; the last commit with that layout),
taken with ``git archive`` into a temporary folder. Each runs on the process
executor with ``--workers`` workers, in a fresh interpreter whose own peak
resident memory (``getrusage(RUSAGE_SELF).ru_maxrss``: the batch's parent,
workers excluded) is reported. For each layout:

* files made in the results folder, and its bytes on disk (allocated blocks)
  and in the files (apparent size);
* runs written per second (the whole batch, from the call to its return),
  and the parent's CPU time per run (user + system: what the parent spends
  on each run, less sensitive than wall time to other load on the machine);
* the parent's peak memory;
* the time to load one scenario's ``flat_share`` for all its runs
  (``load(out, scenarios=[one], columns=["flat_share"])``, cold: a fresh
  interpreter, after dropping nothing from the page cache).

The model itself costs the same in both; the differences are the store's.
By default the runs are **replayed**: each worker simulates ``--distinct``
real runs per scenario once (seeds modulo ``--distinct``) and hands back a
copy for every run, its float columns scaled by ``1 + 1e-6 u`` (``u``
uniform, from the run's seed) so that no two runs hold the same values and
compression is not flattered; everything after the model (the batch's
parent, the executor, conversion, digests, pickling, the store) runs as in a
real batch. ``--simulate`` runs the model for every run instead (a real
study; a 20-cadre, 3-month run costs about 50 ms of model time, so 50,000
take about 20 minutes per layout on 2 free cores). Machines are noisy (the
2 cores may be shared): compare the two lines.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _scenarios(count: int, population: int) -> list:
    """``count`` variants of the baseline, named ``s00``, ``s01``, ..."""
    from sim.scenarios import load

    base = load("baseline").with_overrides({"workforce.population": population})
    return [
        base.with_overrides({"fault_tolerance.coverage": round(i / count, 4)}, name=f"s{i:02d}")
        for i in range(count)
    ]


def _replay_worker(distinct: int) -> None:
    """Make this worker replay ``distinct`` real runs per scenario, made unique (see module)."""
    import numpy as np
    import pandas as pd

    import sim.runs.execute as execute

    real = execute.simulate
    cache: dict = {}

    def replay(scenario, *, steps: int, seed: int, progress: bool = False):  # noqa: ANN202
        key = (scenario.name, seed % distinct)
        if key not in cache:
            frame = real(scenario, steps=steps, seed=seed % distinct)
            cache[key] = {name: frame[name].to_numpy() for name in frame.columns}
        columns = cache[key]
        noise = np.random.default_rng(seed).random(
            (len(columns), len(next(iter(columns.values()))))
        )
        return pd.DataFrame(
            {
                name: values * (1.0 + 1e-6 * noise[i]) if values.dtype == np.float64 else values
                for i, (name, values) in enumerate(columns.items())
            }
        )

    execute.simulate = replay


def measure_batch(
    out: Path, runs: int, scenarios: int, population: int, steps: int, workers: int, distinct: int
) -> dict:
    """Run the batch into ``out`` here; return its time and this parent's peak memory."""
    import concurrent.futures as cf
    import multiprocessing

    from sim.batch import run_batch

    chosen = _scenarios(scenarios, population)
    pool = None
    executor = "process"
    if distinct:
        context = multiprocessing.get_context("forkserver")
        pool = cf.ProcessPoolExecutor(
            workers, mp_context=context, initializer=_replay_worker, initargs=(distinct,)
        )
        executor = pool
    start = time.perf_counter()
    summary = run_batch(
        chosen, runs // scenarios, steps=steps, out=out, executor=executor,
        workers=None if pool else workers, summary_metrics=["flat_share"],
    )  # fmt: skip
    if pool is not None:
        pool.shutdown()
    seconds = time.perf_counter() - start
    assert summary.complete and summary.failed == 0, summary.failures
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "runs": summary.total,
        "seconds": seconds,
        "peak_rss_mib": usage.ru_maxrss / 1024,  # KiB on Linux
        "parent_cpu_seconds": usage.ru_utime + usage.ru_stime,
    }


def measure_load(out: Path) -> dict:
    """Time loading one scenario's flat share for all its runs (this interpreter)."""
    import warnings

    from sim.results import load

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = load(out, scenarios=["s00"], columns=["flat_share"])
    seconds = time.perf_counter() - start
    return {
        "load_seconds": seconds,
        "rows": len(frame),
        "load_runs": int(frame["replicate"].nunique()),
    }


def folder_size(out: Path) -> dict:
    """Files, bytes on disk (allocated) and apparent bytes of a folder."""
    files = allocated = apparent = 0
    for root, _, names in os.walk(out):
        for name in names:
            info = os.stat(os.path.join(root, name))
            files += 1
            allocated += info.st_blocks * 512
            apparent += info.st_size
    return {"files": files, "disk_bytes": allocated, "apparent_bytes": apparent}


def _child(source: Path, *args: str) -> dict:
    """Run this file's ``--measure`` mode with the package of ``source``; return its JSON."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, env=env, cwd=source
    )
    if done.returncode != 0:
        raise SystemExit(f"measurement failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def old_checkout(ref: str, into: Path) -> Path:
    """The package and scenarios of commit ``ref`` in ``into`` (``git archive``)."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "sim", "scenarios"],
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def run_layout(label: str, source: Path, out: Path, args: argparse.Namespace) -> dict:
    """Measure one layout: the batch, then the folder, then a load in a fresh interpreter."""
    size = ["--runs", str(args.runs), "--scenarios", str(args.scenarios)]
    size += ["--population", str(args.population), "--steps", str(args.steps)]
    size += ["--distinct", "0" if args.simulate else str(args.distinct)]
    result = _child(
        source, "--measure", "batch", "--out", str(out), *size, "--workers", str(args.workers)
    )
    result.update(folder_size(out))
    result.update(_child(source, "--measure", "load", "--out", str(out)))
    result["label"] = label
    return result


def _report(result: dict) -> str:
    return (
        f"  {result['label']:<22} {result['files']:>8,} files  "
        f"{result['disk_bytes'] / 2**20:>8.1f} MiB on disk "
        f"({result['apparent_bytes'] / 2**20:.1f} in files)  "
        f"{result['runs'] / result['seconds']:>7.1f} runs/s  "
        f"parent CPU {1000 * result['parent_cpu_seconds'] / result['runs']:.2f} ms/run  "
        f"parent peak {result['peak_rss_mib']:>6.1f} MiB  "
        f"load s00 flat_share ({result['load_runs']} runs) {result['load_seconds']:.2f} s"
    )


def main() -> None:
    """Measure both layouts and print them with the command that reproduces them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50_000)
    parser.add_argument("--scenarios", type=int, default=10)
    parser.add_argument("--population", type=int, default=20)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--old-ref", default="3404a94")
    parser.add_argument("--only", choices=("new", "old"))
    parser.add_argument("--simulate", action="store_true", help="run the model for every run")
    parser.add_argument("--distinct", type=int, default=8, help="real runs per scenario replayed")
    parser.add_argument("--keep", type=Path, help="keep the results folders under this folder")
    parser.add_argument("--measure", choices=("batch", "load"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.measure == "batch":
        print(json.dumps(measure_batch(args.out, args.runs, args.scenarios, args.population,
                                       args.steps, args.workers, args.distinct)))  # fmt: skip
        return
    if args.measure == "load":
        print(json.dumps(measure_load(args.out)))
        return

    print(
        f"reproduce with: python benchmarks/bench_store.py --runs {args.runs} --scenarios "
        f"{args.scenarios} --population {args.population} --steps {args.steps} --workers "
        f"{args.workers} --old-ref {args.old_ref}"
        + (" --simulate" if args.simulate else f" --distinct {args.distinct}")
    )
    print(
        f"cores available: {len(os.sched_getaffinity(0))}; load average: {os.getloadavg()[0]:.2f}"
    )
    root = Path(tempfile.mkdtemp(prefix="bench-store-", dir=args.keep))
    try:
        results = []
        if args.only != "old":
            results.append(run_layout("compact (this code)", REPO, root / "new", args))
        if args.only != "new":
            source = old_checkout(args.old_ref, root / "old-code")
            results.append(
                run_layout(f"one file per run ({args.old_ref})", source, root / "old", args)
            )
        print(
            f"\n{args.runs:,} runs ({args.scenarios} scenarios x {args.runs // args.scenarios:,} "
            f"replicates, {args.population} cadres x {args.steps} months, {args.workers} workers, "
            f"{'simulated' if args.simulate else 'replayed'}):"
        )
        for result in results:
            print(_report(result))
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
