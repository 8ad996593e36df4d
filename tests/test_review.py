"""Look-back reviews (回头看): judged checks that reopen a stage and hold it until they pass."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

import campaignflow as cf

OFFICE = cf.Actor(id="office")
BOSS = cf.Actor(id="sup", roles={"supervisor"})


@attrs.frozen
class Study:
    hours: float = 2


@attrs.frozen
class Opinion:
    text: str = "意见"


def campaign() -> cf.Campaign:
    c = cf.Campaign("review")
    c.stages(cf.Stage(id="study", label="学习教育"), cf.Stage(id="examine", label="查摆问题"), "rectify")
    c.transition("finish_study", "study", "examine", label="学习环节结束")
    c.transition("finish_examine", "examine", "rectify", label="查摆环节结束")
    c.rework("study", limit=3, allowed={"supervisor"})
    c.review(
        "look_back",
        reopens="study",
        label="回头看",
        checks={
            "学习教育是否扎实": cf.count_at_least(Study, 2, label="学习不少于2次"),
            "听取意见是否广泛": cf.count_at_least(Opinion, 3, label="意见不少于3条"),
        },
    )
    return c


def org() -> cf.Org:
    return cf.Org.from_dicts(
        [
            {"id": "zm", "parent": None, "level": "county", "name": "中牟县"},
            {"id": "gc", "parent": "zm", "level": "township", "name": "宫村镇"},
        ],
        levels=("county", "township"),
    )


def _in_examine(store: object = None) -> cf.Run:
    run = campaign().start(org(), store=store, clock=cf.FixedClock(), ids=cf.CountingIds())
    run.fire("gc", "finish_study", by=OFFICE)
    return run


class TestReview:
    def test_a_passed_review_moves_nothing_and_is_logged(self) -> None:
        """Every check passes: the unit stays, a ReviewRecord says it passed."""
        run = _in_examine()
        run.record_many([("gc", Study()), ("gc", Study()), *(("gc", Opinion()) for _ in range(3))], by=OFFICE)
        result = run.review("gc", "look_back", by=BOSS)
        assert (result.passed, result.failed, run.stage_of("gc")) == (True, (), "examine")
        assert result.step.kind is cf.Kind.RECORD
        assert [r.value for r in run.evidence("gc", cf.ReviewRecord)] == [
            cf.ReviewRecord(review="look_back", passed=True)
        ]
        assert [label for label, _ in result.checks] == ["学习教育是否扎实", "听取意见是否广泛"]

    def test_a_failed_review_reopens_counts_and_names_the_failed_checks(self) -> None:
        """A failing check sends the unit back to the reviewed stage, counted, the checks in the step."""
        run = _in_examine()
        run.record_many([("gc", Study()), ("gc", Study())], by=OFFICE)
        result = run.review("gc", "look_back", by=BOSS)
        assert (result.passed, result.failed) == (False, ("听取意见是否广泛",))
        step = result.step
        assert (step.kind, step.dest, step.event) == (cf.Kind.SEND_BACK, "study", "review:look_back")
        assert step.count == 1
        assert "听取意见是否广泛" in step.reason
        assert step.verdict is not None
        assert [f.label for f in step.verdict.failures] == ["听取意见是否广泛"]
        assert run.state("gc").reworks == {"study": 1}
        assert "✗ 听取意见是否广泛: 0 of 3 Opinion recorded" in result.explain()

    def test_the_reopened_stage_holds_the_unit_until_the_failed_check_passes(self) -> None:
        """Leaving the reopened stage is refused, naming the failed check, until it passes again."""
        run = _in_examine()
        run.review("gc", "look_back", by=BOSS)  # both checks fail
        with pytest.raises(cf.GateClosed) as info:
            run.fire("gc", "finish_study", by=OFFICE)
        text = info.value.verdict.explain()
        assert "回头看: 学习教育是否扎实" in text
        assert "回头看: 听取意见是否广泛" in text
        run.record_many([("gc", Study()), ("gc", Study())], by=OFFICE)
        verdict = run.check("gc", "finish_study")
        assert [f.label for f in verdict.failures] == ["回头看: 听取意见是否广泛"]
        run.record_many([("gc", Opinion()) for _ in range(3)], by=OFFICE)
        run.fire("gc", "finish_study", by=OFFICE)
        assert run.stage_of("gc") == "examine"
        assert run.check("gc", "finish_examine").passed  # only leaving the reviewed stage waits

    def test_replay_equals_live_and_a_reopened_run_still_holds(self, tmp_path: Path) -> None:
        """On SQLite the log replays to the live state, and a run opened afresh holds the unit the same."""
        url = f"sqlite:///{tmp_path / 'r.db'}"
        run = _in_examine(url)
        run.review("gc", "look_back", by=BOSS)
        assert campaign().verify(org(), url).ok
        again = campaign().open(org(), url)
        assert again.stage_of("gc") == "study"
        assert not again.check("gc", "finish_study").passed
        assert again.state("gc").reworks == run.state("gc").reworks

    def test_only_those_above_may_review(self) -> None:
        """A review by an actor without the rework's roles is denied, and the denial is logged."""
        run = _in_examine()
        with pytest.raises(cf.PermissionDenied):
            run.review("gc", "look_back", by=OFFICE)
        assert run.stage_of("gc") == "examine"

    def test_unknown_review(self) -> None:
        """An undeclared review name is refused, listing the declared ones."""
        run = _in_examine()
        with pytest.raises(cf.UnknownEvent, match="look_back"):
            run.review("gc", "lookback", by=BOSS)


class TestDeclaring:
    def test_a_review_needs_a_rework_to_its_stage(self) -> None:
        """reopens= a stage without a rework is a DefinitionError naming the fix."""
        c = cf.Campaign("r")
        c.stages("a", "b")
        c.transition("go", "a", "b")
        c.review("lb", reopens="a", checks={"x": cf.exists(Study)})
        with pytest.raises(cf.DefinitionError, match=r"campaign.rework\('a'\)"):
            c.build()

    def test_checks_must_be_rules(self) -> None:
        """A check that is not a rule is refused when declared."""
        c = cf.Campaign("r")
        c.stages("a", "b")
        with pytest.raises(cf.DefinitionError, match="is not a rule"):
            c.review("lb", reopens="a", checks={"x": 3})  # type: ignore[dict-item]
