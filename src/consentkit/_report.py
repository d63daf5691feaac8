"""A session report people can look at: one self-contained HTML page.

`report` draws a ledger (and, when given, a plan checked against it) as an
SVG timeline: one lane per party, each agreement's window as a band labelled
with its proposal id, one marker per event, signals as red, yellow and green
markers, and one bar per planned step, coloured and labelled by its verdict.
A STOP visibly ends the agreements it ends.  Every mark carries its
explanation as an SVG ``<title>``; colour never carries meaning alone (each
kind of mark has its own shape and glyph, each verdict its word and
pattern).  The page needs no network and no scripts.

The time axis is warped so that marks never overlap: two distinct times are
always at least a marker apart, a long quiet gap is drawn as a break, and
marks at the same time in the same lane are stacked.  A long session scrolls
sideways instead of crowding.

Given receipts and the parties' keys, the report also shows who signed what
(SPEC 8.3): each event's mark says which parties' valid receipts cover it (a
receipt at entry n covers entries 0 to n), an entry its author has not
acknowledged is outlined and called unsigned, and every receipt that does not
verify is listed with its problem.  Checking receipts needs the ``sign``
extra, imported only then.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Final

import attrs

from consentkit._agreements import Agreement
from consentkit._decision import Decision, PlanDecision, Verdict, render_step
from consentkit._engine import check_plan
from consentkit._events import (
    Accepted,
    Confirmed,
    Declined,
    Event,
    ImpairmentCleared,
    ImpairmentDeclared,
    LimitDeclared,
    LimitLifted,
    Proposed,
    Revoked,
    SignalGiven,
    Withdrawn,
    unhandled,
)
from consentkit._ledger import Ledger
from consentkit._plan import Plan
from consentkit._receipt import Receipt
from consentkit._terms import Limit, SignalMeaning
from consentkit._text import one_line

__all__ = ["report"]

# -- geometry (pixels) -------------------------------------------------------

_LEFT: Final = 150  # the gutter holding the lane names
_RIGHT: Final = 40
_TOP: Final = 84  # the axis: dates, times and STOP labels
_MIN_GAP: Final = 24  # the least distance between two distinct times
_PX_PER_MINUTE: Final = 8.0
_BREAK_AFTER: Final = 90 * 60  # a quiet gap longer than this is drawn as a break
_BREAK_WIDTH: Final = 56
_BAND_ROW: Final = 20
_MARK_ROW: Final = 26
_STEP_ROW: Final = 30
_LANE_PAD: Final = 8
_CHAR: Final = 7.2  # the width of a character at the marks' font size

# -- escaping ----------------------------------------------------------------

#: Code points XML 1.0 forbids even escaped: lone surrogates and U+FFFE/U+FFFF.
_NOT_XML: Final = re.compile("[\ud800-\udfff\ufffe\uffff]")


def _plain(text: str) -> str:
    """Record text on one line, with every character XML allows."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", one_line(text))


def _esc(text: str) -> str:
    """Record text escaped for HTML and XML (text and attribute values)."""
    return html.escape(_plain(text), quote=True)


def _clip(text: str, width: float) -> str:
    """`text` shortened with an ellipsis to fit `width` pixels (unescaped)."""
    room = max(1, int(width / _CHAR))
    return text if len(text) <= room else text[: max(0, room - 1)] + "…"


def _time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _clock(moment: datetime) -> str:
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%H:%M" if utc.second == 0 else "%H:%M:%S")


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] if days else []
    if hours:
        parts.append(f"{hours} h")
    if minutes and not days:
        parts.append(f"{minutes} min")
    return " ".join(parts) or f"{int(seconds)} s"


def _f(number: float) -> str:
    return f"{number:.1f}".removesuffix(".0")


# -- the time axis -------------------------------------------------------------


class _Axis:
    """Times to x positions: monotonic, distinct times apart, long gaps broken."""

    def __init__(self, times: Iterable[datetime]) -> None:
        self.keys: list[datetime] = sorted(set(times))
        self.xs: list[float] = []
        #: Each break: its left x and the time it skips.
        self.breaks: list[tuple[float, float]] = []
        #: Runs of keys without a break: (first index, last index).
        self.runs: list[tuple[int, int]] = []
        x = float(_LEFT + 20)
        start = 0
        for index, key in enumerate(self.keys):
            if index:
                gap = (key - self.keys[index - 1]).total_seconds()
                if gap > _BREAK_AFTER:
                    self.breaks.append((x + _MIN_GAP / 2, gap))
                    self.runs.append((start, index - 1))
                    start = index
                    x += _BREAK_WIDTH + _MIN_GAP
                else:
                    x += max(_MIN_GAP, gap / 60 * _PX_PER_MINUTE)
            self.xs.append(x)
        if self.keys:
            self.runs.append((start, len(self.keys) - 1))
        self.right = (self.xs[-1] if self.xs else _LEFT + 20) + _RIGHT + 120

    def x(self, moment: datetime) -> float:
        """The x of `moment`, between the keys around it."""
        keys = self.keys
        index = bisect_left(keys, moment)
        if index < len(keys) and keys[index] == moment:
            return self.xs[index]
        if index == 0:
            return self.xs[0]
        if index == len(keys):
            return self.xs[-1]
        low, high = keys[index - 1], keys[index]
        share = (moment - low) / (high - low)
        return self.xs[index - 1] + share * (self.xs[index] - self.xs[index - 1])


# -- what is drawn -------------------------------------------------------------


@attrs.frozen
class _Mark:
    """One event's marker."""

    seq: int
    lane: str
    at: datetime
    kind: str  # a CSS class, and the legend's name
    glyph: str
    title: str


@attrs.frozen
class _Band:
    """One agreement's window, and the STOP that ended it if any."""

    agreement: Agreement
    stop_at: datetime | None
    title: str


def _who(parties: Iterable[str]) -> str:
    return ", ".join(f"`{p}`" for p in sorted(parties))


def _limit(limit: Limit) -> str:
    what = f"activity `{limit.activity}`" if limit.activity else f"tag `{limit.tag}`"
    note = f" ({limit.note})" if limit.note else ""
    return f"a {limit.kind.value} limit on {what}{note}"


_SIGNAL: Final = {
    SignalMeaning.STOP: ("stop", "✕", "red: STOP"),
    SignalMeaning.SLOW: ("slow", "!", "yellow: SLOW"),
    SignalMeaning.RESUME: ("resume", "✓", "green: RESUME"),
}


def _mark(  # noqa: C901, PLR0911, PLR0912  # one branch per event type
    seq: int, event: Event, meaning: SignalMeaning | None, why: str
) -> _Mark:
    when = _time(event.at)
    by = f"`{event.by}`"
    if isinstance(event, Proposed):
        text = f"{by} proposes `{event.proposal_id}` to {_who(event.terms.parties)}"
        if event.supersedes is not None:
            text += f", replacing `{event.supersedes}`"
        window = event.terms.window
        text += f"; window {_time(window.start)} to {_time(window.end)}"
        return _Mark(seq, event.by, event.at, "proposal", "P", f"{when}: {text}")
    if isinstance(event, Accepted):
        text = f"{by} accepts `{event.proposal_id}`"
        return _Mark(seq, event.by, event.at, "accept", "A", f"{when}: {text}")
    if isinstance(event, Declined):
        text = f"{by} declines `{event.proposal_id}`"
        if event.reason:
            text += f": {event.reason}"
        return _Mark(seq, event.by, event.at, "decline", "D", f"{when}: {text}")
    if isinstance(event, Withdrawn):
        text = f"{by} withdraws `{event.proposal_id}`"
        return _Mark(seq, event.by, event.at, "withdraw", "W", f"{when}: {text}")
    if isinstance(event, Confirmed):
        text = f"{by} confirms `{event.activity}` in the scene"
        return _Mark(seq, event.by, event.at, "confirm", "C", f"{when}: {text}")
    if isinstance(event, Revoked):
        if event.everything:
            what = "all their consent"
        else:
            items = [f"activity `{a}`" for a in sorted(event.activities)]
            items += [f"grant `{g}`" for g in sorted(event.grants)]
            what = ", ".join(items)
            if event.proposal_id is not None:
                what += f" of `{event.proposal_id}`"
        text = f"{by} revokes {what}"
        if event.reason:
            text += f": {event.reason}"
        return _Mark(seq, event.by, event.at, "revoke", "R", f"{when}: {text}")
    if isinstance(event, LimitDeclared):
        text = f"{by} declares {_limit(event.limit)}"
        return _Mark(seq, event.by, event.at, "limit", "L+", f"{when}: {text}")
    if isinstance(event, LimitLifted):
        what = (
            f"activity `{event.activity}`" if event.activity else f"tag `{event.tag}`"
        )
        text = f"{by} lifts their {event.kind.value} limits on {what}"
        return _Mark(seq, event.by, event.at, "limit", "L\u2212", f"{when}: {text}")
    if isinstance(event, SignalGiven):
        kind, glyph, name = _SIGNAL[meaning or SignalMeaning.STOP]
        text = f"{by} gives `{event.cue}`: {name}"
        if event.intensity is not None:
            text += f" at intensity {event.intensity}"
        if why:
            text += f" ({why})"
        return _Mark(seq, event.by, event.at, kind, glyph, f"{when}: {text}")
    if isinstance(event, ImpairmentDeclared):
        text = (
            f"{by} declares `{event.party}` impaired: their consent is void meanwhile"
        )
        return _Mark(seq, event.party, event.at, "impair", "I+", f"{when}: {text}")
    if not isinstance(event, ImpairmentCleared):
        unhandled(event)
    text = f"{by} clears `{event.party}`'s impairment"
    return _Mark(seq, event.party, event.at, "impair", "I\u2212", f"{when}: {text}")


def _prefix(ledger: Ledger, at: datetime | None) -> Ledger:
    """The ledger as it stood at `at`: the events at or before it."""
    if at is None:
        return ledger
    k = ledger.state_at(at).k
    # A view of the first k entries: the ledger's own way to share its history.
    return Ledger._view(ledger._core, k)  # noqa: SLF001


def _meanings(ledger: Ledger) -> dict[int, tuple[SignalMeaning, str]]:
    """Each signal's meaning, read through the giver's agreement in force."""
    history = ledger._history()  # noqa: SLF001  # the facts the ledger keeps
    return {
        entry.seq: history._meaning(entry.seq, entry.event)  # noqa: SLF001
        for entry in ledger
        if isinstance(entry.event, SignalGiven)
    }


def _bands(ledger: Ledger) -> list[_Band]:
    far = datetime.max.replace(tzinfo=timezone.utc)
    state = ledger.state_at(far)
    bands = []
    for agreement in ledger.agreements():
        window = agreement.terms.window
        title = (
            f"agreement `{agreement.proposal_id}` between "
            f"{_who(agreement.parties)}: formed {_time(agreement.formed_at)}, "
            f"window {_time(window.start)} to {_time(window.end)}"
        )
        stop = state.stop(agreement)
        stop_at = None
        if stop is not None:
            stop_at = stop.at
            reason = state.stop_reason(agreement)
            title += (
                f"; ended by STOP at {_time(stop.at)}: `{stop.by}` gave "
                f"`{stop.cue}`" + (f" ({reason})" if reason else "")
            )
        bands.append(_Band(agreement, stop_at, title))
    return bands


def _rows(extents: Sequence[tuple[float, float]]) -> tuple[list[int], int]:
    """Greedy rows for intervals in x order, so that none overlap: (rows, count)."""
    ends: list[float] = []
    rows = []
    for left, right in extents:
        for row, end in enumerate(ends):
            if end <= left:
                ends[row] = right
                rows.append(row)
                break
        else:
            ends.append(right)
            rows.append(len(ends) - 1)
    return rows, len(ends)


_VERDICT: Final = {
    Verdict.ALLOW: ("allow", "✓"),
    Verdict.RENEGOTIATE: ("renegotiate", "?"),
    Verdict.DENY: ("deny", "✕"),
}


def _label(
    number: int, decision: Decision, bar: float, room: float
) -> tuple[str, bool]:
    """A step bar's label, as much of it as fits, and whether it goes inside the bar.

    Number, verdict glyph, verdict and codes; inside a `bar` wide bar, or after
    it within `room` (measured from the bar's left end).
    """
    _, glyph = _VERDICT[decision.verdict]
    word = decision.verdict.name
    codes = " ".join(decision.codes)
    for label in (
        f"{number} {glyph} {word} {codes}".rstrip(),
        f"{number} {glyph} {word}",
        f"{number} {glyph}",
    ):
        width = len(label) * _CHAR + 8
        if width <= bar:
            return label, True
        if bar + width <= room:
            return label, False
    return glyph, True


def _coverage(by: str, covering: list[str], *, unsigned: bool) -> str:
    """A mark's words about receipts: who covers it, and whether it is unsigned."""
    who = ", ".join(f"`{p}`" for p in covering)
    said = f"signed by {who}" if covering else "signed by nobody"
    if unsigned:
        return f"{said}; UNSIGNED: no valid receipt of its author `{by}` at or after it"
    return said


def _step_title(number: int, decision: Decision) -> str:
    lines = [f"step {number}: {decision.verdict.name}: {render_step(decision.step)}"]
    if decision.allowed and decision.basis:
        lines.append(f"consent: {', '.join(decision.basis)}")
    lines.extend(f.explain() for f in decision.findings)
    return " | ".join(_plain(line) for line in lines)


# -- receipts ------------------------------------------------------------------

_SIGN_EXTRA: Final = "pip install 'consentkit[sign]'"


@attrs.frozen
class _Signed:
    """What the receipts given say about the ledger shown."""

    #: Each party's highest validly acknowledged entry.
    acknowledged: dict[str, int]
    #: The entries whose author has no valid receipt at or after them.
    unsigned: frozenset[int]
    #: Each receipt that does not verify: (its index in `receipts`, party,
    #: entry, problem, message).
    problems: tuple[tuple[int, str, int, str, str], ...]
    #: How many receipts were checked, and how many left out (signed after `at`).
    checked: int
    later: int

    def covering(self, seq: int) -> list[str]:
        """The parties whose valid receipts cover entry `seq`, sorted."""
        return sorted(p for p, last in self.acknowledged.items() if last >= seq)


def _check_receipts(
    ledger: Ledger,
    receipts: Iterable[Receipt],
    keys: Mapping[str, Any] | None,
    at: datetime | None,
) -> _Signed | None:
    """Audit `receipts` against the ledger shown; None when there are none to check.

    With `at`, only the receipts signed at or before it count: the page shows
    the record as it stood then.

    Raises:
        ValueError: Receipts without keys.
        ImportError: The ``sign`` extra is not installed (named).
    """
    given = tuple(receipts)
    if keys is None:
        if given:
            raise ValueError(
                "receipts: checking receipts needs keys, a mapping of party ids "
                "to public keys"
            )
        return None
    try:
        from consentkit import signing  # noqa: PLC0415  # the optional extra
    except ImportError:
        raise ImportError(
            f"a report with receipts needs the `sign` extra: {_SIGN_EXTRA}"
        ) from None
    for index, receipt in enumerate(given):
        if not isinstance(receipt, Receipt):
            raise TypeError(
                f"receipts[{index}]: must be a Receipt, got `{type(receipt).__name__}`"
            )
    counted = [i for i, r in enumerate(given) if at is None or r.at <= at]
    audit = signing.audit(ledger, [given[i] for i in counted], keys)
    problems = tuple(
        (
            counted[index],
            given[counted[index]].party,
            given[counted[index]].seq,
            problem.value,
            message,
        )
        for index, problem, message in audit.problems
    )
    return _Signed(
        acknowledged=dict(audit.acknowledged),
        unsigned=frozenset(audit.unsigned),
        problems=problems,
        checked=len(counted),
        later=len(given) - len(counted),
    )


# -- the page ----------------------------------------------------------------


def report(
    ledger: Ledger,
    plan: Plan | None = None,
    *,
    at: datetime | None = None,
    receipts: Iterable[Receipt] = (),
    keys: Mapping[str, Any] | None = None,
) -> str:
    """Render a session as one self-contained HTML page with an SVG timeline.

    Args:
        ledger: The session's history.
        plan: Steps to check against it and draw, coloured by verdict.
        at: Show the ledger as it stood then: only the events at or before
            it (the plan is checked against those, and only the receipts
            signed at or before it count).  None: every event.
        receipts: Receipts to check against the ledger shown (SPEC 8.3):
            each entry then says which parties' valid receipts cover it, the
            entries their authors have not acknowledged are shown unsigned,
            and each receipt that does not verify is listed.
        keys: The parties' public keys, as `consentkit.signing.audit` takes
            them; needed with `receipts` (with keys and no receipts, every
            entry is unsigned).

    Returns:
        The HTML text: no scripts, nothing fetched from the network.

    Raises:
        ValueError: `at` is not timezone-aware, or receipts come without keys.
        ImportError: Receipts or keys are given without the ``sign`` extra.
        InvalidKey: `keys` holds something other than keys.
    """
    shown = _prefix(ledger, at)
    signed = _check_receipts(shown, receipts, keys, at)
    decision = check_plan(plan, shown) if plan is not None else None
    return _Page(shown, plan, decision, at, signed).render()


class _Page:
    def __init__(
        self,
        ledger: Ledger,
        plan: Plan | None,
        decision: PlanDecision | None,
        at: datetime | None,
        signed: _Signed | None = None,
    ) -> None:
        self.ledger = ledger
        self.plan = plan
        self.decision = decision
        self.at = at
        self.signed = signed
        meanings = _meanings(ledger)
        self.marks = [
            _mark(e.seq, e.event, *meanings.get(e.seq, (None, ""))) for e in ledger
        ]
        self.bands = _bands(ledger)
        self.lanes = self._lanes()
        times: list[datetime] = [m.at for m in self.marks]
        for band in self.bands:
            times += [
                band.agreement.terms.window.start,
                band.agreement.terms.window.end,
            ]
        if decision is not None:
            for d in decision.decisions:
                times += [d.step.at, d.step.end]
        self.axis = _Axis(times)

    def _lanes(self) -> list[str]:
        seen: dict[str, None] = {}
        for band in self.bands:
            seen.update(dict.fromkeys(sorted(band.agreement.parties)))
        for mark in self.marks:
            seen.setdefault(mark.lane)
        if self.decision is not None:
            # Everyone a step involves has a lane: one with no band shows at a
            # glance a party who is in no agreement.
            for d in self.decision.decisions:
                seen.setdefault(d.step.actor)
                seen.setdefault(d.step.recipient)
                for party in sorted(d.step.parties):
                    seen.setdefault(party)
        return list(seen)

    # -- the SVG ---------------------------------------------------------

    def svg(self) -> tuple[str, float, float]:  # noqa: C901, PLR0912, PLR0915
        axis = self.axis
        out: list[str] = []
        back: list[str] = []  # lane backgrounds and names, under the axis
        y = float(_TOP)
        width = axis.right
        stop_lines: dict[datetime, list[str]] = {}
        marks_by_lane: dict[str, list[_Mark]] = {lane: [] for lane in self.lanes}
        for mark in self.marks:
            marks_by_lane[mark.lane].append(mark)
        lane_tops: list[tuple[str, float, float]] = []
        for index, lane in enumerate(self.lanes):
            bands = [b for b in self.bands if lane in b.agreement.parties]
            extents = [
                (
                    axis.x(b.agreement.terms.window.start),
                    axis.x(b.agreement.terms.window.end),
                )
                for b in bands
            ]
            # Each band keeps room after it for the words saying when it ends.
            band_rows, band_count = _rows([(a, b + 80) for a, b in extents])
            # Marks at the same time in one lane stack; distinct times never touch.
            stack: dict[datetime, int] = {}
            levels = []
            for mark in marks_by_lane[lane]:
                level = stack.get(mark.at, 0)
                stack[mark.at] = level + 1
                levels.append(level)
            mark_rows = max(stack.values(), default=1)
            height = 2 * _LANE_PAD + band_count * _BAND_ROW + mark_rows * _MARK_ROW
            top = y
            lane_tops.append((lane, top, height))
            shade = "lane-odd" if index % 2 else "lane-even"
            back.append(
                f'<rect class="{shade}" x="0" y="{_f(top)}" width="{_f(width)}" '
                f'height="{_f(height)}"/>'
            )
            back.append(
                f'<text class="lane-name" x="10" y="{_f(top + 18)}">'
                f"<title>party {_esc(lane)}</title>"
                f"{_esc(_clip(lane, _LEFT - 20))}</text>"
            )
            for band, row, (left, right) in zip(bands, band_rows, extents, strict=True):
                by = top + _LANE_PAD + row * _BAND_ROW
                label = band.agreement.proposal_id
                out.append(
                    f'<g role="img" class="band"><title>{_esc(band.title)}</title>'
                )
                if band.stop_at is None:
                    out.append(
                        f'<rect class="band-on" x="{_f(left)}" y="{_f(by)}" '
                        f'width="{_f(right - left)}" height="{_BAND_ROW - 4}" rx="3"/>'
                        f'<text class="band-end" x="{_f(right + 4)}" y="{_f(by + 12)}">'
                        f"ends {_esc(_clock(band.agreement.terms.window.end))}</text>"
                    )
                else:
                    cut = axis.x(band.stop_at)
                    out.append(
                        f'<rect class="band-on" x="{_f(left)}" y="{_f(by)}" '
                        f'width="{_f(max(cut - left, 0))}" '
                        f'height="{_BAND_ROW - 4}" rx="3"/>'
                        f'<rect class="band-ended" x="{_f(cut)}" y="{_f(by)}" '
                        f'width="{_f(max(right - cut, 0))}" height="{_BAND_ROW - 4}"/>'
                        f'<rect class="stop-edge" x="{_f(cut - 2)}" y="{_f(by - 2)}" '
                        f'width="4" height="{_BAND_ROW}"/>'
                    )
                    if right - cut > 60:
                        out.append(
                            f'<text class="band-ended-label" x="{_f(cut + 6)}" '
                            f'y="{_f(by + 12)}">ended by STOP</text>'
                        )
                    stop_lines.setdefault(band.stop_at, []).append(label)
                    right = cut  # noqa: PLW2901  # the label fits before the STOP
                out.append(
                    f'<text class="band-label" x="{_f(left + 5)}" y="{_f(by + 12)}">'
                    f"{_esc(_clip(label, right - left - 10))}</text></g>"
                )
            if not bands:
                back.append(
                    f'<text class="lane-sub" x="10" y="{_f(top + 32)}">'
                    "in no agreement</text>"
                )
            base = top + _LANE_PAD + band_count * _BAND_ROW
            for mark, level in zip(marks_by_lane[lane], levels, strict=True):
                cx = axis.x(mark.at)
                cy = base + level * _MARK_ROW + _MARK_ROW / 2
                out.append(self._marker(mark, cx, cy))
            y += height
        # The plan: one row per overlap, each bar labelled by verdict and codes.
        plan_top = y
        plan_height = 0.0
        if self.decision is not None:
            decisions = self.decision.decisions
            bars = []
            for d in decisions:
                left = axis.x(d.step.at)
                bars.append((left, max(axis.x(d.step.end), left + 18)))
            rows, count = _rows([(a, b + 4) for a, b in bars])
            # Each label takes the room up to the next bar of its row, and says
            # as much as fits there: the title and the table say it all.
            room = [axis.right - left for left, _ in bars]
            last_in_row: dict[int, int] = {}
            for index, row in enumerate(rows):
                if row in last_in_row:
                    before = last_in_row[row]
                    room[before] = bars[index][0] - bars[before][0] - 6
                last_in_row[row] = index
            labels = [
                _label(n, d, bars[n - 1][1] - bars[n - 1][0], room[n - 1])
                for n, d in enumerate(decisions, start=1)
            ]
            plan_height = 2 * _LANE_PAD + max(count, 1) * _STEP_ROW + 4
            back.append(
                f'<rect class="lane-plan" x="0" y="{_f(plan_top)}" '
                f'width="{_f(width)}" height="{_f(plan_height)}"/>'
                f'<text class="lane-name" x="10" y="{_f(plan_top + 18)}">plan</text>'
            )
            title = self.plan.title if self.plan is not None else ""
            if title:
                back.append(
                    f'<text class="lane-sub" x="10" y="{_f(plan_top + 32)}">'
                    f"{_esc(_clip(title, _LEFT - 20))}</text>"
                )
            for number, (d, row, (left, right), step_label) in enumerate(
                zip(decisions, rows, bars, labels, strict=True), start=1
            ):
                by = plan_top + _LANE_PAD + row * _STEP_ROW
                out.append(
                    self._bar(number, d, left=left, right=right, y=by, label=step_label)
                )
            y += plan_height
        # The axis, the breaks and the STOP lines over every lane.
        # Under the marks, so that no label is struck through: lanes, the
        # axis, then each STOP's line across every lane.
        under = [*back, self._axis_marks(y)]
        for moment, ids in sorted(stop_lines.items()):
            x = axis.x(moment)
            ended = ", ".join(f"`{pid}`" for pid in sorted(set(ids)))
            under.append(
                f'<g role="img" class="stop-line"><title>'
                f"STOP at {_esc(_time(moment))}: ended "
                f"{_esc(ended)}</title>"
                f'<line x1="{_f(x)}" y1="{_TOP - 8}" x2="{_f(x)}" y2="{_f(y)}"/>'
                f'<rect class="stop-flag" x="{_f(x - 48)}" y="{_TOP - 26}" width="96" '
                f'height="18" rx="3"/><text class="stop-flag-text" x="{_f(x)}" '
                f'y="{_TOP - 13}">✕ STOP {_esc(_clock(moment))}</text></g>'
            )
        return "\n".join([*under, *out]), width, y + 10

    def _marker(self, mark: _Mark, cx: float, cy: float) -> str:
        shape: str
        if mark.kind == "stop":  # an octagon
            r = 10.0
            k = r * 0.4142
            points = [
                (k, -r), (r, -k), (r, k), (k, r), (-k, r), (-r, k), (-r, -k), (-k, -r),
            ]  # fmt: skip
            shape = '<polygon points="{}"/>'.format(
                " ".join(f"{_f(cx + px)},{_f(cy + py)}" for px, py in points)
            )
        elif mark.kind == "slow":  # a triangle
            shape = (
                f'<polygon points="{_f(cx)},{_f(cy - 11)} {_f(cx + 11)},{_f(cy + 9)} '
                f'{_f(cx - 11)},{_f(cy + 9)}"/>'
            )
        elif mark.kind == "resume":  # a circle
            shape = f'<circle cx="{_f(cx)}" cy="{_f(cy)}" r="10"/>'
        else:  # a rounded square, wider for two glyphs
            half = 11 if len(mark.glyph) > 1 else 8
            shape = (
                f'<rect x="{_f(cx - half)}" y="{_f(cy - 8)}" width="{2 * half}" '
                f'height="16" rx="3"/>'
            )
        dy = 4 if mark.kind != "slow" else 6
        title = mark.title
        signed = ""
        ring = ""
        if self.signed is not None:
            by = self.ledger[mark.seq].event.by
            covering = self.signed.covering(mark.seq)
            unsigned = mark.seq in self.signed.unsigned
            title += f" | {_coverage(by, covering, unsigned=unsigned)}"
            signed = f' data-signed-by="{_esc(" ".join(covering))}"'
            if unsigned:
                signed += ' data-unsigned="true"'
                ring = (
                    f'<rect class="unsigned-ring" x="{_f(cx - 14)}" '
                    f'y="{_f(cy - 12)}" width="28" height="24" rx="5"/>'
                )
        return (
            f'<g role="img" class="mark ev-{mark.kind}" data-seq="{mark.seq}"'
            f"{signed}><title>{_esc(title)}</title>{ring}{shape}"
            f'<text x="{_f(cx)}" y="{_f(cy + dy)}">{mark.glyph}</text></g>'
        )

    def _bar(  # noqa: PLR0913  # the bar's place and its label
        self,
        number: int,
        d: Decision,
        *,
        left: float,
        right: float,
        y: float,
        label: tuple[str, bool],
    ) -> str:
        kind, _ = _VERDICT[d.verdict]
        width = right - left
        codes = " ".join(d.codes)
        text, inside = label
        text_x = left + 4 if inside else right + 4
        where = "inside" if inside else "outside"
        height = _STEP_ROW - 6
        return (
            f'<g role="img" class="mark step step-{kind}" data-step="{number}" '
            f'data-verdict="{d.verdict.name}" data-codes="{_esc(codes)}">'
            f"<title>{_esc(_step_title(number, d))}</title>"
            f'<rect x="{_f(left)}" y="{_f(y)}" width="{_f(width)}" height="{height}" '
            f'rx="3"/><text class="{where}" x="{_f(text_x)}" y="{_f(y + 16)}">'
            f"{_esc(text)}</text></g>"
        )

    def _axis_marks(self, bottom: float) -> str:  # noqa: C901  # ticks, labels, breaks
        axis = self.axis
        out = [
            (
                f'<line class="axis" x1="{_LEFT}" y1="{_TOP - 2}" '
                f'x2="{_f(axis.right)}" y2="{_TOP - 2}"/>'
            )
        ]
        last_day = ""
        last_day_x = -1e9
        for first, last in axis.runs:
            start, end = axis.keys[first], axis.keys[last]
            x0 = axis.xs[first]
            day = start.astimezone(timezone.utc).strftime("%d %b %Y")
            if day != last_day:
                # A day's name moves right rather than run into the one before.
                last_day_x = max(x0, last_day_x + 100)
                out.append(
                    f'<text class="day" x="{_f(last_day_x)}" y="14">{_esc(day)}</text>'
                )
                last_day = day
            step = timedelta(minutes=15)
            while (end - start) / step > 400:
                step *= 4
            ticks = [start]
            tick = start.replace(minute=0, second=0, microsecond=0)
            while tick <= end:
                if tick > start:
                    ticks.append(tick)
                tick += step
            # Round times first; then, where the axis is stretched and no
            # round time is near, the times of the marks themselves.
            placed: list[float] = []
            labels: list[tuple[float, datetime]] = []
            for tick in ticks:
                x = axis.x(tick)
                if not placed or x - placed[-1] >= 48:
                    placed.append(x)
                    labels.append((x, tick))
            for index in range(first, last + 1):
                x = axis.xs[index]
                near = bisect_left(placed, x)
                if all(
                    abs(placed[i] - x) >= 120
                    for i in (near - 1, near)
                    if 0 <= i < len(placed)
                ):
                    placed.insert(near, x)
                    labels.append((x, axis.keys[index]))
            for x, tick in labels:
                out.append(
                    f'<line class="tick" x1="{_f(x)}" y1="{_TOP - 8}" '
                    f'x2="{_f(x)}" y2="{_f(bottom)}"/>'
                    f'<text class="clock" x="{_f(x)}" y="{_TOP - 50}">'
                    f"{_esc(_clock(tick))}</text>"
                )
        for x, gap in axis.breaks:
            out.append(
                f'<g role="img" class="break"><title>'
                f"a gap of {_esc(_span(gap))}, not to scale</title>"
                f'<rect x="{_f(x)}" y="{_TOP - 12}" '
                f'width="{_BREAK_WIDTH}" height="{_f(bottom - _TOP + 12)}"/>'
                f'<text x="{_f(x + _BREAK_WIDTH / 2)}" y="{_TOP - 36}">'
                f"⋯ {_esc(_span(gap))} ⋯</text></g>"
            )
        return "\n".join(out)

    # -- the HTML around it -------------------------------------------------

    def summary(self) -> str:
        out: list[str] = []
        decision = self.decision
        if decision is not None:
            kind, glyph = _VERDICT[decision.verdict]
            counts = dict.fromkeys(Verdict, 0)
            for d in decision.decisions:
                counts[d.verdict] += 1
            parts = ", ".join(
                f"{counts[v]} {v.name}"
                for v in (Verdict.ALLOW, Verdict.RENEGOTIATE, Verdict.DENY)
                if counts[v]
            )
            out.append(
                f'<p class="verdict verdict-{kind}"><span class="badge">{glyph} '
                f"plan: {decision.verdict.name}</span> {len(decision.decisions)} "
                f"steps: {parts}</p>"
            )
        stops = [b for b in self.bands if b.stop_at is not None]
        far = datetime.max.replace(tzinfo=timezone.utc)
        state = self.ledger.state_at(far)
        for band in stops:
            signal = state.stop(band.agreement)
            if signal is None:  # pragma: no cover  # INVARIANT: the band has a stop
                continue
            reason = state.stop_reason(band.agreement)
            out.append(
                '<p class="fact fact-stop"><strong>✕ The scene stopped at '
                f"{_esc(_time(signal.at))}</strong>: {_esc(f'`{signal.by}`')} gave "
                f"{_esc(f'`{signal.cue}`')} (STOP"
                + (f": {_esc(reason)}" if reason else "")
                + "), which ended agreement "
                + f"{_esc(f'`{band.agreement.proposal_id}`')}.</p>"
            )
        if self.signed is not None:
            out.append(self._receipt_facts(self.signed))
        if decision is not None:
            refused = [
                (n, d)
                for n, d in enumerate(decision.decisions, start=1)
                if not d.allowed
            ]
            if refused:
                number, last = refused[-1]
                word = (
                    "refused"
                    if last.verdict is Verdict.DENY
                    else "that needs a word in the scene first"
                )
                kind, glyph = _VERDICT[last.verdict]
                reasons = "".join(
                    f"<li><code>{_esc(f.code)}</code> {_esc(f.rule)}: "
                    f"{_esc(f.message)}</li>"
                    for f in last.findings
                    if f.verdict is not None
                )
                out.append(
                    f'<div class="fact fact-{kind}"><strong>{glyph} The last step '
                    f"{word}: step {number}, {_esc(last.verdict.name)}</strong>: "
                    f"{_esc(render_step(last.step))}<ul>{reasons}</ul></div>"
                )
            if decision.findings:
                advice = "".join(
                    f"<li><code>{_esc(f.code)}</code> {_esc(f.rule)}: "
                    f"{_esc(f.message)}</li>"
                    for f in decision.findings
                )
                out.append(
                    '<div class="fact fact-advice"><strong>Advice on the plan'
                    f"</strong> (it changes no verdict):<ul>{advice}</ul></div>"
                )
        return "\n".join(out)

    def _receipt_facts(self, signed: _Signed) -> str:
        """The receipts in words: who acknowledged what, what is unsigned, problems."""
        out: list[str] = []
        parts = [
            f"{_esc(f'`{party}`')} up to entry {seq}"
            for party, seq in sorted(signed.acknowledged.items())
        ]
        later = (
            f" ({signed.later} signed after the time shown are not counted)"
            if signed.later
            else ""
        )
        out.append(
            f'<p class="fact fact-receipts"><strong>Receipts</strong>: '
            f"{signed.checked} checked{later}; "
            + ("acknowledged: " + ", ".join(parts) if parts else "none acknowledged")
            + ".</p>"
        )
        if signed.unsigned:
            items = "".join(
                f"<li>entry {seq} by {_esc(f'`{self.ledger[seq].event.by}`')}: "
                f"no valid receipt of its author at or after it</li>"
                for seq in sorted(signed.unsigned)
            )
            out.append(
                f'<div class="fact fact-unsigned"><strong>✎ {len(signed.unsigned)} '
                f"unsigned entries</strong> (their authors have not acknowledged "
                f"them):<ul>{items}</ul></div>"
            )
        else:
            out.append(
                '<p class="fact fact-signed"><strong>✓ Every entry is signed'
                "</strong> by its author's receipt.</p>"
            )
        if signed.problems:
            items = "".join(
                f"<li>receipt {index} ({_esc(f'`{party}`')}, entry {seq}): "
                f"{_esc(problem)}: {_esc(message)}</li>"
                for index, party, seq, problem, message in signed.problems
            )
            out.append(
                f'<div class="fact fact-deny"><strong>✕ {len(signed.problems)} '
                f"receipts do not verify</strong>:<ul>{items}</ul></div>"
            )
        return "\n".join(out)

    def entries(self) -> str:
        """With receipts: a table of the entries, who signed each, and unsigned ones."""
        signed = self.signed
        if signed is None:
            return ""
        rows = []
        for mark in sorted(self.marks, key=lambda m: m.seq):
            by = self.ledger[mark.seq].event.by
            covering = signed.covering(mark.seq)
            status = (
                '<span class="pill pill-deny">✎ UNSIGNED</span>'
                if mark.seq in signed.unsigned
                else '<span class="pill pill-allow">✓ signed</span>'
            )
            who = _esc(", ".join(f"`{p}`" for p in covering)) if covering else "nobody"
            rows.append(
                f'<tr data-seq="{mark.seq}"><td>{mark.seq}</td>'
                f"<td>{_esc(_clock(mark.at))}</td><td>{_esc(f'`{by}`')}</td>"
                f"<td>{_esc(mark.title.split(': ', 1)[-1])}</td>"
                f"<td>{who}</td><td>{status}</td></tr>"
            )
        return (
            '<h2>Entries and receipts</h2><table class="entries"><thead><tr>'
            "<th>#</th><th>time</th><th>by</th><th>event</th><th>signed by</th>"
            "<th>its author</th></tr></thead><tbody>"
            + "\n".join(rows)
            + "</tbody></table>"
        )

    def table(self) -> str:
        decision = self.decision
        if decision is None:
            return ""
        rows = []
        for number, d in enumerate(decision.decisions, start=1):
            kind, glyph = _VERDICT[d.verdict]
            why = "".join(
                f"<li><code>{_esc(f.code)}</code> {_esc(f.rule)}: {_esc(f.message)}"
                + ("" if f.verdict is not None else " (advice)")
                + "</li>"
                for f in d.findings
            )
            if d.allowed and d.basis:
                why += f"<li>consent: {_esc(', '.join(d.basis))}</li>"
            rows.append(
                f'<tr class="row-{kind}"><td>{number}</td>'
                f"<td>{_esc(_clock(d.step.at))}</td>"
                f"<td>{_esc(render_step(d.step))}</td>"
                f'<td class="v"><span class="pill pill-{kind}">{glyph} '
                f"{d.verdict.name}</span></td>"
                f"<td>{_esc(' '.join(d.codes))}</td><td><ul>{why}</ul></td></tr>"
            )
        return (
            "<h2>Steps</h2><table><thead><tr><th>#</th><th>time</th><th>step</th>"
            "<th>verdict</th><th>codes</th><th>why</th></tr></thead><tbody>"
            + "\n".join(rows)
            + "</tbody></table>"
        )

    def render(self) -> str:
        body, width, height = self.svg()
        title = self.plan.title if self.plan is not None and self.plan.title else ""
        heading = f"Session report: {title}" if title else "Session report"
        facts = [f"{len(self.ledger)} events"]
        if self.ledger.head is not None:
            facts.append(f"head {self.ledger.head}")
        if self.at is not None:
            facts.append(f"as recorded at {_time(self.at)}")
        label = f"Timeline of {len(self.lanes)} parties, {len(self.marks)} events" + (
            f" and {len(self.decision.decisions)} planned steps"
            if self.decision is not None
            else ""
        )
        return _PAGE.format(
            title=_esc(heading),
            facts=_esc(" · ".join(facts)),
            summary=self.summary(),
            legend=_LEGEND
            if self.signed is None
            else _LEGEND.replace("</div>", _LEGEND_RECEIPTS + "</div>"),
            width=_f(width),
            height=_f(height),
            label=_esc(label),
            body=body,
            table=self.table() + self.entries(),
            style=_STYLE,
            defs=_DEFS,
        )


_DEFS: Final = """<defs>
<pattern id="hatch-deny" width="8" height="8" patternUnits="userSpaceOnUse"
 patternTransform="rotate(45)">
<rect width="8" height="8" fill="#b42318"/>
<rect width="3" height="8" fill="#8a1a12"/></pattern>
<pattern id="hatch-renegotiate" width="8" height="8" patternUnits="userSpaceOnUse"
 patternTransform="rotate(-45)">
<rect width="8" height="8" fill="#f5c04a"/>
<rect width="3" height="8" fill="#e0a526"/></pattern>
<pattern id="hatch-ended" width="6" height="6" patternUnits="userSpaceOnUse"
 patternTransform="rotate(45)">
<rect width="6" height="6" fill="#eceff3"/>
<rect width="2" height="6" fill="#c3c9d1"/></pattern>
</defs>"""

_STYLE: Final = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
color:#1d2430;margin:24px;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px}
.facts{color:#556;font-size:13px;margin:0 0 12px;word-break:break-all}
.verdict{font-size:16px;margin:8px 0}
.badge{display:inline-block;font-weight:700;padding:3px 10px;border-radius:4px;
border:2px solid currentColor;margin-right:6px}
.verdict-allow .badge{color:#1f6f43;background:#e5f4ea}
.verdict-renegotiate .badge{color:#7a5200;background:#fdf1d3}
.verdict-deny .badge{color:#a11a10;background:#fde8e6}
.fact{margin:6px 0;padding:8px 12px;border-left:6px solid #889;background:#f5f6f8}
.fact ul{margin:4px 0 0 0;padding-left:20px}
.fact-advice{border-color:#1b7a75;border-left-style:dotted}
.fact-stop{border-color:#b42318;background:#fdecea}
.fact-deny{border-color:#b42318;border-left-style:double;border-left-width:8px}
.fact-renegotiate{border-color:#d99a00;border-left-style:dashed}
.scroll{overflow-x:auto;border:1px solid #d5d9e0;border-radius:4px;margin:12px 0}
svg{display:block;font-family:"DejaVu Sans",system-ui,sans-serif}
.lane-even{fill:#fafbfc}.lane-odd{fill:#f1f3f6}.lane-plan{fill:#e9edf2}
.lane-name{font-size:13px;font-weight:700;fill:#1d2430}
.lane-sub{font-size:11px;fill:#556}
.band-on{fill:#cfe3f7;stroke:#4a7fb5}.band-ended{fill:url(#hatch-ended);stroke:#aab}
.band-label{font-size:11px;font-weight:700;fill:#17406b}
.band-end{font-size:10px;fill:#17406b}
.band-ended-label{font-size:10px;fill:#556;font-style:italic}
.stop-edge{fill:#b42318}
.stop-line line{stroke:#b42318;stroke-width:2;stroke-dasharray:6 3}
.stop-flag{fill:#b42318}.stop-flag-text{fill:#fff;font-size:11px;font-weight:700;
text-anchor:middle}
.axis{stroke:#889}.tick{stroke:#dde1e7}
.clock{font-size:11px;fill:#445;text-anchor:middle}
.day{font-size:12px;font-weight:700;fill:#1d2430}
.break rect{fill:#fff;opacity:.7}
.break text{font-size:10px;fill:#556;text-anchor:middle}
.mark text{font-size:11px;font-weight:700;text-anchor:middle;fill:#fff}
.ev-proposal rect,.ev-accept rect,.ev-decline rect,.ev-withdraw rect{fill:#2b5d8f}
.ev-decline rect,.ev-withdraw rect{fill:#5a6a7e}
.ev-confirm rect{fill:#1b7a75}.ev-limit rect{fill:#6b3fa0}
.ev-impair rect{fill:#8a4b0f}.ev-revoke rect{fill:#222}
.ev-stop polygon{fill:#c4281c;stroke:#6d120b}
.ev-slow polygon{fill:#f5c518;stroke:#7a5a00}.ev-slow text{fill:#1d2430}
.ev-resume circle{fill:#2e8b57;stroke:#14532d}
.step rect{stroke:#1d2430;stroke-width:1}
.step text{font-size:11px;font-weight:700;text-anchor:start}
.step-allow rect{fill:#2f855a}.step-allow text.inside{fill:#fff}
.step-renegotiate rect{fill:url(#hatch-renegotiate)}
.step-deny rect{fill:url(#hatch-deny);stroke-width:2}.step-deny text.inside{fill:#fff}
.step text.outside,.step-renegotiate text{fill:#1d2430}
.step-deny text.outside{fill:#a11a10}
.step text.outside{paint-order:stroke;stroke:#e9edf2;stroke-width:4px}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:13px;color:#334;margin:8px 0}
.legend span{white-space:nowrap}
.key{display:inline-block;min-width:16px;padding:0 3px;text-align:center;color:#fff;
font-weight:700;font-size:11px;border-radius:3px;margin-right:4px}
table{border-collapse:collapse;font-size:13px;width:100%}
th,td{border-bottom:1px solid #dde1e7;padding:4px 8px;text-align:left;
vertical-align:top}
td ul{margin:0;padding-left:16px}
.pill{font-weight:700;padding:1px 6px;border-radius:3px;white-space:nowrap}
.pill-allow{background:#e5f4ea;color:#1f6f43}
.pill-renegotiate{background:#fdf1d3;color:#7a5200}
.pill-deny{background:#fde8e6;color:#a11a10}
.unsigned-ring{fill:none;stroke:#a11a10;stroke-width:2;stroke-dasharray:3 2}
.fact-receipts{border-color:#2b5d8f}
.fact-signed{border-color:#1f6f43}
.fact-unsigned{border-color:#a11a10;border-left-style:dashed}
.ring-key{display:inline-block;width:14px;height:12px;border:2px dashed #a11a10;
border-radius:4px;margin-right:4px;vertical-align:middle}
"""

_LEGEND_RECEIPTS: Final = (
    '<span><span class="ring-key"></span>dashed outline: unsigned, no receipt '
    "of its author at or after it</span>\n"
)

_LEGEND: Final = """<div class="legend" aria-label="legend">
<span><span class="key" style="background:\
#2b5d8f">P</span>proposed</span>
<span><span class="key" style="background:\
#2b5d8f">A</span>accepted</span>
<span><span class="key" style="background:\
#5a6a7e">D</span>declined</span>
<span><span class="key" style="background:\
#5a6a7e">W</span>withdrawn</span>
<span><span class="key" style="background:\
#1b7a75">C</span>confirmed</span>
<span><span class="key" style="background:\
#6b3fa0">L+</span>limit declared</span>
<span><span class="key" style="background:\
#6b3fa0">L&#8722;</span>limit lifted</span>
<span><span class="key" style="background:\
#8a4b0f">I+</span>impaired</span>
<span><span class="key" style="background:\
#8a4b0f">I&#8722;</span>impairment cleared</span>
<span><span class="key" style="background:\
#222">R</span>revoked</span>
<span><span class="key" style="background:\
#c4281c">✕</span>red octagon: STOP</span>
<span><span class="key" style="background:\
#f5c518;color:#1d2430">!</span>\
yellow triangle: SLOW</span>
<span><span class="key" style="background:\
#2e8b57">✓</span>green circle: RESUME</span>
<span><span class="pill pill-allow">✓ ALLOW</span> solid</span>
<span><span class="pill pill-renegotiate">? RENEGOTIATE</span> striped</span>
<span><span class="pill pill-deny">✕ DENY</span> cross-hatched</span>
</div>"""

_PAGE: Final = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<h1>{title}</h1>
<p class="facts">{facts}</p>
{summary}
{legend}
<div class="scroll">
<svg xmlns="http://www.w3.org/2000/svg" role="group" aria-label="{label}"
 width="{width}" height="{height}" viewBox="0 0 {width} {height}">
<title>{label}</title>
{defs}
{body}
</svg>
</div>
{table}
</body>
</html>
"""
