"""What the simulation's campaign office does for every unit, a batch at a time.

It records evidence and fires events in batches (one transaction each), reads
the evidence a phase decides on a batch of units at a time, looks people up,
and sends units back. :mod:`~campaignflow.presets.mass_line.simulation` tells
the campaign's story with these verbs.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, TypeVar

import campaignflow as cf
from campaignflow.definition.context import evidence_name
from campaignflow.presets.mass_line.dice import Dice
from campaignflow.presets.mass_line.rules import Thresholds
from campaignflow.presets.mass_line.simulated import Odds

OFFICE = cf.Actor(id="office", roles={"office"})  # 活动办公室: records and fires for every unit
BATCH = 2_000  # evidence per transaction, and units per evidence read
RETRIES = 20  # attempts at a write another shard's write to the same unit got in before
# People lookups kept: a unit's turn asks for its leaders and principal many times
# (sessions, talks, ledgers, households) and a batch's supervisors for every unit;
# a few batches' worth serve those, where the whole org's would grow with it.
PEOPLE_KEPT = 8_192

T = TypeVar("T")


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last shorter), in order."""
    it = iter(items)
    while part := list(islice(it, size)):
        yield part


class Office:
    """The run, its org and dice, and the verbs the simulation acts through."""

    def __init__(
        self, run: cf.Run, dice: Dice, odds: Odds, t: Thresholds, units: list[str] | None = None
    ) -> None:
        self.run = run
        self.org = run.org
        self.dice = dice
        self.odds = odds
        self.t = t
        self.kept: list[cf.Verdict] = []
        self.refused = 0
        self.sent_back = 0
        # The units this process simulates (a shard's), parents first; None: the whole org.
        self.units = list(self.org) if units is None else units
        self.own = None if units is None else set(units)
        self.foreign: set[str] = set()  # units of other shards this process wrote to
        # The org does not change during a run: a lookup gives the same people every time.
        self.people = functools.lru_cache(maxsize=PEOPLE_KEPT)(self.org.people)

    # ---------------------------------------------------------------- writes

    def record(self, items: Iterable[tuple[str, Any]], by: cf.Actor = OFFICE) -> None:
        batch: list[tuple[str, Any]] = []
        for item in items:
            batch.append(item)
            if len(batch) >= BATCH:
                self._write(batch, by)
                batch = []
        if batch:
            self._write(batch, by)

    def _write(self, batch: list[tuple[str, Any]], by: cf.Actor) -> None:
        own = self.own
        if own is not None:
            self.foreign.update(u for u, _ in batch if u not in own)
        # Another shard may have written one of these units (a contact point): reload, redo.
        cf.retry(self.run, functools.partial(self.run.record_many, batch, by=by), attempts=RETRIES)

    def spill(self, items: list[tuple[str, Any]]) -> None:
        """Write what a phase has gathered once it fills a batch: memory stays flat at any scale."""
        if len(items) >= BATCH:
            self.record(items)
            items.clear()

    def fire_all(self, units: list[str], event: str) -> list[cf.Verdict]:
        """Fire for every unit, a batch at a time; returns the verdicts of the units refused."""
        refused: list[cf.Verdict] = []
        for i in range(0, len(units), BATCH):
            part = units[i : i + BATCH]
            result = cf.retry(
                self.run, functools.partial(self.run.fire_many, part, event, by=OFFICE), attempts=RETRIES
            )
            self.refused += len(result.refused)
            for verdict in result.refused:
                if len(self.kept) < 50:  # noqa: PLR2004 - enough to show, not to hoard
                    self.kept.append(verdict)
            refused.extend(result.refused)
        return refused

    def send_back(self, unit: str, stage: str, reason: str) -> None:
        boss = self.overseer(unit)
        self.run.send_back(unit, stage, reason=reason, by=boss)
        self.sent_back += 1

    # ---------------------------------------------------------------- reads

    def in_batches(self, units: Iterable[str]) -> Iterator[list[str]]:
        """``units`` a batch (``BATCH``) at a time: what one read of their evidence takes."""
        return batches(units, BATCH)

    def evidence_of(self, units: Sequence[str], tp: type[Any]) -> dict[str, Sequence[cf.Recorded[Any]]]:
        """``run.evidence(unit, tp)`` of each of ``units``, in one read.

        The same records, in the same order, as a read per unit (the store's
        ``records_many`` is its ``records`` for many units): a phase decides on
        a batch of units with one query instead of one per unit.
        """
        kind = evidence_name(tp)
        found = self.run.store.records_many(units, (kind,))
        return {u: found[u, kind] for u in units}

    def leaders(self, unit: str) -> tuple[str, ...]:
        return self.people(unit, "leadership")

    def principal(self, unit: str) -> str:
        found = self.people(unit, "principal")
        return found[0] if found else "office"

    def supervisors_of(self, unit: str) -> list[str]:
        """The members of the groups supervising ``unit``, group by group."""
        return [p for g in self.org.supervising_groups(unit) for p in self.people(g, "supervisor")]

    def overseer(self, unit: str) -> cf.Actor:
        """A supervisor of the unit (or the office when it has none) sends it back."""
        parent = self.org.parent(unit)
        scope = None if parent is None else {parent}
        for group in self.org.supervising_groups(unit):
            members = self.people(group, "supervisor")
            if members:
                return cf.Actor(id=members[0], roles={"supervisor"}, scope=scope)
        return OFFICE

    def levels(self) -> list[list[str]]:
        """Units grouped by depth, top first."""
        out: dict[int, list[str]] = {}
        for unit in self.units:
            out.setdefault(self.org.depth(unit), []).append(unit)
        return [out[d] for d in sorted(out)]
