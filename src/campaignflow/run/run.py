"""A run: one campaign applied to one organisation over a store."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from campaignflow.definition.model import Definition
from campaignflow.org.graph import Org
from campaignflow.run.clock import Clock, IdSource, system_clock, uuid_ids
from campaignflow.run.firing import FiringVerbs
from campaignflow.run.inbox import InboxQueries
from campaignflow.run.members import remember
from campaignflow.run.queries import Queries
from campaignflow.run.reviewing import ReviewVerbs
from campaignflow.run.state import _Unit
from campaignflow.store import Store, open_store


class Run(ReviewVerbs, FiringVerbs, Queries, InboxQueries):
    """One campaign over one org. Create with ``campaign.start(org)``.

    Every write needs an actor (``by=``) and returns an immutable :class:`Step`.
    ``run.pause_gc`` (default off; ``campaign.start(..., pause_gc=True)``)
    pauses Python's cyclic collector, process-wide, during batches of 256 or
    more; off, such a batch sets the heap it starts with aside (``gc.freeze()``)
    instead: see docs/explanation/performance.md.

    Its verbs are grouped by what they do: :class:`~campaignflow.run.evidence.EvidenceVerbs`,
    :class:`~campaignflow.run.firing.FiringVerbs`, :class:`~campaignflow.run.sendback.SendBackVerbs`,
    :class:`~campaignflow.run.queries.Queries`,
    :class:`~campaignflow.run.reviewing.ReviewVerbs` (over evidence and send-backs),
    :class:`~campaignflow.run.inbox.InboxQueries`, over :class:`~campaignflow.run.state.RunState`.
    """

    @classmethod
    def over(
        cls,
        definition: Definition,
        org: Org | Iterable[str],
        store: Store | str | Any,
        *,
        fresh: bool,
        clock: Clock | None = None,
        ids: IdSource | None = None,
    ) -> Run:
        """A run object bound to ``store`` (fresh: empty store), units not yet loaded."""
        bound = open_store(store, evidence_types=definition.evidence_types)
        bound.bind(definition.id, fresh=fresh, evidence_types=definition.evidence_types)
        return cls(definition, Org.coerce(org), bound, clock=clock or system_clock, ids=ids or uuid_ids)

    @classmethod
    def start(
        cls,
        definition: Definition,
        org: Org | Iterable[str],
        *,
        store: Store | str | Any = None,
        clock: Clock | None = None,
        ids: IdSource | None = None,
    ) -> Run:
        """Start a fresh run: every unit in the campaign's initial stage.

        Raises:
            StoreError: the store already holds a run (open it instead).
        """
        run = cls.over(definition, org, store, fresh=True, clock=clock, ids=ids)
        initial = definition.initial
        units = run._units  # noqa: SLF001 - the class filling its own new instance
        add = run.counters.add
        if definition.due_afters:  # relative deadlines count from here in the initial stage
            run.started = run.clock().isoformat()
        for unit in run.org:
            units[unit] = _Unit(initial, "")  # in the initial stage since the run started
            add(unit, initial)
        remember(run.store, run.org)  # what open() compares its org with
        return run
