"""Checks of a campaign definition that need no builder state: reachability, rule ids."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from campaignflow.definition.combinators import walk
from campaignflow.definition.hooks import Hook, On
from campaignflow.definition.model import SEPARATOR, Transition
from campaignflow.definition.rules import Rule


def duplicate_ids(roots: Iterable[Rule]) -> list[str]:
    """Two different rules of one gate with one id: verdicts and ``missing`` could not tell them apart."""
    seen: dict[str, Rule] = {}
    problems: list[str] = []
    for root in roots:
        for r in walk(root):
            first = seen.setdefault(r.id, r)
            if first is not r and first != r:
                problems.append(
                    f"two rules have the id {r.id!r}: {first.label or first.id!r} ({type(first).__name__}) "
                    f"and {r.label or r.id!r} ({type(r).__name__}); give one of them id=..."
                )
    return problems


def unreachable(leaves: list[str], initial: str, transitions: list[Transition]) -> list[str]:
    """The problem of leaf stages no path of transitions reaches from ``initial``, if any."""
    if not initial:
        return []

    def enter(stage: str) -> str:
        return next(
            (leaf for leaf in leaves if leaf == stage or leaf.startswith(stage + SEPARATOR)),
            stage,
        )

    reached = {initial}
    frontier = [initial]
    while frontier:
        leaf = frontier.pop()
        for t in transitions:
            if any(leaf == s or leaf.startswith(s + SEPARATOR) for s in t.sources):
                nxt = enter(t.dest)
                if nxt not in reached:
                    reached.add(nxt)
                    frontier.append(nxt)
    missed = [leaf for leaf in leaves if leaf not in reached]
    if not missed:
        return []
    listed = ", ".join(missed)
    return [f"unreachable stages from {initial!r}: {listed} (add a transition into them or remove them)"]


def hook_problems(
    hooks: Sequence[Hook], transitions: list[Transition], reworks: Mapping[str, Any], paths: list[str]
) -> list[str]:
    """Every hook names a declared event, stage or rework; what does not, named."""
    events = {t.event for t in transitions}
    problems = []
    for h in hooks:
        where = f"on_{h.on.value}({h.key!r})"
        if h.on is On.FIRE and h.key not in events:
            problems.append(f"{where}: unknown event (declared: {', '.join(sorted(events))})")
        elif h.on is On.SEND_BACK and h.key not in reworks:
            problems.append(f"{where}: no rework to that stage (declared: {', '.join(reworks)})")
        elif h.on in {On.ENTER, On.EXIT} and h.key not in paths:
            problems.append(f"{where}: unknown stage (declared: {', '.join(paths)})")
    return problems
