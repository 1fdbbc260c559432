"""The package's shape: no import cycle, gradio only in the UI, an engine that knows no model class, small
functions, and nothing that reads outside the repository."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "playground"
MAX_FUNCTION_LINES = 60


def module_name(path: Path) -> str:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    return name.removesuffix(".__init__")


def runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` but those under ``if TYPE_CHECKING:`` (imports for type hints only, never run)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            todo += node.orelse
        else:
            todo += ast.iter_child_nodes(node)


def imports() -> dict[str, set[str]]:
    """module -> the modules it imports (anywhere in it, at run time): ``from a.b import c`` counts as a.b.c when
    that is a module of ours (a submodule, not the package a.b), else as a.b."""
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    out = {}
    for path in PACKAGE.rglob("*.py"):
        found = set()
        for node in runtime_nodes(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                subs = {f"{node.module}.{a.name}" for a in node.names} & modules
                found |= subs or {node.module}
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
        out[module_name(path)] = found
    return out


def test_no_import_cycle_in_the_package():
    graph = imports()
    edges = {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            m = todo.pop()
            if m == goal:
                return True
            if m not in seen:
                seen.add(m)
                todo += edges[m]
        return False

    cycles = sorted(f"{a} <-> {b}" for a, deps in edges.items() for b in deps if reaches(b, a))
    assert cycles == []


def test_only_the_ui_imports_gradio_and_the_engine_knows_no_model_class():
    for module, deps in imports().items():
        tops = {d.split(".")[0] for d in deps}
        if not module.startswith("playground.ui"):
            assert "gradio" not in tops, module
        if module.startswith("playground.decoding"):
            inner = {d for d in deps if d.startswith("playground.") and not d.startswith("playground.decoding")}
            assert inner <= {"playground.models.vocab"}, (module, inner)


def test_functions_stay_short():
    long = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    assert long == []


def test_nothing_reads_outside_the_repository():
    pattern = re.compile(r"\.\./shared|parents\[\d\]\s*/\s*[\"']shared|\.parent\s*/\s*[\"']shared")
    sources = [*PACKAGE.rglob("*.py"), *(ROOT / "tests").rglob("*.py"), *(ROOT / "benchmarks").rglob("*.py"),
               ROOT / "app.py", ROOT / ".ci" / "run"]
    assert [str(p.relative_to(ROOT)) for p in sources if pattern.search(p.read_text())] == []
