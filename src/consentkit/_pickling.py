"""How records pickle (SPEC 3.5): as the tuple of their fields, never re-validated.

attrs pickles a slotted record as a dictionary of its fields and rebuilds it
field by field in a loop.  A ledger holds thousands of small records, so each
record travels as a tuple in field order instead, and comes back through a
function written for its class: nothing is validated again, as pickle is for
trusted peers running the same consentkit (documents from others go through
`loads`).  attrs itself reads such a tuple too, so a pickle stays readable by a
process that has not loaded this module.

The cycle collector is paused while such a crowd of records is made, from a
pickle or from a document (`collector_paused`).
"""

from __future__ import annotations

import contextlib
import gc
import operator
import pickle
from collections.abc import Callable, Iterator
from typing import Any

import attrs

__all__ = ["as_tuples", "collector_paused", "unpickled"]


def as_tuples(*classes: type[Any]) -> None:
    """Make each attrs record class pickle as the tuple of its fields, in order."""
    for cls in classes:
        names = tuple(field.name for field in attrs.fields(cls))
        cls.__getstate__ = _getstate(names)
        cls.__setstate__ = _setstate(cls, names)


def _getstate(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    if not names:
        return lambda _self: ()
    if len(names) == 1:
        get_one = operator.attrgetter(names[0])
        return lambda self: (get_one(self),)
    get: Callable[[Any], tuple[Any, ...]] = operator.attrgetter(*names)
    # A function, not the getter itself: only functions bind as methods.
    return lambda self: get(self)  # noqa: PLW0108


def _setstate(cls: type[Any], names: tuple[str, ...]) -> Callable[[Any, Any], None]:
    # One straight-line function per class, as attrs writes its own methods:
    # no loop and no lookups by name when thousands of records come back.
    # The names are the class's own field names, never data.
    values = [f"_{index}" for index in range(len(names))]
    lines = [
        "def __setstate__(self, state):",
        f"    ({''.join(value + ', ' for value in values)}) = state",
        *(
            f"    _set(self, {name!r}, {value})"
            for name, value in zip(names, values, strict=True)
        ),
    ]
    scope: dict[str, Any] = {"_set": object.__setattr__}
    exec("\n".join(lines), scope)  # noqa: S102  # our own field names only
    made: Callable[[Any, Any], None] = scope["__setstate__"]
    made.__qualname__ = f"{cls.__qualname__}.__setstate__"
    return made


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cycle collector meanwhile; start it again after, if it ran before.

    Reading a ledger (from a pickle or a document) makes tens of thousands
    of small records, tuples and dictionaries, none of them in a cycle;
    each 700 of them would start a collection that walks the young objects
    (and now and then the whole heap) for nothing.  Nothing the collector
    would have freed is lost, only freed later.
    """
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()


def unpickled(data: bytes) -> Any:
    """`pickle.loads` of our own bytes, with the cycle collector paused meanwhile."""
    with collector_paused():
        return pickle.loads(data)  # noqa: S301  # our own bytes (SPEC 3.5)
