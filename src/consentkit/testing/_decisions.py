"""Findings, decisions, plan decisions and allowances."""

from __future__ import annotations

from typing import Final

from hypothesis import strategies as st

from consentkit._decision import (
    Allowance,
    Decision,
    Finding,
    PlanDecision,
    Verdict,
    worst,
)
from consentkit._plan import Step
from consentkit._terms import Condition, ConfirmFirst, MaxDuration
from consentkit.rules import CODES
from consentkit.testing import _plans
from consentkit.testing._draw import (
    _ANY_TEXT,
    _DIGESTS,
    CatalogArg,
    _Acts,
    _cap,
    _coin,
    _given,
    _int,
    _minutes,
    _pick,
    _resolve,
)

#: Each built-in code's rule name, read from the rules' own registry.
_RULE_NAMES: Final = {code: name for code, (name, _, _) in CODES.items()}
#: The codes a step's decision can carry: those with a verdict (advice has none).
_STEP_CODES: Final = tuple(
    code for code, (_, verdict, _) in CODES.items() if verdict is not None
)


@st.composite
def findings(
    draw: st.DrawFn, *, codes: st.SearchStrategy[str] | None = None
) -> Finding:
    """Findings under a known code, with its rule's name and verdict (advice: None)."""
    code = _pick(draw, tuple(_RULE_NAMES)) if codes is None else draw(codes)
    verdict: Verdict | None = Verdict.DENY
    if code in CODES:
        verdict = CODES[code][1]
    elif code.startswith("CK2"):  # a code of the caller's: its series says
        verdict = Verdict.RENEGOTIATE
    elif code.startswith("CK3"):
        verdict = None
    refs = [
        _pick(draw, ("g1", "g2", "p1")) if _coin(draw) else draw(_DIGESTS)
        for _ in range(_int(draw, 0, 3))
    ]
    return Finding(
        code=code,
        rule=_RULE_NAMES.get(code, "custom"),
        verdict=verdict,
        message=draw(_ANY_TEXT),
        refs=tuple(refs),
    )


@st.composite
def decisions(
    draw: st.DrawFn, *, steps: st.SearchStrategy[Step] | None = None
) -> Decision:
    """Decisions: the worst finding's verdict, and a basis when it is ALLOW."""
    codes = st.sampled_from(_STEP_CODES)
    found = sorted(
        (draw(findings(codes=codes)) for _ in range(_int(draw, 0, 3))),
        key=lambda f: f.code,
    )
    verdict = worst([f.verdict for f in found if f.verdict is not None])
    basis: tuple[str, ...] = ()
    if verdict is Verdict.ALLOW:
        basis = tuple(f"g{n}" for n in range(1, _int(draw, 2, 3) + 1))
    return Decision(
        verdict=verdict,
        step=draw(_given(steps, _plans.steps())),
        findings=tuple(found),
        basis=basis,
    )


_decisions = decisions


@st.composite
def plan_decisions(
    draw: st.DrawFn, *, decisions: st.SearchStrategy[Decision] | None = None
) -> PlanDecision:
    """Plan decisions: the worst step verdict, and plan-level advice."""
    source = _given(decisions, _decisions())
    made = [draw(source) for _ in range(_int(draw, 1, 3))]
    advice = st.sampled_from(("CK301", "CK302"))
    return PlanDecision(
        verdict=worst([d.verdict for d in made]),
        decisions=tuple(made),
        findings=tuple(draw(findings(codes=advice)) for _ in range(_int(draw, 0, 2))),
    )


@st.composite
def allowances(draw: st.DrawFn, *, catalog: CatalogArg = None) -> Allowance:
    """Allowances: an activity, a cap, and the conditions later steps must meet."""
    acts = _Acts.of(_resolve(draw, catalog))
    kept: list[Condition] = []
    if _coin(draw):
        kept.append(MaxDuration(minutes=_minutes(draw)))
    if _coin(draw):
        kept.append(
            ConfirmFirst(within_minutes=_minutes(draw) if _coin(draw) else None)
        )
    return Allowance(
        activity=acts.activity(draw), max_intensity=_cap(draw), conditions=tuple(kept)
    )
