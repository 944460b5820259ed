"""Stationarity of the status quo, the full form of issue 10's acceptance test.

Run from the repository root::

    PYTHONPATH=$PWD .venv/bin/python benchmarks/stationarity.py
    PYTHONPATH=$PWD .venv/bin/python benchmarks/stationarity.py --years 30 --replicates 8 \
        --set accusation.false_report_rate=0.01

Runs the baseline (changed by ``--set``) for 20 years over 16 replicates of
2,000 cadres through the batch machinery (:func:`sim.analysis.stationarity.diagnose`,
the library behind ``cadre-sim diagnose``) and prints each headline output's
change from years 1-3 to the last three years with its 95% paired t-interval,
and the month from which it is stationary; ``--by-year`` adds the yearly
means. Exit status 1 if the flat or active share's interval leaves ``±0.01``
or mean idealism's ``±0.02``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sim.analysis import stationarity
from sim.scenarios import parse_set


def main(argv: Sequence[str] | None = None) -> int:
    """Run the stationarity check and print its table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--replicates", type=int, default=stationarity.DEFAULT_REPLICATES)
    parser.add_argument("--population", type=int, default=stationarity.DEFAULT_POPULATION)
    parser.add_argument("--years", type=int, default=stationarity.DEFAULT_YEARS)
    parser.add_argument("--seed", type=int, default=0, help="root seed")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--set", dest="settings", action="append", default=[])
    parser.add_argument("--by-year", action="store_true", help="also print yearly means")
    args = parser.parse_args(argv)
    overrides = parse_set(args.settings, origin="--set") if args.settings else None
    result = stationarity.diagnose(
        args.scenario,
        replicates=args.replicates,
        population=args.population,
        years=args.years,
        root_seed=args.seed,
        overrides=overrides,
        workers=args.workers,
    )
    print(result.to_text(), end="")
    if args.by_year:
        means = result.yearly.groupby("year")[list(stationarity.TOLERANCE)].mean()
        print(means.round(4).to_string())
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
