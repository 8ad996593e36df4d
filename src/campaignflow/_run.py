"""A run: one campaign applied to one organisation over a store."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from campaignflow import _audit
from campaignflow._actors import Actor
from campaignflow._authz import require_above, require_actor, require_role, require_scope
from campaignflow._clock import Clock, IdSource, system_clock, uuid_ids
from campaignflow._context import evidence_name
from campaignflow._definition import Definition, Escalation, Transition
from campaignflow._engine import Engine, EngineRefused, send_back_event
from campaignflow._findings import Verdict
from campaignflow._fresh import freshen, ordering_rules, units_read
from campaignflow._from_json import evidence_from_json
from campaignflow._gc import paused
from campaignflow._judging import combine, judge, quick_kinds, read_kinds
from campaignflow._labels import Labels
from campaignflow._obligation_report import ObligationReport, obligation_report
from campaignflow._org import Org
from campaignflow._progress import Blocked, Counters, Progress
from campaignflow._records import Kind, Recorded, Step
from campaignflow._redo import Voids
from campaignflow._refresh import catch_up, load_row, read_escalations, recount
from campaignflow._refusals import append_kept
from campaignflow._results import BatchResult, UnitState
from campaignflow._reviewing import ReviewResult, review_unit
from campaignflow._validate import check_evidence
from campaignflow._working_groups import WorkingGroupProgress, working_group_progress
from campaignflow.exceptions import (
    DefinitionError,
    EvidenceError,
    GateClosed,
    InvalidTransition,
    PermissionDenied,
    UnknownEvent,
    UnknownStage,
)
from campaignflow.store import Store, UnitRow, open_store

if TYPE_CHECKING:
    from campaignflow._report import Report


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
        fired = names.get(rec.fired) or names.setdefault(rec.fired, fired_names(bits, rec.fired))
    return UnitRow(
        unit=unit,
        stage=rec.state,
        version=rec.version,
        reworks=dict(rec.reworks) if rec.reworks else {},
        fired=fired,
        blocked=None if blocked is None else blocked.to_dict(),
        head=head,
    )


class _Unit:
    """Per-unit state: the engine's model. Slotted: 640k of them must stay small."""

    __slots__ = ("fired", "reworks", "state", "version")

    def __init__(self, state: str) -> None:
        self.state = state
        self.version = 0
        self.fired = 0  # bitmask over the campaign's events
        self.reworks: dict[str, int] | None = None


class Run:
    """One campaign over one org. Create with ``campaign.start(org)``.

    Every write needs an actor (``by=``) and returns an immutable :class:`Step`.
    """

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
        self.clock = clock
        self.ids = ids
        self.engine = Engine(definition)
        self.labels = Labels(definition, org)  # what verdicts and reasons name things by
        self._voids = Voids.of(definition)  # what send-backs void (None: no rework redoes anything)
        self._bits = {e: 1 << i for i, e in enumerate(definition.events)}
        self._names: dict[int, tuple[str, ...]] = {0: ()}  # fired masks to event names
        self._transitions: dict[tuple[str, str], Transition] = {}
        for t in definition.transitions:
            for leaf in definition.leaves:
                if self.engine.dest(t.event, leaf) is not None and any(
                    definition.covers(s, leaf) for s in t.sources
                ):
                    self._transitions[(t.event, leaf)] = t
        # Gates a quick check can pass without building findings, and the kinds they read.
        self._kinds = {id(t): k for t in definition.transitions if (k := quick_kinds(t)) is not None}
        self._open = {id(t): combine(t, []) for t in definition.transitions if t.gate is None and not t.order}
        self._reads = {id(t): read_kinds(t) for t in definition.transitions}
        # Transitions whose ordering reads other units: those are reloaded before judging.
        self._ordering = {id(t): o for t in definition.transitions if (o := ordering_rules(t))}
        self._units: dict[str, _Unit] = {}
        self._blocked: dict[str, Blocked] = {}
        self._escalations: list[Escalation] = []
        self._unread: list[str] = []  # opened units past a rework limit, escalations not read yet
        self.counters = Counters(org, definition)

    @property
    def escalations(self) -> list[Escalation]:
        """Every send-back past its rework's limit, as :class:`Escalation` records.

        A run opened from a store reads those of its units past a limit from
        their histories on first use, not when it is opened.
        """
        if self._unread:
            units, self._unread = self._unread, []
            self._escalations[:0] = [e for u in units for e in read_escalations(self, u)]
        return self._escalations

    @classmethod
    def over(
        cls,
        definition: Definition,
        org: Org | Iterable[str],
        store: Store | str | Any,
        *,
        fresh: bool,
        clock: Clock | None = None,
        ids: IdSource | None = None,
    ) -> Run:
        """A run object bound to ``store`` (fresh: empty store), units not yet loaded."""
        bound = open_store(store, evidence_types=definition.evidence_types)
        bound.bind(definition.id, fresh=fresh, evidence_types=definition.evidence_types)
        return cls(definition, Org.coerce(org), bound, clock=clock or system_clock, ids=ids or uuid_ids)

    @classmethod
    def start(
        cls,
        definition: Definition,
        org: Org | Iterable[str],
        *,
        store: Store | str | Any = None,
        clock: Clock | None = None,
        ids: IdSource | None = None,
    ) -> Run:
        """Start a fresh run: every unit in the campaign's initial stage.

        Raises:
            StoreError: the store already holds a run (open it instead).
        """
        run = cls.over(definition, org, store, fresh=True, clock=clock, ids=ids)
        initial = definition.initial
        units = run._units  # noqa: SLF001 - the class filling its own new instance
        add = run.counters.add
        for unit in run.org:
            units[unit] = _Unit(initial)
            add(unit, initial)
        return run

    # ------------------------------------------------------------ reading

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
        """True when the unit is in ``stage`` or a later one (declaration order)."""
        index = self.counters.stage_index
        here = index[self._unit(unit).state]
        return here >= index[self.definition.first_leaf(stage)]

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
        sharing = self.definition.counts_below.get(kind)
        if sharing is None or sharing.people != field:
            return own
        return [*own, *sharing.shared(self, unit)]

    def history(self, unit: str) -> tuple[Step, ...]:
        """The unit's steps, oldest first."""
        self._unit(unit)
        return self.store.history(unit)

    def evidence(self, unit: str, tp: type[Any]) -> Sequence[Recorded[Any]]:
        """The unit's live evidence of type ``tp``."""
        self._unit(unit)
        return self.store.records(unit, evidence_name(tp))

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
        """
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

    # ------------------------------------------------------------ checking

    def _event(self, event: str) -> None:
        if not self.engine.has_event(event) or event.startswith("send_back:"):
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
    ) -> Verdict:
        key = id(t)
        verdict = judge(
            self,
            unit=unit,
            stage=rec.state,
            t=t,
            actor=actor,
            now=now or self.clock(),
            at=at,
            kinds=self._kinds.get(key),
            open_root=self._open.get(key),
            read=read,
            reads=self._reads.get(key, ()),
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

    # ------------------------------------------------------------ writing

    def _now(self) -> str:
        return self.clock().isoformat()

    def _row(self, unit: str, rec: _Unit, *, moved: bool = False) -> UnitRow:
        return unit_row(unit, rec, self._bits, None if moved else self._blocked.get(unit), names=self._names)

    def _record_step(
        self, unit: str, rec: _Unit, evidence: object, *, kind: str, actor: Actor, now: str
    ) -> Step:
        """The step recording ``evidence`` of type name ``kind`` (from :meth:`_evidence_kind`)."""
        recorded = Recorded(
            id=self.ids(), unit=unit, kind=kind, value=evidence, actor=actor.id, at=now, seq=0
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
        )

    def _deny(self, unit: str, actor: Actor, action: str, error: Exception) -> None:
        """Log a refused authorisation (kept apart from the caller's transaction when possible)."""
        reason = str(error)
        rec = self._unit(unit)
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
        if isinstance(error, PermissionDenied):
            error.seq, error.at, error.kept = stored.seq, stored.at, kept
        _audit.emit(
            "unit_denied",
            campaign=self.definition.id,
            unit=unit,
            trigger=action,
            actor=actor.id,
            reason=reason,
            verdict=None,
            seq=stored.seq,
        )

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

    def record(self, unit: str, evidence: object, *, by: Actor) -> Step:
        """Record a piece of evidence at ``unit``.

        Raises:
            UnknownUnit: the unit is not in the org.
            EvidenceError: the evidence is undeclared or unsafe to store.
            PermissionDenied: no actor, or the unit is outside its scope.
        """
        rec = self._unit(unit)
        kind = self._evidence_kind(unit, evidence)  # a bad type is refused before authorisation is logged
        actor = self._authorise(unit, by, "record", None)
        step = self._record_step(unit, rec, evidence, kind=kind, actor=actor, now=self._now())
        stored = self._append_one(unit, rec, step)
        _audit.emit(
            "evidence_recorded",
            campaign=self.definition.id,
            unit=unit,
            kind=step.evidence.kind if step.evidence else "",
            evidence=step.evidence.id if step.evidence else "",
            actor=actor.id,
            seq=stored.seq,
        )
        return stored

    def record_many(self, items: Iterable[tuple[str, object]], *, by: Actor) -> list[Step]:
        """Record many pieces of evidence, ``(unit, evidence)`` pairs, in one transaction.

        Every item is validated (unit, evidence type, actor's scope) before anything
        is written; a bad item writes nothing.
        """
        actor = require_actor(by, unit="*", action="record")
        items = list(items)
        with paused(len(items)):
            return self._record_many(items, actor)

    def _record_many(self, items: list[tuple[str, object]], actor: Actor) -> list[Step]:
        now = self._now()
        steps: list[Step] = []
        expected: dict[str, int] = {}
        touched: dict[str, _Unit] = {}
        for unit, evidence in items:
            rec = self._unit(unit)
            kind = self._evidence_kind(unit, evidence)
            if unit not in touched:
                self._authorise(unit, actor, "record", None)
                expected[unit] = rec.version
                touched[unit] = rec
            steps.append(self._record_step(unit, rec, evidence, kind=kind, actor=actor, now=now))
        if not steps:
            return []
        counts: dict[str, int] = {}
        for step in steps:
            counts[step.unit] = counts.get(step.unit, 0) + 1
        for unit, rec in touched.items():
            rec.version += counts[unit]
        try:
            stored = self.store.append(steps, [self._row(u, r) for u, r in touched.items()], expected)
        except BaseException:
            for unit, rec in touched.items():
                rec.version -= counts[unit]
            raise
        _audit.emit(
            "evidence_recorded_many",
            campaign=self.definition.id,
            count=len(stored),
            units=len(touched),
            actor=actor.id,
            first_seq=stored[0].seq,
        )
        return stored

    def evidence_from(self, kind: str, data: object, *, unit: str = "") -> Any:
        """Evidence of type name ``kind`` from JSON ``data``, checked as :meth:`record` checks it.

        Raises:
            EvidenceError: undeclared type, unknown or missing fields, a refused value.
        """
        value = evidence_from_json(self.definition, kind, data)
        check_evidence(unit, value, self.clock())
        return value

    def _evidence_kind(self, unit: str, evidence: object) -> str:
        """The evidence's type name, after checking it is declared and safe to store."""
        check_evidence(unit, evidence, self.clock())
        kind = evidence_name(type(evidence))
        declared = self.definition.evidence_types.get(kind)
        if declared is not type(evidence):
            known = ", ".join(sorted(self.definition.evidence_types)) or "(none)"
            msg = (
                f"unit {unit!r}: evidence type {kind!r} is not declared by campaign "
                f"{self.definition.id!r} (declared: {known}); add it with campaign.evidence({kind})"
            )
            raise EvidenceError(msg, unit=unit)
        return kind

    def retract(self, unit: str, evidence_id: str, *, reason: str, by: Actor) -> Step:
        """Withdraw a piece of evidence (it stays in the log, but no rule reads it)."""
        rec = self._unit(unit)
        actor = self._authorise(unit, by, "retract", None)
        live = [r for kind in self.definition.evidence_types for r in self.store.records(unit, kind)]
        if not any(r.id == evidence_id for r in live):
            msg = f"unit {unit!r} has no live evidence {evidence_id!r} to retract"
            raise EvidenceError(msg, unit=unit)
        step = Step(
            seq=0,
            unit=unit,
            kind=Kind.RETRACT,
            actor=actor.id,
            at=self._now(),
            source=rec.state,
            dest=rec.state,
            reason=reason,
            target=evidence_id,
        )
        stored = self._append_one(unit, rec, step)
        _audit.emit(
            "evidence_retracted",
            campaign=self.definition.id,
            unit=unit,
            evidence=evidence_id,
            actor=actor.id,
            seq=stored.seq,
        )
        return stored

    def fire(self, unit: str, event: str, *, by: Actor) -> Step:
        """Fire ``event`` for ``unit`` if its ordering and gate hold.

        Order of checks: unknown event/unit, actor and scope, role, the event
        leaving the unit's stage, ordering constraints and gate, then the move
        and the write (one transaction).

        Raises:
            UnknownUnit: the unit is not in the org.
            UnknownEvent: the campaign declares no such event.
            PermissionDenied: no actor, out of scope, or without an allowed role.
            InvalidTransition: the event does not leave the unit's stage.
            GateClosed: ordering or gate failed (carries the verdict; the refusal is logged).
            ConcurrentUpdate: another writer changed the unit; nothing was written.
        """
        self._event(event)
        rec = self._unit(unit)
        t = self._transition(unit, rec, event)
        actor = self._authorise(unit, by, event, t.allowed)
        rules = self._ordering.get(id(t))
        others = freshen(self, units_read(self, unit, rules)) if rules else None
        now = self.clock()
        at = now.isoformat()  # the check and the write share one moment
        verdict = self._verdict(unit, rec, t, actor, now, at)
        refused = not verdict.passed
        (step,), kept = self._commit([(unit, rec, t, verdict)], actor, at, refusal=refused, others=others)
        if refused:
            raise GateClosed(verdict, actor=actor.id, seq=step.seq, kept=kept)
        return step

    def _commit(
        self,
        checked: Sequence[tuple[str, _Unit, Transition, Verdict]],
        actor: Actor,
        now: str,
        *,
        refusal: bool = False,
        others: Mapping[str, int] | None = None,
    ) -> tuple[list[Step], bool]:
        """Apply passing verdicts through the engine, log refusals; one transaction at ``now``.

        In-memory state changes only after the store accepted the write; a failed
        write (``ConcurrentUpdate``, a crash) leaves the run as it was. A lone
        ``refusal`` is kept apart from the caller's transaction where the store
        can; the flag returned says whether it was. ``others``: versions of the
        units the ordering rules read, checked with the written units' (``_fresh``).
        """
        steps: list[Step] = []
        rows: list[UnitRow] = []
        expected: dict[str, int] = {}
        undo: list[tuple[str, _Unit, str, int, int, Blocked | None]] = []
        try:
            for unit, rec, t, verdict in checked:
                before = rec.state
                undo.append((unit, rec, before, rec.version, rec.fired, self._blocked.get(unit)))
                expected[unit] = rec.version
                rec.version += 1
                if verdict.passed:
                    self.engine.apply(rec, t.event)
                    rec.fired |= self._bits[t.event]
                    self._blocked.pop(unit, None)
                    kind, reason = Kind.FIRE, ""
                else:
                    self._blocked[unit] = Blocked.from_verdict(verdict)
                    kind, reason = Kind.DENY, "gate closed"
                rows.append(self._row(unit, rec))
                steps.append(
                    Step(
                        seq=0,
                        unit=unit,
                        kind=kind,
                        actor=actor.id,
                        at=now,
                        event=t.event,
                        source=before,
                        dest=rec.state,
                        verdict=verdict,
                        reason=reason,
                    )
                )
            for other, version in (others or {}).items():
                expected.setdefault(other, version)  # read, not written: still checked
            if refusal:
                stored, kept = append_kept(self.store, steps, rows, expected)
            else:
                stored, kept = self.store.append(steps, rows, expected), False
        except BaseException:
            for unit, rec, state, version, fired, blocked in reversed(undo):
                rec.state, rec.version, rec.fired = state, version, fired
                if blocked is None:
                    self._blocked.pop(unit, None)
                else:
                    self._blocked[unit] = blocked
            raise
        for step, (_, _, _, _, _, was_blocked) in zip(stored, undo, strict=True):
            self._counted(step, was_blocked=was_blocked is not None, actor=actor)
        return stored, kept

    def _counted(self, step: Step, *, was_blocked: bool, actor: Actor) -> None:
        """Roll a written fire or refusal into the counters and the audit log."""
        unit = step.unit
        now_blocked = unit in self._blocked
        if now_blocked != was_blocked:
            self.counters.blocked(unit, +1 if now_blocked else -1)
        self.counters.move(unit, step.source, step.dest)
        if not _audit.listening():
            return
        verdict = step.verdict.to_dict() if step.verdict else None
        name = "unit_fired" if step.kind is Kind.FIRE else "unit_denied"
        _audit.emit(
            name,
            campaign=self.definition.id,
            unit=unit,
            trigger=step.event,
            actor=actor.id,
            source=step.source,
            dest=step.dest,
            seq=step.seq,
            reason=step.reason,
            verdict=verdict,
        )

    def fire_many(self, units: Iterable[str], event: str, *, by: Actor) -> BatchResult:
        """Fire ``event`` for many units in one transaction.

        Units whose ordering and gate hold move; refusals are logged in the same
        transaction and returned, not raised. Unknown units, permission and
        transition errors are raised before anything is written.
        """
        self._event(event)
        actor = require_actor(by, unit="*", action=event)
        wanted = list(dict.fromkeys([units] if isinstance(units, str) else units))
        with paused(len(wanted)):
            checked: list[tuple[str, _Unit, Transition]] = []
            cleared: set[int] = set()  # transitions whose roles this unscoped actor holds
            for unit in wanted:
                rec = self._unit(unit)
                t = self._transition(unit, rec, event)
                if id(t) not in cleared:
                    self._authorise(unit, actor, event, t.allowed)
                    if actor.scope is None:  # then neither check depends on the unit
                        cleared.add(id(t))
                checked.append((unit, rec, t))
            # One moment for the whole batch, as for its one transaction.
            now = self.clock()
            at = now.isoformat()
            kinds = sorted({k for _, _, t in checked for k in self._reads.get(id(t), ())})
            # A batch reads its units' evidence at once (one query per 2,000 units on SQL).
            many = getattr(self.store, "records_many", None)  # optional for stores written before it
            read = many([u for u, _, _ in checked], kinds) if kinds and many is not None else None
            if read is not None and self._voids is not None:
                read = self._voids.live_many(self, {u: r.reworks for u, r, _ in checked}, read)
            read_by = [units_read(self, u, r) for u, _, t in checked if (r := self._ordering.get(id(t)))]
            others = freshen(self, dict.fromkeys(o for units in read_by for o in units)) if read_by else None
            judged = [(u, rec, t, self._verdict(u, rec, t, actor, now, at, read)) for u, rec, t in checked]
            steps = self._commit(judged, actor, at, others=others)[0] if judged else []
        return BatchResult(
            fired=tuple(s for s in steps if s.kind is Kind.FIRE),
            refused=tuple(v for _, _, _, v in judged if not v.passed),
        )

    def send_back(self, unit: str, stage: str, *, reason: str, by: Actor) -> Step:
        """Send ``unit`` back to ``stage`` to redo it (返工), counting it.

        The send-back that takes the unit's count for ``stage`` past the rework
        limit calls the rework's ``escalate`` callback, once.

        Raises:
            UnknownUnit: the unit is not in the org.
            UnknownStage: no rework is declared to that stage.
            PermissionDenied: the actor is not above the unit or lacks the rework's roles.
            InvalidTransition: the unit is not past that stage.
        """
        rec = self._unit(unit)
        rework = self.definition.reworks.get(stage)
        if rework is None:
            raise UnknownStage(stage, campaign=self.definition.id, known=tuple(self.definition.reworks))
        if not isinstance(reason, str) or not reason.strip():
            msg = f"send_back({unit!r}, {stage!r}) needs a reason a clerk can act on"
            raise EvidenceError(msg, unit=unit)
        actor = require_actor(by, unit=unit, action="send_back")
        try:
            require_above(self.org, actor, unit=unit, action="send_back", allowed=rework.allowed)
        except Exception as exc:
            self._deny(unit, actor, "send_back", exc)
            raise
        return self._send_back(unit, rec, stage, reason=reason, actor=actor)

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
        old_reworks = rec.reworks
        rec.version += 1 + len(first)
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
        )
        try:
            *_, stored = self.store.append(
                [*first, step], [self._row(unit, rec, moved=True)], {unit: version}
            )
        except BaseException:
            rec.state, rec.version, rec.reworks = before, version, old_reworks
            raise
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
            esc = Escalation(
                unit=unit,
                stage=stage,
                count=count,
                limit=rework.limit,
                reason=reason,
                actor=actor.id,
                at=now,
            )
            self.escalations.append(esc)
            _audit.emit("unit_escalated", campaign=self.definition.id, unit=unit, stage=stage, count=count)
            if rework.escalate is not None:
                rework.escalate(esc)
        return stored

    def working_groups(self) -> tuple[WorkingGroupProgress, ...]:
        """Progress per working group of people (住村联户工作组): its units per stage."""
        return working_group_progress(self)

    def review(self, unit: str, name: str, *, by: Actor) -> ReviewResult:
        """Judge look-back review ``name`` for ``unit`` (回头看); a failed one reopens its stage.

        See :meth:`Campaign.review`. The unit then cannot leave the reopened stage
        until every failed check passes again.
        """
        return review_unit(self, unit, name, by=by)

    def refresh(self, unit: str) -> UnitState:
        """Reload ``unit`` from the store, where another process may have moved it.

        Call it after a :class:`~campaignflow.ConcurrentUpdate` (``retry`` does),
        then redo the operation against the fresh state.
        """
        rec = self._unit(unit)
        row = self.store.row(unit)
        if row is not None and row.version != rec.version:
            load_row(self, unit, rec, row)
        return self.state(unit)

    def catch_up(self, since: int = 0) -> int:
        """Reload every unit written after log position ``since``; the last position seen.

        A long-lived run (one per worker) calls it with the number it returned
        last time, and reads only the units written meanwhile.
        """
        return catch_up(self, since)

    # ------------------------------------------------------------ roll-up

    def progress(self, node: str | None = None, *, limit: int = 100, now: datetime | None = None) -> Progress:
        """Roll-up of the subtree under ``node`` (the whole org by default).

        Counts come from counters kept on every change (O(depth) each), so this
        costs the same for a village and for the national root.
        """
        if node is not None:
            self._unit(node)
        return self.counters.progress(
            node,
            stage_of=self.stage_of,
            blocked=self._blocked,
            reworks_of=lambda u: sum((self._units[u].reworks or {}).values()),
            now=now or self.clock(),
            limit=limit,
        )

    def report(self, node: str | None = None, *, limit: int = 200) -> Report:
        """A report of ``node``'s subtree: progress, blocked units, the 曝光台, ledger.

        Render it with ``to_json()``, ``to_csv()`` or ``to_html()`` (a self-contained
        dashboard). Counts come from the incremental counters.
        """
        from campaignflow._report import build_report  # noqa: PLC0415 - the report layer sits above runs

        return build_report(self, node, limit=limit)

    def obligations(
        self, node: str | None = None, *, now: datetime | None = None, only: Iterable[str] = ()
    ) -> ObligationReport:
        """What is done, due and overdue, for every duty owed toward ``node``'s subtree.

        Args:
            node: the subtree's root (the whole org by default).
            now: the moment judged (the run clock by default).
            only: obligation ids to include (all declared ones by default).

        Raises:
            UnknownUnit: ``node`` is not in the org.
            DefinitionError: ``only`` names an obligation the campaign does not declare.
        """
        declared = self.definition.obligations
        wanted = tuple(only)
        unknown = [o for o in wanted if o not in declared]
        if unknown:
            msg = (
                f"unknown obligation(s) {unknown!r}; "
                f"campaign {self.definition.id!r} declares {list(declared)}"
            )
            raise DefinitionError(msg)
        if node is not None:
            self._unit(node)
        units = self.org if node is None else self.org.subtree(node)
        chosen = [declared[o] for o in wanted] if wanted else list(declared.values())
        return obligation_report(self, chosen, node or "*", units, now or self.clock())

    def recount(self, node: str | None = None, *, now: datetime | None = None) -> Progress:
        """The same figures as :meth:`progress`, by scanning the subtree (for checking)."""
        if node is not None:
            self._unit(node)
        return recount(self, node, now or self.clock())
