"""Building and validating an organisation graph from rows, whatever their source.

Every loader (CSV, JSON, dicts, a networkx graph) turns its input into rows that
remember where they came from (file and line), and this builder checks them:
empty and duplicate ids, unknown parents, orphans, cycles and level inversions,
each reported as an :class:`~campaignflow.OrgError` naming the place and the fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

import attrs
import networkx as nx

from campaignflow.exceptions import OrgError
from campaignflow.org.bulk import add_edges, add_nodes, gc_paused
from campaignflow.org.people import PeopleBuilder, PeopleTable
from campaignflow.org.people import Row as PersonTuple

ADMINISTERS = "administers"
SUPERVISES = "supervises"
MEMBER = "member"
CONTACTS = "contacts"
EDGE_TYPES = (ADMINISTERS, SUPERVISES, MEMBER, CONTACTS)


@attrs.frozen(kw_only=True)
class Where:
    """Where a row came from, for error messages."""

    path: str | None = None
    line: int | None = None

    def error(self, message: str) -> OrgError:
        """An OrgError located here."""
        return OrgError(message, path=self.path, line=self.line)


@attrs.frozen(kw_only=True)
class UnitRow:
    """A unit as read: ``parent`` is ``None`` for a root."""

    id: str
    parent: str | None
    level: str
    name: str
    pilot: bool
    where: Where


@attrs.frozen(kw_only=True)
class PersonRow:
    """A person attached to a unit or a group, with roles."""

    id: str
    name: str
    unit: str
    roles: frozenset[str]
    where: Where


@attrs.frozen(kw_only=True)
class WorkingGroupRow:
    """A working group of people (住村联户工作组): a leader, members, the units they are stationed in."""

    id: str
    name: str
    leader: str
    members: tuple[str, ...]
    units: tuple[str, ...]
    where: Where


@attrs.frozen(kw_only=True)
class EdgeRow:
    """A ``supervises`` (group → unit) or ``contacts`` (person → unit) edge."""

    source: str
    target: str
    type: str
    name: str
    where: Where


_CONTROL = re.compile("[\x00-\x1f]")  # C0 control characters

MAX_ID = 200  # the width of the stores' id columns (cf_steps.unit, cf_units.unit): refused here, not there


def clean_id(value: object, what: str, where: Where) -> str:
    """A stripped, non-empty id of at most ``MAX_ID`` characters; control characters refused."""
    if not isinstance(value, str):
        raise where.error(f"{what} must be a string, got {value!r}")
    text = value.strip()
    if not text:
        raise where.error(f"empty {what}: give every row an id")
    if _CONTROL.search(text):
        raise where.error(f"{what} {text!r} contains control characters: remove them")
    if len(text) > MAX_ID:
        raise where.error(
            f"{what} {text[:40]!r}... is {len(text)} characters long: keep ids to {MAX_ID} characters "
            "(the width of the store's id columns)"
        )
    return text


def parse_bool(value: object, where: Where) -> bool:
    """Read a pilot flag: 1/0, true/false, yes/no, 是/否, or empty."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    text = str(value).strip().lower()
    if text in {"", "0", "false", "no", "n", "否"}:
        return False
    if text in {"1", "true", "yes", "y", "是", "试点"}:
        return True
    raise where.error(f"pilot must be 1/0, true/false or yes/no, got {value!r}")


def parse_roles(value: object, where: Where) -> frozenset[str]:
    """Roles as a list, or a string separated by ``;``."""
    if isinstance(value, str):
        parts = value.split(";")
    elif isinstance(value, Iterable):
        parts = [str(v) for v in value]
    else:
        raise where.error(f"roles must be a list or a ';'-separated string, got {value!r}")
    roles = frozenset(p.strip() for p in parts if p.strip())
    # Most people share one of a few role sets: one frozenset each saves ~200 B a person.
    found = _ROLE_SETS.get(roles)
    if found is None and len(_ROLE_SETS) < _ROLE_SETS_KEPT:
        _ROLE_SETS[roles] = roles
    return found or roles


_ROLE_SETS: dict[frozenset[str], frozenset[str]] = {}
_ROLE_SETS_KEPT = 4_096  # distinct role sets shared; past that (hostile input), each is its own


Levels = Sequence[str] | Mapping[str, Sequence[str]]
"""What ``levels=`` takes: names from the top, or ``{level: (allowed parent levels, ...)}``."""


def _levels(levels: object) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]] | None] | None:
    """Declared levels, checked, and the parent levels each allows when given as a mapping.

    A sequence names the levels from the top (a unit's level must come after its
    parent's). A mapping names, for each level, the levels its units' parents may
    have (``()`` for a root level); its keys, in order, are the levels from the top,
    and a level's parents must come before it.
    """
    if levels is None:
        return None
    if isinstance(levels, Mapping):
        return _level_map(levels)
    if isinstance(levels, str) or not isinstance(levels, Iterable):
        msg = f"levels must be a list of level names from the top, got {levels!r}"
        raise OrgError(msg)
    names = tuple(levels)
    _check_names(names)
    return names, None


def _check_names(names: tuple[object, ...]) -> None:
    if not names or any(not isinstance(n, str) or not n.strip() for n in names):
        msg = f"levels must be non-empty strings, got {list(names)!r}"
        raise OrgError(msg)
    if len(set(names)) != len(names):
        msg = f"levels name a level twice: {list(names)!r}"
        raise OrgError(msg)


def _level_map(levels: Mapping[object, object]) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]]]:
    names = tuple(levels)
    _check_names(names)
    allowed: dict[str, tuple[str, ...]] = {}
    for name in names:
        assert isinstance(name, str)  # noqa: S101 - _check_names refused anything else
        raw = levels[name]
        if raw is None:
            raw = ()
        if isinstance(raw, str):
            raw = (raw,)
        if not isinstance(raw, Iterable):
            msg = f"levels[{name!r}] must list the allowed parent levels, got {raw!r}"
            raise OrgError(msg)
        parents = tuple(raw)
        earlier = names[: names.index(name)]
        wrong = [p for p in parents if p not in earlier]
        if wrong:
            msg = (
                f"levels[{name!r}] allows parents {wrong!r}, which are not levels declared above "
                f"{name!r} ({list(earlier)}): list each level after the levels its parents have"
            )
            raise OrgError(msg)
        allowed[name] = tuple(str(p) for p in parents)
    if not any(not parents for parents in allowed.values()):
        msg = f"levels {list(names)} give every level a parent: give the top level () for no parent"
        raise OrgError(msg)
    return tuple(allowed), allowed


def level_spec(levels: object) -> tuple[tuple[str, ...], dict[str, tuple[str, ...]] | None]:
    """Levels as names from the top, and the allowed parent levels when given as a mapping."""
    if isinstance(levels, Mapping):
        return _level_map(levels)
    if isinstance(levels, str) or not isinstance(levels, Iterable):
        msg = f"levels must be a list of level names from the top, got {levels!r}"
        raise OrgError(msg)
    return tuple(levels), None


def parent_refused(
    unit: str, level: str, parent: str | None, parent_level: str | None, allowed: tuple[str, ...]
) -> str | None:
    """Why a unit of ``level`` may not sit under a unit of ``parent_level``, or ``None``."""
    if parent_level is None:
        if allowed:
            return (
                f"orphan: unit {unit!r} (level {level!r}) has no parent; {level!r} units sit "
                f"under {' or '.join(repr(a) for a in allowed)} units: give it a parent"
            )
        return None
    if parent_level in allowed:
        return None
    where = " or ".join(repr(a) for a in allowed) if allowed else "no parent (a root level)"
    return (
        f"unit {unit!r} (level {level!r}) is under {parent!r} (level {parent_level!r}), but "
        f"levels allow {level!r} units only under {where}: fix the parent or the levels"
    )


class Builder:
    """Collects rows, then validates them into a graph."""

    def __init__(self, levels: Levels | None) -> None:
        found = _levels(levels)
        self.declared = None if found is None else found[0]
        self.allowed = None if found is None else found[1]
        self.units: dict[str, UnitRow] = {}
        self.people: list[PersonRow] = []
        self.edges: list[EdgeRow] = []
        self.groups: dict[str, str] = {}
        self.working: list[WorkingGroupRow] = []
        self.bulk: list[tuple[Iterable[PersonTuple], Where]] = []
        self.supervision: list[tuple[str, Sequence[str], Where]] = []

    def add_people(self, rows: Iterable[PersonTuple], where: Where) -> None:
        """Add people rows of ids already clean (a generated org), checked like any other by :meth:`graph`.

        ``rows`` may be a generator: it is read once, after the units' graph is made.
        """
        self.bulk.append((rows, where))

    def supervise(self, group: str, units: Sequence[str], where: Where) -> None:
        """Declare the ``supervises`` edges of ``group`` (declared with :meth:`group`) in one go."""
        self.supervision.append((group, units, where))

    def unit(self, row: UnitRow) -> None:
        """Add a unit, refusing duplicates."""
        first = self.units.get(row.id)
        if first is not None:
            where = f" (first at line {first.where.line})" if first.where.line else ""
            raise row.where.error(f"duplicate unit id {row.id!r}{where}: ids must be unique")
        self.units[row.id] = row

    def group(self, group_id: str, name: str, where: Where) -> None:
        """Declare a supervision group (once; later mentions may omit the name)."""
        if group_id in self.units:
            raise where.error(f"group id {group_id!r} is already a unit id: rename the group")
        if name or group_id not in self.groups:
            self.groups[group_id] = name or self.groups.get(group_id, "") or group_id

    def levels(self) -> tuple[str, ...]:
        """The declared levels, or levels inferred from parent → child pairs."""
        if self.declared is not None:
            return self.declared
        pairs: dict[tuple[str, str], list[UnitRow]] = {}
        order: dict[str, None] = {}
        for row in self.units.values():
            order.setdefault(row.level)
            if row.parent is not None and row.parent in self.units:
                pairs.setdefault((self.units[row.parent].level, row.level), []).append(row)
        for (upper, lower), rows in pairs.items():
            if upper == lower:
                row = rows[0]
                raise row.where.error(
                    f"unit {row.id!r} (level {lower!r}) is under {row.parent!r} of the same "
                    "level: levels must descend; fix the parent or declare levels=..."
                )
            back = pairs.get((lower, upper))
            if back is not None and len(back) <= len(rows):
                row = back[0]
                raise row.where.error(
                    f"level inversion: {row.id!r} (level {upper!r}) is under {row.parent!r} "
                    f"(level {lower!r}), but elsewhere {upper!r} units sit below {lower!r} "
                    "units; fix the parent or declare levels=..."
                )
        graph = nx.DiGraph()
        graph.add_nodes_from(order)
        graph.add_edges_from(pairs)
        try:
            return tuple(nx.lexicographical_topological_sort(graph, key=list(order).index))
        except nx.NetworkXUnfeasible:
            cycle = " → ".join(a for a, _ in nx.find_cycle(graph))
            msg = f"levels form a cycle ({cycle}): declare levels=... in order from the top"
            raise OrgError(msg) from None

    def check_tree(self, levels: tuple[str, ...]) -> None:
        """Unknown parents, orphans, level order and cycles."""
        index = {lv: i for i, lv in enumerate(levels)}
        top = levels[0] if levels else None
        allowed = self.allowed
        for row in self.units.values():
            if row.level not in index:
                raise row.where.error(
                    f"unit {row.id!r} has level {row.level!r}, not among the declared levels "
                    f"{list(levels)}: add it to levels=..."
                )
            if allowed is not None:
                parent_level = None if row.parent is None else self.units[row.parent].level
                refused = parent_refused(row.id, row.level, row.parent, parent_level, allowed[row.level])
                if refused is not None:
                    raise row.where.error(refused)
                continue
            if row.parent is None:
                if row.level != top and len(levels) > 1:
                    raise row.where.error(
                        f"orphan: unit {row.id!r} (level {row.level!r}) has no parent; only "
                        f"{top!r} units may be roots: give it a parent"
                    )
                continue
            parent = self.units[row.parent]
            if index[row.level] <= index[parent.level]:
                raise row.where.error(
                    f"level inversion: {row.id!r} ({row.level}) is under {parent.id!r} "
                    f"({parent.level}); a unit's level must come after its parent's in "
                    f"{list(levels)}"
                )

    def _check_cycles(self) -> None:
        state: dict[str, int] = {}  # 1: on the current path, 2: known to reach a root
        for start in self.units:
            path: list[str] = []
            node: str | None = start
            while node is not None and state.get(node) is None:
                state[node] = 1
                path.append(node)
                node = self.units[node].parent
            if node is not None and state.get(node) == 1:
                row = self.units[node]
                loop = path[path.index(node) :]
                raise row.where.error(
                    f"cycle in the administrative tree: {' → '.join(loop)} → {node}; "
                    "break it by fixing one parent"
                )
            for n in path:
                state[n] = 2

    def org_levels(self, found: tuple[str, ...]) -> Levels:
        """What to hand :class:`~campaignflow.Org`: the declared mapping, else ``found``."""
        return found if self.allowed is None else self.allowed

    def graph(self) -> tuple[nx.MultiDiGraph, PeopleTable, tuple[str, ...]]:
        """Validate everything and return the graph (units and groups), the people and the levels."""
        for row in self.units.values():
            if row.parent is not None and row.parent not in self.units:
                raise row.where.error(
                    f"unit {row.id!r} names unknown parent {row.parent!r}: "
                    "add that unit, or fix the parent id"
                )
        self._check_cycles()
        levels = self.levels()
        self.check_tree(levels)
        g = self._units_graph()
        people = self._people(g)
        for w in self.working:
            self._working(g, people, w)
        return g, people.table(), levels

    def _units_graph(self) -> nx.MultiDiGraph:
        g = nx.MultiDiGraph()
        rows = self.units.values()
        add_nodes(
            g, ((r.id, {"kind": "unit", "level": r.level, "name": r.name, "pilot": r.pilot}) for r in rows)
        )
        add_edges(g, ((r.parent, r.id) for r in rows if r.parent is not None), ADMINISTERS)
        for gid, name in self.groups.items():
            g.add_node(gid, kind="group", name=name)
        for gid, targets, where in self.supervision:
            if gid not in self.groups:
                raise where.error(f"group {gid!r} supervises units but was never declared: declare it")
            stray = [u for u in targets if u not in self.units]
            if stray:
                raise where.error(f"{SUPERVISES} edge to unknown unit {stray[0]!r}: fix the target")
            add_edges(g, ((gid, u) for u in targets), SUPERVISES)
        return g

    def _people(self, g: nx.MultiDiGraph) -> PeopleBuilder:
        # After the graph, so that the people's temporaries are freed as a whole. Holders are
        # numbered up front only when people are loaded: an org of units alone keeps no index.
        loaded = bool(self.people or self.bulk)
        people = PeopleBuilder((*self.units, *self.groups) if loaded else ())
        for e in self.edges:
            self._edge(g, people, e)
        for p in self.people:
            self._person(people, p)
        for bulk, where in self.bulk:

            def refuse(row: PersonTuple, where: Where = where) -> None:
                pid, name, holder, roles = row
                self._person(people, PersonRow(id=pid, name=name, unit=holder, roles=roles, where=where))

            people.members(bulk, refuse)
        return people

    def _working(self, g: nx.MultiDiGraph, people: PeopleBuilder, w: WorkingGroupRow) -> None:
        if w.id in g or w.id in people:
            raise w.where.error(f"working group id {w.id!r} is already a unit, group or person id: rename it")
        members = tuple(dict.fromkeys((w.leader, *w.members)))
        unknown = [p for p in members if p not in people]
        if unknown:
            raise w.where.error(
                f"working group {w.id!r} names {unknown!r}, who are not people of the org: "
                "add them to the people rows first"
            )
        stray = [u for u in w.units if u not in self.units]
        if stray:
            raise w.where.error(
                f"working group {w.id!r} is stationed in unknown units {stray!r}: fix the unit ids"
            )
        g.add_node(w.id, kind="working_group", name=w.name, leader=w.leader, members=members, units=w.units)

    def _edge(self, g: nx.MultiDiGraph, people: PeopleBuilder, e: EdgeRow) -> None:
        if e.target not in self.units:
            raise e.where.error(f"{e.type} edge to unknown unit {e.target!r}: fix the target")
        if e.type == SUPERVISES:
            g.add_edge(e.source, e.target, key=SUPERVISES)
        elif e.type == CONTACTS:
            if e.source in self.units or e.source in self.groups:
                raise e.where.error(f"contacts edge from {e.source!r}, which is not a person")
            people.contact(e.source, e.name, e.target)
        else:
            raise e.where.error(f"unknown edge type {e.type!r}: use 'supervises' or 'contacts'")

    def _person(self, people: PeopleBuilder, p: PersonRow) -> None:
        if p.id in self.units or p.id in self.groups:
            raise p.where.error(f"person id {p.id!r} is already a unit or group id")
        if p.unit not in self.units and p.unit not in self.groups:
            raise p.where.error(f"person {p.id!r} is attached to unknown unit or group {p.unit!r}")
        people.member(p.id, p.name, p.unit, p.roles)


def id_list(value: object, what: str, where: Where) -> tuple[str, ...]:
    """Ids as a list, or a string separated by ``;`` (CSV cells)."""
    if value is None:
        return ()
    if isinstance(value, str):
        parts: list[object] = [v for v in value.split(";") if v.strip()]
    elif isinstance(value, Iterable):
        parts = list(value)
    else:
        raise where.error(f"{what} must be a list of ids or a ';'-separated string, got {value!r}")
    return tuple(clean_id(v, what, where) for v in parts)


def working_group_row(w: Mapping[str, object], where: Where) -> WorkingGroupRow:
    """A working group row from a dict ``{"id", "name", "leader", "members", "units"}``."""
    _mapping(w, "working group", where)
    wid = clean_id(w.get("id"), "working group id", where)
    return WorkingGroupRow(
        id=wid,
        name=str(w.get("name") or wid),
        leader=clean_id(w.get("leader"), f"working group {wid!r} leader", where),
        members=id_list(w.get("members"), "member id", where),
        units=id_list(w.get("units"), "unit id", where),
        where=where,
    )


def _mapping(row: object, what: str, where: Where) -> None:
    """Refuse a row that is not a mapping of its fields, naming the row."""
    if not isinstance(row, Mapping):
        raise where.error(
            f"each {what} must be a mapping of its fields, got {type(row).__name__}: {row!r:.60}"
        )


@gc_paused()
def from_mappings(
    builder: Builder,
    units: Iterable[Mapping[str, object]],
    people: Iterable[Mapping[str, object]],
    groups: Iterable[Mapping[str, object]],
    contacts: Iterable[Mapping[str, object]],
    *,
    working_groups: Iterable[Mapping[str, object]] = (),
    path: str | None = None,
) -> None:
    """Fill ``builder`` from plain dicts (the shape of ``Org.to_dict``)."""
    for n, w in enumerate(working_groups, start=1):
        builder.working.append(working_group_row(w, Where(path=path, line=n if path is None else None)))
    for n, u in enumerate(units, start=1):
        where = Where(path=path, line=n if path is None else None)
        _mapping(u, "unit", where)
        uid = clean_id(u.get("id"), "unit id", where)
        parent_raw = u.get("parent")
        parent = None if parent_raw in (None, "") else clean_id(parent_raw, "parent id", where)
        level = clean_id(u.get("level", "unit"), "level", where)
        name = str(u.get("name") or uid)
        builder.unit(
            UnitRow(
                id=uid,
                parent=parent,
                level=level,
                name=name,
                pilot=parse_bool(u.get("pilot"), where),
                where=where,
            )
        )
    for n, grp in enumerate(groups, start=1):
        where = Where(path=path, line=n if path is None else None)
        _mapping(grp, "group", where)
        gid = clean_id(grp.get("id"), "group id", where)
        builder.group(gid, str(grp.get("name") or gid), where)
        supervised = grp.get("supervises") or ()
        if isinstance(supervised, str) or not isinstance(supervised, Iterable):
            raise where.error(f"group {gid!r}: 'supervises' must be a list of unit ids")
        for target in supervised:
            builder.edges.append(
                EdgeRow(
                    source=gid,
                    target=clean_id(target, "unit id", where),
                    type=SUPERVISES,
                    name="",
                    where=where,
                )
            )
    for n, p in enumerate(people, start=1):
        where = Where(path=path, line=n if path is None else None)
        _mapping(p, "person", where)
        builder.people.append(
            PersonRow(
                id=clean_id(p.get("id"), "person id", where),
                name=str(p.get("name") or ""),
                unit=clean_id(p.get("unit"), "unit id", where),
                roles=parse_roles(p.get("roles", ()), where),
                where=where,
            )
        )
    for n, c in enumerate(contacts, start=1):
        where = Where(path=path, line=n if path is None else None)
        _mapping(c, "contact", where)
        builder.edges.append(
            EdgeRow(
                source=clean_id(c.get("person"), "person id", where),
                target=clean_id(c.get("unit"), "unit id", where),
                type=CONTACTS,
                name=str(c.get("name") or ""),
                where=where,
            )
        )
