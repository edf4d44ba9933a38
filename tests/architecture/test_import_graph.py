"""GIVEN every module of the library (layers/stepstream/stepstream), read with ``ast``
WHEN the graph of its imports of its own modules is built
THEN it has no cycle, no engine module imports the app (``stepstream._app``), and nothing imports
the user's code or the Lambda adapters (``functions/``: the ``app`` and ``functions`` packages).

Imports count at module level and inside functions: a deferred import still ties the two
modules together, it only hides the cycle until run time. Imports under ``if TYPE_CHECKING:``
count for the layering rules (the engine may not even name the app's type: that is how the hub
creeps back in) but not for the cycle check, because they never run: they cannot hand a module
a half-initialised other module, which is what a cycle breaks, and a helper typed against the
class that calls it (``local/_gateway_management`` against ``Gateway``) is a back-reference
only types need. ``from .pkg.mod import x`` is an edge to ``pkg.mod`` only: that Python runs
``pkg/__init__`` first is how packages load, not a dependency the importing module chose.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "layers" / "stepstream"
PACKAGE = "stepstream"
USER_PACKAGES = ("app", "functions")
"""What functions/ holds: the user's app package and the Lambda handler modules' folder."""


def _modules() -> dict[str, Path]:
    """Dotted module name → file, for every module of the package."""
    found: dict[str, Path] = {}
    for path in sorted((LIBRARY / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(LIBRARY).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _handler_modules() -> set[str]:
    """The Lambda handler modules in functions/ (``executor``, ``api``, ...), importable by their
    bare names on Lambda."""
    return {p.stem for p in (ROOT / "functions").glob("*.py")}


def _type_checking_only(tree: ast.Module) -> set[ast.AST]:
    """The import statements inside ``if TYPE_CHECKING:`` blocks."""
    found: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                found.update(ast.walk(inner))
    return found


def _imports(module: str, *, typing_only: bool = True) -> Iterator[str]:
    """Every module of the package or outside it that ``module`` imports, as absolute dotted
    names; ``from .x import y`` names ``x.y`` when that is a module, else ``x``."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(), filename=str(path))
    skip = set() if typing_only else _type_checking_only(tree)
    for node in ast.walk(tree):
        if node in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            target = _absolute(module, path, node)
            for alias in node.names:
                yield f"{target}.{alias.name}" if f"{target}.{alias.name}" in MODULES else target


def _absolute(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if path.name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _graph(*, typing_only: bool) -> dict[str, set[str]]:
    """Module → the package's modules it imports (``typing_only``: with type-only imports)."""
    return {
        module: {
            t for t in _imports(module, typing_only=typing_only) if t in MODULES and t != module
        }
        for module in MODULES
    }


def _external(module: str) -> set[str]:
    """The top-level names of everything ``module`` imports."""
    return {t.split(".")[0] for t in _imports(module)}


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path that ends where it starts, or None."""
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(graph, white)
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = grey
        stack.append(node)
        for nxt in sorted(graph[node]):
            if colour[nxt] == grey:
                return [*stack[stack.index(nxt) :], nxt]
            if colour[nxt] == white and (cycle := visit(nxt)) is not None:
                return cycle
        stack.pop()
        colour[node] = black
        return None

    for node in sorted(graph):
        if colour[node] == white and (cycle := visit(node)) is not None:
            return cycle
    return None


def test_the_graph_covers_the_library() -> None:
    graph = _graph(typing_only=True)
    assert "stepstream._app" in graph
    assert "stepstream.engine._executor" in graph
    assert "stepstream.engine._ingest" in graph["stepstream._app"]
    assert "stepstream._aws" in graph["stepstream.store._connections_api"]  # from .. import _aws


def test_the_import_graph_has_no_cycles() -> None:
    cycle = _find_cycle(_graph(typing_only=False))
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_engine_module_imports_the_app() -> None:
    offenders = sorted(
        module
        for module, targets in _graph(typing_only=True).items()
        if module.startswith("stepstream.engine") and "stepstream._app" in targets
    )
    assert offenders == [], f"engine modules importing stepstream._app: {offenders}"


def test_the_library_imports_nothing_from_functions() -> None:
    forbidden = set(USER_PACKAGES) | _handler_modules()
    offenders = {
        module: sorted(_external(module) & forbidden)
        for module in MODULES
        if _external(module) & forbidden
    }
    assert offenders == {}, f"library modules importing functions/: {offenders}"
