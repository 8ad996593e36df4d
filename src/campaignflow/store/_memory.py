"""An in-memory store: the reference backend, for tests and throwaway runs."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

import attrs

from campaignflow.exceptions import ConcurrentUpdate, StoreError
from campaignflow.store._base import Checkpoint, Fires, UnitRow, checkpoint_hash, key_taken, numbered
from campaignflow.store.codec import chain_hash, step_bytes
from campaignflow.store.denials import Denial, chained
from campaignflow.values.records import Kind, Recorded, Step

# Enum attribute access is slow on the hot path (Python 3.11); look members up once.
_FIRE, _RECORD, _RETRACT = Kind.FIRE, Kind.RECORD, Kind.RETRACT


class MemoryStore:
    """Keeps the log and projection in process memory; several runs may share one.

    The hash chain is computed when it is read (``history``, ``steps``, ``rows``,
    ``row``, ``checkpoints``, hence ``verify``), not when steps are written: an
    in-memory run that nobody audits does not pay for hashing every verdict, and
    an audited one gets the same chain a SQL store would have written. Steps
    returned by ``append`` therefore carry their ``seq`` but empty hashes.

    A batch written as columns (``append_fires``, ``fire_many``'s write) is kept as
    its :class:`Fires`: the log and the units' histories hold the batch itself in
    its steps' places until something reads them, and the steps are built then.
    """

    def __init__(self) -> None:
        # A step, or in its place the columns of the batch it belongs to, not built yet.
        self._log: list[Step | Fires] = []
        self._by_unit: dict[str, list[Step | Fires]] = {}
        # Batches written as columns whose steps are not in the log yet, with each
        # unit's position in its own history.
        self._unbuilt: list[tuple[Fires, dict[str, int]]] = []
        self._hashed: dict[str, int] = {}  # per unit: how many of its steps carry their hash
        self._pending: set[str] = set()  # units with steps not hashed yet
        self._evidence: dict[str, dict[str, list[Recorded[Any]]]] = {}
        self._rows: dict[str, UnitRow | Fires] = {}  # a row, or the batch that left it, not built yet
        self._campaign: str | None = None
        # Per batch: first seq, last seq, and where each unit's last step of it stands in
        # that unit's history (the heads are resolved and sorted when checkpoints are
        # read; a dict of str to int is not tracked by the cyclic collector).
        self._batches: list[tuple[int, int, dict[str, int]]] = []
        # The one-step batches (``append_one``), as flat columns of seq, unit and position: no
        # object of their own per write for the cyclic collector to walk.
        self._one_seqs: list[int] = []
        self._one_units: list[str] = []
        self._one_at: list[int] = []
        self._checkpoints: dict[int, Checkpoint] = {}
        self._denials: list[Denial] = []
        self._keys: dict[str, tuple[str, int]] = {}  # idempotency key -> (unit, index in its history)

    def append(
        self, steps: Sequence[Step], rows: Sequence[UnitRow], expected: Mapping[str, int]
    ) -> list[Step]:
        """Write ``steps`` and ``rows`` at once, after checking every expected version."""
        self._check_versions(expected)
        keys = self._keys
        if keys:  # an empty index holds no key a step could repeat
            self._check_keys(steps, expected)
        seq = len(self._log)
        out: list[Step] = []
        last: dict[str, int] = {}  # each unit's position in its own history after the batch
        put = self._put
        for given in steps:
            seq += 1
            step = numbered(given, seq)
            out.append(step)
            last[step.unit] = put(step)
        self._pending.update(last)
        stored_rows = self._rows
        for row in rows:
            stored_rows[row.unit] = row
        if out:
            self._batches.append((out[0].seq, seq, last))
        return out

    def append_one(self, step: Step, row: UnitRow, version: int) -> Step:
        """:meth:`append` of one step and its unit's row, the unit expected at ``version``
        (a single fire's write: no lists, no mapping of expected versions)."""
        unit = step.unit
        stored = self._rows.get(unit)
        if stored is None:
            found = 0
        elif isinstance(stored, Fires):
            found = stored.versions[stored.position(unit)]
        else:
            found = stored.version
        if found != version:
            raise ConcurrentUpdate(unit, expected=version, found=found)
        if self._keys and step.key:
            self._check_keys((step,), {unit: version})
        seq = len(self._log) + 1
        if step.seq == 0 and step.evidence is None:  # built for this write: numbered in place
            object.__setattr__(step, "seq", seq)
        else:
            step = numbered(step, seq)
        at = self._put(step)
        self._pending.add(unit)
        self._rows[unit] = row
        self._one_seqs.append(seq)
        self._one_units.append(unit)
        self._one_at.append(at)
        return step

    def _put(self, step: Step) -> int:
        """Put a numbered step in the log, its unit's history and the indexes; its place in that history."""
        self._log.append(step)
        unit = step.unit
        history = self._by_unit.get(unit)
        if history is None:
            history = self._by_unit[unit] = []
        at = len(history)
        history.append(step)
        if step.key:
            self._keys[step.key] = (unit, at)
        if step.kind is not _FIRE:
            self._index(step)
        return at

    def append_fires(self, fires: Fires, expected: Mapping[str, int]) -> None:
        """:meth:`append` for a batch held as columns; its steps and rows are built when read."""
        self._check_versions(expected)
        log, by_unit = self._log, self._by_unit
        first, n = len(log) + 1, len(fires)
        units = fires.units
        histories = list(map(by_unit.get, units))
        if None in histories:  # units without a step yet get their history
            for i in [i for i, history in enumerate(histories) if history is None]:
                histories[i] = by_unit[units[i]] = []
        held = cast("list[list[Step | Fires]]", histories)  # every unit has one now
        where = dict(zip(units, map(len, held), strict=True))  # each unit's position in its own history
        for history in held:
            history.append(fires)
        log.extend([fires] * n)
        fires.seqs = range(first, first + n)
        fires.built = [None] * n
        self._pending.update(where)
        self._rows.update(dict.fromkeys(fires.units, fires))
        if n:
            self._batches.append((first, first + n - 1, where))
            self._unbuilt.append((fires, where))

    def _check_versions(self, expected: Mapping[str, int]) -> None:
        stored_rows = self._rows
        for unit, version in expected.items():
            row = stored_rows.get(unit)
            if row is None:
                found = 0
            elif isinstance(row, Fires):  # read from the batch's columns: a version builds no row
                found = row.versions[row.position(unit)]
            else:
                found = row.version
            if found != version:
                raise ConcurrentUpdate(unit, expected=version, found=found)

    def _build(self) -> None:
        """Put the steps of the batches written as columns in their places (before any read)."""
        unbuilt = self._unbuilt
        if not unbuilt:
            return
        log, by_unit, rows = self._log, self._by_unit, self._rows
        for fires, where in unbuilt:
            first = fires.seqs[0] - 1
            for i, unit in enumerate(fires.units):
                step = fires.step(i)
                if first + i < len(log) and log[first + i] is fires:  # else the log was edited (tamper tests)
                    log[first + i] = step
                by_unit[unit][where[unit]] = step
                if rows.get(unit) is fires:  # its rows too: then nothing here holds the batch
                    rows[unit] = fires.row(i)
        unbuilt.clear()

    def _check_keys(self, steps: Sequence[Step], expected: Mapping[str, int]) -> None:
        keys = self._keys
        for step in steps:
            if step.key and step.key in keys:  # a rival request wrote it since this one looked
                unit, i = keys[step.key]
                raise key_taken(step, expected, self._chain(unit)[i].seq)

    def append_refusal(
        self, steps: Sequence[Step], rows: Sequence[UnitRow], expected: Mapping[str, int]
    ) -> tuple[list[Step], bool]:
        """:meth:`append`; nothing here rolls back, so the refusal is always kept."""
        return self.append(steps, rows, expected), True

    def append_denial(self, denial: Denial) -> tuple[Denial, bool]:
        """Append ``denial`` to the denial log (always kept: nothing here rolls back)."""
        denials = self._denials
        stored = chained(denial, len(denials) + 1, denials[-1].hash if denials else "")
        denials.append(stored)
        return stored, True

    def keyed(self, key: str) -> Step | None:
        """The step idempotency key ``key`` wrote, or None."""
        found = self._keys.get(key)
        return None if found is None else self._chain(found[0])[found[1]]

    def keys(self) -> Iterator[tuple[str, str, int]]:
        """``(key, unit, seq)`` of the keys index (verify)."""
        return iter([(k, unit, self._chain(unit)[i].seq) for k, (unit, i) in self._keys.items()])

    def denials(self) -> Iterator[Denial]:
        """The denial log in seq order."""
        return iter(tuple(self._denials))

    def _chain(self, unit: str) -> list[Step]:
        """The unit's steps, hashing those written since the last read."""
        self._build()
        history = cast("list[Step]", self._by_unit.get(unit, []))  # built: steps only
        if unit in self._pending:
            done = self._hashed.get(unit, 0)
            prev = history[done - 1].hash if done else ""
            log = self._log
            for i in range(done, len(history)):
                step = history[i]
                digest = chain_hash(prev, step_bytes(step))
                hashed = attrs.evolve(step, prev_hash=prev, hash=digest)
                history[i] = hashed
                at = step.seq - 1
                if not (at < len(log) and log[at] is step):  # the log was edited (tamper tests)
                    at = next((j for j, s in enumerate(log) if s is step), -1)
                if at >= 0:
                    log[at] = hashed
                prev = digest
            self._hashed[unit] = len(history)
            self._pending.discard(unit)
        return history

    def _chain_all(self) -> None:
        for unit in list(self._pending):
            self._chain(unit)

    def checkpoints(self) -> Iterator[Checkpoint]:
        """The batch checkpoints, by ``last_seq``."""
        self._chain_all()
        chain = self._chain
        ones = zip(self._one_seqs, self._one_seqs, self._one_units, self._one_at, strict=True)
        batches = itertools.chain(self._batches, ((a, b, {unit: at}) for a, b, unit, at in ones))
        for first, last, heads in batches:
            if last not in self._checkpoints:
                hashed = tuple((unit, chain(unit)[i].hash) for unit, i in sorted(heads.items()))
                self._checkpoints[last] = Checkpoint(
                    first_seq=first, last_seq=last, heads=hashed, hash=checkpoint_hash(first, last, hashed)
                )
        return iter(sorted(self._checkpoints.values(), key=lambda c: c.last_seq))

    def _head(self, unit: str) -> str:
        history = self._chain(unit)
        return history[-1].hash if history else ""

    def _index(self, step: Step) -> None:
        if step.kind is _RECORD and step.evidence is not None:
            kinds = self._evidence.setdefault(step.unit, {})
            kinds.setdefault(step.evidence.kind, []).append(step.evidence)
        elif step.kind is _RETRACT:
            for records in self._evidence.get(step.unit, {}).values():
                records[:] = [r for r in records if r.id != step.target]

    def records(self, unit: str, kind: str) -> Sequence[Recorded[Any]]:
        """The unit's live evidence of type ``kind``."""
        kinds = self._evidence.get(unit)
        found = None if kinds is None else kinds.get(kind)
        return () if found is None else tuple(found)

    def records_many(
        self, units: Sequence[str], kinds: Sequence[str]
    ) -> dict[tuple[str, str], tuple[Recorded[Any], ...]]:
        """Live evidence of ``kinds`` for many units, by ``(unit, kind)``."""
        evidence = self._evidence
        return {(u, k): tuple(evidence.get(u, {}).get(k, ())) for u in units for k in kinds}

    def evidence_index(self) -> Iterator[tuple[str, str, str, int, bool]]:
        """``(id, unit, kind, seq, live)`` of the live evidence this store reads (verify)."""
        return iter(
            [
                (r.id, r.unit, r.kind, r.seq, True)
                for kinds in self._evidence.values()
                for records in kinds.values()
                for r in records
            ]
        )

    def history(self, unit: str) -> tuple[Step, ...]:
        """The unit's steps, oldest first."""
        return tuple(self._chain(unit))

    def steps(self) -> Iterator[Step]:
        """The whole log in seq order."""
        self._build()
        self._chain_all()
        return iter(cast("tuple[Step, ...]", tuple(self._log)))

    def _row(self, unit: str) -> UnitRow | None:
        """The unit's stored row, built from its batch's columns on first read."""
        row = self._rows.get(unit)
        if isinstance(row, Fires):
            row = self._rows[unit] = row.row(row.position(unit))
        return row

    def rows(self) -> Iterator[UnitRow]:
        """The stored projection."""
        return iter(tuple(self._headed(row) for unit in list(self._rows) if (row := self._row(unit))))

    def row(self, unit: str) -> UnitRow | None:
        """The unit's stored row."""
        row = self._row(unit)
        return None if row is None else self._headed(row)

    def units_since(self, seq: int) -> tuple[list[str], int]:
        """The units with steps after ``seq``, and the last seq."""
        self._build()
        later = cast("list[Step]", self._log[max(seq, 0) :])
        return list(dict.fromkeys(s.unit for s in later)), len(self._log) if later else seq

    def rows_many(self, units: Sequence[str]) -> dict[str, UnitRow]:
        """The stored rows of ``units`` that have one, by unit."""
        return {u: self._headed(r) for u in units if (r := self._row(u)) is not None}

    def _headed(self, row: UnitRow) -> UnitRow:
        head = self._head(row.unit)
        return row if row.head == head else attrs.evolve(row, head=head)

    def bind(
        self, campaign: str, *, fresh: bool, evidence_types: Mapping[str, type[Any]] | None = None
    ) -> None:
        """Tie the store to ``campaign``; a fresh run needs an empty store.

        ``evidence_types`` is accepted for symmetry with SQL stores, which need it to
        decode; this store keeps the values themselves.
        """
        del evidence_types
        if self._campaign is not None and self._campaign != campaign:
            msg = f"this store holds campaign {self._campaign!r}, not {campaign!r}"
            raise StoreError(msg)
        if fresh and self._log:
            msg = (
                f"this store already holds a run of {campaign!r} ({len(self._log)} steps); "
                "open it with campaign.open(org, store) instead of start()"
            )
            raise StoreError(msg)
        self._campaign = campaign
