"""Lint findings and reports, changes and terms diffs."""

from __future__ import annotations

from typing import Final

from hypothesis import strategies as st

from consentkit._reports import (
    CHANGE_KINDS,
    LINT_CODES,
    Change,
    Effect,
    LintFinding,
    LintReport,
    TermsDiff,
)
from consentkit.testing._draw import _ANY_TEXT, _coin, _given, _int, _pick
from consentkit.testing._ids import party_ids

_PATHS: Final = st.one_of(
    st.sampled_from(("", "protocol.signals", "catalog", "protocol.sobriety_required")),
    st.integers(0, 20).map(lambda n: f"grants[{n}]"),
    st.tuples(st.integers(0, 20), st.integers(0, 3)).map(
        lambda ij: f"grants[{ij[0]}].conditions[{ij[1]}]"
    ),
    st.integers(0, 20).map(lambda n: f"limits[{n}].activity"),
)


@st.composite
def lint_findings(
    draw: st.DrawFn, *, codes: st.SearchStrategy[str] | None = None
) -> LintFinding:
    """Lint findings under a known code, with its name and severity."""
    code = _pick(draw, tuple(LINT_CODES)) if codes is None else draw(codes)
    name, severity, _ = LINT_CODES[code]
    return LintFinding(
        code=code,
        rule=name,
        severity=severity,
        message=draw(_ANY_TEXT),
        path=draw(_PATHS),
        refs=tuple(_pick(draw, ("g1", "g2")) for _ in range(_int(draw, 0, 2))),
        hint=draw(_ANY_TEXT) if _coin(draw) else "",
    )


@st.composite
def lint_reports(draw: st.DrawFn) -> LintReport:
    """Lint reports of a few findings (kept sorted by the record)."""
    return LintReport(
        findings=tuple(draw(lint_findings()) for _ in range(_int(draw, 0, 4)))
    )


@st.composite
def changes(
    draw: st.DrawFn, *, parties: st.SearchStrategy[str] | None = None
) -> Change:
    """Changes of any kind and effect, with one or both paths."""
    what = _pick(draw, CHANGE_KINDS)
    sides = _pick(draw, ((True, False), (False, True), (True, True)))
    path = draw(_PATHS) or "window.start"
    party = None
    if what.startswith(("grant", "limit")):
        party = draw(_given(parties, party_ids()))
    return Change(
        party=party,
        what=what,
        path_old=path if sides[0] else None,
        path_new=path if sides[1] else None,
        effect=_pick(draw, tuple(Effect)),
        message=draw(_ANY_TEXT),
    )


@st.composite
def terms_diffs(
    draw: st.DrawFn, *, parties: st.SearchStrategy[str] | None = None
) -> TermsDiff:
    """Terms diffs of a few changes."""
    return TermsDiff(
        changes=tuple(draw(changes(parties=parties)) for _ in range(_int(draw, 0, 4)))
    )
