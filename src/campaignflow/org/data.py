"""An org as data: the dict ``Org.to_dict`` writes and ``Org.from_dict`` reads, and working groups."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import networkx as nx

from campaignflow.org.build import ADMINISTERS, CONTACTS, MEMBER, SUPERVISES, Levels


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
) -> dict[str, Any]:
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
    people = [
        {
            "id": a,
            "name": nodes[a].get("name") or a,
            "unit": b,
            "roles": sorted(data.get("roles", ())),
        }
        for a, b, k, data in g.edges(keys=True, data=True)
        if k == MEMBER
    ]
    contacts = [{"person": a, "unit": b} for a, b, k in g.edges(keys=True) if k == CONTACTS]
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
        "people": people,
        "contacts": contacts,
        "working_groups": working,
    }


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
