"""An org as data: the dict ``Org.to_dict`` writes and ``Org.from_dict`` reads, and working groups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import networkx as nx

from campaignflow.org.build import ADMINISTERS, CONTACTS, MEMBER, SUPERVISES, Levels
from campaignflow.org.people import PeopleBuilder, PeopleTable


@attrs.frozen(kw_only=True)
class WorkingGroup:
    """A working group of people (住村联户工作组): a name, a leader, members, where they are stationed.

    Attributes:
        id: the group's id (``"wg-03"``).
        name: its display name (``"第三住村联户工作组"``).
        leader: the leader's person id.
        members: every member's person id, the leader first.
        units: the units the group is stationed in.
    """

    id: str
    name: str
    leader: str
    members: tuple[str, ...]
    units: tuple[str, ...]


def graph_to_dict(
    g: nx.MultiDiGraph,
    levels: Levels | None,
    name: str,
    *,
    order: Sequence[str] | None = None,
    people: PeopleTable | None = None,
) -> dict[str, Any]:
    """The org document of a graph: its people from ``people``, else from the graph's person nodes."""
    if people is None:
        people = people_of_graph(g)
    nodes = g.nodes
    unit_ids = order if order is not None else [n for n, d in g.nodes(data=True) if d.get("kind") == "unit"]
    parent: dict[str, str] = {b: a for a, b, k in g.edges(keys=True) if k == ADMINISTERS}
    units = [
        {
            "id": u,
            "parent": parent.get(u),
            "level": nodes[u].get("level"),
            "name": nodes[u].get("name") or u,
            "pilot": bool(nodes[u].get("pilot", False)),
        }
        for u in unit_ids
    ]
    groups = [
        {
            "id": gid,
            "name": d.get("name") or gid,
            "supervises": [t for t, edges in g.succ[gid].items() if SUPERVISES in edges],
        }
        for gid, d in g.nodes(data=True)
        if d.get("kind") == "group"
    ]
    rows = [
        {"id": pid, "name": person_name, "unit": holder, "roles": sorted(roles)}
        for pid, person_name, holder, roles in people.rows()
    ]
    contacts = [{"person": pid, "unit": unit} for pid, unit in people.contact_rows()]
    working = [
        {
            "id": n,
            "name": d.get("name") or n,
            "leader": d["leader"],
            "members": list(d["members"]),
            "units": list(d["units"]),
        }
        for n, d in g.nodes(data=True)
        if d.get("kind") == "working_group"
    ]
    return {
        "name": name,
        "levels": _levels_data(levels),
        "units": units,
        "groups": groups,
        "people": rows,
        "contacts": contacts,
        "working_groups": working,
    }


def people_of_graph(g: nx.MultiDiGraph) -> PeopleTable:
    """The people of a graph typed the older way, with ``kind="person"`` nodes joined by
    ``member`` and ``contacts`` edges, in the orders of the graph's own adjacency."""
    built = PeopleBuilder()
    nodes = g.nodes
    persons = [n for n, d in nodes(data=True) if d.get("kind") == "person"]
    for n in persons:
        built.person(str(n), str(nodes[n].get("name") or ""))
    if not persons:
        return built.table()
    succ, pred = g.succ, g.pred
    for n in persons:
        for target, keys in succ[n].items():
            if CONTACTS in keys:
                built.contact(str(n), "", str(target))
            if MEMBER in keys:
                built.member(str(n), "", str(target), frozenset(keys[MEMBER].get("roles", ())))
    built.contacted = {
        str(u): {built.index[p]: None for p, keys in pred[u].items() if CONTACTS in keys}
        for u in built.contacted
    }
    pair = {(built.m_person[m], built.m_holder[m]): m for m in range(len(built.m_person))}
    by_person = list(range(len(built.m_person)))  # added person by person, in each one's order
    by_holder = [
        pair[built.index[p], h]
        for holder, h in built.holder_index.items()
        for p, keys in pred[holder].items()
        if MEMBER in keys and p in built
    ]
    built.orders = (by_holder, by_person)
    return built.table()


def _levels_data(levels: Levels | None) -> list[str] | dict[str, list[str]] | None:
    if levels is None:
        return None
    if isinstance(levels, Mapping):
        return {lv: list(parents) for lv, parents in levels.items()}
    return list(levels)


def working_group_of(node: str, data: Mapping[str, Any]) -> WorkingGroup:
    return WorkingGroup(
        id=node,
        name=str(data.get("name") or node),
        leader=str(data["leader"]),
        members=tuple(data["members"]),
        units=tuple(data["units"]),
    )
