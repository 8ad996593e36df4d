"""The people table answers every query the graph of person nodes answered, identically.

The reference is the graph the builder made before people left it (a
``kind="person"`` node per person, ``member`` and ``contacts`` edges), queried
with the code ``Org`` had then; orgs come from the project's strategies, people,
groups and contact points are drawn on top (repeated rows, empty names and
contact-only people included).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import campaignflow as cf
from campaignflow.org.build import Builder, UnitRow, Where
from campaignflow.org.graph import built
from campaignflow.testing import strategies as cst

ROLES = ("a", "b", "c")
POOL = tuple(f"p{i}" for i in range(6))
CONTACT_ONLY = ("q0", "q1")


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """An org document: units from the project's strategy, then groups, people and contacts."""
    units = draw(cst.orgs(fanout=(1, 3), pilots=True)).to_dict()["units"]
    unit_ids = [u["id"] for u in units]
    groups = [
        {"id": f"g{i}", "name": draw(st.sampled_from(["", f"组{i}"])), "supervises": supervised}
        for i, supervised in enumerate(
            draw(st.lists(st.lists(st.sampled_from(unit_ids), max_size=4, unique=True), max_size=3))
        )
    ]
    holders = unit_ids + [g["id"] for g in groups]
    person = st.sampled_from(POOL)
    people = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "id": person,
                    "name": st.sampled_from(["", "张三", "李四"]) | person,
                    "unit": st.sampled_from(holders),
                    "roles": st.lists(st.sampled_from(ROLES), max_size=3),
                }
            ),
            max_size=14,
        )
    )
    contacts = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "person": st.sampled_from(POOL + CONTACT_ONLY),
                    "unit": st.sampled_from(unit_ids),
                    "name": st.sampled_from(["", "王五"]),
                }
            ),
            max_size=6,
        )
    )
    return {"levels": ["county", "township", "village"], "units": units, "groups": groups,
            "people": people, "contacts": contacts}  # fmt: skip


# ---------------------------------------------------------------- the reference


def reference_graph(doc: dict[str, Any]) -> nx.MultiDiGraph:
    """The graph as the builder made it with people as nodes (its order of work kept)."""
    g = nx.MultiDiGraph()
    for u in doc["units"]:
        g.add_node(u["id"], kind="unit", level=u["level"], name=u["name"], pilot=u["pilot"])
    for u in doc["units"]:
        if u["parent"] is not None:
            g.add_edge(u["parent"], u["id"], key="administers")
    for grp in doc["groups"]:
        g.add_node(grp["id"], kind="group", name=grp["name"] or grp["id"])
    for grp in doc["groups"]:
        for target in grp["supervises"]:
            g.add_edge(grp["id"], target, key="supervises")
    for c in doc["contacts"]:
        if c["person"] not in g:
            g.add_node(c["person"], kind="person", name=c.get("name") or c["person"])
        g.add_edge(c["person"], c["unit"], key="contacts")
    for p in doc["people"]:
        _reference_person(g, p)
    return g


def _reference_person(g: nx.MultiDiGraph, p: dict[str, Any]) -> None:
    """A people row as ``Builder._person`` added it to the graph."""
    roles = frozenset(p["roles"])
    data = g.nodes.get(p["id"])
    if data is None:
        g.add_node(p["id"], kind="person", name=p["name"] or p["id"])
    elif p["name"] and data.get("name") in {"", p["id"]}:
        data["name"] = p["name"]
    if g.has_edge(p["id"], p["unit"], key="member"):
        edge = g.edges[p["id"], p["unit"], "member"]
        edge["roles"] = edge["roles"] | roles
    else:
        g.add_edge(p["id"], p["unit"], key="member", roles=roles)


def ref_people(g: nx.MultiDiGraph, unit: str, role: str | None) -> tuple[str, ...]:
    pred = g.pred.get(unit)
    if pred is None:
        return ()
    out = []
    for person, edges in pred.items():
        data = edges.get("member")
        if data is not None and (role is None or role in data["roles"]):
            out.append(person)
    return tuple(out)


def ref_memberships(g: nx.MultiDiGraph, person: str) -> dict[str, frozenset[str]]:
    succ = g.succ.get(person, {})
    return {u: frozenset(edges["member"]["roles"]) for u, edges in succ.items() if "member" in edges}


def ref_roles_of(g: nx.MultiDiGraph, person: str, unit: str) -> frozenset[str]:
    data = g.get_edge_data(person, unit, key="member")
    return frozenset() if data is None else frozenset(data["roles"])


def ref_contacts(g: nx.MultiDiGraph, person: str) -> tuple[str, ...]:
    return tuple(u for u, edges in g.succ.get(person, {}).items() if "contacts" in edges)


def ref_contacted_by(g: nx.MultiDiGraph, unit: str) -> tuple[str, ...]:
    return tuple(p for p, edges in g.pred.get(unit, {}).items() if "contacts" in edges)


def ref_name_of(g: nx.MultiDiGraph, node: str) -> str:
    data = g.nodes.get(node)
    return node if data is None else str(data.get("name") or node)


def ref_person(g: nx.MultiDiGraph, person: str) -> cf.Person | None:
    data = g.nodes.get(person)
    if data is None or data.get("kind") != "person":
        return None
    return cf.Person(id=person, name=str(data.get("name") or person))


def ref_supervisors(g: nx.MultiDiGraph, unit: str) -> frozenset[str]:
    groups = [x for x, edges in g.pred.get(unit, {}).items() if "supervises" in edges]
    return frozenset(p for x in groups for p in ref_people(g, x, None))


def ref_rows(g: nx.MultiDiGraph) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The people and contacts rows ``to_dict`` wrote from the graph."""
    nodes = g.nodes
    people = [
        {"id": a, "name": nodes[a].get("name") or a, "unit": b, "roles": sorted(d.get("roles", ()))}
        for a, b, k, d in g.edges(keys=True, data=True)
        if k == "member"
    ]
    contacts = [{"person": a, "unit": b} for a, b, k in g.edges(keys=True) if k == "contacts"]
    return people, contacts


# ---------------------------------------------------------------- the comparison


def assert_same_answers(org: cf.Org, g: nx.MultiDiGraph, doc: dict[str, Any]) -> None:
    holders = [u["id"] for u in doc["units"]] + [grp["id"] for grp in doc["groups"]] + ["nowhere"]
    persons = [*POOL, *CONTACT_ONLY, "nobody", holders[0]]
    for h in holders:
        for role in (None, *ROLES, "zz"):
            assert org.people(h, role) == ref_people(g, h, role), (h, role)
        assert org.contacted_by(h) == ref_contacted_by(g, h), h
        assert org.name_of(h) == ref_name_of(g, h), h
        if h in org:
            assert org.supervisors(h) == ref_supervisors(g, h), h
    for p in persons:
        assert org.memberships(p) == ref_memberships(g, p), p
        assert org.all_roles(p) == frozenset(r for rs in ref_memberships(g, p).values() for r in rs)
        assert org.contacts(p) == ref_contacts(g, p), p
        assert org.name_of(p) == ref_name_of(g, p), p
        expected = ref_person(g, p)
        if expected is None:
            with pytest.raises(cf.OrgError, match="unknown person"):
                org.person(p)
        else:
            assert org.person(p) == expected
        for h in holders:
            assert org.roles_of(p, h) == ref_roles_of(g, p, h), (p, h)
    assert list(org.persons()) == [n for n, d in g.nodes(data=True) if d.get("kind") == "person"]
    people, contacts = ref_rows(g)
    data = org.to_dict()
    assert (data["people"], data["contacts"]) == (people, contacts)


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class TestPeopleTable:
    @SETTINGS
    @given(documents())
    def test_answers_as_the_graph_of_person_nodes_did(self, doc: dict[str, Any]) -> None:
        """Loaded from dicts, every query on people gives what the person-node graph gave."""
        assert_same_answers(cf.Org.from_dict(doc), reference_graph(doc), doc)

    @SETTINGS
    @given(documents())
    def test_round_trips_and_older_graphs_answer_the_same(self, doc: dict[str, Any]) -> None:
        """Read back from its JSON, and adopted from a graph with person nodes, the org answers as
        the person-node graph did (a document groups people rows by person, as it always did)."""
        g = reference_graph(doc)
        written = cf.Org.from_dict(doc).to_dict()  # its people rows equal the graph's (test above)
        assert_same_answers(
            cf.Org.from_json(cf.Org.from_dict(doc).to_json()), reference_graph(written), written
        )
        assert_same_answers(cf.Org.from_graph(g), reference_graph(written), written)
        assert_same_answers(cf.Org(g, levels=doc["levels"]), g, doc)

    def test_the_graph_holds_no_people(self) -> None:
        """People are in the table, not the graph: its nodes are units and groups."""
        org = cf.Org.from_dicts(
            [{"id": "c", "parent": None, "level": "county"}],
            people=[{"id": "p1", "name": "张三", "unit": "c", "roles": ["leadership"]}],
            groups=[{"id": "g", "supervises": ["c"]}],
            contacts=[{"person": "p2", "unit": "c"}],
        )
        assert set(org.graph.nodes) == {"c", "g"}
        assert list(org.persons()) == ["p2", "p1"]
        assert org.people("c") == ("p1",)
        assert org.contacted_by("c") == ("p2",)

    @pytest.mark.parametrize("opted_in", ["1", ""])
    def test_collector_paused_only_when_the_process_opts_in(
        self, opted_in: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """CAMPAIGNFLOW_PAUSE_GC=1 pauses the collector while an org is built; without it, it runs."""
        monkeypatch.setenv("CAMPAIGNFLOW_PAUSE_GC", opted_in)
        seen: list[bool] = []

        def rows() -> Iterator[dict[str, Any]]:
            for u in ("a", "b"):
                seen.append(gc.isenabled())
                yield {"id": u, "parent": None, "level": "x"}

        cf.Org.from_dicts(rows())
        assert seen == [opted_in != "1"] * 2
        assert gc.isenabled()

    def test_bulk_rows_are_checked_like_any_other(self) -> None:
        """A generated row whose person is a unit, or whose unit is unknown, is refused by name."""
        for row, message in (
            (("v1", "x", "c", frozenset()), "person id 'v1' is already a unit or group id"),
            (("p1", "x", "nowhere", frozenset()), "attached to unknown unit or group 'nowhere'"),
        ):
            builder = Builder(("county", "village"))
            where = Where(path="generated")
            builder.unit(UnitRow(id="c", parent=None, level="county", name="c", pilot=False, where=where))
            builder.unit(UnitRow(id="v1", parent="c", level="village", name="v1", pilot=False, where=where))
            builder.add_people(iter([("p0", "", "c", frozenset({"a"})), row]), where)
            with pytest.raises(cf.OrgError, match=message):
                built(builder, name="bulk")
            assert gc.isenabled()  # paused while building, back on after a refusal
