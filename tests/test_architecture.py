"""The architecture as tests (DESIGN.md "Layout" and "Dependency direction").

- The import-linter contracts in pyproject.toml (`[tool.importlinter]`: layers, the library never
  importing the web app or the CLI, and which modules alone may import streamlit, chromadb,
  langchain_chroma, the LLM SDKs, sqlalchemy and alembic) hold: `lint-imports` exits 0.
- No import cycle between modules: the strongly connected components (Tarjan) of grimp's graph of
  `assistant`, module by module. Every import counts: at the top, inside functions (lazy) and under
  TYPE_CHECKING; a package's `__init__.py` is a module like any other, so its re-exports are edges
  from the package to the submodules it imports (and `from assistant.review import X` from
  a submodule is an edge to the package). The implicit import of a parent package that Python
  performs before a submodule is not an edge (it would put every package in a cycle with its
  submodules).
- No module under assistant/ over 400 lines (the locale catalogues are exempt by name: they are
  plain data tables, one entry per UI string).
- No function or method over 60 lines (`end_lineno - lineno + 1`, from the `def` line, decorators
  excluded; nested functions count on their own and inside their parent). Exempt: a function whose
  body, after an optional docstring, is a single `return` of a dict / list / tuple / set literal
  (a plain data table), and a migration step that only calls `op.*` (the schema written out).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "assistant"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# The UI catalogues: one "key: text" entry per string of the interface, data rather than code.
DATA_TABLE_MODULES = {"assistant/locales/en.py", "assistant/locales/it.py"}


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_import_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"lint-imports failed:\n{done.stdout}\n{done.stderr}"


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm (iterative): the components with more than one module, or a module that
    imports itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    found.append(sorted(component))
    return found


def test_strongly_connected_finds_cycles():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a", "d"}, "e": set()}
    assert sorted(strongly_connected(graph)) == [["a", "b", "c"], ["d"]]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    graph = grimp.build_graph("assistant", include_external_packages=False)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    cycles = strongly_connected(edges)
    lines = []
    for component in cycles:
        members = set(component)
        lines.append(" <-> ".join(component))
        for importer in component:
            for imported in sorted(edges[importer] & members):
                details = graph.get_import_details(importer=importer, imported=imported)
                where = ", ".join(f"l.{d['line_number']}" for d in details)
                lines.append(f"    {importer} -> {imported} ({where})")
    assert not cycles, "import cycles between modules:\n" + "\n".join(lines)


def test_modules_stay_small():
    too_long = {}
    for path in _modules():
        if _name(path) in DATA_TABLE_MODULES:
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_MODULE_LINES:
            too_long[_name(path)] = lines
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines (split them by noun): {too_long}"


def _is_data_table(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    body = fn.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return (len(body) == 1 and isinstance(body[0], ast.Return)
            and isinstance(body[0].value, (ast.Dict, ast.List, ast.Tuple, ast.Set)))


def _is_ddl(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A migration step that only calls `op.*` (create_table, create_index...): the schema as data."""
    def op_call(stmt: ast.stmt) -> bool:
        return (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
                and isinstance(stmt.value.func, ast.Attribute) and isinstance(stmt.value.func.value, ast.Name)
                and stmt.value.func.value.id == "op")

    body = [b for b in fn.body if not (isinstance(b, ast.Expr) and isinstance(b.value, ast.Constant))]
    return bool(body) and all(op_call(b) for b in body)


def long_functions(source: str, filename: str = "<source>") -> dict[str, int]:
    """`qualified name (line)` -> length of every function over the limit that is not a data table."""
    found = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = child.end_lineno - child.lineno + 1
                if length > MAX_FUNCTION_LINES and not _is_data_table(child) and not _is_ddl(child):
                    found[f"{filename}:{child.lineno} {prefix}{child.name}"] = length
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(source, filename), "")
    return found


def test_long_function_rule():
    long_body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    assert list(long_functions(f"class C:\n    def m(self):\n    {long_body.replace(chr(10), chr(10) + '    ')}\n"))
    table = "\n".join(f"        {i!r}: {i}," for i in range(MAX_FUNCTION_LINES))
    assert long_functions(f'def table():\n    """Data."""\n    return {{\n{table}\n    }}\n') == {}
    assert long_functions(f"def short():\n{long_body[: long_body.index(chr(10))]}\n") == {}


def test_functions_stay_short():
    found = {}
    for path in _modules():
        found |= long_functions(path.read_text(encoding="utf-8"), _name(path))
    assert not found, (f"functions over {MAX_FUNCTION_LINES} lines (split them into well-named helpers): "
                       + "; ".join(f"{k} ({v} lines)" for k, v in sorted(found.items())))


def test_declared_dependencies_equal_imported_ones():
    """deptry (configured in pyproject.toml): nothing imported undeclared, nothing declared unused."""
    deptry = Path(sys.executable).with_name("deptry")
    done = subprocess.run([str(deptry), "."], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
