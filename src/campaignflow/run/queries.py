"""What a run answers without writing: progress, duties, recounts, and catching up with the store."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from campaignflow.exceptions import (
    DefinitionError,
)
from campaignflow.run.arguments import whole
from campaignflow.run.duties import ObligationReport, obligation_report
from campaignflow.run.refresh import catch_up, load_row, recount
from campaignflow.run.results import UnitState
from campaignflow.run.rollup import Overdue, Progress
from campaignflow.run.state import RunState
from campaignflow.run.working_groups import WorkingGroupProgress, working_group_progress
from campaignflow.values.records import Recorded


class Queries(RunState):
    """Read the roll-up and catch up with the store (``Run.progress``, ``obligations``, ``refresh``)."""

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

        Raises:
            ArgumentError: a negative ``since`` (a non-int is a ``TypeError``).
        """
        return catch_up(self, whole(since, "since"))

    def progress(self, node: str | None = None, *, limit: int = 100, now: datetime | None = None) -> Progress:
        """Roll-up of the subtree under ``node`` (the whole org by default).

        Counts come from counters kept on every change (O(depth) each), so this
        costs the same for a village and for the national root.
        """
        if node is not None:
            self._unit(node)
        when = now or self.clock()
        made = self.counters.progress(
            node,
            stage_of=self.stage_of,
            blocked=self._blocked,
            reworks_of=lambda u: sum((self._units[u].reworks or {}).values()),
            now=when,
            limit=limit,
        )
        if self.definition.due_afters:  # relative deadlines: judged per unit in those stages
            made = attrs.evolve(made, overdue=len(self._late(node, when)))
        return made

    def overdue(
        self, node: str | None = None, *, now: datetime | None = None, limit: int = 100
    ) -> tuple[Overdue, ...]:
        """The units under ``node`` still in a stage past its deadline at ``now``, earliest due first.

        A stage's deadline is its ``due``, or ``due_after`` from the unit's entry into
        it, whichever comes first. Reads only the units in stages with a deadline.

        Args:
            node: the subtree's root (the whole org by default).
            now: the moment judged (the run clock by default).
            limit: units listed at most.

        Raises:
            UnknownUnit: ``node`` is not in the org.
        """
        if node is not None:
            self._unit(node)
        return tuple(self._late(node, now or self.clock())[:limit])

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
        return obligation_report(self, chosen, node or "*", units, now or self.clock(), read=self._read_many)

    def _read_many(
        self, units: Sequence[str], kinds: Sequence[str]
    ) -> Mapping[tuple[str, str], Sequence[Recorded[Any]]]:
        """:meth:`records_of` of many units and kinds in one store read (less what send-backs voided)."""
        read: Mapping[tuple[str, str], Sequence[Recorded[Any]]] = self.store.records_many(units, kinds)
        if self._voids is not None:
            read = self._voids.live_many(self, {u: self._units[u].reworks for u in units}, read)
        return read

    def recount(self, node: str | None = None, *, now: datetime | None = None) -> Progress:
        """The same figures as :meth:`progress`, by scanning the subtree (for checking)."""
        if node is not None:
            self._unit(node)
        return recount(self, node, now or self.clock())

    def working_groups(self) -> tuple[WorkingGroupProgress, ...]:
        """Progress per working group of people (住村联户工作组): its units per stage."""
        return working_group_progress(self)
