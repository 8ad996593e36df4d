"""What a plain `pip install campaignflow` brings is what the library imports."""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "campaignflow"


def _guarded(tree: ast.AST) -> set[int]:
    """ids of the import nodes inside a ``try`` whose handlers catch ImportError: optional imports."""
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
            isinstance(h.type, ast.Name) and h.type.id in {"ImportError", "ModuleNotFoundError"}
            for h in node.handlers
        ):
            guarded.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return guarded


def imported_top_level_modules(*, optional: bool = False) -> dict[str, set[str]]:
    """Every module outside the standard library that src/ imports, anywhere in a file, with its files.

    With ``optional`` only the imports guarded by ``except ImportError`` (an
    extra's, turned into a named error when missing); without it every other one.
    """
    found: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        guarded = _guarded(tree)
        for node in ast.walk(tree):
            if (id(node) in guarded) != optional:
                continue
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "campaignflow":
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def core_requirements() -> set[str]:
    """The distributions campaignflow requires with no extra, normalised."""
    declared = md.requires("campaignflow") or []
    return {
        re.split(r"[\s<>=!~\[;]", r, maxsplit=1)[0].lower().replace("_", "-")
        for r in declared
        if "extra ==" not in r
    }


def test_every_imported_package_is_a_core_dependency() -> None:
    """A module src/ imports is provided by a dependency declared without extras (jinja2 was not)."""
    providers = md.packages_distributions()
    required = core_requirements()
    missing = {}
    for module, files in imported_top_level_modules().items():
        dists = {d.lower().replace("_", "-") for d in providers.get(module, [module])}
        if not dists & required:
            missing[module] = sorted(files)
    assert not missing, f"imported but not in [project] dependencies: {missing}"


def test_every_optional_import_is_an_extra() -> None:
    """An import guarded by ``except ImportError`` names a package some extra of pyproject.toml declares."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    declared = {
        re.split(r"[\s<>=!~\[;]", r, maxsplit=1)[0].lower() for name, reqs in extras.items() for r in reqs
    }
    optional = imported_top_level_modules(optional=True)
    assert "graphviz" in optional  # the diagram extra: the check sees what it guards
    assert "graphviz" in extras["diagram"][0]
    assert set(optional) <= declared, f"guarded imports no extra declares: {set(optional) - declared}"


def test_the_check_sees_the_imports_it_guards() -> None:
    """The walk finds the packages we know the library imports, so an empty result cannot pass vacuously."""
    found = imported_top_level_modules()
    assert {"jinja2", "transitions", "attrs", "networkx", "structlog", "sqlalchemy"} <= set(found)
    assert "jinja2" in core_requirements()


def test_ci_runs_the_readme_first_command_on_a_plain_install() -> None:
    """`.ci/run` takes the README's first command from the README itself, then runs the test command."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = next(line for line in readme.splitlines() if line.startswith("python3 -m venv"))
    assert "pip install -e . " in first  # no extras: what a new user types
    assert first.endswith("campaignflow demo")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "grep -m1 '^python3 -m venv' README.md" in ci
    assert ci.index("README.md") < ci.index("bash scripts/test")
    script = (ROOT / "scripts" / "test").read_text(encoding="utf-8")
    commands = [line for line in script.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert not [c for c in commands if "benchmarks/" in c], "a benchmark gate in the test command"
