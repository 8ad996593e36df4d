"""Checks of a campaign definition that need no builder state: reachability, rule ids."""

from __future__ import annotations

from collections.abc import Iterable

from campaignflow.definition.combinators import walk
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
