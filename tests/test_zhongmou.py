"""Zhongmou county's org (the seeds' figures) and its CSV files in examples/."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import campaignflow as cf
from campaignflow.presets.zhongmou import zhongmou_org

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "zhongmou"


class TestZhongmou:
    def test_figures_from_the_seeds(self) -> None:
        """1 county, 73 departments, 14 townships, 274 villages; 3 pilot villages."""
        org = zhongmou_org()
        levels = Counter(org.level(u) for u in org)
        assert levels == {"county": 1, "department": 73, "township": 14, "village": 274}
        assert len(org) == 362
        assert {org.name_of(p) for p in org.pilots()} == {"官渡桥村", "老八庄村", "刘申庄村"}

    def test_every_unit_has_one_principal_and_a_supervision_group(self) -> None:
        """Each unit has exactly one principal leader and is supervised by a group with members."""
        org = zhongmou_org()
        assert all(len(org.people(u, "principal")) == 1 for u in org)
        assert all(org.supervisors(u) for u in org)

    def test_contact_points(self) -> None:
        """43 county leaders' and 274 township leaders' contact points (联系点)."""
        org = zhongmou_org()
        contacts = [(p, u) for u in org for p in org.contacted_by(u)]
        assert len(contacts) == 43 + 274

    def test_csv_in_examples_loads_to_the_same_org(self) -> None:
        """The shipped CSV files load to the org the preset builds."""
        org = cf.Org.from_csv(
            EXAMPLES / "units.csv",
            people=EXAMPLES / "people.csv",
            edges=EXAMPLES / "edges.csv",
            levels=("county", "department", "township", "village"),
        )
        assert org.to_dict()["units"] == zhongmou_org().to_dict()["units"]
        assert sorted(map(str, org.to_dict()["people"])) == sorted(
            map(str, zhongmou_org().to_dict()["people"])
        )

    def test_deterministic(self) -> None:
        """The same seed gives the same org."""
        assert zhongmou_org(3).to_dict() == zhongmou_org(3).to_dict()
