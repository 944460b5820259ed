"""cadre-sim: an agent-based model of cadres lying flat under incentive regimes.

The public entry points are :class:`sim.model.CadreModel` (the Mesa model),
:mod:`sim.parameters.registry` (every parameter's single typed definition),
:mod:`sim.scenarios` (TOML scenario files), :mod:`sim.batch` (scenario batches)
and :mod:`sim.results` (loading stored results). The layers and who owns which
fact are described in ``docs/dev/ARCHITECTURE.md``. Nothing is built at import.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cadre-sim")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
