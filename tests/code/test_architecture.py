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
