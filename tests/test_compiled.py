"""The model's compiled kernels: one way to compile them, a cache that follows every source."""

from __future__ import annotations

import os
from pathlib import Path

import numba
import pytest

from sim.model import compiled
from sim.model.processes import decision


def _tree(root: Path) -> None:
    (root / "processes").mkdir(parents=True)
    (root / "state.py").write_text("def superior_of(): return 1\n")
    (root / "processes" / "decision.py").write_text("def norm(): return 2\n")


def test_the_kernel_cache_folder_changes_when_any_model_source_changes(tmp_path: Path) -> None:
    _tree(tmp_path)
    first = compiled.cache_folder(tmp_path)
    assert first.parent == tmp_path / "__pycache__"
    assert compiled.cache_folder(tmp_path) == first  # the same sources, the same folder
    # a callee in another module changes: a kernel calling it must not load its old copy
    (tmp_path / "state.py").write_text("def superior_of(): return -1\n")
    second = compiled.cache_folder(tmp_path)
    assert second != first
    (tmp_path / "processes" / "new.py").write_text("")
    assert compiled.cache_folder(tmp_path) not in (first, second)


def test_a_renamed_source_changes_the_cache_folder(tmp_path: Path) -> None:
    _tree(tmp_path)
    before = compiled.cache_folder(tmp_path)
    (tmp_path / "state.py").rename(tmp_path / "status.py")
    assert compiled.cache_folder(tmp_path) != before


@pytest.mark.skipif("NUMBA_CACHE_DIR" in os.environ, reason="the environment sets the folder")
def test_every_kernel_is_cached_in_the_folder_of_the_current_sources() -> None:
    folder = compiled.cache_folder()
    assert numba.config.CACHE_DIR == str(folder)
    assert decision._norm_kernel._cache._cache_path.startswith(str(folder))


def test_the_fork_server_loads_the_kernels_a_run_uses_so_workers_start_warm() -> None:
    """After ``sim.runs.warm``, a run alone and a stack of runs load no kernel of their own."""
    import subprocess
    import sys

    from sim.runs.executors import WORKER_MODULES

    assert "sim.runs.warm" in WORKER_MODULES
    check = """
import importlib, pkgutil, sys
import sim.runs.warm
import sim.model
from sim.model import CadreModel
from sim.model.stack import RunSpec, RunStack

def loaded():
    mods = [importlib.import_module(m.name)
            for m in pkgutil.walk_packages(sim.model.__path__, "sim.model.")]
    return {f"{m.__name__}.{k}": len(v.signatures) for m in mods for k, v in vars(m).items()
            if hasattr(v, "signatures") and getattr(v, "py_func", None) is not None}

before = loaded()
model = CadreModel(rng=5, workforce_population=300)
model.run(13)
RunStack([RunSpec(model.base_params, (), s) for s in (7, 8, 9)]).run(13)
after = loaded()
new = sorted(k for k in after if after[k] != before.get(k))
print(new)
sys.exit(1 if new else 0)
"""
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
