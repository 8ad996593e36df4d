"""Campaign definitions: building, freezing, validation and compilation."""

from __future__ import annotations

import attrs
import pytest

import campaignflow as cf
from campaignflow.presets import safety


@attrs.frozen
class Doc:
    revision: int


def _basic() -> cf.Campaign:
    c = cf.Campaign("c", label="测试")
    c.stages("a", "b", "c")
    c.transition("go", "a", "b")
    c.transition("end", "b", "c")
    return c


class TestBuild:
    def test_definition_is_frozen(self) -> None:
        """A built definition is an immutable attrs value."""
        d = _basic().build()
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            d.id = "other"  # type: ignore[misc]
        assert (d.leaves, d.initial, d.events) == (("a", "b", "c"), "a", ("go", "end"))

    def test_builder_refuses_changes_after_build(self) -> None:
        """Declaring after build() is a DefinitionError."""
        c = _basic()
        c.build()
        with pytest.raises(cf.DefinitionError, match="already built"):
            c.stages("d")

    def test_every_problem_listed_at_once(self) -> None:
        """Unknown stages, unknown rule names and unreachable stages are reported together."""
        c = cf.Campaign("bad")
        c.stages("a", "b", "island")
        c.transition("go", "a", "nowhere")
        c.transition("go2", "a", "b", gate=cf.all_of("no_such_rule"))
        with pytest.raises(cf.DefinitionError) as info:
            c.build()
        problems = info.value.problems
        assert any("unknown stage 'nowhere'" in p for p in problems)
        assert any("unknown rule 'no_such_rule'" in p for p in problems)
        assert any("unreachable stages from 'a': island" in p for p in problems)

    def test_duplicate_stage_and_rule(self) -> None:
        """Duplicate stage ids and rule ids are refused."""
        c = cf.Campaign("dup")
        c.stages("a", "a")
        with pytest.raises(cf.DefinitionError, match="declared twice"):
            c.build()
        c2 = cf.Campaign("dup2")
        c2.add_rule(cf.exists(Doc, id="x"))
        with pytest.raises(cf.DefinitionError, match="registered twice"):
            c2.add_rule(cf.exists(Doc, id="x"))

    def test_no_stages(self) -> None:
        """A campaign without stages cannot be built."""
        with pytest.raises(cf.DefinitionError, match="no stages"):
            cf.Campaign("empty").build()

    def test_rule_names_resolve(self) -> None:
        """Gates may name registered rules; the built gate holds the rule itself."""
        c = cf.Campaign("named")
        c.stages("a", "b")
        rule = c.add_rule(cf.exists(Doc, id="has_doc"))
        del rule
        c.transition("go", "a", "b", gate=cf.all_of("has_doc"))
        gate = c.build().transitions[0].gate
        assert isinstance(gate, cf.Rule)
        assert [r.id for r in gate.children] == ["has_doc"]
        assert c.build().evidence_types == {"Doc": Doc}

    def test_reserved_and_bad_event_names(self) -> None:
        """Event names must be identifiers and not reserved."""
        c = cf.Campaign("ev")
        c.stages("a", "b")
        c.transition("send_back", "a", "b")
        c.transition("not an id", "a", "b")
        with pytest.raises(cf.DefinitionError) as info:
            c.build()
        assert len(info.value.problems) == 2

    def test_deadlock_parent_first_and_children_done(self) -> None:
        """parent_first and children_done of the event's own destination can never fire."""
        c = cf.Campaign("dl")
        c.stages("a", "b")
        c.transition("go", "a", "b", order=(cf.parent_first(), cf.children_done("b")))
        with pytest.raises(cf.DefinitionError, match="deadlock"):
            c.build()

    def test_children_done_of_an_earlier_stage_is_fine(self) -> None:
        """children_done of a stage before the destination is no deadlock."""
        c = cf.Campaign("ok")
        c.stages("a", "b", "c")
        c.transition("go", "a", "b")
        c.transition("end", "b", "c", order=(cf.parent_first(), cf.children_done("b")))
        assert c.build().transitions[1].order

    def test_rework_to_unknown_stage(self) -> None:
        """A rework to an undeclared stage is refused."""
        c = _basic()
        c.rework("zz")
        with pytest.raises(cf.DefinitionError, match="rework: unknown stage 'zz'"):
            c.build()


class TestNested:
    def test_nested_stages_compile_to_paths(self) -> None:
        """Sub-stages are addressed by dotted paths; entering a parent enters its first child."""
        c = cf.Campaign("n")
        c.stage("study")
        c.stage("examine", substages=("talks", "meeting"))
        c.stage("done")
        c.transition("open", "study", "examine")
        c.transition("meet", "examine.talks", "examine.meeting")
        c.transition("finish", "examine", "done")
        d = c.build()
        assert d.leaves == ("study", "examine.talks", "examine.meeting", "done")
        run = c.start(["u"])
        who = cf.Actor(id="x")
        assert run.fire("u", "open", by=who).dest == "examine.talks"
        assert run.fire("u", "meet", by=who).dest == "examine.meeting"
        assert run.fire("u", "finish", by=who).dest == "done"


class TestSafetyPreset:
    def test_builds(self) -> None:
        """The safety example builds with its gates and rework."""
        d = safety.campaign().build()
        assert d.events == ("start", "approve", "close")
        assert d.reworks["inspect"].limit == 3
