"""The testing kit, used on itself: strategies hit the boundaries and find a real bug."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

import campaignflow as cf
from campaignflow.presets import mass_line as ml
from campaignflow.presets.zhongmou import zhongmou_org
from campaignflow.testing import CampaignMachine, Scenario
from campaignflow.testing import strategies as cst


@attrs.frozen
class Study:
    hours: float


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


@attrs.frozen
class Link:
    cadre: str
    household: str


@attrs.frozen
class Issued:
    members: tuple[str, ...]
    items: tuple[str, ...]


@attrs.frozen
class Diary:
    cadre: str


DIARY = cf.Campaign("kit").obligation(
    "diary",
    role="cadre",
    via="own",
    every=timedelta(weeks=1),
    evidence=Diary,
    by="cadre",
    starts=datetime(2014, 3, 3, tzinfo=UTC),
)

DECLARED = [
    cf.coverage(Link, among="cadre", by="cadre", covers="household", at_least=5),
    cf.coverage(Link, among="cadre", by="cadre", covers="household", at_least=2, total=7),
    cf.coverage(Link, among="cadre", by="cadre", covers="household", total="all", targets="household"),
    cf.coverage(Issued, among="members", by="members", covers="items", required=("reader", "notes")),
    cf.not_overdue(DIARY),
    cf.every_member_has(Issued, among="members", by="members"),
    cf.count_at_least(Study, 4),
    cf.exists(Study),
    cf.sum_at_least(Study, "hours", 8),
    cf.sum_at_least(Study, "hours", 2.5),
    cf.every_member_has(Talk, among="members", by="a"),
    cf.every_pair(Talk, among="leadership"),
    cf.every_pair(Talk, among="leadership", at_least=2, directed=True),
    cf.every_pair(Talk, among="leadership", hub="principal"),
    cf.approved_by(Approval, latest_of=Draft),
    cf.all_of(cf.count_at_least(Study, 2), cf.every_pair(Talk, among="leadership")),
    cf.any_of(cf.count_at_least(Study, 3), cf.approved_by(Approval)),
    cf.not_(cf.exists(Study)),
]
FAST = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow]
)


class TestEvidenceStrategies:
    @pytest.mark.parametrize("rule", DECLARED, ids=lambda r: r.id)
    @FAST
    @given(data=st.data())
    def test_evidence_for_passes_and_against_fails(self, rule: cf.Rule, data: st.DataObject) -> None:
        """For every declared rule: evidence_for always passes it, evidence_against always fails it."""
        assert data.draw(cst.evidence_for(rule)).passes(rule)
        assert not data.draw(cst.evidence_against(rule)).passes(rule)

    def test_boundaries_are_generated(self) -> None:
        """The strategies produce exactly the threshold, and one below it."""
        rule = cf.count_at_least(Study, 4)
        at = find(cst.evidence_for(rule), lambda s: len(s.evidence) == 4)
        below = find(cst.evidence_against(rule), lambda s: len(s.evidence) == 3)
        assert (len(at.evidence), len(below.evidence)) == (4, 3)

    def test_a_stale_approval_is_generated_against_approved_by(self) -> None:
        """evidence_against(approved_by) includes an approval of the previous draft."""
        rule = cf.approved_by(Approval, latest_of=Draft)
        stale = find(
            cst.evidence_against(rule),
            lambda s: any(
                isinstance(v, Approval)
                and v.revision < max(d.revision for d, _ in s.evidence if isinstance(d, Draft))
                for v, _ in s.evidence
            ),
        )
        assert "not counted: superseded by revision" in stale.finding(rule).reason


class TestFindsABug:
    def test_a_greater_than_instead_of_at_least_is_caught(self) -> None:
        """A hand-written 'at least 4 sessions' using > is refuted by the boundary case, 4 sessions."""

        @cf.rule("stage1_sessions", reads=(ml.StudySession,))
        def broken(ctx: cf.Context) -> cf.Finding:
            n = len(ctx.records(ml.StudySession))
            return cf.ok() if n > 4 else cf.fail(f"{n} sessions")  # the bug: > for >=

        spec = cf.count_at_least(ml.StudySession, 4)
        counterexample = find(cst.evidence_for(spec), lambda s: not s.passes(broken))
        assert len(counterexample.evidence) == 4


class TestOrgStrategies:
    @FAST
    @given(cst.orgs(levels=("county", "township", "village"), fanout=(1, 3)))
    def test_orgs_are_valid_trees(self, org: cf.Org) -> None:
        """Generated orgs load and keep their declared levels."""
        assert org.levels == ("county", "township", "village")
        assert all(org.level_index(c) == org.level_index(u) + 1 for u in org for c in org.children(u))

    @FAST
    @given(cst.invalid_orgs())
    def test_invalid_orgs_are_refused(
        self, case: tuple[str, list[dict[str, object]], tuple[str, ...]]
    ) -> None:
        """Every generated defect is refused by the loader."""
        _, rows, levels = case
        with pytest.raises(cf.OrgError):
            cf.Org.from_dicts(rows, levels=levels)


class MassLineMachine(CampaignMachine):
    """The mass-line preset over a slice of Zhongmou, explored by the kit."""

    campaign = ml.campaign
    org = st.just(
        cf.Org.from_dict(
            {
                **(d := zhongmou_org().to_dict()),
                "units": [u for u in d["units"] if u["id"] in {"zhongmou", "t-01", "v-0101", "v-0102"}],
                "people": [
                    p
                    for p in d["people"]
                    if p["unit"] in {"zhongmou", "t-01", "v-0101", "v-0102", "sg-city-6", "sg-county-1"}
                ],
                "groups": [
                    {
                        **g,
                        "supervises": [
                            u for u in g["supervises"] if u in {"zhongmou", "t-01", "v-0101", "v-0102"}
                        ],
                    }
                    for g in d["groups"]
                    if g["id"] in {"sg-city-6", "sg-county-1"}
                ],
                "contacts": [],
            }
        )
    )


MassLineMachine.TestCase.settings = settings(
    max_examples=30, stateful_step_count=40, deadline=None, suppress_health_check=list(HealthCheck)
)
TestMassLineMachine = MassLineMachine.TestCase


def test_scenario_names_its_people() -> None:
    """A Scenario builds a one-unit org with its people and supervisors."""
    scenario = Scenario(people={"leadership": ("p0", "p1")}, supervisors=("s0",))
    org = scenario.org()
    assert org.people("unit", "leadership") == ("p0", "p1")
    assert org.supervisors("unit") == {"s0"}


class TestOrgsWithPeople:
    @FAST
    @given(cst.orgs(levels=("county", "township"), fanout=(1, 2), people={"leadership": (0, 2)}))
    def test_people_are_generated_per_unit(self, org: cf.Org) -> None:
        """orgs(people=...) gives every unit between the least and the most people of each role."""
        assert all(0 <= len(org.people(u, "leadership")) <= 2 for u in org)


@cf.rule("talks_vacuous", reads=(Talk,), roles=("leadership",))
def _talks_vacuous(ctx: cf.Context) -> cf.Finding:
    """Every pair of leaders talked: the mistake, it holds with fewer than two leaders."""
    leaders = ctx.people("leadership")
    done = {frozenset((t.a, t.b)) for t in ctx.evidence(Talk)}
    pairs = [(a, b) for i, a in enumerate(leaders) for b in leaders[i + 1 :]]
    return cf.ok() if all(frozenset(p) in done for p in pairs) else cf.fail("a pair missing")


def _talk_campaign() -> cf.Campaign:
    c = cf.Campaign("talks")
    c.stages("talk", "meet")
    c.evidence(Talk)
    c.transition("meet", "talk", "meet", gate=_talks_vacuous, label="开会")
    return c


class TalkMachine(CampaignMachine):
    """A campaign whose gate is the vacuous-leader mistake, checked against its specification."""

    campaign = _talk_campaign
    org = cst.orgs(levels=("county", "township"), fanout=(1, 2), people={"leadership": (0, 3)})
    specs = {"meet": cf.every_pair(Talk, among="leadership")}  # noqa: RUF012 - the machine's declared specs


class TestMachineSpecs:
    def test_a_gate_that_disagrees_with_its_spec_is_caught(self) -> None:
        """CampaignMachine(specs=...) refutes a gate that passes a unit with fewer than two leaders."""
        quick = settings(
            max_examples=100,
            stateful_step_count=5,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        with pytest.raises(AssertionError, match="its specification"):
            run_state_machine_as_test(TalkMachine, settings=quick)
