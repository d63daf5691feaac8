"""`consentkit lint` and `consentkit diff` (SPEC 6.7): output, exit codes, bad input."""

from __future__ import annotations

import json
import subprocess
import sysconfig
from pathlib import Path

import attrs
import pytest

import consentkit
from consentkit._cli import main
from helpers import CLIENT, RED, at, hard, protocol, receives
from test_lint import CASES, clean

SCRIPT = Path(sysconfig.get_path("scripts")) / "consentkit"


def run(
    capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, list[str], list[str]]:
    """Run `main` in this process: exit code, stdout lines, stderr lines."""
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err.splitlines()


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory holding clean, gagged and counter terms, and a ledger."""
    monkeypatch.chdir(tmp_path)
    gagged = CASES["CK406"][0][0]
    (tmp_path / "clean.json").write_text(consentkit.dumps(clean()))
    (tmp_path / "gag.json").write_text(consentkit.dumps(gagged))
    info = CASES["CK410"][0][0]
    (tmp_path / "info.json").write_text(consentkit.dumps(info))
    ledger = consentkit.Ledger().declare_limit(
        by=CLIENT, limit=hard("impact"), at=at(-60)
    )
    (tmp_path / "ledger.json").write_text(consentkit.dumps(ledger))
    wider = attrs.evolve(clean(), grants=(*clean().grants, receives("impact.flogging")))
    (tmp_path / "wider.json").write_text(consentkit.dumps(wider))
    return tmp_path


def test_lint_clean_terms_exit_0(
    files: Path,  # the working directory
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Clean terms print a count and exit 0."""
    assert run(capsys, "lint", "clean.json") == (
        0,
        ["clean.json: 0 errors, 0 warnings, 0 notes"],
        [],
    )


def test_lint_reads_like_a_compiler(
    files: Path,  # the working directory
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`file: path: code rule: message`, the hint beneath, and exit 1 on an error."""
    code, out, err = run(capsys, "lint", "gag.json")
    assert code == 1
    assert err == []
    assert out[0].startswith(
        "gag.json: grants[0]: CK406 no-usable-stop-signal: client could not signal"
    )
    assert out[1].startswith("  hint: add a non-verbal STOP signal")
    assert out[-1] == "gag.json: 1 error, 0 warnings, 0 notes"


@pytest.mark.parametrize(
    ("level", "expected"), [("error", 0), ("warning", 0), ("info", 1)]
)
def test_lint_fail_level(
    files: Path,  # the working directory
    capsys: pytest.CaptureFixture[str],
    level: str,
    expected: int,
) -> None:
    """An INFO finding fails only at `--fail-level info`."""
    assert run(capsys, "lint", "info.json", "--fail-level", level)[0] == expected


def test_lint_with_a_ledger_counts_standing_limits(
    files: Path,  # the working directory
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--ledger` makes a standing hard limit kill a grant (a warning)."""
    code, out, _ = run(
        capsys,
        "lint",
        "clean.json",
        "--ledger",
        "ledger.json",
        "--fail-level",
        "warning",
    )
    assert code == 1
    assert out[0].startswith("clean.json: grants[0]: CK402 dead-grant:")


def test_lint_json_is_a_lint_document(
    files: Path,  # the working directory
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--format json` writes a `lint` document that reads back."""
    code, out, _ = run(capsys, "lint", "gag.json", "--format", "json")
    assert code == 1
    report = consentkit.loads("\n".join(out), "lint")
    assert [f.code for f in report] == ["CK406"]


def test_lint_bad_input_is_exit_2_one_line_each(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Missing files and a wrong kind are reported together, without a traceback."""
    (files / "ledger-as-terms.json").write_text((files / "ledger.json").read_text())
    code, out, err = run(capsys, "lint", "nope.json", "--ledger", "missing.json")
    assert (code, out) == (2, [])
    assert err == [
        "nope.json: no such file or directory",
        "missing.json: no such file or directory",
    ]
    code, _, err = run(capsys, "lint", "ledger-as-terms.json")
    assert code == 2
    assert err == [
        "ledger-as-terms.json: kind: expected `terms` or `preferences`, got `ledger`"
    ]


def test_diff_text_and_exit_codes(
    files: Path,  # the working directory
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The diff says what it asks of a party; `--fail-on-widen` exits 1."""
    code, out, _ = run(capsys, "diff", "clean.json", "wider.json", "--party", CLIENT)
    assert code == 0
    assert out[0] == "what this counter asks of client:"
    assert out[1].startswith("  widens   grants[2]: grant `client-receive-impact.")
    assert run(capsys, "diff", "clean.json", "wider.json", "--fail-on-widen")[0] == 1
    assert run(capsys, "diff", "wider.json", "clean.json", "--fail-on-widen")[0] == 0
    assert (
        run(
            capsys,
            "diff",
            "clean.json",
            "wider.json",
            "--party",
            "mistress",
            "--fail-on-widen",
        )[0]
        == 0
    )


def test_diff_json_is_a_terms_diff_document(
    files: Path,  # the working directory
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--format json` writes a `terms_diff` document."""
    code, out, _ = run(capsys, "diff", "clean.json", "wider.json", "--format", "json")
    assert code == 0
    document = json.loads("\n".join(out))
    assert document["kind"] == "terms_diff"
    assert document["data"]["changes"][0]["effect"] == "widens"


def test_diff_bad_input(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file that is not terms, or a party of neither terms, is exit 2."""
    code, out, err = run(capsys, "diff", "clean.json", "wider.json", "--party", "ann")
    assert (code, out, err) == (2, [], ["--party: `ann` is a party of neither terms"])
    (files / "broken.json").write_text("{")
    code, _, err = run(capsys, "diff", "broken.json", "clean.json")
    assert code == 2
    assert err[0].startswith("broken.json: not valid JSON")


def test_record_text_is_escaped_in_the_text_output(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file name with a line break cannot print a line that looks like another."""
    gagged = attrs.evolve(CASES["CK406"][0][0], protocol=protocol(signals=(RED,)))
    name = "odd\nname.json"
    (files / name).write_text(consentkit.dumps(gagged))
    _, out, _ = run(capsys, "lint", name)
    assert out[0].startswith("odd\\nname.json: grants[0]: CK406")


def test_the_console_script_runs_lint(files: Path) -> None:
    """The installed `consentkit lint` runs and exits as `main` does."""
    done = subprocess.run(  # noqa: S603  # our own console script
        [str(SCRIPT), "lint", "gag.json"],
        cwd=files,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "CK406" in done.stdout
