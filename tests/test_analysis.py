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

    def test_unsatisfiable_rule(self) -> None:
        """A rule no generated evidence satisfies is named."""
        c = _base()
        c.transition(
            "go", "a", "b", gate=cf.count_at_least(Doc, 2, where=lambda d: False, label="never"), label="go"
        )
        c.transition("end", "b", "c", label="end")
        report = c.check(budget=30)
        assert [p.subject for p in report.problems if p.kind == "unsatisfiable"] == ["count_at_least:Doc>=2"]

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
