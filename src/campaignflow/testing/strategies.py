"""Hypothesis strategies for campaigns: orgs, evidence that passes or fails a rule, events.

``evidence_for(rule)`` and ``evidence_against(rule)`` generate a :class:`Scenario`
(one unit's people and its recorded evidence) on which the rule must hold, or
must fail. Declared rules are targeted at their thresholds: exactly the count,
one below it; every pair but one; an approval of the previous draft. Custom
rules are black boxes: their declared ``reads`` types are generated at random,
with no promise about the outcome.

Example::

    from hypothesis import given
    from campaignflow.testing import strategies as cst

    rule = cf.count_at_least(StudySession, 4)

    @given(cst.evidence_for(rule))
    def test_four_sessions_pass(scenario):
        assert scenario.passes(my_custom_rule)
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from campaignflow.definition.approval import ApprovedBy
from campaignflow.definition.builder import CampaignBuilder
from campaignflow.definition.combinators import AllOf, AnyOf, Not, walk
from campaignflow.definition.ordering import OrderingRule
from campaignflow.definition.people_rules import ALL, Coverage, NotOverdue
from campaignflow.definition.rules import CountAtLeast, EveryMemberHas, EveryPair, Rule, SumAtLeast
from campaignflow.org.graph import Org
from campaignflow.testing._edges import roles_of, split
from campaignflow.testing._scenario import Scenario
from campaignflow.testing._values import below, holds_many, one_or_many, values_of

__all__ = [
    "Scenario",
    "boundaries",
    "event_sequences",
    "evidence_against",
    "evidence_for",
    "invalid_orgs",
    "orgs",
]

Items = list[tuple[Any, str]]
CLERK = "clerk"  # who records evidence in a scenario (approvals are recorded by a supervisor)


# ---------------------------------------------------------------- orgs


@st.composite
def _org_rows(
    draw: st.DrawFn, levels: Sequence[str], fanout: tuple[int, int], pilots: bool
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [{"id": "u0", "parent": None, "level": levels[0]}]
    frontier = ["u0"]
    counter = itertools.count(1)
    for level in levels[1:]:
        nxt: list[str] = []
        for parent in frontier:
            for _ in range(draw(st.integers(*fanout))):
                uid = f"u{next(counter)}"
                pilot = pilots and level == levels[-1] and draw(st.integers(0, 4)) == 0
                rows.append({"id": uid, "parent": parent, "level": level, "pilot": pilot})
                nxt.append(uid)
        frontier = nxt
    return rows


@st.composite
def _org_people(
    draw: st.DrawFn, rows: list[dict[str, Any]], people: Mapping[str, tuple[int, int]]
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for row in rows:
        for role, (low, high) in people.items():
            for i in range(draw(st.integers(low, high), label=f"{role} at {row['id']}")):
                pid = f"{row['id']}-{role}-{i}"
                out.append({"id": pid, "name": pid, "unit": row["id"], "roles": [role]})
    return out


def orgs(
    *,
    levels: Sequence[str] = ("county", "township", "village"),
    fanout: tuple[int, int] = (0, 3),
    pilots: bool = True,
    people: Mapping[str, tuple[int, int]] | None = None,
) -> st.SearchStrategy[Org]:
    """Valid org trees with the given levels, ``fanout`` children per unit, some pilots.

    Args:
        levels: the org's levels, top first.
        fanout: the least and most children of each unit.
        pilots: mark some units of the last level as pilots.
        people: ``{role: (least, most)}`` people with that role at every unit
            (``{"leadership": (0, 3)}``: units with no leader, one, two or three).
    """
    roles = dict(people or {})
    levels = tuple(levels)

    @st.composite
    def build(draw: st.DrawFn) -> Org:
        rows = draw(_org_rows(levels, fanout, pilots))
        persons = draw(_org_people(rows, roles)) if roles else []
        return Org.from_dicts(rows, people=persons, levels=levels)

    return build()


DEFECTS = ("cycle", "inversion", "unknown_parent", "duplicate", "orphan", "empty_id")


@st.composite
def invalid_orgs(draw: st.DrawFn) -> tuple[str, list[dict[str, Any]], tuple[str, ...]]:
    """``(defect, unit rows, levels)``: a valid tree with one defect a loader must refuse."""
    levels = ("county", "township", "village")
    rows = draw(_org_rows(levels, (1, 3), pilots=False))
    kind = draw(st.sampled_from(DEFECTS))
    if kind == "cycle":
        rows[0]["parent"] = rows[1]["id"]
    elif kind == "inversion":
        rows += [
            {"id": "x-village", "parent": "u0", "level": "village"},
            {"id": "x-township", "parent": "x-village", "level": "township"},
        ]
    elif kind == "unknown_parent":
        rows.append({"id": "lost", "parent": "nowhere", "level": "village"})
    elif kind == "duplicate":
        rows.append(dict(rows[-1]))
    elif kind == "orphan":
        rows.append({"id": "orphan", "parent": None, "level": "village"})
    else:
        rows.append({"id": "  ", "parent": "u0", "level": "township"})
    return kind, rows, levels


# ---------------------------------------------------------------- people


@st.composite
def _people(draw: st.DrawFn, rule: Rule) -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    roles, need_supervisors = roles_of(rule)
    pool = [f"p{i}" for i in range(6)]
    targets = {r.targets for r in walk(rule) if isinstance(r, Coverage) and r.targets is not None}
    people: dict[str, tuple[str, ...]] = {}
    for role in roles:
        if role in targets:  # households and the like: their own, larger pool
            people[role] = tuple(f"h{i}" for i in range(draw(st.integers(1, 12))))
        else:
            people[role] = tuple(draw(st.lists(st.sampled_from(pool), min_size=2, max_size=4, unique=True)))
    for r in walk(rule):
        if isinstance(r, EveryPair) and r.hub is not None:
            # The hub leads the group: one of its members.
            people[r.hub] = (people[r.among][0],)
    supervisors = ("s0", "s1") if need_supervisors else ()
    return people, supervisors


# ---------------------------------------------------------------- leaves


def _count(rule: CountAtLeast, n: int) -> st.SearchStrategy[Items]:
    one = values_of(rule.of) if rule.where is None else values_of(rule.of).filter(rule.where)
    return st.lists(one, min_size=max(n, 0), max_size=max(n, 0)).map(lambda vs: [(v, CLERK) for v in vs])


def _sum(rule: SumAtLeast, total: float) -> st.SearchStrategy[Items]:
    if total <= 0:
        return st.just([])
    return values_of(rule.of, {rule.field: total}).map(lambda v: [(v, CLERK)])


def _leaf(
    rule: Rule, people: Mapping[str, tuple[str, ...]], sups: tuple[str, ...], *, passing: bool
) -> st.SearchStrategy[Items]:
    if isinstance(rule, CountAtLeast):
        if passing:
            return st.one_of(
                _count(rule, rule.count), st.integers(1, 3).flatmap(lambda k: _count(rule, rule.count + k))
            )
        if rule.count == 0:
            return st.nothing()
        return st.one_of(_count(rule, rule.count - 1), _count(rule, 0))
    if isinstance(rule, SumAtLeast):
        if passing:
            return _sum(rule, rule.total)
        return st.one_of(st.just([]), _sum(rule, below(rule.total))) if rule.total > 0 else st.nothing()
    if isinstance(rule, EveryMemberHas):
        return _members(rule, people[rule.among], passing=passing)
    if isinstance(rule, EveryPair):
        return _pairs(rule, people, passing=passing)
    if isinstance(rule, Coverage):
        return _coverage(rule, people, passing=passing)
    if isinstance(rule, NotOverdue):
        return _kept(rule, people, passing=passing)
    if isinstance(rule, ApprovedBy):
        return _approvals(rule, people, sups, passing=passing)
    if isinstance(rule, OrderingRule):
        # A one-unit scenario has no parent, children or pilots: ordering holds.
        return st.just([]) if passing else st.nothing()
    # A custom rule: its declared evidence types, at random (a black box); text
    # fields sometimes name the scenario's people, so person checks can pass.
    if not rule.reads:
        return st.just([])
    persons = tuple(sorted({p for ps in people.values() for p in ps}))
    one = st.sampled_from(rule.reads).flatmap(lambda tp: values_of(tp, people=persons))
    return st.lists(one, max_size=12).map(lambda vs: [(v, CLERK) for v in vs])


@st.composite
def _members(draw: st.DrawFn, rule: EveryMemberHas, persons: tuple[str, ...], *, passing: bool) -> Items:
    short = None if passing else draw(st.sampled_from(persons))
    out: Items = []
    for person in persons:
        n = rule.at_least - (1 if person == short else 0)
        who = one_or_many(rule.of, rule.by, (person,))
        out += [(draw(values_of(rule.of, {rule.by: who})), CLERK) for _ in range(max(n, 0))]
    if short is not None and rule.at_least == 0:
        return draw(st.nothing())
    return out


@st.composite
def _coverage(
    draw: st.DrawFn, rule: Coverage, people: Mapping[str, tuple[str, ...]], *, passing: bool
) -> Items:
    """Each person covers exactly the minimum (or one fewer), the total is met (or not)."""
    persons = people[rule.among]
    universe = people.get(rule.targets) if rule.targets is not None else None
    need = len(rule.required) or rule.at_least
    total = len(universe or ()) if rule.total == ALL else int(rule.total or 0)
    pool: tuple[str, ...] = rule.required or universe or tuple(f"x{i}" for i in range(max(need, total) + 2))
    if need > len(pool) or total > len(pool):
        return draw(st.nothing())
    offset = draw(st.integers(0, len(pool) - 1))
    ring = pool[offset:] + pool[:offset]
    covered = {p: list(ring[:need]) for p in persons}
    if passing:
        covered[persons[0]] = list(dict.fromkeys([*ring[:need], *ring[:total]]))
    else:
        modes = ["person"] if need > 0 else []
        if total > need:
            modes.append("total")
        if not modes:
            return draw(st.nothing())
        if draw(st.sampled_from(modes)) == "person":
            short = draw(st.sampled_from(persons))
            dropped = draw(st.sampled_from(covered[short]))
            covered[short] = [t for t in covered[short] if t != dropped]
    out: Items = []
    many = holds_many(rule.of, rule.covers)
    for person, things in covered.items():
        who = one_or_many(rule.of, rule.by, (person,))
        batches = [tuple(things)] if many and things else [(t,) for t in things]
        out += [
            (draw(values_of(rule.of, {rule.by: who, rule.covers: b if many else b[0]})), CLERK)
            for b in batches
        ]
    return out


@st.composite
def _kept(
    draw: st.DrawFn, rule: NotOverdue, people: Mapping[str, tuple[str, ...]], *, passing: bool
) -> Items:
    """Fulfil a ``via="own"`` obligation now for every person, or for all but one.

    Other obligations reach units a one-unit scenario does not have: nothing is owed.
    """
    ob = rule.obligation
    persons = people[ob.role] if ob.via == "own" else ()
    if not passing:
        late = datetime.now(UTC) >= ob.deadline(0)  # the scenario runs on the wall clock
        if not persons or not late:
            return draw(st.nothing())
        skipped = draw(st.sampled_from(persons))
        persons = tuple(p for p in persons if p != skipped)
    one = values_of
    out: Items = []
    for person in persons:
        strategy = one(ob.evidence, {ob.by: one_or_many(ob.evidence, ob.by, (person,))})
        if ob.where is not None:
            strategy = strategy.filter(ob.where)
        out.append((draw(strategy), CLERK))
    return out


@st.composite
def _pairs(
    draw: st.DrawFn, rule: EveryPair, people: Mapping[str, tuple[str, ...]], *, passing: bool
) -> Items:
    members = people[rule.among]
    if rule.hub is not None:
        hubs = people[rule.hub]
        pairs = [(h, p) for h in hubs for p in members if p != h]
        if rule.directed:
            pairs += [(p, h) for h, p in pairs]
    elif rule.directed:
        pairs = list(itertools.permutations(members, 2))
    else:
        pairs = list(itertools.combinations(members, 2))
    if not passing and (not pairs or rule.at_least == 0):
        return draw(st.nothing())
    short = None if passing else draw(st.sampled_from(pairs))
    left, right = rule.between
    out: Items = []
    for a, b in pairs:
        n = rule.at_least - (1 if (a, b) == short else 0)
        for _ in range(n):
            x, y = (a, b) if rule.directed or draw(st.booleans()) else (b, a)
            out.append((draw(values_of(rule.of, {left: x, right: y})), CLERK))
    return out


@st.composite
def _approvals(
    draw: st.DrawFn,
    rule: ApprovedBy,
    people: Mapping[str, tuple[str, ...]],
    sups: tuple[str, ...],
    *,
    passing: bool,
) -> Items:
    approvers = sups if rule.group == "supervises" else people[rule.group]
    outsider = "outsider"
    out: Items = []
    latest = 1
    if rule.latest_of is not None:
        latest = draw(st.integers(1, 3))
        out += [(draw(values_of(rule.latest_of, {rule.revision: r})), CLERK) for r in range(1, latest + 1)]
    fixed = {rule.revision: latest} if rule.latest_of is not None else {}
    if passing:
        out.append((draw(values_of(rule.of, fixed)), draw(st.sampled_from(approvers))))
        return out
    how = draw(st.sampled_from(["none", "outsider", "stale"] if latest > 1 else ["none", "outsider"]))
    if how == "outsider":
        out.append((draw(values_of(rule.of, fixed)), outsider))
    elif how == "stale":
        out.append((draw(values_of(rule.of, {rule.revision: latest - 1})), draw(st.sampled_from(approvers))))
    return out


# ---------------------------------------------------------------- trees


def _tree(
    rule: Rule, people: Mapping[str, tuple[str, ...]], sups: tuple[str, ...], *, passing: bool
) -> st.SearchStrategy[Items]:
    if isinstance(rule, Not):
        return _tree(rule.rule, people, sups, passing=not passing)
    if isinstance(rule, AllOf | AnyOf):
        parts = list(rule.children)
        if not parts:
            return st.just([]) if passing == isinstance(rule, AllOf) else st.nothing()
        every = isinstance(rule, AllOf) == passing  # all children pass (all_of) / all fail (any_of)
        if every:
            return st.tuples(*(_tree(p, people, sups, passing=passing) for p in parts)).map(_concat)
        return st.integers(0, len(parts) - 1).flatmap(
            lambda i: st.tuples(
                *(_tree(p, people, sups, passing=(j != i) == (not passing)) for j, p in enumerate(parts))
            ).map(_concat)
        )
    return _leaf(rule, people, sups, passing=passing)


def _concat(parts: tuple[Items, ...]) -> Items:
    return [item for part in parts for item in part]


def _scenarios(rule: Rule, *, passing: bool) -> st.SearchStrategy[Scenario]:
    def build(chosen: tuple[dict[str, tuple[str, ...]], tuple[str, ...]]) -> st.SearchStrategy[Scenario]:
        people, sups = chosen
        return _tree(rule, people, sups, passing=passing).map(
            lambda items: Scenario(people=people, supervisors=sups, evidence=tuple(items))
        )

    strategy = _people(rule).flatmap(build)
    if any(isinstance(r, AllOf | AnyOf | Not) for r in walk(rule)):
        # Sub-rules reading the same evidence can interfere once combined: keep only
        # the scenarios that really pass (or fail) the whole tree.
        strategy = strategy.filter(lambda sc: sc.passes(rule) == passing)
    return strategy


def boundaries(rule: Rule, *, passing: bool | None = None) -> tuple[Scenario, ...]:
    """The deterministic edge cases of ``rule``, worked out from the rule itself.

    Exactly at each threshold and one step below; sums landing exactly on their
    bound in fractions; zero records; a record retracted so a count drops below;
    duplicates; outsiders; records outside a ``where=`` filter; ``among`` groups of
    0, 1 and 2 people; combinators with each child at its edge while the others
    pass (``all_of``) or fail (``any_of``). Each scenario's ``note`` says what it
    probes. Use them as ``@example``\\ s, or let :func:`evidence_for` and
    :func:`evidence_against` (which start with them) and
    :func:`~campaignflow.testing.assert_equivalent` run them.

    Args:
        rule: any rule; a custom rule (a black box) has only the empty scenario.
        passing: ``True`` for the cases on which ``rule`` holds, ``False`` for
            those on which it fails, ``None`` (default) for both, holding first.
    """
    yes, no = split(rule)
    if passing is None:
        return yes + no
    return yes if passing else no


def _first(
    cases: tuple[Scenario, ...], generated: st.SearchStrategy[Scenario]
) -> st.SearchStrategy[Scenario]:
    # The boundary cases are the first branch: hypothesis tries its simplest choice
    # first, draws this branch about half the time, and shrinks a failure toward it.
    return st.one_of(st.sampled_from(cases), generated) if cases else generated


def evidence_for(rule: Rule) -> st.SearchStrategy[Scenario]:
    """Scenarios on which ``rule`` holds: its boundary cases first, then at and above its thresholds."""
    return st.deferred(lambda: _first(boundaries(rule, passing=True), _scenarios(rule, passing=True)))


def evidence_against(rule: Rule) -> st.SearchStrategy[Scenario]:
    """Scenarios on which ``rule`` fails: its boundary cases first, then just below and far below."""
    return st.deferred(lambda: _first(boundaries(rule, passing=False), _scenarios(rule, passing=False)))


def _custom_scenarios(rule: Rule, *, records: int) -> st.SearchStrategy[Scenario]:
    """Scenarios for a custom rule: its declared types, in lists of sizes up to and past ``records``."""
    sizes = sorted({0, 1, 2, 3, records - 1, records, records + 1, 2 * records} - {-1})

    def build(chosen: tuple[dict[str, tuple[str, ...]], tuple[str, ...]]) -> st.SearchStrategy[Scenario]:
        people, sups = chosen
        if not rule.reads:
            return st.just(Scenario(people=people, supervisors=sups))
        persons = tuple(sorted({p for ps in people.values() for p in ps}))
        one = st.sampled_from(rule.reads).flatmap(lambda tp: values_of(tp, people=persons))
        lists = st.sampled_from(sizes).flatmap(lambda n: st.lists(one, min_size=n, max_size=n))
        return lists.map(
            lambda vs: Scenario(people=people, supervisors=sups, evidence=tuple((v, CLERK) for v in vs))
        )

    return _people(rule).flatmap(build)


def event_sequences(
    campaign: CampaignBuilder, units: Sequence[str], *, max_size: int = 30
) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Lists of ``(unit, event)`` pairs over the campaign's declared events."""
    events = campaign.build().events
    return st.lists(st.tuples(st.sampled_from(list(units)), st.sampled_from(list(events))), max_size=max_size)
