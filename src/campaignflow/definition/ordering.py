"""Ordering constraints across the hierarchy, checked like rules when a unit fires.

- :func:`parent_first` — 一级做给一级看: the parent fires the event first;
- :func:`children_done` — no level left behind: enough children reached a stage;
- :func:`pilots_first` — 试点 then 铺开: every pilot fired the event first;
- :func:`supervised_by_approval` — the actor belongs to a group supervising the unit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs

from campaignflow.definition.combinators import walk
from campaignflow.definition.context import Context
from campaignflow.definition.model import Transition
from campaignflow.definition.rules import Rule
from campaignflow.exceptions import DefinitionError
from campaignflow.values.findings import Finding, Status


def _names(ctx: Context, units: Sequence[str], limit: int = 5) -> str:
    shown = "、".join(ctx.unit_label(u) for u in units[:limit])
    return shown + (f" and {len(units) - limit} more" if len(units) > limit else "")


def _labels(ctx: Context, units: Sequence[str]) -> tuple[str, ...]:
    return tuple(ctx.name(u) for u in units)


class OrderingRule(Rule):
    """A rule over other units' progress, declared with ``order=`` on a transition."""

    @property
    def reads(self) -> tuple[type[Any], ...]:
        return ()


@attrs.frozen(kw_only=True)
class ParentFirst(OrderingRule):
    """The unit's administrative parent has fired ``event`` (default: the event checked)."""

    event: str | None
    id: str
    label: str

    def evaluate(self, ctx: Context) -> Finding:
        event = self.event or ctx.event
        parent = ctx.org.parent(ctx.unit)
        if parent is None:
            return self.stamp(Finding(reason="no parent: this unit leads"))
        shown = ctx.event_label(event)
        if ctx.run.has_fired(parent, event):
            return self.stamp(Finding(reason=f"{ctx.unit_label(parent)} fired {shown} first"))
        return self.stamp(
            Finding(
                status=Status.FAILED,
                reason=f"{ctx.unit_label(parent)} has not fired {shown} yet: the level above goes first",
                missing=(parent,),
                missing_labels=_labels(ctx, (parent,)),
            )
        )


@attrs.frozen(kw_only=True)
class ChildrenDone(OrderingRule):
    """At least ``quorum`` of the unit's children have reached ``stage``."""

    stage: str
    quorum: float
    id: str
    label: str

    def evaluate(self, ctx: Context) -> Finding:
        children = ctx.org.children(ctx.unit)
        if not children:
            return self.stamp(Finding(reason="no children"))
        lagging = [c for c in children if not ctx.run.reached(c, self.stage)]
        need = math.ceil(self.quorum * len(children) - 1e-9)
        done = len(children) - len(lagging)
        stage = ctx.stage_label(self.stage)
        if done >= need:
            return self.stamp(Finding(reason=f"{done} of {len(children)} children reached {stage}"))
        return self.stamp(
            Finding(
                status=Status.FAILED,
                reason=(
                    f"{done} of {len(children)} children reached {stage}, {need} needed; "
                    f"lagging: {_names(ctx, lagging)}"
                ),
                missing=tuple(lagging),
                missing_labels=_labels(ctx, lagging),
            )
        )


@attrs.frozen(kw_only=True)
class PilotsFirst(OrderingRule):
    """Non-pilot units wait until every pilot unit has fired ``event``."""

    event: str | None
    id: str
    label: str

    def evaluate(self, ctx: Context) -> Finding:
        event = self.event or ctx.event
        if ctx.org.is_pilot(ctx.unit):
            return self.stamp(Finding(reason="this unit is a pilot"))
        waiting = sorted(p for p in ctx.org.pilots() if not ctx.run.has_fired(p, event))
        shown = ctx.event_label(event)
        if not waiting:
            return self.stamp(Finding(reason=f"every pilot fired {shown}"))
        return self.stamp(
            Finding(
                status=Status.FAILED,
                reason=f"pilots have not fired {shown} yet: {_names(ctx, waiting)}",
                missing=tuple(waiting),
                missing_labels=_labels(ctx, waiting),
            )
        )


@attrs.frozen(kw_only=True)
class SupervisedByApproval(OrderingRule):
    """The acting person belongs to a supervision group that supervises the unit."""

    id: str
    label: str

    def evaluate(self, ctx: Context) -> Finding:
        if ctx.actor is None:
            return self.stamp(Finding(status=Status.FAILED, reason="needs the approving actor: pass by=..."))
        if ctx.actor.id in ctx.org.supervisors(ctx.unit):
            return self.stamp(Finding(reason=f"{ctx.name(ctx.actor.id)} supervises this unit"))
        groups = ctx.org.supervising_groups(ctx.unit)
        names = "、".join(ctx.name(g) for g in groups) or "no group (add a supervises edge)"
        return self.stamp(
            Finding(
                status=Status.FAILED,
                reason=(
                    f"{ctx.unit_label(ctx.actor.id)} is not a member of the unit's supervision group: {names}"
                ),
                missing=tuple(groups),
                missing_labels=_labels(ctx, groups),
            )
        )


def parent_first(event: str | None = None, *, label: str = "一级做给一级看") -> ParentFirst:
    """The parent must fire ``event`` (default: the same event) before the unit."""
    return ParentFirst(event=event, id="parent_first", label=label)


def children_done(stage: str, *, quorum: float = 1.0, label: str | None = None) -> ChildrenDone:
    """At least ``quorum`` (0-1] of the unit's children have reached ``stage``."""
    if isinstance(quorum, bool) or not isinstance(quorum, int | float) or not 0 < quorum <= 1:
        msg = f"children_done(quorum=...) must be in (0, 1], got {quorum!r}"
        raise DefinitionError(msg)
    return ChildrenDone(
        stage=stage,
        quorum=float(quorum),
        id=f"children_done:{stage}",
        label=label if label is not None else f"no level left behind ({stage})",
    )


def pilots_first(event: str | None = None, *, label: str = "试点先行") -> PilotsFirst:
    """Non-pilot units wait until every pilot has fired ``event`` (default: the same)."""
    return PilotsFirst(event=event, id="pilots_first", label=label)


def supervised_by_approval(*, label: str = "督导组审查同意") -> SupervisedByApproval:
    """The actor firing the event is a member of a group supervising the unit."""
    return SupervisedByApproval(id="supervised_by_approval", label=label)


def deadlocks(order: Sequence[Rule], dest: str, leaves: Sequence[str]) -> list[str]:
    """Problems with a transition's ordering that make it impossible to fire.

    ``parent_first`` makes the children wait for the parent; ``children_done`` of
    a stage the children only reach through this very event makes the parent wait
    for the children: neither can ever fire.
    """
    problems: list[str] = []
    parent = [o for o in order if isinstance(o, ParentFirst) and o.event is None]
    if not parent:
        return problems
    dest_at = _index(dest, leaves)
    problems.extend(
        f"deadlock: parent_first() and children_done({o.stage!r}) on one event; "
        "the parent waits for its children and the children for the parent"
        for o in order
        if isinstance(o, ChildrenDone) and _index(o.stage, leaves) >= dest_at
    )
    return problems


def _index(stage: str, leaves: Sequence[str]) -> int:
    for i, leaf in enumerate(leaves):
        if leaf == stage or leaf.startswith(stage + "."):
            return i
    return len(leaves)


def ordering_rules(t: Transition) -> tuple[OrderingRule, ...]:
    """The ordering rules of ``t``: its ``order=`` and any inside its gate."""
    found = [r for o in t.order for r in walk(o) if isinstance(r, OrderingRule)]
    if t.gate is not None:
        found.extend(r for r in walk(t.gate) if isinstance(r, OrderingRule))
    return tuple(found)
