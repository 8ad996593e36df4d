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

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from campaignflow.definition.context import evidence_name, names
from campaignflow.exceptions import DefinitionError

if TYPE_CHECKING:
    from campaignflow.definition.context import RunView
    from campaignflow.org.graph import Org
    from campaignflow.values.records import Recorded


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
        org = run.org
        if not self.roles:
            return frozenset(org.people(unit))
        return frozenset(p for role in self.roles for p in org.people(unit, role))

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
                present = names(field) & invited
                if not present:
                    continue
                if not isinstance(field, str):
                    field = tuple(sorted(present))
                out.append(attrs.evolve(r, value=attrs.evolve(r.value, **{self.people: field})))
        return out


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
