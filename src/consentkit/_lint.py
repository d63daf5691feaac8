"""Lint terms before anyone accepts them (SPEC 6.5): CK401-CK414; lists: CK415.

Lint reads only the terms, the catalog, the coverage questions the engine's
rules ask too (`consentkit._coverage`) and, given a ledger, the standing
limits in effect at the window's start.  It never runs the engine: it is to
the engine what a validator is to an evaluator, and where they overlap they
agree (a grant lint calls dead is never used for an ALLOW; CK405, CK406 and
CK407 are the engine's CK110, CK111 and CK112 found before the scene).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from consentkit._catalog import Catalog, covers, default_catalog
from consentkit._coverage import (
    NAMED_TAGS,
    addresses,
    covered,
    known_limit,
    limit_reaches,
    reached,
    taken,
    usable,
)
from consentkit._preferences import POSITIVE, Preference, Preferences, Rating
from consentkit._reports import LINT_CODES, LintFinding, LintReport
from consentkit._serialize import digest
from consentkit._terms import (
    CheckInWithin,
    ConfirmFirst,
    Equipment,
    Grant,
    Limit,
    LimitKind,
    MaxDuration,
    NonverbalSignal,
    Role,
    SignalKind,
    SignalMeaning,
    Terms,
    describe_condition,
)
from consentkit._text import one_line

if TYPE_CHECKING:
    from consentkit._ledger import Ledger

__all__ = ["lint", "lint_preferences"]


def _finding(
    code: str, message: str, path: str, refs: Iterable[str] = (), hint: str = ""
) -> LintFinding:
    name, severity, _ = LINT_CODES[code]
    return LintFinding(
        code=code,
        rule=name,
        severity=severity,
        message=message,
        path=path,
        refs=tuple(refs),
        hint=hint,
    )


def _listed(items: Iterable[str], last: str = "and") -> str:
    shown = [f"`{one_line(item)}`" for item in items]
    if len(shown) <= 1:
        return "".join(shown)
    return f"{', '.join(shown[:-1])} {last} {shown[-1]}"


def _nearest(word: str, choices: Iterable[str]) -> list[str]:
    """The closest of `choices`, and any others nearly as close."""
    found = difflib.get_close_matches(word, sorted(choices), n=3, cutoff=0.6)
    if not found:
        return []

    def ratio(other: str) -> float:
        return difflib.SequenceMatcher(None, word, other).ratio()

    best = ratio(found[0])
    return [other for other in found if ratio(other) >= best - 0.05]


def _did_you_mean(word: str, choices: Iterable[str], what: str) -> str:
    found = _nearest(word, choices)
    if found:
        return f"did you mean {_listed(found, 'or')}?"
    return what


class _Limits:
    """The limits lint counts: the terms' own and, with a ledger, standing ones."""

    def __init__(self, terms: Terms, ledger: Ledger | None) -> None:
        items = list(terms.limits)
        if ledger is not None:
            # SPEC 6.5: the standing limits in effect at the window's start.
            state = ledger.state_at(terms.window.start)
            own = set(items)
            for party in sorted(terms.parties):
                for limit in state.limits(party):
                    if limit not in own:
                        items.append(limit)
                        own.add(limit)
        self._by: dict[tuple[str, Role, LimitKind], list[Limit]] = {}
        for limit in items:
            for role in limit.roles:
                key = (limit.party, role, limit.kind)
                self._by.setdefault(key, []).append(limit)
        self._refs: dict[Limit, str] = {}

    def of(self, party: str, role: Role, kind: LimitKind) -> list[Limit]:
        """The limits of `party` of `kind` binding them in `role`."""
        return self._by.get((party, role, kind), [])

    def ref(self, limit: Limit) -> str:
        """The limit's digest: a ref that does not depend on the limits' order."""
        found = self._refs.get(limit)
        if found is None:
            found = self._refs[limit] = digest(limit)
        return found


class _Lint:
    """One run of lint over one terms document."""

    def __init__(self, terms: Terms, catalog: Catalog, ledger: Ledger | None) -> None:
        self.terms = terms
        self.catalog = catalog
        self.protocol = terms.protocol
        self.limits = _Limits(terms, ledger)
        self.found: list[LintFinding] = []
        self.known = [g.activity in catalog for g in terms.grants]
        self._covered: dict[tuple[str, bool], tuple[str, ...]] = {}
        self._reached: dict[tuple[str | None, str | None], frozenset[str]] = {}
        self.stops = tuple(
            s for s in self.protocol.signals if s.meaning is SignalMeaning.STOP
        )

    def add(
        self,
        code: str,
        message: str,
        path: str,
        refs: Iterable[str] = (),
        hint: str = "",
    ) -> None:
        self.found.append(_finding(code, message, path, refs, hint))

    def covered(self, grant: Grant) -> tuple[str, ...]:
        key = (grant.activity, grant.include_subtypes)
        found = self._covered.get(key)
        if found is None:
            found = self._covered[key] = covered(grant, self.catalog)
        return found

    def reached(self, limit: Limit) -> frozenset[str]:
        key = (limit.activity, limit.tag)
        found = self._reached.get(key)
        if found is None:
            found = self._reached[key] = reached(limit, self.catalog)
        return found

    def run(self) -> LintReport:
        self.unknown_ids()
        self.dead_grants()
        self.one_sided_and_caps()
        self.unmeetable_conditions()
        self.stop_signals()
        self.equipment()
        self.authority()
        self.catalog_mismatch()
        self.aftercare()
        self.explicit_only()
        if not self.protocol.sobriety_required:
            self.add(
                "CK413",
                "the protocol does not require sobriety: a party declared impaired "
                "does not stop play (CK109)",
                "protocol.sobriety_required",
                hint="set `sobriety_required` to true unless every party means it",
            )
        self.soft_limits()
        return LintReport(findings=tuple(self.found))

    # -- CK401 ------------------------------------------------------------------

    def unknown_ids(self) -> None:
        catalog = self.catalog
        ids = [a.id for a in catalog.activities]
        listing = (
            f"use an activity of catalog `{one_line(catalog.name)}` "
            "(`consentkit catalog` lists them)"
        )
        for i, grant in enumerate(self.terms.grants):
            if not self.known[i]:
                self.add(
                    "CK401",
                    f"grant `{grant.id}` names activity `{grant.activity}`, which is "
                    f"not in catalog `{catalog.name}`: no step can use it",
                    f"grants[{i}].activity",
                    (grant.id,),
                    _did_you_mean(grant.activity, ids, listing),
                )
        tags = NAMED_TAGS | catalog.tags
        for i, limit in enumerate(self.terms.limits):
            if known_limit(limit, catalog):
                continue
            if limit.activity is not None:
                what, path = f"activity `{limit.activity}`", f"limits[{i}].activity"
                hint = _did_you_mean(limit.activity, ids, listing)
            else:
                what, path = f"tag `{limit.tag}`", f"limits[{i}].tag"
                hint = _did_you_mean(
                    str(limit.tag), tags, f"use a tag such as {_listed(sorted(tags))}"
                )
            self.add(
                "CK401",
                f"{limit.party}'s {limit.kind.value} limit names {what}, which "
                f"catalog `{catalog.name}` does not know: nobody can tell what it "
                "forbids, so every step of that party in its roles would be "
                "refused (CK117)",
                path,
                (digest(limit),),
                hint,
            )
        for i, authority in enumerate(self.protocol.authority):
            for j, scope in enumerate(sorted(authority.scope or ())):
                if scope not in catalog:
                    self.add(
                        "CK401",
                        f"the authority of {authority.holder} over "
                        f"{authority.subject} names activity `{scope}`, which is not "
                        f"in catalog `{catalog.name}`",
                        f"protocol.authority[{i}].scope[{j}]",
                        (),
                        _did_you_mean(scope, ids, listing),
                    )

    # -- CK402 ------------------------------------------------------------------

    def dead_grants(self) -> None:
        for i, grant in enumerate(self.terms.grants):
            if not self.known[i]:
                continue
            hard = self.limits.of(grant.party, grant.role, LimitKind.HARD)
            if not hard:
                continue
            activities = self.covered(grant)
            known = [lim for lim in hard if known_limit(lim, self.catalog)]
            reachable = set().union(*(self.reached(lim) for lim in known))
            if all(x in reachable for x in activities):
                reaching = [
                    self.limits.ref(lim)
                    for lim in known
                    if not self.reached(lim).isdisjoint(activities)
                ]
                what = "it" if len(activities) == 1 else "everything it covers"
                self.add(
                    "CK402",
                    f"grant `{grant.id}` can never be used: {grant.party}'s hard "
                    f"limits reach {what} in role {grant.role.value}",
                    f"grants[{i}]",
                    (grant.id, *sorted(set(reaching))),
                    "remove the grant, or renegotiate the limit",
                )

    # -- CK403 and CK410 ----------------------------------------------------------

    def one_sided_and_caps(self) -> None:  # noqa: C901  # both sides, one index
        grants = self.terms.grants
        by_activity: dict[Role, dict[str, list[int]]] = {
            Role.GIVE: {},
            Role.RECEIVE: {},
        }
        for i, grant in enumerate(grants):
            if grant.role is Role.WITNESS:
                continue
            for activity in self.covered(grant):
                by_activity[grant.role].setdefault(activity, []).append(i)
        for i, grant in enumerate(grants):
            if grant.role is Role.WITNESS:
                continue
            other = Role.RECEIVE if grant.role is Role.GIVE else Role.GIVE
            index = by_activity[other]
            matches: dict[int, None] = {}
            for activity in self.covered(grant):
                for j in index.get(activity, ()):
                    if j not in matches and _admit(grant, grants[j]):
                        matches[j] = None
            if not matches:
                needed = "RECEIVE" if grant.role is Role.GIVE else "GIVE"
                self.add(
                    "CK403",
                    f"grant `{grant.id}` ({grant.party} {grant.role.value}s "
                    f"`{grant.activity}`) has no {needed} grant of a counterparty "
                    "to match it: no step can use it, both sides are needed",
                    f"grants[{i}]",
                    (grant.id,),
                    f"add the counterparty's {needed} grant, or remove this one",
                )
            elif grant.role is Role.GIVE:
                self.caps(i, grant, sorted(matches))

    def caps(self, i: int, give: Grant, matches: Sequence[int]) -> None:
        for j in matches:
            receive = self.terms.grants[j]
            if give.max_intensity == receive.max_intensity:
                continue
            caps = [g.max_intensity for g in (give, receive)]
            lower = min(c for c in caps if c is not None)
            higher, k = (give, i) if _cap(give) > _cap(receive) else (receive, j)

            def shown(cap: int | None) -> str:
                return "no cap" if cap is None else f"cap {cap}"

            self.add(
                "CK410",
                f"grants `{give.id}` ({shown(give.max_intensity)}) and "
                f"`{receive.id}` ({shown(receive.max_intensity)}) match: the "
                f"lower cap, {lower}, holds",
                f"grants[{k}]",
                (give.id, receive.id),
                f"agree on one cap; `{higher.id}` may as well say {lower}",
            )

    # -- CK404 ------------------------------------------------------------------

    def unmeetable_conditions(self) -> None:  # noqa: C901  # one branch per kind
        protocol = self.protocol
        nonverbal_stop = any(s.kind is SignalKind.NONVERBAL for s in self.stops)
        for i, grant in enumerate(self.terms.grants):
            for j, condition in enumerate(grant.conditions):
                hint = ""
                if isinstance(condition, MaxDuration | ConfirmFirst):
                    continue
                if isinstance(condition, CheckInWithin):
                    interval = protocol.check_in_minutes
                    if interval is not None and interval <= condition.minutes:
                        continue
                    why = (
                        "the protocol sets no check-in interval"
                        if interval is None
                        else f"the protocol's check-in interval is {interval} min"
                    )
                    hint = f"set `check_in_minutes` to at most {condition.minutes}"
                elif isinstance(condition, NonverbalSignal):
                    if nonverbal_stop:
                        continue
                    why = "the protocol has no non-verbal STOP signal"
                    hint = "add a non-verbal STOP signal to the protocol"
                elif isinstance(condition, Equipment):
                    if condition.item in protocol.equipment:
                        continue
                    why = "the protocol does not list it"
                    hint = f"add `{condition.item}` to the protocol's equipment"
                else:
                    if self.spotter_can_witness(grant, condition.party):
                        continue
                    why = (
                        f"{condition.party} has no WITNESS grant on "
                        f"`{grant.activity}`, so cannot be present"
                    )
                    hint = (
                        f"add a WITNESS grant of {condition.party} on "
                        f"`{grant.activity}`"
                    )
                self.add(
                    "CK404",
                    f"grant `{grant.id}` needs {describe_condition(condition)}, "
                    f"but {why}: it can never be met",
                    f"grants[{i}].conditions[{j}]",
                    (grant.id,),
                    hint,
                )

    def spotter_can_witness(self, grant: Grant, spotter: str) -> bool:
        mine = set(self.covered(grant))
        return any(
            g.party == spotter
            and g.role is Role.WITNESS
            and not mine.isdisjoint(self.covered(g))
            for g in self.terms.grants
        )

    # -- CK405, CK406 ---------------------------------------------------------

    def stop_signals(self) -> None:
        if not self.stops:
            self.add(
                "CK405",
                "the protocol defines no STOP signal: every step would be refused "
                "(CK110)",
                "protocol.signals",
                (),
                "add a STOP signal: a spoken safeword, and a non-verbal one for "
                "when speech is taken",
            )
            return
        cues = _listed(s.cue for s in self.stops)
        for i, grant in enumerate(self.terms.grants):
            if grant.role is not Role.RECEIVE or not self.known[i]:
                continue
            gone = taken(self.catalog.risk_tags(grant.activity))
            if not gone or any(usable(s, gone) for s in self.stops):
                continue
            lost = " and ".join(sorted(gone))
            self.add(
                "CK406",
                f"{grant.party} could not signal STOP during `{grant.activity}` "
                f"(grant `{grant.id}`): it takes away {lost}, and every STOP signal "
                f"({cues}) needs it",
                f"grants[{i}]",
                (grant.id,),
                f"add a non-verbal STOP signal that needs none of {lost} "
                "(dropping a held object needs only `free_hand`)",
            )

    # -- CK407 ------------------------------------------------------------------

    def equipment(self) -> None:
        listed = self.protocol.equipment
        for i, grant in enumerate(self.terms.grants):
            if not self.known[i]:
                continue
            missing = self.catalog.required_equipment(grant.activity) - listed
            if missing:
                items = _listed(sorted(missing))
                self.add(
                    "CK407",
                    f"grant `{grant.id}` on `{grant.activity}` needs {items}, not "
                    "listed in the protocol: every step on it would be refused "
                    "(CK112)",
                    f"grants[{i}]",
                    (grant.id,),
                    f"add {items} to the protocol's equipment",
                )

    # -- CK408 ------------------------------------------------------------------

    def authority(self) -> None:
        for i, authority in enumerate(self.protocol.authority):
            scope = authority.scope
            own = [g for g in self.terms.grants if g.party == authority.subject]
            if scope is None:
                granted = bool(own)
            else:
                granted = any(
                    covers(s, x) for g in own for x in self.covered(g) for s in scope
                )
            if granted:
                continue
            where = "" if scope is None else f" in its scope ({_listed(sorted(scope))})"
            self.add(
                "CK408",
                f"{authority.holder} has authority over {authority.subject}, who "
                f"grants nothing{where}: it directs nothing",
                f"protocol.authority[{i}]",
                (),
                f"narrow the scope to what {authority.subject} grants, or remove it",
            )

    # -- CK409 ------------------------------------------------------------------

    def catalog_mismatch(self) -> None:
        terms, catalog = self.terms, self.catalog
        if terms.catalog == catalog.name and terms.catalog_version == catalog.version:
            return
        path = "catalog" if terms.catalog != catalog.name else "catalog_version"
        self.add(
            "CK409",
            f"the terms were negotiated against catalog `{terms.catalog}` version "
            f"{terms.catalog_version}, linted against `{catalog.name}` version "
            f"{catalog.version}: activities may mean other things",
            path,
            (),
            f"lint against catalog `{terms.catalog}` version "
            f"{terms.catalog_version}, or renegotiate against this one",
        )

    # -- CK411 ------------------------------------------------------------------

    def aftercare(self) -> None:
        cared = {care.party for care in self.protocol.aftercare}
        if None in cared:
            return
        parties = sorted(self.terms.parties)
        for i, grant in enumerate(self.terms.grants):
            cap = grant.max_intensity
            psychological = self.known[i] and "psychological" in (
                self.catalog.risk_tags(grant.activity)
            )
            if not (cap is None or cap >= 7 or psychological):
                continue
            others = grant.counterparties or frozenset(parties) - {grant.party}
            missing = [p for p in sorted({grant.party, *others}) if p not in cared]
            if not missing:
                continue
            why = (
                f"on the psychological activity `{grant.activity}`"
                if psychological
                else "uncapped"
                if cap is None
                else f"at a cap of {cap}"
            )
            self.add(
                "CK411",
                f"grant `{grant.id}` is {why}, and "
                f"{', '.join(missing)} {'has' if len(missing) == 1 else 'have'} "
                "no aftercare",
                f"grants[{i}]",
                (grant.id,),
                "add aftercare for them (or for everyone) to the protocol",
            )

    # -- CK412 ------------------------------------------------------------------

    def explicit_only(self) -> None:
        catalog = self.catalog
        for i, grant in enumerate(self.terms.grants):
            if not grant.include_subtypes or not self.known[i]:
                continue
            inside = set(self.covered(grant))
            left: list[str] = []
            for x in catalog.descendants(grant.activity):
                if x in inside or any(covers(y, x) for y in left):
                    continue
                if catalog.explicit_barrier(x) == x:  # explicit_only itself
                    left.append(x)
            if left:
                self.add(
                    "CK412",
                    f"grant `{grant.id}` covers `{grant.activity}` and beneath it, "
                    f"but not the explicit-only {_listed(left)}",
                    f"grants[{i}]",
                    (grant.id,),
                    f"grant {_listed(left, 'or')} by name if meant",
                )

    # -- CK414 ------------------------------------------------------------------

    def soft_limits(self) -> None:
        for i, grant in enumerate(self.terms.grants):
            if not self.known[i]:
                continue
            soft = self.limits.of(grant.party, grant.role, LimitKind.SOFT)
            hits = [
                limit
                for limit in soft
                if known_limit(limit, self.catalog)
                and limit_reaches(limit, grant.activity, self.catalog)
                and addresses(limit, grant.activity, grant.activity)
            ]
            if not hits:
                continue
            targets = _listed(
                sorted(
                    str(lim.activity) if lim.activity is not None else f"tag {lim.tag}"
                    for lim in hits
                )
            )
            self.add(
                "CK414",
                f"grant `{grant.id}` addresses {grant.party}'s own soft limit on "
                f"{targets}: the limit will not ask in the scene",
                f"grants[{i}]",
                (grant.id, *sorted({self.limits.ref(lim) for lim in hits})),
                "add `ConfirmFirst` to the grant if the limit should still ask",
            )


def _cap(grant: Grant) -> int:
    return 11 if grant.max_intensity is None else grant.max_intensity


def _admit(grant: Grant, other: Grant) -> bool:
    """Whether two grants of opposite sides can serve one step together."""
    if grant.party == other.party:
        return False
    return (grant.counterparties is None or other.party in grant.counterparties) and (
        other.counterparties is None or grant.party in other.counterparties
    )


def lint(
    terms: Terms, catalog: Catalog | None = None, *, ledger: Ledger | None = None
) -> LintReport:
    """Check terms before anyone accepts them (SPEC 6.5).

    Args:
        terms: The proposed terms.
        catalog: The catalog to read activities from (default: the shipped one).
        ledger: When given, the standing limits of the terms' parties in
            effect at the window's start count as well as the terms' own.

    Returns:
        The findings, sorted by code and then by path.

    Raises:
        TypeError: An argument is of the wrong kind.

    Example:
        >>> from datetime import datetime, timezone
        >>> from consentkit import (Grant, Protocol, Role, Signal, Terms, Window,
        ...                         lint)
        >>> at = datetime(2026, 3, 7, 19, tzinfo=timezone.utc)
        >>> terms = Terms(
        ...     parties={"ann", "bo"},
        ...     window=Window(start=at, end=at.replace(hour=22)),
        ...     grants=[
        ...         Grant(id="g1", party="ann", role=Role.GIVE,
        ...               activity="impact.floging"),
        ...     ],
        ...     protocol=Protocol(
        ...         signals=[Signal(cue="red", kind="verbal", meaning="stop")]),
        ... )
        >>> report = lint(terms)
        >>> report.findings[0].path, report.findings[0].hint
        ('grants[0].activity', 'did you mean `impact.flogging`?')
    """
    if not isinstance(terms, Terms):
        raise TypeError(f"lint needs `Terms`, got `{type(terms).__name__}`")
    if catalog is None:
        catalog = default_catalog()
    elif not isinstance(catalog, Catalog):
        raise TypeError(f"catalog must be a `Catalog`, got `{type(catalog).__name__}`")
    if ledger is not None:
        from consentkit._ledger import Ledger  # noqa: PLC0415  # only when given

        if not isinstance(ledger, Ledger):
            raise TypeError(f"ledger must be a `Ledger`, got `{type(ledger).__name__}`")
    return _Lint(terms, catalog, ledger).run()


def _shadowing(
    entry: Preference, hard_nos: Sequence[tuple[str, Role | None]]
) -> tuple[str, Role | None] | None:
    """The party's own HARD_NO that a positive `entry` lies beneath, if any."""
    if entry.rating not in POSITIVE:
        return None
    for activity, role in hard_nos:
        if (activity, role) == (entry.activity, entry.role):
            continue
        if (role is None or role is entry.role) and covers(activity, entry.activity):
            return activity, role
    return None


def lint_preferences(
    preferences: Preferences, catalog: Catalog | None = None
) -> LintReport:
    """Check a preference list before it is compared or drafted (SPEC 6.5).

    CK401 for an entry on an activity the catalog lacks (with the nearest
    ids as a hint), CK415 for a positive rating beneath the party's own
    HARD_NO — the hard no wins, so the yes can never count — and CK409 for a
    list rated against another catalog or version.  Paths point into the
    ``preferences`` document (``entries[3].activity``).

    Args:
        preferences: One party's list.
        catalog: The catalog to read activities from (default: the shipped one).

    Returns:
        The findings, sorted by code and then by path.

    Raises:
        TypeError: An argument is of the wrong kind.

    Example:
        >>> from consentkit import Preference, Preferences, lint_preferences
        >>> prefs = Preferences(party="bo", entries=[
        ...     Preference(activity="impact", role=None, rating="hard_no"),
        ...     Preference(activity="impact.crop", role="receive", rating="yes"),
        ...     Preference(activity="impact.floging", role="receive", rating="yes"),
        ... ])
        >>> [(f.code, f.path) for f in lint_preferences(prefs)]
        [('CK401', 'entries[2].activity'), ('CK415', 'entries[1].rating')]
    """
    if not isinstance(preferences, Preferences):
        raise TypeError(
            f"lint_preferences needs `Preferences`, got `{type(preferences).__name__}`"
        )
    if catalog is None:
        catalog = default_catalog()
    elif not isinstance(catalog, Catalog):
        raise TypeError(f"catalog must be a `Catalog`, got `{type(catalog).__name__}`")
    found: list[LintFinding] = []
    party = one_line(preferences.party)
    ids = [a.id for a in catalog.activities]
    hard_nos = [
        (entry.activity, entry.role)
        for entry in preferences.entries
        if entry.rating is Rating.HARD_NO
    ]
    for i, entry in enumerate(preferences.entries):
        if entry.activity not in catalog:
            found.append(
                _finding(
                    "CK401",
                    f"{party} rates `{entry.activity}`, which is not in catalog "
                    f"`{one_line(catalog.name)}`: compare and draft_terms refuse "
                    "the list until it is corrected",
                    f"entries[{i}].activity",
                    (),
                    _did_you_mean(
                        entry.activity,
                        ids,
                        "use an activity of the catalog (`consentkit catalog`)",
                    ),
                )
            )
            continue
        shadow = _shadowing(entry, hard_nos)
        if shadow is not None:
            activity, role = shadow
            where = "any role" if role is None else f"role `{role.value}`"
            found.append(
                _finding(
                    "CK415",
                    f"{party} rates `{entry.activity}` {entry.rating.value} as "
                    f"`{entry.role.value if entry.role else 'any'}`, beneath their "
                    f"own hard no on `{activity}` in {where}: the hard no wins, so "
                    "this rating never counts",
                    f"entries[{i}].rating",
                    (),
                    f"remove the rating, or narrow the hard no on `{activity}`",
                )
            )
    if (preferences.catalog, preferences.catalog_version) != (
        catalog.name,
        catalog.version,
    ):
        path = "catalog" if preferences.catalog != catalog.name else "catalog_version"
        found.append(
            _finding(
                "CK409",
                f"{party}'s list was rated against catalog "
                f"`{one_line(preferences.catalog)}` version "
                f"{preferences.catalog_version}, linted against "
                f"`{one_line(catalog.name)}` version {catalog.version}",
                path,
                (),
                "rate the list again against this catalog",
            )
        )
    return LintReport(findings=tuple(found))
