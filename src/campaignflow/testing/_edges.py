"""Boundary cases worked out from a declared rule, without drawing anything.

For each primitive: exactly at each threshold and one step below it, a sum that
lands exactly on its bound with fractional parts, zero records, a record retracted
so the count drops below, duplicates, records naming outsiders, records outside a
``where=`` filter, and groups of 0, 1 and 2 people for ``among=``. Combinators
combine their children's cases: each child at its edge while the others pass
(``all_of``) or fail (``any_of``). Counts and sums over one evidence type under one
``all_of`` are built together, so that both sit on their edges in one scenario.

Which side of the rule a case falls on is not assumed: :func:`split` judges every
case by the rule itself.
"""

from __future__ import annotations

from collections.abc import Mapping

from campaignflow.definition.approval import ApprovedBy
from campaignflow.definition.combinators import AllOf, AnyOf, Not, walk
from campaignflow.definition.ordering import OrderingRule
from campaignflow.definition.people_rules import Coverage, NotOverdue
from campaignflow.definition.rules import (
    CountAtLeast,
    CustomRule,
    EveryMemberHas,
    EveryPair,
    Rule,
    SumAtLeast,
)
from campaignflow.testing._leaf_edges import (
    MAX_RECORDS,
    Part,
    Piece,
    Tally,
    approval_edges,
    as_tally,
    count_base,
    count_edges,
    coverage_edges,
    join,
    members_edges,
    pair_edges,
    parts_of,
    required_pairs,
    talks,
    tally_base,
    tally_edges,
)
from campaignflow.testing._scenario import Scenario

People = Mapping[str, tuple[str, ...]]
BYSTANDER = "bystander"  # a role of none of the rules: its person must not count

# ---------------------------------------------------------------- people


def roles_of(rule: Rule) -> tuple[list[str], bool]:
    """The people roles a rule tree reads, and whether it needs supervisors."""
    roles: dict[str, None] = {}
    supervisors = False
    for r in walk(rule):
        if isinstance(r, EveryMemberHas):
            roles[r.among] = None
        elif isinstance(r, EveryPair):
            roles[r.among] = None
            if r.hub is not None:
                roles[r.hub] = None
        elif isinstance(r, Coverage):
            roles[r.among] = None
            if r.targets is not None:
                roles[r.targets] = None
        elif isinstance(r, NotOverdue):
            roles[r.obligation.role] = None
        elif isinstance(r, CustomRule):
            roles.update(dict.fromkeys(r.roles))
        elif isinstance(r, ApprovedBy):
            if r.group == "supervises":
                supervisors = True
            else:
                roles[r.group] = None
    return list(roles), supervisors


def _groups(rule: Rule) -> list[str]:
    """The ``among`` roles: the groups whose size 0, 1 and 2 are worth trying."""
    out: dict[str, None] = {}
    for r in walk(rule):
        if isinstance(r, EveryMemberHas | EveryPair | Coverage):
            out[r.among] = None
        elif isinstance(r, CustomRule):
            out.update(dict.fromkeys(r.roles))
    return list(out)


def _universe_size(rule: Rule) -> int:
    size = 3
    for r in walk(rule):
        if isinstance(r, Coverage) and isinstance(r.total, int):
            size = max(size, r.total + 1, (len(r.required) or r.at_least) + 1)
        elif isinstance(r, Coverage):
            size = max(size, (len(r.required) or r.at_least) + 1)
    return size


def cast(rule: Rule) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    """The default people of the boundary cases: three per role, one bystander."""
    roles, need_supervisors = roles_of(rule)
    targets = {r.targets for r in walk(rule) if isinstance(r, Coverage) and r.targets is not None}
    people: dict[str, tuple[str, ...]] = {}
    for n, role in enumerate(roles):
        if role in targets:
            people[role] = tuple(f"h{i}" for i in range(_universe_size(rule)))
        else:
            people[role] = tuple(f"p{3 * n + i}" for i in range(3))
    for r in walk(rule):
        if isinstance(r, EveryPair) and r.hub is not None:
            people[r.hub] = people[r.among][:1]  # the hub leads the group: one of its members
    if people:
        people[BYSTANDER] = ("x0",)
    return people, ("s0", "s1") if need_supervisors else ()


def resized(rule: Rule, people: People, role: str, size: int) -> dict[str, tuple[str, ...]]:
    """``people`` with ``role`` cut (or grown) to ``size`` persons."""
    have = people.get(role, ())
    grown = have[:size] + tuple(f"{role[:1]}{i}-extra" for i in range(size - len(have)))
    out = {**people, role: grown}
    for r in walk(rule):
        if isinstance(r, EveryPair) and r.hub is not None and r.among == role:
            out[r.hub] = grown[:1]
    return out


# ---------------------------------------------------------------- trees


def edges(rule: Part, people: People, sups: tuple[str, ...]) -> list[Piece]:
    """Every edge case of ``rule`` with these people."""
    if isinstance(rule, Tally):
        return tally_edges(rule)
    if isinstance(rule, Not):
        return edges(rule.rule, people, sups)
    if isinstance(rule, AllOf | AnyOf):
        parts: list[Part] = parts_of(rule) if isinstance(rule, AllOf) else list(rule.children)
        others_pass = isinstance(rule, AllOf)
        out: list[Piece] = []
        bases = [base(p, people, sups, passing=others_pass) for p in parts]
        for i, part in enumerate(parts):
            rest = [b for j, b in enumerate(bases) if j != i]
            if any(b is None for b in rest):
                continue
            out += [join(e.note, [e, *(b for b in rest if b is not None)]) for e in edges(part, people, sups)]
        return out
    t = as_tally(rule)
    if t is not None and isinstance(rule, SumAtLeast):
        return tally_edges(t)
    if isinstance(rule, CountAtLeast):
        return count_edges(rule)
    if isinstance(rule, EveryMemberHas):
        return members_edges(rule, people)
    if isinstance(rule, EveryPair):
        return [p for p in pair_edges(rule, people) if p is not None]
    if isinstance(rule, Coverage):
        return coverage_edges(rule, people)
    if isinstance(rule, ApprovedBy):
        return approval_edges(rule, people, sups)
    if isinstance(rule, CustomRule | OrderingRule):
        return [Piece(note="no evidence")]
    return []


def base(rule: Part, people: People, sups: tuple[str, ...], *, passing: bool) -> Piece | None:  # noqa: PLR0912
    """The plainest records on which ``rule`` holds (``passing``) or fails; ``None``: none known."""
    if isinstance(rule, Tally):
        return tally_base(rule, passing=passing)
    if isinstance(rule, Not):
        return base(rule.rule, people, sups, passing=not passing)
    if isinstance(rule, AllOf | AnyOf):
        parts: list[Part] = parts_of(rule) if isinstance(rule, AllOf) else list(rule.children)
        if not parts:
            return Piece(note="") if passing == isinstance(rule, AllOf) else None
        if passing == isinstance(rule, AllOf):  # every part on the same side
            found = [base(p, people, sups, passing=passing) for p in parts]
            return None if any(f is None for f in found) else join("", [f for f in found if f is not None])
        first = base(parts[0], people, sups, passing=passing)
        rest = [base(p, people, sups, passing=not passing) for p in parts[1:]]
        if first is None or any(r is None for r in rest):
            return None
        return join("", [first, *(r for r in rest if r is not None)])
    if isinstance(rule, SumAtLeast):
        t = as_tally(rule)
        return None if t is None else tally_base(t, passing=passing)
    if isinstance(rule, CountAtLeast):
        return count_base(rule, passing=passing)
    if isinstance(rule, EveryMemberHas):
        found_edges = members_edges(rule, people)
        if passing:
            return found_edges[0] if found_edges else None
        return Piece(note=f"no {rule.of.__name__}") if people.get(rule.among) and rule.at_least else None
    if isinstance(rule, EveryPair):
        if passing:
            return talks(
                rule, [p for p in required_pairs(rule, people) for _ in range(rule.at_least)], "every pair"
            )
        return (
            Piece(note=f"no {rule.of.__name__}") if required_pairs(rule, people) and rule.at_least else None
        )
    if isinstance(rule, Coverage):
        covered = coverage_edges(rule, people, base=passing)
        return covered[0] if covered else None
    if isinstance(rule, ApprovedBy):
        approved = approval_edges(rule, people, sups, base=passing)
        return approved[0] if approved else None
    if isinstance(rule, CustomRule):
        return Piece(note="")
    if isinstance(rule, OrderingRule):
        return Piece(note="") if passing else None
    return None


def candidates(rule: Rule) -> list[Scenario]:
    """The boundary scenarios of ``rule``, both sides, in a stable order, without repeats."""
    people, sups = cast(rule)
    pieces = [(people, p) for p in edges(rule, people, sups)]
    for role in _groups(rule):
        for size in (0, 1, 2):
            group = resized(rule, people, role, size)
            for passing in (True, False):
                found = base(rule, group, sups, passing=passing)
                if found is not None:
                    pieces.append((group, join(f"{size} {role}", [found])))
    out: list[Scenario] = []
    for who, p in pieces:
        if len(p.items) > MAX_RECORDS:
            continue
        sc = Scenario(people=who, supervisors=sups, evidence=p.items, retracted=p.retracted, note=p.note)
        if sc not in out:
            out.append(sc)
    return out


_SPLIT: dict[int, tuple[Rule, tuple[Scenario, ...], tuple[Scenario, ...]]] = {}


def split(rule: Rule) -> tuple[tuple[Scenario, ...], tuple[Scenario, ...]]:
    """The boundary scenarios on which ``rule`` holds, and those on which it fails (cached)."""
    held = _SPLIT.get(id(rule))
    if held is not None and held[0] is rule:
        return held[1], held[2]
    yes: list[Scenario] = []
    no: list[Scenario] = []
    for sc in candidates(rule):
        try:
            passed = sc.passes(rule)
        except Exception:  # noqa: BLE001, S112 - a case the run refuses (invalid evidence) is no case
            continue
        (yes if passed else no).append(sc)
    if len(_SPLIT) > 512:  # noqa: PLR2004 - a bound on the cache, not a tuning knob
        _SPLIT.clear()
    _SPLIT[id(rule)] = (rule, tuple(yes), tuple(no))
    return tuple(yes), tuple(no)
