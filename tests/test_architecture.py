"""The import rules of ARCHITECTURE.md, checked on the source (an AST import graph that
counts every import: module level, inside functions, and under TYPE_CHECKING).

    leaves      mock_server.errors, .choices, .config: import only other leaves
    contract    the spec and the judges of messages: leaves only
    lifecycle   records and time: leaves only; no flask, werkzeug or httpx
    recordings  HAR files and drift: contract and leaves
    api         the pipeline and the admin API: contract, lifecycle and leaves
    top         app, cli, server, serving, channel, __init__: anything in mock_server
    mock_server never imports contract_tests; contract_tests imports mock_server's
                public names (`from mock_server import X`, X in __all__) and nothing else of it
    no cycles   among mock_server's modules, type-only imports included
"""

from __future__ import annotations

import ast
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

import mock_server

ROOT = Path(__file__).resolve().parent.parent
LEAVES = {"mock_server.errors", "mock_server.choices", "mock_server.config"}
LAYERS = ("contract", "lifecycle", "recordings", "api")
MAY_IMPORT = {
    "leaf": {"leaf"},
    "contract": {"contract", "leaf"},
    "lifecycle": {"lifecycle", "leaf"},
    "recordings": {"recordings", "contract", "leaf"},
    "api": {"api", "contract", "lifecycle", "leaf"},
    "top": {"top", "leaf", *LAYERS},
}
# The leaves are imported by the lifecycle too, so they keep its rule.
FORBIDDEN_LIBRARIES = {
    "lifecycle": ("flask", "werkzeug", "httpx"),
    "leaf": ("flask", "werkzeug", "httpx"),
}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (or package, for `from pkg import name`)
    names: tuple[str, ...]  # the names taken with `from ... import`
    line: int


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(root: Path, package: str) -> list[Import]:
    """Every import in `package`'s source under `root`, resolved to module names."""
    found: list[Import] = []
    for path in sorted((root / package).rglob("*.py")):
        source = module_name(root, path)
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found += [Import(source, a.name, (), node.lineno) for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(source, is_package, node.module, node.level)
                names = tuple(a.name for a in node.names)
                submodules = [n for n in names if _is_module(root, f"{base}.{n}")]
                found += [Import(source, f"{base}.{n}", (), node.lineno) for n in submodules]
                others = tuple(n for n in names if n not in submodules)
                if others:
                    found.append(Import(source, base, others, node.lineno))
            elif isinstance(node, ast.Call) and (target := _dynamic_import(node)):
                name, level = target
                found.append(Import(source, _resolve(source, is_package, name, level), (), 0))
    return found


def _dynamic_import(call: ast.Call) -> tuple[str, int] | None:
    """(module, relative level) of `import_module("...")` or `__import__("...")` with a
    literal name: an import too, though no import statement shows it."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name not in ("import_module", "__import__") or not call.args:
        return None
    first = call.args[0]
    if not isinstance(first, ast.Constant) or not isinstance(first.value, str):
        return None
    text = first.value
    level = len(text) - len(text.lstrip("."))
    return text[level:], level


def _resolve(source: str, is_package: bool, module: str | None, level: int) -> str:
    if level == 0:
        return module or ""
    parts = source.split(".")
    if not is_package:
        parts = parts[:-1]
    parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts + ([module] if module else []))


def _is_module(root: Path, name: str) -> bool:
    path = root.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def layer(module: str) -> str:
    if module in LEAVES:
        return "leaf"
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in LAYERS:
        return parts[1]
    return "top"


def rule_breaks(root: Path) -> list[str]:
    """Every import that breaks a rule, as 'module:line imports target (why)'."""
    broken: list[str] = []
    for imp in imports(root, "mock_server"):
        where = f"{imp.source}:{imp.line} imports {imp.target}"
        top = imp.target.split(".")[0]
        mine = layer(imp.source)
        if top == "contract_tests":
            broken.append(f"{where} (mock_server never imports contract_tests)")
        elif top == "mock_server":
            theirs = layer(imp.target) if imp.target != "mock_server" else "top"
            if theirs not in MAY_IMPORT[mine]:
                broken.append(f"{where} ({mine} may not import {theirs})")
        elif top in FORBIDDEN_LIBRARIES.get(mine, ()):
            broken.append(f"{where} ({mine} imports no {top})")
    public = set(mock_server.__all__)
    for imp in imports(root, "contract_tests"):
        if not imp.target.startswith("mock_server"):
            continue
        where = f"{imp.source}:{imp.line} imports {imp.target}"
        if imp.target != "mock_server":
            broken.append(f"{where} (contract_tests takes only mock_server's public names)")
        elif not imp.names or set(imp.names) - public:
            private = ", ".join(sorted(set(imp.names) - public)) or "the module"
            broken.append(f"{where} ({private} not in mock_server.__all__)")
    return broken


def cycles(root: Path) -> list[list[str]]:
    """Strongly connected groups of more than one module in mock_server's import graph."""
    graph: dict[str, set[str]] = {}
    for imp in imports(root, "mock_server"):
        if imp.target.startswith("mock_server") and imp.target != imp.source:
            graph.setdefault(imp.source, set()).add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_every_import_keeps_the_layer_rules() -> None:
    assert rule_breaks(ROOT) == []


def test_mock_server_has_no_import_cycle() -> None:
    assert cycles(ROOT) == []


def test_every_layer_has_a_docstring_saying_what_it_may_import() -> None:
    for name in LAYERS:
        doc = ast.get_docstring(
            ast.parse((ROOT / "mock_server" / name / "__init__.py").read_text())
        )
        assert doc and "import" in doc, f"mock_server/{name}/__init__.py"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of both packages to plant bad imports in."""
    for package in ("mock_server", "contract_tests"):
        shutil.copytree(ROOT / package, tmp_path / package)
    return tmp_path


@pytest.mark.parametrize(
    ("module", "line", "complaint"),
    [
        ("mock_server/lifecycle/clock.py", "import flask", "lifecycle imports no flask"),
        (
            "mock_server/lifecycle/store.py",
            "from ..api import state",
            "lifecycle may not import api",
        ),
        ("mock_server/contract/spec.py", "from ..lifecycle import clock", "contract may not"),
        ("mock_server/recordings/har.py", "from ..api.reply import Reply", "recordings may not"),
        ("mock_server/api/faults.py", "import contract_tests", "never imports contract_tests"),
        ("contract_tests/mock.py", "from mock_server.api.state import state_of", "public"),
        ("contract_tests/mock.py", "from mock_server import state_of", "not in mock_server"),
        ("mock_server/config.py", "import werkzeug", "leaf imports no werkzeug"),
        (
            "mock_server/lifecycle/clock.py",
            "def f():\n    return importlib.import_module('mock_server.api.state')",
            "lifecycle may not import api",
        ),
        ("mock_server/contract/spec.py", "__import__('mock_server.api.state')", "contract may not"),
        (
            "mock_server/contract/spec.py",
            "from mock_server.api import exchange, __doc__",
            "contract may not import api",
        ),
    ],
)
def test_a_planted_bad_import_is_caught(tree: Path, module: str, line: str, complaint: str) -> None:
    target = tree / module
    target.write_text(target.read_text() + f"\n{line}\n")
    assert any(complaint in b for b in rule_breaks(tree)), rule_breaks(tree)


def test_a_planted_type_only_cycle_is_caught(tree: Path) -> None:
    target = tree / "mock_server/api/reply.py"
    planted = (
        "\nfrom typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from .exchange import Exchange\n"
    )
    target.write_text(target.read_text() + planted)
    assert ["mock_server.api.exchange", "mock_server.api.reply"] in cycles(tree)


def private_uses(root: Path) -> list[str]:
    """Names taken from a module of either package that its `__all__` does not list."""
    exported: dict[str, set[str]] = {}
    for path in [*(root / "mock_server").rglob("*.py"), *(root / "contract_tests").rglob("*.py")]:
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
            ):
                exported[module_name(root, path)] = set(ast.literal_eval(node.value))
    found = []
    for package in ("mock_server", "contract_tests", "tests", "benchmarks"):
        for imp in imports(root, package):
            listed = exported.get(imp.target)
            if listed is None or not imp.names:
                continue
            for name in set(imp.names) - listed:
                if not name.startswith("_"):
                    found.append(f"{imp.source}:{imp.line} takes {name} from {imp.target}")
    return sorted(found)


def test_names_taken_from_a_module_are_in_its_all() -> None:
    assert private_uses(ROOT) == []
