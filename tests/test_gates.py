"""Declared rule primitives, custom rules and the combinators."""

from __future__ import annotations

from datetime import UTC, datetime

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.definition.context import Context
from campaignflow.definition.rules import Rule, evaluate
from campaignflow.values.findings import Finding, Status


@attrs.frozen
class Study:
    hours: float


@attrs.frozen
class Notes:
    member: str


@attrs.frozen
class Talk:
    a: str
    b: str


@attrs.frozen
class Draft:
    revision: int


@attrs.frozen
class Approval:
    revision: int


def _org() -> cf.Org:
    people = [
        {"id": "p1", "name": "张三", "unit": "u1", "roles": ["leadership", "principal", "members"]},
        {"id": "p2", "name": "李四", "unit": "u1", "roles": ["leadership", "members"]},
        {"id": "p3", "name": "王五", "unit": "u1", "roles": ["leadership", "members"]},
        {"id": "s1", "name": "督导员", "unit": "sg", "roles": ["supervisor"]},
    ]
    groups = [{"id": "sg", "name": "第六督导组", "supervises": ["u1"]}]
    return cf.Org.from_dicts(
        [{"id": "u1", "parent": None, "level": "county", "name": "中牟县"}],
        people=people,
        groups=groups,
        levels=("county",),
    )


def _run(*rules: Rule) -> cf.Run:
    c = cf.Campaign("t")
    c.stages("a", "b")
    c.evidence(Study, Notes, Talk, Draft, Approval)
    c.transition("go", "a", "b", gate=cf.all_of(*rules) if rules else None)
    return c.start(_org(), ids=cf.CountingIds())


def _ctx(run: cf.Run) -> Context:
    return Context(
        unit="u1", stage="a", event="go", actor=None, now=datetime(2014, 3, 1, tzinfo=UTC), run=run
    )


ADMIN = cf.Actor(id="admin")
SUP = cf.Actor(id="s1", roles={"supervisor"})


class TestCountAtLeast:
    def test_boundary(self) -> None:
        """Exactly the threshold passes; one below fails and says how many are missing."""
        rule = cf.count_at_least(Study, 2, label="学习两次")
        run = _run(rule)
        run.record("u1", Study(1), by=ADMIN)
        found = evaluate(rule, _ctx(run))
        assert (found.passed, found.reason) == (False, "1 of 2 Study recorded (1 missing)")
        run.record("u1", Study(1), by=ADMIN)
        assert evaluate(rule, _ctx(run)).passed

    def test_exposes_reads_and_thresholds(self) -> None:
        """Declared rules say what they read and where the threshold is."""
        rule = cf.count_at_least(Study, 15)
        assert (rule.reads, dict(rule.thresholds)) == ((Study,), {"count": 15})

    def test_where_filters(self) -> None:
        """Only evidence matching `where` counts."""
        rule = cf.exists(Study, where=lambda s: s.hours >= 2)
        run = _run(rule)
        run.record("u1", Study(1), by=ADMIN)
        assert not evaluate(rule, _ctx(run)).passed
        run.record("u1", Study(3), by=ADMIN)
        assert evaluate(rule, _ctx(run)).passed

    def test_rejects_bad_threshold(self) -> None:
        """A negative count is a DefinitionError."""
        with pytest.raises(cf.DefinitionError, match="non-negative"):
            cf.count_at_least(Study, -1)


class TestSumAtLeast:
    def test_boundary_and_reason(self) -> None:
        """The sum must reach the total; the reason says how far short it is."""
        rule = cf.sum_at_least(Study, "hours", 20)
        run = _run(rule)
        run.record("u1", Study(19.5), by=ADMIN)
        found = evaluate(rule, _ctx(run))
        assert (found.passed, found.reason) == (False, "Study.hours = 19.5 of 20 (0.5 short)")
        run.record("u1", Study(0.5), by=ADMIN)
        assert evaluate(rule, _ctx(run)).passed

    def test_unknown_field_is_a_definition_error(self) -> None:
        """Summing a field the evidence type lacks is refused at definition time."""
        with pytest.raises(cf.DefinitionError, match="no field 'minutes'"):
            cf.sum_at_least(Study, "minutes", 3)

    def test_nan_threshold_refused(self) -> None:
        """A NaN total is refused."""
        with pytest.raises(cf.DefinitionError, match="finite"):
            cf.sum_at_least(Study, "hours", float("nan"))


class TestEveryMemberHas:
    def test_names_the_people_missing(self) -> None:
        """The reason names each member without notes, by name; missing holds their ids."""
        rule = cf.every_member_has(Notes, among="members", by="member")
        run = _run(rule)
        run.record("u1", Notes("p1"), by=ADMIN)
        found = evaluate(rule, _ctx(run))
        assert (found.missing, found.missing_labels) == (("p2", "p3"), ("李四", "王五"))
        assert "李四、王五 (2 of 3)" in found.reason


class TestEveryPair:
    def test_undirected_pairs(self) -> None:
        """A talk counts for both people; missing pairs are named."""
        rule = cf.every_pair(Talk, among="leadership")
        run = _run(rule)
        run.record("u1", Talk("p2", "p1"), by=ADMIN)
        found = evaluate(rule, _ctx(run))
        assert found.missing == ("p1–p3", "p2–p3")
        assert found.missing_labels == ("张三–王五", "李四–王五")
        assert "(2 of 3 pairs missing)" in found.reason

    def test_directed_with_minimum(self) -> None:
        """Directed pairs need `at_least` each way."""
        rule = cf.every_pair(Talk, among="leadership", at_least=2, directed=True)
        run = _run(rule)
        for a in ("p1", "p2", "p3"):
            for b in ("p1", "p2", "p3"):
                if a != b:
                    run.record("u1", Talk(a, b), by=ADMIN)
                    run.record("u1", Talk(a, b), by=ADMIN)
        assert evaluate(rule, _ctx(run)).passed
        run2 = _run(rule)
        run2.record("u1", Talk("p1", "p2"), by=ADMIN)
        found = evaluate(rule, _ctx(run2))
        assert "张三→李四 (1 of 2)" in found.missing_labels
        assert found.missing[found.missing_labels.index("张三→李四 (1 of 2)")] == "p1→p2"

    def test_hub_pairs_only(self) -> None:
        """With a hub, only the principal's pairs are required."""
        rule = cf.every_pair(Talk, among="leadership", hub="principal")
        run = _run(rule)
        run.record("u1", Talk("p1", "p2"), by=ADMIN)
        run.record("u1", Talk("p3", "p1"), by=ADMIN)
        assert evaluate(rule, _ctx(run)).passed


class TestApprovedBy:
    def test_latest_revision_needed(self) -> None:
        """A new draft voids the approval of the old one."""
        rule = cf.approved_by(Approval, latest_of=Draft)
        run = _run(rule)
        assert "no Draft recorded" in evaluate(rule, _ctx(run)).reason
        run.record("u1", Draft(1), by=ADMIN)
        run.record("u1", Approval(1), by=SUP)
        assert evaluate(rule, _ctx(run)).passed
        run.record("u1", Draft(2), by=ADMIN)
        found = evaluate(rule, _ctx(run))
        assert not found.passed
        assert "revision 2 not approved" in found.reason
        assert "approvals of revision 1 not counted: superseded by revision 2" in found.reason

    def test_approval_by_outsider_does_not_count(self) -> None:
        """An approval recorded by someone outside the supervision group is ignored."""
        rule = cf.approved_by(Approval)
        run = _run(rule)
        run.record("u1", Approval(1), by=ADMIN)
        assert not evaluate(rule, _ctx(run)).passed
        run.record("u1", Approval(1), by=SUP)
        assert evaluate(rule, _ctx(run)).passed


class TestCustomRules:
    def test_raising_rule_is_an_error_finding(self) -> None:
        """A rule that raises gives an error finding naming it, never a pass."""

        @cf.rule("boom", label="炸")
        def boom(ctx: Context) -> Finding:
            raise ZeroDivisionError("x")

        found = evaluate(boom, _ctx(_run()))
        assert found.status is Status.ERROR
        assert "rule 'boom' raised ZeroDivisionError" in found.reason

    def test_garbage_return_is_an_error_finding(self) -> None:
        """A rule returning something other than a Finding is an error."""

        @cf.rule("sloppy")
        def sloppy(ctx: Context) -> Finding:
            return True  # type: ignore[return-value]

        found = evaluate(sloppy, _ctx(_run()))
        assert found.status is Status.ERROR
        assert "return cf.ok() or cf.fail" in found.reason


# ---------------------------------------------------------------- combinators

OUTCOMES = st.sampled_from(["pass", "fail", "error"])


def _const(outcome: str, n: int) -> Rule:
    @cf.rule(f"r{n}-{outcome}")
    def const(ctx: Context) -> Finding:
        if outcome == "error":
            raise RuntimeError("broken")
        return cf.ok() if outcome == "pass" else cf.fail("no")

    return const


def _trees() -> st.SearchStrategy[tuple[Rule, str]]:
    counter = iter(range(10**9))
    leaves = OUTCOMES.map(lambda o: (_const(o, next(counter)), o))

    def extend(
        children: st.SearchStrategy[tuple[Rule, str]],
    ) -> st.SearchStrategy[tuple[Rule, str]]:
        def all_of(parts: list[tuple[Rule, str]]) -> tuple[Rule, str]:
            outs = [o for _, o in parts]
            expected = "pass" if all(o == "pass" for o in outs) else ("error" if "error" in outs else "fail")
            return cf.all_of(*(r for r, _ in parts)), expected

        def any_of(parts: list[tuple[Rule, str]]) -> tuple[Rule, str]:
            outs = [o for _, o in parts]
            expected = "pass" if "pass" in outs else ("error" if "error" in outs else "fail")
            return cf.any_of(*(r for r, _ in parts)), expected

        def not_(part: tuple[Rule, str]) -> tuple[Rule, str]:
            inner, o = part
            return cf.not_(inner), {"pass": "fail", "fail": "pass", "error": "error"}[o]

        lists = st.lists(children, min_size=1, max_size=4)
        return st.one_of(lists.map(all_of), lists.map(any_of), children.map(not_))

    return st.recursive(leaves, extend, max_leaves=12)


class TestCombinators:
    @given(_trees())
    def test_gate_status_follows_boolean_semantics(self, tree: tuple[Rule, str]) -> None:
        """all_of iff all pass, any_of iff any, not_ iff the inner fails; errors never pass."""
        rule, expected = tree
        found = evaluate(rule, _ctx(_run()))
        assert found.status.value == {"pass": "passed", "fail": "failed", "error": "error"}[expected]

    @given(st.lists(OUTCOMES, min_size=1, max_size=6))
    def test_all_of_reports_every_finding(self, outcomes: list[str]) -> None:
        """all_of evaluates and reports every rule, not just the first failure."""
        rules = [_const(o, i) for i, o in enumerate(outcomes)]
        found = evaluate(cf.all_of(*rules), _ctx(_run()))
        assert [f.rule for f in found.leaves()] == [r.id for r in rules]
