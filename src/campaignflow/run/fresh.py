"""Cross-unit rules judged on fresh state, the units they read part of the optimistic check.

An ordering rule reads other units: ``parent_first`` the parent,
``children_done`` the children, ``pilots_first`` the pilots. A long-lived run
(one per worker) holds those units as it last saw them, and another process
may have moved them since: judged on that, a township could close over a
child that was just sent back, or a village be refused because its parent
"has not fired" though it has.

So before such a rule is judged, the units it reads are reloaded from the
store's projection (one read), and their versions go into the write's
``expected`` versions beside the written unit's. The store checks every
expected version under its lock (SQLite's write lock; PostgreSQL's ``FOR
UPDATE`` of those rows), so if one of them changed between the read and the
write, the write fails with :class:`~campaignflow.ConcurrentUpdate` naming
that unit, writes nothing, and ``cf.retry`` judges again on the new state.

Rules over the unit's own evidence (``approved_by`` and the supervision group's
approvals) need nothing more: any evidence written to the unit bumps its own
version. ``supervised_by_approval`` reads the org, not other units' state.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from campaignflow.definition.ordering import ChildrenDone, OrderingRule, ParentFirst, PilotsFirst
from campaignflow.run.refresh import load_row

if TYPE_CHECKING:
    from campaignflow.run.state import RunState


def units_read(run: RunState, unit: str, rules: Sequence[OrderingRule]) -> list[str]:
    """The other units whose state ``rules`` read when judging ``unit``."""
    org = run.org
    out: list[str] = []
    for rule in rules:
        if isinstance(rule, ParentFirst):
            parent = org.parent(unit)
            if parent is not None:
                out.append(parent)
        elif isinstance(rule, ChildrenDone):
            out.extend(org.children(unit))
        elif isinstance(rule, PilotsFirst) and not org.is_pilot(unit):
            out.extend(sorted(org.pilots()))
    return [u for u in dict.fromkeys(out) if u != unit]


def freshen(run: RunState, units: Iterable[str]) -> dict[str, int]:
    """Reload ``units`` from the store; their versions, for the write's optimistic check."""
    wanted = list(units)
    if not wanted:
        return {}
    store = run.store
    many = getattr(store, "rows_many", None)  # optional for stores written before it
    rows = many(wanted) if many is not None else {u: r for u in wanted if (r := store.row(u)) is not None}
    held = run._units  # noqa: SLF001 - the run's own records, brought up to date
    for unit in wanted:
        row = rows.get(unit)
        rec = held[unit]
        if row is not None and row.version != rec.version:
            load_row(run, unit, rec, row)
    return {u: held[u].version for u in wanted}
