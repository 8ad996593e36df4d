"""Ordering deadlocks over the whole transition graph: a cycle of waits between levels.

Each event waits on others: on the same unit for the events every path to its
source stage takes; with ``parent_first(e)`` on the parent's ``e`` (one level
up); with ``children_done(stage)`` on the children's events that every path to
``stage`` takes (one level down). A cycle of such waits whose level steps add
up to zero comes back to the same unit: no unit on it can ever move.
"""

from __future__ import annotations

from collections import deque

from campaignflow.definition.model import Definition, Transition
from campaignflow.definition.ordering import ChildrenDone, ParentFirst

Wait = tuple[str, int, str]  # (event waited on, level step: +1 parent, -1 children, 0 same unit, why)


def _reachable(d: Definition, target: str, without: str | None) -> bool:
    """True when a unit can reach the leaf ``target`` from the start without firing ``without``."""
    seen = {d.initial}
    frontier = [d.initial]
    while frontier:
        leaf = frontier.pop()
        if leaf == target:
            return True
        for t in d.transitions:
            if t.event == without or not any(d.covers(s, leaf) for s in t.sources):
                continue
            nxt = d.first_leaf(t.dest)
            if nxt not in seen:
                seen.add(nxt)
                frontier.append(nxt)
    return False


def _needed(d: Definition, stage: str) -> list[str]:
    """The events every path from the start to ``stage`` fires."""
    target = d.first_leaf(stage)
    if not _reachable(d, target, None):
        return []
    return [e for e in d.events if not _reachable(d, target, e)]


def _sources(d: Definition, t: Transition) -> list[str]:
    return [leaf for leaf in d.leaves if any(d.covers(s, leaf) for s in t.sources)]


def waits(d: Definition) -> dict[str, list[Wait]]:
    """For each event, what firing it waits on."""
    out: dict[str, list[Wait]] = {e: [] for e in d.events}
    for t in d.transitions:
        sources = _sources(d, t)
        if sources:  # the events needed to reach the nearest source
            common = set.intersection(*(set(_needed(d, s)) for s in sources))
            out[t.event] += [(e, 0, f"{t.event!r} leaves a stage reached by {e!r}") for e in sorted(common)]
        for o in t.order:
            if isinstance(o, ParentFirst):
                e = o.event or t.event
                out[t.event].append((e, 1, f"{t.event!r} waits for the parent's {e!r} (parent_first)"))
            elif isinstance(o, ChildrenDone):
                for e in _needed(d, o.stage):
                    why = f"{t.event!r} waits for children to reach {o.stage!r}, which takes {e!r}"
                    out[t.event].append((e, -1, why))
    return out


def deadlocks(d: Definition) -> list[tuple[str, list[str]]]:
    """Each event on a cycle of waits that returns to the same unit, with the chain of reasons."""
    graph = waits(d)
    bound = len(graph) + 1
    found: list[tuple[str, list[str]]] = []
    seen_cycles: set[frozenset[str]] = set()
    for start in graph:
        queue: deque[tuple[str, int, tuple[str, ...], tuple[str, ...]]] = deque([(start, 0, (start,), ())])
        visited: set[tuple[str, int]] = set()
        while queue:
            event, level, path, why = queue.popleft()
            for nxt, step, reason in graph[event]:
                lv = level + step
                if abs(lv) > bound:
                    continue
                if nxt == start and lv == 0:
                    cycle = frozenset(path)
                    if cycle not in seen_cycles and any(s for _, s, _ in _steps(graph, path)):
                        seen_cycles.add(cycle)
                        found.append((start, [*why, reason]))
                    continue
                if (nxt, lv) not in visited:
                    visited.add((nxt, lv))
                    queue.append((nxt, lv, (*path, nxt), (*why, reason)))
    return found


def _steps(graph: dict[str, list[Wait]], path: tuple[str, ...]) -> list[Wait]:
    """The waits along ``path`` and back to its start (to tell a level-crossing cycle)."""
    out = []
    for a, b in zip(path, (*path[1:], path[0]), strict=True):
        out += [w for w in graph[a] if w[0] == b]
    return out
