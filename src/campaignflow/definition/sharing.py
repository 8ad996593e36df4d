"""Evidence that counts across levels: 学习上延一级.

"凡组织县级领导参加的集中学习, 邀请各乡(镇、街道)、单位负责人上延一级参加": a study
session held by the county, attended by invited township heads, counts as
attended for those heads at their townships. Declared once with
:meth:`Campaign.counts_below`; rules that count people (``every_member_has``,
``coverage``) then see such a record at the lower unit, narrowed to the invited
people who belong there, so nobody outside the invited level is ever credited.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs

from campaignflow.definition.context import evidence_name, names
from campaignflow.exceptions import DefinitionError

if TYPE_CHECKING:
    from campaignflow.definition.context import RunView
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

    def shared(self, run: RunView, unit: str) -> list[Recorded[Any]]:
        """Records from the units above ``unit`` that count there, narrowed to its invited people."""
        invited = self.invited(run, unit)
        out: list[Recorded[Any]] = []
        if not invited:
            return out
        above: str | None = unit
        for _ in range(self.levels):
            above = run.org.parent(above) if above is not None else None
            if above is None:
                break
            for r in run.records_of(above, self.kind):
                field = getattr(r.value, self.people, None)
                present = names(field) & invited
                if not present:
                    continue
                if not isinstance(field, str):
                    field = tuple(sorted(present))
                out.append(attrs.evolve(r, value=attrs.evolve(r.value, **{self.people: field})))
        return out


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
