"""The house: imports flow down the layers, no module imports in a circle, no module over 600 lines."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import networkx as nx

SRC = Path(__file__).resolve().parent.parent / "src"

# What each part of the package may import (besides itself). A part is a subpackage,
# or a top-level module. Read from the bottom up: each row only names rows above it.
MAY_IMPORT: dict[str, frozenset[str]] = {
    "values": frozenset(),
    "exceptions": frozenset({"values"}),
    "org": frozenset({"values", "exceptions"}),
    "definition": frozenset({"org", "values", "exceptions"}),
    "store": frozenset({"values", "exceptions"}),
    "run": frozenset({"definition", "org", "store", "values", "exceptions"}),
    "report": frozenset({"run", "store", "definition", "org", "values", "exceptions"}),
    "testing": frozenset({"run", "store", "definition", "org", "values", "exceptions"}),
    "_campaign": frozenset({"testing", "run", "store", "definition", "org", "values", "exceptions"}),
    "_version": frozenset(),
    "<facade>": frozenset(
        {"_campaign", "_version", "testing", "report", "run", "store"}
        | {"definition", "org", "values", "exceptions"}
    ),
    "presets": frozenset({"<facade>", "definition", "org", "values", "exceptions"}),
}
TOP = {"cli", "__main__", "_demo", "_targets", "_files"}  # the command line and what only it uses


def modules() -> dict[str, Path]:
    found = {}
    for path in (SRC / "campaignflow").rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """Every campaignflow module ``name`` imports, anywhere in the file (TYPE_CHECKING and functions too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known]
            targets = subs if len(subs) == len(node.names) else [*subs, base]
        else:
            continue
        for named in targets:
            found = named
            while found not in known and "." in found:
                found = found.rpartition(".")[0]
            if found in known and found != name:
                yield found


def part(name: str) -> str:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "<facade>"


def graph() -> nx.DiGraph:
    known = modules()
    g = nx.DiGraph()
    g.add_nodes_from(known)
    for name, path in known.items():
        g.add_edges_from((name, target) for target in imports(name, path, known))
    return g


def test_imports_flow_down_the_layers() -> None:
    """No module imports a part its own part may not import (definition never imports run...)."""
    wrong = sorted(
        f"{a} imports {b}"
        for a, b in graph().edges
        if part(a) != part(b) and part(a) not in TOP and part(b) not in MAY_IMPORT.get(part(a), frozenset())
    )
    assert wrong == []


def test_every_part_is_in_the_table() -> None:
    """A new subpackage or top-level module must say where it stands."""
    assert {part(m) for m in modules()} <= set(MAY_IMPORT) | TOP


def test_no_import_circle() -> None:
    """No module imports itself through others, counting imports inside functions and TYPE_CHECKING."""
    circles = [sorted(c) for c in nx.strongly_connected_components(graph()) if len(c) > 1]
    assert circles == []


def test_the_check_sees_a_circle_and_a_wrong_direction() -> None:
    """The walk reads real edges: the facade imports the campaign, the run imports the store."""
    g = graph()
    assert g.has_edge("campaignflow", "campaignflow._campaign")
    assert g.has_edge("campaignflow.run.run", "campaignflow.store")
    g.add_edge("campaignflow.store", "campaignflow.run.run")
    assert any(len(c) > 1 for c in nx.strongly_connected_components(g))


def test_no_module_over_600_lines() -> None:
    """Modules stay small enough to read in one sitting."""
    sizes = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in modules().items()}
    long = {m: n for m, n in sizes.items() if n > 600}
    assert long == {}


def test_every_subpackage_says_what_it_holds_and_may_import() -> None:
    """Each subpackage's docstring names what it holds and what it may import."""
    for init in (SRC / "campaignflow").glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        if init.parent.name == "presets":
            continue
        assert "May import" in doc, init
