"""The report of a validation run: one table per fact, as text, Markdown and CSV."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.stats import CONFIDENCE
from sim.analysis.text import align, number, percent
from sim.analysis.validation.blocks import Check
from sim.analysis.validation.evaluation import FactResult

__all__ = ["Validation"]


@dataclass
class Validation:
    """The evaluated facts of one validation run, with its settings.

    Attributes:
        results: one per fact, in brief order.
        replicates: runs per regime.
        population: cadres per run.
        steps: months per run.
        root_seed: root of the replicate seeds.
        settings: parameters changed for every regime (``--set``).
        confidence: level of the intervals.
        out: the results folder, if kept.
        failed_runs: runs that raised (none if the batch went well).

    """

    results: list[FactResult]
    replicates: int
    population: int | None
    steps: int
    root_seed: int
    settings: dict[str, Any]
    confidence: float = CONFIDENCE
    out: Path | None = None
    failed_runs: int = 0

    @property
    def passed(self) -> bool:
        """Every fact passes and no run failed."""
        return self.failed_runs == 0 and all(r.passed for r in self.results)

    def describe(self) -> str:
        """How the numbers were computed, in one paragraph."""
        level = percent(self.confidence)
        size = f"{self.replicates} replicates x "
        size += f"{self.population} cadres x " if self.population else ""
        size += f"{self.steps} months"
        changed = (
            "; every regime with " + ", ".join(f"{k} = {v}" for k, v in self.settings.items())
            if self.settings
            else ""
        )
        return (
            f"Stylized facts of the model brief: {size}, root seed {self.root_seed}{changed}. "
            "Regimes are paired by replicate (replicate k of every regime shares its seed). "
            f"'difference' is the mean paired difference (first side minus second) of each "
            f"run's mean over the months shown, with its {level} t-interval; a check passes "
            "when the interval excludes zero in the expected direction, a fact when all its "
            "checks and conditions do."
        )

    def table(self) -> pd.DataFrame:
        """One row per check and condition of every fact."""
        rows: list[dict[str, Any]] = []
        for result in self.results:
            item = result.fact
            for check in item.checks:
                estimate = result.contrast(check.key)
                rows.append(
                    {
                        "fact": item.id,
                        "title": item.title,
                        "kind": "check" if check.direction else "reported",
                        "key": check.key,
                        "claim": check.claim,
                        "compared": check.compared(self.steps),
                        "first": check.alt.describe(self.steps),
                        "second": check.base.describe(self.steps),
                        "metric": check.metric,
                        "months": check.months(self.steps),
                        "expected": check.direction or "",
                        "n": estimate.n,
                        "difference": estimate.mean,
                        "ci_low": estimate.ci_low,
                        "ci_high": estimate.ci_high,
                        "t": estimate.t,
                        "p_value": estimate.p_value,
                        "detail": "",
                        "passed": estimate.passed,
                        "fact_passed": result.passed,
                    }
                )
            for condition in item.conditions:
                rows.append(
                    {
                        "fact": item.id,
                        "title": item.title,
                        "kind": "condition",
                        "key": condition.key,
                        "claim": condition.claim,
                        "compared": "",
                        "first": "",
                        "second": "",
                        "metric": "",
                        "months": "",
                        "expected": "holds",
                        "n": math.nan,
                        "difference": math.nan,
                        "ci_low": math.nan,
                        "ci_high": math.nan,
                        "t": math.nan,
                        "p_value": math.nan,
                        "detail": result.details[condition.key],
                        "passed": result.conditions[condition.key],
                        "fact_passed": result.passed,
                    }
                )
        return pd.DataFrame.from_records(rows)

    def to_text(self) -> str:
        """The table as aligned plain text, one block per fact."""
        level = f"{percent(self.confidence)} CI"
        header = ["check", "regimes compared", "metric", "months", "difference", level, "result"]
        blocks = []
        for result in self.results:
            item = result.fact
            verdict = "PASS" if result.passed else "FAIL"
            body = [_check_cells(check, result, self.steps) for check in item.checks]
            lines = [f"fact {item.id}  {verdict}  {item.wording}"]
            lines += align([header, *body], right=(4, 5), indent="  ")
            for condition in item.conditions:
                holds = "holds" if result.conditions[condition.key] else "FAILS"
                lines.append(
                    f"  condition: {condition.claim} ({result.details[condition.key]}): {holds}"
                )
            blocks.append("\n".join(lines))
        passed = sum(r.passed for r in self.results)
        summary = f"{passed} of {len(self.results)} stylized facts pass"
        if self.failed_runs:
            summary += f"; {self.failed_runs} run(s) failed"
        return "\n\n".join(blocks) + f"\n\n{summary}\n"

    def to_markdown(self) -> str:
        """The report as Markdown: method, then one table per fact."""
        level = f"{percent(self.confidence)} CI"
        out = ["# Stylized facts", "", self.describe(), ""]
        for result in self.results:
            item = result.fact
            out += [
                f"## Fact {item.id}: {item.title} — {'pass' if result.passed else 'FAIL'}",
                "",
                f"> {item.wording}",
                "",
                f"| check | regimes compared | metric | months | difference | {level} | result |",
                "|---|---|---|---|---:|---:|---|",
            ]
            for check in item.checks:
                cells = _check_cells(check, result, self.steps)
                cells[2] = f"`{cells[2]}`"
                out.append("| " + " | ".join(cells) + " |")
            for condition in item.conditions:
                holds = "holds" if result.conditions[condition.key] else "**fails**"
                out.append(
                    f"| {condition.claim} | | | | {result.details[condition.key]} | | {holds} |"
                )
            out.append("")
        regimes = {r.name: r for res in self.results for r in res.fact.regimes}
        out += ["## Regimes", ""]
        for regime in regimes.values():
            changes = ", ".join(f"`{k}` = {v}" for k, v in regime.overrides.items())
            for entry in regime.timeline:
                months = (
                    f"months {entry['from']}-{entry['until'] - 1}"
                    if "from" in entry
                    else (f"from month {entry['at']}")
                )
                settings = ", ".join(f"`{k}` = {v}" for k, v in entry["set"].items())
                changes += ("; " if changes else "") + f"{months}: {settings}"
            out.append(
                f"- `{regime.name}`: {regime.description}" + (f" ({changes})" if changes else "")
            )
        out.append("")
        return "\n".join(out)

    def write(self, folder: str | os.PathLike[str]) -> list[Path]:
        """Write ``validation.csv`` and ``validation.md`` into ``folder``."""
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        csv_file = target / "validation.csv"
        table = self.table()
        table["confidence"] = self.confidence
        table.to_csv(csv_file, index=False)
        md_file = target / "validation.md"
        md_file.write_text(self.to_markdown(), encoding="utf-8")
        return [csv_file, md_file]


def _check_cells(check: Check, result: FactResult, steps: int) -> list[str]:
    """The printed cells of one check: claim, regimes, metric, months, difference, CI, verdict."""
    estimate = result.contrast(check.key)
    return [
        check.claim,
        check.compared(steps),
        check.metric,
        check.months(steps),
        number(estimate.mean),
        f"[{number(estimate.ci_low)}, {number(estimate.ci_high)}]",
        _verdict(estimate.passed),
    ]


def _verdict(passed: bool | None) -> str:
    """``pass``, ``FAIL`` or ``(reported)``."""
    if passed is None:
        return "(reported)"
    return "pass" if passed else "FAIL"
