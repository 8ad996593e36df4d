"""Checks every piece of evidence passes before it is written, whatever its class.

The user's own attrs validators run when the value is built; these run when it
is recorded, so that hostile or careless input cannot reach the log: values of
the wrong type for their annotation, NaN and infinities, huge or control-laden
strings, naive or future timestamps, huge collections.
"""

from __future__ import annotations

import enum
import math
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

import attrs

from campaignflow.exceptions import EvidenceError

MAX_TEXT = 100_000
MAX_ITEMS = 10_000
MAX_DEPTH = 8
FUTURE_SLACK = timedelta(days=1)  # clocks disagree; a day ahead is a typo, not skew
CONTROL = frozenset(chr(c) for c in range(32)) - {"\n", "\t", "\r"}


def check_evidence(unit: str, value: object, now: datetime) -> None:
    """Raise :class:`EvidenceError` naming the field and the fix if ``value`` is unsafe."""
    if not attrs.has(type(value)):
        msg = f"unit {unit!r}: evidence must be an instance of an attrs class, got {type(value).__name__}"
        raise EvidenceError(msg, unit=unit)
    _check(unit, type(value).__name__, value, now, depth=0)


def _check(unit: str, where: str, value: Any, now: datetime, depth: int) -> None:
    if depth > MAX_DEPTH:
        _fail(unit, where, f"nested deeper than {MAX_DEPTH} levels")
    cls = type(value)
    attrs.resolve_types(cls)
    for f in attrs.fields(cls):
        _value(unit, f"{where}.{f.name}", f.type, getattr(value, f.name), now, depth)


def _fail(unit: str, where: str, problem: str) -> None:
    msg = f"unit {unit!r}: evidence field {where} {problem}"
    raise EvidenceError(msg, unit=unit)


def _value(unit: str, where: str, tp: Any, value: Any, now: datetime, depth: int) -> None:  # noqa: C901, PLR0912, PLR0917
    if value is None:
        return
    _type_matches(unit, where, tp, value)
    if isinstance(value, bool | enum.Enum | int):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            _fail(unit, where, f"is {value!r}: record a finite number")
    elif isinstance(value, str):
        if len(value) > MAX_TEXT:
            _fail(unit, where, f"is {len(value)} characters long: keep it under {MAX_TEXT}")
        if not CONTROL.isdisjoint(value):
            _fail(unit, where, "contains control characters: remove them")
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
            _value(unit, f"{where}[{k!r}]", Any, item, now, depth + 1)
    elif attrs.has(type(value)):
        _check(unit, where, value, now, depth + 1)
    else:
        _fail(unit, where, f"is a {type(value).__name__}: store str, numbers, dates, tuples or attrs values")


def _inner(tp: Any) -> Any:
    args = typing.get_args(tp)
    return args[0] if args else Any


def _type_matches(unit: str, where: str, tp: Any, value: Any) -> None:
    """Refuse a value whose type contradicts a plain annotation (str, int, float, bool, dates)."""
    options = typing.get_args(tp) if typing.get_origin(tp) in (typing.Union, types.UnionType) else (tp,)
    plain = [o for o in options if o in (str, int, float, bool, datetime, date)]
    if not plain or len(plain) != len(options):
        return  # generics, enums, attrs classes, Any: checked by shape below, or by the user's validators
    ok = False
    for o in plain:
        if o is float:
            ok = ok or (isinstance(value, int | float) and not isinstance(value, bool))
        elif o is int:
            ok = ok or (isinstance(value, int) and not isinstance(value, bool))
        elif o is date:
            ok = ok or isinstance(value, date)
        else:
            ok = ok or isinstance(value, o)
    if not ok:
        names = " or ".join(o.__name__ for o in plain)
        _fail(unit, where, f"is a {type(value).__name__} ({value!r:.40}), expected {names}")
