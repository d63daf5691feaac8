"""The README's "From the shell" section shows what the commands really print."""

from __future__ import annotations

import shlex
import subprocess
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SCRIPT = Path(sysconfig.get_path("scripts")) / "consentkit"
HEADING = "## From the shell"


def _section() -> list[str]:
    lines = README.read_text("utf-8").splitlines()
    start = lines.index(HEADING)
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
        len(lines),
    )
    return lines[start + 1 : end]


def _sessions() -> list[tuple[str, str]]:
    """Each ``$ consentkit ...`` line of a console block, with the text after it."""
    sessions: list[tuple[str, list[str]]] = []
    in_console = False
    for line in _section():
        if line.startswith("```"):
            in_console = line == "```console"
            continue
        if not in_console:
            continue
        if line.startswith("$ "):
            sessions.append((line[2:], []))
        else:
            sessions[-1][1].append(line)
    return [(command, "\n".join(output) + "\n") for command, output in sessions]


SESSIONS = _sessions()


def test_the_section_shows_commands() -> None:
    """The section exists and shows a check, a DENY and an error among its samples."""
    commands = [command for command, _ in SESSIONS]
    assert any(c.startswith("consentkit check") for c in commands)
    outputs = "".join(output for _, output in SESSIONS)
    assert "plan: DENY" in outputs
    assert "kind: must be" in outputs


@pytest.mark.parametrize(("command", "shown"), SESSIONS, ids=[c for c, _ in SESSIONS])
def test_sample_output_is_true(command: str, shown: str) -> None:
    """Running the command prints exactly what the README shows (stderr included)."""
    program, *args = shlex.split(command)
    assert program == "consentkit"
    done = subprocess.run(  # noqa: S603  # our own console script
        [str(SCRIPT), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    assert done.stdout == shown
