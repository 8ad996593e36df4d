"""Generating evidence values of a user's attrs class, with chosen fields fixed."""

from __future__ import annotations

import enum
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


def field_strategy(tp: Any) -> st.SearchStrategy[Any]:
    """A strategy for one annotated field type (the common cases of evidence fields)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        return st.one_of([field_strategy(a) for a in typing.get_args(tp) if a is not type(None)])
    if origin is tuple:
        inner = (typing.get_args(tp) or (str,))[0]
        return st.lists(field_strategy(inner), max_size=3).map(tuple)
    if isinstance(tp, type):
        if issubclass(tp, bool):
            return st.booleans()
        if issubclass(tp, enum.Enum):
            return st.sampled_from(list(tp))
        if issubclass(tp, int):
            return st.integers(1, 100)
        if issubclass(tp, float):
            return st.floats(1.0, 10.0)
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
    kwargs: dict[str, Any] = {}
    for f in attrs.fields(cls):
        name = f.alias or f.name
        if f.name in fixed:
            kwargs[name] = fixed[f.name]
        else:
            strategy = field_strategy(f.type)
            if people and f.type is str:
                strategy = st.one_of(st.sampled_from(people), strategy)
            default = f.default
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                default = attrs.NOTHING
            if default is not attrs.NOTHING:
                # Defaults first, so shrinking lands on them; other values too, since
                # rules often look at exactly the fields left at their defaults.
                strategy = st.one_of(st.just(default), strategy)
            kwargs[name] = draw(strategy)
    try:
        value = cls(**kwargs)
    except (ValueError, TypeError):
        assume(False)
        raise  # pragma: no cover - assume(False) does not return
    return value


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
