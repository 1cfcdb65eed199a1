"""The layering of the code, read from the import statements of every module (lazy imports inside
functions included): the packages form an acyclic graph, geometry needs only the numerical stack,
and only cache/ talks to DuckDB."""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OUTSIDE_THE_PRODUCT = {".venv", "tests", "bench", "docs", "artifacts", ".git", ".ci"}
# numba is umap-learn's own compiler (geometry/exact_distances.py's kernels use it directly);
# threadpoolctl is scikit-learn's (geometry/blas.py limits BLAS threads with it).
GEOMETRY_MAY_IMPORT = {"numpy", "scipy", "sklearn", "umap", "numba", "threadpoolctl"}


def _imports() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Top-level name of each product package → the product packages and the outside modules it imports."""
    sources = [path for path in ROOT.rglob("*.py")
               if not OUTSIDE_THE_PRODUCT & set(path.relative_to(ROOT).parts)]
    product = {path.relative_to(ROOT).parts[0].removesuffix(".py") for path in sources}
    internal, external = defaultdict(set), defaultdict(set)
    for path in sources:
        package = path.relative_to(ROOT).parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in product:
                    if top != package:
                        internal[package].add(top)
                else:
                    external[package].add(top)
    return internal, external


INTERNAL, EXTERNAL = _imports()


def test_the_packages_import_each_other_without_a_cycle():
    graph = {package: set(targets) for package, targets in INTERNAL.items()}
    visiting, done = set(), set()

    def visit(package: str, path: list[str]) -> None:
        if package in done:
            return
        if package in visiting:
            pytest.fail("import cycle: " + " → ".join(path + [package]))
        visiting.add(package)
        for target in sorted(graph.get(package, ())):
            visit(target, path + [package])
        visiting.discard(package)
        done.add(package)

    for package in sorted(graph):
        visit(package, [])
    # The intended order: views → ui → pipeline → lm / geometry / cache / prompts.
    assert "ui" not in INTERNAL["pipeline"] and "views" not in INTERNAL["ui"]
    assert not INTERNAL["geometry"], "geometry is a leaf: it imports no other package of the project"


def test_geometry_imports_only_the_numerical_stack():
    outside = {name for name in EXTERNAL["geometry"] if name not in sys.stdlib_module_names and name != "__future__"}
    assert outside <= GEOMETRY_MAY_IMPORT, sorted(outside - GEOMETRY_MAY_IMPORT)


def test_only_cache_imports_duckdb_and_no_library_package_imports_streamlit():
    assert sorted(package for package, names in EXTERNAL.items() if "duckdb" in names) == ["cache"]
    for package in ("geometry", "lm", "cache", "prompts", "pipeline"):
        assert "streamlit" not in EXTERNAL[package], package
