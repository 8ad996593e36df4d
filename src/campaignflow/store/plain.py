"""Evidence that reads back as itself: checked in one pass, without the round trip.

:func:`~campaignflow.store.validate.check_evidence` walks a value for what is
unsafe to store, then :func:`~campaignflow.store.convert.conform` turns it into
data and back through msgspec (running the class's validators again on the
copy) and compares the copy with the value. For most evidence none of that
can change anything: a frozen attrs class whose fields hold exactly their
annotated types (``str``, ``int``, ``float``, ``bool``, ``date``, an aware
``datetime`` no later than the walk allows, an enum of ``str`` or ``int``
values, ``X | None``, ``tuple[X, ...]`` of those but datetimes) reads back
field for field as the same values of the same types (msgspec passes dates
and datetimes through as they are). For such a class :func:`plan` builds one
pass that tests each field's exact type and the limits the walk enforces
(:mod:`campaignflow.store.limits`), then runs the class's validators (and its
``__attrs_post_init__``, on a copy) as msgspec's conversion runs them; the
value, or that copy, is what every store gives back, so the codec encodes it
once, when the step is written.

A value the pass cannot vouch for (another type, a limit crossed, a validator
or post-init raising, a copy that compares unequal) goes the whole way, so
every refusal is the whole way's, with its message. A class the pass cannot
read goes the whole way always: not frozen, its own ``__eq__``, ``__new__``,
``__getattribute__`` or ``__getattr__``, a cached hash (msgspec's copy has
none), ``__attrs_pre_init__``, ``_private`` or ``init=False`` fields, or a
field of another type (nested attrs values, lists, dicts, sets, datetimes in
tuples, ``Any``, ``Annotated`` constraints).
"""

from __future__ import annotations

import enum
import math
import operator
import types
import typing
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import attrs

from campaignflow.store.limits import FUTURE_SLACK, INT_MAX, INT_MIN, MAX_ITEMS, MAX_TEXT, SURROGATE, UNSAFE

Fits = Callable[[Any], bool]
Validator = Callable[[Any, "attrs.Attribute[Any]", Any], Any]


@attrs.frozen
class _Probe:
    """Where attrs' own frozen ``__setattr__`` and ``__ne__`` are read from (no private import)."""


def _text(value: Any, search: Callable[[str], object] = UNSAFE.search) -> bool:
    return type(value) is str and len(value) <= MAX_TEXT and search(value) is None


def _int(value: Any) -> bool:
    return type(value) is int and INT_MIN <= value <= INT_MAX


def _float(value: Any) -> bool:
    return type(value) is float and math.isfinite(value)


def _aware(value: Any) -> bool:
    """A datetime with a timezone (whether it is in the future is the plan's test: it needs the time)."""
    return type(value) is datetime and value.tzinfo is not None


def _exactly(tp: type[Any]) -> Fits:
    def fits(value: Any) -> bool:
        return type(value) is tp

    return fits


def _optional(inner: Fits) -> Fits:
    def fits(value: Any) -> bool:
        return value is None or inner(value)

    return fits


def _tuple_of(inner: Fits) -> Fits:
    def fits(value: Any) -> bool:
        return type(value) is tuple and len(value) <= MAX_ITEMS and all(map(inner, value))

    return fits


def _plain_enum(tp: type[enum.Enum]) -> bool:
    """Whether msgspec turns each member into its value and back into the same member.

    All ``str`` values with a UTF-8 form, or all ``int`` values within 64 bits:
    msgspec refuses other enums, and a value outside those fails its lookup.
    """
    if issubclass(tp, enum.Flag):  # a combination of flags is no member msgspec looks up
        return False
    values = [member.value for member in tp]
    if values and all(type(v) is str for v in values):
        return not any(SURROGATE.search(v) for v in values)
    return bool(values) and all(type(v) is int and INT_MIN <= v <= INT_MAX for v in values)


def _fits(tp: Any) -> Fits | None:
    """The exact-type test of a field annotated ``tp``; None if its values may read back otherwise."""
    simple = {
        str: _text,
        int: _int,
        float: _float,
        bool: _exactly(bool),
        date: _exactly(date),
        datetime: _aware,
    }
    if isinstance(tp, type):
        if tp in simple:
            return simple[tp]
        if issubclass(tp, enum.Enum) and _plain_enum(tp):
            return _exactly(tp)
        return None
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        found = _fits(inner[0]) if len(inner) == 1 and len(args) == 2 else None  # noqa: PLR2004 - X | None
        return None if found is None else _optional(found)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:  # noqa: PLR2004 - tuple[X, ...]
        found = _fits(args[0])
        return None if found is None or found is _aware else _tuple_of(found)
    return None


def _generated(method: object) -> bool:
    """Whether ``method`` is one attrs wrote (its code's file name says so)."""
    code = getattr(method, "__code__", None)
    return code is not None and code.co_filename.startswith("<attrs generated")


def _readable(cls: type[Any]) -> bool:
    """Whether values of ``cls`` are built, compared and read as attrs makes them."""
    kind: Any = cls  # its methods compared as objects: mypy would compare their signatures
    return (
        "__attrs_attrs__" in cls.__dict__  # an attrs class itself, not a plain subclass of one
        and kind.__setattr__ is _Probe.__setattr__  # frozen
        and _generated(kind.__eq__)
        and kind.__ne__ is _Probe.__ne__
        and kind.__new__ is object.__new__
        and kind.__getattribute__ is object.__getattribute__
        and getattr(cls, "__getattr__", None) is None  # a missing field must be missing
        and not hasattr(cls, "_attrs_cached_hash")  # msgspec's copy lacks the cache: the whole way's copy
        and getattr(cls, "__attrs_pre_init__", None) is None
    )


@attrs.frozen
class Plan:
    """The one pass over a value of one class: exact types and limits, then its validators."""

    cls: type[Any]
    names: tuple[str, ...]
    read: Callable[[Any], tuple[Any, ...]]
    """The fields' values, in field order (one C call)."""
    fits: tuple[Fits, ...]
    checks: tuple[tuple[Validator, attrs.Attribute[Any], int], ...]
    """Each validated field's validator, field and position, in field order (msgspec's order)."""
    post_init: Callable[[Any], None] | None
    loose: frozenset[str] | None
    """The field names, when instances have a ``__dict__`` (not slotted): it may hold nothing else."""
    moments: tuple[int, ...]
    """The positions of the ``datetime`` fields: none may be later than a day after now."""

    def back(self, value: Any, now: datetime) -> Any:
        """What every store gives back for ``value``, or None when only the whole way can tell.

        Raises nothing of its own: a missing field or a validator's exception
        means None (the whole way meets it again and words the refusal).
        """
        try:
            values = self.read(value)
        except AttributeError:
            return None
        return self._validated(value, values) if self._fit(value, values, now) else None

    def _fit(self, value: Any, values: tuple[Any, ...], now: datetime) -> bool:
        """Whether each field holds exactly its type within the limits, and the value nothing else."""
        if self.loose is not None and not self.loose.issuperset(value.__dict__):
            return False  # msgspec's copy would not hold the rest
        if not all(map(operator.call, self.fits, values)):
            return False
        if not self.moments:
            return True
        latest = now + FUTURE_SLACK
        try:
            return not any(values[at] is not None and values[at] > latest for at in self.moments)
        except TypeError:  # a timezone without an offset: the whole way raises comparing it
            return False

    def _validated(self, value: Any, values: tuple[Any, ...]) -> Any:
        """``value`` (with a post-init, its copy) if its class's checks pass, run as msgspec runs them."""
        # msgspec's copy would hold values equal to these, of their types: its validators would see these.
        target = value
        if self.post_init is not None:  # it may set fields: it runs on a copy, as msgspec's does
            target = object.__new__(self.cls)
            for name, field_value in zip(self.names, values, strict=True):
                object.__setattr__(target, name, field_value)
        try:
            for check, field, at in self.checks:
                check(target, field, values[at])
            if self.post_init is not None:
                self.post_init(target)
        except Exception:  # noqa: BLE001 - the whole way words it
            return None
        if target is not value and target != value:
            return None
        return target


def _reader(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """A reader of the fields ``names`` as a tuple (``attrgetter`` gives a single field's value bare)."""
    get = operator.attrgetter(*names)
    if len(names) > 1:
        return get

    def one(value: Any) -> tuple[Any, ...]:
        return (get(value),)

    return one


def plan(cls: type[Any]) -> Plan | None:
    """The one pass for values of ``cls``, or None when they must go the whole way."""
    if not attrs.has(cls) or not _readable(cls):
        return None
    try:
        attrs.resolve_types(cls)
    except Exception:  # noqa: BLE001 - the whole way raises what it raises
        return None
    fields = attrs.fields(cls)
    if not fields or any(f.name.startswith("_") or not f.init for f in fields):
        return None
    fits = [_fits(f.type) for f in fields]
    if any(found is None for found in fits):
        return None
    names = tuple(f.name for f in fields)
    return Plan(
        cls=cls,
        names=names,
        read=_reader(names),
        fits=tuple(found for found in fits if found is not None),
        checks=tuple((f.validator, f, at) for at, f in enumerate(fields) if f.validator is not None),
        post_init=getattr(cls, "__attrs_post_init__", None),
        loose=None if cls.__dictoffset__ == 0 else frozenset(f.name for f in fields),
        moments=tuple(at for at, f in enumerate(fields) if datetime in (f.type, *typing.get_args(f.type))),
    )
