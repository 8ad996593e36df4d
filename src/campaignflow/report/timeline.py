"""Units per stage over time, from the log: the dashboard's timeline.

Report layer: reads steps, never writes. Only steps that move a unit (a fire,
a send-back) change the counts; every unit starts in the campaign's first stage.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import attrs

from campaignflow.definition.model import Definition
from campaignflow.definition.obligations import as_time
from campaignflow.values.records import Kind, Step

DAY = timedelta(days=1)
WEEK = timedelta(days=7)
SHORT = timedelta(days=21)
"""Campaigns shorter than this are drawn per day, longer ones per week."""


@attrs.frozen(kw_only=True)
class Timeline:
    """Units per leaf stage at the end of each period up to the report's moment.

    Attributes:
        period: ``"week"`` or ``"day"``.
        ends: the ISO times counted at: midnight (UTC) of the log's first day, the
            end of each period after it, and last the report's moment.
        stages: the leaf stage paths, and ``labels`` their labels.
        counts: per stage (in ``stages`` order), the units in it at each of ``ends``.
    """

    period: str
    ends: tuple[str, ...]
    stages: tuple[str, ...]
    labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    @property
    def peak(self) -> int:
        """The largest count drawn (at least 1, to scale by)."""
        return max((n for series in self.counts for n in series), default=0) or 1


def _ends(first: datetime, at: datetime) -> tuple[timedelta, list[datetime]]:
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    step = WEEK if at - start > SHORT else DAY
    ends = [start] if start < at else []
    end = start + step
    while end < at:
        ends.append(end)
        end += step
    ends.append(at)
    return step, ends


Moves = dict[str, tuple[datetime, list[tuple[datetime, str]]]]
"""Per unit with a step up to the moment: its first step's time, and its moves (time, stage) in log order."""


def unit_moves(units: Iterable[str], steps: Iterable[Step], at: datetime) -> Moves:
    """What a timeline reads of the ``units``' ``steps``: one pass, kept for any subset of them.

    A report and its drill-downs draw their timelines from one read of the log:
    each drill-down's units are some of the report's.
    """
    wanted = set(units)
    out: Moves = {}
    for step in steps:
        if step.unit not in wanted:
            continue
        when = as_time(step.at, at)
        if when > at:
            continue
        seen = out.get(step.unit)
        if seen is None:
            seen = out[step.unit] = (when, [])
        elif when < seen[0]:
            out[step.unit] = seen = (when, seen[1])
        if step.kind in {Kind.FIRE, Kind.SEND_BACK} and step.dest != step.source:
            seen[1].append((when, step.dest))
    return out


def build_timeline(
    definition: Definition, units: Iterable[str], steps: Iterable[Step], at: datetime
) -> Timeline:
    """Count the ``units`` per leaf stage at the end of each period of the log up to ``at``."""
    wanted = list(units)
    return timeline_of(definition, wanted, unit_moves(wanted, steps, at), at)


def timeline_of(definition: Definition, units: Iterable[str], read: Moves, at: datetime) -> Timeline:
    """:func:`build_timeline` of the ``units`` from ``read`` (:func:`unit_moves` of them or more)."""
    wanted = set(units)
    firsts = [read[u][0] for u in wanted if u in read]
    first = min(firsts) if firsts else None
    # A unit's moves are in time order; the counts at each end do not depend on how
    # different units' moves at one time are ordered, so the order of ``wanted`` is free.
    moves = [(when, unit, dest) for unit in wanted if unit in read for when, dest in read[unit][1]]
    moves.sort(key=lambda m: m[0])
    step_size, ends = _ends(first or at, at)
    stages = definition.leaves
    where = dict.fromkeys(wanted, definition.initial)
    tally = dict.fromkeys(stages, 0)
    tally[definition.initial] = len(wanted)
    series: dict[str, list[int]] = {s: [] for s in stages}
    i = 0
    for end in ends:
        while i < len(moves) and (moves[i][0] < end or (end == at and moves[i][0] <= at)):
            _, unit, dest = moves[i]
            tally[where[unit]] -= 1
            tally[dest] += 1
            where[unit] = dest
            i += 1
        for s in stages:
            series[s].append(tally[s])
    return Timeline(
        period="week" if step_size == WEEK else "day",
        ends=tuple(e.isoformat() for e in ends),
        stages=stages,
        labels=tuple(definition.label_of(s) for s in stages),
        counts=tuple(tuple(series[s]) for s in stages),
    )
