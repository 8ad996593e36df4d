"""Findings and verdicts as data: rendering and round-trips."""

from __future__ import annotations

import json

import campaignflow as cf
from campaignflow.values.findings import Finding, Status


def _verdict() -> cf.Verdict:
    root = Finding(
        rule="gate",
        label="五个不开会",
        status=Status.FAILED,
        reason="1 of 2 failed",
        children=(
            Finding(rule="a", label="学习达标", reason="15 StudySession (≥ 15)", evidence=("e1",)),
            Finding(
                rule="b",
                label="谈心交心深入",
                status=Status.FAILED,
                reason="Talk missing between 张三–李四",
                missing=("张三–李四",),
            ),
        ),
    )
    return cf.Verdict(unit="v-0017", event="hold_meeting", stage="examine", root=root, at="2014-03-01")


class TestVerdict:
    def test_explain_names_every_rule_with_its_mark(self) -> None:
        """explain() lists the failing and the passing rules, each with a mark and reason."""
        text = _verdict().explain()
        assert "may not fire 'hold_meeting'" in text
        assert "✗ 谈心交心深入: Talk missing between 张三–李四" in text
        assert "✓ 学习达标" in text

    def test_failures_are_only_failing_leaves(self) -> None:
        """failures holds the failing plain rules, not the combinator."""
        assert [f.rule for f in _verdict().failures] == ["b"]

    def test_to_dict_round_trips_through_json(self) -> None:
        """A verdict survives JSON and comes back equal."""
        verdict = _verdict()
        assert verdict == cf.Verdict.from_dict(json.loads(json.dumps(verdict.to_dict())))

    def test_ok_and_fail_build_findings(self) -> None:
        """cf.ok and cf.fail give passing and failing findings with tuples."""
        assert cf.ok("fine", evidence=["x"]).passed
        bad = cf.fail("short", missing=["a", "b"])
        assert (bad.passed, bad.missing) == (False, ("a", "b"))


class TestFailures:
    def test_a_failing_not_is_its_own_failure(self) -> None:
        """A closed gate always names at least one failing finding, even through not_."""
        inner = Finding(rule="flag", label="有违规", reason="1 Flag")
        negated = Finding(rule="not(flag)", label="无违规", status=Status.FAILED, children=(inner,))
        verdict = cf.Verdict(unit="u", event="go", stage="a", root=negated)
        assert [f.rule for f in verdict.failures] == ["not(flag)"]
