"""Generating evidence values of a user's attrs class, with chosen fields fixed."""

from __future__ import annotations

import enum
import itertools
import math
import types
import typing
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import attrs
from hypothesis import assume
from hypothesis import strategies as st

TEXT = st.text(alphabet="abcdefghij张李王赵", min_size=1, max_size=6)
INT_EDGES = (0, 1, -1, 2, 2**31 - 1, -(2**31))
FLOAT_EDGES = (0.0, 0.5, 0.25, 0.1, -0.5, 1e9, -1e9, 5e-324)


def field_strategy(tp: Any, *, wide: bool = True) -> st.SearchStrategy[Any]:
    """A strategy for one annotated field type (the common cases of evidence fields).

    ``wide`` adds 0, negatives, fractions and the type's extremes to numbers; the
    narrow form (small positive numbers) is what a strict validator most often takes.
    """
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return st.one_of([field_strategy(a, wide=wide) for a in typing.get_args(tp) if a is not type(None)])
    if origin is tuple:
        inner = (typing.get_args(tp) or (str,))[0]
        return st.lists(field_strategy(inner, wide=wide), max_size=3).map(tuple)
    if isinstance(tp, type):
        if issubclass(tp, bool):
            return st.booleans()
        if issubclass(tp, enum.Enum):
            return st.sampled_from(list(tp))
        if issubclass(tp, int) and not wide:
            return st.integers(1, 100)
        if issubclass(tp, float) and not wide:
            return st.floats(1.0, 10.0)
        if issubclass(tp, int):
            # Small counts first (what rules compare against), then 0, negatives and extremes.
            return st.one_of(st.integers(1, 100), st.sampled_from(INT_EDGES), st.integers(-(2**31), 2**31))
        if issubclass(tp, float):
            return st.one_of(
                st.floats(1.0, 10.0),
                st.sampled_from(FLOAT_EDGES),
                st.integers(0, 400).map(lambda q: q / 8),  # fractions that add up exactly
                st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False),
            )
        if issubclass(tp, str):
            return TEXT
        if issubclass(tp, datetime):
            return st.datetimes(datetime(2014, 1, 1), datetime(2014, 12, 31), timezones=st.just(UTC))  # noqa: DTZ001
        if issubclass(tp, date):
            return st.dates(date(2014, 1, 1), date(2014, 12, 31))
    return st.from_type(tp)


@st.composite
def values_of(
    draw: st.DrawFn, cls: type[Any], fixed: Mapping[str, Any] | None = None, people: tuple[str, ...] = ()
) -> Any:
    """An instance of the attrs class ``cls``, with the ``fixed`` fields set as given.

    Fields with defaults keep them; other fields are drawn by type. A combination
    the class's validators refuse is rejected (not an error), so classes with
    strict validators may need a registered strategy (``st.register_type_strategy``).
    """
    fixed = dict(fixed or {})
    if not attrs.has(cls):
        return draw(st.from_type(cls))
    attrs.resolve_types(cls)
    # Wide values first; a class whose validators refuse them gets narrow ones.
    for wide in (True, False):
        kwargs = {
            f.alias or f.name: fixed[f.name] if f.name in fixed else draw(_field(f, people, wide=wide))
            for f in attrs.fields(cls)
        }
        try:
            return cls(**kwargs)
        except (ValueError, TypeError):
            continue
    assume(False)
    raise AssertionError  # pragma: no cover - assume(False) does not return


def _field(f: attrs.Attribute[Any], people: tuple[str, ...], *, wide: bool) -> st.SearchStrategy[Any]:
    strategy = field_strategy(f.type, wide=wide)
    if people and f.type is str:
        strategy = st.one_of(st.sampled_from(people), strategy)
    default = f.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        default = attrs.NOTHING
    if default is not attrs.NOTHING:
        # Defaults first, so shrinking lands on them; other values too, since
        # rules often look at exactly the fields left at their defaults.
        strategy = st.one_of(st.just(default), strategy)
    return strategy


def candidates(tp: Any) -> tuple[Any, ...]:
    """A few values of a field type, plain first, for boundary cases built without drawing."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        inner = tuple(v for a in args if a is not type(None) for v in candidates(a))
        return (*inner, None) if type(None) in args else inner
    if origin in (tuple, list, set, frozenset) or tp in (tuple, list):
        base = origin or tp
        inner = (typing.get_args(tp) or (str,))[0]
        one = candidates(inner)[:2]
        return tuple(base(x) for x in ((), one[:1], one))
    if isinstance(tp, type):
        if issubclass(tp, bool):
            return (False, True)
        if issubclass(tp, enum.Enum):
            return tuple(tp)
        if issubclass(tp, int):
            return (1, 0, 2, 10, 100, -1)
        if issubclass(tp, float):
            return (1.0, 0.5, 2.5, 0.0, 10.0, 100.0, -1.0)
        if issubclass(tp, str):
            return ("x", "y", "z", "a")
        if issubclass(tp, datetime):
            return (datetime(2014, 3, 1, tzinfo=UTC),)
        if issubclass(tp, date):
            return (date(2014, 3, 1),)
    return ()


def samples(cls: type[Any], fixed: Mapping[str, Any] | None = None, *, limit: int = 200) -> list[Any]:
    """Valid instances of ``cls`` with ``fixed`` fields, plainest first, built without hypothesis.

    The first varies no field (defaults, else each type's first candidate); then one
    field at a time over its candidates; then two at a time, up to ``limit`` tries.
    Combinations the class's validators refuse are skipped.
    """
    fixed = dict(fixed or {})
    if not attrs.has(cls):
        return []
    attrs.resolve_types(cls)
    options: list[tuple[str, tuple[Any, ...]]] = []
    for f in attrs.fields(cls):
        if f.name in fixed:
            options.append((f.alias or f.name, (fixed[f.name],)))
            continue
        values = candidates(f.type)
        default = f.default
        if not isinstance(default, attrs.Factory) and default is not attrs.NOTHING:  # type: ignore[arg-type]
            values = (default, *(v for v in values if v != default))
        options.append((f.alias or f.name, values or (None,)))
    base = {name: values[0] for name, values in options}
    tries: list[dict[str, Any]] = [base]
    tries += [{**base, name: v} for name, values in options for v in values[1:]]
    tries += [
        {**base, a: va, b: vb}
        for (a, avs), (b, bvs) in itertools.combinations(options, 2)
        for va in avs[1:]
        for vb in bvs[1:]
    ]
    out: list[Any] = []
    for kwargs in tries[:limit]:
        try:
            value = cls(**kwargs)
        except (ValueError, TypeError, AttributeError):
            continue
        if value not in out:
            out.append(value)
    return out


def plain(cls: type[Any], fixed: Mapping[str, Any] | None = None) -> Any | None:
    """The plainest valid instance of ``cls`` with ``fixed`` fields (``None``: none found)."""
    found = samples(cls, fixed, limit=60)
    return found[0] if found else None


def holds_many(cls: type[Any], field: str) -> bool:
    """True when the attrs field is a collection (a tuple of people, a list of items)."""
    if not attrs.has(cls):
        return False
    attrs.resolve_types(cls)
    tp = attrs.fields_dict(cls)[field].type
    for candidate in (tp, *typing.get_args(tp)):
        origin = typing.get_origin(candidate) or candidate
        if isinstance(origin, type) and issubclass(origin, tuple | list | set | frozenset):
            return True
    return False


def one_or_many(cls: type[Any], field: str, values: tuple[str, ...]) -> Any:
    """``values`` as the field holds them: the tuple, or its single element."""
    return values if holds_many(cls, field) else values[0]


def below(value: float) -> float:
    """The largest number below a threshold that a count or sum can take."""
    if float(value).is_integer():
        return value - 1
    return math.nextafter(value, -math.inf)
