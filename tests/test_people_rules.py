"""Coverage rules (一联五, 人手一册, 39 cadres cover 100+ households) and evidence across levels
(学习上延一级)."""

from __future__ import annotations

from collections import Counter

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.testing import Scenario

CLERK = cf.Actor(id="office")


@attrs.frozen
class Link:
    """结对联户: a cadre linked to a household."""

    cadre: str
    household: str


@attrs.frozen
class Issued:
    """发放学习资料: materials handed to a member."""

    member: str
    items: tuple[str, ...]


CADRES = tuple(f"c{i}" for i in range(5))
HOUSEHOLDS = tuple(f"h{i}" for i in range(12))
ITEMS = ("reader", "notes", "leaflet")


class TestCoverage:
    @given(
        cadres=st.lists(st.sampled_from(CADRES), min_size=1, max_size=5, unique=True),
        links=st.lists(st.tuples(st.sampled_from((*CADRES, "outsider")), st.sampled_from(HOUSEHOLDS))),
        at_least=st.integers(0, 6),
        total=st.none() | st.integers(0, 14),
    )
    def test_fails_exactly_for_the_people_below_the_minimum_and_names_them(
        self, cadres: list[str], links: list[tuple[str, str]], at_least: int, total: int | None
    ) -> None:
        rule = cf.coverage(
            Link, among="cadre", by="cadre", covers="household", at_least=at_least, total=total
        )
        scenario = Scenario(
            people={"cadre": tuple(cadres)},
            evidence=tuple((Link(cadre=c, household=h), "office") for c, h in links),
        )
        finding = scenario.finding(rule)
        covered = {c: {h for cc, h in links if cc == c} for c in cadres}
        short = [c for c in cadres if len(covered[c]) < at_least]
        together = set().union(*covered.values())  # the outsider's links never count
        total_short = total is not None and len(together) < total
        assert finding.passed == (not short and not total_short)
        named = [m for m in finding.missing if "×" not in m]
        assert named == short  # the scenario's people are named by their ids
        for c in short:
            assert c in finding.reason

    @given(
        members=st.lists(st.sampled_from(CADRES), min_size=1, max_size=5, unique=True),
        issued=st.lists(
            st.tuples(st.sampled_from(CADRES), st.lists(st.sampled_from(ITEMS), max_size=3).map(tuple))
        ),
    )
    def test_every_member_has_every_required_item(
        self, members: list[str], issued: list[tuple[str, tuple[str, ...]]]
    ) -> None:
        rule = cf.coverage(
            Issued, among="members", by="member", covers="items", required=ITEMS, label="人手一册"
        )
        scenario = Scenario(
            people={"members": tuple(members)},
            evidence=tuple((Issued(member=m, items=i), "office") for m, i in issued),
        )
        finding = scenario.finding(rule)
        have = {m: {x for mm, i in issued if mm == m for x in i} for m in members}
        lacking = [m for m in members if not set(ITEMS) <= have[m]]
        assert finding.passed == (not lacking)
        assert list(finding.missing) == lacking

    def test_households_as_units_must_all_be_covered(self) -> None:
        org = cf.Org.from_dicts(
            [
                {"id": "village", "parent": None, "level": "village", "name": "宫村"},
                *(
                    {"id": f"hh{i}", "parent": "village", "level": "household", "name": f"户{i}"}
                    for i in range(6)
                ),
            ],
            people=[{"id": "c1", "name": "干部甲", "unit": "village", "roles": ["cadre"]}],
            levels=("village", "household"),
        )
        c = cf.Campaign("linked")
        c.stages("a", "b")
        c.transition(
            "go",
            "a",
            "b",
            gate=cf.coverage(
                Link,
                among="cadre",
                by="cadre",
                covers="household",
                at_least=5,
                total="all",
                targets="household",
            ),
        )
        run = c.start(org)
        for i in (0, 1, 2, 3, 4):
            run.record("village", Link(cadre="c1", household=f"hh{i}"), by=CLERK)
        run.record("village", Link(cadre="c1", household="elsewhere"), by=CLERK)  # not a household here
        verdict = run.check("village", "go")
        assert not verdict.passed
        assert (verdict.failures[0].missing, verdict.failures[0].missing_labels) == (("hh5",), ("户5",))
        assert "household not covered: 户5 (1 of 6)" in verdict.failures[0].reason
        run.record("village", Link(cadre="c1", household="hh5"), by=CLERK)
        assert run.check("village", "go").passed

    def test_total_all_needs_targets(self) -> None:
        with pytest.raises(cf.DefinitionError, match="targets="):
            cf.coverage(Link, among="cadre", by="cadre", covers="household", total="all")

    def test_unknown_field_is_refused(self) -> None:
        with pytest.raises(cf.DefinitionError, match="no field 'home'"):
            cf.coverage(Link, among="cadre", by="cadre", covers="home")

    def test_bad_role_and_total_name_the_fix(self) -> None:
        with pytest.raises(cf.DefinitionError, match="among=''"):
            cf.coverage(Link, among="", by="cadre", covers="household")
        with pytest.raises(cf.DefinitionError, match='or "all"'):
            cf.coverage(Link, among="cadre", by="cadre", covers="household", total="most")


# ---------------------------------------------------------------- across levels


@attrs.frozen
class Study:
    """集中学习: a study session and who attended."""

    attendees: tuple[str, ...]


ROLES = ("principal", "members", "secretary")


@st.composite
def three_levels(draw: st.DrawFn) -> tuple[cf.Org, dict[str, tuple[str, frozenset[str]]]]:
    """A county, 1-3 townships, 1-2 villages each; people with random roles. Returns the
    org and, per person, (their unit, their roles)."""
    units = [{"id": "county", "parent": None, "level": "county"}]
    for t in range(draw(st.integers(1, 3))):
        units.append({"id": f"t{t}", "parent": "county", "level": "township"})
        units += [
            {"id": f"t{t}v{v}", "parent": f"t{t}", "level": "village"} for v in range(draw(st.integers(1, 2)))
        ]
    people: dict[str, tuple[str, frozenset[str]]] = {}
    for n, unit in enumerate(u["id"] for u in units):
        for k in range(draw(st.integers(0, 3))):
            roles = frozenset(draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=2, unique=True)))
            people[f"p{n}.{k}"] = (unit, roles)
    org = cf.Org.from_dicts(
        units,
        people=[{"id": p, "unit": u, "roles": sorted(r)} for p, (u, r) in people.items()],
        levels=("county", "township", "village"),
    )
    return org, people


class TestCountsBelow:
    @given(three_levels(), st.data())
    def test_attendance_is_credited_once_per_person_and_only_to_the_invited_level(
        self, world: tuple[cf.Org, dict[str, tuple[str, frozenset[str]]]], data: st.DataObject
    ) -> None:
        org, people = world
        everyone = [*sorted(people), "stranger"]
        c = cf.Campaign("up-one-level")
        c.stages("a", "b")
        c.counts_below(Study, people="attendees", roles=("principal", "secretary"))
        c.transition("go", "a", "b")
        run = c.start(org)
        sessions: dict[str, list[tuple[str, ...]]] = {}
        for unit in org.units():
            lists = data.draw(
                st.lists(st.lists(st.sampled_from(everyone), max_size=6).map(tuple), max_size=2)
            )
            sessions[unit] = lists
            for attendees in lists:
                run.record(unit, Study(attendees=attendees), by=CLERK)
        for unit in org.units():
            credited: Counter[str] = Counter()
            for r in run.people_records(unit, "Study", "attendees"):
                credited.update(set(r.value.attendees))
            here = {p for p, (u, _) in people.items() if u == unit}
            parent = org.parent(unit)
            expected: Counter[str] = Counter()
            for attendees in sessions[unit]:
                expected.update(set(attendees))  # a unit's own session: as recorded, each name once
            for p in here:
                if parent is not None and people[p][1] & {"principal", "secretary"}:
                    expected[p] += sum(p in attendees for attendees in sessions[parent])
            # Shared sessions credit only invited people of this unit, each once per session.
            assert +credited == +expected

    def test_gate_credits_township_heads_for_the_county_session(self) -> None:
        org = cf.Org.from_dicts(
            [
                {"id": "county", "parent": None, "level": "county"},
                {"id": "t1", "parent": "county", "level": "township"},
                {"id": "v1", "parent": "t1", "level": "village"},
            ],
            people=[
                {"id": "K", "name": "县委书记", "unit": "county", "roles": ["principal"]},
                {"id": "T", "name": "镇党委书记", "unit": "t1", "roles": ["principal"]},
                {"id": "M", "name": "镇干部", "unit": "t1", "roles": ["members"]},
                {"id": "V", "name": "村支书", "unit": "v1", "roles": ["principal"]},
            ],
            levels=("county", "township", "village"),
        )
        c = cf.Campaign("gate")
        c.stages("a", "b")
        c.counts_below(Study, people="attendees", roles=("principal",))
        c.transition(
            "go", "a", "b", gate=cf.every_member_has(Study, among="principal", by="attendees", at_least=2)
        )
        run = c.start(org)
        run.record("county", Study(attendees=("K", "T", "T", "M", "V")), by=CLERK)
        run.record("t1", Study(attendees=("T",)), by=CLERK)
        assert run.check("t1", "go").passed  # one county session + one township session
        # The village principal was at the county session: two levels up, not credited.
        verdict = run.check("v1", "go")
        assert not verdict.passed
        assert (verdict.failures[0].missing, verdict.failures[0].missing_labels) == (("V",), ("村支书",))
        # Named twice in one session: counted once, so one session is not two.
        assert not run.check("county", "go").passed

    def test_declaration_errors(self) -> None:
        c = cf.Campaign("bad")
        with pytest.raises(cf.DefinitionError, match="not a field"):
            c.counts_below(Study, people="who")
        with pytest.raises(cf.DefinitionError, match="levels"):
            c.counts_below(Study, people="attendees", levels=0)
        c.counts_below(Study, people="attendees")
        with pytest.raises(cf.DefinitionError, match="twice"):
            c.counts_below(Study, people="attendees")
