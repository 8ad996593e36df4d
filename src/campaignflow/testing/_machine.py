"""CampaignMachine: a hypothesis state machine that drives a campaign and checks its laws."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from campaignflow.definition.actors import Actor
from campaignflow.definition.builder import CampaignBuilder
from campaignflow.definition.context import Context
from campaignflow.definition.ordering import ChildrenDone, ParentFirst, PilotsFirst
from campaignflow.definition.rules import Rule, evaluate
from campaignflow.exceptions import GateClosed, InvalidTransition
from campaignflow.org.graph import Org
from campaignflow.run.clock import CountingIds, FixedClock
from campaignflow.run.replay import open_run
from campaignflow.run.run import Run
from campaignflow.run.verify import verify
from campaignflow.store import MemoryStore
from campaignflow.testing.strategies import Scenario, evidence_against, evidence_for
from campaignflow.values.records import Kind


class CampaignMachine(RuleBasedStateMachine):
    """Subclass with your campaign and org; hypothesis then explores them for you.

    Class attributes:
        campaign: a ``Campaign``, or a zero-argument callable returning one.
        org: an ``Org``, or a hypothesis strategy of orgs (``strategies.orgs()``).
        actor: who acts (default: an actor with every role the campaign names).
        specs: ``{event: rule}``, a declared specification per gate: after every
            step, each unit's gate for that event must agree with it.

    Each step records evidence (drawn to pass or to fail a gate the unit faces,
    with the unit's own people; some of it retracted), retracts, fires, fires
    many, or sends back. After every step it checks: no unit moved past a gate
    whose verdict failed; ordering constraints held at every accepted fire; the
    roll-up equals a recount; each gate named in ``specs`` agrees with its
    specification. At the end of each case (not after every step, so that
    shrinking stays fast): a run reopened from the store equals the live one,
    the log verifies, and every unit's hash chain links up. Add your own checks
    as ``@invariant()`` methods.

    Example::

        class TestMyCampaign(CampaignMachine):
            campaign = my_campaign
            org = cst.orgs(levels=("county", "township"))

        TestMyCampaign = TestMyCampaign.TestCase
    """

    campaign: ClassVar[CampaignBuilder | Callable[[], CampaignBuilder]]
    org: ClassVar[Org | st.SearchStrategy[Org]]
    actor: ClassVar[Actor | None] = None
    specs: ClassVar[Mapping[str, Rule]] = {}

    @initialize(data=st.data())
    def _start(self, data: st.DataObject) -> None:
        spec = type(self).campaign
        self.built = spec if isinstance(spec, CampaignBuilder) else spec()
        org_spec = type(self).org
        self.the_org = org_spec if isinstance(org_spec, Org) else data.draw(org_spec, label="org")
        self.store = MemoryStore()
        self.run = Run.start(
            self.built.build(), self.the_org, store=self.store, clock=FixedClock(), ids=CountingIds()
        )
        self.units = list(self.the_org)
        d = self.built.build()
        roles = {r for t in d.transitions if t.allowed for r in t.allowed.roles}
        roles |= {r for rw in d.reworks.values() if rw.allowed for r in rw.allowed.roles}
        self.who = type(self).actor or Actor(id="campaign-machine", roles=roles)

    def _people(self, unit: str) -> dict[str, tuple[str, ...]]:
        org = self.the_org
        return {
            role: org.people(unit, role)
            for role in {r for p in org.people(unit) for r in org.roles_of(p, unit)}
        }

    # ------------------------------------------------------------ steps

    def _leaving(self, unit: str) -> list[tuple[str, Any]]:
        """(event, gate) of the transitions leaving the unit's stage."""
        stage = self.run.stage_of(unit)
        return [
            (event, t.gate)
            for (event, leaf), t in self.run._transitions.items()  # noqa: SLF001 - the machine inspects its own run
            if leaf == stage
        ]

    @rule(data=st.data())
    def advance(self, data: st.DataObject) -> None:
        """Record what a gate the unit faces needs, then fire it (ordering may still refuse)."""
        unit = data.draw(st.sampled_from(self.units), label="unit")
        leaving = self._leaving(unit)
        if not leaving:
            return
        event, gate = data.draw(st.sampled_from(leaving), label="event")
        if gate is not None:
            self._record(unit, data.draw(evidence_for(gate), label="scenario"))
        self._try_fire(unit, event)

    @rule(data=st.data(), passing=st.booleans())
    def record(self, data: st.DataObject, passing: bool) -> None:
        """Record evidence meant to pass (or to fail) a gate the unit faces."""
        unit = data.draw(st.sampled_from(self.units), label="unit")
        gates = [gate for _, gate in self._leaving(unit) if gate is not None]
        if not gates:
            return
        gate = data.draw(st.sampled_from(gates), label="gate")
        strategy = evidence_for(gate) if passing else evidence_against(gate)
        self._record(unit, data.draw(strategy, label="scenario"))

    def _record(self, unit: str, scenario: Scenario) -> None:
        names = self._rename(unit, scenario)
        supervisors = sorted(self.the_org.supervisors(unit))
        items: list[tuple[str, Any, bool]] = []
        gone = set(scenario.retracted)
        for i, (value, recorder) in enumerate(scenario.evidence):
            actor = recorder
            if recorder in scenario.supervisors and supervisors:
                actor = supervisors[scenario.supervisors.index(recorder) % len(supervisors)]
            try:
                items.append((actor, _renamed(value, names), i in gone))
            except ValueError:
                continue  # the renamed value breaks the evidence's own validation
        steps = [
            (self.run.record(unit, value, by=Actor(id=actor_id, roles=self.who.roles)), retract)
            for actor_id, value, retract in items
        ]
        for step, retract in steps:
            if retract and step.evidence is not None:
                self.run.retract(unit, step.evidence.id, reason="scenario", by=self.who)

    def _rename(self, unit: str, scenario: Scenario) -> dict[str, str]:
        """Map the scenario's people onto the unit's real people, one to one, role by role.

        A scenario person left over (the unit has fewer people in that role) keeps
        its id: evidence naming nobody of the unit is a case worth trying too.
        """
        names: dict[str, str] = {}
        taken: set[str] = set()
        real = self._people(unit)
        for role, persons in scenario.people.items():
            free = [p for p in real.get(role, ()) if p not in taken]
            for person in persons:
                if person in names or not free:
                    continue
                names[person] = free.pop(0)
                taken.add(names[person])
        return names

    @rule(data=st.data())
    def retract(self, data: st.DataObject) -> None:
        """Retract a piece of live evidence."""
        unit = data.draw(st.sampled_from(self.units), label="unit")
        live = [r for kind in self.built.build().evidence_types for r in self.store.records(unit, kind)]
        if live:
            target = data.draw(st.sampled_from(live), label="evidence")
            self.run.retract(unit, target.id, reason="machine", by=self.who)

    @rule(data=st.data())
    def fire(self, data: st.DataObject) -> None:
        """Fire an event; a refusal must leave the unit where it was."""
        unit = data.draw(st.sampled_from(self.units), label="unit")
        event = data.draw(st.sampled_from(list(self.built.build().events)), label="event")
        self._try_fire(unit, event)

    def _try_fire(self, unit: str, event: str) -> None:
        before = self.run.stage_of(unit)
        try:
            step = self.run.fire(unit, event, by=self.who)
        except GateClosed as closed:
            assert not closed.verdict.passed
            assert self.run.stage_of(unit) == before
            return
        except InvalidTransition:
            return
        self._ordering_held(unit, event)
        assert step.verdict is not None and step.verdict.passed

    @rule(data=st.data())
    def fire_many(self, data: st.DataObject) -> None:
        """Fire an event for every unit it leaves."""
        event = data.draw(st.sampled_from(list(self.built.build().events)), label="event")
        units = [u for u in self.units if self.run.engine.dest(event, self.run.stage_of(u))]
        if units:
            result = self.run.fire_many(units, event, by=self.who)
            for step in result.fired:
                self._ordering_held(step.unit, event)

    @rule(data=st.data())
    def send_back(self, data: st.DataObject) -> None:
        """Send a unit back to a stage it is past."""
        reworks = list(self.built.build().reworks)
        if not reworks:
            return
        unit = data.draw(st.sampled_from(self.units), label="unit")
        stage = data.draw(st.sampled_from(reworks), label="stage")
        try:
            self.run.send_back(unit, stage, reason="machine", by=self.who)
        except InvalidTransition:
            return

    # ------------------------------------------------------------ laws

    def _ordering_held(self, unit: str, event: str) -> None:
        org = self.the_org
        for t in self.built.build().transitions_for(event):
            for o in t.order:
                if isinstance(o, ParentFirst) and (parent := org.parent(unit)) is not None:
                    assert self.run.has_fired(parent, o.event or event), "fired before its parent"
                if isinstance(o, PilotsFirst) and not org.is_pilot(unit):
                    assert all(self.run.has_fired(p, o.event or event) for p in org.pilots())
                if isinstance(o, ChildrenDone) and (children := org.children(unit)):
                    done = sum(self.run.reached(c, o.stage) for c in children)
                    assert done >= o.quorum * len(children) - 1e-9, "closed before its children"

    @invariant()
    def no_fire_without_a_passing_verdict(self) -> None:
        """Every fire in every history carries a passing verdict."""
        if not hasattr(self, "run"):
            return
        for unit in self.units:
            for step in self.store.history(unit):
                if step.kind is Kind.FIRE:
                    assert step.verdict is not None and step.verdict.passed

    @invariant()
    def progress_equals_recount(self) -> None:
        """The incremental roll-up equals a full recount, for the org and each root."""
        if not hasattr(self, "run"):
            return
        for node in (None, *self.the_org.roots()):
            assert self.run.progress(node).counts() == self.run.recount(node).counts()

    @invariant()
    def gates_agree_with_specs(self) -> None:
        """Each unit's gate for an event in ``specs`` holds exactly when its specification does."""
        specs = type(self).specs
        if not specs or not hasattr(self, "run"):
            return
        now = self.run.clock()
        for unit in self.units:
            stage = self.run.stage_of(unit)
            for event, gate in self._leaving(unit):
                spec = specs.get(event)
                if spec is None or gate is None:
                    continue
                ctx = Context(unit=unit, stage=stage, event=event, actor=None, now=now, run=self.run)
                mine, theirs = evaluate(gate, ctx), evaluate(spec, ctx)
                assert mine.passed == theirs.passed, (
                    f"gate of {event!r} at {unit!r} {'passes' if mine.passed else 'fails'} "
                    f"({mine.reason}), its specification {spec.id!r} "
                    f"{'passes' if theirs.passed else 'fails'} ({theirs.reason})"
                )

    def teardown(self) -> None:
        """At the end of a case: replay equals live, the log verifies, every hash chain links."""
        if not hasattr(self, "run"):
            return
        again = open_run(self.built.build(), self.the_org, self.store)
        for unit in self.units:
            assert again.state(unit) == self.run.state(unit)
        report = verify(self.built.build(), self.the_org, self.store)
        assert report.ok, report.problem
        for unit in self.units:
            history = self.store.history(unit)
            for a, b in itertools.pairwise(history):
                assert b.prev_hash == a.hash


def _renamed(value: Any, names: dict[str, str]) -> Any:
    """The evidence value with scenario person ids replaced by the unit's people."""
    if not attrs.has(type(value)) or not names:
        return value
    changes = {
        f.name: names[getattr(value, f.name)]
        for f in attrs.fields(type(value))
        if isinstance(getattr(value, f.name), str) and getattr(value, f.name) in names
    }
    return attrs.evolve(value, **changes) if changes else value
