"""Bringing a run's in-memory units in line with the store, and recounting them.

Another process may have written since the run was opened: :func:`load_row`
takes a unit's stored projection row into the run (its stage, version, fired
events, reworks, refusal), moving the roll-up counters with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from campaignflow.run.rollup import Blocked, Progress
from campaignflow.store import UnitRow

if TYPE_CHECKING:
    from campaignflow.run.state import RunState, _Unit


def blocked_of(unit: str, data: Mapping[str, Any] | None) -> Blocked | None:
    """The refusal a projection row's ``blocked`` field holds, or ``None``."""
    if not data:
        return None
    return Blocked(
        unit=unit,
        event=data["event"],
        stage=data["stage"],
        reasons=tuple(data["reasons"]),
        at=data["at"],
    )


def load_row(run: RunState, unit: str, rec: _Unit, row: UnitRow) -> None:
    """Take ``unit``'s stored ``row`` into ``run`` (``rec`` is its in-memory record)."""
    counters, held = run.counters, run._blocked  # noqa: SLF001 - the run's own state, kept in step
    before_stage = rec.state
    before_reworks = sum((rec.reworks or {}).values())
    was_blocked = unit in held
    if rec.state != row.stage or rec.reworks != (dict(row.reworks) or None):
        rec.since = None  # moved elsewhere: read from its history when asked
    rec.state, rec.version = row.stage, row.version
    rec.fired = sum(run._bits.get(e, 0) for e in row.fired)  # noqa: SLF001
    rec.reworks = dict(row.reworks) or None
    blocked = blocked_of(unit, row.blocked)
    if blocked is None:
        held.pop(unit, None)
    else:
        held[unit] = blocked
    counters.move(unit, before_stage, rec.state)
    if (blocked is not None) != was_blocked:
        counters.blocked(unit, +1 if blocked is not None else -1)
    after_reworks = sum((rec.reworks or {}).values())
    if after_reworks != before_reworks:
        counters.reworked(unit, after_reworks - before_reworks, first=not before_reworks)


def catch_up(run: RunState, since: int) -> int:
    """Load the rows of the units written after seq ``since`` into ``run``; the last seq seen.

    Stores without ``units_since`` are read whole (every stored row).
    """
    store = run.store
    recent = getattr(store, "units_since", None)
    if recent is None:
        rows = {row.unit: row for row in store.rows()}
        last = since
    else:
        units, last = recent(since)
        many = getattr(store, "rows_many", None)
        rows = many(units) if many is not None else {u: r for u in units if (r := store.row(u)) is not None}
    held = run._units  # noqa: SLF001 - the run's own records, brought up to date
    for unit, row in rows.items():
        rec = held.get(unit)
        if rec is not None and row.version != rec.version:
            load_row(run, unit, rec, row)
    return last


def recount(run: RunState, node: str | None, when: datetime) -> Progress:
    """The figures of ``run.progress(node)``, by scanning the subtree (for checking)."""
    units, held = run._units, run._blocked  # noqa: SLF001 - read only
    stages = run.definition.leaves
    by_stage = dict.fromkeys(stages, 0)
    by_level: dict[str, dict[str, int]] = {}
    blocked: list[Blocked] = []
    sent_back = reworked = overdue = 0
    for unit in run.org if node is None else run.org.subtree(node):
        rec = units[unit]
        by_stage[rec.state] += 1
        level = by_level.setdefault(run.org.level(unit), dict.fromkeys(stages, 0))
        level[rec.state] += 1
        if unit in held:
            blocked.append(held[unit])
        n = sum((rec.reworks or {}).values())
        sent_back += n
        reworked += 1 if n else 0
        entered = run._entered(unit) if run.definition.due_afters else None  # noqa: SLF001 - read only
        due = run.definition.deadline(rec.state, entered)
        overdue += 1 if due is not None and due < when else 0
    return Progress(
        node=node or "*",
        total=sum(by_stage.values()),
        by_stage=by_stage,
        by_level={k: v for k, v in by_level.items() if any(v.values())},
        blocked=len(blocked),
        blocked_units=tuple(sorted(blocked, key=lambda b: b.unit)),
        sent_back=sent_back,
        reworked=reworked,
        overdue=overdue,
    )
