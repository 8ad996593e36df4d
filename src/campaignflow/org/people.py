"""People outside the graph: a compact table of who is attached where, with which roles.

A national org holds about two million people (three leaders a unit). As networkx
nodes with membership edges they cost about 1.1 KB each; here a person is a slice
of two shared strings (id, name) and a membership three array cells (person,
holder, role set), role sets interned: about 80 B a person, the index of units
included (240 B a unit of three leaders). The graph keeps units, supervision
groups and working groups; every query on people reads this table.

Orders are those the graph gave, so that nothing a caller sees changes: a
holder's people, and a person's memberships, come in the order their first link
was made, a contact point (联系点) counting before a membership row.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Sequence
from zlib import crc32

_INDEX = "I"  # 4-byte cells: a table holds far fewer than 2**32 people or memberships
_NONE = -1
Row = tuple[str, str, str, frozenset[str]]
"""A membership as loaded: ``(person id, name, unit or group id, roles)``."""


_EMPTY = 2**32 - 1


def _hash_index(ids: Sequence[str]) -> array[int]:
    """An open-addressing index of ``ids`` (person numbers in slots, probed linearly).

    4 B a slot, at most half full: 8-10 B a person where a dict of the ids would
    cost over 100. Hashed with crc32, not ``hash()``: the index stays valid in a
    process with another hash seed (a pickled org).
    """
    size = 8
    while size < 2 * len(ids):
        size *= 2
    slots = array(_INDEX, [_EMPTY]) * size
    mask = size - 1
    for i, pid in enumerate(ids):
        j = crc32(pid.encode("utf-8", "surrogatepass")) & mask
        while slots[j] != _EMPTY:
            j = (j + 1) & mask
        slots[j] = i
    return slots


def holder_of(holders: dict[str, int], h: int) -> str:
    """The holder numbered ``h`` (only to name one in an error: a scan)."""
    return next(k for k, v in holders.items() if v == h)


def _ends(texts: Sequence[str]) -> tuple[str, array[int]]:
    """The texts joined, and where each ends (8-byte cells when the text is that long)."""
    joined = "".join(texts)
    ends = array("Q" if len(joined) >= 2**32 else _INDEX)
    total = 0
    for t in texts:
        total += len(t)
        ends.append(total)
    return joined, ends


def _rank(order: list[int], key: Sequence[int], groups: int) -> tuple[array[int], array[int]]:
    """``order`` grouped by ``key`` (stable sort): the rows, and where each of ``groups`` starts."""
    rows = array(_INDEX, sorted(order, key=key.__getitem__))
    counts = [0] * (groups + 1)
    for k in key:
        counts[k + 1] += 1
    for i in range(1, len(counts)):
        counts[i] += counts[i - 1]
    return rows, array(_INDEX, counts)


class PeopleTable:
    """Who is attached to which unit or group, their names, roles and contact points; read-only."""

    __slots__ = (
        "_by_holder",
        "_by_person",
        "_contacted",
        "_contacts",
        "_holder",
        "_holder_start",
        "_holders",
        "_id_ends",
        "_ids",
        "_m_holder",
        "_m_person",
        "_m_roles",
        "_name_ends",
        "_names",
        "_person_start",
        "_role_sets",
        "_slots",
    )

    def __init__(self, built: PeopleBuilder) -> None:
        ids = built.ids
        self._ids, self._id_ends = _ends(ids)
        self._names, self._name_ends = _ends(built.names)
        self._slots = _hash_index(ids)
        self._holder = built.holder_index
        self._m_person = built.m_person
        self._m_holder = built.m_holder
        self._m_roles = built.m_roles
        self._role_sets = tuple(built.role_sets)
        first = built.first_link()
        by_holder, by_person = built.orders or (first, first)
        self._holders = tuple(self._holder)
        self._by_holder, self._holder_start = _rank(by_holder, self._m_holder, len(self._holders))
        self._by_person, self._person_start = _rank(by_person, self._m_person, len(ids))
        self._contacts = {p: tuple(units) for p, units in built.contacts.items()}
        self._contacted = {u: tuple(ps) for u, ps in built.contacted.items()}

    # ------------------------------------------------------------ persons

    def __len__(self) -> int:
        return len(self._id_ends)

    def _id(self, i: int) -> str:
        ends = self._id_ends
        return self._ids[ends[i - 1] if i else 0 : ends[i]]

    def name(self, i: int) -> str:
        """The display name of person number ``i``."""
        ends = self._name_ends
        name = self._names[ends[i - 1] if i else 0 : ends[i]]
        return name or self._id(i)

    def find(self, person: object) -> int | None:
        """The number of the person with id ``person``, or ``None``."""
        if not isinstance(person, str):
            return None
        slots = self._slots
        mask = len(slots) - 1
        j = crc32(person.encode("utf-8", "surrogatepass")) & mask
        while (i := slots[j]) != _EMPTY:
            if self._id(i) == person:
                return i
            j = (j + 1) & mask
        return None

    def ids(self) -> Iterable[str]:
        """Every person id, in the order first seen."""
        return (self._id(i) for i in range(len(self)))

    # ------------------------------------------------------------ memberships

    def _rows_of_holder(self, holder: str) -> array[int]:
        h = self._holder.get(holder)
        if h is None:
            return array(_INDEX)
        start = self._holder_start
        return self._by_holder[start[h] : start[h + 1]]

    def _rows_of_person(self, i: int) -> array[int]:
        start = self._person_start
        return self._by_person[start[i] : start[i + 1]]

    def people(self, holder: str, role: str | None = None) -> tuple[str, ...]:
        """Person ids attached to ``holder`` with ``role`` (all when ``None``)."""
        rows = self._rows_of_holder(holder)
        person, roles, sets = self._m_person, self._m_roles, self._role_sets
        if role is None:
            return tuple(self._id(person[m]) for m in rows)
        return tuple(self._id(person[m]) for m in rows if role in sets[roles[m]])

    def memberships(self, person: str) -> dict[str, frozenset[str]]:
        """The holders ``person`` is attached to, with the roles held at each."""
        i = self.find(person)
        if i is None:
            return {}
        holders = self._holders
        holder, roles, sets = self._m_holder, self._m_roles, self._role_sets
        return {holders[holder[m]]: sets[roles[m]] for m in self._rows_of_person(i)}

    def roles_of(self, person: str, holder: str) -> frozenset[str]:
        """The roles ``person`` holds at ``holder`` (empty when none)."""
        h = self._holder.get(holder)
        i = self.find(person)
        if h is None or i is None:
            return frozenset()
        for m in self._rows_of_person(i):
            if self._m_holder[m] == h:
                return self._role_sets[self._m_roles[m]]
        return frozenset()

    def rows(self) -> Iterable[tuple[str, str, str, frozenset[str]]]:
        """``(person, name, holder, roles)`` per membership, persons in the order first seen."""
        holders = self._holders
        holder, roles, sets = self._m_holder, self._m_roles, self._role_sets
        for i in range(len(self)):
            rows = self._rows_of_person(i)
            if rows:
                pid, name = self._id(i), self.name(i)
                for m in rows:
                    yield pid, name, holders[holder[m]], sets[roles[m]]

    # ------------------------------------------------------------ contacts

    def contacts(self, person: str) -> tuple[str, ...]:
        """The person's contact-point units (联系点)."""
        i = self.find(person)
        return () if i is None else self._contacts.get(i, ())

    def contacted_by(self, unit: str) -> tuple[str, ...]:
        """People who have ``unit`` as a contact point."""
        return tuple(self._id(i) for i in self._contacted.get(unit, ()))

    def contact_rows(self) -> Iterable[tuple[str, str]]:
        """``(person, unit)`` per contact point, persons in the order first seen."""
        for i, units in sorted(self._contacts.items()):
            pid = self._id(i)
            for u in units:
                yield pid, u


class PeopleBuilder:
    """Collects people, memberships and contact points (already validated) into a :class:`PeopleTable`."""

    def __init__(self, holders: Iterable[str] = ()) -> None:
        self.index: dict[str, int] = {}
        self.ids: list[str] = []
        self.names: list[str] = []  # "" where the name is the id
        # Numbered up front, in one go: numbers made while people are read would be
        # small objects scattered among the temporaries, keeping their memory from
        # being returned once the table is built.
        self.holder_index: dict[str, int] = {h: i for i, h in enumerate(holders)}
        self.m_person = array(_INDEX)
        self.m_holder = array(_INDEX)
        self.m_roles = array(_INDEX)
        self.role_sets: list[frozenset[str]] = []
        self._role_index: dict[frozenset[str], int] = {}
        self._first = array("q")  # each person's first membership (_NONE: none yet)
        self._pairs: dict[int, int] = {}  # person * 2**32 + holder → membership, past the first
        self.contacts: dict[int, dict[str, None]] = {}
        self.contacted: dict[str, dict[int, None]] = {}
        self._contact_seq: dict[tuple[int, int], int] = {}
        # Memberships in the order of each holder's people and each person's holders, when
        # these are not the order of first links (a graph built by hand: see data.people_of_graph).
        self.orders: tuple[list[int], list[int]] | None = None

    def __contains__(self, person: object) -> bool:
        return person in self.index

    def person(self, pid: str, name: str) -> int:
        """The number of person ``pid``, added when new; ``name`` names one still named by its id."""
        i = self.index.get(pid)
        if i is None:
            i = self.index[pid] = len(self.ids)
            self.ids.append(pid)
            self.names.append("" if name == pid else name)
            self._first.append(_NONE)
        elif name and not self.names[i]:
            self.names[i] = "" if name == pid else name
        return i

    def _holder(self, holder: str) -> int:
        h = self.holder_index.get(holder)
        if h is None:
            h = self.holder_index[holder] = len(self.holder_index)
        return h

    def _roles(self, roles: frozenset[str]) -> int:
        r = self._role_index.get(roles)
        if r is None:
            r = self._role_index[roles] = len(self.role_sets)
            self.role_sets.append(roles)
        return r

    def member(self, pid: str, name: str, holder: str, roles: frozenset[str]) -> None:
        """Attach ``pid`` to ``holder`` with ``roles`` (added to those already held there)."""
        self.members(((pid, name, holder, roles),), None)

    def members(self, rows: Iterable[Row], refuse: Callable[[Row], None] | None) -> None:
        """Attach each ``(id, name, holder, roles)``.

        With ``refuse`` (holders numbered up front), a row whose holder is unknown
        is handed to it to raise, and so is, once every row is in, the first one
        whose id is a holder's (one set intersection, not a lookup a row).
        """
        index, ids, names, first = self.index, self.ids, self.names, self._first
        holders, m_person, m_holder, m_roles = self.holder_index, self.m_person, self.m_holder, self.m_roles
        # Bound once: two million rows make every attribute lookup count.
        add_id, add_name, add_first = ids.append, names.append, first.append
        add_person, add_holder, add_roles = m_person.append, m_holder.append, m_roles.append
        n, count = len(ids), len(m_person)
        last: frozenset[str] | None = None
        r = 0
        for row in rows:
            pid, name, holder, roles = row
            h = holders.get(holder)
            if h is None:
                if refuse is not None:
                    refuse(row)
                h = self._holder(holder)
            if roles is not last:  # rows of one shape share their role set
                r, last = self._roles(roles), roles
            i = index.setdefault(pid, n)
            if i == n:  # a new person: the common case, no pair to look up
                n += 1
                add_id(pid)
                add_name("" if name == pid else name)
                add_first(count)
            elif not self._again(i, row, h, count):
                continue
            add_person(i)
            add_holder(h)
            add_roles(r)
            count += 1
        if refuse is not None and (clash := index.keys() & holders.keys()):
            i = min(index[pid] for pid in clash)
            refuse((ids[i], names[i], holder_of(holders, m_holder[first[i]]), frozenset()))

    def _again(self, i: int, row: Row, h: int, count: int) -> bool:
        """A row of a person seen before: name them if still unnamed; merge the roles of a
        membership held already (False), or let the caller add membership ``count`` (True)."""
        pid, name, _, roles = row
        if name and not self.names[i]:
            self.names[i] = "" if name == pid else name
        m = self._first[i]
        if m == _NONE:
            self._first[i] = count
            return True
        if self.m_holder[m] != h:
            m = self._pairs.setdefault(i * 2**32 + h, count)
            if m == count:
                return True
        self._more_roles(m, roles)
        return False

    def _more_roles(self, m: int, roles: frozenset[str]) -> None:
        held = self.role_sets[self.m_roles[m]]
        if not roles <= held:
            self.m_roles[m] = self._roles(held | roles)

    def contact(self, pid: str, name: str, unit: str) -> None:
        """Make ``unit`` a contact point of ``pid`` (once); ``name`` names only a person new here."""
        i = self.index.get(pid)
        if i is None:
            i = self.person(pid, name)
        units = self.contacts.setdefault(i, {})
        if unit not in units:
            units[unit] = None
            self.contacted.setdefault(unit, {})[i] = None
            self._contact_seq[i, self._holder(unit)] = len(self._contact_seq)

    def first_link(self) -> list[int]:
        """Memberships in the order of each one's first link: contacts first, then rows."""
        order = list(range(len(self.m_person)))
        seq = self._contact_seq
        if not seq or self.orders is not None:
            return order
        person, holder = self.m_person, self.m_holder
        early = sorted(
            (m for m in order if (person[m], holder[m]) in seq), key=lambda m: seq[person[m], holder[m]]
        )
        chosen = set(early)
        return [*early, *(m for m in order if m not in chosen)]

    def table(self) -> PeopleTable:
        """The finished table."""
        self._pairs.clear()  # the dedup indexes are temporaries: free them before the copy
        self.index.clear()
        return PeopleTable(self)


EMPTY = PeopleTable(PeopleBuilder())
