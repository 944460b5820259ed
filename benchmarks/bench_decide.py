"""Wall time and model runs used by each shipped search, discovery and calibration experiment.

Run:  .venv/bin/python benchmarks/bench_decide.py [--scale default|small|large]
      [--workers 2] [--only search_reform_bundle ...] [--json results/bench_decide.json]

Each shipped decision experiment (``experiments/search_*.toml``,
``discover_*.toml``, ``calibrate_*.toml``) runs as ``cadre-sim search``,
``discover`` or ``calibrate`` would (process executor, one batch store per
round in a temporary folder), at the notebooks' scale (``default`` = the
file as shipped). Printed per experiment: rounds, points, model runs, wall
time, runs per second, and the method's headline (front size, the box's
coverage and density, or whether every target was fitted). Then each is
resumed in its finished folder, which must give the same result while
reading every round back instead of running it (the time a resume costs).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def headline(experiment: Any, result: Any) -> str:
    """One line on what the method found."""
    from sim.analysis.decide import calibrate, search

    if experiment.kind == "search":
        return f"front of {len(search.front_table(result))} of {len(result.archive)} candidates"
    if experiment.kind == "discover":
        if not result.boxes:
            return "no box"
        box = result.boxes[0]
        limits = ", ".join(box.limits["parameter"])
        return (
            f"box 1: coverage {box.stat('coverage'):.2f}, density {box.stat('density'):.2f} "
            f"({limits}); {int(result.points['case'].sum())} cases"
        )
    fit = calibrate.fit_table(result)
    return f"{int(fit['within'].sum())} of {len(fit)} targets within tolerance"


def run_one(name: str, scale: str, workers: int, folder: Path) -> dict[str, Any]:
    """Run one experiment, then resume it in the same folder; time both."""
    from sim.analysis.decide import files
    from sim.analysis.decide.evaluate import ModelEvaluator, prepare_folder

    experiment = files.at_scale(files.load(name), scale)
    timings = {}
    results = []
    evaluators = []
    for resume in (False, True):
        out = prepare_folder(folder, experiment.kind, experiment.to_dict(), resume=resume)
        evaluator = ModelEvaluator(
            experiment.plan,
            experiment.metrics,
            out=out,
            resume=resume,
            executor="process",
            workers=workers,
            progress=False,
        )
        start = time.perf_counter()
        results.append(experiment.run(evaluator, out))
        timings[resume] = time.perf_counter() - start
        evaluators.append(evaluator)
    first, again = evaluators
    rounds = sorted(p.name for p in (folder / "rounds").iterdir())
    same = headline(experiment, results[0]) == headline(experiment, results[1])
    return {
        "experiment": name,
        "kind": experiment.kind,
        "scale": scale,
        "rounds": len(rounds),
        "runs": first.runs_used,
        "seconds": timings[False],
        "runs_per_second": first.runs_used / timings[False],
        "resume_seconds": timings[True],
        "resume_ran": again.runs_done,
        "resume_same": same,
        "found": headline(experiment, results[0]),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one block per experiment."""
    from sim.analysis.decide import files

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("small", "default", "large"), default="default")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--only", nargs="+", metavar="NAME", help="experiments to run")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args(argv)
    names = args.only or files.shipped()
    rows = []
    for name in names:
        folder = Path(tempfile.mkdtemp(prefix="bench-decide-"))
        try:
            row = run_one(name, args.scale, args.workers, folder / "out")
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        rows.append(row)
        print(
            f"{row['experiment']} ({row['kind']}, {row['scale']}): {row['rounds']} rounds, "
            f"{row['runs']} runs in {row['seconds']:.1f} s ({row['runs_per_second']:.1f} runs/s, "
            f"{args.workers} workers); resume {row['resume_seconds']:.1f} s, "
            f"{row['resume_ran']} runs redone, same result: {row['resume_same']}\n"
            f"  {row['found']}",
            flush=True,
        )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0 if all(r["resume_same"] and r["resume_ran"] == 0 for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
