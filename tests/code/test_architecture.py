"""The layers' imports point one way: serving and training stand on the model package, which stands alone."""

from __future__ import annotations

import ast

import pytest
from helpers import REPO


def imported_packages(folder: str) -> dict[str, set[str]]:
    """Return, per Python file under `folder`, the top-level packages it imports (at any depth in the file)."""
    found = {}
    for path in sorted((REPO / folder).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(REPO))] = names
    return found


@pytest.mark.parametrize(
    ("folder", "forbidden"),
    [
        ("serving", {"training", "tradecredit"}),
        ("model", {"features", "training", "serving", "tradecredit"}),
        ("training", {"serving", "tradecredit"}),
        ("features", {"model", "training", "serving", "tradecredit"}),
    ],
)
def test_a_layer_imports_only_the_layers_below_it(folder, forbidden):
    wrong = {path: sorted(names & forbidden) for path, names in imported_packages(folder).items() if names & forbidden}
    assert not wrong, f"{folder}/ must not import {sorted(forbidden)}: {wrong}"


PACKAGES = ("features", "model", "serving", "training", "tradecredit")


def project_imports() -> dict[str, set[str]]:
    """Return, per project module (dotted name), the project modules it imports, deferred imports included.

    `from package import submodule` imports the submodule, not a name the package defines.
    """
    paths = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            paths[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {}
    for name, path in paths.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):  # deferred imports too: a cycle all the same
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                for alias in node.names:
                    submodule = f"{node.module}.{alias.name}"
                    targets.add(submodule if submodule in paths else node.module)
            elif isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
        graph[name] = {t for t in targets if t in paths}
    return graph


def test_no_module_imports_itself_through_others():
    graph = project_imports()
    cycles = []

    def visit(name, path):
        for target in sorted(graph.get(name, ())):
            if target in path:
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in done:
                visit(target, [*path, target])
        done.add(name)

    done: set[str] = set()
    for name in sorted(graph):
        if name not in done:
            visit(name, [name])
    assert not cycles, f"import cycles: {cycles}"


def test_importing_a_module_sets_nothing_global():
    """A library module must not choose a plotting backend (or the like) for whoever imports it."""
    offenders = [
        str(path.relative_to(REPO))
        for package in PACKAGES
        for path in (REPO / package).rglob("*.py")
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and ast.unparse(node.value.func) in ("matplotlib.use", "plt.switch_backend", "warnings.simplefilter")
    ]
    assert not offenders, offenders
