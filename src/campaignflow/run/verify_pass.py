"""The one-pass verify: every check of :func:`~campaignflow.run.verify.verify`, naming the first problem.

Its shards (:mod:`campaignflow.run.verify_shards`) are checks of this kind over
a share of the units, which only say whether anything is amiss.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from campaignflow.definition.model import Definition
from campaignflow.org.graph import Org
from campaignflow.run.replay import _Replayer
from campaignflow.run.replay_rows import Logged, Row, lean_rows
from campaignflow.store import Checkpoint, Store, UnitRow
from campaignflow.store._base import checkpoint_hash
from campaignflow.store.denials import chain_problem


class _Problem(Exception):
    def __init__(self, problem: str, *, unit: str | None = None, seq: int | None = None) -> None:
        super().__init__(problem)
        self.problem, self.unit, self.seq = problem, unit, seq


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
            problem = self._replayed(step, as_stored=as_stored)
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

    def _replayed(self, step: Logged, *, as_stored: bool) -> str:
        """The step's key taken and the step replayed; a problem, or ""."""
        try:
            self._key(step)
            return self.replay.apply(step, as_stored=as_stored)
        except TypeError as exc:  # a re-hashed body's key, event, target or id that is not a name
            return (
                f"step {step.seq} of unit {step.unit!r} does not replay: a field is of the wrong type ({exc})"
            )

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
