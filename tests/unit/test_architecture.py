"""The shape of the code: ARCHITECTURE.md names every module, and imports keep the layers.

The import graph is read from the source (grimp), so a rule broken by an import inside a
function, or one only made for type checking, fails here too.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import grimp
import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
MAP = REPOSITORY / "ARCHITECTURE.md"
HTTP_FRAMEWORKS = ("fastapi", "starlette", "uvicorn")


@cache
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("api", include_external_packages=True)


def imports_of(module: str) -> set[str]:
    """What ``module`` imports directly, modules of Zonecut and top-level packages else."""
    return set(graph().find_modules_directly_imported_by(module))


def modules_under(package: str) -> list[str]:
    return sorted(m for m in graph().modules if m == package or m.startswith(package + "."))


def named_paths() -> set[str]:
    """Every path in backquotes in ARCHITECTURE.md."""
    return set(
        re.findall(r"`((?:api|frontend|tests|migrations|deploy|bench)/[^`\s]*)`", MAP.read_text())
    )


def test_every_module_under_api_is_named_in_the_map() -> None:
    named = named_paths()
    missing = [
        str(path.relative_to(REPOSITORY))
        for path in sorted((REPOSITORY / "api").rglob("*.py"))
        if path.name != "__init__.py" and str(path.relative_to(REPOSITORY)) not in named
    ]
    assert not missing, f"name these in ARCHITECTURE.md's codemap: {missing}"


def test_every_top_folder_of_the_frontend_is_named_in_the_map() -> None:
    named = named_paths()
    folders = sorted(p for p in (REPOSITORY / "frontend" / "src").iterdir() if p.is_dir())
    missing = [
        f"{path.relative_to(REPOSITORY)}/"
        for path in folders
        if f"{path.relative_to(REPOSITORY)}/" not in named
    ]
    assert not missing, f"name these in ARCHITECTURE.md's codemap: {missing}"


def test_every_path_the_map_names_exists() -> None:
    gone = sorted(path for path in named_paths() if not (REPOSITORY / path).exists())
    assert not gone, f"ARCHITECTURE.md names paths that do not exist: {gone}"


def test_no_module_imports_itself_back_through_others() -> None:
    cycles = _cycles({m: imports_of(m) for m in graph().modules if m.startswith("api")})
    assert not cycles, f"import cycles: {cycles}"


def test_the_service_domains_depend_on_each_other_one_way() -> None:
    domains = {m for m in modules_under("api.services") if m.count(".") == 2}
    edges: dict[str, set[str]] = {domain: set() for domain in domains}
    for domain in domains:
        for module in modules_under(domain):
            for imported in imports_of(module):
                target = ".".join(imported.split(".")[:3])
                if target in domains and target != domain:
                    edges[domain].add(target)
    assert not _cycles(edges), f"service domains import each other both ways: {edges}"


@pytest.mark.parametrize(
    ("layer", "may_not_import"),
    [
        ("api.imaging", ("api.",)),
        ("api.storage", ("api.",)),
        (
            "api.services",
            (
                "api.edge",
                "api.routes",
                "api.schemas",
                "api.main",
                "api.lifecycle",
                "api.cli",
                *HTTP_FRAMEWORKS,
            ),
        ),
        ("api.errors", ("api.", *HTTP_FRAMEWORKS)),
        ("api.tables", ("api.services", "api.edge", "api.routes", "api.schemas")),
        ("api.db", ("api.services", "api.edge", "api.routes", "api.schemas")),
        ("api.schemas", ("api.edge", "api.routes", *HTTP_FRAMEWORKS)),
        ("api.edge", ("api.routes", "api.main")),
        ("api.cli.extract", ("api.",)),
    ],
)
def test_a_layer_imports_nothing_above_it(layer: str, may_not_import: tuple[str, ...]) -> None:
    own = (layer, layer + ".")
    broken = sorted(
        f"{module} -> {imported}"
        for module in modules_under(layer)
        for imported in imports_of(module)
        if not imported.startswith(own)
        and any(
            imported == rule.rstrip(".") or imported.startswith(rule) for rule in may_not_import
        )
        and imported != "api"
    )
    assert not broken, f"{layer} reaches above itself: {broken}"


def test_only_the_app_assembly_imports_the_routes() -> None:
    importers = sorted(
        module
        for module in graph().modules
        if module.startswith("api")
        and not module.startswith("api.routes")
        and any(imported.startswith("api.routes") for imported in imports_of(module))
    )
    assert importers == ["api.main"], importers


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in edges.get(node, ()):
            if successor not in edges:
                continue
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found
