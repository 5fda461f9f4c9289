"""The rooms' rules, read from the code: each layer imports only from the layers below it.

``parcels/`` and ``templates/`` are the lowest (the message catalogue may read the core's storage), then
``notifications/``, then the entry points ``actions/`` and ``web/``, which never import each other, and
``tools/`` (demo data, the command line), which nothing imports. ``bot/`` runs inside the Rasa server and
imports none of ours.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = ("parcels", "templates", "notifications", "actions", "web", "tools", "bot")
MAY_IMPORT: dict[str, frozenset[str]] = {
    "parcels": frozenset({"parcels"}),
    "templates": frozenset({"templates", "parcels"}),
    "notifications": frozenset({"notifications", "parcels", "templates"}),
    "actions": frozenset({"actions", "notifications", "parcels", "templates"}),
    "web": frozenset({"web", "notifications", "parcels", "templates"}),
    "tools": frozenset({"tools", "notifications", "parcels", "templates"}),
    "bot": frozenset({"bot"}),
}
ENTRY_SHIMS = {Path("parcels/__main__.py")}  # ``python -m parcels`` hands over to the command line


def imported(path: Path) -> Iterator[tuple[int, str]]:
    """The top-level package of every absolute import in ``path``, with its line."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]


def modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize("package", [p for p in OURS if (ROOT / p).is_dir()])
def test_a_layer_imports_only_from_the_layers_below_it(package: str) -> None:
    allowed = MAY_IMPORT[package]
    crossings = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in modules(package)
        if path.relative_to(ROOT) not in ENTRY_SHIMS
        for line, name in imported(path)
        if name in OURS and name not in allowed
    ]
    assert not crossings, "\n".join(crossings)


def test_the_layers_are_found() -> None:
    assert len(modules("parcels")) > 10 and len(modules("web")) > 10  # the walk reads real files
