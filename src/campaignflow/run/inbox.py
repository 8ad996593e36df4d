"""What may happen next, and what waits for whom: ``Run.next_actions`` and ``Run.awaiting``.

Both only read. :meth:`InboxQueries.next_actions` judges the events leaving one
unit's stage for an actor, as ``fire`` would (scope, role, ordering, gate) but
writing nothing, not even a refusal. :meth:`InboxQueries.awaiting` builds an
actor's inbox from an index, not a scan of the org: the units of the actor's
scope (its subtrees) and the units its supervision groups supervise (the org's
``supervises`` edges), each judged like ``next_actions``. A township clerk's
inbox reads the township's subtree; a supervisor's reads the units its group
supervises; only an actor without a scope (the whole organisation) reads every
unit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Literal

import attrs

from campaignflow.definition.actors import Actor, Allowed
from campaignflow.definition.approval import ApprovedBy
from campaignflow.definition.combinators import walk
from campaignflow.definition.context import evidence_name
from campaignflow.definition.model import Transition
from campaignflow.run.arguments import whole
from campaignflow.run.authz import in_scope, require_actor
from campaignflow.run.state import RunState, _Unit
from campaignflow.values.findings import Verdict


def _lines(verdict: Verdict) -> tuple[str, ...]:
    return tuple(f"{f.label or f.rule}: {f.reason}" for f in verdict.failures)


@attrs.frozen(kw_only=True)
class NextAction:
    """One event leaving a unit's stage, judged for an actor at one moment.

    Attributes:
        unit: the unit.
        event: the event.
        label: the event's label (its name when it has none).
        dest: the stage the event leads to.
        permitted: the actor's scope and roles allow it (``True`` when no actor was given).
        refusal: why the actor may not fire it (``""`` when permitted).
        verdict: the ordering and gate verdict now, as :meth:`Run.check` gives it.
    """

    unit: str
    event: str
    label: str
    dest: str
    permitted: bool
    refusal: str
    verdict: Verdict

    @property
    def ready(self) -> bool:
        """True when firing it now would succeed: permitted, ordering and gate hold."""
        return self.permitted and self.verdict.passed

    @property
    def waits_on(self) -> tuple[str, ...]:
        """One line per failing rule (``"label: reason"``), plus the refusal if any."""
        return ((self.refusal,) if self.refusal else ()) + _lines(self.verdict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (a web page's buttons and their reasons)."""
        return {
            "unit": self.unit,
            "event": self.event,
            "label": self.label,
            "dest": self.dest,
            "permitted": self.permitted,
            "ready": self.ready,
            "refusal": self.refusal,
            "waits_on": list(self.waits_on),
        }


@attrs.frozen(kw_only=True)
class AwaitingItem:
    """A unit waiting on an actor, in :meth:`Run.awaiting`'s list.

    Attributes:
        unit: the unit.
        event: the event waiting.
        label: the event's label (its name when it has none).
        stage: the unit's stage.
        since: ISO time the unit entered that stage (``""``: since the run started).
        action: ``"fire"`` (the actor may fire the event now) or ``"approve"``
            (the gate waits only on an approval the actor may give).
        waits_on: for ``"approve"``, the failing approval rules (``"label: reason"``).
    """

    unit: str
    event: str
    label: str
    stage: str
    since: str
    action: Literal["fire", "approve"]
    waits_on: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "unit": self.unit,
            "event": self.event,
            "label": self.label,
            "stage": self.stage,
            "since": self.since,
            "action": self.action,
            "waits_on": list(self.waits_on),
        }


def permission(org: Any, actor: Actor, unit: str, allowed: Allowed | None) -> str:
    """Why ``actor`` may not fire a transition with ``allowed`` at ``unit`` (``""``: it may)."""
    if not in_scope(org, actor, unit):
        return f"{unit!r} is outside {actor.id!r}'s scope ({', '.join(sorted(actor.scope or ()))})"
    if allowed is not None and not allowed.permits(actor):
        return f"{actor.id!r} lacks role {allowed.describe()}"
    return ""


def approvals(t: Transition) -> tuple[ApprovedBy, ...]:
    """The approval rules in ``t``'s gate."""
    return () if t.gate is None else tuple(r for r in walk(t.gate) if isinstance(r, ApprovedBy))


class InboxQueries(RunState):
    """Answer "what next?" and "what awaits me?" (``Run.next_actions``, ``Run.awaiting``)."""

    def next_actions(self, unit: str, *, by: Actor | None = None) -> tuple[NextAction, ...]:
        """The events leaving ``unit``'s stage, each judged for ``by`` now.

        Each carries whether ``by``'s scope and roles allow it, and the ordering
        and gate verdict :meth:`check` would give; nothing is written (not even
        a refusal). Without ``by``, scope and roles are not judged.

        Raises:
            UnknownUnit: the unit is not in the org.
            PermissionDenied: ``by`` is neither ``None`` nor an actor.
        """
        rec = self._unit(unit)
        if by is not None:
            require_actor(by, unit=unit, action="next_actions")
        now = self.clock()
        at = now.isoformat()
        out = []
        for t in self._leaving.get(rec.state, ()):
            refusal = "" if by is None else permission(self.org, by, unit, t.allowed)
            out.append(
                NextAction(
                    unit=unit,
                    event=t.event,
                    label=t.label or t.event,
                    dest=self.engine.dest(t.event, rec.state) or t.dest,
                    permitted=not refusal,
                    refusal=refusal,
                    verdict=self._verdict(unit, rec, t, by, now, at),
                )
            )
        return tuple(out)

    def awaiting(self, actor: Actor, *, limit: int = 50, offset: int = 0) -> tuple[AwaitingItem, ...]:
        """The units waiting on ``actor``, oldest waiting first (then unit id, then event order).

        A unit waits on the actor when the actor may fire one of the events leaving
        its stage now (scope, role, ordering and gate hold: ``"fire"``), or when that
        event's gate fails only on approvals (``cf.approved_by``) the actor may give,
        as a member of a supervision group supervising the unit or holding the
        approving role there, with the unit in the actor's scope and, for an
        approval of the latest revision (``latest_of=``), a revision recorded to
        approve (``"approve"``).

        Only the units of the actor's scope and those its groups supervise are read:
        a township clerk's inbox costs a township's units, whatever the org's size.

        Args:
            actor: whose inbox.
            limit: items returned at most (a page).
            offset: items skipped first (the next page starts at ``offset + limit``).

        Raises:
            PermissionDenied: ``actor`` is not an actor.
            ArgumentError: a negative ``limit`` or ``offset`` (a non-int is a ``TypeError``).
        """
        require_actor(actor, unit="*", action="awaiting")
        limit, offset = whole(limit, "limit"), whole(offset, "offset")
        now = self.clock()
        at = now.isoformat()
        items: list[tuple[str, str, int, AwaitingItem]] = []
        for unit in self._candidates(actor):
            rec = self._units[unit]
            for index, t in enumerate(self._leaving.get(rec.state, ())):
                item = self._waiting(unit, rec, t, actor, now, at)
                if item is not None:
                    items.append((item.since, unit, index, item))
        items.sort(key=lambda x: x[:3])
        return tuple(item for *_, item in items[offset : offset + limit])

    def _candidates(self, actor: Actor) -> Iterable[str]:
        """Units that may wait on ``actor``: its scope's subtrees, or what it may approve.

        An actor with a scope acts only there, approvals included. An actor without
        one who may fire some event may act anywhere (every unit is read); one who
        may fire none can only approve: the units its groups supervise, and those
        where it holds a role (an approving role at the unit).
        """
        org = self.org
        if actor.scope is not None:
            seen: dict[str, None] = {}
            for root in sorted(actor.scope):
                if root in org and root not in seen:
                    seen.update(dict.fromkeys(org.subtree(root)))
            return seen
        if any(t.allowed is None or t.allowed.permits(actor) for t in self.definition.transitions):
            return org
        seen = {}
        for node in org.memberships(actor.id):
            if node in org:
                seen[node] = None
            else:  # a supervision group (units a group supervises; none for anything else)
                seen.update(dict.fromkeys(org.supervised(node)))
        return seen

    def _waiting(  # noqa: PLR0917 - private, one caller
        self, unit: str, rec: _Unit, t: Transition, actor: Actor, now: datetime, at: str
    ) -> AwaitingItem | None:
        org = self.org
        if not in_scope(org, actor, unit):
            return None
        may_fire = t.allowed is None or t.allowed.permits(actor)
        mine = {r.id for r in approvals(t) if self._can_approve(r, actor, unit)}
        if not may_fire and not mine:
            return None
        verdict = self._verdict(unit, rec, t, actor, now, at)
        action: Literal["fire", "approve"]
        waits: tuple[str, ...] = ()
        if verdict.passed:
            if not may_fire:
                return None
            action = "fire"
        else:
            failing = verdict.failures
            if not mine or any(f.rule not in mine for f in failing):
                return None
            action, waits = "approve", _lines(verdict)
        return AwaitingItem(
            unit=unit,
            event=t.event,
            label=t.label or t.event,
            stage=rec.state,
            since=self._since(unit),
            action=action,
            waits_on=waits,
        )

    def _can_approve(self, r: ApprovedBy, actor: Actor, unit: str) -> bool:
        """True when ``actor`` may give approval ``r`` at ``unit`` now (something is there to approve)."""
        org = self.org
        approvers: Sequence[str] | frozenset[str] = (
            org.supervisors(unit) if r.group == "supervises" else org.people(unit, r.group)
        )
        if actor.id not in approvers:
            return False
        return r.latest_of is None or bool(self.records_of(unit, evidence_name(r.latest_of)))
