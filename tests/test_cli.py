"""The command line (SPEC 5): every subcommand, every example, every kind of bad input.

Each case runs twice: through the installed ``consentkit`` console script as
a subprocess (what people and CI run), and in-process through `main` (for
coverage).  Bad input files are written to a temporary directory, which is
the working directory of both runs.
"""

from __future__ import annotations

import ast
import json
import runpy
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import attrs
import pytest

import consentkit
from consentkit._cli import describe, main
from consentkit._documents import KINDS
from consentkit._ledger import chain_digest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NAMES = sorted(path.parent.name for path in EXAMPLES.glob("*/plan.json"))
SCRIPT = Path(sysconfig.get_path("scripts")) / "consentkit"
SUBCOMMANDS = (
    "check",
    "validate",
    "schema",
    "catalog",
    "envelope",
    "verify",
    "lint",
    "diff",
    "report",
)
EXIT = {"allow": 0, "deny": 1, "renegotiate": 3}


def ex(name: str, file: str) -> str:
    """The absolute path of an example's file."""
    return str(EXAMPLES / name / file)


FIRST_PLAN = ex("first-session", "plan.json")
FIRST_LEDGER = ex("first-session", "ledger.json")


class Result(NamedTuple):
    """What a run printed and how it exited."""

    code: int
    out: str
    err: str


class Case(NamedTuple):
    """A command line, its exit code, and line prefixes expected on each stream."""

    id: str
    args: tuple[str, ...]
    code: int
    out: tuple[str, ...] = ()
    err: tuple[str, ...] = ()


# -- the bad input files ---------------------------------------------------


def _write_bad_files(directory: Path) -> None:
    (directory / "truncated.json").write_text('{"format": "consentkit", "version": 1')
    (directory / "binary.json").write_bytes(b'\xff\xfe{"format": 1}')
    (directory / "unknown-kind.json").write_text(
        '{"format": "consentkit", "version": 1, "kind": "recipe", "data": {}}'
    )
    plan = json.loads(Path(FIRST_PLAN).read_text("utf-8"))
    step = plan["data"]["steps"][0]
    step.update(intensity=12, at="2026-03-06T19:05:00", activity="Impact", extra=1)
    (directory / "bad-plan.json").write_text(json.dumps(plan))
    plan = json.loads(Path(FIRST_PLAN).read_text("utf-8"))
    plan["data"]["steps"][0]["recipient"] = "mistress"
    (directory / "same-party.json").write_text(json.dumps(plan))
    plan = json.loads(Path(FIRST_PLAN).read_text("utf-8"))
    (directory / "step.json").write_text(
        json.dumps({**plan, "kind": "step", "data": plan["data"]["steps"][4]})
    )
    ledger = json.loads(Path(FIRST_LEDGER).read_text("utf-8"))
    ledger["data"]["entries"][1]["event"]["limit"]["note"] = "no note"
    (directory / "tampered.json").write_text(json.dumps(ledger))
    # A chain that holds, with an acceptance by someone not party to the terms.
    ledger = json.loads(Path(ex("signals", "ledger.json")).read_text("utf-8"))
    entries = ledger["data"]["entries"]
    entries[1]["event"]["by"] = "guest"
    prev = None
    for entry in entries:
        entry["prev"] = prev
        entry["digest"] = prev = chain_digest(prev, entry["event"])
    (directory / "rule-broken.json").write_text(json.dumps(ledger))


@pytest.fixture(scope="module")
def bad_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding one file per kind of bad input, and a step document."""
    directory = tmp_path_factory.mktemp("inputs")
    _write_bad_files(directory)
    return directory


# -- running ---------------------------------------------------------------


def run_script(args: tuple[str, ...], cwd: Path) -> Result:
    """Run the installed console script."""
    done = subprocess.run(  # noqa: S603  # our own console script
        [str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    return Result(done.returncode, done.stdout, done.stderr)


def run_main(
    args: tuple[str, ...],
    cwd: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Result:
    """Call `main` in this process."""
    monkeypatch.chdir(cwd)
    code = main(list(args))
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def assert_result(case: Case, result: Result) -> None:
    """The exit code, the expected lines, no traceback, and quiet streams."""
    assert result.code == case.code, result
    out_lines = result.out.splitlines()
    err_lines = result.err.splitlines()
    for prefix in case.out:
        assert any(line.startswith(prefix) for line in out_lines), (prefix, result)
    for prefix in case.err:
        assert any(line.startswith(prefix) for line in err_lines), (prefix, result)
    assert "Traceback" not in result.err
    if case.code != 2:
        assert result.err == ""
    elif case.args[:1] != ("validate",):
        assert result.out == ""


# -- the cases -------------------------------------------------------------


def _example_cases() -> Iterator[Case]:
    for name in NAMES:
        expected = json.loads((EXAMPLES / name / "expected.json").read_text("utf-8"))
        out = [f"plan: {expected['verdict'].upper()}"]
        for index, step in enumerate(expected["steps"], start=1):
            out.append(f"step {index}: {step['verdict'].upper()}: ")
            out.extend(f"  {code} " for code in step["codes"])
        out.extend(f"advice: {code} " for code in expected["advice"])
        yield Case(
            f"check-{name}",
            ("check", ex(name, "plan.json"), "--ledger", ex(name, "ledger.json")),
            EXIT[expected["verdict"]],
            tuple(out),
        )
        yield Case(
            f"verify-{name}",
            ("verify", ex(name, "ledger.json")),
            0,
            (f"{ex(name, 'ledger.json')}: chain intact, ",),
        )


GOOD = (
    *_example_cases(),
    Case(
        "validate-examples",
        (
            "validate",
            *(ex(n, "ledger.json") for n in NAMES),
            *(ex(n, "plan.json") for n in NAMES),
            "step.json",
        ),
        0,
        (
            *(f"{ex(n, 'ledger.json')}: valid ledger" for n in NAMES),
            *(f"{ex(n, 'plan.json')}: valid plan" for n in NAMES),
            "step.json: valid step",
        ),
    ),
    Case(
        "check-step",
        ("check", "step.json", "--ledger", FIRST_LEDGER),
        0,
        (
            "plan: ALLOW",
            (
                "step 1: ALLOW: mistress -> client: impact.spanking.hand at "
                "intensity 3, 2026-03-06T20:05:00Z"
            ),
        ),
    ),
    Case(
        "check-step-at",
        (
            "check",
            "step.json",
            "--ledger",
            FIRST_LEDGER,
            "--at",
            "2026-03-06T23:30:00+01:00",
        ),
        1,
        ("plan: DENY", "step 1: DENY: ", "  CK103 no-agreement: "),
    ),
    Case(
        "catalog",
        ("catalog",),
        0,
        (
            "catalog `default` version 1: 95 of 95 activities",
            "impact.caning ",
            "verbal.praise ",
        ),
    ),
    Case(
        "catalog-tag",
        ("catalog", "--tag", "impairs_speech"),
        0,
        (
            "catalog `default` version 1: 6 of 95 activities tagged `impairs_speech`",
            "restraint.gag.cloth ",
        ),
    ),
    Case(
        "envelope",
        (
            "envelope",
            "--ledger",
            FIRST_LEDGER,
            "--actor",
            "mistress",
            "--recipient",
            "client",
            "--at",
            "2026-03-06T19:30:00Z",
        ),
        0,
        (
            "mistress -> client at 2026-03-06T19:30:00Z: 7 activities allowed",
            "impact.spanking.paddle   up to intensity 4",
            "verbal.commands          no cap",
        ),
    ),
    Case(
        "envelope-nothing",
        (
            "envelope",
            "--ledger",
            FIRST_LEDGER,
            "--actor",
            "client",
            "--recipient",
            "mistress",
            "--at",
            "2026-03-06T19:30:00Z",
        ),
        0,
        ("client -> mistress at 2026-03-06T19:30:00Z: nothing is allowed",),
    ),
    Case(
        "envelope-now",
        (
            "envelope",
            "--ledger",
            FIRST_LEDGER,
            "--actor",
            "mistress",
            "--recipient",
            "client",
        ),
        0,
        ("mistress -> client at ",),
    ),
    Case("schema", ("schema", "plan"), 0, ("{", '  "title": "consentkit plan')),
    Case(
        "help",
        ("--help",),
        0,
        ("usage: consentkit ", *(f"    {c} " for c in SUBCOMMANDS)),
    ),
    *(
        Case(f"help-{c}", (c, "--help"), 0, (f"usage: consentkit {c} ", "example"))
        for c in SUBCOMMANDS
    ),
)

BAD = (
    Case(
        "missing-file",
        ("check", "nope.json", "--ledger", FIRST_LEDGER),
        2,
        err=("nope.json: no such file or directory",),
    ),
    Case(
        "missing-ledger",
        ("verify", "nope.json"),
        2,
        err=("nope.json: no such file or directory",),
    ),
    Case(
        "both-files-bad",
        ("check", "truncated.json", "--ledger", "nope.json"),
        2,
        err=("truncated.json: ", "nope.json: no such file or directory"),
    ),
    Case("directory", ("verify", "."), 2, err=(".: is a directory",)),
    Case(
        "unreadable-json",
        ("check", "truncated.json", "--ledger", FIRST_LEDGER),
        2,
        err=("truncated.json: not valid JSON",),
    ),
    Case(
        "not-utf8",
        ("check", "binary.json", "--ledger", FIRST_LEDGER),
        2,
        err=("binary.json: ",),
    ),
    Case(
        "schema-errors",
        ("check", "bad-plan.json", "--ledger", FIRST_LEDGER),
        2,
        err=(
            "bad-plan.json: data.steps[0].activity: ",
            "bad-plan.json: data.steps[0].intensity: ",
            "bad-plan.json: data.steps[0].at: ",
            "bad-plan.json: data.steps[0].extra: ",
        ),
    ),
    Case(
        "semantic-error",
        ("check", "same-party.json", "--ledger", FIRST_LEDGER),
        2,
        err=("same-party.json: data.steps[0].recipient: must differ from the actor",),
    ),
    Case(
        "ledger-rule",
        ("verify", "rule-broken.json"),
        2,
        err=("rule-broken.json: data.entries[1]: ",),
    ),
    Case(
        "tampered-verify",
        ("verify", "tampered.json"),
        2,
        err=("tampered.json: tampered ledger: data.entries[1]: ",),
    ),
    Case(
        "tampered-check",
        ("check", FIRST_PLAN, "--ledger", "tampered.json"),
        2,
        err=("tampered.json: tampered ledger: data.entries[1]: ",),
    ),
    Case(
        "unknown-kind",
        ("validate", "unknown-kind.json"),
        2,
        err=("unknown-kind.json: kind: ",),
    ),
    Case(
        "unknown-schema-kind",
        ("schema", "recipe"),
        2,
        err=("consentkit schema: unknown kind `recipe`",),
    ),
    Case(
        "ledger-as-plan",
        ("check", FIRST_LEDGER, "--ledger", FIRST_LEDGER),
        2,
        err=(f"{FIRST_LEDGER}: kind: must be `plan` or `step`, got `ledger`",),
    ),
    Case(
        "plan-as-ledger",
        ("check", FIRST_PLAN, "--ledger", FIRST_PLAN),
        2,
        err=(f"{FIRST_PLAN}: kind: ",),
    ),
    Case(
        "at-on-a-plan",
        ("check", FIRST_PLAN, "--ledger", FIRST_LEDGER, "--at", "2026-03-06T20:00:00Z"),
        2,
        err=(f"{FIRST_PLAN}: --at re-times a single `step` document",),
    ),
    Case(
        "bad-at",
        ("check", "step.json", "--ledger", FIRST_LEDGER, "--at", "2026-03-06T20:00:00"),
        2,
        err=("usage: consentkit check ", "consentkit check: error: argument --at: "),
    ),
    Case(
        "unknown-tag",
        ("catalog", "--tag", "sparkly"),
        2,
        err=(
            "consentkit catalog: --tag: no activity of the catalog carries `sparkly`",
        ),
    ),
    Case(
        "validate-every-problem",
        ("validate", FIRST_LEDGER, "bad-plan.json", "tampered.json", "nope.json"),
        2,
        out=(f"{FIRST_LEDGER}: valid ledger",),
        err=(
            "bad-plan.json: data.steps[0].activity: ",
            "bad-plan.json: data.steps[0].intensity: ",
            "tampered.json: tampered ledger: ",
            "nope.json: no such file or directory",
        ),
    ),
    Case(
        "no-command",
        (),
        2,
        err=(
            "usage: consentkit ",
            "consentkit: error: the following arguments are required",
        ),
    ),
    Case(
        "no-ledger",
        ("check", FIRST_PLAN),
        2,
        err=("consentkit check: error: one of the arguments --ledger --store is",),
    ),
)

CASES = (*GOOD, *BAD)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_installed_script(case: Case, bad_dir: Path) -> None:
    """The console script exits with the right code and prints the key lines."""
    assert_result(case, run_script(case.args, bad_dir))


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_main_in_process(
    case: Case,
    bad_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`main` returns the same code and prints the same lines in-process."""
    assert_result(case, run_main(case.args, bad_dir, capsys, monkeypatch))


def test_bad_input_cases_cover_each_error_kind() -> None:
    """Missing, unreadable, invalid, tampered, unknown and wrong kinds are tested."""
    ids = {case.id for case in BAD}
    assert {
        "missing-file",
        "unreadable-json",
        "schema-errors",
        "semantic-error",
        "tampered-verify",
        "unknown-kind",
        "unknown-schema-kind",
        "ledger-as-plan",
        "plan-as-ledger",
    } <= ids


@pytest.mark.parametrize("name", NAMES)
def test_json_output_round_trips(name: str, bad_dir: Path) -> None:
    """``--format json`` prints a plan_decision equal to the engine's decision."""
    args = ("check", ex(name, "plan.json"), "--ledger", ex(name, "ledger.json"))
    result = run_script((*args, "--format", "json"), bad_dir)
    expected = json.loads((EXAMPLES / name / "expected.json").read_text("utf-8"))
    assert result.code == EXIT[expected["verdict"]]
    assert result.err == ""
    decision = consentkit.loads(result.out, kind="plan_decision")
    ledger = consentkit.loads(Path(ex(name, "ledger.json")).read_bytes(), kind="ledger")
    plan = consentkit.loads(Path(ex(name, "plan.json")).read_bytes(), kind="plan")
    assert decision == consentkit.check_plan(plan, ledger)
    assert result.out == consentkit.dumps(decision)


def test_text_output_is_the_explanation(bad_dir: Path) -> None:
    """The text output is `PlanDecision.explain()`, line for line."""
    name = "partial-revocation"
    args = ("check", ex(name, "plan.json"), "--ledger", ex(name, "ledger.json"))
    ledger = consentkit.loads(Path(ex(name, "ledger.json")).read_bytes(), kind="ledger")
    plan = consentkit.loads(Path(ex(name, "plan.json")).read_bytes(), kind="plan")
    explained = consentkit.check_plan(plan, ledger).explain() + "\n"
    assert run_script(args, bad_dir).out == explained


def test_verify_prints_the_head(bad_dir: Path) -> None:
    """`verify` prints the entry count and the head digest of the ledger."""
    ledger = consentkit.loads(Path(FIRST_LEDGER).read_bytes(), kind="ledger")
    result = run_script(("verify", FIRST_LEDGER), bad_dir)
    assert result.out == (
        f"{FIRST_LEDGER}: chain intact, {len(ledger)} entries, head {ledger.head}\n"
    )


@pytest.mark.parametrize("kind", list(KINDS))
def test_schema_prints_each_kind(kind: str, bad_dir: Path) -> None:
    """`schema KIND` prints the shipped JSON Schema of every document kind."""
    result = run_script(("schema", kind), bad_dir)
    assert result.code == 0
    assert json.loads(result.out) == consentkit.json_schema(kind)


def test_schema_help_names_every_kind(capsys: pytest.CaptureFixture[str]) -> None:
    """`schema --help` lists every document kind there is."""
    assert main(["schema", "--help"]) == 0
    text = capsys.readouterr().out
    for kind in KINDS:
        assert kind in text


def test_python_dash_m(bad_dir: Path) -> None:
    """``python -m consentkit`` runs the same command line and exits with its code."""
    name = "partial-revocation"
    done = subprocess.run(  # noqa: S603  # this interpreter
        [
            sys.executable,
            "-m",
            "consentkit",
            "check",
            ex(name, "plan.json"),
            "--ledger",
            ex(name, "ledger.json"),
        ],
        cwd=bad_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout.startswith("plan: DENY\n")


def test_main_reads_sys_argv(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without arguments, `main` reads the process's command line."""
    monkeypatch.setattr(sys, "argv", ["consentkit", "catalog", "--tag", "electrical"])
    assert main() == 0
    assert "sensation.electro.tens" in capsys.readouterr().out


def test_other_errors_are_reported_without_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An error raised inside a command is one line on stderr and exit 2."""

    def broken(*_: Any) -> Any:
        raise consentkit.LedgerError("unknown-proposal", "no proposal `p9`")

    monkeypatch.setattr(consentkit, "default_catalog", broken)
    assert main(["catalog"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "consentkit catalog: no proposal `p9`\n"
    assert captured.out == ""


def test_cli_module_imports_lazily() -> None:
    """At module level the CLI imports only the standard library, errors and itself."""
    for path in (ROOT / "src" / "consentkit" / "_cli").glob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        imported: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module == "consentkit":
                # A public name loads its module on first use: errors only.
                imported.update(consentkit._EXPORTS[a.name] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module)
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
        outside = {
            m
            for m in imported
            if m.startswith("consentkit") and not m.startswith("consentkit._cli")
        }
        assert outside <= {"consentkit._errors"}, path.name


def test_python_dash_m_in_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The ``__main__`` module exits with the code `main` returns."""
    monkeypatch.setattr(sys, "argv", ["consentkit", "verify", "nope.json"])
    with pytest.raises(SystemExit) as exit_:
        runpy.run_module("consentkit", run_name="__main__")
    assert exit_.value.code == 2
    assert capsys.readouterr().err == "nope.json: no such file or directory\n"


def test_envelope_lists_conditions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`envelope` names the conditions later steps must still meet."""
    start = consentkit.loads(Path(FIRST_LEDGER).read_bytes(), kind="ledger")
    terms = start.agreements()[0].terms
    grants = [
        attrs.evolve(grant, conditions=(consentkit.MaxDuration(minutes=20),))
        if grant.activity == "verbal.commands"
        else grant
        for grant in terms.grants
    ]
    when = terms.window.start
    ledger = consentkit.Ledger().propose(
        by="mistress",
        terms=attrs.evolve(terms, grants=grants),
        at=when,
        proposal_id="p1",
    )
    ledger = ledger.accept(by="mistress", proposal_id="p1", at=when)
    ledger = ledger.accept(by="client", proposal_id="p1", at=when)
    path = tmp_path / "ledger.json"
    path.write_text(consentkit.dumps(ledger), encoding="utf-8")
    args = ["envelope", "--ledger", str(path), "--actor", "mistress"]
    assert main([*args, "--recipient", "client", "--at", "2026-03-06T19:30:00Z"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "verbal.commands          no cap; needs a step of at most 20 min" in lines


def test_describe_covers_every_error_kind() -> None:
    """Undecodable bytes and an error without problems still give one line each."""
    undecodable = UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")
    assert describe("a.json", undecodable) == [
        "a.json: not UTF-8 text: byte 0 cannot be decoded"
    ]
    assert describe("a.json", consentkit.DecodeError([])) == ["a.json: "]
    assert describe("a.json", OSError("disk on fire")) == ["a.json: disk on fire"]
