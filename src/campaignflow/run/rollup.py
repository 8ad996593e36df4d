"""Roll-up: per-subtree counts kept incrementally, O(depth) per change."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from itertools import compress
from typing import Any, cast

import attrs

from campaignflow.definition.model import Definition
from campaignflow.org.graph import Org
from campaignflow.values.findings import Verdict


@attrs.frozen(kw_only=True)
class Blocked:
    """A unit whose last attempt was refused by its gate, and has not moved since.

    Attributes:
        unit: the unit.
        event: the event it could not fire.
        stage: the stage it is stuck in.
        reasons: one line per failing rule (label: reason).
        at: ISO time of the refusal.
    """

    unit: str
    event: str
    stage: str
    reasons: tuple[str, ...]
    at: str

    def to_dict(self) -> dict[str, object]:
        """JSON-ready data, as stored in a unit's projection row."""
        return {
            "event": self.event,
            "stage": self.stage,
            "reasons": list(self.reasons),
            "at": self.at,
        }

    @classmethod
    def from_verdict(cls, verdict: Verdict) -> Blocked:
        """The blocking record of a refused verdict: one line per failing rule."""
        return cls(
            unit=verdict.unit,
            event=verdict.event,
            stage=verdict.stage,
            reasons=tuple(f"{f.label or f.rule}: {f.reason}" for f in verdict.failures),
            at=verdict.at,
        )


@attrs.frozen(kw_only=True)
class Overdue:
    """A unit still in a stage past its deadline.

    Attributes:
        unit: the unit.
        stage: the leaf stage it is late in.
        since: ISO time it entered the stage (``""`` when unknown).
        due: ISO time it became overdue ("overdue since"): the stage's ``due``, or
            its entry plus ``due_after``, whichever came first.
    """

    unit: str
    stage: str
    since: str
    due: str

    def describe(self, name: str = "") -> str:
        """One line for a report: ``"韩寺镇 (t-01): study overdue since 2014-03-26T00:00:00+00:00"``."""
        who = f"{name} ({self.unit})" if name and name != self.unit else self.unit
        return f"{who}: {self.stage} overdue since {self.due}"


@attrs.frozen(kw_only=True)
class Progress:
    """Where the units under ``node`` are (the node included).

    Attributes:
        node: the subtree root (``"*"`` for the whole org).
        total: units in the subtree.
        by_stage: units per leaf stage (every stage listed, zeros included).
        by_level: units per level, then per leaf stage.
        blocked: units blocked by a gate.
        blocked_units: details of up to ``limit`` blocked units (sorted by unit id).
        sent_back: send-backs in the subtree, all stages together.
        reworked: units sent back at least once.
        overdue: units still in a stage past its deadline (``due``, or ``due_after``
            from entering it).
    """

    node: str
    total: int
    by_stage: Mapping[str, int]
    by_level: Mapping[str, Mapping[str, int]]
    blocked: int
    blocked_units: tuple[Blocked, ...]
    sent_back: int
    reworked: int
    overdue: int

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (a web app returns it as is)."""
        return {
            "node": self.node,
            "total": self.total,
            "by_stage": dict(self.by_stage),
            "by_level": {k: dict(v) for k, v in self.by_level.items()},
            "blocked": self.blocked,
            "blocked_units": [{"unit": b.unit, **b.to_dict()} for b in self.blocked_units],
            "sent_back": self.sent_back,
            "reworked": self.reworked,
            "overdue": self.overdue,
        }

    def counts(self) -> tuple[object, ...]:
        """The numeric fields, for comparing a roll-up with a recount."""
        return (
            self.total,
            dict(self.by_stage),
            {k: dict(v) for k, v in self.by_level.items()},
            self.blocked,
            self.sent_back,
            self.reworked,
            self.overdue,
        )


class _Tally:
    """Counters for one internal node's subtree."""

    __slots__ = ("blocked", "counts", "reworked", "sent_back")

    def __init__(self, size: int) -> None:
        self.counts = [0] * size
        self.blocked = 0
        self.sent_back = 0
        self.reworked = 0


class Counters:
    """Incremental roll-up over the org: each change walks the unit's ancestors only."""

    def __init__(self, org: Org, definition: Definition) -> None:
        self.org = org
        self.definition = definition
        self.stages = definition.leaves
        self.stage_index = {s: i for i, s in enumerate(self.stages)}
        self.levels = org.levels
        self.level_index = {lv: i for i, lv in enumerate(self.levels)}
        self.width = len(self.stages)
        self._size = len(self.levels) * self.width
        self._tallies: dict[str, _Tally] = {}
        self._all = _Tally(self._size)  # the whole org, forests and flat lists included
        self._chains: dict[str | None, tuple[_Tally, ...]] = {}
        # Each unit's counter place, filled as the run counts it in (``add``): an index into
        # ``_places`` of (first slot of its level, chain of tallies). The places are few (one
        # per internal unit and level), and the units of one place share one int object, so
        # a unit costs one dict entry and no object of its own for the cyclic collector.
        self._place_of: dict[str, int] = {}
        self._places: list[tuple[int, tuple[_Tally, ...]]] = []
        self._place_ids: dict[tuple[int, str | None], int] = {}
        # Units per leaf stage with a deadline, for listing and counting the late ones.
        marked = (*definition.dues, *definition.due_afters)
        self.timed: dict[str, dict[str, None]] = {
            leaf: {} for leaf in self.stages if any(definition.covers(p, leaf) for p in marked)
        }

    def _above(self, node: str | None) -> tuple[_Tally, ...]:
        """Tallies of ``node`` (an internal unit, or ``None``) and of every ancestor, memoised.

        Only internal units are memoised (a few per hundred units): a leaf's chain is
        its parent's, which saves a walk up the tree per change without a tuple per leaf.
        """
        found = self._chains.get(node)
        if found is None:
            if node is None:
                found = (self._all,)
            else:
                tally = self._tallies.get(node)
                if tally is None:
                    tally = self._tallies[node] = _Tally(self._size)
                found = (tally, *self._above(self.org.parent(node)))
            self._chains[node] = found
        return found

    def _node(self, unit: str) -> str | None:
        """The unit whose chain of tallies the unit's is: itself if it has children, else its parent."""
        if unit in self._chains or self.org.children(unit):
            return unit
        return self.org.parent(unit)

    def _chain(self, unit: str) -> tuple[_Tally, ...]:
        """Tallies of the unit (if it has children) and of every ancestor."""
        return self._above(self._node(unit))

    def _place_id(self, unit: str) -> int:
        """The index of the unit's place in ``_places``, worked out and kept on first use.

        The org does not change during a run, so neither does the place; the org's level
        lookup is a graph read, and the chain a walk up the tree.
        """
        found = self._place_of.get(unit)
        if found is None:
            org = self.org  # _node(), inlined: a first move pays it once per unit
            node = unit if unit in self._chains or org.children(unit) else org.parent(unit)
            key = (self.level_index[org.level(unit)] * self.width, node)
            found = self._place_ids.get(key)
            if found is None:
                found = self._place_ids[key] = len(self._places)
                self._places.append((key[0], self._above(node)))
            self._place_of[unit] = found
        return found

    def _place(self, unit: str) -> tuple[int, tuple[_Tally, ...]]:
        """The unit's first counter slot (its level's) and its chain of tallies."""
        return self._places[self._place_id(unit)]

    def _fill_places(self, units: Sequence[str]) -> None:
        """Work out and keep the places of ``units`` (none kept yet) in C-level passes.

        A unit's chain is its parent's, or its own when it has children (the few
        internal units); a place is (level, that unit), one per pair met.
        """
        org, ids = self.org, self._place_ids
        nodes: list[str | None] = list(map(org.parent, units))
        for i in compress(range(len(units)), map(org.children, units)):
            nodes[i] = units[i]
        width = self.width
        bases = [self.level_index[level] * width for level in org.levels_of(units)]
        keys = list(zip(bases, nodes, strict=True))
        for key in dict.fromkeys(keys):
            if key not in ids:
                ids[key] = len(self._places)
                self._places.append((key[0], self._above(key[1])))
        self._place_of.update(zip(units, map(ids.__getitem__, keys), strict=True))

    def add(self, unit: str, stage: str) -> None:
        """Count a unit entering the run in ``stage``.

        Its place is not kept here: a dict entry per unit from the start would be the
        org's memory budget's, and a unit that never moves does not need it.
        """
        slot = self.level_index[self.org.level(unit)] * self.width + self.stage_index[stage]
        for tally in self._chain(unit):
            tally.counts[slot] += 1
        timed = self.timed.get(stage)
        if timed is not None:
            timed[unit] = None

    def move(self, unit: str, old: str, new: str) -> None:
        """Move a unit from stage ``old`` to ``new``."""
        if old == new:
            return
        if self.timed:
            self._timed_move(unit, old, new)
        place = self._place_of.get(unit)
        base, chain = self._places[self._place_id(unit) if place is None else place]
        index = self.stage_index
        a, b = base + index[old], base + index[new]
        for tally in chain:
            counts = tally.counts
            counts[a] -= 1
            counts[b] += 1

    def _timed_move(self, unit: str, old: str, new: str) -> None:
        self.timed.get(old, {}).pop(unit, None)
        timed = self.timed.get(new)
        if timed is not None:
            timed[unit] = None

    def move_many(
        self, units: Sequence[str], olds: Sequence[str], news: Sequence[str], blocked: Mapping[str, int]
    ) -> None:
        """Count a batch: unit ``units[i]`` moved from ``olds[i]`` to ``news[i]``; ``blocked``
        deltas by unit.

        Each subtree's counter is updated once per (slot, batch), not once per unit.
        """
        if self.timed:
            for unit, old, new in zip(units, olds, news, strict=True):
                if old != new:
                    self._timed_move(unit, old, new)
        place_of = self._place_of
        got = list(map(place_of.get, units))
        if None in got:
            self._fill_places([u for u, place in zip(units, got, strict=True) if place is None])
        found = list(map(place_of.__getitem__, units)) if None in got else cast("list[int]", got)
        index, places = self.stage_index, self._places
        for (place, old, new), n in Counter(zip(found, olds, news, strict=True)).items():
            if old != new:
                base, chain = places[place]
                self._shift(chain, base + index[old], base + index[new], n)
        if blocked:
            self._blocked_many(blocked)

    @staticmethod
    def _shift(chain: tuple[_Tally, ...], a: int, b: int, n: int) -> None:
        """Move ``n`` units from counter slot ``a`` to ``b`` in every tally of ``chain``."""
        for tally in chain:
            counts = tally.counts
            counts[a] -= n
            counts[b] += n

    def _blocked_many(self, blocked: Mapping[str, int]) -> None:
        """Count a batch's blocking deltas by unit, once per chain of tallies."""
        by_chain: dict[tuple[_Tally, ...], int] = {}
        for unit, delta in blocked.items():
            chain = self._place(unit)[1]
            by_chain[chain] = by_chain.get(chain, 0) + delta
        for chain, delta in by_chain.items():
            for tally in chain:
                tally.blocked += delta

    def blocked(self, unit: str, delta: int) -> None:
        """A unit became blocked (+1) or unblocked (-1)."""
        for tally in self._place(unit)[1]:
            tally.blocked += delta

    def sent_back(self, unit: str, *, first: bool) -> None:
        """A unit was sent back; ``first`` when it had never been before."""
        for tally in self._chain(unit):
            tally.sent_back += 1
            if first:
                tally.reworked += 1

    def reworked(self, unit: str, count: int, *, first: bool = True) -> None:
        """Count ``count`` send-backs of a unit at once (opening or refreshing a run).

        ``first`` when the unit had no send-back before, so it now counts as reworked.
        """
        for tally in self._chain(unit):
            tally.sent_back += count
            if first:
                tally.reworked += 1

    def progress(
        self,
        node: str | None,
        *,
        stage_of: Callable[[str], str],
        blocked: Mapping[str, Blocked],
        reworks_of: Callable[[str], int],
        now: datetime,
        limit: int,
    ) -> Progress:
        """The roll-up of ``node``'s subtree from the counters (a leaf is read directly)."""
        tally = self._all if node is None else self._tallies.get(node)
        if tally is None:
            assert node is not None  # noqa: S101 - narrowed: the whole org always has a tally
            # A leaf: its subtree is itself.
            stage = stage_of(node)
            counts = [0] * self._size
            slot = self.level_index[self.org.level(node)] * self.width + self.stage_index[stage]
            counts[slot] = 1
            n = reworks_of(node)
            return self._build(
                node,
                counts,
                blocked=1 if node in blocked else 0,
                sent_back=n,
                reworked=1 if n else 0,
                blocked_map=blocked,
                now=now,
                limit=limit,
            )
        return self._build(
            node or "*",
            tally.counts,
            blocked=tally.blocked,
            sent_back=tally.sent_back,
            reworked=tally.reworked,
            blocked_map=blocked,
            now=now,
            limit=limit,
        )

    def _build(
        self,
        node: str,
        counts: list[int],
        *,
        blocked: int,
        sent_back: int,
        reworked: int,
        blocked_map: Mapping[str, Blocked],
        now: datetime,
        limit: int,
    ) -> Progress:
        by_stage = dict.fromkeys(self.stages, 0)
        by_level: dict[str, dict[str, int]] = {}
        for li, level in enumerate(self.levels):
            row = counts[li * self.width : (li + 1) * self.width]
            if any(row):
                by_level[level] = dict(zip(self.stages, row, strict=True))
            for stage, n in zip(self.stages, row, strict=True):
                by_stage[stage] += n
        details: list[Blocked] = []
        if blocked and limit:
            org = self.org
            for unit in sorted(blocked_map):
                if node == "*" or org.is_ancestor(node, unit):
                    details.append(blocked_map[unit])
                    if len(details) >= limit:
                        break
        return Progress(
            node=node,
            total=sum(by_stage.values()),
            by_stage=by_stage,
            by_level=by_level,
            blocked=blocked,
            blocked_units=tuple(details),
            sent_back=sent_back,
            reworked=reworked,
            overdue=sum(n for s, n in by_stage.items() if self.overdue(s, now)),
        )

    def overdue(self, stage: str, now: datetime) -> bool:
        """True when a unit still in leaf ``stage`` at ``now`` is late."""
        return any(
            due < now for path, due in self.definition.dues.items() if self.definition.covers(path, stage)
        )
