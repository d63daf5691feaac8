"""Before the scene: `compare` lists, `draft` terms, `import` the lists people keep."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, cast

from consentkit import ConsentkitError
from consentkit._cli._common import (
    EXIT_ALLOW,
    BadInput,
    Commands,
    describe,
    load,
    out,
    read_all,
    subparser,
    time_argument,
)

if TYPE_CHECKING:
    from consentkit import Imported, Preferences, Protocol

__all__ = ["register"]


def _preferences(path: str) -> Preferences:
    return cast("Preferences", load(path, "preferences"))


def _write(text: str, path: str | None) -> None:
    if path is None:
        out(text)
        return
    try:
        with open(path, "w", encoding="utf-8") as file:  # noqa: PTH123  # a plain write
            file.write(text)
    except OSError as error:
        raise BadInput(describe(path, error)) from error


def _compare(args: argparse.Namespace) -> int:
    from consentkit import compare, dumps  # noqa: PLC0415  # keeps start-up fast

    first, second = read_all(lambda: _preferences(args.a), lambda: _preferences(args.b))
    comparison = compare(cast("Preferences", first), cast("Preferences", second))
    out(dumps(comparison) if args.format == "json" else comparison.render())
    return EXIT_ALLOW


def _draft(args: argparse.Namespace) -> int:
    from consentkit import (  # noqa: PLC0415  # keeps start-up fast
        Window,
        draft_terms,
        dumps,
    )

    readers = [lambda path=path: _preferences(path) for path in args.prefs]
    found = read_all(*readers, lambda: load(args.protocol, "protocol"))
    *lists, protocol = found
    window = Window(start=args.start, end=args.end)
    terms = draft_terms(
        [cast("Preferences", item) for item in lists],
        window=window,
        protocol=cast("Protocol", protocol),
    )
    _write(dumps(terms), args.out)
    return EXIT_ALLOW


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8", newline="") as file:  # noqa: PTH123  # a plain read
            return file.read()
    except (OSError, UnicodeDecodeError) as error:
        raise BadInput(describe(path, error)) from error


def _report(imported: Imported, path: str, out_path: str | None) -> int:
    import os  # noqa: PLC0415  # keeps start-up fast

    import attrs  # noqa: PLC0415

    from consentkit import dumps  # noqa: PLC0415
    from consentkit._text import one_line  # noqa: PLC0415

    preferences = imported.preferences
    if preferences.source is not None:
        source = attrs.evolve(preferences.source, file=os.path.basename(path))  # noqa: PTH119  # a name only
        preferences = attrs.evolve(preferences, source=source)
    _write(dumps(preferences), out_path)
    lines = [f"{path}: unmapped: {one_line(item)}" for item in imported.unmapped]
    lines += [
        f"{path}: undirected (choose a role by hand): {one_line(item)}"
        for item in imported.undirected
    ]
    if imported.lossy:
        lines.append(
            f"{path}: the share link may have lost ratings: "
            "check every rating against the page"
        )
    for line in lines:
        sys.stderr.write(line + "\n")
    return EXIT_ALLOW


def _import_csv(args: argparse.Namespace) -> int:
    from consentkit import read_preferences_csv  # noqa: PLC0415  # fast start-up

    text = _read_text(args.file)
    try:
        imported = read_preferences_csv(text, args.party)
    except (ConsentkitError, ValueError) as error:
        raise BadInput(describe(args.file, error)) from error
    return _report(imported, args.file, args.out)


def _import_kinklist(args: argparse.Namespace) -> int:
    from consentkit import read_kinklist  # noqa: PLC0415  # keeps start-up fast

    text = _read_text(args.list)
    try:
        imported = read_kinklist(text, args.hash, args.party)
    except (ConsentkitError, ValueError) as error:
        raise BadInput(describe(args.list, error)) from error
    return _report(imported, args.list, args.out)


def register(commands: Commands) -> None:
    """Add `compare`, `draft` and `import`."""
    compare = subparser(
        commands,
        "compare",
        _compare,
        "show what two preference lists share, and nothing of anyone's no",
        "example:\n  consentkit compare ann.json bo.json",
    )
    compare.add_argument("a", metavar="A", help="a `preferences` document")
    compare.add_argument("b", metavar="B", help="another party's `preferences`")
    compare.add_argument("--format", choices=("text", "json"), default="text")

    draft = subparser(
        commands,
        "draft",
        _draft,
        "draft proposed terms from two or more preference lists",
        "example:\n  consentkit draft ann.json bo.json --start 2026-03-07T19:00:00Z "
        "--end 2026-03-07T22:00:00Z --protocol protocol.json --out terms.json",
    )
    draft.add_argument(
        "prefs", metavar="PREFS", nargs="+", help="`preferences` documents"
    )
    draft.add_argument("--start", type=time_argument, required=True, metavar="T")
    draft.add_argument("--end", type=time_argument, required=True, metavar="T")
    draft.add_argument(
        "--protocol", required=True, metavar="PROTOCOL", help="a `protocol` document"
    )
    draft.add_argument("--out", metavar="FILE", help="write the terms here")

    importer = subparser(
        commands,
        "import",
        _import_csv,
        "import a preference list from a spreadsheet or a KinkList link",
        "examples:\n  consentkit import csv mine.csv --party ann\n"
        "  consentkit import kinklist list.txt --hash HASH --party ann",
    )
    sources = importer.add_subparsers(
        title="sources", dest="source", metavar="SOURCE", required=True
    )
    csv = sources.add_parser(
        "csv",
        help="a CSV file: activity,role,rating,max_intensity,note",
        description="Import a CSV file with the header "
        "activity,role,rating,max_intensity,note.",
    )
    csv.set_defaults(function=_import_csv)
    csv.add_argument("file", metavar="FILE")
    kinklist = sources.add_parser(
        "kinklist",
        help="a KinkList text and the ratings of its share link",
        description="Import a KinkList: its list text and its share link's hash.",
    )
    kinklist.set_defaults(function=_import_kinklist)
    kinklist.add_argument("list", metavar="LIST", help="the list's text file")
    kinklist.add_argument("--hash", required=True, metavar="H", help="the share link")
    for parser in (csv, kinklist):
        parser.add_argument("--party", required=True, metavar="P", help="whose list")
        parser.add_argument("--out", metavar="FILE", help="write the list here")
