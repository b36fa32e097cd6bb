"""The packages form layers: dsl <- proxy_tasks <- search <- funnel <- optsearch.

Read from the source with `ast` (nothing is imported): every import of a module,
at top level or inside a function, names only its own layer or lower ones; the
module graph has no cycle; and exactly one module talks to Ray.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["dsl", "proxy_tasks", "search", "funnel", "optsearch"]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            found[_module_name(path)] = path
    return found


def _imports(path: Path, module: str) -> set[str]:
    """Every module name `path` imports (absolute; relative imports resolved)."""
    names = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            names.add(base)
            # `from pkg import mod` imports the submodule pkg.mod when there is one.
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


MODULES = _modules()
IMPORTS = {name: _imports(path, name) for name, path in MODULES.items()}


def _layer(name: str) -> int | None:
    top = name.split(".")[0]
    return LAYERS.index(top) if top in LAYERS else None


def test_every_layer_has_modules():
    for layer in LAYERS:
        assert any(_layer(m) == LAYERS.index(layer) for m in MODULES), layer


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_module_imports_only_its_own_layer_or_lower(module):
    own = _layer(module)
    upward = sorted(n for n in IMPORTS[module] if (_layer(n) or 0) > own)
    assert not upward, f"{module} ({LAYERS[own]}) imports a higher layer: {upward}"


def test_the_module_graph_has_no_cycle():
    edges = {m: {n for n in IMPORTS[m] if n in MODULES and n != m} for m in MODULES}
    # Importing a submodule runs its package's __init__ first; that is not a cycle.
    for m in edges:
        edges[m] = {n for n in edges[m] if not m.startswith(n + ".")}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for n in sorted(edges[m]):
            if state.get(n) == 1:
                cycle = path[path.index(n):] + [n] if n in path else [m, n]
                pytest.fail(f"import cycle: {' -> '.join(cycle)}")
            if n not in state:
                visit(n, path + [n])
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m, [m])


def test_exactly_one_module_imports_ray():
    users = sorted(
        m for m, names in IMPORTS.items()
        if any(n == "ray" or n.startswith("ray.") for n in names)
    )
    assert users == ["search.ray_evaluator"]


def test_the_reader_sees_imports_inside_functions():
    # The layering test must not miss a lazy import (most cross-package ones are).
    assert "optsearch.pipeline" in IMPORTS["optsearch.commands.run_commands"]


def _calls_sql(path: Path) -> bool:
    """Whether a module executes SQL or opens a database itself."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr in (
            "execute", "executemany", "executescript", "connect",
        ):
            return True
        if isinstance(node, ast.Attribute) and node.attr == "db":  # a store's connection
            return True
    return False


def test_only_the_run_store_touches_sql():
    users = sorted(m for m, path in MODULES.items() if _calls_sql(path))
    assert users == ["search.store"]
