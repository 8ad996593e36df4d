"""Labels in clerk-facing text: stages, events and units by label, ids in ``missing``, filters named."""

from __future__ import annotations

from collections.abc import Callable

import attrs
import pytest

import campaignflow as cf

OFFICE = cf.Actor(id="office")


@attrs.frozen
class Forum:
    kind: str


@attrs.frozen
class Approval:
    revision: int = 1


def _org() -> cf.Org:
    return cf.Org.from_dicts(
        [
            {"id": "zm", "parent": None, "level": "county", "name": "中牟县"},
            {"id": "hs", "parent": "zm", "level": "township", "name": "韩寺镇"},
            {"id": "gd", "parent": "zm", "level": "township", "name": "官渡镇"},
        ],
        people=[
            {"id": "s1", "name": "督导员甲", "unit": "sg-hs", "roles": ["supervisor"]},
            {"id": "s2", "name": "督导员乙", "unit": "sg-gd", "roles": ["supervisor"]},
        ],
        groups=[
            {"id": "sg-hs", "name": "第一督导组", "supervises": ["hs"]},
            {"id": "sg-gd", "name": "第二督导组", "supervises": ["gd"]},
        ],
        levels=("county", "township"),
    )


def _campaign(gate: cf.Rule) -> cf.Campaign:
    c = cf.Campaign("labels")
    c.stages(cf.Stage(id="study", label="学习教育"), cf.Stage(id="examine", label="查摆问题"))
    c.transition("finish", "study", "examine", gate=gate, order=cf.parent_first(), label="学习环节结束")
    return c


class TestVerdictText:
    def test_explain_names_unit_event_and_stage_by_label_with_the_id(self) -> None:
        """explain() reads 'unit 韩寺镇 (hs) may not fire 学习环节结束 (finish) (stage 学习教育 (study))'."""
        run = _campaign(cf.exists(Forum, label="座谈会")).start(_org())
        verdict = run.check("hs", "finish")
        head = verdict.explain().splitlines()[0]
        assert head == "unit 韩寺镇 (hs) may not fire 学习环节结束 (finish) (stage 学习教育 (study))"

    def test_ordering_reason_names_the_event_by_label_and_missing_holds_ids(self) -> None:
        """parent_first's reason names the parent and the event by label; missing holds the parent's id."""
        run = _campaign(cf.exists(Forum, label="座谈会")).start(_org())
        (order, _) = run.check("hs", "finish").root.children
        assert order.reason.startswith("中牟县 (zm) has not fired 学习环节结束 (finish) yet")
        assert (order.missing, order.missing_labels) == (("zm",), ("中牟县",))

    def test_a_verdict_read_back_without_the_run_names_by_id(self) -> None:
        """A verdict rebuilt from its data (no run at hand) still explains itself, by id."""
        run = _campaign(cf.exists(Forum, label="座谈会")).start(_org())
        again = cf.Verdict.from_dict(run.check("hs", "finish").to_dict())
        assert again.explain().splitlines()[0] == "unit 'hs' may not fire 'finish' (stage 'study')"


class TestFilters:
    def test_where_is_part_of_the_default_id_label_and_reason(self) -> None:
        """Unlabelled exists(Forum, where=...) rules get distinct ids; the reason says the filter."""
        a = cf.exists(Forum, where=lambda f: f.kind == "座谈会")
        b = cf.exists(Forum, where=lambda f: f.kind == "走访")
        assert a.id != b.id
        assert a.id == 'exists:Forum[where f.kind == "座谈会"]'
        assert a.label == a.id
        run = _campaign(cf.all_of(a, b)).start(_org())
        run.record("zm", Forum(kind="走访"), by=OFFICE)
        found = {f.rule: f for f in run.check("zm", "finish").findings}
        assert found[a.id].reason == '0 of 1 Forum where f.kind == "座谈会" recorded (1 missing)'
        assert found[a.id].missing == ('1 × Forum where f.kind == "座谈会"',)
        assert found[b.id].passed

    def test_a_named_filter_gives_its_name_and_what_it_closes_over(self) -> None:
        """A filter made by a function reads as its name and the values it closes over."""

        def kind_is(kind: str) -> Callable[[Forum], bool]:
            def matches(f: Forum) -> bool:
                return f.kind == kind

            return matches

        assert cf.exists(Forum, where=kind_is("座谈会")).id == "exists:Forum[where matches(kind=座谈会)]"

    def test_two_rules_with_one_id_in_a_gate_are_refused_naming_both(self) -> None:
        """Two different rules of one gate with the same id are a DefinitionError naming both."""
        c = _campaign(
            cf.all_of(
                cf.exists(Forum, id="forum", label="座谈会"),
                cf.count_at_least(Forum, 2, id="forum", label="两次座谈"),
            )
        )
        with pytest.raises(cf.DefinitionError) as info:
            c.build()
        text = str(info.value)
        assert "two rules have the id 'forum'" in text
        assert "'座谈会'" in text
        assert "'两次座谈'" in text


class TestWhyNotCounted:
    def test_an_approval_from_a_group_that_does_not_supervise_the_unit(self) -> None:
        """The reason says whose approval did not count and why: their group does not supervise the unit."""
        run = _campaign(cf.approved_by(Approval, label="督导组审查同意")).start(_org())
        run.record("hs", Approval(), by=cf.Actor(id="s2"))
        found = next(f for f in run.check("hs", "finish").findings if f.label == "督导组审查同意")
        assert not found.passed
        assert "1 Approval not counted: 督导员乙's (第二督导组 does not supervise this unit)" in found.reason
        run.record("hs", Approval(), by=cf.Actor(id="s1"))
        assert next(f for f in run.check("hs", "finish").findings if f.label == "督导组审查同意").passed
