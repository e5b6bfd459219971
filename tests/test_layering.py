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


# ---- services import no edge code (issue 10) -------------------------------------------------

SERVICE_FORBIDDEN = ("typer", "rich", "fastapi", "starlette", "coopzone.web", "coopzone.api",
                     "coopzone.cli")
# Edge modules: routes, pages, commands. Everything else in a domain is a service (rules,
# queries, adapters, demo loaders, exports) and must be callable from any edge.
EDGE_DIRS = {"api", "web", "cli", "migrations"}
EDGE_FILES = {"api.py", "pages.py", "cli.py", "__main__.py", "migrate.py"}
# ``_web``: what the pages and the JSON API of a domain share (responses, labels, links).
EDGE_SUFFIXES = ("_api.py", "_pages.py", "_command.py", "_cli.py", "_web.py")


def _is_edge(path: Path) -> bool:
    rel = path.relative_to(SRC)
    return (rel.parts[0] in EDGE_DIRS or path.name in EDGE_FILES
            or path.name.endswith(EDGE_SUFFIXES))


def _all_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _service_violations(domain: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for path in sorted((SRC / domain).rglob("*.py")):
        if _is_edge(path):
            continue
        bad = sorted(m for m in _all_imports(path)
                     if any(m == f or m.startswith(f + ".") for f in SERVICE_FORBIDDEN))
        if bad:
            out[str(path.relative_to(SRC))] = bad
    return out


def test_the_edge_classification_sees_the_known_edges() -> None:
    edges = {str(p.relative_to(SRC)) for p in SRC.rglob("*.py") if _is_edge(p)}
    assert {"ecology/api.py", "ecology/pages.py", "ecology/cli.py", "ecology/settle_command.py",
            "ecology/compensation_api.py", "ecology/compensation_pages.py"} <= edges
    assert "ecology/ledger.py" not in edges and "ecology/readings.py" not in edges


def test_services_import_no_web_api_or_command_code() -> None:
    """Every non-edge module imports no typer, rich, fastapi, starlette or
    coopzone.web/api/cli (cooperation is checked on its own below)."""
    domains = sorted({p.relative_to(SRC).parts[0] for p in SRC.iterdir()
                      if p.is_dir() and not p.name.startswith("_")} - EDGE_DIRS
                     - {"cooperation", "templates", "static"})
    assert "ecology" in domains and "accounts" in domains
    violations = {}
    for domain in domains:
        violations.update(_service_violations(domain))
    for path in SRC.glob("*.py"):  # config.py, db.py, demo.py, errors.py, …
        bad = [m for m in _all_imports(path) if not _is_edge(path)
               and any(m == f or m.startswith(f + ".") for f in SERVICE_FORBIDDEN)]
        if bad:
            violations[path.name] = bad
    assert violations == {}


def test_cooperation_services_import_no_web_api_or_command_code() -> None:
    assert _service_violations("cooperation") == {}


def test_importing_the_ledger_imports_no_typer_or_rich() -> None:
    code = ("import sys, coopzone.ecology.ledger, coopzone.ecology.evaluation, "
            "coopzone.ecology.monitoring, coopzone.ecology.compensation_views\n"
            f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            f"{('typer', 'rich', 'fastapi', 'starlette')!r} or m.startswith("
            f"('coopzone.web', 'coopzone.api', 'coopzone.cli')))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == ""


def test_the_json_api_calls_no_page_routes() -> None:
    for path in SRC.rglob("*.py"):
        if path.name == "api.py" or path.name.endswith("_api.py"):
            pages = [m for m in _all_imports(path) if m.endswith("pages")]
            tree = ast.parse(path.read_text("utf-8"))
            names = [a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                     for a in n.names if a.name.endswith("pages")]
            assert pages == [] and names == [], f"{path.relative_to(SRC)} imports {pages or names}"
