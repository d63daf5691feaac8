"""The example sessions: the expected verdicts hold, and the files are current."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import consentkit

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NAMES = sorted(path.parent.name for path in EXAMPLES.glob("*/plan.json"))


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "examples_build", EXAMPLES / "build.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


BUILD = _build_module()


def _outcome(decision: consentkit.PlanDecision) -> dict[str, Any]:
    return {
        "verdict": decision.verdict.value,
        "steps": [
            {"verdict": d.verdict.value, "codes": sorted(d.codes)}
            for d in decision.decisions
        ],
        "advice": sorted(f.code for f in decision.findings),
    }


def test_there_are_at_least_six_examples() -> None:
    """At least six sessions are shipped, each one built by build.py."""
    assert len(NAMES) >= 6
    assert sorted(BUILD.EXAMPLES) == NAMES


def test_the_examples_cover_the_issue() -> None:
    """Between them the examples show ALLOW, DENY, RENEGOTIATE and the key codes."""
    expected = [
        json.loads((EXAMPLES / name / "expected.json").read_text("utf-8"))
        for name in NAMES
    ]
    verdicts = {e["verdict"] for e in expected}
    codes = {c for e in expected for s in e["steps"] for c in s["codes"]}
    assert verdicts == {"allow", "deny", "renegotiate"}
    assert {"CK102", "CK202", "CK114", "CK108", "CK104", "CK201", "CK111"} <= codes
    assert "CK103" in codes
    first = json.loads((EXAMPLES / "first-session" / "expected.json").read_text())
    assert first["verdict"] == "allow"


@pytest.mark.parametrize("name", NAMES)
def test_engine_gives_the_expected_verdicts(name: str) -> None:
    """The plan of each example gets the verdicts and codes written in expected.json."""
    folder = EXAMPLES / name
    ledger = consentkit.loads((folder / "ledger.json").read_bytes(), kind="ledger")
    plan = consentkit.loads((folder / "plan.json").read_bytes(), kind="plan")
    expected = json.loads((folder / "expected.json").read_text("utf-8"))
    assert _outcome(consentkit.check_plan(plan, ledger)) == expected


@pytest.mark.parametrize("name", NAMES)
def test_built_and_committed_ledgers_agree(name: str) -> None:
    """The ledger in the file is the one build.py records with the Ledger API."""
    example = BUILD.EXAMPLES[name]()
    ledger = consentkit.loads(
        (EXAMPLES / name / "ledger.json").read_bytes(), kind="ledger"
    )
    assert ledger == example.ledger
    assert ledger.head == example.ledger.head


def test_committed_files_are_what_build_writes() -> None:
    """Every file build.py writes is committed, byte for byte, and nothing else."""
    rendered = BUILD.render()
    on_disk = {
        str(path.relative_to(EXAMPLES)): path.read_text("utf-8")
        for path in EXAMPLES.glob("*/*.json")
    }
    assert on_disk == rendered


def test_build_check_reports_stale_files(tmp_path: Path, monkeypatch: Any) -> None:
    """``build.py --check`` exits 1 on stale files and writes nothing."""
    monkeypatch.setattr(BUILD, "HERE", tmp_path)
    assert BUILD.main(["--check"]) == 1
    assert list(tmp_path.iterdir()) == []
    assert BUILD.main([]) == 0
    assert BUILD.main(["--check"]) == 0
    assert (tmp_path / "first-session" / "plan.json").exists()
