"""Sphinx directives that generate reference pages from the code itself.

``consentkit-cli`` documents every command of ``consentkit._cli.parser()``
with its options and exit codes; ``consentkit-codes`` tabulates the rule
codes of `consentkit.rules.CODES`, and ``consentkit-lint-codes`` the lint
codes of ``consentkit._reports.LINT_CODES``.  Commands and codes added later
appear without editing the pages.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.errors import PycodeError
from sphinx.pycode import ModuleAnalyzer
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles


def _rst(lines: list[str]) -> list[str]:
    """RST lines as MyST Markdown, whose parser reads these pages."""
    return ["```{eval-rst}", *lines, "```"]


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # noqa: SLF001  # argparse keeps them there
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> list[str]:
    """One table row (as RST list-table lines) per argument of `parser`."""
    rows: list[str] = []
    for action in parser._actions:  # noqa: SLF001
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            continue
        name = ", ".join(action.option_strings) or (action.metavar or action.dest)
        if action.option_strings and action.nargs != 0:
            name += f" {action.metavar or action.dest.upper()}"
        what = (action.help or "").replace("%(default)s", str(action.default))
        if action.choices and not isinstance(action.choices, dict):
            what += " (one of: " + ", ".join(f"``{c}``" for c in action.choices) + ")"
        if action.required and action.option_strings:
            what += " (required)"
        rows += [f"   * - ``{name}``", f"     - {what or ' '}"]
    return rows


class CliReference(SphinxDirective):
    """Every command of ``consentkit``: usage, options and exit codes."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        """Generate the reference from the parser."""
        from consentkit._cli import parser  # noqa: PLC0415
        from consentkit._cli._common import EXIT_CODES  # noqa: PLC0415

        os.environ["COLUMNS"] = "80"  # argparse wraps help to the terminal
        main = parser()
        lines = [
            "Exit codes",
            "----------",
            "",
            "Every command exits so; ``check`` uses all four.",
            "",
            ".. code-block:: text",
            "",
            *(f"   {line}" for line in EXIT_CODES.splitlines()),
            "",
            "consentkit",
            "----------",
            "",
            ".. code-block:: text",
            "",
            *(f"   {line}" for line in main.format_help().splitlines()),
            "",
        ]
        for name, sub in _subcommands(main).items():
            title = f"consentkit {name}"
            lines += [title, "-" * len(title), ""]
            lines += [sub.description or "", ""]
            lines += [".. list-table::", "   :header-rows: 1", ""]
            lines += ["   * - argument", "     - meaning", *_options(sub), ""]
            lines += [".. code-block:: text", ""]
            lines += [f"   {line}" for line in sub.format_help().splitlines()]
            lines.append("")
        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(
            self.state,
            StringList(_rst(lines), source="consentkit._cli.parser"),
            container,
        )
        return list(container.children)


def _table(
    directive: SphinxDirective,
    header: tuple[str, ...],
    widths: str,
    rows: list[tuple[str, ...]],
    source: str,
) -> list[nodes.Node]:
    """An RST list-table of `rows` under `header`, parsed in `directive`."""
    lines = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
    for row in (header, *rows):
        lines += [f"   * - {row[0]}", *(f"     - {cell}" for cell in row[1:])]
    container = nodes.section()
    container.document = directive.state.document
    nested_parse_with_titles(
        directive.state, StringList(_rst(lines), source=source), container
    )
    return list(container.children)


class CodeTable(SphinxDirective):
    """The rule codes: code, rule name, verdict and what it means."""

    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {}

    def run(self) -> list[nodes.Node]:
        """Generate the table from `consentkit.rules.CODES`."""
        from consentkit.rules import CODES  # noqa: PLC0415

        rows = [
            (
                f"``{code}``",
                f"``{rule}``",
                verdict.name if verdict is not None else "advice",
                meaning,
            )
            for code, (rule, verdict, meaning) in sorted(CODES.items())
        ]
        header = ("code", "rule", "verdict", "meaning")
        return _table(self, header, "10 20 15 55", rows, "consentkit.rules.CODES")


class LintCodeTable(SphinxDirective):
    """The lint codes: code, stable name, severity and when it applies."""

    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {}

    def run(self) -> list[nodes.Node]:
        """Generate the table from ``consentkit._reports.LINT_CODES``."""
        from consentkit._reports import LINT_CODES  # noqa: PLC0415

        rows = [
            (f"``{code}``", f"``{name}``", severity.value, meaning)
            for code, (name, severity, meaning) in sorted(LINT_CODES.items())
        ]
        header = ("code", "name", "severity", "when")
        source = "consentkit._reports.LINT_CODES"
        return _table(self, header, "10 25 10 55", rows, source)


#: The modules documented, in order: a name is documented under the first
#: module that exports it, and listed as an alias under the later ones.
API_MODULES = ("consentkit", "consentkit.rules", "consentkit.testing")


def public_names(module_name: str) -> list[str]:
    """The names `module_name` exports: its ``__all__``, else its public names."""
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    return list(names)


def documented_under(module_name: str, name: str) -> str:
    """The module whose page documents `name` as exported by `module_name`."""
    value = getattr(importlib.import_module(module_name), name)
    for earlier in API_MODULES[: API_MODULES.index(module_name)]:
        module = importlib.import_module(earlier)
        if name in public_names(earlier) and getattr(module, name) is value:
            return earlier
    return module_name


def _data_doc(module_name: str, name: str) -> list[str]:
    """The ``#:`` comment above `name` where the package defines it."""
    package = importlib.import_module(module_name.split(".", maxsplit=1)[0])
    root = Path(package.__file__ or "").parent
    for path in sorted(root.rglob("*.py")):
        if path.name == "__main__.py":  # reading it would run the command line
            continue
        dotted = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        dotted = dotted.removesuffix(".__init__")
        try:
            docs = ModuleAnalyzer.for_module(dotted).find_attr_docs()
        except PycodeError:  # pragma: no cover  # every module has a source
            continue
        found = docs.get(("", name))
        if found:
            return [line for line in found if line.strip()] or [name]
    return [f"A constant of ``{module_name}``."]


class ApiReference(SphinxDirective):
    """Every public name of one module, each documented once."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        """Generate one autodoc directive per public name of the module."""
        module_name = self.arguments[0]
        module = importlib.import_module(module_name)
        lines = [f".. module:: {module_name}", ""]
        aliases = []
        for name in public_names(module_name):
            home = documented_under(module_name, name)
            if home != module_name:
                aliases.append(f":py:obj:`{name} <{home}.{name}>`")
                continue
            value = getattr(module, name)
            if inspect.isclass(value):
                lines += [f".. autoclass:: {module_name}.{name}", "   :members:"]
                if issubclass(value, Exception):
                    lines.append("   :show-inheritance:")
            elif callable(value):
                lines.append(f".. autofunction:: {module_name}.{name}")
            else:
                lines += [f".. py:data:: {name}", f"   :module: {module_name}", ""]
                lines += [f"   {line}" for line in _data_doc(module_name, name)]
            lines.append("")
        if aliases:
            lines += [
                "Also exported here, and documented above: " + ", ".join(aliases) + ".",
                "",
            ]
        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(
            self.state, StringList(_rst(lines), source=module_name), container
        )
        return list(container.children)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the directives."""
    app.add_directive("consentkit-api", ApiReference)
    app.add_directive("consentkit-cli", CliReference)
    app.add_directive("consentkit-codes", CodeTable)
    app.add_directive("consentkit-lint-codes", LintCodeTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
