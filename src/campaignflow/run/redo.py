"""Redo on send-back (返工): the evidence a rework voids does not count again after it.

``campaign.rework(stage, redo=(Note, ...))``: once a unit is sent back to
``stage``, every gate reads only the ``Note`` records made since the unit's latest
send-back to that stage. The earlier records stay in the log and in
``run.evidence()``; ``Context.all_records`` reads them on purpose; a failing
verdict says how many were recorded before the send-back and not counted.

The cut-off of each voided kind is the seq of the unit's latest send-back to a
stage whose rework redoes it. A send-back this run writes moves its unit's
cut-offs forward (:meth:`Voids.sent_back`), so a unit sent back many times is
never re-read; a unit this run has not seen sent back (a run opened from a store,
or another writer's send-back, which changes the unit's send-back counts) has its
cut-offs read once from its history, kept under those counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import attrs

from campaignflow.definition.combinators import walk
from campaignflow.definition.context import evidence_name
from campaignflow.values.findings import Finding, Verdict
from campaignflow.values.records import Kind, Recorded, Step

if TYPE_CHECKING:
    from campaignflow.definition.labels import Labels
    from campaignflow.definition.model import Definition, Transition
    from campaignflow.store import Store


class RunReads(Protocol):
    """What the voids read of a run: its store, its labels, every record of a kind."""

    @property
    def store(self) -> Store: ...

    @property
    def labels(self) -> Labels: ...

    def all_records_of(self, unit: str, kind: str) -> Sequence[Recorded[Any]]: ...


Cut = tuple[int, str, str]
"""(seq, time, stage) of the send-back after which a kind counts again."""


class Voids:
    """What each unit's send-backs void, for one run."""

    __slots__ = ("_cache", "_reads", "_redo")

    def __init__(self, redo: Mapping[str, tuple[str, ...]]) -> None:
        self._redo = redo  # stage -> the evidence kinds a send-back to it voids
        self._cache: dict[str, tuple[tuple[tuple[str, int], ...], dict[str, Cut]]] = {}
        self._reads: dict[int, dict[str, tuple[str, ...]]] = {}

    @classmethod
    def of(cls, definition: Definition) -> Voids | None:
        """The run's voids, or ``None`` when no rework declares ``redo=`` (nothing to filter)."""
        redo = {
            stage: tuple(evidence_name(tp) for tp in rework.redo)
            for stage, rework in definition.reworks.items()
            if rework.redo
        }
        return cls(redo) if redo else None

    def cuts(self, run: RunReads, unit: str, reworks: Mapping[str, int] | None) -> dict[str, Cut]:
        """The cut-off per voided kind for ``unit`` (empty when it was never sent back)."""
        if not reworks or not any(stage in self._redo for stage in reworks):
            return {}
        key = tuple(sorted(reworks.items()))
        hit = self._cache.get(unit)
        if hit is not None and hit[0] == key:
            return hit[1]
        cut = self._from(run.store.history(unit))
        self._cache[unit] = (key, cut)
        return cut

    def sent_back(
        self, unit: str, before: Mapping[str, int] | None, after: Mapping[str, int], step: Step
    ) -> None:
        """Move ``unit``'s cut-offs past ``step``, the send-back just written over counts ``before``.

        The write checked the unit's version, so its history is the one the kept
        cut-offs were read from plus ``step``, the newest: its seq is the cut-off
        of every kind its stage redoes. Cut-offs not kept for ``before`` (never
        read, or read under other counts) stay unkept: the next read derives them.
        """
        if before and any(stage in self._redo for stage in before):
            hit = self._cache.get(unit)
            if hit is None or hit[0] != tuple(sorted(before.items())):
                return
            cut = dict(hit[1])
        else:
            cut = {}  # no send-back that voids anything yet (cuts() reads no history either)
        for kind in self._redo.get(step.target, ()):
            cut[kind] = (step.seq, step.at, step.target)
        self._cache[unit] = (tuple(sorted(after.items())), cut)

    def _from(self, history: Iterable[Step]) -> dict[str, Cut]:
        """The cut-offs a unit's ``history`` (oldest first) sets."""
        latest: dict[str, tuple[int, str]] = {}
        for step in history:
            if step.kind is Kind.SEND_BACK and step.target in self._redo:
                latest[step.target] = (step.seq, step.at)
        cut: dict[str, Cut] = {}
        for stage, (seq, at) in latest.items():
            for kind in self._redo[stage]:
                if kind not in cut or cut[kind][0] < seq:
                    cut[kind] = (seq, at, stage)
        return cut

    def live(
        self,
        run: RunReads,
        unit: str,
        reworks: Mapping[str, int] | None,
        kind: str,
        records: Sequence[Recorded[Any]],
    ) -> Sequence[Recorded[Any]]:
        """``records`` (of ``kind`` at ``unit``) without those the latest send-back voided."""
        cut = self.cuts(run, unit, reworks).get(kind)
        if cut is None:
            return records
        seq = cut[0]
        return tuple(r for r in records if r.seq > seq)

    def live_many(
        self,
        run: RunReads,
        reworks: Mapping[str, Mapping[str, int] | None],
        read: Mapping[tuple[str, str], Sequence[Recorded[Any]]],
    ) -> dict[tuple[str, str], Sequence[Recorded[Any]]]:
        """A batch's reads, each without what its unit's latest send-back voided."""
        return {
            (unit, kind): self.live(run, unit, reworks.get(unit), kind, records)
            for (unit, kind), records in read.items()
        }

    def annotate(
        self, run: RunReads, unit: str, reworks: Mapping[str, int] | None, t: Transition, v: Verdict
    ) -> Verdict:
        """A failing verdict whose failing rules read voided kinds, saying how many were not counted."""
        cuts = self.cuts(run, unit, reworks)
        if not cuts or v.passed:
            return v
        reads = self._rule_reads(t)
        voided: dict[str, str] = {}
        for kind, (seq, at, stage) in cuts.items():
            before = sum(1 for r in run.all_records_of(unit, kind) if r.seq <= seq)
            if before:
                voided[kind] = (
                    f"{before} {kind} recorded before the send-back to {run.labels.stage(stage)} "
                    f"({at[:10]}) not counted"
                )
        if not voided:
            return v
        root = _note(v.root, reads, voided)
        return Verdict(unit=v.unit, event=v.event, stage=v.stage, at=v.at, root=root, labels=v.labels)

    def _rule_reads(self, t: Transition) -> dict[str, tuple[str, ...]]:
        found = self._reads.get(id(t))
        if found is None:
            found = {}
            for root in (*t.order, *([t.gate] if t.gate is not None else [])):
                for r in walk(root):
                    if not r.children:
                        found[r.id] = tuple(evidence_name(tp) for tp in r.reads)
            self._reads[id(t)] = found
        return found


def _note(f: Finding, reads: Mapping[str, tuple[str, ...]], voided: Mapping[str, str]) -> Finding:
    if f.passed:
        return f
    if f.children:
        return attrs.evolve(f, children=tuple(_note(c, reads, voided) for c in f.children))
    notes = [voided[k] for k in reads.get(f.rule, ()) if k in voided]
    if not notes:
        return f
    return attrs.evolve(f, reason=f"{f.reason} ({'; '.join(notes)})" if f.reason else "; ".join(notes))
