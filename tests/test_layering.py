"""The dependencies point one way, in the layers DEVELOPERS.md lists."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
SRC = ROOT / "src" / "consentkit"
DEVELOPERS = ROOT / "DEVELOPERS.md"


def _layers_of(page: str) -> tuple[frozenset[str], ...]:
    """The numbered list of the page's Layers section: each line's `module`s."""
    section = page.split("\n## Layers\n", 1)[1].split("\n## ", 1)[0]
    return tuple(
        frozenset(re.findall(r"`(\w+)`", line))
        for line in section.splitlines()
        if re.match(r"[0-9]+\. ", line)
    )


#: Each layer may import only from itself and the layers before it.
LAYERS = _layers_of(DEVELOPERS.read_text("utf-8"))
CODEC = frozenset({"_canonical", "_serialize", "_migrations"})
TOOLS = frozenset({"_lint", "_diff", "_compare", "_draft", "_importers"})
#: What decides: the negotiation tools import none of it.
DECIDERS = frozenset({"_engine", "_many", "rules"})
CLI = frozenset({"_cli"})
ENTRY_POINTS = frozenset({"__main__", "__init__"})
#: The private helpers the command line may import: its own, not public.
CLI_OWN = frozenset(
    {
        ("_documents", "kind_of"),  # names a document's kind in messages
        ("_serialize", "parse_time"),  # reads --at as documents read times
        ("_time", "format_time"),  # writes times as documents write them
        ("_terms", "describe_condition"),  # `envelope` says what a grant needs
        ("_text", "one_line"),  # shows what people typed on one line
        ("_validate", "party_problem"),  # checks --party as records check it
    }
)
PATHS = sorted(SRC.rglob("*.py"))


def _layer(module: str) -> int:
    for index, layer in enumerate(LAYERS):
        if module in layer:
            return index
    raise AssertionError(f"module {module} is in no layer: add it to DEVELOPERS.md")


def _module_of(path: Path) -> str:
    relative = path.relative_to(SRC)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _is_module(name: str) -> bool:
    return (SRC / f"{name}.py").is_file() or (SRC / name / "__init__.py").is_file()


def _imports(path: Path) -> set[str]:
    """Top-level consentkit modules imported anywhere in the file.

    A name imported from `consentkit` itself, not a module, counts as
    importing `__init__`, the public face.
    """
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[0] == "consentkit":
                if len(parts) > 1:
                    found.add(parts[1])
                else:
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


def _private_names(path: Path, own: str) -> set[tuple[str, str]]:
    """Each (private module, name) the file imports from outside its package `own`.

    A private module imported whole counts as importing its every name, ``*``.
    """
    found: set[tuple[str, str]] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts[0] != "consentkit":
                continue
            if len(parts) > 1:
                found.update((parts[1], alias.name) for alias in node.names)
            else:  # modules only: `__version__` is a public name
                found.update(
                    (alias.name, "*") for alias in node.names if _is_module(alias.name)
                )
        elif isinstance(node, ast.Import):
            found.update(
                (alias.name.split(".")[1], "*")
                for alias in node.names
                if alias.name.startswith("consentkit.")
            )
    return {
        (module, name)
        for module, name in found
        if module.startswith("_") and module != own
    }


def _upward(module: str, imported: Iterable[str]) -> list[str]:
    """The imports of `module` from a layer above its own."""
    own = _layer(module)
    return [
        f"{module} imports {name} from a higher layer"
        for name in sorted(imported)
        if _layer(name) > own
    ]


def _among(module: str, imported: Iterable[str], banned: frozenset[str]) -> list[str]:
    """The imports of `module` that are in `banned`."""
    return [f"{module} imports {name}" for name in sorted(set(imported) & banned)]


def _ids(path: Path) -> str:
    return str(path.relative_to(SRC))


def test_the_layers_name_each_module_once() -> None:
    """DEVELOPERS.md lists layers of modules that exist, each module in one layer."""
    assert len(LAYERS) > 10
    named = [name for layer in LAYERS for name in layer]
    assert len(named) == len(set(named))
    for name in named:
        assert name == "__init__" or _is_module(name), name


@pytest.mark.parametrize("path", PATHS, ids=_ids)
def test_imports_point_one_way(path: Path) -> None:
    """A module imports only from its own layer or the layers below it."""
    assert _upward(_module_of(path), _imports(path)) == []


@pytest.mark.parametrize("path", sorted((SRC / "rules").glob("*.py")), ids=_ids)
def test_the_rules_do_not_import_the_codec(path: Path) -> None:
    """The rules read records and the history's facts, never their JSON."""
    assert _among("rules", _imports(path), CODEC) == []


@pytest.mark.parametrize("path", PATHS, ids=_ids)
def test_only_the_entry_points_import_the_cli(path: Path) -> None:
    """Nothing imports the command line but `__main__` and the package's face."""
    module = _module_of(path)
    if module not in {"_cli", *ENTRY_POINTS}:
        assert _among(module, _imports(path), CLI) == []


@pytest.mark.parametrize(
    "path", [SRC / f"{name}.py" for name in sorted(TOOLS)], ids=_ids
)
def test_the_negotiation_tools_decide_nothing(path: Path) -> None:
    """Lint, diff, compare, draft and the importers use neither engine nor rules."""
    assert _among(_module_of(path), _imports(path), DECIDERS) == []


@pytest.mark.parametrize("path", sorted((SRC / "_cli").glob("*.py")), ids=_ids)
def test_the_cli_imports_the_public_face(path: Path) -> None:
    """The command line imports public names; private ones only for its own helpers."""
    assert _private_names(path, "_cli") - CLI_OWN == set()


def test_each_check_catches_a_bad_import(tmp_path: Path) -> None:
    """Given a file that breaks it, each check above reports it."""
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from consentkit import Ledger, _validate\n"
        "from consentkit._engine import check\n"
        "from consentkit._serialize import digest\n"
        "from consentkit._cli import main\n"
        "import consentkit.rules\n"
        "from consentkit._text import one_line\n",
        encoding="utf-8",
    )
    imported = _imports(bad)
    assert imported == {
        "__init__",
        "_validate",
        "_engine",
        "_serialize",
        "_cli",
        "rules",
        "_text",
    }
    assert _upward("_terms", imported) == [
        f"_terms imports {name} from a higher layer"
        for name in ("__init__", "_cli", "_engine", "_serialize", "rules")
    ]
    assert _upward("_cli", imported) == []
    assert _among("rules", imported, CODEC) == ["rules imports _serialize"]
    assert _among("_report", imported, CLI) == ["_report imports _cli"]
    assert _among("_lint", imported, DECIDERS) == [
        "_lint imports _engine",
        "_lint imports rules",
    ]
    assert _private_names(bad, "_cli") - CLI_OWN == {
        ("_validate", "*"),
        ("_engine", "check"),
        ("_serialize", "digest"),
    }
    assert _private_names(bad, "_report") >= {("_cli", "main")}


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
    """The modules of the two lowest layers, the records, never import cattrs."""
    for name in sorted(LAYERS[0] | LAYERS[1]):
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
