"""Checks every piece of evidence passes before it is written, whatever its class.

The user's own attrs validators run when the value is built; these run when it
is recorded, so that hostile or careless input cannot reach the log: NaN and
infinities, integers outside 64 bits, lone surrogates, huge or control-laden
strings, naive or future timestamps, huge collections. Then the converter
(:mod:`campaignflow.store.convert`) refuses a value whose shape contradicts its
annotation and gives back the value every store will read. A value of plain
fields, each of exactly its annotated type, is checked in one pass instead
(:mod:`campaignflow.store.plain`): what that pass accepts, the whole way
accepts too and gives back equal, field for field and type for type.
"""

from __future__ import annotations

import enum
import math
import typing
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import attrs

from campaignflow.exceptions import EvidenceError
from campaignflow.store.convert import conform
from campaignflow.store.limits import (
    CONTROL,
    FUTURE_SLACK,
    INT_MAX,
    INT_MIN,
    MAX_DEPTH,
    MAX_ITEMS,
    MAX_TEXT,
    UNSAFE,
)
from campaignflow.store.plain import Plan, plan

_PLANS: dict[type[Any], Plan | None] = {}
"""Each class's one pass (None: its values go the whole way), worked out when first recorded."""


def check_evidence(unit: str, value: object, now: datetime) -> Any:
    """``value`` as every store gives it back, after checking it is safe to store.

    Raises:
        EvidenceError: naming the unit, the class, the field and the fix.
    """
    cls = type(value)
    try:
        one = _PLANS[cls]
    except KeyError:
        one = _PLANS[cls] = plan(cls)
    if one is not None:
        back = one.back(value, now)
        if back is not None:
            return back
    return check_whole(unit, value, now)


def check_whole(unit: str, value: object, now: datetime) -> Any:
    """:func:`check_evidence` the whole way: the walk, then msgspec's round trip and comparison.

    Raises:
        EvidenceError: naming the unit, the class, the field and the fix.
    """
    if not attrs.has(type(value)):
        msg = f"unit {unit!r}: evidence must be an instance of an attrs class, got {type(value).__name__}"
        raise EvidenceError(msg, unit=unit)
    _check(unit, type(value).__name__, value, now, depth=0)
    return conform(unit, value)


def _check(unit: str, where: str, value: Any, now: datetime, depth: int) -> None:
    if depth > MAX_DEPTH:
        _fail(unit, where, f"nested deeper than {MAX_DEPTH} levels")
    cls = type(value)
    if depth == 0:  # where is the class's name: the fields' names are worked out once per class
        for name, tp, path in _fields(cls):
            _value(unit, path, tp, getattr(value, name), now, depth)
        return
    for name, tp, _ in _fields(cls):
        _value(unit, f"{where}.{name}", tp, getattr(value, name), now, depth)


_FIELDS: dict[type[Any], tuple[tuple[str, Any, str], ...]] = {}


def _fields(cls: type[Any]) -> tuple[tuple[str, Any, str], ...]:
    """``(name, annotation, "Class.name")`` of each field of the attrs class ``cls``, its types resolved."""
    found = _FIELDS.get(cls)
    if found is None:
        attrs.resolve_types(cls)
        found = _FIELDS[cls] = tuple((f.name, f.type, f"{cls.__name__}.{f.name}") for f in attrs.fields(cls))
    return found


def _fail(unit: str, where: str, problem: str) -> None:
    kind, _, path = where.partition(".")
    msg = f"unit {unit!r}: evidence field {where} {problem}"
    raise EvidenceError(msg, unit=unit, kind=kind, field=path.split(".")[0].split("[")[0])


def _value(unit: str, where: str, tp: Any, value: Any, now: datetime, depth: int) -> None:  # noqa: C901, PLR0912, PLR0917
    if type(value) is str:  # the commonest field: one scan, in C, for what the checks below refuse
        if len(value) <= MAX_TEXT and UNSAFE.search(value) is None:
            return
    elif value is None or isinstance(value, bool | enum.Enum):
        return
    if isinstance(value, int):
        if not INT_MIN <= value <= INT_MAX:
            _fail(unit, where, f"is {value}, outside 64 bits: record a number from {INT_MIN} to {INT_MAX}")
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            _fail(unit, where, f"is {value!r}: record a finite number")
    elif isinstance(value, str):
        if len(value) > MAX_TEXT:
            _fail(unit, where, f"is {len(value)} characters long: keep it under {MAX_TEXT}")
        if not CONTROL.isdisjoint(value):
            _fail(unit, where, "contains control characters: remove them")
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                _fail(unit, where, "holds a lone surrogate, which is not text: record valid Unicode")
    elif isinstance(value, datetime):
        if value.tzinfo is None:
            _fail(unit, where, f"is a naive datetime ({value.isoformat()}): give it a timezone")
        elif value > now + FUTURE_SLACK:
            _fail(unit, where, f"is in the future ({value.isoformat()}, now {now.isoformat()})")
    elif isinstance(value, date):
        return
    elif isinstance(value, list | tuple | set | frozenset):
        if len(value) > MAX_ITEMS:
            _fail(unit, where, f"holds {len(value)} items: keep it under {MAX_ITEMS}")
        inner = _inner(tp)
        for n, item in enumerate(value):
            _value(unit, f"{where}[{n}]", inner, item, now, depth + 1)
    elif isinstance(value, Mapping):
        if len(value) > MAX_ITEMS:
            _fail(unit, where, f"holds {len(value)} items: keep it under {MAX_ITEMS}")
        for k, item in value.items():
            _value(unit, f"{where} key", Any, k, now, depth + 1)
            _value(unit, f"{where}[{k!r}]", Any, item, now, depth + 1)
    elif attrs.has(type(value)):
        _check(unit, where, value, now, depth + 1)
    else:
        _fail(unit, where, f"is a {type(value).__name__}: store str, numbers, dates, tuples or attrs values")


def _inner(tp: Any) -> Any:
    args = typing.get_args(tp)
    return args[0] if args else Any
