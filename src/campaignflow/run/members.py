"""Which units a stored run was started with, so that ``open`` can compare them with the org.

A run's log names only the units that were written to; the units it was started
with are kept beside it: in the SQL store's metadata (key ``units``, a JSON list
written at start and when ``open(new_units="start")`` adds units), and for an
in-memory store in a table of this process (a memory store lives no longer).
A store written before this was kept gives ``None``: only its written units can
be compared.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

import orjson

KEY = "units"

_memory: weakref.WeakKeyDictionary[Any, frozenset[str]] = weakref.WeakKeyDictionary()


def remember(store: Any, units: Iterable[str]) -> None:
    """Keep ``units`` as the units ``store``'s run holds."""
    listed = list(units)
    set_meta = getattr(store, "set_meta", None)
    if set_meta is not None:
        set_meta(KEY, orjson.dumps(listed).decode())
        return
    try:
        _memory[store] = frozenset(listed)
    except TypeError:  # a store object that takes no weak reference: nothing kept
        return


def started(store: Any) -> frozenset[str] | None:
    """The units ``store``'s run holds, or ``None`` when they were not kept."""
    meta = getattr(store, "meta", None)
    if meta is not None:
        value = meta(KEY)
        return None if value is None else frozenset(orjson.loads(value))
    try:
        return _memory.get(store)
    except TypeError:
        return None
