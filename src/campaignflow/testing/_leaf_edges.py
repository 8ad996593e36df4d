"""The boundary cases of each primitive: the records that put it at one of its edges.

:mod:`campaignflow.testing._edges` combines them over a rule tree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from itertools import combinations, permutations
from typing import Any

import attrs

from campaignflow.definition.approval import ApprovedBy
from campaignflow.definition.combinators import AllOf
from campaignflow.definition.people_rules import ALL, Coverage
from campaignflow.definition.rules import CountAtLeast, EveryMemberHas, EveryPair, Rule, SumAtLeast
from campaignflow.testing._scenario import CLERK
from campaignflow.testing._values import holds_many, one_or_many, plain, samples

Item = tuple[Any, str]
People = Mapping[str, tuple[str, ...]]
OUTSIDER = "outsider"  # a person id no role of the unit holds
MAX_RECORDS = 400  # a case needing more records than this is not built


@attrs.frozen(kw_only=True)
class Piece:
    """Records that put one rule at one of its edges; ``retracted`` indexes ``items``."""

    note: str
    items: tuple[Item, ...] = ()
    retracted: tuple[int, ...] = ()


def join(note: str, pieces: Iterable[Piece]) -> Piece:
    """The pieces' records one after another (retractions follow their records)."""
    items: list[Item] = []
    gone: list[int] = []
    notes = [note] if note else []
    for p in pieces:
        gone += [len(items) + i for i in p.retracted]
        items += p.items
        if not note and p.note:
            notes.append(p.note)
    return Piece(note="; ".join(notes), items=tuple(items), retracted=tuple(gone))


def _clerk(values: Iterable[Any]) -> tuple[Item, ...]:
    return tuple((v, CLERK) for v in values)


# ---------------------------------------------------------------- values


def _num_type(of: type[Any], field: str) -> type[Any]:
    if not attrs.has(of):
        return float
    attrs.resolve_types(of)
    tp = attrs.fields_dict(of)[field].type
    return int if tp is int else float


def _parts(total: float, n: int, integer: bool) -> list[float] | None:
    """``n`` numbers adding up to exactly ``total`` (left to right), fractional where they can be."""
    if n <= 0:
        return [] if total == 0 else None
    if n == 1:
        return [total]
    parts: list[float]
    if integer:
        whole = int(total) // n
        parts = [whole] * (n - 1)
        parts.append(int(total) - whole * (n - 1))
    else:
        step = math.floor(total / n * 4) / 4
        if step == int(step) and step > 0.25:  # noqa: PLR2004 - a quarter: a fraction that adds exactly
            step -= 0.25
        parts = [step] * (n - 1)
        parts.append(total - step * (n - 1))
    return parts if sum(parts) == total else None


def _tallied(of: type[Any], n: int, sums: Mapping[str, float], extra: Mapping[str, Any]) -> list[Any] | None:
    """``n`` values of ``of`` whose summed fields add up exactly to ``sums``."""
    columns: dict[str, list[float]] = {}
    for field, total in sums.items():
        parts = _parts(total, n, _num_type(of, field) is int)
        if parts is None:
            return None
        columns[field] = parts
    out = []
    for i in range(n):
        value = plain(of, {**extra, **{f: col[i] for f, col in columns.items()}})
        if value is None:
            return None
        out.append(value)
    return out


def _spread(
    of: type[Any], count: int, sums: Mapping[str, float], extra: Mapping[str, Any], *, several: bool = False
) -> list[Any] | None:
    """At least ``count`` values (several when ``several``) whose sums are exactly ``sums``.

    More records are tried when a class's validators refuse the parts (hours ≤ 24).
    """
    if not sums:
        one = plain(of, extra)
        return None if one is None and count else [one] * count
    start = max(count, 3 if several else 1)
    for n in (start, start * 2, start * 4, start * 16, start * 64):
        if n > MAX_RECORDS:
            break
        found = _tallied(of, n, sums, extra)
        if found is not None:
            return found
    return None


def _below(total: float, integer: bool) -> float:
    """The largest value under ``total`` the field can add up to."""
    if integer:
        return math.ceil(total) - 1
    return math.nextafter(total, -math.inf)


# ---------------------------------------------------------------- tallies


@attrs.frozen(kw_only=True)
class Tally:
    """Plain counts and sums over one evidence type under one ``all_of``, built together."""

    of: type[Any]
    count: int
    sums: Mapping[str, float]


def tally_edges(t: Tally) -> list[Piece]:
    name = t.of.__name__
    out: list[Piece] = []

    def add(note: str, values: list[Any] | None, retract: tuple[int, ...] = ()) -> None:
        if values is not None:
            out.append(Piece(note=note, items=_clerk(values), retracted=retract))

    at = {f: float(math.ceil(v)) if _num_type(t.of, f) is int else v for f, v in t.sums.items()}
    add(f"{t.count} {name}, sums exactly at their bounds", _spread(t.of, t.count, at, {}))
    add(
        f"{t.count} {name}, sums exactly at their bounds in fractions",
        _spread(t.of, t.count, at, {}, several=True),
    )
    if t.count > 0:
        add(f"{t.count - 1} {name}, one short, sums met", _spread(t.of, t.count - 1, at, {}))
        live = _spread(t.of, t.count - 1, at, {})
        extra = plain(t.of)
        if live is not None and extra is not None:
            add(f"{t.count} {name} recorded, one retracted", [extra, *live], (0,))
        more = _spread(t.of, t.count, at, {})
        if more is not None and extra is not None:
            add(f"{t.count} live {name} and one retracted", [extra, *more], (0,))
    for field, total in at.items():
        integer = _num_type(t.of, field) is int
        low = {**at, field: _below(total, integer)}
        add(f"{name}.{field} one step under {total:g}", _spread(t.of, t.count, low, {}))
        if not integer:
            add(
                f"{name}.{field} a quarter under {total:g}, in fractions",
                _spread(t.of, t.count, {**at, field: total - 0.25}, {}, several=True),
            )
        live = _spread(t.of, t.count, low, {})
        big = plain(t.of, {field: max(1, math.ceil(total - low[field]))})
        if live is not None and big is not None:
            add(f"{name}.{field} under {total:g} once a record is retracted", [big, *live], (0,))
    if t.count > 0 or any(v > 0 for v in t.sums.values()):
        add(f"no {name}", [])
    return out


def tally_base(t: Tally, *, passing: bool) -> Piece | None:
    name = t.of.__name__
    at = {f: float(math.ceil(v)) if _num_type(t.of, f) is int else v for f, v in t.sums.items()}
    if passing:
        values = _spread(t.of, t.count, at, {})
        return None if values is None else Piece(note=f"{t.count} {name}", items=_clerk(values))
    if t.count > 0 or any(v > 0 for v in t.sums.values()):
        return Piece(note=f"no {name}")
    return None


def as_tally(rule: Rule) -> Tally | None:
    if isinstance(rule, CountAtLeast) and rule.where is None:
        return Tally(of=rule.of, count=rule.count, sums={})
    if isinstance(rule, SumAtLeast):
        return Tally(of=rule.of, count=0, sums={rule.field: rule.total})
    return None


def _merge(tallies: Sequence[Tally]) -> Tally:
    sums: dict[str, float] = {}
    for t in tallies:
        for f, v in t.sums.items():
            sums[f] = max(sums.get(f, v), v)
    return Tally(of=tallies[0].of, count=max(t.count for t in tallies), sums=sums)


Part = Rule | Tally
"""A piece of a rule tree: a rule, or the counts and sums over one type built together."""


def parts_of(rule: AllOf) -> list[Part]:
    """The children, counts and sums over one type merged into one tally."""
    tallies: dict[type[Any], list[Tally]] = {}
    out: list[Part | type[Any]] = []
    for child in rule.children:
        t = as_tally(child)
        if t is None:
            out.append(child)
        else:
            if t.of not in tallies:
                out.append(t.of)
            tallies.setdefault(t.of, []).append(t)
    return [_merge(tallies[p]) if isinstance(p, type) else p for p in out]


# ---------------------------------------------------------------- leaves


def count_edges(rule: CountAtLeast) -> list[Piece]:
    where = rule.where
    values = samples(rule.of)
    hits = [v for v in values if where is None or where(v)]
    misses = [v for v in values if where is not None and not where(v)]
    name = rule.of.__name__
    c = rule.count
    out: list[Piece] = []
    if hits:
        hit = hits[0]
        out.append(Piece(note=f"exactly {c} {name}", items=_clerk([hit] * c)))
        if len(hits) > 1:
            out.append(
                Piece(
                    note=f"exactly {c} {name}, all different",
                    items=_clerk(hits[i % len(hits)] for i in range(c)),
                )
            )
        if c > 0:
            out.append(Piece(note=f"{c - 1} {name}", items=_clerk([hit] * (c - 1))))
            out.append(
                Piece(note=f"{c} {name} recorded, one retracted", items=_clerk([hit] * c), retracted=(0,))
            )
            out.append(
                Piece(
                    note=f"{c} live {name} and one retracted", items=_clerk([hit] * (c + 1)), retracted=(0,)
                )
            )
    if misses:
        miss = misses[0]
        out.append(Piece(note=f"{c} {name} outside the where= filter", items=_clerk([miss] * max(c, 1))))
        if hits and c > 0:
            out.append(
                Piece(
                    note=f"{c - 1} {name} in the filter, one outside",
                    items=_clerk([*[hits[0]] * (c - 1), miss]),
                )
            )
            out.append(
                Piece(note=f"{c} {name} in the filter, one outside", items=_clerk([*[hits[0]] * c, miss]))
            )
    if c > 0:
        out.append(Piece(note=f"no {name}"))
    return out


def count_base(rule: CountAtLeast, *, passing: bool) -> Piece | None:
    if passing:
        hits = [v for v in samples(rule.of) if rule.where is None or rule.where(v)]
        if not hits and rule.count:
            return None
        return Piece(note=f"{rule.count} {rule.of.__name__}", items=_clerk(hits[:1] * rule.count))
    return Piece(note=f"no {rule.of.__name__}") if rule.count > 0 else None


def _member(rule: EveryMemberHas, person: str) -> Any:
    return plain(rule.of, {rule.by: one_or_many(rule.of, rule.by, (person,))})


def members_edges(rule: EveryMemberHas, people: People) -> list[Piece]:
    members = people.get(rule.among, ())
    k = rule.at_least
    name = rule.of.__name__

    def each(counts: Mapping[str, int], note: str, retract: tuple[int, ...] = ()) -> Piece | None:
        values = [_member(rule, p) for p, n in counts.items() for _ in range(n)]
        if any(v is None for v in values):
            return None
        return Piece(note=note, items=_clerk(values), retracted=retract)

    exact = dict.fromkeys(members, k)
    cases = [each(exact, f"each of {len(members)} {rule.among} exactly {k} {name}")]
    if members and k > 0:
        first, last = members[0], members[-1]
        cases.append(each({**exact, last: k - 1}, f"{last} one {name} short"))
        cases.append(each({**exact, first: k - 1}, f"{first} one {name} short"))
        if len(members) > 1:
            cases.append(each({**exact, first: k + 1, last: k - 1}, f"{first} twice, {last} short"))
        cases.append(each({**exact, last: k - 1, OUTSIDER: 1}, f"an outsider instead of {last}"))
        cases.append(each({**exact, last: k - 1, "x0": 1}, f"a bystander instead of {last}"))
        cases.append(each({last: 1, **exact}, f"{last}'s {name} retracted", (0,)))
        if holds_many(rule.of, rule.by) and k == 1:
            together = plain(rule.of, {rule.by: tuple(members)})
            if together is not None:
                cases.append(Piece(note=f"one {name} naming every {rule.among}", items=_clerk([together])))
        cases.append(Piece(note=f"no {name}"))
    return [c for c in cases if c is not None]


def required_pairs(rule: EveryPair, people: People) -> list[tuple[str, str]]:
    members = people.get(rule.among, ())
    if rule.hub is not None:
        hubs = people.get(rule.hub, ())
        out = [(h, p) for h in hubs for p in members if p != h]
        return out + [(p, h) for h, p in out] if rule.directed else out
    return list(permutations(members, 2)) if rule.directed else list(combinations(members, 2))


def talks(
    rule: EveryPair, pairs: Iterable[tuple[str, str]], note: str, retract: tuple[int, ...] = ()
) -> Piece | None:
    left, right = rule.between
    values = [plain(rule.of, {left: a, right: b}) for a, b in pairs]
    if any(v is None for v in values):
        return None
    return Piece(note=note, items=_clerk(values), retracted=retract)


def pair_edges(rule: EveryPair, people: People) -> list[Piece | None]:
    pairs = required_pairs(rule, people)
    k = rule.at_least
    name = rule.of.__name__
    each = [p for p in pairs for _ in range(k)]
    cases = [talks(rule, each, f"every pair of {len(pairs)} exactly {k} {name}")]
    if not rule.directed:
        cases.append(talks(rule, [(b, a) for a, b in each], f"every pair's {name} written the other way"))
        cases.append(
            talks(
                rule,
                [(b, a) if i % 2 else (a, b) for i, (a, b) in enumerate(each)],
                f"{name} both ways round",
            )
        )
    if pairs and k > 0:
        for short in pairs:
            rest = [p for p in each if p != short] + [short] * (k - 1)
            cases.append(talks(rule, rest, f"{short[0]}–{short[1]} one {name} short"))
            cases.append(
                talks(
                    rule,
                    [*rest, pairs[0] if short != pairs[0] else pairs[-1]],
                    f"another pair twice, {short[0]}–{short[1]} short",
                )
            )
        last = pairs[-1]
        rest = [p for p in each if p != last] + [last] * (k - 1)
        cases.append(
            talks(rule, [*rest, (last[0], OUTSIDER)], f"{last[0]} with an outsider instead of {last[1]}")
        )
        cases.append(
            talks(rule, [*rest, (last[0], "x0")], f"{last[0]} with a bystander instead of {last[1]}")
        )
        if k == 1:
            kept = [p for p in each if p != last]
            cases.append(talks(rule, [last, *kept], f"{last[0]}–{last[1]}'s {name} retracted", (0,)))
        cases.append(Piece(note=f"no {name}"))
    return cases


def coverage_edges(rule: Coverage, people: People, *, base: bool | None = None) -> list[Piece]:
    persons = people.get(rule.among, ())
    universe = people.get(rule.targets, ()) if rule.targets is not None else None
    need = len(rule.required) or rule.at_least
    total = len(universe or ()) if rule.total == ALL else int(rule.total or 0)
    pool: tuple[str, ...] = rule.required or universe or tuple(f"t{i}" for i in range(max(need, total) + 2))
    many_by, many = holds_many(rule.of, rule.by), holds_many(rule.of, rule.covers)
    name = rule.of.__name__
    if rule.where is not None:
        fits = [v for v in samples(rule.of) if rule.where(v)]
        extra: dict[str, Any] = (
            {}
            if not fits
            else {
                f.name: getattr(fits[0], f.name)
                for f in attrs.fields(rule.of)
                if f.name not in (rule.by, rule.covers)
            }
        )
    else:
        extra = {}

    def piece(covered: Mapping[str, Sequence[str]], note: str) -> Piece | None:
        values = []
        for person, things in covered.items():
            for thing in things:
                fixed = {
                    rule.by: person if not many_by else (person,),
                    rule.covers: (thing,) if many else thing,
                }
                value = plain(rule.of, {**extra, **fixed})
                if value is None:
                    return None
                values.append(value)
        return Piece(note=note, items=_clerk(values))

    def least(holder: str | None) -> dict[str, list[str]]:
        out = {p: list(pool[:need]) for p in persons}
        if holder is not None:
            out[holder] = list(dict.fromkeys([*pool[:need], *pool[:total]]))
        return out

    minimum = least(persons[0] if persons else None)
    if base is True:
        found = piece(minimum, f"each of {len(persons)} {rule.among} covers exactly {need}")
        return [found] if found is not None else []
    if base is False:
        return [Piece(note=f"no {name}")]
    cases = [piece(minimum, f"each of {len(persons)} {rule.among} covers exactly {need}, {total} in all")]
    if persons and need > 0:
        for who in dict.fromkeys((persons[0], persons[-1])):
            holder = next((p for p in persons if p != who), who)
            things = list(pool[: need - 1])
            cases.append(
                piece({**least(holder), who: things + things[:1]}, f"{who} covers {need - 1} distinct")
            )
        last = persons[-1]
        if universe is not None:
            cases.append(
                piece({**minimum, last: [*pool[: need - 1], OUTSIDER]}, f"{last} covers one outside")
            )
        bystander = {**minimum, "x0": list(pool[:need]), last: list(pool[: need - 1])}
        cases.append(piece(bystander, "a bystander covers instead"))
    if persons and total > max(need, 0) and total - 1 >= need:
        low = {**minimum, persons[0]: list(pool[: total - 1])}
        cases.append(piece(low, f"{total - 1} of {total} {rule.covers} in all"))
    cases.append(Piece(note=f"no {name}"))
    return [c for c in cases if c is not None]


def approval_edges(
    rule: ApprovedBy, people: People, sups: tuple[str, ...], *, base: bool | None = None
) -> list[Piece]:
    approvers = sups if rule.group == "supervises" else people.get(rule.group, ())
    name = rule.of.__name__
    out: list[Piece | None] = []
    who = approvers[0] if approvers else OUTSIDER

    def approval(revision: int) -> Any:
        return plain(rule.of, {rule.revision: revision} if rule.latest_of is not None else {})

    if rule.latest_of is None:
        ok = approval(0)
        if ok is None:
            return []
        cases = {
            True: [Piece(note=f"{name} by {who}", items=((ok, who),))],
            False: [Piece(note=f"no {name}")],
        }
        if base is not None:
            return cases[base]
        return [
            *cases[True],
            *cases[False],
            Piece(note=f"{name} by an outsider", items=((ok, OUTSIDER),)),
            Piece(note=f"{name} by a clerk", items=((ok, CLERK),)),
            Piece(note=f"{name} by {who}, retracted", items=((ok, who),), retracted=(0,)),
        ]
    drafts = [plain(rule.latest_of, {rule.revision: r}) for r in (1, 2)]
    new, old = approval(2), approval(1)
    if any(v is None for v in (*drafts, new, old)):
        return []
    both = _clerk(drafts)
    if base is True:
        return [Piece(note=f"revision 2 approved by {who}", items=(*both, (new, who)))]
    if base is False:
        return [Piece(note="revision 2 not approved", items=both)]
    out = [
        Piece(note=f"revision 2 approved by {who}", items=(*both, (new, who))),
        Piece(note="old and new revisions approved", items=(*both, (old, who), (new, who))),
        Piece(note="only revision 1 approved", items=(*both, (old, who))),
        Piece(note="revision 2 approved by an outsider", items=(*both, (new, OUTSIDER))),
        Piece(note=f"no {rule.latest_of.__name__}, an approval anyway", items=((new, who),)),
        Piece(note="revision 2 not approved", items=both),
        Piece(note="revision 2's approval retracted", items=(*both, (new, who)), retracted=(2,)),
    ]
    return [p for p in out if p is not None]
