"""Render each example's session report in headless Chromium and save a screenshot.

Run with ``make report-check``.  For every session in ``examples/``, the
report (``consentkit report``) is written next to the screenshot in
``docs/_static/reports/``, then Debian's ``chromium`` opens it headless,
with a fresh, empty profile and no network services, and saves a PNG that
the documentation shows.  A person should see at a glance in each one when
the scene stopped and why the last step was refused.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from consentkit import Ledger, Plan, loads, report

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
OUT = ROOT / "docs" / "_static" / "reports"
WINDOW = "1400,900"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def browser() -> str:
    """The Chromium executable, or exit with what to install."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    sys.exit("report-check: no chromium: apt-get install -y chromium")


def render(chromium: str, name: str) -> Path:
    """Write `name`'s report and its screenshot; return the screenshot's path."""
    ledger = loads((EXAMPLES / name / "ledger.json").read_bytes(), kind="ledger")
    plan = loads((EXAMPLES / name / "plan.json").read_bytes(), kind="plan")
    if not isinstance(ledger, Ledger) or not isinstance(plan, Plan):
        sys.exit(f"report-check: {name}: not a ledger and a plan")
    page = OUT / f"{name}.html"
    page.write_text(report(ledger, plan), encoding="utf-8")
    shot = OUT / f"{name}.png"
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(  # noqa: S603  # a fixed command line
            [
                chromium,
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--screenshot={shot}",
                f"--window-size={WINDOW}",
                page.as_uri(),
            ],
            capture_output=True,
            check=False,
            timeout=120,
        )
    if done.returncode != 0 or not shot.exists():
        sys.exit(f"report-check: {name}: chromium failed:\n{done.stderr.decode()}")
    return shot


def main() -> int:
    """Render every example; print each screenshot's path."""
    chromium = browser()
    OUT.mkdir(parents=True, exist_ok=True)
    names = sorted(path.parent.name for path in EXAMPLES.glob("*/plan.json"))
    for name in names:
        sys.stdout.write(f"{render(chromium, name).relative_to(ROOT)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
