"""The documentation site builds with warnings as errors and documents every name."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sphinx.util.inventory import InventoryFile

import consentkit
import consentkit.rules
import consentkit.testing
from consentkit._cli import parser
from consentkit._reports import LINT_CODES

DOCS = Path(__file__).resolve().parent.parent / "docs"
MODULES = (consentkit, consentkit.rules, consentkit.testing)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once with ``-W`` into a temporary directory."""
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run(  # noqa: S603  # our own build
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(DOCS), str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out


def _documented(site: Path) -> set[str]:
    with (site / "objects.inv").open("rb") as file:
        inventory = InventoryFile.load(file, "", lambda _base, uri: uri)
    return {
        name
        for kind, entries in inventory.items()
        if kind.startswith("py:")
        for name in entries
    }


def _public(module: object) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    return list(names)


def test_the_reference_documents_every_public_name(site: Path) -> None:
    """Each public name of the three modules is documented once in the reference."""
    documented = _documented(site)
    missing = []
    for module in MODULES:
        for name in _public(module):
            if f"{module.__name__}.{name}" in documented:
                continue
            # A name exported by two modules is documented under the first.
            value = getattr(module, name)
            if any(
                name in _public(other)
                and getattr(other, name) is value
                and f"{other.__name__}.{name}" in documented
                for other in MODULES
            ):
                continue
            missing.append(f"{module.__name__}.{name}")
    assert missing == []
    assert len(_public(consentkit.testing)) > 10


def test_the_cli_reference_lists_every_command_and_option(site: Path) -> None:
    """Each command, each of its options and each exit code is on the CLI page."""
    page = (site / "reference" / "cli.html").read_text("utf-8")
    text = re.sub(r"<[^>]+>", "", page).replace("&#8212;", "--")
    main = parser()
    commands = next(
        action.choices
        for action in main._actions
        if isinstance(action, argparse._SubParsersAction)
    )
    assert len(commands) >= 6
    for name, sub in commands.items():
        assert f"consentkit {name}" in text
        for action in sub._actions:
            for option in action.option_strings:
                assert option in text, (name, option)
    for line in ("0  ALLOW", "1  DENY", "2  bad input", "3  RENEGOTIATE"):
        assert line in text


def test_the_code_table_lists_every_code(site: Path) -> None:
    """Each rule code appears in the generated code table."""
    page = (site / "reference" / "codes.html").read_text("utf-8")
    for code in consentkit.rules.CODES:
        assert code in page


def test_each_example_report_is_shown(site: Path) -> None:
    """The examples page shows a screenshot of each example's report."""
    page = (site / "examples.html").read_text("utf-8")
    examples = DOCS.parent / "examples"
    for plan in examples.glob("*/plan.json"):
        name = plan.parent.name
        assert f"_images/{name}.png" in page
        assert (site / "_images" / f"{name}.png").exists() or (
            site / "_static" / "reports" / f"{name}.png"
        ).exists()


def test_the_lint_code_table_lists_every_lint_code(site: Path) -> None:
    """Each lint code, with its name and severity, is in the generated table."""
    page = (site / "reference" / "codes.html").read_text("utf-8")
    text = re.sub(r"<[^>]+>", "", page)
    assert len(LINT_CODES) >= 15
    for code, (name, severity, _) in LINT_CODES.items():
        row = re.search(rf"{code}\s+{re.escape(name)}\s+{severity.value}\s", text)
        assert row is not None, code
