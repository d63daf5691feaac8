"""What `lint` and `diff` report about terms: records documents carry (SPEC 6.5-6.6).

`lint` and `diff` sit beside the engine; their reports are plain records
below the documents, so that the ``lint`` and ``terms_diff`` kinds can carry
them.  Rendering for people escapes whatever people typed (SPEC 3.1).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

import attrs

from consentkit import _validate as v
from consentkit._enum import Choice, coerce
from consentkit._text import one_line

__all__ = [
    "CHANGE_KINDS",
    "LINT_CODES",
    "Change",
    "Effect",
    "LintFinding",
    "LintReport",
    "Severity",
    "TermsDiff",
    "path_key",
]


class Severity(Choice):
    """How much a lint finding matters: ERROR > WARNING > INFO."""

    ERROR = "error"
    """The terms cannot work as written: fix before accepting."""
    WARNING = "warning"
    """Probably not what the parties mean."""
    INFO = "info"
    """Worth knowing; often intended."""

    @property
    def rank(self) -> int:
        """2 for ERROR, 1 for WARNING, 0 for INFO."""
        return _RANK[self]


_RANK: Final = {Severity.ERROR: 2, Severity.WARNING: 1, Severity.INFO: 0}

#: Every lint code: (stable name, severity, when it applies).  Codes are never
#: reused or renumbered; CK415 belongs to `lint_preferences`.
LINT_CODES: Final[dict[str, tuple[str, Severity, str]]] = {
    "CK401": (
        "unknown-activity",
        Severity.ERROR,
        "an activity or tag the catalog does not know",
    ),
    "CK402": ("dead-grant", Severity.WARNING, "a grant its party's hard limits void"),
    "CK403": (
        "one-sided-grant",
        Severity.WARNING,
        "a grant with no matching grant of a counterparty",
    ),
    "CK404": (
        "unmeetable-condition",
        Severity.ERROR,
        "a condition the protocol cannot meet",
    ),
    "CK405": ("no-stop-signal", Severity.ERROR, "the protocol has no STOP signal"),
    "CK406": (
        "no-usable-stop-signal",
        Severity.ERROR,
        "no STOP signal stays usable during a received activity",
    ),
    "CK407": (
        "equipment-missing",
        Severity.ERROR,
        "a granted activity requires equipment not listed",
    ),
    "CK408": (
        "authority-without-consent",
        Severity.WARNING,
        "authority over a subject who grants nothing in its scope",
    ),
    "CK409": (
        "catalog-mismatch",
        Severity.WARNING,
        "the terms name another catalog or version",
    ),
    "CK410": ("cap-mismatch", Severity.INFO, "matching grants with different caps"),
    "CK411": (
        "aftercare-missing",
        Severity.WARNING,
        "a demanding grant and a party with no aftercare",
    ),
    "CK412": (
        "explicit-only-not-covered",
        Severity.INFO,
        "a subtree grant that leaves out explicit-only activities",
    ),
    "CK413": (
        "sobriety-not-required",
        Severity.WARNING,
        "the protocol does not require sobriety",
    ),
    "CK414": (
        "grant-under-soft-limit",
        Severity.INFO,
        "a grant that addresses its party's own soft limit",
    ),
    "CK415": (
        "shadowed-rating",
        Severity.WARNING,
        "a positive rating beneath its own party's hard no",
    ),
}

_STEP: Final = re.compile(r"\[(\d+)\]|\.?([^.\[]+)")


def path_key(path: str) -> tuple[tuple[int, str, int], ...]:
    """A sort key for a JSON path: element by element, indices as numbers.

    ``grants[2]`` sorts before ``grants[10]``, and a path before any path
    beneath it.
    """
    return tuple(
        (1, "", int(index)) if index else (0, name, 0)
        for index, name in _STEP.findall(path)
    )


def _to_severity(value: Any) -> Any:
    return coerce(Severity, value)


@attrs.frozen(kw_only=True)
class LintFinding:
    """One problem `lint` found in terms, with where it is and how to fix it.

    Attributes:
        code: The stable code, e.g. ``CK406``.
        rule: The code's stable name, e.g. ``no-usable-stop-signal``.
        severity: ERROR, WARNING or INFO.
        message: One line for people.
        path: The JSON path into the terms document (``grants[3]``,
            ``protocol.signals``); empty for the terms as a whole.
        refs: Ids and digests of the records behind it (grant ids, limit
            digests).
        hint: How to fix it ("did you mean `impact.flogging`?"), or empty.
    """

    code: str = attrs.field(validator=v.party_id)
    rule: str = attrs.field(validator=v.party_id)
    severity: Severity = attrs.field(
        converter=_to_severity, validator=v.enum_member(Severity)
    )
    message: str = attrs.field(validator=v.text)
    path: str = attrs.field(validator=v.text)
    refs: tuple[str, ...] = attrs.field(
        default=(), converter=v.to_tuple, validator=v.texts
    )
    hint: str = attrs.field(default="", validator=v.text)

    def explain(self, source: str = "terms") -> str:
        """The finding as a compiler writes one: where, code, rule and message.

        Control characters and line breaks in it are shown escaped, so it is
        always exactly one line (the hint, when there is one, is not part of
        it: see `LintReport.explain`).
        """
        where = f"{source}: {self.path}" if self.path else source
        return one_line(f"{where}: {self.code} {self.rule}: {self.message}")


def _sort_key(item: LintFinding) -> tuple[Any, ...]:
    return (item.code, path_key(item.path), item.message, item.refs, item.hint)


def _sorted_findings(value: Any) -> Any:
    found: Any = v.to_tuple(value)  # not a tuple when the value was none
    if isinstance(found, tuple) and all(isinstance(f, LintFinding) for f in found):
        return tuple(sorted(found, key=_sort_key))
    return found


@attrs.frozen(kw_only=True)
class LintReport:
    """What `lint` found, sorted by code, then by path element by element.

    Attributes:
        findings: The findings.
    """

    findings: tuple[LintFinding, ...] = attrs.field(
        default=(), converter=_sorted_findings, validator=v.instances(LintFinding)
    )

    def __iter__(self) -> Iterator[LintFinding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    @property
    def errors(self) -> tuple[LintFinding, ...]:
        """The ERROR findings."""
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[LintFinding, ...]:
        """The WARNING findings."""
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    def at_least(self, severity: Severity) -> tuple[LintFinding, ...]:
        """The findings at or above `severity`."""
        rank = _RANK[coerce(Severity, severity)]
        return tuple(f for f in self.findings if f.severity.rank >= rank)

    def explain(self, source: str = "terms") -> str:
        """Render the report as a compiler would, for people.

        One line per finding (``terms.json: grants[3]: CK406 ...``), its
        hint indented beneath it, then a count by severity.  Record text is
        shown escaped (SPEC 3.1).
        """
        lines: list[str] = []
        for found in self.findings:
            lines.append(found.explain(source))
            if found.hint:
                lines.append(one_line(f"  hint: {found.hint}"))
        counts = [
            f"{n} {name}{'' if n == 1 else 's'}"
            for n, name in (
                (len(self.errors), "error"),
                (len(self.warnings), "warning"),
                (
                    len(self.at_least(Severity.INFO))
                    - len(self.at_least(Severity.WARNING)),
                    "note",
                ),
            )
        ]
        lines.append(f"{one_line(source)}: " + ", ".join(counts))
        return "\n".join(lines)


class Effect(Choice):
    """What a change to terms can do to verdicts (SPEC 6.6)."""

    WIDENS = "widens"
    """It can let some step be ALLOW that was not (said also when unsure)."""
    NARROWS = "narrows"
    """It can only refuse more."""
    NEUTRAL = "neutral"
    """It changes no verdict (notes, aftercare, expectations: advice only)."""


def _to_effect(value: Any) -> Any:
    return coerce(Effect, value)


#: What a change is about (SPEC 6.6), in the order a diff lists them.
CHANGE_KINDS: Final = (
    "party-added",
    "party-removed",
    "window-changed",
    "protocol-changed",
    "limit-added",
    "limit-removed",
    "limit-changed",
    "grant-added",
    "grant-removed",
    "grant-changed",
)


@attrs.frozen(kw_only=True)
class Change:
    """One change a counter-proposal makes, and what it can do to verdicts.

    Attributes:
        party: Whose consent it touches (the grant's or limit's party); None
            for window, party and protocol changes, which touch everyone.
        what: ``grant-added``, ``grant-removed``, ``grant-changed``,
            ``limit-added``, ``limit-removed``, ``limit-changed``,
            ``window-changed``, ``party-added``, ``party-removed`` or
            ``protocol-changed``.
        path_old: The JSON path into the old terms; None when absent there.
        path_new: The JSON path into the new terms; None when absent there.
        effect: WIDENS, NARROWS or NEUTRAL.
        message: One line for people.
    """

    party: str | None = attrs.field(validator=v.optional(v.party_id))
    what: str = attrs.field(validator=v.party_id)
    path_old: str | None = attrs.field(validator=v.optional(v.text))
    path_new: str | None = attrs.field(validator=v.optional(v.text))
    effect: Effect = attrs.field(converter=_to_effect, validator=v.enum_member(Effect))
    message: str = attrs.field(validator=v.text)

    def __attrs_post_init__(self) -> None:
        if self.what not in CHANGE_KINDS:
            choices = ", ".join(f"`{k}`" for k in CHANGE_KINDS)
            raise v.fail(
                self, "what", f"must be one of {choices}, got {v.show(self.what)}"
            )
        if self.path_old is None and self.path_new is None:
            raise v.fail(self, "path_new", "give `path_old`, `path_new` or both")

    @property
    def path(self) -> str:
        """Where the change is: the new path, or the old one when removed."""
        return self.path_new if self.path_new is not None else str(self.path_old)

    def explain(self) -> str:
        """The change as one line: effect, where, and what (record text escaped)."""
        return one_line(f"{self.effect.value:<8} {self.path}: {self.message}")


@attrs.frozen(kw_only=True)
class TermsDiff:
    """What a counter-proposal changes, change by change (SPEC 6.6).

    Attributes:
        changes: The changes, grouped by kind (parties, window, protocol,
            limits, grants) and ordered within each by what they are about.
    """

    changes: tuple[Change, ...] = attrs.field(
        default=(), converter=v.to_tuple, validator=v.instances(Change)
    )

    def __iter__(self) -> Iterator[Change]:
        return iter(self.changes)

    def __len__(self) -> int:
        return len(self.changes)

    @property
    def widened(self) -> tuple[Change, ...]:
        """The changes that can let some step be ALLOW that was not."""
        return tuple(c for c in self.changes if c.effect is Effect.WIDENS)

    @property
    def narrowed(self) -> tuple[Change, ...]:
        """The changes that can only refuse more."""
        return tuple(c for c in self.changes if c.effect is Effect.NARROWS)

    def for_party(self, party: str) -> tuple[Change, ...]:
        """The changes that ask more of `party`.

        `party`'s own widening grant and limit changes, and every widening
        change that touches everyone (window, parties, protocol).
        """
        return tuple(c for c in self.widened if c.party in (party, None))

    def explain(self, party: str | None = None) -> str:
        """Render the diff for people: what this counter asks, of `party` or all.

        With `party`, first what it asks of them (`for_party`), then what it
        asks of the others and what it narrows; record text is escaped.
        """
        asks = self.for_party(party) if party is not None else self.widened
        others = [c for c in self.widened if c not in asks]
        lines: list[str] = []
        who = "the parties" if party is None else party
        if asks:
            lines.append(one_line(f"what this counter asks of {who}:"))
            lines.extend(f"  {c.explain()}" for c in asks)
        else:
            lines.append(one_line(f"this counter asks nothing more of {who}"))
        for title, group in (
            ("it asks more of others:", others),
            ("it narrows (refuses more):", self.narrowed),
            (
                "it changes no verdict:",
                [c for c in self.changes if c.effect is Effect.NEUTRAL],
            ),
        ):
            if group:
                lines.append(title)
                lines.extend(f"  {c.explain()}" for c in group)
        return "\n".join(lines)
