"""Levels per parent: ``levels={level: (allowed parent levels, ...)}`` in every loader."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

import campaignflow as cf
from campaignflow.presets.zhongmou import LEVELS as ZHONGMOU_LEVELS
from campaignflow.presets.zhongmou import zhongmou_org

LEVELS = {
    "township": (),
    "village": ("township",),
    "group": ("village",),
    "branch": ("village", "township"),  # 支部 beside the groups, or under the township
}
ROWS = [
    {"id": "t", "parent": None, "level": "township"},
    {"id": "v", "parent": "t", "level": "village"},
    {"id": "g", "parent": "v", "level": "group"},
    {"id": "b1", "parent": "v", "level": "branch"},
    {"id": "b2", "parent": "t", "level": "branch"},
]
MISPLACED = {"id": "g2", "parent": "t", "level": "group"}


class TestLevelsPerParent:
    def test_allowed_parents_load(self) -> None:
        """Units under an allowed parent level load; the org keeps its levels and their parents."""
        org = cf.Org.from_dicts(ROWS, levels=LEVELS)
        assert org.levels == ("township", "village", "group", "branch")
        assert org.level_parents == LEVELS
        assert org.children("v") == ("g", "b1")

    def test_group_under_township_refused(self) -> None:
        """A group under a township is refused, naming the unit, its level, its parent's and the allowed."""
        with pytest.raises(cf.OrgError) as info:
            cf.Org.from_dicts([*ROWS, MISPLACED], levels=LEVELS)
        text = str(info.value)
        assert "'g2'" in text
        assert "level 'group'" in text
        assert "level 'township'" in text
        assert "only under 'village'" in text

    def test_a_sequence_still_only_orders(self) -> None:
        """With a sequence of levels the same group loads: a sequence says only the order."""
        org = cf.Org.from_dicts([*ROWS[:3], MISPLACED], levels=("township", "village", "group"))
        assert org.parent("g2") == "t"

    def test_csv_names_file_and_line(self, tmp_path: Path) -> None:
        """From CSV the refusal names the file and the line of the misplaced unit."""
        path = tmp_path / "units.csv"
        path.write_text("id,parent,level\nt,,township\nv,t,village\ng,t,group\n", encoding="utf-8")
        with pytest.raises(cf.OrgError) as info:
            cf.Org.from_csv(path, levels=LEVELS)
        assert "units.csv:4:" in str(info.value)
        assert "'g'" in str(info.value)

    def test_json_round_trip_keeps_the_mapping(self) -> None:
        """to_json writes the mapping; from_json reads it back and refuses a misplaced unit."""
        org = cf.Org.from_dicts(ROWS, levels=LEVELS)
        again = cf.Org.from_json(org.to_json())
        assert again.level_parents == LEVELS
        data = org.to_dict()
        data["units"].append(MISPLACED)
        with pytest.raises(cf.OrgError, match="'g2'"):
            cf.Org.from_json(data)

    def test_constructor_checks_the_graph(self) -> None:
        """Org(graph, levels=mapping) refuses an administers edge the mapping does not allow."""
        g = nx.MultiDiGraph()
        g.add_node("t", kind="unit", level="township", name="t")
        g.add_node("g", kind="unit", level="group", name="g")
        g.add_edge("t", "g", key="administers")
        with pytest.raises(cf.OrgError, match="only under 'village'"):
            cf.Org(g, levels=LEVELS)

    @pytest.mark.parametrize(
        ("levels", "message"),
        [
            ({"village": ("township",), "township": ()}, "not levels declared above"),
            ({"a": ("a",)}, "not levels declared above"),
            ({"a": ("b",), "b": ("a",)}, "not levels declared above"),
            ({"a": 3}, "must list the allowed parent levels"),
        ],
    )
    def test_bad_mappings(self, levels: dict[str, object], message: str) -> None:
        """A mapping whose parents are not levels above, or are not a list, is refused."""
        with pytest.raises(cf.OrgError, match=message):
            cf.Org.from_dicts([{"id": "x", "parent": None, "level": "a"}], levels=levels)  # type: ignore[arg-type]

    def test_orphan_of_a_non_root_level(self) -> None:
        """A village with no parent is an orphan when villages sit under townships."""
        with pytest.raises(cf.OrgError, match="orphan: unit 'v'"):
            cf.Org.from_dicts([ROWS[0], {"id": "v", "parent": None, "level": "village"}], levels=LEVELS)

    def test_zhongmou_declares_its_levels_per_parent(self) -> None:
        """Zhongmou loads with its levels per parent: villages sit under townships."""
        org = zhongmou_org()
        assert org.level_parents == ZHONGMOU_LEVELS
        assert {org.level(org.parent(v) or "") for v in org if org.level(v) == "village"} == {"township"}
