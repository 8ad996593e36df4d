"""An in-memory store: the reference backend, for tests and throwaway runs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from campaignflow._codec import canonical, chain_hash, step_to_dict
from campaignflow._records import Kind, Recorded, Step
from campaignflow.exceptions import ConcurrentUpdate, StoreError
from campaignflow.store._base import Checkpoint, UnitRow, make_checkpoint


class MemoryStore:
    """Keeps the log and projection in process memory; several runs may share one."""

    def __init__(self) -> None:
        self._log: list[Step] = []
        self._by_unit: dict[str, list[Step]] = {}
        self._evidence: dict[str, dict[str, list[Recorded[Any]]]] = {}
        self._rows: dict[str, UnitRow] = {}
        self._campaign: str | None = None
        self._checkpoints: list[Checkpoint] = []

    def append(
        self, steps: Sequence[Step], rows: Sequence[UnitRow], expected: Mapping[str, int]
    ) -> list[Step]:
        """Write ``steps`` and ``rows`` at once, after checking every expected version."""
        for unit, version in expected.items():
            row = self._rows.get(unit)
            found = 0 if row is None else row.version
            if found != version:
                raise ConcurrentUpdate(unit, expected=version, found=found)
        out: list[Step] = []
        seq = len(self._log)
        heads = {unit: self._head(unit) for unit in expected}
        for step in steps:
            seq += 1
            prev = heads.get(step.unit, "") or self._head(step.unit)
            digest = chain_hash(prev, canonical(step_to_dict(step)))
            heads[step.unit] = digest
            evidence = None if step.evidence is None else attrs.evolve(step.evidence, seq=seq)
            out.append(attrs.evolve(step, seq=seq, prev_hash=prev, hash=digest, evidence=evidence))
        for step in out:
            self._log.append(step)
            self._by_unit.setdefault(step.unit, []).append(step)
            self._index(step)
        for row in rows:
            self._rows[row.unit] = attrs.evolve(row, head=heads.get(row.unit, row.head))
        if out:
            self._checkpoints.append(make_checkpoint(out))
        return out

    def checkpoints(self) -> Iterator[Checkpoint]:
        """The batch checkpoints, by ``last_seq``."""
        return iter(sorted(self._checkpoints, key=lambda c: c.last_seq))

    def _head(self, unit: str) -> str:
        history = self._by_unit.get(unit)
        return history[-1].hash if history else ""

    def _index(self, step: Step) -> None:
        if step.kind is Kind.RECORD and step.evidence is not None:
            kinds = self._evidence.setdefault(step.unit, {})
            kinds.setdefault(step.evidence.kind, []).append(step.evidence)
        elif step.kind is Kind.RETRACT:
            for records in self._evidence.get(step.unit, {}).values():
                records[:] = [r for r in records if r.id != step.target]

    def records(self, unit: str, kind: str) -> Sequence[Recorded[Any]]:
        """The unit's live evidence of type ``kind``."""
        return tuple(self._evidence.get(unit, {}).get(kind, ()))

    def history(self, unit: str) -> tuple[Step, ...]:
        """The unit's steps, oldest first."""
        return tuple(self._by_unit.get(unit, ()))

    def steps(self) -> Iterator[Step]:
        """The whole log in seq order."""
        return iter(tuple(self._log))

    def rows(self) -> Iterator[UnitRow]:
        """The stored projection."""
        return iter(tuple(self._rows.values()))

    def row(self, unit: str) -> UnitRow | None:
        """The unit's stored row."""
        return self._rows.get(unit)

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
