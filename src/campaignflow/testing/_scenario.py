"""A scenario: one unit's people and recorded evidence, and how a rule judges it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from campaignflow.definition.actors import Actor
from campaignflow.definition.builder import CampaignBuilder
from campaignflow.definition.combinators import walk
from campaignflow.definition.rules import Rule
from campaignflow.org.graph import Org
from campaignflow.run.run import Run
from campaignflow.values.findings import Finding, Verdict

UNIT = "unit"
GROUP = "group"


@attrs.frozen(kw_only=True)
class Scenario:
    """The people of one unit and the evidence recorded there, in order.

    Attributes:
        people: person ids by role at the unit (``{"leadership": ("p0", "p1")}``).
        supervisors: members of the group supervising the unit.
        evidence: ``(value, recorded_by)`` pairs, in recording order.
    """

    people: Mapping[str, tuple[str, ...]] = attrs.field(factory=dict)
    supervisors: tuple[str, ...] = ()
    evidence: tuple[tuple[Any, str], ...] = ()

    def org(self) -> Org:
        """A one-unit org holding these people and a supervising group."""
        rows = [
            {"id": person, "name": person, "unit": UNIT, "roles": [role]}
            for role, persons in self.people.items()
            for person in persons
        ]
        rows += [{"id": s, "name": s, "unit": GROUP, "roles": ["supervisor"]} for s in self.supervisors]
        return Org.from_dicts(
            [{"id": UNIT, "parent": None, "level": "unit"}],
            people=rows,
            groups=[{"id": GROUP, "name": "督导组", "supervises": [UNIT]}],
            levels=("unit",),
            name="scenario",
        )

    def verdict(self, rule: Rule) -> Verdict:
        """Record the evidence at a one-unit run and check ``rule`` as a gate."""
        campaign = CampaignBuilder("scenario")
        campaign.stages("before", "after")
        types = {type(v) for v, _ in self.evidence}
        for r in walk(rule):
            types.update(r.reads)
        campaign.evidence(*types)
        campaign.transition("check", "before", "after", gate=rule)
        run = Run.start(campaign.build(), self.org())
        for value, actor in self.evidence:
            run.record(UNIT, value, by=Actor(id=actor))
        return run.check(UNIT, "check")

    def finding(self, rule: Rule) -> Finding:
        """The rule's own finding for this scenario."""
        return self.verdict(rule).root

    def passes(self, rule: Rule) -> bool:
        """True when ``rule`` holds for this scenario."""
        return self.verdict(rule).passed
