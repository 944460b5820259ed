"""The package's structure: imports run one way through the layers, with no cycles.

The layers, bottom first, are those of ``docs/dev/ARCHITECTURE.md``. Every
import in ``sim/`` (module-level or inside a function; ``if TYPE_CHECKING:``
blocks aside) is read with :mod:`ast`, resolved to a module of ``sim`` and
checked: a module may import its own layer or those below it, never one above.
Separately, the graph of those imports must have no cycle. Module size is
checked too (no module over about 600 lines).
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SIM = ROOT / "sim"

#: Layers, bottom first: (name, module prefixes). The longest prefix wins.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("sim", "sim.errors", "sim.fileio")),
    ("parameters", ("sim.parameters",)),
    ("model", ("sim.model",)),
    ("scenarios", ("sim.scenarios",)),
    ("runs", ("sim.runs", "sim.batch", "sim.results")),
    ("analysis", ("sim.analysis",)),
    ("viz", ("sim.viz",)),
    ("cli", ("sim.cli", "sim.__main__")),
)

#: Sub-layers inside a layer, bottom first, checked the same way among themselves.
SUBLAYERS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "model": (
        ("vocabulary", ("sim.model.kinds", "sim.model.constants", "sim.model.compiled")),
        ("state", ("sim.model.state", "sim.model.stacking", "sim.model.draws")),
        ("processes", ("sim.model.processes",)),
        ("outputs", ("sim.model.outputs",)),
        ("agents", ("sim.model.agents",)),
        ("model", ("sim.model.cadre_model", "sim.model.stack", "sim.model")),
    ),
    "parameters": (
        ("names and registry", ("sim.parameters.names", "sim.parameters.registry")),
        ("validator", ("sim.parameters.schema",)),
        ("values", ("sim.parameters.values",)),
        ("timeline", ("sim.parameters.timeline",)),
        ("package", ("sim.parameters",)),
    ),
}

MAX_LINES = 620


def module_name(path: Path) -> str:
    """``sim/model/state.py`` -> ``sim.model.state``; a package's ``__init__`` -> the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    """Every module of ``sim`` by dotted name."""
    return {module_name(p): p for p in sorted(SIM.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(name: str) -> str | None:
    """The longest prefix of ``name`` that is a module of sim (None outside sim)."""
    known = modules()
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


@cache
def imports_of(module: str) -> frozenset[str]:
    """The sim modules ``module`` imports (TYPE_CHECKING blocks left out)."""
    path = modules()[module]
    return imports_in(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")


def imports_in(source: str, module: str, is_package: bool = False) -> frozenset[str]:
    """The sim modules that ``source`` (the text of ``module``) imports."""
    tree = ast.parse(source)
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _resolve(alias.name)
                if target:
                    found.add(target)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                target = _resolve(f"{base}.{alias.name}") or _resolve(base)
                if target:
                    found.add(target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    found.discard(module)
    return frozenset(found)


def layer_of(module: str, layers=LAYERS) -> int:
    """Index of the layer owning ``module`` (longest matching prefix)."""
    best, best_len = -1, -1
    for index, (_, prefixes) in enumerate(layers):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    return best


def test_every_module_belongs_to_a_layer():
    assert modules(), "no modules found"
    unplaced = [m for m in modules() if layer_of(m) < 0]
    assert not unplaced


def test_imports_never_go_up_the_layers():
    upward = []
    for module in modules():
        mine = layer_of(module)
        for target in imports_of(module):
            if layer_of(target) > mine:
                upward.append(
                    f"{module} ({LAYERS[mine][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
                )
    assert not upward, "\n".join(upward)


@pytest.mark.parametrize("layer", sorted(SUBLAYERS))
def test_imports_never_go_up_inside_a_layer(layer):
    inner = SUBLAYERS[layer]
    upward = []
    for module in modules():
        mine = layer_of(module, inner)
        if mine < 0:
            continue
        for target in imports_of(module):
            theirs = layer_of(target, inner)
            if theirs > mine:
                upward.append(f"{module} ({inner[mine][0]}) imports {target} ({inner[theirs][0]})")
    assert not upward, "\n".join(upward)


def find_cycle(graph: dict[str, frozenset[str]]) -> list[str] | None:
    """One import cycle of ``graph`` as a path ``[a, b, ..., a]``, or None."""
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(graph, white)
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = grey
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if colour.get(nxt, black) == grey:
                return stack[stack.index(nxt) :] + [nxt]
            if colour.get(nxt) == white:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        colour[node] = black
        return None

    for node in sorted(graph):
        if colour[node] == white:
            found = visit(node)
            if found:
                return found
    return None


def test_find_cycle_sees_a_cycle_and_a_clean_graph():
    assert find_cycle({"a": frozenset({"b"}), "b": frozenset({"c"}), "c": frozenset({"a"})}) == [
        "a",
        "b",
        "c",
        "a",
    ]
    assert find_cycle({"a": frozenset({"b"}), "b": frozenset(), "c": frozenset({"a"})}) is None


def test_imports_have_no_cycle():
    graph = {m: imports_of(m) for m in modules()}
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle or [])


def test_the_checker_sees_lazy_and_relative_imports_but_not_type_checking_ones():
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import state\n"
        "if TYPE_CHECKING:\n"
        "    from sim.runs import batch\n"
        "def f():\n"
        "    from sim.cli import main\n"
        "    return main\n"
    )
    found = imports_in(source, "sim.model.agents")
    assert found == {"sim.model.state", "sim.cli"}
    assert layer_of("sim.cli") > layer_of("sim.model.agents")


@pytest.mark.parametrize("module", sorted(modules()))
def test_module_is_not_too_long(module):
    lines = modules()[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"{module} has {lines} lines"
