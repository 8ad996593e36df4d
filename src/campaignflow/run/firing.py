"""Firing events: one unit or a batch, the gate judged, the move written in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from campaignflow.definition.actors import Actor
from campaignflow.definition.model import Transition
from campaignflow.definition.sharing import shared_reads
from campaignflow.exceptions import (
    GateClosed,
)
from campaignflow.run import audit as _audit
from campaignflow.run.authz import require_actor
from campaignflow.run.fresh import freshen, units_read
from campaignflow.run.gc import paused
from campaignflow.run.hooks import call_hooks
from campaignflow.run.judging import BatchRead, quick_later
from campaignflow.run.keys import checked_key, repeated_fire
from campaignflow.run.refusals import append_kept
from campaignflow.run.results import BatchResult, FiredSteps
from campaignflow.run.rollup import Blocked
from campaignflow.run.state import RunState, _Unit
from campaignflow.run.state import fired_names as fired_names_of
from campaignflow.store._base import Fires, LaterVerdict, append_fires
from campaignflow.values.findings import Verdict
from campaignflow.values.records import Kind, Recorded, Step

# Enum attribute access is slow on the hot path (Python 3.11); look members up once.
_FIRE, _DENY = Kind.FIRE, Kind.DENY
_GATE_CLOSED = "gate closed"  # a refusal's reason


class FiringVerbs(RunState):
    """Fire events (``Run.fire``, ``fire_many``): judge, move, write, count."""

    def fire(self, unit: str, event: str, *, by: Actor, key: str | None = None) -> Step:
        """Fire ``event`` for ``unit`` if its ordering and gate hold.

        Order of checks: unknown event/unit, actor and scope, role, the event
        leaving the unit's stage, ordering constraints and gate, then the move
        and the write (one transaction). ``key``: an idempotency key (see
        :meth:`record`); repeating a refused fire's key raises its ``GateClosed`` again.

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
        if key is not None:
            key, who = checked_key(key), require_actor(by, unit=unit, action=event).id
            first = repeated_fire(self.store, key, unit=unit, event=event, actor=who)
            if first is not None:
                return first
        t = self._transition(unit, rec, event)
        actor = self._authorise(unit, by, event, t.allowed)
        rules = self._ordering.get(id(t))
        others = freshen(self, units_read(self, unit, rules)) if rules else None
        now = self.clock()
        at = now.isoformat()  # the check and the write share one moment
        verdict = self._verdict(unit, rec, t, actor, now, at)
        refused = not verdict.passed
        step, kept = self._commit_one(unit, rec, t, verdict, actor, at, others, key=key or "")
        if refused:
            raise GateClosed(verdict, actor=actor.id, seq=step.seq, kept=kept)
        call_hooks(self, (step,), step)
        return step

    def _commit(  # noqa: PLR0917 - private, a batch's columns
        self,
        units: Sequence[str],
        recs: Sequence[_Unit],
        ts: Sequence[Transition],
        verdicts: Sequence[Verdict | LaterVerdict],
        actor: Actor,
        now: str,
        *,
        others: Mapping[str, int] | None = None,
    ) -> Fires:
        """Apply a batch's passing verdicts through the engine, log its refusals; one transaction at ``now``.

        In-memory state changes only after the store accepted the write; a failed
        write (``ConcurrentUpdate``, a crash) leaves the run as it was. ``others``:
        versions of the units the ordering rules read, checked with the written
        units' (``_fresh``). The batch is counted and logged as one (``units_fired``).
        The batch is held as columns (one list per field, not a tuple or a ``Step``
        per unit), and written so (``append_fires``): a step is built when read, and
        every object a unit adds to a batch is one more for the cyclic collector.
        """
        fires = Fires(ts[0].event, actor.id, now)
        sources, dests, kinds, reasons = fires.sources, fires.dests, fires.kinds, fires.reasons
        versions, names, reworks, blocked = fires.versions, fires.names, fires.reworks, fires.blocked
        fired_names, bits = self._names, self._bits
        expected: dict[str, int] = {}
        # What a failed write puts back: each unit's state (its step's source), fired mask
        # and since, and the refusals in force (only the blocked units have one).
        fired: list[int] = []
        since: list[str | None] = []
        in_force = self._blocked
        was_blocked = {u: b for u in units if (b := in_force.get(u)) is not None} if in_force else {}
        try:
            for unit, rec, t, verdict in zip(units, recs, ts, verdicts, strict=True):
                sources.append(rec.state)
                fired.append(rec.fired)
                since.append(rec.since)
                expected[unit] = rec.version
                if self._moved(unit, rec, t, verdict, now):
                    kinds.append(_FIRE)
                    reasons.append("")
                    blocked.append(None)
                else:
                    kinds.append(_DENY)
                    reasons.append(_GATE_CLOSED)
                    blocked.append(in_force[unit].to_dict())
                dests.append(rec.state)
                # The unit's row, as columns (``unit_row``'s fields; the stage is ``dests``).
                versions.append(rec.version)
                mask = rec.fired
                names.append(
                    fired_names.get(mask) or fired_names.setdefault(mask, fired_names_of(bits, mask))
                )
                reworks.append(rec.reworks)
            fires.units.extend(units)
            fires.verdicts.extend(verdicts)
            for other, version in (others or {}).items():
                expected.setdefault(other, version)  # read, not written: still checked
            append_fires(self.store, fires, expected)
        except BaseException:
            for i in reversed(range(len(fired))):
                unit = units[i]
                was = was_blocked.get(unit)
                self._undo(unit, recs[i], sources[i], expected[unit], fired[i], was, since[i])
            raise
        self._counted_many(fires, ts, was_blocked, actor)
        return fires

    def _undo(  # noqa: PLR0917 - private, the fields of an undo record
        self,
        unit: str,
        rec: _Unit,
        state: str,
        version: int,
        fired: int,
        blocked: Blocked | None,
        since: str | None,
    ) -> None:
        """Put a unit's record and refusal back as they were before a write that failed."""
        rec.state, rec.version, rec.fired, rec.since = state, version, fired, since
        if blocked is None:
            self._blocked.pop(unit, None)
        else:
            self._blocked[unit] = blocked

    def _moved(self, unit: str, rec: _Unit, t: Transition, verdict: Verdict | LaterVerdict, now: str) -> bool:
        """Apply one judged fire to the unit's record: move it (True), or block it (False)."""
        rec.version += 1
        if verdict.passed:
            self.engine.apply(rec, t.event)
            rec.fired |= self._bits[t.event]
            rec.since = now
            self._blocked.pop(unit, None)
            return True
        assert isinstance(verdict, Verdict)  # noqa: S101 - only passes are deferred
        self._blocked[unit] = Blocked.from_verdict(verdict)
        return False

    def _move(  # noqa: PLR0917 - private, a single fire's step
        self, unit: str, rec: _Unit, t: Transition, verdict: Verdict, actor: Actor, now: str, key: str = ""
    ) -> Step:
        """Apply one judged fire to the unit's record (:meth:`_moved`), and build its step."""
        before = rec.state
        moved = self._moved(unit, rec, t, verdict, now)
        return Step(
            seq=0,
            unit=unit,
            kind=_FIRE if moved else _DENY,
            actor=actor.id,
            at=now,
            event=t.event,
            source=before,
            dest=rec.state,
            verdict=verdict,
            reason="" if moved else _GATE_CLOSED,
            key=key,
        )

    def _commit_one(  # noqa: PLR0917 - private, fire's own write
        self,
        unit: str,
        rec: _Unit,
        t: Transition,
        verdict: Verdict,
        actor: Actor,
        now: str,
        others: Mapping[str, int] | None,
        *,
        key: str = "",
    ) -> tuple[Step, bool]:
        """:meth:`_commit` for one unit, without a batch's lists (a single fire's hot path)."""
        state, version, fired, since = rec.state, rec.version, rec.fired, rec.since
        blocked = self._blocked.get(unit)
        expected = {unit: version}
        try:
            step = self._move(unit, rec, t, verdict, actor, now, key)
            if others:
                for other, seen in others.items():
                    expected.setdefault(other, seen)  # read, not written: still checked
            if verdict.passed:
                (stored,), kept = self.store.append([step], [self._row(unit, rec)], expected), False
            else:
                (stored,), kept = append_kept(self.store, [step], [self._row(unit, rec)], expected)
        except BaseException:
            self._undo(unit, rec, state, version, fired, blocked, since)
            raise
        self._counted(stored, t, verdict, was_blocked=blocked is not None, actor=actor)
        return stored, kept

    def _gate_id(self, t: Transition, verdict: Verdict | LaterVerdict) -> str:
        """The rule id at the root of a passing ``verdict`` on ``t``, without building a lazy one."""
        found = self._gate_ids.get(id(t))
        if found is not None:
            return found
        return (verdict if isinstance(verdict, Verdict) else verdict.verdict()).root.rule

    def _counted(
        self, step: Step, t: Transition, verdict: Verdict, *, was_blocked: bool, actor: Actor
    ) -> None:
        """Roll a written fire or refusal into the counters and the audit log."""
        unit = step.unit
        now_blocked = unit in self._blocked
        if now_blocked != was_blocked:
            self.counters.blocked(unit, +1 if now_blocked else -1)
        self.counters.move(unit, step.source, step.dest)
        if not _audit.listening():
            return
        self._log_decision(step, t, verdict, actor)

    def _log_decision(self, step: Step, t: Transition, verdict: Verdict, actor: Actor) -> None:
        """One fire's or refusal's event: compact (a pass names its gate, a refusal its failures)."""
        if step.kind is not _FIRE:
            _audit.emit(
                "unit_denied",
                campaign=self.definition.id,
                unit=step.unit,
                trigger=step.event,
                actor=actor.id,
                source=step.source,
                dest=step.dest,
                seq=step.seq,
                reason=step.reason,
                verdict=_audit.refused(verdict),
            )
            return
        # A pass has no empty field but its reason: the event is built as it is sent.
        _audit.emit_full(
            "unit_fired",
            {
                "campaign": self.definition.id,
                "unit": step.unit,
                "trigger": step.event,
                "actor": actor.id,
                "source": step.source,
                "dest": step.dest,
                "seq": step.seq,
                "verdict": _audit.passed(self._gate_id(t, verdict)),
            },
        )

    def _counted_many(
        self,
        fires: Fires,
        ts: Sequence[Transition],
        was_blocked: Mapping[str, Blocked],
        actor: Actor,
    ) -> None:
        """Roll a written batch into the counters (once per subtree and slot) and the audit log.

        A listening host gets one ``units_fired`` event for the batch's moves, grouped
        by (source, dest, gate), and one ``unit_denied`` per refusal (its failed findings).
        """
        blocked = self._blocked
        units, sources, dests = fires.units, fires.sources, fires.dests
        # A unit's blocking changes only if it was blocked before or is refused now.
        deltas = {unit: -1 for unit in was_blocked if unit not in blocked}
        if _DENY in fires.kinds:
            for unit, kind in zip(units, fires.kinds, strict=True):
                if kind is _DENY and unit not in was_blocked:
                    deltas[unit] = +1
        self.counters.move_many(units, sources, dests, deltas)
        if not _audit.listening():
            return
        groups: dict[tuple[str, str, str], tuple[list[str], list[int]]] = {}
        seqs, verdicts = fires.seqs, fires.verdicts
        for i, (kind, t) in enumerate(zip(fires.kinds, ts, strict=True)):
            verdict = verdicts[i]
            if kind is _FIRE:
                key = (sources[i], dests[i], self._gate_id(t, verdict))
                group = groups.get(key)
                if group is None:
                    group = groups[key] = ([], [])
                group[0].append(units[i])
                group[1].append(seqs[i])
                continue
            assert isinstance(verdict, Verdict)  # noqa: S101 - only passes are deferred
            self._log_decision(fires.step(i), t, verdict, actor)
        if groups:
            _audit.emit(
                "units_fired",
                campaign=self.definition.id,
                trigger=fires.event,
                actor=actor.id,
                count=sum(len(units) for units, _ in groups.values()),
                moves=[
                    {"source": source, "dest": dest, "gate": gate, "units": units, "seqs": seqs}
                    for (source, dest, gate), (units, seqs) in groups.items()
                ],
            )

    def _judge_many(  # noqa: PLR0917 - private, a batch's columns
        self,
        units: Sequence[str],
        recs: Sequence[_Unit],
        ts: Sequence[Transition],
        actor: Actor,
        now: datetime,
        at: str,
        read: Mapping[tuple[str, str], Sequence[Recorded[Any]]] | None,
    ) -> list[Verdict | LaterVerdict]:
        """A batch's verdicts: each unit of an ordering-free compiled gate passes in one step
        (``quick_later``: its verdict is built when its step is read); the others, and those
        it cannot pass, are judged in full."""
        judged: list[Verdict | LaterVerdict] = []
        quicks, kinds = self._quick, self._kinds
        for unit, rec, t in zip(units, recs, ts, strict=True):
            key = id(t)
            quick = None if t.order else quicks.get(key)
            verdict: Verdict | LaterVerdict | None
            if quick is not None:
                verdict = quick_later(self, unit, rec.state, t, actor, now, at, kinds[key], quick, read)
                if verdict is None:
                    verdict = self._verdict(unit, rec, t, actor, now, at, read, quickly=False)
            else:
                verdict = self._verdict(unit, rec, t, actor, now, at, read)
            judged.append(verdict)
        return judged

    def _batch_read(
        self, units: Sequence[str], recs: Sequence[_Unit], ts: Sequence[Transition]
    ) -> BatchRead | None:
        """A batch's evidence in one read per store (one query per 2,000 units on SQL): each unit's
        of the kinds its gate reads, and the records shared to it from above (``counts_below``)."""
        reads = self._reads
        kinds = sorted({k for key in set(map(id, ts)) for k in reads.get(key, ())})
        many = getattr(self.store, "records_many", None)  # optional for stores written before it
        if not kinds or many is None:
            return None
        read = many(units, kinds)
        shares = self.definition.counts_below
        above, shared = shared_reads(shares, self.org, units, kinds) if shares else ([], [])
        held = set(units)
        above = [u for u in above if u not in held]  # the batch's own units were read already
        if above:
            read.update(many(above, shared))
        if self._voids is None:
            return BatchRead(read, shares)
        reworks = {u: r.reworks for u, r in zip(units, recs, strict=True)}
        reworks.update((u, rec.reworks) for u in above if (rec := self._units.get(u)) is not None)
        return BatchRead(self._voids.live_many(self, reworks, read), shares)

    def fire_many(self, units: Iterable[str], event: str, *, by: Actor) -> BatchResult:
        """Fire ``event`` for many units in one transaction.

        Units whose ordering and gate hold move; refusals are logged in the same
        transaction and returned, not raised. Unknown units, permission and
        transition errors are raised before anything is written.
        """
        self._event(event)
        actor = require_actor(by, unit="*", action=event)
        wanted = list(dict.fromkeys([units] if isinstance(units, str) else units))
        with paused(len(wanted), on=self.pause_gc):
            recs: list[_Unit] = []
            ts: list[Transition] = []
            cleared: set[int] = set()  # transitions whose roles this unscoped actor holds
            for unit in wanted:
                rec = self._unit(unit)
                t = self._transition(unit, rec, event)
                if id(t) not in cleared:
                    self._authorise(unit, actor, event, t.allowed)
                    if actor.scope is None:  # then neither check depends on the unit
                        cleared.add(id(t))
                recs.append(rec)
                ts.append(t)
            # One moment for the whole batch, as for its one transaction.
            now = self.clock()
            at = now.isoformat()
            ordering = self._ordering
            read_by = [
                units_read(self, u, r) for u, t in zip(wanted, ts, strict=True) if (r := ordering.get(id(t)))
            ]
            others = freshen(self, dict.fromkeys(o for units in read_by for o in units)) if read_by else None
            # Read after the units the ordering reads are fresh, as a single fire reads after them.
            read = self._batch_read(wanted, recs, ts)
            verdicts = self._judge_many(wanted, recs, ts, actor, now, at, read)
            fires = self._commit(wanted, recs, ts, verdicts, actor, at, others=others) if wanted else None
        refused = tuple(v for v in verdicts if isinstance(v, Verdict) and not v.passed)
        if fires is None:
            fired = FiredSteps(Fires(event, actor.id, at), ())
        elif refused:
            fired = FiredSteps(fires, [i for i, kind in enumerate(fires.kinds) if kind is _FIRE])
        else:
            fired = FiredSteps(fires, range(len(fires)))
        result = BatchResult(fired=fired, refused=refused)
        call_hooks(self, result.fired, result)
        return result
