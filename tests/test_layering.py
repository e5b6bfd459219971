"""Engines import no web or database code; domains form no import cycle."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import coopzone
import coopzone.engines

SRC = Path(coopzone.__file__).parent
FORBIDDEN = ("sqlalchemy", "fastapi", "starlette", "uvicorn", "jinja2", "alembic",
             "coopzone.db", "coopzone.config", "coopzone.api", "coopzone.web")
EDGES = {"api", "web", "cli", "migrations", "demo", "models", "migrate"}


def test_engines_import_no_web_or_database_code() -> None:
    names = [m.name for m in pkgutil.iter_modules(coopzone.engines.__path__)]
    assert names, "no engines found"
    code = (
        "import sys, importlib\n"
        f"for n in {names!r}: importlib.import_module('coopzone.engines.' + n)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r} "
        f"or any(m == f or m.startswith(f + '.') for f in {FORBIDDEN!r}))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m.startswith("coopzone.")}


def _domain(module: str) -> str:
    return module.split(".")[1]


def test_domains_form_no_import_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        domain = path.relative_to(SRC).parts[0].removesuffix(".py")
        if domain in EDGES or path.parent == SRC / "migrations" / "versions":
            continue
        deps = {_domain(m) for m in _imports(path)} - EDGES - {domain}
        graph.setdefault(domain, set()).update(deps)
    assert "ecology" in graph and "accounts" in graph

    def visit(node: str, trail: tuple[str, ...]) -> None:
        assert node not in trail, f"import cycle: {' -> '.join((*trail, node))}"
        for dep in graph.get(node, ()):
            visit(dep, (*trail, node))

    for domain in graph:
        visit(domain, ())
    assert graph["places"] <= {"db", "errors", "engines"}, graph["places"]
