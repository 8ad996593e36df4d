"""Verifying a store: replay its log and check every table a run reads against the hashed bodies.

What is checked, in one pass over the log and its checkpoints:

- every body parses and hashes into its unit's chain (``prev_hash``, ``hash``);
- each row's ``seq``, ``unit`` and ``kind`` columns equal what its hashed body says;
- each step replays through the campaign (source, destination, send-back counts);
- each checkpoint's hash, and that replay reaches the heads it recorded;
- the evidence index (``cf_evidence``: ids, units, kinds, seqs, live flags),
  rebuilt from the log and compared row by row;
- the projection (``cf_units``), rebuilt by replay and compared unit by unit;
- the idempotency keys index (``cf_keys``) against the keys hashed into the
  steps: a key the index lacks would let a repeat write twice, an index row
  naming a step without that key would answer a request with another's step;
- the denial log's own hash chain, when the store keeps one.

A deleted step is named by its own seq when the log no longer reaches it (the
tail of a unit's chain), or by the seq of the next step of the same unit.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from multiprocessing.connection import Connection
from typing import Any

import attrs

from campaignflow.definition.model import Definition
from campaignflow.exceptions import ArgumentError, StoreError
from campaignflow.org.graph import Org
from campaignflow.run.arguments import whole
from campaignflow.run.replay import VerifyReport, _Replayer
from campaignflow.run.replay_rows import BlobShard, Logged, Row, lean_rows
from campaignflow.store import Checkpoint, Store, UnitRow, open_store
from campaignflow.store._base import checkpoint_hash
from campaignflow.store.denials import chain_problem
from campaignflow.values.records import Kind


class _Problem(Exception):
    def __init__(self, problem: str, *, unit: str | None = None, seq: int | None = None) -> None:
        super().__init__(problem)
        self.problem, self.unit, self.seq = problem, unit, seq


def verify(
    definition: Definition, org: Org | Iterable[str], store: Store | str | Any, *, processes: int = 1
) -> VerifyReport:
    """Replay ``store``'s whole log and check every table a run reads against it.

    Returns a report naming the first problem: the step's seq and unit, the
    evidence id, the checkpoint or the unit whose projection differs. Never
    raises for a bad log (a foreign store still raises :class:`StoreError`).

    ``processes``: up to how many processes may share the work (at most the
    machine's cores). Only a SQLite file of :data:`SHARDED_FROM` steps or more
    is split, by forking; the default, 1, never forks, since forking a host's
    threaded process (a web app) is the host's decision, not the library's.
    """
    if whole(processes, "processes") < 1:
        msg = f"processes={processes}: pass 1 (one pass, no fork) or more"
        raise ArgumentError(msg)
    org = Org.coerce(org)
    store = open_store(store, evidence_types=definition.evidence_types)
    store.bind(definition.id, fresh=False, evidence_types=definition.evidence_types)
    clean = _sharded(definition, org, store, processes)
    if clean is not None:
        return clean
    check = _Verify(definition, org, store)
    try:
        check.all()
    except _Problem as found:
        return VerifyReport(
            ok=False,
            steps=check.n,
            units=len(org),
            unit=found.unit,
            seq=found.seq,
            problem=found.problem,
            denials=check.denied,
        )
    except StoreError as exc:
        seq = getattr(exc, "seq", None)
        if seq is None:
            raise
        return VerifyReport(ok=False, steps=check.n, units=len(org), seq=seq, problem=str(exc))
    return VerifyReport(ok=True, steps=check.n, units=len(org), denials=check.denied)


class _Verify:
    def __init__(self, definition: Definition, org: Org, store: Store, *, keep_index: bool = True) -> None:
        self.definition, self.org, self.store = definition, org, store
        self.replay = _Replayer(definition, org, keep_index=keep_index)
        self.n = 0
        self.denied = 0
        self.seen = bytearray()  # bit per seq: which seqs the log holds
        self.short: dict[str, tuple[Checkpoint, str]] = {}  # units a checkpoint says went further
        self.keyed: dict[str, tuple[str, int]] = {}  # idempotency key -> (unit, seq), from the bodies
        self.whole = True  # also checks what no unit owns: checkpoint hashes, the denial log

    def _saw(self, seq: int) -> None:
        byte = seq >> 3
        if byte >= len(self.seen):
            self.seen.extend(bytes(byte - len(self.seen) + 1024))
        self.seen[byte] |= 1 << (seq & 7)

    def _has(self, seq: int) -> bool:
        byte = seq >> 3
        return byte < len(self.seen) and bool(self.seen[byte] & (1 << (seq & 7)))

    def _rows(self) -> tuple[Iterator[Row], Iterator[tuple[int, str, str]] | None]:
        """The log's rows, and the columns to pair with them when the rows do not carry their own."""
        raw = getattr(self.store, "_log_rows", None)  # an SQL store's rows, as the driver gives them
        if raw is not None:  # each row's body and own columns in one read, decoded lean (replay_rows)
            store: Any = self.store
            c = store._tables().steps.c  # noqa: SLF001 - the SQL store's own table
            found = raw(c.unit, c.kind, c.body, c.prev_hash, c.hash)
            return lean_rows(found, store._decode, store.evidence_types), None  # noqa: SLF001
        reader = getattr(self.store, "columns", None)
        return ((step, None, False) for step in self.store.steps()), None if reader is None else iter(
            reader()
        )

    def all(self) -> None:
        """Every check, in the order the report names the first problem in."""
        self.log()
        self.evidence()
        self.projection()
        self.keys()
        self.denials()

    def _mine(self, unit: str) -> bool:  # noqa: ARG002 - a shard's filter (_Shard)
        """Whether this check covers ``unit``'s rows: all of them, unless it is one shard of several."""
        return True

    def _logged(self, step: Logged) -> None:
        """Called with each step once it replays (a shard compares its evidence here)."""

    def log(self) -> None:  # noqa: C901 - one pass over log, columns and checkpoints together
        points = iter(self.store.checkpoints())
        point = next(points, None)
        rows, columns = self._rows()
        for step, col, as_stored in rows:
            self.n += 1
            self._saw(step.seq)
            if col is not None:
                _columns(step, col)
            elif columns is not None:
                _columns(step, next(columns, None))
            while point is not None and point.last_seq < step.seq:  # its last step is gone: check it first
                self._checkpoint(point)
                point = next(points, None)
            self._key(step)
            problem = self.replay.apply(step, as_stored=as_stored)
            if problem:
                raise _Problem(problem, unit=step.unit, seq=step.seq)
            self._logged(step)
            if step.unit in self.short:  # replay went on where a checkpoint said the chain was further
                _, problem = self.short.pop(step.unit)
                raise _Problem(problem, unit=step.unit, seq=step.seq)
            while point is not None and point.last_seq <= step.seq:
                self._checkpoint(point)
                point = next(points, None)
        if columns is not None:
            extra = next(columns, None)
            if extra is not None:
                raise _Problem(
                    f"row {extra[0]} of the log has no body the store reads", unit=extra[1], seq=extra[0]
                )
        while point is not None:
            self._checkpoint(point)
            point = next(points, None)
        for unit, (cut, _) in sorted(self.short.items(), key=lambda kv: kv[1][0].last_seq):
            gone = [s for s in range(cut.first_seq, cut.last_seq + 1) if not self._has(s)]
            last = self.replay.last.get(unit)
            ends = f"its chain ends at step {last}" if last else "it has no step left"
            if gone:
                what = (
                    f"step {gone[0]}" if len(gone) == 1 else f"one of steps {', '.join(map(str, gone[:5]))}"
                )
                problem = (
                    f"{what} of unit {unit!r} is missing: {ends}, but checkpoint {cut.last_seq} "
                    "recorded a later head (steps up to it were removed: its chain was cut short)"
                )
                raise _Problem(problem, unit=unit, seq=gone[0])
            problem = (
                f"unit {unit!r} does not reach the head checkpoint {cut.last_seq} recorded "
                f"({ends}): the checkpoint or the chain was rewritten"
            )
            raise _Problem(problem, unit=unit, seq=cut.last_seq)

    def _key(self, step: Logged) -> None:
        if not step.key:
            return
        first = self.keyed.setdefault(step.key, (step.unit, step.seq))
        if first[1] != step.seq:
            msg = (
                f"step {step.seq} carries idempotency key {step.key!r}, which step {first[1]} "
                "already carries: a key writes once"
            )
            raise _Problem(msg, unit=step.unit, seq=step.seq)

    def keys(self) -> None:
        reader = getattr(self.store, "keys", None)
        if reader is None:
            return
        logged = dict(self.keyed)
        for key, unit, seq in reader():
            if not self._mine(unit):
                continue
            found = logged.pop(key, None)
            if found != (unit, seq):
                said = "no step" if found is None else f"step {found[1]} of unit {found[0]!r}"
                msg = (
                    f"the keys index maps idempotency key {key!r} to step {seq} of unit {unit!r}; "
                    f"the hashed log gives it to {said}"
                )
                raise _Problem(msg, unit=unit, seq=seq)
        for key, (unit, seq) in sorted(logged.items(), key=lambda kv: kv[1][1]):
            msg = (
                f"step {seq} carries idempotency key {key!r}, which the keys index lacks "
                "(a repeat of the request would write again)"
            )
            raise _Problem(msg, unit=unit, seq=seq)

    def _checkpoint(self, point: Checkpoint) -> None:
        if self.whole and checkpoint_hash(point.first_seq, point.last_seq, point.heads) != point.hash:
            msg = f"checkpoint {point.last_seq} was altered: its hash does not match"
            raise _Problem(msg, seq=point.last_seq)
        heads, mine = self.replay.heads, self._mine
        for unit, head in point.heads:
            if heads.get(unit, "") != head and unit not in self.short and mine(unit):
                # Not yet a problem: the unit's next step, if any, names where its chain broke.
                problem = (
                    f"unit {unit!r} does not reach the head checkpoint {point.last_seq} recorded: "
                    "the checkpoint was rewritten"
                )
                self.short[unit] = (point, problem)

    def evidence(self) -> None:
        """Compare the store's evidence index, row by row as it is read, with the replayed one.

        The first problem in log order is named (a row that differs, or a live record the
        index lacks), else the stray row with the lowest seq; the replayed index is used up.
        """
        reader = getattr(self.store, "evidence_index", None)
        if reader is None:
            return
        index, entry = self.replay.index, self.replay.entry
        first: _Problem | None = None  # among the log's own evidence, by its seq
        stray: _Problem | None = None  # rows no step recorded, by their seq
        for ident, unit, kind, seq, live in reader():
            packed = index.pop(ident, None)
            if packed is None:
                if stray is None or seq < (stray.seq or 0):
                    msg = f"the evidence index holds {ident!r} (seq {seq}), which no step of the log recorded"
                    stray = _Problem(msg, unit=unit, seq=seq)
                continue
            mine = entry(packed)
            if (unit, kind, seq, live) != mine and (first is None or mine[2] < (first.seq or 0)):
                msg = (
                    f"the evidence index row of {ident!r} says unit={unit!r} kind={kind!r} "
                    f"seq={seq} live={live}; step {mine[2]} of the log says unit={mine[0]!r} "
                    f"kind={mine[1]!r} live={mine[3]}"
                )
                first = _Problem(msg, unit=mine[0], seq=mine[2])
        for ident, packed in index.items():  # what the index lacks
            unit, _, seq, live = entry(packed)
            if live and (first is None or seq < (first.seq or 0)):
                msg = f"evidence {ident!r} of step {seq} is missing from the evidence index"
                first = _Problem(msg, unit=unit, seq=seq)
        index.clear()
        problem = first or stray
        if problem is not None:
            raise problem

    def projection(self) -> None:
        stored = {row.unit: row for row in self.store.rows() if self._mine(row.unit)}
        initial = self.definition.initial
        for unit in self.org:
            if not self._mine(unit):
                continue
            mine = self.replay.row(unit)
            theirs = stored.pop(unit, UnitRow(unit=unit, stage=initial, version=0))
            if not _same(mine, theirs):
                msg = f"unit {unit!r}: replay gives {_show(mine)}, the projection holds {_show(theirs)}"
                raise _Problem(msg, unit=unit)
        for unit in sorted(stored):
            msg = f"the projection holds unit {unit!r}, which is not in the org"
            raise _Problem(msg, unit=unit)

    def denials(self) -> None:
        reader = getattr(self.store, "denials", None)
        if reader is None or not self.whole:
            return
        log = list(reader())
        self.denied = len(log)
        found = chain_problem(log)
        if found is not None:
            seq, problem = found
            raise _Problem(problem, seq=seq)
        for d in log:
            if d.unit not in self.replay.units:
                raise _Problem(f"denial {d.seq} names unit {d.unit!r}, which is not in the org", seq=d.seq)


def _columns(step: Logged, col: tuple[int, str, str] | None) -> None:
    """The row's own ``seq``, ``unit`` and ``kind`` columns must say what its hashed body says."""
    if col is None:
        msg = f"step {step.seq} of unit {step.unit!r} has a body but no log row"
        raise _Problem(msg, unit=step.unit, seq=step.seq)
    seq, unit, kind = col
    if seq != step.seq:
        msg = f"step {step.seq}: the log's rows and bodies disagree on seq ({seq})"
        raise _Problem(msg, unit=step.unit, seq=step.seq)
    if unit != step.unit:
        msg = f"step {seq}: its unit column says {unit!r}, its hashed body says {step.unit!r}"
        raise _Problem(msg, unit=step.unit, seq=seq)
    if kind != step.kind.value:
        msg = f"step {seq} of unit {step.unit!r}: its kind column says {kind!r}, its body {step.kind.value!r}"
        raise _Problem(msg, unit=step.unit, seq=seq)


def _same(a: UnitRow, b: UnitRow) -> bool:
    keys = ("stage", "version", "reworks", "fired", "blocked", "head")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


def _show(row: UnitRow) -> str:
    return f"stage={row.stage!r} version={row.version} reworks={dict(row.reworks)} fired={list(row.fired)}"


PAGE = 2_000
"""Units whose projection rows a shard reads at once."""

SHARDED_FROM = 100_000
"""Steps from which a log is verified in shards: below, forking costs more than it saves."""


def _sharded(definition: Definition, org: Org, store: Store, processes: int) -> VerifyReport | None:
    """The report of a clean store, verified in up to ``processes`` processes; ``None`` otherwise.

    ``None`` also when the store is not an SQLite file or the log is short: then,
    and whenever a shard finds anything amiss, the caller verifies in one pass,
    which names the first problem as it always did (the shards only say whether
    there is one, so the report never depends on them). One process (the
    default, or a machine of one core) is one shard in this process: no fork, and
    the evidence index is still compared as it is read, never held.
    """
    shared = getattr(store, "shared_file", None)
    where = None if shared is None else shared()
    if where is None or getattr(store, "step_count")() < SHARDED_FROM:  # noqa: B009 - an SQL store's
        return None
    shards = min(processes, os.cpu_count() or 1)
    if "fork" not in multiprocessing.get_all_start_methods():
        shards = 1
    children = []
    context = multiprocessing.get_context("fork") if shards > 1 else None  # inherited, not pickled
    for shard in range(1, shards):
        assert context is not None  # noqa: S101 - shards > 1
        receive, send = context.Pipe(duplex=False)
        place = _Place(shard=shard, of=shards, file=where[0], prefix=where[1])
        child = context.Process(target=_child, args=(send, definition, org, store, place), daemon=True)
        child.start()
        send.close()
        children.append((child, receive))
    found = [_shard(definition, org, store, _Place(shard=0, of=shards, file=where[0], prefix=where[1]))]
    for child, receive in children:
        try:
            found.append(receive.recv())
        except EOFError:  # the child died: verify again in one pass
            found.append(None)
        receive.close()
        child.join()
    counts = [f for f in found if f is not None]
    if len(counts) < shards:
        return None
    return VerifyReport(ok=True, steps=sum(n for n, _ in counts), units=len(org), denials=counts[0][1])


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

    def _rows(self) -> tuple[Iterator[Row], Iterator[tuple[int, str, str]] | None]:
        store: Any = self.store
        return lean_rows(self.reads.log_bytes(), store._decode, store.evidence_types), None  # noqa: SLF001

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
