"""The shape of the package: no import loop, modules and functions that read
in one sitting.

Imports are read from the source, all of them: at the top, inside functions,
and under ``if TYPE_CHECKING:``, so a loop hidden behind a type-only import
is still a loop.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "newsindex"
#: Longest module, in lines.
MAX_MODULE_LINES = 500
#: Longest function, in lines, unless a comment just above it says why
#: (``# Long: ...``).
MAX_FUNCTION_LINES = 60

SOURCES = sorted(PACKAGE.glob("*.py"))


def _module_name(path: Path) -> str:
    return "newsindex" if path.stem == "__init__" else f"newsindex.{path.stem}"


def _imports(path: Path) -> set[str]:
    """The newsindex modules that ``path`` imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            # ``from newsindex import _wordlists`` names a module too.
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        found.update(n for n in names if n.startswith("newsindex"))
    modules = {_module_name(p) for p in SOURCES}
    return {n for n in found if n in modules} - {_module_name(path)}


def test_no_import_loop() -> None:
    graph = {_module_name(p): _imports(p) for p in SOURCES if p.stem != "__init__"}
    # The root re-exports everything and nothing imports it but the command
    # (and __main__), which nothing imports back.
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for imported in sorted(graph.get(module, ())):
            if state.get(imported) == "open":
                loop = [*path[path.index(imported) :], imported]
                pytest.fail("import loop: " + " -> ".join(loop))
            if imported not in state:
                visit(imported, [*path, imported])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_module_reads_in_one_sitting(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_MODULE_LINES, f"{path.name} has {lines} lines"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_long_functions_say_why(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        if length <= MAX_FUNCTION_LINES:
            continue
        first = min([node.lineno] + [d.lineno for d in node.decorator_list])
        above = lines[: first - 1]
        comment = []
        while above and above[-1].strip().startswith("#"):
            comment.append(above.pop())
        assert any(c.strip().startswith("# Long:") for c in comment), (
            f"{path.name}: {node.name} has {length} lines and no '# Long:' reason"
        )
