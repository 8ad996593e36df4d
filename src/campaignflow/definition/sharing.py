"""Evidence that counts across levels: 学习上延一级.

"凡组织县级领导参加的集中学习, 邀请各乡(镇、街道)、单位负责人上延一级参加": a study
session held by the county, attended by invited township heads, counts as
attended for those heads at their townships. Declared once with
:meth:`Campaign.counts_below`; rules that count people (``every_member_has``,
``coverage``) then see such a record at the lower unit, narrowed to the invited
people who belong there, so nobody outside the invited level is ever credited.

A batch (``fire_many``) reads the shared records of all its units' ancestors at
once (:func:`shared_reads` names them) and judges each unit over that read, so a
batch of 10,000 townships under 100 counties makes one query for them, not 10,000.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from campaignflow.definition.context import evidence_name
from campaignflow.definition.tallies import people_at, people_in
from campaignflow.exceptions import DefinitionError
from campaignflow.values.records import Recorded

if TYPE_CHECKING:
    from campaignflow.definition.context import RunView
    from campaignflow.org.graph import Org

Narrow = Callable[[Any, Any], Any]
"""Builds a value with its people field replaced: ``narrow(value, people)``."""


@attrs.frozen(kw_only=True)
class CountsBelow:
    """Evidence of type ``evidence`` recorded at a unit counts, for the people named in
    its field ``people``, at the units up to ``levels`` below it.

    Attributes:
        evidence: the evidence type (an attrs class).
        people: the field naming who took part (a person id or a collection of them).
        levels: how many levels down it counts (1: 上延一级).
        roles: the roles invited at the lower units; empty means anyone there.
    """

    evidence: type[Any]
    people: str
    levels: int = 1
    roles: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """The stored name of the evidence type."""
        return evidence_name(self.evidence)

    def invited(self, run: RunView, unit: str) -> frozenset[str]:
        """The people at ``unit`` whom sessions above may credit."""
        if not self.roles:
            return frozenset(people_at(run, unit, None))
        return frozenset(p for role in self.roles for p in people_at(run, unit, role))

    def above(self, org: Org, unit: str) -> list[str]:
        """The units whose records count at ``unit``: its parent, up to ``levels`` up."""
        out: list[str] = []
        above: str | None = unit
        for _ in range(self.levels):
            above = org.parent(above) if above is not None else None
            if above is None:
                break
            out.append(above)
        return out

    def shared(self, run: RunView, unit: str) -> list[Recorded[Any]]:
        """Records from the units above ``unit`` that count there, narrowed to its invited people."""
        invited = self.invited(run, unit)
        out: list[Recorded[Any]] = []
        if not invited:
            return out
        for above in self.above(run.org, unit):
            for r in run.records_of(above, self.kind):
                field = getattr(r.value, self.people, None)
                present = people_in(field) & invited
                if not present:
                    continue
                if not isinstance(field, str):
                    field = tuple(sorted(present))
                value = _narrow(type(r.value), self.people)(r.value, field)
                # Recorded has no converter or validator: built directly, the value evolve builds.
                out.append(
                    Recorded(
                        id=r.id, unit=r.unit, kind=r.kind, value=value, actor=r.actor, at=r.at, seq=r.seq
                    )
                )
        return out


def _evolver(field: str) -> Narrow:
    return lambda value, people: attrs.evolve(value, **{field: people})


def _plain_slots(cls: type[Any], fields: Iterable[str]) -> bool:
    """True when ``cls``'s instances hold exactly its fields (and a weak reference), in slots."""
    slots: set[str] = set()
    for klass in cls.__mro__[:-1]:  # ``object`` holds no slot
        held = klass.__dict__.get("__slots__")
        if held is None:
            return False  # a class without slots gives its instances a ``__dict__``
        slots.update((held,) if isinstance(held, str) else held)
    return slots <= {*fields, "__weakref__"}


_NARROW: dict[tuple[type[Any], str], Narrow] = {}  # by evidence class and field: a few entries


def _narrow(cls: type[Any], field: str) -> Narrow:
    found = _NARROW.get((cls, field))
    if found is None:
        found = _NARROW[cls, field] = narrower(cls, field)
    return found


def narrower(cls: type[Any], field: str) -> Narrow:
    """How a shared record's value is rebuilt with its people ``field`` narrowed (:meth:`CountsBelow.shared`).

    ``attrs.evolve`` builds the value anew: every field's converter and validator
    again, on values the record was checked with when it was recorded (the mass-line
    text validators over every reading, per unit and per judgement). For a plain
    slotted attrs class (its own generated ``__init__``, no pre/post-init hook, no
    hash cache or other slot, every field set by ``__init__``, plain converters),
    the value is copied field by field and only the narrowed field goes through its
    converter and validator again, as ``evolve`` would run them: the same value.
    What is not run again is the other fields' validators, over the values they
    passed already (a validator that reads the people field from another field's
    check would not see the narrowed list). Any other class is evolved.
    """
    evolve = _evolver(field)
    if not attrs.has(cls) or hasattr(cls, "__attrs_pre_init__") or hasattr(cls, "__attrs_post_init__"):
        return evolve
    init = getattr(cls.__init__, "__code__", None)
    if init is None or not init.co_filename.startswith("<attrs generated"):
        return evolve  # a class of its own __init__: evolve calls it
    fields = attrs.fields(cls)
    names_ = tuple(a.name for a in fields)
    target = next((a for a in fields if a.name == field), None)
    if (
        target is None
        or any(not a.init or a.alias != a.name for a in fields)
        or not _plain_slots(cls, names_)
    ):
        return evolve
    converter = target.converter
    if isinstance(converter, attrs.Converter) or (converter is not None and not callable(converter)):
        return evolve  # a converter taking the instance or the field: evolve knows how to call it
    validator = target.validator
    put = object.__setattr__  # frozen classes refuse setattr; this is attrs' own way in __init__
    others = tuple(n for n in names_ if n != field)

    def narrow(value: Any, people: Any) -> Any:
        if converter is not None:
            people = converter(people)
        new = object.__new__(cls)
        for name in others:
            put(new, name, getattr(value, name))
        put(new, field, people)
        if validator is not None and not attrs.validators.get_disabled():
            validator(new, target, people)
        return new

    return narrow


def people_records(  # noqa: PLR0917 - RunView.people_records's arguments, and where to read
    shares: Mapping[str, CountsBelow],
    run: RunView,
    unit: str,
    kind: str,
    field: str,
    own: Sequence[Recorded[Any]],
) -> Sequence[Recorded[Any]]:
    """``own`` (the unit's records of ``kind``) plus those shared from above for ``field``.

    ``shares``: the campaign's declarations by kind; ``run``: where the records
    above are read (a batch's view reads them from the batch's one read).
    """
    sharing = shares.get(kind)
    if sharing is None or sharing.people != field:
        return own
    return [*own, *sharing.shared(run, unit)]


def shared_reads(
    shares: Mapping[str, CountsBelow], org: Org, units: Sequence[str], kinds: Iterable[str]
) -> tuple[list[str], list[str]]:
    """What judging ``units`` over ``kinds`` may read from above: (the units, the shared kinds).

    Every unit up to a declaration's ``levels`` above any of ``units``, each once,
    and those of ``kinds`` declared with ``counts_below``: a batch reads them in
    one query (more than a unit without invited people needs, never less).
    """
    found = [s for k in kinds if (s := shares.get(k)) is not None]
    ups: dict[str, None] = {}
    for sharing in found:
        for unit in units:
            for above in sharing.above(org, unit):
                ups[above] = None
    return list(ups), [s.kind for s in found]


def make_counts_below(
    evidence: type[Any], *, people: str, levels: int = 1, roles: str | tuple[str, ...] | list[str] = ()
) -> CountsBelow:
    """Validate a cross-level declaration."""
    if not isinstance(evidence, type) or not attrs.has(evidence):
        msg = (
            f"counts_below({evidence!r}): pass an attrs evidence class "
            "(its people field is narrowed per unit)"
        )
        raise DefinitionError(msg)
    fields = attrs.fields_dict(evidence)
    if people not in fields:
        msg = (
            f"counts_below({evidence.__name__}): people={people!r} is not a field "
            f"(fields: {', '.join(fields)})"
        )
        raise DefinitionError(msg)
    if isinstance(levels, bool) or not isinstance(levels, int) or levels < 1:
        msg = f"counts_below({evidence.__name__}): levels must be an int ≥ 1, got {levels!r}"
        raise DefinitionError(msg)
    if isinstance(roles, str):
        roles = (roles,)
    return CountsBelow(evidence=evidence, people=people, levels=levels, roles=tuple(roles))
