"""Activities, catalogs and a venue's house rules."""

from __future__ import annotations

from hypothesis import strategies as st

from consentkit._catalog import Activity, Catalog
from consentkit.rules import HouseRules
from consentkit.testing._draw import (
    _ANY_SEGMENT,
    _ANY_TEXT,
    _EQUIPMENT,
    _SEGMENTS,
    CatalogArg,
    _Acts,
    _any_activity,
    _int,
    _pick,
    _rarely,
    _resolve,
    _roll,
    _tag,
    _text,
)


def _label(draw: st.DrawFn, activity: str) -> str:
    label = activity.rsplit(".", 1)[-1].replace("_", " ").strip().capitalize()
    if _rarely(draw, 6) or not label:
        return draw(_ANY_TEXT.filter(str.strip))
    return label


@st.composite
def activities(
    draw: st.DrawFn,
    *,
    ids: st.SearchStrategy[str] | None = None,
    tags: st.SearchStrategy[str] | None = None,
    requires: st.SearchStrategy[str] | None = None,
) -> Activity:
    """Activities with a few risk tags and, sometimes, required equipment."""
    activity = _any_activity(draw) if ids is None else draw(ids)
    tagged = (
        {_tag(draw) for _ in range(_int(draw, 0, 2))}
        if tags is None
        else draw(st.frozensets(tags, max_size=3))
    )
    needs: frozenset[str] = frozenset()
    if _rarely(draw, 4):
        needs = frozenset(
            {_pick(draw, _EQUIPMENT) if requires is None else draw(requires)}
        )
    return Activity(
        id=activity,
        label=_label(draw, activity),
        tags=frozenset(tagged),
        requires=needs,
        description=_text(draw),
    )


@st.composite
def catalogs(  # noqa: PLR0913  # each shape of a catalog is a knob
    draw: st.DrawFn,
    *,
    names: st.SearchStrategy[str] | None = None,
    min_size: int = 1,
    max_size: int = 12,
    max_depth: int = 4,
    tags: st.SearchStrategy[str] | None = None,
    requires: st.SearchStrategy[str] | None = None,
) -> Catalog:
    """Catalogs closed under ancestors, at most `max_depth` levels deep.

    About one activity in three carries a tag (``explicit_only``,
    ``impairs_speech``, ``restrains_hands`` and ``impairs_vision`` most
    often), and one in eight requires equipment.
    """
    low = max(1, min_size)
    ids: list[str] = []
    for _ in range(_int(draw, low, max(low, max_size))):
        parents = [a for a in ids if a.count(".") + 1 < max_depth]
        choice, odd, common = _roll(draw, len(parents) + 1, 4, len(_SEGMENTS))
        prefix = f"{parents[choice - 1]}." if choice else ""
        segment = draw(_ANY_SEGMENT) if odd == 3 else _SEGMENTS[common]
        new, suffix = prefix + segment, 1
        while new in ids:
            suffix += 1
            new = f"{prefix}{segment}{suffix}"
        ids.append(new)
    built: list[Activity] = []
    for activity in ids:
        tag_count, needing, labelled = _roll(draw, 9, 8, 6)
        tagged: set[str] = set()
        for _ in range(0 if tag_count < 6 else (1 if tag_count < 8 else 2)):
            tagged.add(_tag(draw) if tags is None else draw(tags))
        needs: set[str] = set()
        if needing == 7:
            needs.add(_pick(draw, _EQUIPMENT) if requires is None else draw(requires))
        label = activity.rsplit(".", 1)[-1].replace("_", " ").strip().capitalize()
        if labelled == 5 or not label:
            label = draw(_ANY_TEXT.filter(str.strip))
        built.append(
            Activity(
                id=activity,
                label=label,
                tags=frozenset(tagged),
                requires=frozenset(needs),
            )
        )
    name = _pick(draw, ("test", "house")) if names is None else draw(names)
    version = _int(draw, 1, 3) if not _rarely(draw, 8) else _int(draw, 1, 2**31 - 1)
    return Catalog(name=name, version=version, activities=tuple(built))


@st.composite
def house_rules(draw: st.DrawFn, *, catalog: CatalogArg = None) -> HouseRules:
    """A venue's house rules: a few banned activity subtrees and tags."""
    acts = _Acts.of(_resolve(draw, catalog))
    return HouseRules(
        banned_activities=frozenset(
            acts.activity(draw) for _ in range(_int(draw, 0, 2))
        ),
        banned_tags=frozenset(acts.tag(draw) for _ in range(_int(draw, 0, 2))),
    )
