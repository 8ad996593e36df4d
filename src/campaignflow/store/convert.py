"""The one converter for evidence: attrs values to JSON-ready data and back, through msgspec.

Every store writes what :func:`to_data` gives and reads back with :func:`from_data`;
``record`` keeps what :func:`conform` gives back, which is what those two make of the
value, so the memory store holds exactly what an SQL store reads after reopening (a
value :mod:`campaignflow.store.plain` vouches for is already that value, and is kept
without the round trip).

msgspec, not cattrs (measured with ``benchmarks/convert.py``): msgspec validates
while it converts (``"urgent"`` for ``list[str]`` is refused, where cattrs'
default structuring makes ``['u', 'r', ...]`` of it), converts ``str`` keys back
to ``int`` and enum keys, and runs several times faster than cattrs on the same
evidence, which the durable paths feel on every read.

Data form: an attrs value is a dict of its fields; enums are their values;
``set`` and ``frozenset`` are sorted lists (the same bytes in every process);
dict keys are strings; ``datetime`` and ``date`` are left for the JSON encoder,
which writes them in ISO 8601 as earlier versions did.
"""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from typing import Any

import attrs
import msgspec
import orjson

from campaignflow.exceptions import EvidenceError

_KEEP = (datetime, date)


def to_data(value: object) -> Any:
    """The JSON-ready data of an evidence value.

    Raises:
        EvidenceError: the value holds an object that has no JSON form.
    """
    try:
        return msgspec.to_builtins(value, builtin_types=_KEEP, str_keys=True, order="deterministic")
    except TypeError:
        pass  # a set of members that do not compare (enums): sorted by their data below
    try:
        data = msgspec.to_builtins(value, builtin_types=_KEEP, str_keys=True)
    except (TypeError, ValueError) as exc:
        msg = f"cannot store {type(value).__name__} evidence: {exc}"
        raise EvidenceError(msg) from None
    return _sorted_sets(type(value), data)


def _sorted_sets(tp: Any, data: Any) -> Any:  # noqa: PLR0911 - one return per kind of annotation
    """``data`` with the lists that hold sets of ``tp`` sorted by their JSON."""
    if data is None:
        return None
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _sorted_sets(inner[0], data) if len(inner) == 1 else data
    if origin in (set, frozenset):
        items = [_sorted_sets(args[0], v) for v in data]
        return sorted(items, key=lambda v: orjson.dumps(v, option=orjson.OPT_SORT_KEYS))
    if origin in (list, tuple) and args:
        return [_sorted_sets(args[0], v) for v in data]
    if origin is dict and len(args) == 2:  # noqa: PLR2004 - key and value types
        return {k: _sorted_sets(args[1], v) for k, v in data.items()}
    if isinstance(tp, type) and attrs.has(tp):
        attrs.resolve_types(tp)
        return {f.name: _sorted_sets(f.type, data[f.name]) for f in attrs.fields(tp) if f.name in data}
    return data


def from_data(cls: type[Any], data: Any) -> Any:
    """The evidence value of class ``cls`` that :func:`to_data` turned into ``data``.

    Raises:
        msgspec.ValidationError: ``data`` does not fit ``cls`` (a store reading it
            names the step; ``record`` names the field).
    """
    return msgspec.convert(data, cls, str_keys=True)


def conform(unit: str, value: object) -> Any:
    """``value`` as every store will give it back; refused if that is not an equal value.

    Raises:
        EvidenceError: a field's value contradicts its annotation (wrong shape,
            ``None`` where none is allowed, ``str`` keys for ``int`` keys, a
            plain ``str`` for an enum): the unit, class, field and expected type named.
    """
    cls = type(value)
    data = to_data(value)
    try:
        back = from_data(cls, data)
    except msgspec.ValidationError as exc:
        text = str(exc)
        problem, at, where = text.partition(" - at `$")
        path = where.rstrip("`").lstrip(".") if at else ""  # no path: the class's own validator refused
        raise _refused(unit, cls, path, problem) from None
    if back != value:
        name, got = _first_difference(value, back)
        raise _refused(unit, cls, name, f"got {got!r:.80}, which reads back as a different value")
    return back


def _first_difference(value: Any, back: Any) -> tuple[str, object]:
    """The dotted name of the first field where ``back`` differs from ``value``, and its value."""
    for f in attrs.fields(type(value)):
        mine, theirs = getattr(value, f.name), getattr(back, f.name)
        if mine != theirs:
            if attrs.has(type(mine)) and type(mine) is type(theirs):
                inner, got = _first_difference(mine, theirs)
                return f"{f.name}.{inner}", got
            return f.name, mine
    return "", value  # pragma: no cover - only called when the values differ


def _refused(unit: str, cls: type[Any], path: str, problem: str) -> EvidenceError:
    field = path.split(".", maxsplit=1)[0].split("[", maxsplit=1)[0]
    expected = _annotation(cls, path)
    where = f"{cls.__name__}.{path}" if path else cls.__name__
    msg = f"unit {unit!r}: evidence {where}: {problem}; expected {expected}: record a value of that type"
    return EvidenceError(msg, unit=unit, kind=cls.__name__, field=field)


def _annotation(cls: type[Any], path: str) -> str:
    """The annotation of the field at dotted ``path`` (``a.b[0]`` names field ``b`` of ``a``'s class)."""
    tp: Any = cls
    for part in path.split("."):
        name = part.split("[")[0]
        if not name or not attrs.has(tp):
            break
        attrs.resolve_types(tp)
        found = attrs.fields_dict(tp).get(name)
        if found is None:
            break
        tp = found.type
    return getattr(tp, "__name__", None) if isinstance(tp, type) else str(tp).replace("typing.", "")  # type: ignore[return-value]
