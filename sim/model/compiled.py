"""How the model's kernels are compiled: numba, cached per version of the model's sources.

Every compiled kernel of the model is declared with :func:`kernel`
(``@kernel`` above a plain function of arrays and numbers), so the compile
options are declared once. numba caches a compiled function on disk and
checks only its own module's file for changes, so a kernel that calls a
compiled function of another module (``superior_of`` of
:mod:`sim.model.state`, called by the work norm in
:mod:`sim.model.processes.decision`) would keep a stale copy of it after
that module changed. The kernels' cache therefore lives in a folder named by
a digest of every source file of :mod:`sim.model` (:func:`cache_folder`):
any change to any of them compiles every kernel afresh, once. Setting the
environment variable ``NUMBA_CACHE_DIR`` overrides the folder (numba then
keeps its own per-module check only).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba

__all__ = ["MODEL_SOURCES", "cache_folder", "kernel", "source_digest"]

#: The folder whose Python sources decide the kernels' cache folder.
MODEL_SOURCES = Path(__file__).resolve().parent


def source_digest(root: Path = MODEL_SOURCES) -> str:
    """SHA-256 of every ``*.py`` file under ``root`` (their paths and bytes, in sorted order)."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def cache_folder(root: Path = MODEL_SOURCES) -> Path:
    """The cache folder of the kernels of sources under ``root``: ``__pycache__/numba-<digest>``."""
    return root / "__pycache__" / f"numba-{source_digest(root)[:16]}"


if "NUMBA_CACHE_DIR" not in os.environ:  # before any kernel below is declared
    numba.config.CACHE_DIR = str(cache_folder())


def kernel(function: Callable[..., Any]) -> Any:
    """``function`` compiled by numba in nopython mode, cached, with numpy's error model.

    The error model keeps numpy's results for division by zero (``inf``,
    ``nan``) instead of raising, so a kernel gives the bits of the numpy
    expression it replaces.
    """
    return numba.njit(cache=True, error_model="numpy")(function)
