"""Working groups of people (住村联户工作组): loaded with the org, in coverage verdicts and progress."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest

import campaignflow as cf

OFFICE = cf.Actor(id="office")


@attrs.frozen
class HouseholdLink:
    """住村联户: a cadre linked to households."""

    cadre: str
    households: tuple[str, ...]


UNITS = [
    {"id": "gc", "parent": None, "level": "township", "name": "宫村镇"},
    {"id": "v1", "parent": "gc", "level": "village", "name": "宫村"},
    {"id": "v2", "parent": "gc", "level": "village", "name": "东村"},
]
PEOPLE = [
    {"id": "c1", "name": "李干部", "unit": "gc", "roles": ["cadre"]},
    {"id": "c2", "name": "王干部", "unit": "gc", "roles": ["cadre"]},
    {"id": "c3", "name": "张干部", "unit": "gc", "roles": ["cadre"]},
]
GROUPS = [
    {"id": "wg-1", "name": "第一工作组", "leader": "c1", "members": ["c2"], "units": ["v1"]},
    {"id": "wg-2", "name": "第二工作组", "leader": "c3", "members": [], "units": ["v2"]},
]


def org() -> cf.Org:
    return cf.Org.from_dicts(UNITS, people=PEOPLE, working_groups=GROUPS, levels=("township", "village"))


def campaign() -> tuple[cf.Campaign, cf.Coverage]:
    c = cf.Campaign("wg")
    c.stages("station", "done")
    rule = cf.coverage(
        HouseholdLink, among="cadre", by="cadre", covers="households", at_least=5, label="一联五"
    )
    c.transition("finish", "station", "done", gate=rule)
    return c, rule


class TestLoading:
    def test_working_groups_load_with_the_org(self) -> None:
        """A working group has a name, a leader first among its members, and the units it is stationed in."""
        o = org()
        assert o.working_group("wg-1") == cf.WorkingGroup(
            id="wg-1", name="第一工作组", leader="c1", members=("c1", "c2"), units=("v1",)
        )
        assert [w.id for w in o.working_groups_of("c2")] == ["wg-1"]
        assert [w.id for w in o.working_groups_at("v2")] == ["wg-2"]

    def test_json_and_csv_round_trips(self, tmp_path: Path) -> None:
        """to_json keeps the working groups; a CSV file of them loads with the units."""
        o = org()
        assert cf.Org.from_json(o.to_json()).working_groups() == o.working_groups()
        (tmp_path / "units.csv").write_text(
            "id,parent,level,name\ngc,,township,宫村镇\nv1,gc,village,宫村\n", encoding="utf-8"
        )
        (tmp_path / "people.csv").write_text(
            "id,name,unit,roles\nc1,李干部,gc,cadre\nc2,王干部,gc,cadre\n", encoding="utf-8"
        )
        (tmp_path / "wg.csv").write_text(
            "id,name,leader,members,units\nwg-1,第一工作组,c1,c2,v1\n", encoding="utf-8"
        )
        loaded = cf.Org.from_csv(
            tmp_path / "units.csv", people=tmp_path / "people.csv", working_groups=tmp_path / "wg.csv"
        )
        assert loaded.working_group("wg-1").members == ("c1", "c2")

    def test_unknown_people_and_units_are_refused(self, tmp_path: Path) -> None:
        """A working group naming a non-person or an unknown unit is an OrgError naming it."""
        with pytest.raises(cf.OrgError, match="'wg-x' names \\['c9'\\]"):
            cf.Org.from_dicts(
                UNITS, people=PEOPLE, working_groups=[{"id": "wg-x", "leader": "c9", "units": ["v1"]}]
            )
        with pytest.raises(cf.OrgError, match="unknown units \\['v9'\\]"):
            cf.Org.from_dicts(
                UNITS, people=PEOPLE, working_groups=[{"id": "wg-x", "leader": "c1", "units": ["v9"]}]
            )
        (tmp_path / "units.csv").write_text("id,parent,level\ngc,,township\n", encoding="utf-8")
        (tmp_path / "wg.csv").write_text("id,name,leader,members,units\nwg-1,组,c1,,gc\n", encoding="utf-8")
        with pytest.raises(cf.OrgError, match=r"wg\.csv:2:"):
            cf.Org.from_csv(tmp_path / "units.csv", working_groups=tmp_path / "wg.csv")


class TestCoverageAndProgress:
    def test_a_coverage_verdict_names_the_cadre_and_their_group(self) -> None:
        """一联五 short: the reason names the cadre with the working group they belong to."""
        c, _ = campaign()
        run = c.start(org())
        run.record("gc", HouseholdLink(cadre="c2", households=("h1", "h2", "h3")), by=OFFICE)
        reason = run.check("gc", "finish").failures[0].reason
        assert "王干部 (第一工作组) 3 of 5" in reason
        assert "张干部 (第二工作组) 0 of 5" in reason

    def test_coverage_per_working_group(self) -> None:
        """Judged per working group, a group whose members all cover five passes; the other names its own."""
        c, rule = campaign()
        run = c.start(org())
        run.record_many(
            [
                ("gc", HouseholdLink(cadre=p, households=tuple(f"{p}-{i}" for i in range(5))))
                for p in ("c1", "c2")
            ],
            by=OFFICE,
        )
        found = cf.working_group_coverage(run, "gc", rule)
        assert (found["wg-1"].passed, found["wg-2"].passed) == (True, False)
        assert found["wg-2"].label == "一联五 · 第二工作组"
        assert "张干部" in found["wg-2"].reason
        assert "王干部" not in found["wg-2"].reason

    def test_progress_per_working_group(self) -> None:
        """run.working_groups() counts the units each group is stationed in, per stage."""
        c = cf.Campaign("wg-progress")
        c.stages("station", "done")
        c.transition("finish", "station", "done")
        run = c.start(org())
        run.fire("v1", "finish", by=OFFICE)
        progress = {p.group: p for p in run.working_groups()}
        assert progress["wg-1"].by_stage == {"done": 1}
        assert progress["wg-2"].by_stage == {"station": 1}
        assert (progress["wg-1"].leader, progress["wg-1"].units) == ("c1", ("v1",))
