"""The package is a stack: each layer imports only layers below it, and no module imports in a circle.

Every import counts, including those inside functions (a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "csm_academy"

#: Lower numbers sit lower in the stack. A part may import its own layer's modules and those below it.
LAYERS: dict[str, int] = {
    "constants": 0,
    "errors": 0,
    "content": 0,
    "book": 1,
    "metrics": 2,
    "charts": 2,
    "iranian_churn": 2,
    "questions": 3,  # the engine: nothing lesson-specific
    "lessons": 4,  # content, one folder per module
    "widgets": 4,
    "grading": 5,
    "workspace": 5,  # the trainee's folder; builds student editions with grading's nbgrader call
    "selfstudy": 6,  # a trainee grading their own exercise: the grader and the workspace
    "cli": 7,
    "__main__": 8,
    "__init__": 8,
}
#: Parts of one layer that still must not import each other (content never reaches into the engine's peers).
SAME_LAYER_FORBIDDEN = {
    ("metrics", "charts"),
    ("charts", "metrics"),
    ("lessons", "widgets"),
    ("widgets", "lessons"),
    ("grading", "workspace"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> list[tuple[str, int]]:
    """Every csm_academy module ``path`` imports, with the line, wherever the import statement sits."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                # "from csm_academy.lessons import nrr_math" imports the submodule; otherwise a name of ``module``
                sub = f"{module}.{alias.name}"
                found.append((sub if sub in modules else module, node.lineno))
    return [(name, line) for name, line in found if name == "csm_academy" or name.startswith("csm_academy.")]


MODULE_FILES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _graph() -> dict[str, list[tuple[str, int]]]:
    modules = MODULE_FILES
    graph: dict[str, list[tuple[str, int]]] = {}
    for name, path in modules.items():
        edges = []
        for target, line in _imports(path, set(modules)):
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]  # an imported name, not a module: its module
            if target in modules and target != name:
                edges.append((target, line))
        graph[name] = edges
    return graph


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


GRAPH = _graph()


def test_every_part_of_the_package_has_a_layer():
    assert {_part(m) for m in GRAPH} <= set(LAYERS), "add the new part to LAYERS"


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_no_module_imports_a_layer_above_its_own(module):
    src = _part(module)
    upward = [
        f"{target} (line {line})"
        for target, line in GRAPH[module]
        if LAYERS[_part(target)] > LAYERS[src] or (src, _part(target)) in SAME_LAYER_FORBIDDEN
    ]
    assert not upward, f"{module} imports upward: {', '.join(upward)}"


def test_no_module_imports_in_a_circle():
    cycles = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for target, _line in GRAPH.get(node, ()):
            # a package importing its own submodules (re-exports) is not a cycle through itself
            if target.startswith(node + "."):
                continue
            if state.get(target) == 1:
                cycles.append(" -> ".join(stack[stack.index(target) :] + [target]))
            elif target not in state:
                visit(target, stack + [target])
        state[node] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert not cycles, "circular imports: " + "; ".join(cycles)


def test_the_engine_holds_nothing_lesson_specific():
    engine = [m for m in GRAPH if _part(m) == "questions"]
    words = ("forecast", "fit gap", "mis-sold", "health score", "upsell", "save plan")
    for module in engine:
        text = MODULE_FILES[module].read_text().lower()
        assert not [w for w in words if w in text], f"{module} mentions lesson vocabulary"
