"""Sending a unit back to redo a stage (返工): counted, escalated past the limit."""

from __future__ import annotations

from campaignflow.definition.actors import Actor
from campaignflow.exceptions import (
    EvidenceError,
    InvalidTransition,
    UnknownStage,
)
from campaignflow.run import audit as _audit
from campaignflow.run.authz import require_above, require_actor
from campaignflow.run.engine import EngineRefused, send_back_event
from campaignflow.run.hooks import call_hooks
from campaignflow.run.keys import checked_key, first_step
from campaignflow.run.state import RunState, _Unit, escalation_of
from campaignflow.values.findings import Verdict
from campaignflow.values.records import Kind, Step


class SendBackVerbs(RunState):
    """Send units back (``Run.send_back``)."""

    def send_back(self, unit: str, stage: str, *, reason: str, by: Actor, key: str | None = None) -> Step:
        """Send ``unit`` back to ``stage`` to redo it (返工), counting it.

        The send-back that takes the unit's count for ``stage`` past the rework
        limit calls the rework's ``escalate`` callback, once. ``key``: an
        idempotency key, as for :meth:`~campaignflow.Run.record`.

        Raises:
            UnknownUnit: the unit is not in the org.
            UnknownStage: no rework is declared to that stage.
            PermissionDenied: the actor is not above the unit or lacks the rework's roles.
            InvalidTransition: the unit is not past that stage.
            KeyReused: ``key`` already wrote another request's step.
        """
        rec = self._unit(unit)
        rework = self.definition.reworks.get(stage)
        if rework is None:
            raise UnknownStage(stage, campaign=self.definition.id, known=tuple(self.definition.reworks))
        if not isinstance(reason, str) or not reason.strip():
            msg = f"send_back({unit!r}, {stage!r}) needs a reason a clerk can act on"
            raise EvidenceError(msg, unit=unit)
        actor = require_actor(by, unit=unit, action="send_back")
        if key is not None:
            key = checked_key(key)
            first = first_step(
                self.store,
                key,
                unit=unit,
                actor=actor.id,
                what=f"send_back to {stage!r} at {unit!r}",
                same=lambda s: (
                    s.kind is Kind.SEND_BACK
                    and s.event == "send_back"
                    and s.target == stage
                    and s.reason == reason
                ),
            )
            if first is not None:
                return first
        try:
            require_above(self.org, actor, unit=unit, action="send_back", allowed=rework.allowed)
        except Exception as exc:
            self._deny(unit, actor, "send_back", exc)
            raise
        return self._send_back(unit, rec, stage, reason=reason, actor=actor, key=key or "")

    def _send_back(
        self,
        unit: str,
        rec: _Unit,
        stage: str,
        *,
        reason: str,
        actor: Actor,
        event_name: str = "send_back",
        verdict: Verdict | None = None,
        record: object = None,
        key: str = "",
    ) -> Step:
        """Write an authorised send-back; ``record``: evidence written first, in the same write."""
        rework = self.definition.reworks[stage]
        event = send_back_event(stage)
        if self.engine.dest(event, rec.state) is None:
            raise InvalidTransition(unit, event_name, rec.state, sources=self.engine.sources(event))
        before, version = rec.state, rec.version
        count = (rec.reworks or {}).get(stage, 0) + 1
        now = self._now()
        first = (
            []
            if record is None
            else [self._record_step(unit, rec, record, kind=type(record).__name__, actor=actor, now=now)]
        )
        try:
            self.engine.apply(rec, event)
        except EngineRefused as exc:  # pragma: no cover - dest() was checked above
            raise InvalidTransition(unit, event_name, before, sources=()) from exc
        old_reworks, old_since = rec.reworks, rec.since
        rec.version += 1 + len(first)
        rec.since = now
        rec.reworks = {**(old_reworks or {}), stage: count}
        step = Step(
            seq=0,
            unit=unit,
            kind=Kind.SEND_BACK,
            actor=actor.id,
            at=now,
            event=event_name,
            source=before,
            dest=rec.state,
            verdict=verdict,
            reason=reason,
            target=stage,
            count=count,
            key=key,
        )
        try:
            *_, stored = self.store.append(
                [*first, step], [self._row(unit, rec, moved=True)], {unit: version}
            )
        except BaseException:
            rec.state, rec.version, rec.reworks, rec.since = before, version, old_reworks, old_since
            raise
        if self._voids is not None:
            self._voids.sent_back(unit, old_reworks, rec.reworks, stored)
        self.counters.move(unit, before, rec.state)
        self.counters.sent_back(unit, first=not old_reworks)
        if self._blocked.pop(unit, None) is not None:
            self.counters.blocked(unit, -1)
        _audit.emit(
            "unit_sent_back",
            campaign=self.definition.id,
            unit=unit,
            stage=stage,
            count=count,
            actor=actor.id,
            reason=reason,
            seq=stored.seq,
        )
        if count == rework.limit + 1:
            esc = escalation_of(stored, rework.limit)
            self.escalations.append(esc)
            _audit.emit("unit_escalated", campaign=self.definition.id, unit=unit, stage=stage, count=count)
            if rework.escalate is not None:
                rework.escalate(esc)
        call_hooks(self, (stored,), stored)
        return stored
