"""The organisation graph: loaders, validation errors, queries, exporters."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

import campaignflow as cf

UNITS_CSV = """id,parent,level,name,pilot
zm,,county,中牟县,
hs,zm,township,韩寺镇,
gd,zm,township,官渡镇,
dept-1,zm,department,县委办,
v1,hs,village,大洪村,1
v2,hs,village,小洪村,
v3,gd,village,官渡桥村,是
"""
PEOPLE_CSV = """id,name,unit,roles
p1,路红卫,zm,leadership;principal
p2,王朝杰,zm,leadership
s1,督导员甲,sg6,supervisor
"""
EDGES_CSV = """source,target,type,name
sg6,zm,supervises,市委第六督导组
sg6,hs,supervises,市委第六督导组
p2,v1,contacts,
"""
LEVELS = ("county", "department", "township", "village")


def _write(tmp: Path, text: str, name: str = "units.csv") -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def _org(tmp: Path) -> cf.Org:
    return cf.Org.from_csv(
        _write(tmp, UNITS_CSV),
        people=_write(tmp, PEOPLE_CSV, "people.csv"),
        edges=_write(tmp, EDGES_CSV, "edges.csv"),
        levels=LEVELS,
    )


class TestQueries:
    def test_tree_queries(self, tmp_path: Path) -> None:
        """Parent, children, ancestors, subtree, depth and order follow the tree."""
        org = _org(tmp_path)
        assert len(org) == 7
        assert list(org)[:1] == ["zm"]
        assert org.parent("v1") == "hs"
        assert org.children("zm") == ("hs", "gd", "dept-1")
        assert org.ancestors("v1") == ("hs", "zm")
        assert list(org.subtree("hs")) == ["hs", "v1", "v2"]
        assert (org.depth("v3"), org.root(), org.level("v3")) == (2, "zm", "village")
        assert org.is_ancestor("zm", "v3")
        assert not org.is_ancestor("hs", "v3")

    def test_people_groups_contacts_pilots(self, tmp_path: Path) -> None:
        """People have roles at units; groups supervise; contacts point to units; pilots are marked."""
        org = _org(tmp_path)
        assert org.people("zm", "leadership") == ("p1", "p2")
        assert org.people("zm", "principal") == ("p1",)
        assert org.roles_of("p1", "zm") == {"leadership", "principal"}
        assert org.supervising_groups("hs") == ("sg6",)
        assert org.supervisors("zm") == {"s1"}
        assert org.supervisors("v1") == frozenset()
        assert org.contacts("p2") == ("v1",)
        assert org.contacted_by("v1") == ("p2",)
        assert org.pilots() == {"v1", "v3"}
        assert org.name_of("sg6") == "市委第六督导组"
        assert org.person("p1") == cf.Person(id="p1", name="路红卫")

    def test_unknown_unit_suggests(self, tmp_path: Path) -> None:
        """Asking for an unknown unit names close ids."""
        org = _org(tmp_path)
        with pytest.raises(cf.UnknownUnit, match="did you mean 'v1'"):
            org.require("v11")

    def test_a_units_name_suggests_its_id(self, tmp_path: Path) -> None:
        """A clerk typing the unit's name (韩寺镇) is pointed at its id."""
        org = _org(tmp_path)
        with pytest.raises(cf.UnknownUnit, match="did you mean 'hs'") as err:
            org.require("韩寺镇")
        assert err.value.suggestions == ("hs",)


class TestLoaderErrors:
    @pytest.mark.parametrize(
        ("text", "line", "message"),
        [
            ("id,parent,level\na,,county\na,,county\n", 3, "duplicate unit id 'a'"),
            ("id,parent,level\na,,county\nb,zz,township\n", 3, "unknown parent 'zz'"),
            ("id,parent,level\na,,county\n ,a,township\n", 3, "empty unit id"),
            ("id,parent,level\na,,county\nb,,township\n", 3, "orphan"),
            ("id,parent,level\na,,county\nb,a,village\nc,b,township\n", 4, "level inversion"),
            ("id,parent,level,name,pilot\na,,county,A,maybe\n", 2, "pilot must be"),
            ("id,level\na,county\n", 1, "missing column(s) parent"),
        ],
    )
    def test_malformed_csv_names_file_and_line(
        self, tmp_path: Path, text: str, line: int, message: str
    ) -> None:
        """Each malformed units file gets an OrgError naming the file, the line and the problem."""
        path = _write(tmp_path, text)
        with pytest.raises(cf.OrgError) as info:
            cf.Org.from_csv(path, levels=("county", "township", "village"))
        assert f"units.csv:{line}:" in str(info.value)
        assert message in str(info.value)

    def test_cycle(self) -> None:
        """A cycle in parents is refused, naming the loop."""
        with pytest.raises(cf.OrgError, match="cycle"):
            cf.Org.from_dicts(
                [
                    {"id": "r", "parent": None, "level": "a"},
                    {"id": "x", "parent": "y", "level": "b"},
                    {"id": "y", "parent": "x", "level": "b"},
                ]
            )

    def test_inferred_levels_catch_a_village_above_a_township(self) -> None:
        """Without declared levels, a minority edge against the usual order is an inversion."""
        units = [{"id": "c", "parent": None, "level": "county"}]
        for t in range(3):
            units.append({"id": f"t{t}", "parent": "c", "level": "township"})
            units.append({"id": f"v{t}", "parent": f"t{t}", "level": "village"})
        units.append({"id": "bad-v", "parent": "c", "level": "village"})
        units.append({"id": "bad-t", "parent": "bad-v", "level": "township"})
        with pytest.raises(cf.OrgError, match="level inversion: 'bad-t'"):
            cf.Org.from_dicts(units)

    def test_json_too_deep_and_malformed(self) -> None:
        """Deep or malformed JSON is an OrgError, not a RecursionError or a JSONDecodeError."""
        with pytest.raises(cf.OrgError, match="deeper than 64"):
            cf.Org.from_json('{"units": ' + "[" * 100 + "]" * 100 + "}")
        with pytest.raises(cf.OrgError, match="malformed JSON"):
            cf.Org.from_json('{"units": [}')

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing file is an OrgError naming it."""
        with pytest.raises(cf.OrgError, match="cannot read"):
            cf.Org.from_csv(tmp_path / "nope.csv")


class TestExporters:
    def test_round_trips(self, tmp_path: Path) -> None:
        """CSV and JSON exports load back to the same org."""
        org = _org(tmp_path)
        again = cf.Org.from_csv(
            *org.to_csv(tmp_path / "out")[:1],
            people=tmp_path / "out" / "people.csv",
            edges=tmp_path / "out" / "edges.csv",
            levels=LEVELS,
        )
        assert again.to_dict()["units"] == org.to_dict()["units"]
        assert cf.Org.from_json(org.to_json()).to_dict() == org.to_dict()
        assert cf.Org.from_graph(org.graph).to_dict()["units"] == org.to_dict()["units"]

    def test_graph_is_what_networkx_methods_make(self, tmp_path: Path) -> None:
        """The builder writes networkx's adjacency directly: the same graph, in the same orders,
        each edge with a data dict of its own, as add_node/add_edge would make it."""
        org = _org(tmp_path)
        expected = nx.MultiDiGraph()
        for u in org.to_dict()["units"]:
            expected.add_node(u["id"], kind="unit", level=u["level"], name=u["name"], pilot=u["pilot"])
        for u in org.to_dict()["units"]:
            if u["parent"] is not None:
                expected.add_edge(u["parent"], u["id"], key="administers")
        expected.add_node("sg6", kind="group", name="市委第六督导组")
        expected.add_edge("sg6", "zm", key="supervises")
        expected.add_edge("sg6", "hs", key="supervises")
        assert nx.utils.graphs_equal(org.graph, expected)
        for n in expected:
            assert list(org.graph.succ[n]) == list(expected.succ[n])
            assert list(org.graph.pred[n]) == list(expected.pred[n])
        org.graph.edges["sg6", "zm", "supervises"]["weight"] = 1
        assert "weight" not in org.graph.edges["sg6", "hs", "supervises"]
        org.graph.add_edge("sg6", "zm", key="other")  # networkx's own methods still work on it
        assert org.graph.has_edge("sg6", "zm", key="supervises")

    def test_formula_cells_are_escaped(self, tmp_path: Path) -> None:
        """A name a spreadsheet would execute is written with a leading quote, and read back intact."""
        org = cf.Org.from_dicts([{"id": "u1", "parent": None, "level": "x", "name": "=cmd|' /C calc'!A0"}])
        units, _, _ = org.to_csv(tmp_path)
        assert "'=cmd" in units.read_text(encoding="utf-8")
        assert cf.Org.from_csv(units).name_of("u1") == "=cmd|' /C calc'!A0"

    def test_plain_digraph(self) -> None:
        """A plain DiGraph with level attributes is read as the administrative tree."""
        g = nx.DiGraph()
        g.add_node("c", level="county")
        g.add_node("t", level="township")
        g.add_edge("c", "t")
        org = cf.Org.coerce(g)
        assert (org.parent("t"), org.levels) == ("c", ("county", "township"))
        assert json.loads(org.to_json())["levels"] == ["county", "township"]


class TestPicture:
    def test_small_org_as_mermaid(self, tmp_path: Path) -> None:
        """A small org draws as a flowchart with names, levels and pilots; a big one is refused."""
        text = _org(tmp_path).to_mermaid()
        assert text.startswith("flowchart TD")
        assert "大洪村 (village) · 试点" in text
        assert text.count("-->") == 6
        with pytest.raises(cf.OrgError, match="over 2"):
            _org(tmp_path).to_mermaid(limit=2)
