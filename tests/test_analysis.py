"""Static checks: each defect kind in a deliberately broken campaign is flagged."""

from __future__ import annotations

import json

import attrs
from click.testing import CliRunner

import campaignflow as cf
from campaignflow.cli import main
from campaignflow.presets import mass_line, safety


@attrs.frozen
class Doc:
    ok: bool = True


def _base(label: bool = True, stages: tuple[str, ...] = ("a", "b", "c")) -> cf.Campaign:
    c = cf.Campaign("broken")
    for stage in stages:
        c.stage(stage, label=stage.upper() if label else "")
    c.evidence(Doc)
    return c


def _kinds(report: cf.CheckReport) -> set[str]:
    return {p.kind for p in report.problems}


class TestDefects:
    def test_unreachable_stage(self) -> None:
        """A stage no transition enters is reported (as a definition error)."""
        c = _base()
        c.transition("go", "a", "b", label="go")
        report = c.check()
        assert not report.ok
        assert any("unreachable" in p.message for p in report.problems)

    def test_dead_end(self) -> None:
        """A stage with no way out, while a later stage still has one, is a dead end."""
        c = _base(stages=("a", "b", "c", "d"))
        c.transition("go", "a", "b", label="go")
        c.transition("skip", "a", "c", label="skip")
        c.transition("end", "c", "d", label="end")
        report = c.check()
        assert [p.subject for p in report.problems if p.kind == "dead_end"] == ["b"]

    def test_no_actor(self) -> None:
        """An event whose allowed roles are empty can be fired by nobody."""
        c = _base()
        c.transition("go", "a", "b", allowed=(), label="go")
        c.transition("end", "b", "c", label="end")
        assert "no_actor" in _kinds(c.check())

    def test_open_to_any_actor(self) -> None:
        """A transition without allowed= is a warning naming it; one with roles is not flagged."""
        c = _base()
        c.transition("go", "a", "b", label="go")
        c.transition("end", "b", "c", allowed=cf.role("inspector"), label="end")
        report = c.check()
        assert report.ok
        (found,) = [p for p in report.problems if p.kind == "open_to_any_actor"]
        assert (found.subject, found.severity) == ("go", "warning")
        assert "any actor whose scope holds the unit may fire it" in found.message
        out = CliRunner().invoke(main, ["check", "test_analysis:open_campaign"])
        assert out.exit_code == 0
        assert "warning: [open_to_any_actor] go:" in out.output

    def test_unsatisfiable_rule(self) -> None:
        """A rule no generated evidence satisfies is named."""
        c = _base()
        never = cf.count_at_least(Doc, 2, where=lambda d: False, label="never")
        c.transition("go", "a", "b", gate=never, label="go")
        c.transition("end", "b", "c", label="end")
        report = c.check(budget=30)
        assert never.id == "count_at_least:Doc[where False]>=2"  # the filter is part of the id
        assert [p.subject for p in report.problems if p.kind == "unsatisfiable"] == [never.id]

    def test_deadlock(self) -> None:
        """parent_first with children_done of the destination is reported, not raised."""
        c = _base()
        c.transition("go", "a", "b", label="go")
        c.transition("end", "b", "c", order=(cf.parent_first(), cf.children_done("c")), label="end")
        report = c.check()
        assert any("deadlock" in p.message for p in report.problems)

    def test_missing_labels(self) -> None:
        """Stages, transitions and rules without labels are warnings."""
        c = _base(label=False)
        c.transition("go", "a", "b", gate=cf.exists(Doc))
        c.transition("end", "b", "c")
        report = c.check()
        assert report.ok
        assert {p.subject for p in report.problems if p.kind == "missing_label"} >= {"a", "go", "exists:Doc"}

    def test_undeclared_evidence(self) -> None:
        """A gate reading a type nobody declared is a warning."""
        c = cf.Campaign("undeclared")
        c.stage("a", label="A")
        c.stage("b", label="B")
        c.transition("go", "a", "b", gate=cf.exists(Doc, label="有文件"), label="go")
        assert "unrecorded_evidence" in _kinds(c.check())


def open_campaign() -> cf.Campaign:
    """A sound campaign whose one transition anybody may fire (for the CLI)."""
    c = _base(stages=("a", "b"))
    c.transition("go", "a", "b", label="go")
    return c


class TestPresets:
    def test_presets_pass(self) -> None:
        """The mass-line and safety presets have no errors."""
        assert mass_line.campaign().check(budget=50).ok
        assert safety.campaign().check(budget=50).ok


class TestCli:
    def test_check_json_and_exit_status(self) -> None:
        """`campaignflow check` prints JSON and exits 0 for a sound campaign, 1 for a broken one."""
        good = CliRunner().invoke(main, ["check", "campaignflow.presets.safety:campaign", "--format", "json"])
        assert good.exit_code == 0
        assert json.loads(good.output)["ok"] is True
        bad = CliRunner().invoke(main, ["check", "test_analysis:broken"])
        assert bad.exit_code == 1
        assert "dead_end" in bad.output

    def test_bad_target(self) -> None:
        """A target that is not MODULE:ATTR gets one clear line."""
        result = CliRunner().invoke(main, ["check", "nonsense"])
        assert result.exit_code == 2
        assert "is not MODULE:ATTR" in result.output


def broken() -> cf.Campaign:
    """A campaign with a dead end, for the CLI test."""
    c = _base(stages=("a", "b", "c", "d"))
    c.transition("go", "a", "b", label="go")
    c.transition("skip", "a", "c", label="skip")
    c.transition("end", "c", "d", label="end")
    return c


@attrs.frozen
class Visit:
    hours: float = 1.0


def _two_stage(gate: cf.Rule) -> cf.Campaign:
    c = cf.Campaign("contradiction")
    c.stage("a", label="A")
    c.stage("b", label="B")
    c.evidence(Doc, Visit)
    c.transition("go", "a", "b", gate=gate, label="go")
    return c


class TestReasoning:
    def test_a_contradiction_with_not_is_an_error(self) -> None:
        """all_of(count ≥ 5, not_(count ≥ 3)) is unsatisfiable from its thresholds, naming both rules."""
        gate = cf.all_of(
            cf.count_at_least(Doc, 5, label="五份"), cf.not_(cf.count_at_least(Doc, 3, label="三份"))
        )
        report = _two_stage(gate).check(budget=10)
        (problem,) = [p for p in report.problems if p.kind == "unsatisfiable"]
        assert problem.severity == "error"
        assert "五份" in problem.message
        assert "三份" in problem.message
        assert "'go'" in problem.message
        assert "leaving a" in problem.message

    def test_any_of_whose_branches_all_contradict_is_an_error(self) -> None:
        """any_of of two contradictory branches can never hold."""
        bad = cf.all_of(cf.count_at_least(Doc, 5), cf.not_(cf.count_at_least(Doc, 3)))
        worse = cf.all_of(cf.sum_at_least(Visit, "hours", 10), cf.not_(cf.sum_at_least(Visit, "hours", 8)))
        report = _two_stage(cf.any_of(bad, worse)).check(budget=10)
        assert not report.ok
        assert [p.kind for p in report.problems if p.severity == "error"] == ["unsatisfiable"]

    def test_a_satisfiable_any_of_is_not_flagged(self) -> None:
        """One satisfiable branch is enough: no error."""
        bad = cf.all_of(cf.count_at_least(Doc, 5), cf.not_(cf.count_at_least(Doc, 3)))
        report = _two_stage(cf.any_of(bad, cf.count_at_least(Doc, 2))).check(budget=10)
        assert report.ok

    def test_a_custom_rule_needing_many_records_is_not_flagged(self) -> None:
        """A correct custom rule that needs 15 records is satisfied (the search drives it with enough)."""

        @cf.rule("many", label="十五份", reads=(Doc,))
        def many(ctx: cf.Context) -> cf.Finding:
            return cf.ok() if len(ctx.records(Doc)) >= 15 else cf.fail("too few")

        c = _two_stage(cf.all_of(many, cf.count_at_least(Doc, 15, label="十五")))
        report = c.check(budget=30)
        assert report.ok
        assert not [p for p in report.problems if p.kind == "unsatisfiable"]

    def test_a_deadlock_split_over_two_transitions_is_an_error(self) -> None:
        """children_done on one event and parent_first on another, waiting on each other, deadlock."""
        c = _base(stages=("a", "b", "c"))
        c.transition("go", "a", "b", order=(cf.children_done("c"),), label="go")
        c.transition("end", "b", "c", order=(cf.parent_first(event="go"),), label="end")
        report = c.check(budget=10)
        deadlocks = [p for p in report.problems if p.kind == "deadlock"]
        assert deadlocks
        assert all(p.severity == "error" for p in deadlocks)
        assert "parent_first" in deadlocks[0].message

    def test_definition_errors_and_gate_contradictions_together(self) -> None:
        """An invalid definition still has its gates judged: both defects are reported."""
        c = _base(stages=("a", "b", "c"))
        c.transition(
            "go", "a", "b", gate=cf.all_of(cf.exists(Doc), cf.not_(cf.exists(Doc))), label="go"
        )  # c is unreachable: a definition error
        kinds = _kinds(c.check(budget=10))
        assert {"definition", "unsatisfiable"} <= kinds


class TestCliJson:
    def test_json_parses_for_a_broken_campaign(self) -> None:
        """`check --format json` prints JSON only, even when a custom rule is searched in vain."""
        result = CliRunner().invoke(main, ["check", "test_analysis:never_custom", "--format", "json"])
        data = json.loads(result.output)
        assert data["ok"] is False
        assert {"deadlock", "unsatisfiable"} <= {p["kind"] for p in data["problems"]}


def never_custom() -> cf.Campaign:
    """A custom rule that never holds, a contradiction and a deadlock, for the CLI test."""

    @cf.rule("never", label="从不", reads=(Doc,))
    def never(ctx: cf.Context) -> cf.Finding:
        return cf.fail("never")

    c = _base(stages=("a", "b", "c"))
    c.transition("go", "a", "b", gate=never, order=(cf.children_done("c"),), label="go")
    c.transition(
        "end",
        "b",
        "c",
        gate=cf.all_of(cf.count_at_least(Doc, 5), cf.not_(cf.count_at_least(Doc, 3))),
        order=(cf.parent_first(event="go"),),
        label="end",
    )
    return c
