"""The organisation: one ``networkx.MultiDiGraph`` with typed edges, and its people.

Nodes are units (``kind="unit"``: level, name, pilot), supervision groups
(``kind="group"``) and working groups (``kind="working_group"``). Edge keys are
the edge types: ``administers`` (parent unit → child unit, a tree whose levels
descend) and ``supervises`` (group → unit). People are not nodes: their
memberships (person → unit or group, with roles) and contact points (person →
unit) live in a compact table (``campaignflow.org.people``), read by the same methods.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from os import PathLike
from pathlib import Path
from typing import Any

import attrs
import networkx as nx

from campaignflow.exceptions import OrgError, UnknownUnit
from campaignflow.org.build import (
    ADMINISTERS,
    SUPERVISES,
    Builder,
    Levels,
    from_mappings,
    level_spec,
    parent_refused,
)
from campaignflow.org.bulk import gc_paused
from campaignflow.org.data import WorkingGroup, graph_to_dict, people_of_graph, working_group_of
from campaignflow.org.io import read_csv, read_json, read_working_groups, write_csv
from campaignflow.org.people import PeopleTable
from campaignflow.org.suggest import closest


@attrs.frozen(kw_only=True)
class Person:
    """Someone attached to units or groups of the org.

    Attributes:
        id: the person's id (``"p-000123"``).
        name: their display name (``"张三"``).
    """

    id: str
    name: str


class Org:
    """An organisation: units in an administrative tree, groups, people, contacts.

    Build one with a loader (:meth:`from_csv`, :meth:`from_json`,
    :meth:`from_dicts`, :meth:`from_graph`, :meth:`from_units`); the constructor
    takes an already-typed graph and validates it the same way.

    Args:
        graph: the typed graph (see the module docstring).
        levels: level names from the top (``("county", "township", "village")``), or a
            mapping from each level to the levels its units' parents may have
            (``{"county": (), "township": ("county",), "village": ("township",)}``).
        name: the org's name, used in messages.
        people: the people table; when omitted, read from the graph's person
            nodes (``kind="person"``, with ``member`` and ``contacts`` edges).

    Raises:
        OrgError: the graph is not a valid org.
    """

    def __init__(
        self,
        graph: nx.MultiDiGraph,
        *,
        levels: Levels,
        name: str = "org",
        people: PeopleTable | None = None,
    ) -> None:
        self._graph = graph
        self._people = people_of_graph(graph) if people is None else people
        self._levels, self._allowed = level_spec(levels)
        self._name = name
        self._level_index = {lv: i for i, lv in enumerate(self._levels)}
        self._parent: dict[str, str | None] = {}
        self._children: dict[str, tuple[str, ...]] = {}
        self._order: tuple[str, ...] | None = None
        self._pilots: frozenset[str] | None = None
        self._working: tuple[WorkingGroup, ...] | None = None
        self._working_of: dict[str, tuple[WorkingGroup, ...]] | None = None
        self._alphabet: str | None = None  # the characters ids use, worked out at the first typo
        self._index()

    def _index(self) -> None:
        g = self._graph
        parent = self._parent
        children: dict[str, list[str]] = {}
        for u, d in g.nodes(data=True):
            if d.get("kind") != "unit":
                continue
            if d.get("level") not in self._level_index:
                msg = f"unit {u!r} has level {d.get('level')!r}, not among {list(self._levels)}"
                raise OrgError(msg)
            parent[u] = None
        # adjacency() hands out networkx's own dicts, without the edges view's tuple per edge
        administered = (
            (a, b) for a, nbrs in g.adjacency() for b, keys in nbrs.items() if ADMINISTERS in keys
        )
        for a, b in administered:
            if b not in parent or a not in parent:
                msg = f"administers edge {a!r} → {b!r} joins something that is not a unit"
                raise OrgError(msg)
            if parent[b] is not None:
                msg = f"unit {b!r} has two parents ({parent[b]!r} and {a!r}): keep one"
                raise OrgError(msg)
            parent[b] = a
            children.setdefault(a, []).append(b)
        self._children = {k: tuple(v) for k, v in children.items()}
        if self._allowed is not None:
            self._check_parents()
        if len(self.units_ordered()) != len(parent):
            msg = "the administrative edges contain a cycle: every unit must lead up to a root"
            raise OrgError(msg)

    def _check_parents(self) -> None:
        allowed = self._allowed
        assert allowed is not None  # noqa: S101 - called only when levels are a mapping
        nodes = self._graph.nodes
        for unit, parent in self._parent.items():
            level = nodes[unit]["level"]
            parent_level = None if parent is None else nodes[parent]["level"]
            refused = parent_refused(unit, level, parent, parent_level, allowed[level])
            if refused is not None:
                raise OrgError(refused)

    # ------------------------------------------------------------ loaders

    @classmethod
    def from_units(cls, ids: Iterable[str], *, level: str = "unit", name: str = "org") -> Org:
        """A flat org: the given unit ids, all roots, one level."""
        return cls.from_dicts(
            ({"id": u, "parent": None, "level": level} for u in ids), levels=(level,), name=name
        )

    @classmethod
    def from_dicts(
        cls,
        units: Iterable[Mapping[str, object]],
        *,
        people: Iterable[Mapping[str, object]] = (),
        groups: Iterable[Mapping[str, object]] = (),
        contacts: Iterable[Mapping[str, object]] = (),
        levels: Levels | None = None,
        name: str = "org",
        working_groups: Iterable[Mapping[str, object]] = (),
    ) -> Org:
        """Build from plain dicts.

        Args:
            units: ``{"id", "parent" (None or "" for a root), "level", "name"?, "pilot"?}``.
            people: ``{"id", "name", "unit" (a unit or group id), "roles" (list or "a;b")}``;
                a person may appear in several rows, for several units.
            groups: supervision groups ``{"id", "name", "supervises": [unit ids]}``;
                their members are people rows whose ``unit`` is the group id.
            contacts: ``{"person", "unit"}``: a person's contact points (联系点).
            levels: level names from the top, or ``{level: (allowed parent levels, ...)}``
                (``()`` for the top level); inferred from the tree when omitted.
            name: the org's name.
            working_groups: working groups of people ``{"id", "name", "leader",
                "members": [person ids], "units": [unit ids]}`` (住村联户工作组).

        Raises:
            OrgError: naming the row (1-based) and the fix.
        """
        builder = Builder(levels)
        from_mappings(builder, units, people, groups, contacts, working_groups=working_groups)
        return built(builder, name=name)

    @classmethod
    def from_csv(
        cls,
        units: str | PathLike[str],
        *,
        people: str | PathLike[str] | None = None,
        edges: str | PathLike[str] | None = None,
        levels: Levels | None = None,
        name: str | None = None,
        working_groups: str | PathLike[str] | None = None,
    ) -> Org:
        """Load from CSV files (UTF-8, with or without BOM).

        Args:
            units: ``id,parent,level,name[,pilot]``.
            people: ``id,name,unit,roles`` (roles separated by ``;``).
            edges: ``source,target,type[,name]`` with type ``supervises`` (source: a
                group id, created on first use, named by ``name``) or ``contacts``
                (source: a person id).
            levels: level names from the top, or ``{level: (allowed parent levels, ...)}``;
                inferred when omitted.
            name: the org's name (default: the units file's stem).
            working_groups: ``id,name,leader,members,units`` (members and units
                separated by ``;``).

        Raises:
            OrgError: naming the file, the line and the fix.
        """
        builder = Builder(levels)
        read_csv(builder, units, people, edges)
        if working_groups is not None:
            read_working_groups(builder, working_groups)
        return built(builder, name=name or Path(units).stem)

    @classmethod
    def from_json(cls, source: str | PathLike[str] | Mapping[str, Any]) -> Org:
        """Load from :meth:`to_json` output: a path, a JSON string, or the parsed dict.

        Raises:
            OrgError: malformed, too deep (> 64 levels of nesting) or too large (> 50 MB).
        """
        data, path = read_json(source)
        builder = Builder(data.get("levels"))
        from_mappings(
            builder,
            data.get("units") or (),
            data.get("people") or (),
            data.get("groups") or (),
            data.get("contacts") or (),
            working_groups=data.get("working_groups") or (),
            path=path,
        )
        return built(builder, name=str(data.get("name") or "org"))

    @classmethod
    def from_graph(cls, graph: nx.Graph, *, levels: Levels | None = None, name: str = "org") -> Org:
        """Adopt a networkx graph.

        A ``MultiDiGraph`` typed as described in the module docstring is used as
        is; any other directed graph is read as units (nodes with a ``level``
        attribute) joined by parent → child edges.
        """
        typed = isinstance(graph, nx.MultiDiGraph) and any(
            d.get("kind") == "unit" for _, d in graph.nodes(data=True)
        )
        if typed:
            return cls.from_dict(graph_to_dict(graph, levels, name))
        if not graph.is_directed():
            msg = "from_graph needs a directed graph (parent → child edges)"
            raise OrgError(msg)
        parents: dict[Any, Any] = {b: a for a, b in graph.edges()}
        rows = [
            {
                "id": str(n),
                "parent": None if n not in parents else str(parents[n]),
                "level": str(d.get("level", "unit")),
                "name": str(d.get("name") or n),
                "pilot": bool(d.get("pilot", False)),
            }
            for n, d in graph.nodes(data=True)
        ]
        return cls.from_dicts(rows, levels=levels, name=name)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Org:
        """Build from :meth:`to_dict` output.

        Raises:
            OrgError: ``data`` is not a mapping, or holds a bad entry (named by its row).
        """
        given: object = data  # callers outside mypy pass anything
        if not isinstance(given, Mapping):
            msg = f"an org document must be a mapping with a 'units' list, got {type(given).__name__}"
            raise OrgError(msg)
        data, _ = read_json(data)
        return cls.from_dicts(
            data.get("units", ()),
            people=data.get("people", ()),
            groups=data.get("groups", ()),
            contacts=data.get("contacts", ()),
            levels=data.get("levels"),
            name=str(data.get("name") or "org"),
            working_groups=data.get("working_groups", ()),
        )

    @classmethod
    def coerce(cls, obj: Org | Iterable[str] | nx.Graph) -> Org:
        """An Org as is; a networkx graph adopted; an iterable of ids as a flat org."""
        if isinstance(obj, Org):
            return obj
        if isinstance(obj, nx.Graph):
            return cls.from_graph(obj)
        if isinstance(obj, str):
            msg = f"expected an Org or a list of unit ids, got the string {obj!r}"
            raise OrgError(msg)
        return cls.from_units(obj)

    # ------------------------------------------------------------ exporters

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data that :meth:`from_dict` / :meth:`from_json` read back."""
        levels = self._levels if self._allowed is None else self._allowed
        return graph_to_dict(self._graph, levels, self._name, order=self.units_ordered(), people=self._people)

    def to_json(self) -> str:
        """:meth:`to_dict` as a JSON string (UTF-8 text, Chinese kept as is)."""
        import json  # noqa: PLC0415

        return json.dumps(self.to_dict(), ensure_ascii=False, indent=1)

    def to_csv(self, directory: str | PathLike[str]) -> tuple[Path, Path, Path]:
        """Write ``units.csv``, ``people.csv`` and ``edges.csv`` into ``directory``.

        Cells a spreadsheet would execute (starting ``=``, ``+``, ``-``, ``@``) are
        prefixed with ``'``.
        """
        return write_csv(self.to_dict(), Path(directory))

    def to_mermaid(self, *, limit: int = 200) -> str:
        """The administrative tree as a mermaid flowchart, pilots marked (试点).

        Raises:
            OrgError: the org has more than ``limit`` units: no picture a person can read.
        """
        if len(self) > limit:
            msg = (
                f"org {self._name!r} has {len(self)} units, over {limit}: report on it instead of drawing it"
            )
            raise OrgError(msg)
        ids = {u: f"u{i}" for i, u in enumerate(self)}
        lines = ["flowchart TD"]
        for unit in self:
            pilot = " · 试点" if self.is_pilot(unit) else ""
            name = self.name_of(unit).replace('"', "'")
            lines.append(f'    {ids[unit]}["{name} ({self.level(unit)}){pilot}"]')
            parent = self._parent[unit]
            if parent is not None:
                lines.append(f"    {ids[parent]} --> {ids[unit]}")
        return "\n".join(lines)

    # ------------------------------------------------------------ queries

    @property
    def name(self) -> str:
        """The org's name."""
        return self._name

    @property
    def levels(self) -> tuple[str, ...]:
        """Level names from the top."""
        return self._levels

    @property
    def level_parents(self) -> Mapping[str, tuple[str, ...]] | None:
        """The parent levels each level allows, when levels were declared as a mapping."""
        return None if self._allowed is None else dict(self._allowed)

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The graph of units and groups (treat as read-only); people are in :meth:`persons`."""
        return self._graph

    def persons(self) -> Iterator[str]:
        """Every person id, in the order first loaded."""
        return iter(self._people.ids())

    def __len__(self) -> int:
        return len(self._parent)

    def __contains__(self, unit: object) -> bool:
        return unit in self._parent

    def __iter__(self) -> Iterator[str]:
        return iter(self.units_ordered())

    def __repr__(self) -> str:
        return f"<Org {self._name!r}: {len(self)} units, levels {list(self._levels)}>"

    def units(self) -> Iterator[str]:
        """Unit ids, roots first, breadth first (parents before children)."""
        return iter(self.units_ordered())

    def units_ordered(self) -> tuple[str, ...]:
        """Unit ids breadth first, as a cached tuple."""
        if self._order is None:
            out: list[str] = []
            queue = deque(u for u, p in self._parent.items() if p is None)
            children = self._children
            while queue:
                u = queue.popleft()
                out.append(u)
                queue.extend(children.get(u, ()))
            self._order = tuple(out)
        return self._order

    def require(self, unit: str) -> None:
        """Raise :class:`UnknownUnit` (with suggestions) unless ``unit`` is a unit."""
        if unit not in self._parent:
            raise UnknownUnit(unit, org=self._name, suggestions=self.suggest(unit))

    def suggest(self, unit: object) -> tuple[str, ...]:
        """Unit ids close to ``unit``, for error messages.

        A clerk often types the unit's name (``"城关镇"``) where its id is wanted:
        the units with that display name come first.
        """
        if not isinstance(unit, str):
            return ()
        named = [u for u in self._parent if self.name_of(u) == unit][:3]
        if len(unit) > 200:  # noqa: PLR2004 - no id is longer (org/build.py's MAX_ID)
            return tuple(named)
        if self._alphabet is None:
            self._alphabet = "".join(sorted({c for u in self._parent for c in u}))
        close = closest(unit, self._parent, self._alphabet)
        return tuple(dict.fromkeys([*named, *close]))[:3]

    def roots(self) -> tuple[str, ...]:
        """Units without a parent."""
        return tuple(u for u, p in self._parent.items() if p is None)

    def root(self) -> str:
        """The single root unit.

        Raises:
            OrgError: the org has several roots (or none).
        """
        roots = self.roots()
        if len(roots) != 1:
            msg = f"org {self._name!r} has {len(roots)} roots, not one: name the unit you mean"
            raise OrgError(msg)
        return roots[0]

    def parent(self, unit: str) -> str | None:
        """The administrative parent, or ``None`` for a root."""
        try:
            return self._parent[unit]
        except KeyError:
            raise UnknownUnit(unit, org=self._name, suggestions=self.suggest(unit)) from None

    def children(self, unit: str) -> tuple[str, ...]:
        """The units directly below ``unit``."""
        return self._children.get(unit, ())

    def ancestors(self, unit: str) -> tuple[str, ...]:
        """Parent, grandparent, ..., root."""
        out: list[str] = []
        node = self.parent(unit)
        while node is not None:
            out.append(node)
            node = self._parent[node]
        return tuple(out)

    def depth(self, unit: str) -> int:
        """0 for a root, 1 for its children, and so on."""
        return len(self.ancestors(unit))

    def subtree(self, unit: str) -> Iterator[str]:
        """``unit`` and every unit below it, breadth first."""
        self.require(unit)
        queue = deque((unit,))
        while queue:
            u = queue.popleft()
            yield u
            queue.extend(self._children.get(u, ()))

    def is_ancestor(self, ancestor: str, unit: str) -> bool:
        """True when ``ancestor`` is ``unit`` or above it (O(depth))."""
        node: str | None = unit
        parent = self._parent
        while node is not None:
            if node == ancestor:
                return True
            node = parent.get(node)
        return False

    def level(self, unit: str) -> str:
        """The unit's level name."""
        self.require(unit)
        return str(self._graph.nodes[unit]["level"])

    def levels_of(self, units: Iterable[str]) -> list[str]:
        """The level names of ``units`` (each known to be a unit): a batch's :meth:`level`, in one pass."""
        return [d["level"] for d in map(self._graph._node.__getitem__, units)]  # noqa: SLF001 - networkx's node dict

    def level_index(self, unit: str) -> int:
        """The position of the unit's level in :attr:`levels`."""
        return self._level_index[self.level(unit)]

    def name_of(self, node: str) -> str:
        """The display name of a unit, group or person (the id when unknown)."""
        if node not in self._graph:  # a person: a miss in the graph's node view costs an exception
            i = self._people.find(node)
            return node if i is None else self._people.name(i)
        return str(self._graph.nodes[node].get("name") or node)

    def is_pilot(self, unit: str) -> bool:
        """True when the unit is marked as a pilot (试点)."""
        self.require(unit)
        return bool(self._graph.nodes[unit].get("pilot", False))

    def pilots(self) -> frozenset[str]:
        """Every pilot unit."""
        if self._pilots is None:
            nodes = self._graph.nodes
            self._pilots = frozenset(u for u in self._parent if nodes[u].get("pilot"))
        return self._pilots

    def people(self, unit: str, role: str | None = None) -> tuple[str, ...]:
        """Person ids attached to a unit (or group) with ``role`` (all people when ``None``)."""
        return self._people.people(unit, role)

    def roles_of(self, person: str, unit: str) -> frozenset[str]:
        """The roles ``person`` holds at ``unit`` (empty when none)."""
        return self._people.roles_of(person, unit)

    def memberships(self, person: str) -> dict[str, frozenset[str]]:
        """The units and groups ``person`` is attached to, with the roles held at each."""
        return self._people.memberships(person)

    def all_roles(self, person: str) -> frozenset[str]:
        """Every role ``person`` holds anywhere in the org."""
        return frozenset(r for roles in self.memberships(person).values() for r in roles)

    def person(self, person_id: str) -> Person:
        """The person with this id.

        Raises:
            OrgError: no such person.
        """
        i = self._people.find(person_id)
        if i is None:
            msg = f"unknown person {person_id!r} in org {self._name!r}"
            raise OrgError(msg)
        return Person(id=person_id, name=self._people.name(i))

    def groups(self) -> tuple[str, ...]:
        """Supervision group ids."""
        return tuple(n for n, d in self._graph.nodes(data=True) if d.get("kind") == "group")

    def supervising_groups(self, unit: str) -> tuple[str, ...]:
        """Groups with a ``supervises`` edge to ``unit``."""
        pred = self._graph.pred.get(unit, {})
        return tuple(g for g, edges in pred.items() if SUPERVISES in edges)

    def supervised(self, group: str) -> tuple[str, ...]:
        """The units ``group`` has a ``supervises`` edge to (empty for an unknown group)."""
        succ = self._graph.succ.get(group, {})
        return tuple(u for u, edges in succ.items() if SUPERVISES in edges)

    def supervisors(self, unit: str) -> frozenset[str]:
        """People who are members of a group supervising ``unit``."""
        return frozenset(p for g in self.supervising_groups(unit) for p in self.people(g))

    def contacts(self, person: str) -> tuple[str, ...]:
        """The person's contact-point units (联系点)."""
        return self._people.contacts(person)

    def working_groups(self) -> tuple[WorkingGroup, ...]:
        """Every working group of people (住村联户工作组), in the order loaded."""
        if self._working is None:
            nodes = self._graph.nodes(data=True)
            found = (working_group_of(n, d) for n, d in nodes if d.get("kind") == "working_group")
            self._working = tuple(found)
        return self._working

    def working_group(self, group: str) -> WorkingGroup:
        """The working group with this id.

        Raises:
            OrgError: no such working group.
        """
        data = self._graph.nodes.get(group)
        if data is None or data.get("kind") != "working_group":
            known = ", ".join(w.id for w in self.working_groups()) or "(none)"
            msg = f"unknown working group {group!r} in org {self._name!r}; known: {known}"
            raise OrgError(msg)
        return working_group_of(group, data)

    def working_groups_of(self, person: str) -> tuple[WorkingGroup, ...]:
        """The working groups ``person`` leads or belongs to."""
        if self._working_of is None:
            index: dict[str, list[WorkingGroup]] = {}
            for w in self.working_groups():
                for member in w.members:
                    index.setdefault(member, []).append(w)
            self._working_of = {p: tuple(ws) for p, ws in index.items()}
        return self._working_of.get(person, ())

    def working_groups_at(self, unit: str) -> tuple[WorkingGroup, ...]:
        """The working groups stationed in ``unit``."""
        return tuple(w for w in self.working_groups() if unit in w.units)

    def contacted_by(self, unit: str) -> tuple[str, ...]:
        """People who have ``unit`` as a contact point."""
        return self._people.contacted_by(unit)


def built(builder: Builder, *, name: str) -> Org:
    """The org a filled :class:`~campaignflow.org.build.Builder` validates into."""
    with gc_paused():
        graph, people, found = builder.graph()
        return Org(graph, levels=builder.org_levels(found), name=name, people=people)
