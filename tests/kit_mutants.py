"""Realistic mistakes in hand-written gate rules, and the correct rules, for the kit's mutation score.

Each entry is ``(name, custom rule, declared specification)``. The mutants are the
fifteen mistakes of issue 25 (a new user's rules against the how-to's two
specifications), then ``>`` for ``>=`` on every primitive with a threshold, the
wrong unit of a coverage rule, and an ``among`` group ignored. Used by
``tests/test_kit_mutants.py`` and ``benchmarks/mutation.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations

import attrs

import campaignflow as cf


@attrs.frozen
class StudySession:
    """A study session: its hours, and how many readings it covered."""

    hours: float
    readings: int = 1


@attrs.frozen
class Talk:
    """A talk between two leaders (undirected)."""

    a: str
    b: str


@attrs.frozen
class Notes:
    """A member's study notes."""

    member: str


@attrs.frozen
class Link:
    """A cadre's link to a household."""

    cadre: str
    household: str


STUDY = cf.all_of(
    cf.count_at_least(StudySession, 15, label="集中学习不少于15次"),
    cf.sum_at_least(StudySession, "hours", 20, label="不少于20课时"),
)
TALKS = cf.every_pair(Talk, among="leadership", label="谈心交心")
TWICE = cf.every_pair(Talk, among="leadership", at_least=2, label="谈心两次")
NOTES = cf.every_member_has(Notes, among="members", by="member", label="人手一本学习笔记")
LINKS = cf.coverage(Link, among="cadre", by="cadre", covers="household", at_least=2, total=5, label="一联五")

Check = Callable[[cf.Context], bool]
Case = tuple[str, cf.Rule, cf.Rule]


def _rule(name: str, reads: type, roles: tuple[str, ...], check: Check) -> cf.Rule:
    def fn(ctx: cf.Context) -> cf.Finding:
        return cf.ok() if check(ctx) else cf.fail(name)

    return cf.rule(name, label=name, reads=(reads,), roles=roles)(fn)


# ---------------------------------------------------------------- study


def _study(
    *,
    count: Callable[[cf.Context], int] | None = None,
    hours: Callable[[cf.Context], float] | None = None,
    need: int = 15,
    strict: tuple[bool, bool] = (False, False),
    either: bool = False,
    zero_ok: bool = False,
) -> Check:
    def check(ctx: cf.Context) -> bool:
        sessions = ctx.evidence(StudySession)
        if zero_ok and not sessions:
            return True
        n = count(ctx) if count else len(sessions)
        h = hours(ctx) if hours else sum(s.hours for s in sessions)
        enough = n > need if strict[0] else n >= need
        long = h > 20 if strict[1] else h >= 20
        return (enough or long) if either else (enough and long)

    return check


def _recorded(ctx: cf.Context) -> int:
    """Sessions counted from the history: retracted ones too (the mistake)."""
    return sum(
        1
        for step in ctx.history()
        if step.kind is cf.Kind.RECORD and step.evidence is not None and step.evidence.kind == "StudySession"
    )


# ---------------------------------------------------------------- talks


def _talks(
    *,
    ordered: bool = False,
    both_ways: bool = False,
    drop_last: bool = False,
    zero_ok: bool = False,
    each_someone: bool = False,
    vacuous: bool = False,
    count_talks: bool = False,
    at_least: int = 1,
    strict: bool = False,
) -> Check:
    def check(ctx: cf.Context) -> bool:
        leaders = list(ctx.people("leadership"))
        talks = ctx.evidence(Talk)
        if zero_ok and not talks:
            return True
        if len(leaders) < 2 and not vacuous:
            return False
        if drop_last:
            leaders = leaders[:-1]
        pairs = list(combinations(leaders, 2))
        if count_talks:
            return len(talks) >= len(pairs) * at_least
        if each_someone:
            return all(any(p in (t.a, t.b) for t in talks) for p in leaders)

        def times(a: str, b: str) -> int:
            if ordered:
                return sum((t.a, t.b) == (a, b) for t in talks)
            if both_ways:
                return min(sum((t.a, t.b) == (a, b) for t in talks), sum((t.a, t.b) == (b, a) for t in talks))
            return sum({t.a, t.b} == {a, b} for t in talks)

        return all(times(a, b) > at_least if strict else times(a, b) >= at_least for a, b in pairs)

    return check


# ---------------------------------------------------------------- members and coverage


def _notes(*, strict: bool = False, everyone: bool = False, named: bool = False) -> Check:
    def check(ctx: cf.Context) -> bool:
        notes = ctx.evidence(Notes)
        members = ctx.people() if everyone else ctx.people("members")
        if named:
            members = tuple({n.member for n in notes})
        if not members:
            return False
        return all(
            (sum(n.member == m for n in notes) > 1) if strict else any(n.member == m for n in notes)
            for m in members
        )

    return check


def _links(
    *, strict_each: bool = False, strict_total: bool = False, records: bool = False, everyone: bool = False
) -> Check:
    def check(ctx: cf.Context) -> bool:
        cadres = ctx.people() if everyone else ctx.people("cadre")
        if not cadres:
            return False
        links = ctx.evidence(Link)
        by = {c: [lk.household for lk in links if lk.cadre == c] for c in cadres}
        each = [len(h) if records else len(set(h)) for h in by.values()]
        together = len({lk.household for lk in links if lk.cadre in by})
        ok_each = all(n > 2 if strict_each else n >= 2 for n in each)
        ok_total = together > 5 if strict_total else together >= 5
        return ok_each and ok_total

    return check


CORRECT: list[Case] = [
    ("study, correct", _rule("study", StudySession, (), _study()), STUDY),
    ("talks, correct", _rule("talks", Talk, ("leadership",), _talks()), TALKS),
    ("talks twice, correct", _rule("talks2", Talk, ("leadership",), _talks(at_least=2)), TWICE),
    ("notes, correct", _rule("notes", Notes, ("members",), _notes()), NOTES),
    ("links, correct", _rule("links", Link, ("cadre",), _links()), LINKS),
]

ISSUE: list[Case] = [
    (
        "sums readings instead of hours",
        _rule(
            "m1", StudySession, (), _study(hours=lambda c: sum(s.readings for s in c.evidence(StudySession)))
        ),
        STUDY,
    ),
    ("`or` for `and`", _rule("m2", StudySession, (), _study(either=True)), STUDY),
    ("count > 15 for >= 15", _rule("m3", StudySession, (), _study(strict=(True, False))), STUDY),
    (">= 14 for >= 15", _rule("m4", StudySession, (), _study(need=14)), STUDY),
    ("hours > 20 for >= 20", _rule("m5", StudySession, (), _study(strict=(False, True))), STUDY),
    (
        "hours truncated to int",
        _rule(
            "m6",
            StudySession,
            (),
            _study(hours=lambda c: sum(int(s.hours) for s in c.evidence(StudySession))),
        ),
        STUDY,
    ),
    ("counts retracted records", _rule("m7", StudySession, (), _study(count=_recorded)), STUDY),
    ("accepts zero study records", _rule("m8", StudySession, (), _study(zero_ok=True)), STUDY),
    ("a talk (b, a) not seen as (a, b)", _rule("m9", Talk, ("leadership",), _talks(ordered=True)), TALKS),
    ("requires both directions", _rule("m10", Talk, ("leadership",), _talks(both_ways=True)), TALKS),
    ("forgets the last leader", _rule("m11", Talk, ("leadership",), _talks(drop_last=True)), TALKS),
    ("accepts zero talks", _rule("m12", Talk, ("leadership",), _talks(zero_ok=True)), TALKS),
    ("each leader talked to someone", _rule("m13", Talk, ("leadership",), _talks(each_someone=True)), TALKS),
    (
        "passes vacuously with fewer than 2 leaders",
        _rule("m14", Talk, ("leadership",), _talks(vacuous=True)),
        TALKS,
    ),
    (
        "counts talks instead of distinct pairs",
        _rule("m15", Talk, ("leadership",), _talks(count_talks=True)),
        TALKS,
    ),
]

MORE: list[Case] = [
    (
        "every_pair: > for >= (at_least=2)",
        _rule("m16", Talk, ("leadership",), _talks(at_least=2, strict=True)),
        TWICE,
    ),
    (
        "every_pair: counts talks (at_least=2)",
        _rule("m17", Talk, ("leadership",), _talks(at_least=2, count_talks=True)),
        TWICE,
    ),
    ("every_member_has: > for >=", _rule("m18", Notes, ("members",), _notes(strict=True)), NOTES),
    (
        "every_member_has: everyone at the unit, not the members",
        _rule("m19", Notes, ("members",), _notes(everyone=True)),
        NOTES,
    ),
    (
        "every_member_has: whoever has notes, not the members",
        _rule("m20", Notes, ("members",), _notes(named=True)),
        NOTES,
    ),
    ("coverage: > for >= per cadre", _rule("m21", Link, ("cadre",), _links(strict_each=True)), LINKS),
    ("coverage: > for >= in total", _rule("m22", Link, ("cadre",), _links(strict_total=True)), LINKS),
    (
        "coverage: counts links, not distinct households",
        _rule("m23", Link, ("cadre",), _links(records=True)),
        LINKS,
    ),
    (
        "coverage: everyone at the unit, not the cadres",
        _rule("m24", Link, ("cadre",), _links(everyone=True)),
        LINKS,
    ),
]

MUTANTS: list[Case] = ISSUE + MORE
