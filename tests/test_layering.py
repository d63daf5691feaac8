"""The dependencies point one way: records, history, rules, engine, command line."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src" / "consentkit"

# Each layer may import only from the layers before it (and itself).
LAYERS: tuple[frozenset[str], ...] = (
    frozenset(
        {"_errors", "_validate", "_time", "_enum", "_text", "_about", "_pickling"}
    ),
    frozenset({"_catalog", "_terms", "_events", "_plan", "_agreements", "_decision"}),
    frozenset({"_receipt"}),
    # Lint reports and terms diffs are records that documents carry.
    frozenset({"_reports"}),
    # Preference lists and comparisons are records that documents carry.
    frozenset({"_preferences"}),
    frozenset({"_coverage"}),
    frozenset({"_canonical", "_serialize", "_migrations"}),
    frozenset({"_history", "_state", "_ledger"}),
    frozenset({"_binding"}),
    frozenset({"_documents", "_schema"}),
    frozenset({"signing"}),
    frozenset({"store"}),
    frozenset({"rules"}),
    frozenset({"_engine", "_many"}),
    frozenset({"_lint", "_diff", "_compare", "_draft", "_importers", "testing"}),
    frozenset({"_report"}),
    frozenset({"_cli", "__main__", "__init__"}),
)


def _layer(module: str) -> int:
    for index, layer in enumerate(LAYERS):
        if module in layer:
            return index
    raise AssertionError(f"module {module} is in no layer: add it to LAYERS")


def _module_of(path: Path) -> str:
    relative = path.relative_to(SRC)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _is_module(name: str) -> bool:
    return (SRC / f"{name}.py").is_file() or (SRC / name / "__init__.py").is_file()


def _imports(path: Path) -> set[str]:
    """Top-level consentkit modules imported anywhere in the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[0] == "consentkit":
                if len(parts) > 1:
                    found.add(parts[1])
                else:  # a module, or a public name: the package's own face
                    found.update(
                        alias.name if _is_module(alias.name) else "__init__"
                        for alias in node.names
                    )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "consentkit" and len(parts) > 1:
                    found.add(parts[1])
    return found


@pytest.mark.parametrize(
    "path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC))
)
def test_imports_point_one_way(path: Path) -> None:
    """A module imports only from its own layer or the layers below it."""
    module = _module_of(path)
    own = _layer(module)
    for imported in _imports(path):
        assert _layer(imported) <= own, (
            f"{module} imports {imported} from a higher layer"
        )


#: Ways to reach a module by name at run time, which the scan above cannot see.
_BY_NAME = re.compile(r"\bimport_module\b|\b__import__\b|\bsys\.modules\b")


@pytest.mark.parametrize(
    "path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC))
)
def test_no_module_is_reached_by_name(path: Path) -> None:
    """A module imports what it uses; none is looked up by name at run time.

    The package's own `__init__` is the one exception: it sits above every
    layer and loads the public names on first use.
    """
    # The name may be built anywhere (a table of "consentkit._ledger"
    # strings, say), so any lookup at all counts, not only a literal one.
    if path == SRC / "__init__.py":
        return
    found = [
        f"{number}: {line.strip()}"
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if _BY_NAME.search(line)
    ]
    assert not found, f"{_module_of(path)} reaches modules by name: {found}"


def test_records_do_not_import_cattrs() -> None:
    """Record modules never import cattrs, the engine or the command line."""
    for name in ("_catalog", "_terms", "_events", "_plan", "_agreements", "_decision"):
        text = (SRC / f"{name}.py").read_text("utf-8")
        assert "cattrs" not in text, name


def test_the_public_names_load_on_first_use() -> None:
    """`import consentkit` loads neither cattrs nor the engine until a name is used."""
    code = (
        "import sys, consentkit; "
        "assert 'cattrs' not in sys.modules; "
        "assert 'consentkit._engine' not in sys.modules; "
        "consentkit.Engine; assert 'consentkit._engine' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)  # noqa: S603  # our code


def test_every_public_name_resolves_and_is_typed() -> None:
    """Each name in `__all__` resolves; the type checkers' imports list the same."""
    import consentkit  # noqa: PLC0415

    for name in consentkit.__all__:
        assert getattr(consentkit, name) is not None, name
    tree = ast.parse((SRC / "__init__.py").read_text("utf-8"))
    typed = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").startswith("consentkit")
        for alias in node.names
    }
    assert typed == set(consentkit.__all__)
    assert set(consentkit._EXPORTS) == set(consentkit.__all__)
