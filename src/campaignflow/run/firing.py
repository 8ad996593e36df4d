"""Firing events: one unit or a batch, the gate judged, the move written in one transaction."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from campaignflow.definition.actors import Actor
from campaignflow.definition.model import Transition
from campaignflow.definition.sharing import shared_reads
from campaignflow.exceptions import (
    GateClosed,
)
from campaignflow.run import audit as _audit
from campaignflow.run.authz import require_actor
from campaignflow.run.clock import iso
from campaignflow.run.fresh import freshen, units_read
from campaignflow.run.gc import paused
from campaignflow.run.hooks import call_hooks
from campaignflow.run.judging import BatchRead, quick_later
from campaignflow.run.keys import checked_key, repeated_fire
from campaignflow.run.refusals import append_kept
from campaignflow.run.results import BatchResult, FiredSteps
from campaignflow.run.rollup import Blocked
from campaignflow.run.state import RunState, _Unit, unit_row
from campaignflow.run.state import fired_names as fired_names_of
from campaignflow.store._base import Fires, LaterVerdict, append_fires
from campaignflow.values.findings import Verdict, verdict_of
from campaignflow.values.records import Kind, Recorded, Step, fire_step

# Enum attribute access is slow on the hot path (Python 3.11); look members up once.
_FIRE, _DENY = Kind.FIRE, Kind.DENY
_GATE_CLOSED = "gate closed"  # a refusal's reason
_NO_FIELDS: dict[str, str] = {}  # a pass's event has no reason


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
        if event not in self._firable:
            self._event(event)  # raises
        rec = self._units.get(unit)
        if rec is None:
            rec = self._unit(unit)  # raises
        if key is not None:
            key, who = checked_key(key), require_actor(by, unit=unit, action=event).id
            first = repeated_fire(self.store, key, unit=unit, event=event, actor=who)
            if first is not None:
                return first
        t = self._transitions.get((event, rec.state))
        if t is None:
            t = self._transition(unit, rec, event)  # raises
        if isinstance(by, Actor) and by.scope is None and t.allowed is None:
            actor = by  # what _authorise returns: nothing to refuse
        else:
            actor = self._authorise(unit, by, event, t.allowed)
        rules = self._ordering.get(id(t)) if t.order else None
        others = freshen(self, units_read(self, unit, rules)) if rules else None
        now = self.clock()
        at = iso(now)  # the check and the write share one moment
        verdict = self._judged(unit, rec, t, actor, now, at)
        if verdict.passed and not t.order:
            step = self._fire_passed(unit, rec, t, verdict, actor, at, key or "")
            if self.definition.hooks:
                call_hooks(self, (step,), step)
            return step
        refused = not verdict.passed
        step, kept = self._commit_one(unit, rec, t, verdict, actor, at, others, key=key or "")
        if refused:
            raise GateClosed(verdict, actor=actor.id, seq=step.seq, kept=kept)
        call_hooks(self, (step,), step)
        return step

    def _judged(  # noqa: PLR0917 - private, a single fire's judgement
        self, unit: str, rec: _Unit, t: Transition, actor: Actor, now: datetime, at: str
    ) -> Verdict:
        """:meth:`_verdict` for one fire: a quick gate's pass (or an open transition's) without
        ordering is built through the slots, as ``judge`` builds it; a quick "no" is judged in
        full, as ``judge`` does next; anything else goes through ``judge``."""
        if t.order:
            return self._verdict(unit, rec, t, actor, now, at)
        tid = id(t)
        root = self._open.get(tid)
        if root is not None:
            return verdict_of(unit, t.event, rec.state, at, self.labels, root=root)
        quick = self._quick.get(tid)
        if quick is None:
            return self._verdict(unit, rec, t, actor, now, at)
        later = quick_later(self, unit, rec.state, t, actor, now, at, self._kinds[tid], quick)
        if later is None:
            return self._verdict(unit, rec, t, actor, now, at, quickly=False)
        return verdict_of(unit, t.event, rec.state, at, self.labels, build=later)  # _Later.verdict()

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
        fired_names, bits = self._names, self._bits
        in_force = self._blocked
        was_blocked = {u: b for u in units if (b := in_force.get(u)) is not None} if in_force else {}
        # What a failed write puts back: each unit's state (its step's source), version, fired
        # mask and since, and the refusals in force (only the blocked units have one). Taken
        # column by column, as the batch's own columns are (a comprehension per column costs
        # less than an append per field per unit).
        sources = [rec.state for rec in recs]
        before = [rec.version for rec in recs]
        fired = [rec.fired for rec in recs]
        since = [rec.since for rec in recs]
        try:
            moved = list(map(self._moved, units, recs, ts, verdicts, itertools.repeat(now, len(units))))
            fires.units.extend(units)
            fires.sources = sources
            fires.dests = [rec.state for rec in recs]
            fires.kinds = [_FIRE if ok else _DENY for ok in moved]
            fires.reasons = ["" if ok else _GATE_CLOSED for ok in moved]
            fires.verdicts.extend(verdicts)
            # The units' rows, as columns (``unit_row``'s fields; the stage is ``dests``).
            fires.versions = [rec.version for rec in recs]
            fires.names = [
                fired_names.get(mask) or fired_names.setdefault(mask, fired_names_of(bits, mask))
                for mask in [rec.fired for rec in recs]
            ]
            fires.reworks = [rec.reworks for rec in recs]
            fires.blocked = [
                None if ok else in_force[u].to_dict() for u, ok in zip(units, moved, strict=True)
            ]
            expected = dict(zip(units, before, strict=True))
            for other, version in (others or {}).items():
                expected.setdefault(other, version)  # read, not written: still checked
            append_fires(self.store, fires, expected)
        except BaseException:
            # Every unit is put back (one not moved yet is set to what it holds).
            for i in reversed(range(len(units))):
                unit = units[i]
                self._undo(unit, recs[i], sources[i], before[i], fired[i], was_blocked.get(unit), since[i])
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

    def _fire_passed(  # noqa: PLR0917 - private, a single fire's columns
        self, unit: str, rec: _Unit, t: Transition, verdict: Verdict, actor: Actor, at: str, key: str
    ) -> Step:
        """:meth:`_commit_one` and :meth:`_counted` for a pass without ordering: one write, no lists.

        The same steps in the same order (the move, the step, the row, the write, the
        counters, the event); the step and the row are built through their slots, and a
        store with ``append_one`` takes them without the lists and mapping of ``append``.
        """
        state, version, fired, since = rec.state, rec.version, rec.fired, rec.since
        in_force = self._blocked
        blocked = in_force.get(unit)
        event = t.event
        try:
            rec.version = version + 1
            self.engine.apply(rec, event)
            rec.fired = fired | self._bits[event]
            rec.since = at
            if blocked is not None:
                del in_force[unit]
            step = fire_step(unit, _FIRE, actor.id, at, event, state, rec.state, verdict, "", key)
            row = unit_row(unit, rec, self._bits, None, names=self._names)
            one = self._write_one
            if one is not None:
                step = one(step, row, version)
            else:
                (step,) = self.store.append([step], [row], {unit: version})
        except BaseException:
            self._undo(unit, rec, state, version, fired, blocked, since)
            raise
        counters = self.counters
        if blocked is not None:
            counters.blocked(unit, -1)
        counters.move(unit, state, step.dest)
        to = _audit.logger()
        if to is not None:
            self._log_decision(step, t, verdict, actor, to)
        return step

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

    def _log_decision(
        self, step: Step, t: Transition, verdict: Verdict, actor: Actor, to: Any = None
    ) -> None:
        """One fire's or refusal's event: compact (a pass names its gate, a refusal its failures).

        ``to``: the logger (:func:`~campaignflow.run.audit.logger`), when the caller has it.
        No field of either event is empty (a fire's or refusal's step has its unit,
        event, stages, seq and a refusal its reason; an actor's id is never empty), so
        ``emit`` would leave none out: the fields are given as they are built, without
        a mapping of our own in between.
        """
        if to is None:
            to = _audit.logger()
            if to is None:
                return
        fired = step.kind is _FIRE
        to.info(
            "unit_fired" if fired else "unit_denied",
            campaign=self.definition.id,
            unit=step.unit,
            trigger=step.event,
            actor=actor.id,
            source=step.source,
            dest=step.dest,
            seq=step.seq,
            **(_NO_FIELDS if fired else {"reason": step.reason}),
            verdict=_audit.passed(self._gate_id(t, verdict)) if fired else _audit.refused(verdict),
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
        seqs, verdicts, kinds = fires.seqs, fires.verdicts, fires.kinds
        gate_ids, gate_id = self._gate_ids, self._gate_id
        gates = [gate_ids.get(id(t)) or gate_id(t, v) for t, v in zip(ts, verdicts, strict=True)]
        if _DENY not in kinds and len(set(zip(sources, dests, gates, strict=True))) == 1:
            # One move for the whole batch (the common case): its columns are the group.
            groups[sources[0], dests[0], gates[0]] = (list(units), list(seqs))
        else:
            for i, kind in enumerate(kinds):
                if kind is _FIRE:
                    group = groups.get(key := (sources[i], dests[i], gates[i]))
                    if group is None:
                        group = groups[key] = ([], [])
                    group[0].append(units[i])
                    group[1].append(seqs[i])
                    continue
                verdict = verdicts[i]
                assert isinstance(verdict, Verdict)  # noqa: S101 - only passes are deferred
                self._log_decision(fires.step(i), ts[i], verdict, actor)
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
            held, leaving = self._units, self._transitions
            # Each unit's record and transition in C-level passes; a miss is raised in batch order.
            found = list(map(held.get, wanted))
            leaves = [leaving.get((event, rec.state)) if rec is not None else None for rec in found]
            cleared: set[int] = set()  # transitions whose roles this unscoped actor holds
            for unit, rec, t in zip(wanted, found, leaves, strict=True):
                if rec is None:
                    self._unit(unit)  # raises
                if t is None:
                    assert rec is not None  # noqa: S101 - narrowed: a missing unit raised above
                    self._transition(unit, rec, event)  # raises
                    raise AssertionError(unit)  # pragma: no cover - _transition raised
                if id(t) not in cleared:
                    self._authorise(unit, actor, event, t.allowed)
                    if actor.scope is None:  # then neither check depends on the unit
                        cleared.add(id(t))
            recs = cast("list[_Unit]", found)  # every unit found, or raised above
            ts = cast("list[Transition]", leaves)
            # One moment for the whole batch, as for its one transaction.
            now = self.clock()
            at = iso(now)
            ordering = self._ordering
            read_by = (
                [
                    units_read(self, u, r)
                    for u, t in zip(wanted, ts, strict=True)
                    if (r := ordering.get(id(t)))
                ]
                if ordering
                else []
            )
            others = freshen(self, dict.fromkeys(o for units in read_by for o in units)) if read_by else None
            # Read after the units the ordering reads are fresh, as a single fire reads after them.
            read = self._batch_read(wanted, recs, ts)
            verdicts = self._judge_many(wanted, recs, ts, actor, now, at, read)
            fires = self._commit(wanted, recs, ts, verdicts, actor, at, others=others) if wanted else None
        # A refusal is a deny step: a batch without one has no refused verdict to gather.
        refused = (
            tuple(v for v in verdicts if isinstance(v, Verdict) and not v.passed)
            if fires is not None and _DENY in fires.kinds
            else ()
        )
        if fires is None:
            fired = FiredSteps(Fires(event, actor.id, at), ())
        elif refused:
            fired = FiredSteps(fires, [i for i, kind in enumerate(fires.kinds) if kind is _FIRE])
        else:
            fired = FiredSteps(fires, range(len(fires)))
        result = BatchResult(fired=fired, refused=refused)
        call_hooks(self, result.fired, result)
        return result
