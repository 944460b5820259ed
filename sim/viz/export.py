"""Export from the browser view: the run's or the ensemble's data, and file names.

:func:`session_frame` is one tidy table of every model of the session:
``side`` (``chosen`` or ``comparison``), ``scenario``, ``replicate`` (from
0), ``seed``, ``month``, every output, and the value in force each month of
every parameter that a timeline or a live change touched (the same columns
as :meth:`CadreModel.timeseries`). :func:`frame_bytes` writes it as CSV or
Parquet; figures are exported as PNG by the page with
:func:`sim.viz.style.figure_png`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from sim.viz.session import CHOSEN, COMPARISON

if TYPE_CHECKING:
    from sim.viz.session import Session

__all__ = ["DATA_FORMATS", "export_filename", "frame_bytes", "session_frame"]

#: Data formats offered: extension -> (label, MIME type).
DATA_FORMATS: Mapping[str, tuple[str, str]] = {
    "csv": ("CSV", "text/csv"),
    "parquet": ("Parquet", "application/vnd.apache.parquet"),
}
#: Leading columns of :func:`session_frame`, before the model's own.
ID_COLUMNS = ("side", "scenario", "replicate", "seed")


def session_frame(session: Session) -> pd.DataFrame:
    """Every model's time series so far, one row per model and month."""
    frames = []
    with session.lock:
        for side_name, side in ((CHOSEN, session.chosen), (COMPARISON, session.comparison)):
            if side is None:
                continue
            for replicate, (seed, model) in enumerate(zip(side.seeds, side.models, strict=True)):
                frame = model.timeseries()
                for position, (column, value) in enumerate(
                    zip(ID_COLUMNS, (side_name, side.scenario.name, replicate, seed), strict=True)
                ):
                    frame.insert(position, column, value)
                frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def frame_bytes(frame: pd.DataFrame, extension: str) -> bytes:
    """``frame`` as a file's bytes in one of :data:`DATA_FORMATS`.

    Raises:
        ValueError: an extension not in :data:`DATA_FORMATS`.

    """
    if extension == "csv":
        return frame.to_csv(index=False).encode("utf-8")
    if extension == "parquet":
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()
    raise ValueError(
        f"unknown export format {extension!r}: choose one of {', '.join(DATA_FORMATS)}"
    )


def export_filename(session: Session, what: str, extension: str) -> str:
    """A download's file name: scenario(s), seed, month and what it holds.

    ``cadre-sim_baseline_seed1_month12_data.csv`` for a single run,
    ``cadre-sim_fault_tolerance-vs-baseline_8x_seed1_month12_data.parquet``
    for an ensemble.
    """
    chosen = session.chosen.scenario.name
    if session.comparison is None:
        runs = chosen
    else:
        runs = f"{chosen}-vs-{session.comparison.scenario.name}_{len(session.chosen.models)}x"
    seed = session.settings.seed
    return f"cadre-sim_{runs}_seed{seed}_month{session.month}_{what}.{extension}"
