"""A shard of a verify: the checks of the one pass over every ``of``-th unit, in one loop, clean or not.

A shard only says whether anything is amiss; the one pass
(:mod:`campaignflow.run.verify_pass`) then runs and names it, so a shard's
loop may stop at the first doubt with a short sentence.
"""

from __future__ import annotations

from multiprocessing.connection import Connection
from typing import Any, cast

import attrs

from campaignflow.definition.model import Definition
from campaignflow.org.graph import Org
from campaignflow.run.replay_rows import BlobShard, Logged, lean_row
from campaignflow.run.verify_pass import _Problem, _same, _Verify
from campaignflow.store import Checkpoint, Store, UnitRow
from campaignflow.store.codec import KIND_COLUMN
from campaignflow.values.records import Kind

PAGE = 2_000
"""Units whose projection rows a shard reads at once."""

_NEVER = 1 << 63  # past every seq: no checkpoint left


@attrs.frozen(kw_only=True)
class _Place:
    """Which shard of how many, of which SQLite file and campaign's tables."""

    shard: int
    of: int
    file: str
    prefix: str


def _child(send: Connection, definition: Definition, org: Org, store: Store, place: _Place) -> None:
    forked = getattr(store, "forked", None)
    if forked is not None:
        forked()
    try:
        send.send(_shard(definition, org, store, place))
    finally:
        send.close()


def _shard(definition: Definition, org: Org, store: Store, place: _Place) -> tuple[int, int] | None:
    """``(steps, denials)`` when the shard at ``place`` finds nothing amiss, else ``None``."""
    try:
        check = _Shard(definition, org, store, place)
        try:
            check.all()
        finally:
            check.reads.close()
    except Exception:  # noqa: BLE001 - anything amiss: the one-pass verify names it
        return None
    return check.n, check.denied


class _Shard(_Verify):
    """One shard of a verify: the log, index, keys and projection rows of every ``of``-th unit.

    Rows are given to a shard by their ``unit`` column (a row whose column was
    rewritten lands in another shard, where its body disagrees with it); rows of
    units outside the org go to shard 0, which also checks the checkpoints'
    hashes and the denial log. The evidence index is read in the order it was
    written and compared with the log's records as they come: what it keeps is
    the ids the index says were retracted, until the log retracts them.
    """

    def __init__(self, definition: Definition, org: Org, store: Store, place: _Place) -> None:
        super().__init__(definition, org, store, keep_index=False)
        self.whole = place.shard == 0
        units = list(org)
        self.own = set(units[place.shard :: place.of])
        others = [u for u in units if u not in self.own] if self.whole else self.own
        self.reads = BlobShard(place.file, place.prefix, others, outside=self.whole)
        self.index_rows = self.reads.evidence()
        self.row = next(self.index_rows, None)
        self.dead: dict[str, int] = {}  # ids the index says were retracted -> their seq

    def _mine(self, unit: str) -> bool:
        return unit in self.own or (self.whole and unit not in self.replay.units)

    def log(self) -> None:  # noqa: C901, PLR0912, PLR0915 - one loop: the log, checkpoints, index
        """The shard's log, checkpoints and evidence index in one loop, as the one pass checks them.

        A record that hashes as stored and decodes lean (nine steps in ten) is replayed
        here, as :meth:`_Replayer.apply` would, and its index row compared as it comes;
        every other step goes through ``apply`` and :meth:`_logged`.
        """
        store: Any = self.store
        replay = self.replay
        units, heads, apply, short = replay.units, replay.heads, replay.apply, self.short
        checkpoint = self._checkpoint
        index, row, dead = self.index_rows, self.row, self.dead
        record, column = Kind.RECORD, KIND_COLUMN
        points = iter(store.checkpoints())
        point = next(points, None)
        upto = _NEVER if point is None else point.last_seq
        n = 0
        decode, types = store._decode, store.evidence_types  # noqa: SLF001
        for seq, unit, kind, body, prev, digest in self.reads.log_bytes():
            step, as_stored = lean_row(seq, body, prev, digest, decode, types)
            n += 1
            if step.unit != unit or column[step.kind] != kind:
                raise _Problem("a column of the row differs from its body", unit=unit, seq=seq)
            while upto < seq:  # a checkpoint whose last step is gone: checked first
                checkpoint(cast("Checkpoint", point))  # upto < _NEVER: there is one
                point = next(points, None)
                upto = _NEVER if point is None else point.last_seq
            if step.key:
                self._key(step)
            if as_stored and step.kind is record:
                rec = units.get(unit)
                if (
                    rec is None
                    or prev != heads.get(unit, "")  # the step's prev_hash and hash are its row's
                    or not step.source == step.dest == rec.state
                ):
                    raise _Problem("the record does not replay", unit=unit, seq=seq)
                heads[unit] = digest
                rec.version += 1
                ev = step.evidence
                if ev is not None:
                    if row is None or row[0] != ev.id or row[1] != unit or row[2] != ev.kind or row[3] != seq:
                        raise _Problem("the evidence index differs from the log here", unit=unit, seq=seq)
                    if not row[4]:
                        dead[ev.id] = seq
                    row = next(index, None)
            else:
                problem = apply(step, as_stored=as_stored)
                if problem:
                    raise _Problem(problem, unit=unit, seq=seq)
                self.row = row
                self._logged(step)
                row = self.row
            if unit in short:
                raise _Problem(
                    "replay went on where a checkpoint said the chain was further", unit=unit, seq=seq
                )
            while upto <= seq:
                checkpoint(cast("Checkpoint", point))  # upto < _NEVER: there is one
                point = next(points, None)
                upto = _NEVER if point is None else point.last_seq
        self.row, self.n = row, n
        while point is not None:
            checkpoint(point)
            point = next(points, None)
        if short:
            raise _Problem("a unit does not reach the head a checkpoint recorded")

    def _logged(self, step: Logged) -> None:
        if step.kind is Kind.RECORD and step.evidence is not None:
            row, ev = self.row, step.evidence
            if row is None or row[:4] != (ev.id, step.unit, ev.kind, step.seq):
                raise _Problem("the evidence index differs from the log here", unit=step.unit, seq=step.seq)
            if not row[4]:
                self.dead[ev.id] = step.seq
            self.row = next(self.index_rows, None)
        elif step.kind is Kind.RETRACT and self.dead.pop(step.target, None) is None:
            raise _Problem("the evidence index did not see this retraction", unit=step.unit, seq=step.seq)

    def evidence(self) -> None:
        if self.row is not None or self.dead:
            raise _Problem("the evidence index differs from the log")

    def projection(self) -> None:
        """The shard's projection rows, read a page of units at a time (not the whole table)."""
        many = getattr(self.store, "rows_many")  # noqa: B009 - the SQL store's paged read
        initial, row = self.definition.initial, self.replay.row
        own = [u for u in self.org if u in self.own]
        found = 0
        for i in range(0, len(own), PAGE):
            stored = many(own[i : i + PAGE])
            found += len(stored)
            for unit in own[i : i + PAGE]:
                if not _same(row(unit), stored.get(unit) or UnitRow(unit=unit, stage=initial, version=0)):
                    raise _Problem("the projection differs from the log", unit=unit)
        if found != self.reads.projected():  # a row for a unit outside the org (shard 0's)
            raise _Problem("the projection holds a unit outside the org")
