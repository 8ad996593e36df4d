"""The approval rule: a supervision group (or a role) approves, the latest revision only.

A reason says why an approval did not count: given by someone outside the groups
that supervise the unit, or for a revision a newer draft superseded.
"""

from __future__ import annotations

from typing import Any

import attrs

from campaignflow.definition.context import Context, evidence_name
from campaignflow.definition.rules import FAILED, SHOWN, Rule
from campaignflow.values.findings import Finding
from campaignflow.values.records import Recorded


@attrs.frozen(kw_only=True)
class ApprovedBy(Rule):
    """An approval of type ``of`` recorded by a member of ``group``.

    ``group="supervises"`` means a member of a supervision group with a
    ``supervises`` edge to the unit; any other value is a people role at the unit.
    With ``latest_of``, the approval must name (field ``revision``) the latest
    revision of that evidence type: a new revision voids older approvals.
    """

    of: type[Any]
    group: str
    latest_of: type[Any] | None
    revision: str
    id: str
    label: str

    @property
    def reads(self) -> tuple[type[Any], ...]:
        return (self.of,) if self.latest_of is None else (self.of, self.latest_of)

    def _approvers(self, ctx: Context) -> frozenset[str]:
        if self.group == "supervises":
            return ctx.org.supervisors(ctx.unit)
        return frozenset(ctx.people(self.group))

    def _not_counted(self, ctx: Context, others: list[Recorded[Any]]) -> str:
        """Why approvals by people outside the approvers did not count, for the reason."""
        if not others:
            return ""
        org = ctx.org
        groups = set(org.groups())
        parts = []
        for r in others[-SHOWN:]:
            theirs = [g for g in org.memberships(r.actor) if g in groups]
            if self.group == "supervises" and theirs:
                why = f"{'、'.join(ctx.name(g) for g in theirs)} does not supervise this unit"
            elif self.group == "supervises":
                why = "not a member of a group supervising this unit"
            else:
                why = f"not a {self.group} of this unit"
            parts.append(f"{ctx.name(r.actor)}'s ({why})")
        n = len(others)
        return f"; {n} {evidence_name(self.of)} not counted: " + "; ".join(parts)

    def evaluate(self, ctx: Context) -> Finding:
        approvers = self._approvers(ctx)
        records = ctx.records(self.of)
        approvals = [r for r in records if r.actor in approvers]
        outside = self._not_counted(ctx, [r for r in records if r.actor not in approvers])
        name = evidence_name(self.of)
        who = "its supervision group" if self.group == "supervises" else f"a {self.group}"
        if self.latest_of is not None:
            drafts = ctx.records(self.latest_of)
            draft_name = evidence_name(self.latest_of)
            if not drafts:
                return Finding(
                    rule=self.id,
                    label=self.label,
                    status=FAILED,
                    reason=f"no {draft_name} recorded yet, so nothing to approve",
                    missing=(draft_name,),
                )

            latest = max(getattr(d.value, self.revision) for d in drafts)
            matching = [a for a in approvals if getattr(a.value, self.revision) == latest]
            if matching:
                return Finding(
                    rule=self.id,
                    label=self.label,
                    reason=(f"{draft_name} revision {latest} approved by {ctx.name(matching[-1].actor)}"),
                    evidence=tuple(a.id for a in matching),
                )

            older = sorted({getattr(a.value, self.revision) for a in approvals})
            tail = (
                f" (approvals of revision {', '.join(map(str, older))} not counted: "
                f"superseded by revision {latest})"
                if older
                else ""
            )
            return Finding(
                rule=self.id,
                label=self.label,
                status=FAILED,
                reason=f"{draft_name} revision {latest} not approved by {who}{tail}{outside}",
                missing=(f"{name} of revision {latest}",),
            )

        if approvals:
            return Finding(
                rule=self.id,
                label=self.label,
                reason=f"approved by {ctx.name(approvals[-1].actor)}",
                evidence=tuple(a.id for a in approvals),
            )

        return Finding(
            rule=self.id,
            label=self.label,
            status=FAILED,
            reason=f"no {name} by {who}{outside}",
            missing=(name,),
        )
