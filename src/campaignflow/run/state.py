"""A run's state and its shared steps: the units' records, reading them, judging, authorising.

:class:`RunState` holds what every verb of a :class:`~campaignflow.Run` works on: the
units' slotted records, the refusals in force, the counters, the compiled engine.
The verbs live beside it, one module per kind: ``evidence`` (record, retract),
``firing`` (fire, fire_many), ``sendback`` (send_back), ``queries`` (refresh,
progress, obligations); ``run`` puts them together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from campaignflow.definition.actors import Actor
from campaignflow.definition.context import evidence_name
from campaignflow.definition.labels import Labels
from campaignflow.definition.model import Definition, Escalation, Transition
from campaignflow.definition.ordering import ordering_rules
from campaignflow.definition.sharing import people_records
from campaignflow.exceptions import (
    EvidenceError,
    InvalidTransition,
    PermissionDenied,
    UnknownEvent,
    UnknownStage,
)
from campaignflow.org.graph import Org
from campaignflow.run import audit as _audit
from campaignflow.run.authz import require_actor, require_role, require_scope
from campaignflow.run.clock import Clock, IdSource, iso
from campaignflow.run.engine import Engine
from campaignflow.run.gc import default as pause_by_default
from campaignflow.run.judging import combine, judge, quick_kinds, read_kinds
from campaignflow.run.redo import Voids
from campaignflow.run.refusals import append_kept
from campaignflow.run.results import UnitState
from campaignflow.run.rollup import Blocked, Counters, Overdue
from campaignflow.store import Store, UnitRow
from campaignflow.store._base import append_one_of, row_of
from campaignflow.store.denials import Denial
from campaignflow.values.findings import Verdict
from campaignflow.values.records import Kind, Recorded, Step


def fired_names(bits: Mapping[str, int], mask: int) -> tuple[str, ...]:
    """The events set in ``mask``, sorted."""
    return tuple(sorted(e for e, bit in bits.items() if mask & bit))


def unit_row(
    unit: str,
    rec: _Unit,
    bits: Mapping[str, int],
    blocked: Blocked | None,
    head: str = "",
    *,
    names: dict[int, tuple[str, ...]] | None = None,
) -> UnitRow:
    """The projection row of a unit's in-memory record (``names``: a memo of fired masks)."""
    if names is None:
        fired = fired_names(bits, rec.fired)
    else:
        found = names.get(rec.fired)  # () for a unit that never fired: falsy, but memoised too
        fired = names.setdefault(rec.fired, fired_names(bits, rec.fired)) if found is None else found
    reworks = dict(rec.reworks) if rec.reworks else {}
    return row_of(
        unit, rec.state, rec.version, reworks, fired, None if blocked is None else blocked.to_dict(), head
    )


class _Unit:
    """Per-unit state: the engine's model. Slotted: 640k of them must stay small."""

    __slots__ = ("fired", "reworks", "since", "state", "version")

    def __init__(self, state: str, since: str | None = None) -> None:
        self.state = state
        self.version = 0
        self.fired = 0  # bitmask over the campaign's events
        self.reworks: dict[str, int] | None = None
        # ISO time the unit entered its stage; None: not known yet (an opened run reads it
        # from the unit's history on first use); "": since the run started, time unknown.
        self.since = since


def read_escalations(definition: Definition, store: Store, unit: str) -> list[Escalation]:
    """The escalations in ``unit``'s history: each send-back that took a count past its limit."""
    reworks = definition.reworks
    found = []
    for step in store.history(unit):
        rework = reworks.get(step.target) if step.kind is Kind.SEND_BACK else None
        if rework is not None and step.count == rework.limit + 1:
            found.append(escalation_of(step, rework.limit))
    return found


def escalation_of(step: Step, limit: int) -> Escalation:
    """The escalation a send-back step past its stage's ``limit`` puts on the 曝光台."""
    return Escalation(
        unit=step.unit,
        stage=step.target,
        count=step.count,
        limit=limit,
        reason=step.reason,
        actor=step.actor,
        at=step.at,
    )


class RunState:
    """The state every verb of a run works on (see :class:`~campaignflow.Run`)."""

    def __init__(
        self,
        definition: Definition,
        org: Org,
        store: Store,
        *,
        clock: Clock,
        ids: IdSource,
    ) -> None:
        self.definition = definition
        self.org = org
        self.store = store
        self._write_one = append_one_of(store)  # a single fire's write, where the store has one
        self.clock = clock
        self.ids = ids
        self.engine = Engine(definition)
        self.labels = Labels(definition, org)  # what verdicts and reasons name things by
        self._voids = Voids.of(definition)  # what send-backs void (None: no rework redoes anything)
        self._bits = {e: 1 << i for i, e in enumerate(definition.events)}
        # The events a caller may fire: the machine's, less its internal send-backs.
        self._firable = frozenset(e for e in self.engine.machine.events if not e.startswith("send_back:"))
        self._names: dict[int, tuple[str, ...]] = {0: ()}  # fired masks to event names
        self._transitions: dict[tuple[str, str], Transition] = {}
        for t in definition.transitions:
            for leaf in definition.leaves:
                if self.engine.dest(t.event, leaf) is not None and any(
                    definition.covers(s, leaf) for s in t.sources
                ):
                    self._transitions[(t.event, leaf)] = t
        # The transitions leaving each leaf, in declaration order (next_actions, awaiting).
        self._leaving: dict[str, list[Transition]] = {}
        for (_, leaf), t in self._transitions.items():
            self._leaving.setdefault(leaf, []).append(t)
        # Gates a quick check can pass without building findings, and the kinds they read.
        self._kinds = {id(t): k for t in definition.transitions if (k := quick_kinds(t)) is not None}
        self._quick = {
            id(t): t.gate.quick_over() for t in definition.transitions if id(t) in self._kinds and t.gate
        }
        # The root rule id of a passing verdict on a quick gate, known without building it:
        # the gate's own (evaluate stamps it), or the event's when ordering rules join it.
        self._gate_ids = {
            id(t): t.event if t.order else t.gate.id
            for t in definition.transitions
            if t.gate is not None and id(t) in self._kinds
        }
        self._open = {id(t): combine(t, []) for t in definition.transitions if t.gate is None and not t.order}
        self._reads = {id(t): read_kinds(t) for t in definition.transitions}
        # Transitions whose ordering reads other units: those are reloaded before judging.
        self._ordering = {id(t): o for t in definition.transitions if (o := ordering_rules(t))}
        self._units: dict[str, _Unit] = {}
        self._blocked: dict[str, Blocked] = {}
        self._escalations: list[Escalation] = []
        self._unread: list[str] = []  # opened units past a rework limit, escalations not read yet
        self.counters = Counters(org, definition)
        # When the run started (ISO), where relative deadlines need it ("": unknown).
        self.started = ""
        # Pause the process's cyclic collector during this run's batches: the host's choice (run/gc.py).
        self.pause_gc = pause_by_default()

    @property
    def escalations(self) -> list[Escalation]:
        """Every send-back past its rework's limit, as :class:`Escalation` records.

        A run opened from a store reads those of its units past a limit from
        their histories on first use, not when it is opened.
        """
        if self._unread:
            units, self._unread = self._unread, []
            self._escalations[:0] = [
                e for u in units for e in read_escalations(self.definition, self.store, u)
            ]
        return self._escalations

    def _unit(self, unit: str) -> _Unit:
        rec = self._units.get(unit)
        if rec is None:
            self.org.require(unit)  # raises UnknownUnit with suggestions
            raise AssertionError(unit)  # pragma: no cover - require() raised
        return rec

    def stage_of(self, unit: str) -> str:
        """The unit's current leaf stage."""
        return self._unit(unit).state

    def has_fired(self, unit: str, event: str) -> bool:
        """True when the unit has fired ``event`` at least once."""
        return bool(self._unit(unit).fired & self._bits.get(event, 0))

    def reached(self, unit: str, stage: str) -> bool:
        """True when the unit is in ``stage`` or a later one (declaration order).

        Raises:
            UnknownUnit: the unit is not in the org.
            UnknownStage: the campaign declares no stage ``stage``.
        """
        index = self.counters.stage_index
        here = index[self._unit(unit).state]
        try:
            leaf = self.definition.first_leaf(stage)
        except (KeyError, TypeError):
            raise UnknownStage(stage, campaign=self.definition.id, known=tuple(index)) from None
        return here >= index[leaf]

    def records_of(self, unit: str, kind: str) -> Sequence[Recorded[Any]]:
        """The unit's live evidence of type name ``kind`` that counts (see ``rework(redo=)``)."""
        found = self.store.records(unit, kind)
        voids = self._voids
        rec = None if voids is None else self._units.get(unit)
        if rec is None or not rec.reworks:
            return found
        assert voids is not None  # noqa: S101 - rec is only read when there are voids
        return voids.live(self, unit, rec.reworks, kind, found)

    def all_records_of(self, unit: str, kind: str) -> Sequence[Recorded[Any]]:
        """The unit's live evidence of type name ``kind``, whatever a send-back voided."""
        return self.store.records(unit, kind)

    def people_records(
        self, unit: str, kind: str, field: str, *, own: Sequence[Recorded[Any]] | None = None
    ) -> Sequence[Recorded[Any]]:
        """The unit's records of ``kind`` plus those shared from above for ``field`` (学习上延一级).

        ``own``: the unit's own records, when the caller has read them already.
        """
        if own is None:
            own = self.records_of(unit, kind)
        return people_records(self.definition.counts_below, self, unit, kind, field, own)

    def history(self, unit: str) -> tuple[Step, ...]:
        """The unit's steps, oldest first."""
        self._unit(unit)
        return self.store.history(unit)

    def evidence(self, unit: str, tp: type[Any] | str) -> Sequence[Recorded[Any]]:
        """The unit's live evidence of type ``tp`` (a declared evidence class, or its name).

        Raises:
            UnknownUnit: the unit is not in the org.
            EvidenceError: ``tp`` is not an evidence type the campaign declares.
        """
        self._unit(unit)
        declared = self.definition.evidence_types
        name = tp if isinstance(tp, str) else evidence_name(tp) if isinstance(tp, type) else None
        if name is None or name not in declared:
            known = ", ".join(sorted(declared)) or "(none)"
            msg = f"{tp!r} is not an evidence type of campaign {self.definition.id!r} (declared: {known})"
            raise EvidenceError(msg, unit=unit)
        return self.store.records(unit, name)

    def state(self, unit: str) -> UnitState:
        """The unit's current state."""
        rec = self._unit(unit)
        return UnitState(
            unit=unit,
            stage=rec.state,
            label=self.definition.label_of(rec.state),
            version=rec.version,
            reworks=dict(rec.reworks or {}),
            fired=tuple(e for e, bit in self._bits.items() if rec.fired & bit),
            blocked=self._blocked.get(unit),
        )

    def blocked_on(self, unit: str, when: datetime | str) -> Blocked | None:
        """Why ``unit`` was blocked at ``when``, answered from its log alone.

        Returns the refusal in force then (the last fire attempt refused by its gate,
        with no move since), or ``None`` if the unit was not blocked.

        Raises:
            UnknownUnit: the unit is not in the org.
            TypeError: ``when`` is neither a ``datetime`` nor an ISO 8601 string.
        """
        given: object = when  # callers outside mypy pass anything
        if not isinstance(given, str | datetime):
            msg = f"when must be a datetime or an ISO 8601 string, got {type(given).__name__}"
            raise TypeError(msg)
        moment = when if isinstance(when, str) else when.isoformat()
        blocked: Blocked | None = None
        for step in self.history(unit):
            if step.at > moment:
                break
            if step.kind in (Kind.FIRE, Kind.SEND_BACK):
                blocked = None
            elif step.kind is Kind.DENY and step.verdict is not None and not step.verdict.passed:
                blocked = Blocked.from_verdict(step.verdict)
        return blocked

    def units(self) -> Iterable[str]:
        """Every unit id, parents before children."""
        return iter(self.org)

    def _event(self, event: str) -> None:
        if event not in self._firable:
            raise UnknownEvent(event, campaign=self.definition.id, known=self.definition.events)

    def _transition(self, unit: str, rec: _Unit, event: str) -> Transition:
        found = self._transitions.get((event, rec.state))
        if found is None:
            raise InvalidTransition(unit, event, rec.state, sources=self.engine.sources(event))
        return found

    def _verdict(  # noqa: PLR0917 - private, called from three places
        self,
        unit: str,
        rec: _Unit,
        t: Transition,
        actor: Actor | None,
        now: datetime | None = None,
        at: str | None = None,
        read: Mapping[tuple[str, str], Sequence[Recorded[Any]]] | None = None,
        *,
        quickly: bool = True,
    ) -> Verdict:
        """The verdict on ``t`` for ``unit`` (``quickly=False``: its quick check said no already)."""
        key = id(t)
        verdict = judge(
            self,
            unit=unit,
            stage=rec.state,
            t=t,
            actor=actor,
            now=now or self.clock(),
            at=at,
            kinds=self._kinds.get(key) if quickly else None,
            open_root=self._open.get(key),
            read=read,
            reads=self._reads.get(key, ()),
            quick=self._quick.get(key),
        )
        if self._voids is None or verdict.passed or not rec.reworks:
            return verdict
        return self._voids.annotate(self, unit, rec.reworks, t, verdict)

    def check(self, unit: str, event: str, *, by: Actor | None = None) -> Verdict:
        """Evaluate ``event``'s ordering and gate for ``unit`` without firing.

        Raises:
            UnknownUnit: the unit is not in the org.
            UnknownEvent: the campaign declares no such event.
            InvalidTransition: the event does not leave the unit's stage.
        """
        self._event(event)
        rec = self._unit(unit)
        t = self._transition(unit, rec, event)
        return self._verdict(unit, rec, t, by)

    def _since(self, unit: str) -> str:
        """ISO time ``unit`` entered its stage (``""``: not moved since the run started).

        Kept on every move; a run opened from a store reads it from the unit's
        history the first time it is asked.
        """
        rec = self._units[unit]
        if rec.since is None:
            rec.since = ""
            for step in reversed(self.store.history(unit)):
                if step.kind in {Kind.FIRE, Kind.SEND_BACK}:
                    rec.since = step.at
                    break
        return rec.since

    def _entered(self, unit: str) -> datetime | None:
        """When ``unit`` entered its stage, or ``None`` when unknown."""
        since = self._since(unit) or self.started
        return datetime.fromisoformat(since) if since else None

    def _late(self, node: str | None, now: datetime) -> list[Overdue]:
        """The units under ``node`` past a deadline of their stage at ``now``, oldest due first."""
        found = []
        org, definition = self.org, self.definition
        for leaf, units in self.counters.timed.items():
            for unit in units:
                if node is not None and not org.is_ancestor(node, unit):
                    continue
                entered = self._entered(unit) if definition.due_afters else None
                due = definition.deadline(leaf, entered)
                if due is not None and due < now:
                    since = "" if entered is None else entered.isoformat()
                    found.append(Overdue(unit=unit, stage=leaf, since=since, due=due.isoformat()))
        found.sort(key=lambda o: (o.due, o.unit))
        return found

    def _now(self) -> str:
        return iso(self.clock())

    def _row(self, unit: str, rec: _Unit, *, moved: bool = False) -> UnitRow:
        return unit_row(unit, rec, self._bits, None if moved else self._blocked.get(unit), names=self._names)

    def _record_step(
        self,
        unit: str,
        rec: _Unit,
        evidence: object,
        *,
        kind: str,
        actor: Actor,
        now: str,
        key: str = "",
        evidence_id: str = "",
    ) -> Step:
        """The step recording ``evidence`` of type name ``kind`` (from :meth:`_evidence_kind`)."""
        recorded = Recorded(
            id=evidence_id or self.ids(), unit=unit, kind=kind, value=evidence, actor=actor.id, at=now, seq=0
        )
        return Step(
            seq=0,
            unit=unit,
            kind=Kind.RECORD,
            actor=actor.id,
            at=now,
            source=rec.state,
            dest=rec.state,
            evidence=recorded,
            key=key,
        )

    def _deny(self, unit: str, actor: Actor, action: str, error: Exception) -> None:
        """Log a refused authorisation in the denial log, never in the unit's chain or version.

        Kept apart from the caller's transaction when the store allows. A store
        without a denial log (``append_denial``) gets a ``deny`` step, as before.
        """
        reason = str(error)
        rec = self._unit(unit)
        keep = getattr(self.store, "append_denial", None)
        if keep is not None:
            denial, kept = keep(
                Denial(
                    seq=0,
                    unit=unit,
                    actor=actor.id,
                    action=action,
                    stage=rec.state,
                    reason=reason,
                    at=self._now(),
                )
            )
            seq, at, where = denial.seq, denial.at, "denial"
        else:
            stored, kept = self._deny_in_chain(unit, rec, actor, action, reason)
            seq, at, where = stored.seq, stored.at, "seq"
        if isinstance(error, PermissionDenied):
            error.seq, error.at, error.kept = seq, at, bool(kept)
        _audit.emit(
            "unit_denied",
            campaign=self.definition.id,
            unit=unit,
            trigger=action,
            actor=actor.id,
            reason=reason,
            verdict=None,
            **{where: seq},
        )

    def _deny_in_chain(
        self, unit: str, rec: _Unit, actor: Actor, action: str, reason: str
    ) -> tuple[Step, bool]:
        """A ``deny`` step in the unit's own chain, for stores written before the denial log."""
        stage = rec.state
        step = Step(
            seq=0,
            unit=unit,
            kind=Kind.DENY,
            actor=actor.id,
            at=self._now(),
            event=action,
            source=stage,
            dest=stage,
            reason=reason,
        )
        expected = {unit: rec.version}
        rec.version += 1
        try:
            (stored,), kept = append_kept(self.store, [step], [self._row(unit, rec)], expected)
        except BaseException:
            rec.version -= 1
            raise
        return stored, kept

    def _append_one(self, unit: str, rec: _Unit, step: Step) -> Step:
        """Write one step for one unit; every step bumps the unit's version."""
        expected = {unit: rec.version}
        rec.version += 1
        try:
            (stored,) = self.store.append([step], [self._row(unit, rec)], expected)
        except BaseException:
            rec.version -= 1
            raise
        return stored

    def _authorise(self, unit: str, by: object, action: str, allowed: object) -> Actor:
        actor = require_actor(by, unit=unit, action=action)
        if actor.scope is None and allowed is None:
            return actor  # nothing to refuse: no scope limit, no role required
        for check in (require_scope, require_role):
            try:
                check(self.org, actor, unit=unit, action=action, allowed=allowed)
            except Exception as exc:
                self._deny(unit, actor, action, exc)
                raise
        return actor
