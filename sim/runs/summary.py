"""What a batch did: :class:`BatchSummary`, and :class:`BatchInterrupted` after Ctrl-C."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["BatchInterrupted", "BatchSummary"]


@dataclass
class BatchSummary:
    """What a batch did, with one row of summaries per run.

    Attributes:
        out: the results folder, or None when the batch used a temporary
            folder (``out=None``) that has been removed.
        runs: one row per run: ``scenario``, ``replicate``, ``seed``,
            ``status`` (``done``, ``error`` or ``pending``), ``wall_time``,
            ``error``, and one column per summary metric (its mean over the
            last ``window`` months; NaN for a run that did not finish).
        metrics: the summarised metrics.
        window: months the summaries average over.
        total: runs in the batch.
        done: runs finished in this call.
        skipped: runs already finished before this call (resume).
        failed: runs that raised.
        interrupted: the batch was stopped by Ctrl-C before its end.
        wall_time: seconds this call took.
        executor: the executor and workers used.
        notes: things worth telling the user (damaged files re-run, ...).

    """

    out: Path | None
    runs: pd.DataFrame
    metrics: tuple[str, ...]
    window: int
    total: int
    done: int
    skipped: int
    failed: int
    interrupted: bool
    wall_time: float
    executor: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every run of the batch has finished."""
        return self.done + self.skipped == self.total

    @property
    def failures(self) -> pd.DataFrame:
        """The runs that raised: scenario, replicate, seed and error."""
        rows = self.runs["status"] == "error"
        return self.runs.loc[rows, ["scenario", "replicate", "seed", "error"]]


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a batch; finished runs are kept and the manifest is up to date.

    Attributes:
        summary: the :class:`BatchSummary` of what was done before the stop.

    """

    def __init__(self, summary: BatchSummary) -> None:
        self.summary = summary
        where = (
            f"; the finished runs are kept in {summary.out} and resuming the batch there "
            "runs the rest"
            if summary.out
            else ""
        )
        super().__init__(
            f"batch interrupted after {summary.done + summary.skipped} of {summary.total} "
            f"runs{where}"
        )
