"""The command line before the scene (SPEC 6.7): compare, draft and import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import consentkit as ck
from consentkit import Preference, Preferences, Rating, Role
from consentkit._cli import main

DATA = Path(__file__).parent / "data" / "kinklist"
VECTOR = (
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaadgdaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaKn6uBqq1uZ+^FHaaaaaaaa"
)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """Two lists, a protocol and a list with an unknown activity."""
    ann = Preferences(
        party="ann",
        entries=(
            Preference(activity="impact.spanking", role=Role.GIVE, rating=Rating.YES),
            Preference(activity="restraint.gag", role=Role.GIVE, rating=Rating.MAYBE),
        ),
    )
    bo = Preferences(
        party="bo",
        entries=(
            Preference(activity="impact", role=Role.RECEIVE, rating=Rating.FAVORITE),
            Preference(activity="restraint.gag", role=Role.RECEIVE, rating=Rating.YES),
            Preference(activity="breath", role=None, rating=Rating.HARD_NO),
        ),
    )
    odd = Preferences(
        party="cy",
        entries=(
            Preference(activity="impact.whip", role=Role.GIVE, rating=Rating.YES),
        ),
    )
    protocol = ck.Protocol(
        signals=(
            ck.Signal(cue="drop", kind="nonverbal", meaning="stop"),
            ck.Signal(cue="red", kind="verbal", meaning="stop"),
        ),
        equipment=frozenset({"safety_shears"}),
    )
    for name, record in (
        ("ann", ann),
        ("bo", bo),
        ("odd", odd),
        ("protocol", protocol),
    ):
        (tmp_path / f"{name}.json").write_text(ck.dumps(record), encoding="utf-8")
    return tmp_path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run the command line in-process."""
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_compare_prints_the_shared_ground_by_category(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`compare A B` prints the matches grouped by category and exits 0."""
    code, out, err = run(
        ["compare", str(files / "ann.json"), str(files / "bo.json")], capsys
    )
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "ann and bo: 7 shared items"
    assert "Impact play (impact)" in lines
    assert (
        "  ASK    Gags: ann gives (maybe), bo receives (yes) [restraint.gag]" in lines
    )
    assert "breath" not in out  # bo's hard no is not revealed by a comparison


def test_compare_writes_a_comparison_document(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--format json` writes the comparison as a document."""
    code, out, _ = run(
        [
            "compare",
            str(files / "bo.json"),
            str(files / "ann.json"),
            "--format",
            "json",
        ],
        capsys,
    )
    assert code == 0
    ann = ck.loads((files / "ann.json").read_text("utf-8"), "preferences")
    bo = ck.loads((files / "bo.json").read_text("utf-8"), "preferences")
    assert ck.loads(out, "comparison") == ck.compare(ann, bo)


def test_compare_refuses_unknown_activities(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown activity is bad input, named, exit 2."""
    code, out, err = run(
        ["compare", str(files / "ann.json"), str(files / "odd.json")], capsys
    )
    assert (code, out) == (2, "")
    assert err == (
        "consentkit compare: activities not in catalog `default` version 1: "
        "`cy`: `impact.whip`\n"
    )


def test_compare_reports_every_bad_file(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Both unreadable files are named, one line each; a wrong kind is refused."""
    code, _, err = run(
        ["compare", str(files / "missing.json"), str(files / "protocol.json")], capsys
    )
    assert code == 2
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("missing.json: no such file or directory")
    assert lines[1].endswith(
        "protocol.json: kind: expected `preferences`, got `protocol`"
    )


def test_draft_writes_terms_that_check(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`draft` writes a terms document: the drafted grants, the hard limits."""
    out_file = files / "terms.json"
    code, out, err = run(
        [
            "draft",
            str(files / "ann.json"),
            str(files / "bo.json"),
            "--start",
            "2026-03-07T19:00:00Z",
            "--end",
            "2026-03-07T22:00:00+00:00",
            "--protocol",
            str(files / "protocol.json"),
            "--out",
            str(out_file),
        ],
        capsys,
    )
    assert (code, out, err) == (0, "", "")
    terms = ck.loads(out_file.read_text("utf-8"), "terms")
    assert [g.id for g in terms.grants] == [
        "ann-gives-impact.spanking",
        "bo-receives-impact.spanking",
        "ann-gives-restraint.gag",
        "bo-receives-restraint.gag",
    ]
    assert [limit.activity for limit in terms.limits] == ["breath"]


def test_draft_refuses_a_window_that_ends_first(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A window ending before it starts is bad input, exit 2, one line."""
    code, out, err = run(
        [
            "draft",
            str(files / "ann.json"),
            str(files / "bo.json"),
            "--start",
            "2026-03-07T19:00:00Z",
            "--end",
            "2026-03-07T18:00:00Z",
            "--protocol",
            str(files / "protocol.json"),
        ],
        capsys,
    )
    assert (code, out) == (2, "")
    assert err == "consentkit draft: end: must be after `start`\n"


def test_draft_needs_two_lists(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One list alone is bad input."""
    code, _, err = run(
        [
            "draft",
            str(files / "ann.json"),
            "--start",
            "2026-03-07T19:00:00Z",
            "--end",
            "2026-03-07T22:00:00Z",
            "--protocol",
            str(files / "protocol.json"),
        ],
        capsys,
    )
    assert code == 2
    assert err == "consentkit draft: draft_terms: needs at least 2 preference lists\n"


def test_import_kinklist_writes_a_list_and_warns_on_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`import kinklist` writes the list; what was lost or needs review is on stderr."""
    path = str(DATA / "kinklist-v1.0.2.txt")
    code, out, err = run(
        ["import", "kinklist", path, "--hash", VECTOR, "--party", "bo"], capsys
    )
    assert code == 0
    imported = ck.loads(out, "preferences")
    expected = ck.read_kinklist(
        (DATA / "kinklist-v1.0.2.txt").read_text("utf-8"), VECTOR, "bo"
    ).preferences
    assert imported.entries == expected.entries
    assert imported.source is not None
    assert imported.source.file == "kinklist-v1.0.2.txt"
    assert imported.source.lossy
    assert len(imported.entries) == 5
    assert err == (
        f"{path}: the share link may have lost ratings: "
        "check every rating against the page\n"
    )


def test_import_kinklist_lists_what_was_unmapped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each rated item without a catalog activity is named on stderr."""
    text = "#Toys\n(Self, Partner)\n* Dildos\n#Pain\n(Giving, Receiving)\n* Caning\n"
    path = tmp_path / "list.txt"
    path.write_text(text, encoding="utf-8")
    code, out, err = run(
        ["import", "kinklist", str(path), "--hash", "aaaaaaaz", "--party", "bo"], capsys
    )
    assert code == 0
    assert f"{path}: unmapped: Toys: Dildos" in err.splitlines()
    assert ck.loads(out, "preferences").entries == ()


def test_import_csv_writes_a_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`import csv` writes the list to --out, naming the file in its source."""
    path = tmp_path / "mine.csv"
    path.write_text("activity,role,rating\nimpact,give,yes\n", encoding="utf-8")
    out_file = tmp_path / "mine.json"
    code, out, err = run(
        ["import", "csv", str(path), "--party", "ann", "--out", str(out_file)], capsys
    )
    assert (code, out, err) == (0, "", "")
    found = ck.loads(out_file.read_text("utf-8"), "preferences")
    assert found.entries == (
        Preference(activity="impact", role=Role.GIVE, rating=Rating.YES),
    )
    assert found.source is not None
    assert found.source.file == "mine.csv"


def test_import_csv_names_every_bad_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each bad row is one line on stderr with the file and line; exit 2."""
    path = tmp_path / "bad.csv"
    path.write_text(
        "activity,role,rating\nimpact,give,yes\nimpact,up,yes\nx,give,maybe-not\n",
        encoding="utf-8",
    )
    code, out, err = run(["import", "csv", str(path), "--party", "ann"], capsys)
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert [line.split(": ")[1] for line in lines] == ["line 3", "line 4"]
    assert all(line.startswith(f"{path}: ") for line in lines)


def test_the_console_script_runs_import_and_compare(tmp_path: Path) -> None:
    """The installed command imports a list and compares it, no traceback."""
    path = tmp_path / "mine.csv"
    path.write_text(
        "activity,role,rating\nimpact.spanking,give,okay\n", encoding="utf-8"
    )
    done = subprocess.run(  # noqa: S603  # this interpreter
        [
            sys.executable,
            "-m",
            "consentkit",
            "import",
            "csv",
            str(path),
            "--party",
            "ann",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (tmp_path / "ann.json").write_text(done.stdout, encoding="utf-8")
    done = subprocess.run(  # noqa: S603  # this interpreter
        [
            sys.executable,
            "-m",
            "consentkit",
            "import",
            "kinklist",
            str(DATA / "kinklist-v1.0.2.txt"),
            "--hash",
            VECTOR,
            "--party",
            "bo",
            "--out",
            str(tmp_path / "bo.json"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    done = subprocess.run(  # noqa: S603  # this interpreter
        [
            sys.executable,
            "-m",
            "consentkit",
            "compare",
            str(tmp_path / "ann.json"),
            str(tmp_path / "bo.json"),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    kinds = {
        m["activity"]: m["kind"] for m in json.loads(done.stdout)["data"]["matches"]
    }
    assert kinds["impact.spanking"] == "mutual"
