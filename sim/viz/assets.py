"""Solara's browser front-end files, cached locally from the npm registry.

Solara's page loads its JavaScript and CSS (the Vuetify app, RequireJS, Font
Awesome) from its own server under ``/_solara/cdn/``, which serves them from
a local cache folder and fetches missing ones from a public CDN. On a machine
that cannot reach that CDN (offline, CI) the page stays blank, and so does
Mesa's component grid (``SolaraViz``'s draggable grid loads the script
``@widgetti/vue-grid-layout`` on demand). This module puts the exact package
versions the installed Solara asks for into that cache with ``npm pack`` (the
npm registry's own client), so the browser view and a user's own
``SolaraViz`` dashboard work without the CDN.

Run ``python -m sim.viz.assets`` once after installing (``make`` does it). It
needs npm and access to the npm registry that one time; afterwards the
browser view needs neither. It does nothing when the files are already
cached.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

__all__ = ["AssetError", "cache_dir", "install", "main", "missing", "required_packages"]

#: Seconds allowed for one ``npm pack``.
NPM_TIMEOUT = 300
#: Package references in Solara's page template: ``{{cdn}}/<name>@<version>/``.
_TEMPLATE_SPEC = re.compile(r"\{\{\s*cdn\s*\}\}/((?:@[\w.-]+/)?[\w.-]+@\d[\w.+-]*)/")
_VUE2_APP = "@widgetti/solara-vuetify-app@"
_VUE3_APP = "@widgetti/solara-vuetify3-app@"
#: Package references in Solara's widget templates: ``${this.getCdn()}/<name>@<version>/``.
_WIDGET_SPEC = re.compile(r"getCdn\(\)\}/((?:@[\w.-]+/)?[\w.-]+@\d[\w.+-]*)/")
#: Solara's grid widget (``solara.GridDraggable``, Mesa's component grid), for
#: Vue 2 and Vue 3: the template loads the grid's script from the CDN.
_GRID_TEMPLATES = {"2": "gridlayout.vue", "3": "gridlayout_v3.vue"}


class AssetError(RuntimeError):
    """The front-end files could not be fetched (no npm, no registry, bad package)."""


def required_packages() -> list[str]:
    """The npm packages (``name@version``) the installed Solara's page loads.

    Read from Solara's page template, keeping only the Vuetify app that
    matches the installed ipyvue (Vue 3 or Vue 2), plus Font Awesome when
    Solara has it enabled, plus the script of Solara's grid widget (read
    from its template), which Mesa's ``SolaraViz`` lays its components out in.
    """
    import ipyvue
    import solara.server
    import solara.widgets
    from solara.server import settings

    template = Path(solara.server.__file__).parent / "templates" / "solara.html.j2"
    specs = set(_TEMPLATE_SPEC.findall(template.read_text(encoding="utf-8")))
    vue3 = ipyvue.__version__.startswith("3")
    unused_app = _VUE2_APP if vue3 else _VUE3_APP
    specs = {spec for spec in specs if not spec.startswith(unused_app)}
    grid = Path(solara.widgets.__file__).parent / "vue" / _GRID_TEMPLATES["3" if vue3 else "2"]
    if grid.is_file():
        specs.update(_WIDGET_SPEC.findall(grid.read_text(encoding="utf-8")))
    if settings.assets.fontawesome_enabled:
        first = settings.assets.fontawesome_path.strip("/").split("/")[0]
        if "@" in first:
            specs.add(first)
    return sorted(specs)


def cache_dir() -> Path:
    """Solara's local cache folder for front-end files (``SOLARA_ASSETS_PROXY_CACHE_DIR``)."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def missing(cache: Path | None = None) -> list[str]:
    """Required packages not yet in the cache."""
    cache = cache_dir() if cache is None else cache
    return [spec for spec in required_packages() if not (cache / spec / "package.json").is_file()]


def _unpack(tarball: Path, target: Path) -> None:
    """Extract an npm tarball's ``package/`` folder into ``target`` (atomically)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=target.parent))
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            members = []
            for member in archive.getmembers():
                parts = Path(member.name).parts
                if len(parts) < 2:
                    continue
                member.name = str(Path(*parts[1:]))
                members.append(member)
            archive.extractall(staging, members=members, filter="data")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging)


def install(specs: list[str] | None = None, cache: Path | None = None) -> list[str]:
    """Fetch ``specs`` (default: the missing ones) with ``npm pack`` into the cache.

    Returns:
        The packages installed.

    Raises:
        AssetError: npm is not installed or a package could not be fetched.

    """
    cache = cache_dir() if cache is None else cache
    specs = missing(cache) if specs is None else specs
    if not specs:
        return []
    npm = shutil.which("npm")
    if npm is None:
        raise AssetError(
            "npm is needed to fetch Solara's front-end files "
            f"({', '.join(specs)}); install it (apt-get install npm) and run "
            "'python -m sim.viz.assets' again"
        )
    with tempfile.TemporaryDirectory(prefix="solara-assets-") as tmp:
        for spec in specs:
            before = set(Path(tmp).glob("*.tgz"))
            try:
                subprocess.run(
                    [npm, "pack", spec, "--pack-destination", tmp, "--silent"],
                    check=True,
                    capture_output=True,
                    text=True,
                    timeout=NPM_TIMEOUT,
                )
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
                detail = getattr(exc, "stderr", "") or ""
                raise AssetError(f"npm pack {spec} failed: {detail.strip() or exc}") from exc
            new = sorted(set(Path(tmp).glob("*.tgz")) - before)
            if len(new) != 1:
                raise AssetError(f"npm pack {spec} did not produce one tarball (got {new})")
            _unpack(new[0], cache / spec)
    return specs


def main() -> int:
    """Install the missing front-end files; print what was done. Exit status 1 on failure."""
    cache = cache_dir()
    try:
        installed = install(cache=cache)
    except AssetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for spec in installed:
        print(f"cached {spec} in {cache}")
    if not installed:
        print(f"Solara front-end files already cached in {cache}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
