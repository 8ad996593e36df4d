"""Property tests of the run: gates, rework counts, roll-up, and a differential model."""

from __future__ import annotations

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from transitions import Machine

import campaignflow as cf


@attrs.frozen
class Doc:
    n: int


@attrs.frozen
class Sig:
    ok: bool


UNITS = ("root", "t1", "t2", "v1", "v2", "v3")
EVENTS = ("go", "next", "finish")
LIMIT = 2


def _org() -> cf.Org:
    parents = {"root": None, "t1": "root", "t2": "root", "v1": "t1", "v2": "t1", "v3": "t2"}
    levels = {"root": "county", "t1": "township", "t2": "township"}
    return cf.Org.from_dicts(
        [{"id": u, "parent": p, "level": levels.get(u, "village")} for u, p in parents.items()],
        levels=("county", "township", "village"),
    )


def _campaign(escalations: list[cf.Escalation]) -> cf.Campaign:
    c = cf.Campaign("prop")
    c.stages("a", "b", "c", "d")
    c.transition("go", "a", "b", gate=cf.count_at_least(Doc, 2))
    c.transition(
        "next",
        "b",
        "c",
        gate=cf.all_of(
            cf.exists(Sig, where=lambda s: s.ok), cf.not_(cf.exists(Sig, where=lambda s: not s.ok))
        ),
        order=cf.parent_first(),
    )
    c.transition("finish", "c", "d", order=cf.children_done("c"))
    c.rework("a", limit=LIMIT, escalate=escalations.append)
    return c


class RunMachine(RuleBasedStateMachine):
    """Random record/retract/fire/send_back against a plain transitions reference."""

    @initialize()
    def setup(self) -> None:
        self.escalations: list[cf.Escalation] = []
        self.run = _campaign(self.escalations).start(_org(), clock=cf.FixedClock(), ids=cf.CountingIds())
        self.actor = cf.Actor(id="boss")
        self.reference = Machine(
            model=[],
            states=["a", "b", "c", "d"],
            transitions=[
                {"trigger": "go", "source": "a", "dest": "b"},
                {"trigger": "next", "source": "b", "dest": "c"},
                {"trigger": "finish", "source": "c", "dest": "d"},
                {"trigger": "back", "source": ["b", "c", "d"], "dest": "a"},
            ],
            initial="a",
            auto_transitions=False,
        )
        self.models = {u: type("M", (), {})() for u in UNITS}
        for m in self.models.values():
            self.reference.add_model(m)
        self.counts = dict.fromkeys(UNITS, 0)

    @rule(unit=st.sampled_from(UNITS), n=st.integers(0, 3))
    def record_doc(self, unit: str, n: int) -> None:
        self.run.record(unit, Doc(n), by=self.actor)

    @rule(unit=st.sampled_from(UNITS), ok=st.booleans())
    def record_sig(self, unit: str, ok: bool) -> None:
        self.run.record(unit, Sig(ok), by=self.actor)

    @rule(unit=st.sampled_from(UNITS), data=st.data())
    def retract(self, unit: str, data: st.DataObject) -> None:
        live = [*self.run.evidence(unit, Doc), *self.run.evidence(unit, Sig)]
        if live:
            target = data.draw(st.sampled_from(live))
            self.run.retract(unit, target.id, reason="mistake", by=self.actor)

    @rule(unit=st.sampled_from(UNITS), event=st.sampled_from(EVENTS))
    def fire(self, unit: str, event: str) -> None:
        model = self.models[unit]
        before = self.run.stage_of(unit)
        try:
            verdict = self.run.check(unit, event)
        except cf.InvalidTransition:
            assert not getattr(model, f"may_{event}")()
            return
        try:
            step = self.run.fire(unit, event, by=self.actor)
        except cf.GateClosed as exc:
            refused = exc.verdict
        else:
            refused = None
        if refused is not None:
            assert not verdict.passed
            assert refused.failures
            assert self.run.stage_of(unit) == before
            return
        assert verdict.passed, "a unit moved past a gate whose verdict failed"
        assert step.verdict is not None
        assert step.verdict.passed
        model.trigger(event)

    @rule(unit=st.sampled_from(UNITS))
    def send_back(self, unit: str) -> None:
        try:
            step = self.run.send_back(unit, "a", reason="返工", by=self.actor)
        except cf.InvalidTransition:
            assert self.models[unit].state == "a"
            return
        self.counts[unit] += 1
        assert step.count == self.counts[unit]
        self.models[unit].trigger("back")

    @invariant()
    def same_state_as_plain_transitions(self) -> None:
        for unit in UNITS:
            assert self.run.stage_of(unit) == self.models[unit].state

    @invariant()
    def rework_counts_exact_and_escalation_once(self) -> None:
        for unit in UNITS:
            assert self.run.state(unit).reworks.get("a", 0) == self.counts[unit]
        expected = sorted(u for u in UNITS if self.counts[u] > LIMIT)
        assert sorted(e.unit for e in self.escalations) == expected

    @invariant()
    def ordering_held(self) -> None:
        org = self.run.org
        for unit in UNITS:
            parent = org.parent(unit)
            if parent is not None and self.run.has_fired(unit, "next"):
                assert self.run.has_fired(parent, "next")

    @invariant()
    def progress_equals_recount(self) -> None:
        for node in (None, "root", "t1", "t2", "v1"):
            assert self.run.progress(node).counts() == self.run.recount(node).counts()

    @invariant()
    def every_fire_had_a_passing_verdict(self) -> None:
        for unit in UNITS:
            for step in self.run.history(unit):
                if step.kind is cf.Kind.FIRE:
                    assert step.verdict is not None
                    assert step.verdict.passed


TestRunMachine = RunMachine.TestCase
