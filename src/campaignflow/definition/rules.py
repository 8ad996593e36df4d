"""Rules: declared primitives, custom callables, and the gate combinators.

A rule reads a unit's evidence through a :class:`~campaignflow.Context` and
returns a :class:`~campaignflow.Finding`. Declared primitives expose what they
read (``reads``) and where their thresholds lie (``thresholds``) so that the
testing kit can aim at the boundaries and ``explain()`` can name what is missing.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from itertools import combinations, permutations
from operator import attrgetter
from typing import Any

import attrs

from campaignflow.definition.context import Context, Reads, RunView, evidence_name
from campaignflow.definition.tallies import Kept, people_at, people_in, tally
from campaignflow.values.findings import Finding, Status

RuleFn = Callable[[Context], Finding]
QuickCheck = Callable[[Mapping[str, Sequence[Any]]], bool]
"""A compiled quick check: the unit's records by evidence kind name in, "certainly holds" out."""
FAILED = Status.FAILED  # looked up once: enum attribute access is slow on the hot path

SHOWN = 5  # names listed in a reason before "..."; the full list is in `missing`


class Rule(abc.ABC):
    """Something a gate checks. Subclasses are frozen attrs values."""

    id: str
    label: str

    @property
    @abc.abstractmethod
    def reads(self) -> tuple[type[Any], ...]:
        """The evidence types the rule reads."""

    @property
    def thresholds(self) -> Mapping[str, float]:
        """Named numeric thresholds (``{"count": 15}``); empty when there are none."""
        return {}

    @property
    def children(self) -> tuple[Rule, ...]:
        """Sub-rules of a combinator; empty for a plain rule."""
        return ()

    @abc.abstractmethod
    def evaluate(self, ctx: Context) -> Finding:
        """Check the rule for ``ctx.unit``. Use :func:`evaluate` to call it safely."""

    @property
    def quickable(self) -> bool:
        """True when :meth:`quick` decides a pass reading only the unit's own evidence.

        Then a passing verdict's findings can be built later, from the records read
        at the check, and be exactly what :meth:`evaluate` would have said.
        """
        return False

    @property
    def reads_above(self) -> bool:
        """True when the rule reads records shared from above (``counts_below``): a quick check
        holds them only if it asked for them, so an ``any_of`` that may stop before them
        cannot be passed quickly."""
        return False

    def quick(self, ctx: Reads) -> bool:
        """True when the rule certainly holds: a cheap check, no finding built.

        ``False`` means "fails, or cannot tell": the caller then evaluates.
        """
        del ctx
        return False

    def quick_over(self) -> QuickCheck | None:
        """:meth:`quick` compiled once into a function of a snapshot's records by kind name.

        The function answers what :meth:`quick` answers on a snapshot holding those
        records (property-tested), without a call per rule and per read: a gate
        checked for every unit of a batch pays its rule tree's dispatch once.
        ``None``: this rule has no compiled form (the caller asks :meth:`quick`).
        """
        return None

    def stamp(self, finding: Finding) -> Finding:
        """Put this rule's id and label on a finding."""
        return Finding(
            rule=self.id,
            label=self.label,
            status=finding.status,
            reason=finding.reason,
            evidence=finding.evidence,
            missing=finding.missing,
            children=finding.children,
            missing_labels=finding.missing_labels,
        )


def no_people(rule: Rule, among: str) -> Finding:
    """The failed finding of a rule over people when the unit has none with role ``among``."""
    return Finding(
        rule=rule.id,
        label=rule.label,
        status=FAILED,
        reason=f"no people with role {among!r} at this unit: add them to the org",
    )


def certainly_holds(rule: Rule, ctx: Reads) -> bool:
    """:meth:`Rule.quick`, where a rule that raises cannot tell (the caller evaluates it)."""
    try:
        return rule.quick(ctx)
    except Exception:  # noqa: BLE001 - evaluate() will report it as an error finding
        return False


def holds_over(check: QuickCheck, kinds: Mapping[str, Sequence[Any]]) -> bool:
    """A compiled quick check (:meth:`Rule.quick_over`), where a rule that raises cannot tell."""
    try:
        return check(kinds)
    except Exception:  # noqa: BLE001 - evaluate() will report it as an error finding
        return False


def evaluate(rule: Rule, ctx: Context) -> Finding:
    """Evaluate ``rule``; a rule that raises or returns garbage gives an error finding."""
    try:
        found: object = rule.evaluate(ctx)
    except Exception as exc:  # noqa: BLE001 - a broken user rule must fail the gate, loudly
        return Finding(
            rule=rule.id,
            label=rule.label,
            status=Status.ERROR,
            reason=f"rule {rule.id!r} raised {type(exc).__name__}: {exc}",
        )
    if not isinstance(found, Finding):
        return Finding(
            rule=rule.id,
            label=rule.label,
            status=Status.ERROR,
            reason=f"rule {rule.id!r} returned {found!r}; return cf.ok() or cf.fail(reason)",
        )
    return found


# ---------------------------------------------------------------- primitives


@attrs.frozen(kw_only=True)
class CountAtLeast(Rule):
    """At least ``count`` pieces of evidence of type ``of`` (optionally matching ``where``)."""

    of: type[Any]
    count: int
    where: Callable[[Any], bool] | None = None
    id: str
    label: str
    where_label: str = ""

    @property
    def reads(self) -> tuple[type[Any], ...]:
        return (self.of,)

    @property
    def thresholds(self) -> Mapping[str, float]:
        return {"count": self.count}

    @property
    def quickable(self) -> bool:
        return True

    def quick(self, ctx: Reads) -> bool:
        records = ctx.records(self.of)
        if self.where is None:
            return len(records) >= self.count
        where = self.where
        return sum(1 for r in records if where(r.value)) >= self.count

    def quick_over(self) -> QuickCheck:
        name, count, where = evidence_name(self.of), self.count, self.where
        if where is None:
            return lambda kinds: len(kinds[name]) >= count
        return lambda kinds: sum(1 for r in kinds[name] if where(r.value)) >= count

    def evaluate(self, ctx: Context) -> Finding:
        records = ctx.records(self.of)
        if self.where is not None:
            records = [r for r in records if self.where(r.value)]
        have = len(records)
        ids = tuple(r.id for r in records)
        name = evidence_name(self.of)
        if self.where_label:
            name = f"{name} where {self.where_label}"
        if have >= self.count:
            return Finding(
                rule=self.id,
                label=self.label,
                reason=f"{have} {name} (≥ {self.count})",
                evidence=ids,
            )
        short = self.count - have
        return Finding(
            rule=self.id,
            label=self.label,
            status=FAILED,
            reason=f"{have} of {self.count} {name} recorded ({short} missing)",
            evidence=ids,
            missing=(f"{short} × {name}",),
        )


@attrs.frozen(kw_only=True)
class SumAtLeast(Rule):
    """The field ``field`` summed over evidence of type ``of`` reaches ``total``."""

    of: type[Any]
    field: str
    total: float
    id: str
    label: str

    @property
    def reads(self) -> tuple[type[Any], ...]:
        return (self.of,)

    @property
    def thresholds(self) -> Mapping[str, float]:
        return {"total": self.total}

    @property
    def quickable(self) -> bool:
        return True

    def quick(self, ctx: Reads) -> bool:
        field = self.field
        return bool(sum(getattr(r.value, field) for r in ctx.records(self.of)) >= self.total)

    def quick_over(self) -> QuickCheck:
        name, field, total = evidence_name(self.of), self.field, self.total
        if "." in field:  # attrgetter would walk a dotted name that getattr refuses
            return lambda kinds: bool(sum(getattr(r.value, field) for r in kinds[name]) >= total)
        value = attrgetter(f"value.{field}")  # one C call per record, not a generator step
        return lambda kinds: bool(sum(map(value, kinds[name])) >= total)

    def evaluate(self, ctx: Context) -> Finding:
        records = ctx.records(self.of)
        have = sum(getattr(r.value, self.field) for r in records)
        ids = tuple(r.id for r in records)
        name = f"{evidence_name(self.of)}.{self.field}"
        if have >= self.total:
            return Finding(
                rule=self.id,
                label=self.label,
                reason=f"{name} = {have:g} (≥ {self.total:g})",
                evidence=ids,
            )
        return Finding(
            rule=self.id,
            label=self.label,
            status=FAILED,
            reason=f"{name} = {have:g} of {self.total:g} ({self.total - have:g} short)",
            evidence=ids,
            missing=(f"{self.total - have:g} {self.field}",),
        )


class OverSharedPeople(Rule):
    """A rule over the unit's people and the records naming them, those shared from above
    (``counts_below``) included: quick from its tally, kept for the judgement
    (:mod:`~campaignflow.definition.tallies`), and never quick under an ``any_of``."""

    @property
    def quickable(self) -> bool:
        return True

    @property
    def reads_above(self) -> bool:
        return True


@attrs.frozen(kw_only=True)
class EveryMemberHas(OverSharedPeople):
    """Every person with role ``among`` at the unit has ``at_least`` evidence naming them.

    The person is read from the evidence field ``by``: one person id, or a
    collection of them (an attendance list), each counted once per record.
    Records shared from above with ``Campaign.counts_below`` count too.
    """

    of: type[Any]
    among: str
    by: str
    at_least: int
    id: str
    label: str

    @property
    def reads(self) -> tuple[type[Any], ...]:
        return (self.of,)

    @property
    def thresholds(self) -> Mapping[str, float]:
        return {"at_least": self.at_least}

    def tally(self, run: RunView, unit: str) -> tuple[tuple[str, ...], dict[str, int], list[str]]:
        """The unit's people with role ``among``, how many records name each, and the ids of those
        naming any (what ``evaluate`` reads: ``run`` and ``unit`` as a :class:`Context` holds them)."""
        people = people_at(run, unit, self.among)
        counts: dict[str, int] = dict.fromkeys(people, 0)
        ids: list[str] = []
        by = self.by
        for r in run.people_records(unit, evidence_name(self.of), by):
            # A record naming a person twice still counts once for them.
            hit = False
            for who in people_in(getattr(r.value, by)):
                if who in counts:
                    counts[who] += 1
                    hit = True
            if hit:
                ids.append(r.id)
        return people, counts, ids

    def quick(self, ctx: Reads) -> bool:
        if not isinstance(ctx, Kept):
            return False  # only a judgement's view keeps the tally its finding is built from
        view, unit = ctx.view, ctx.unit
        people, counts, _ = ctx.kept(id(self), lambda: self.tally(view, unit))
        at_least = self.at_least
        return bool(people) and all(counts[p] >= at_least for p in people)

    def evaluate(self, ctx: Context) -> Finding:
        run, unit = ctx.run, ctx.unit
        people, counts, ids = tally(run, unit, id(self), lambda: self.tally(run, unit))
        short = [p for p in people if counts[p] < self.at_least]
        name = evidence_name(self.of)
        if not people:
            return no_people(self, self.among)

        if not short:
            return Finding(
                rule=self.id,
                label=self.label,
                reason=f"all {len(people)} {self.among} have {name}",
                evidence=tuple(ids),
            )

        shown = [ctx.name(p) for p in short]
        return Finding(
            rule=self.id,
            label=self.label,
            status=FAILED,
            reason=(
                f"{name} missing for {'、'.join(shown[:SHOWN])}{'…' if len(shown) > SHOWN else ''} "
                f"({len(short)} of {len(people)})"
            ),
            evidence=tuple(ids),
            missing=tuple(short),
            missing_labels=tuple(shown),
        )


@attrs.frozen(kw_only=True)
class EveryPair(Rule):
    """Every pair of people with role ``among`` shares ``at_least`` evidence of type ``of``.

    The two people are read from the fields named by ``between``. Undirected by
    default (a talk between A and B counts for both); ``directed=True`` counts
    A→B and B→A apart (criticisms). With ``hub`` (a role), only pairs between
    the hub person(s) and each other member count ("the principal talks with each").
    """

    of: type[Any]
    among: str
    between: tuple[str, str]
    at_least: int
    directed: bool
    hub: str | None
    id: str
    label: str

    @property
    def reads(self) -> tuple[type[Any], ...]:
        return (self.of,)

    @property
    def thresholds(self) -> Mapping[str, float]:
        return {"at_least": self.at_least}

    @property
    def quickable(self) -> bool:
        return True

    def pairs(self, ctx: Context) -> list[tuple[str, str]]:
        """The pairs the rule requires, in a stable order."""
        return self._pairs(ctx.run, ctx.unit)

    def _pairs(self, run: RunView, unit: str) -> list[tuple[str, str]]:
        people = people_at(run, unit, self.among)
        if self.hub is not None:
            hubs = people_at(run, unit, self.hub)
            out = [(h, p) for h in hubs for p in people if p != h]
            if self.directed:
                out += [(p, h) for h, p in out]
            return out
        if self.directed:
            return list(permutations(people, 2))
        return list(combinations(people, 2))

    def tally(
        self, run: RunView, unit: str
    ) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], list[str]], list[tuple[str, str]]]:
        """Records per pair key, their ids, and the required pairs (what ``evaluate`` reads)."""
        left, right = self.between
        counts: dict[tuple[str, str], int] = {}
        ids: dict[tuple[str, str], list[str]] = {}
        directed = self.directed
        for r in run.records_of(unit, evidence_name(self.of)):
            a, b = getattr(r.value, left), getattr(r.value, right)
            key = (a, b) if directed else (min(a, b), max(a, b))
            counts[key] = counts.get(key, 0) + 1
            ids.setdefault(key, []).append(r.id)
        return counts, ids, self._pairs(run, unit)

    def quick(self, ctx: Reads) -> bool:
        if not isinstance(ctx, Kept):
            return False  # only a judgement's view keeps the tally its finding is built from
        view, unit = ctx.view, ctx.unit
        counts, _, required = ctx.kept(id(self), lambda: self.tally(view, unit))
        at_least, directed = self.at_least, self.directed
        for a, b in required:
            key = (a, b) if directed else (min(a, b), max(a, b))
            if counts.get(key, 0) < at_least:
                return False
        return bool(required)

    def evaluate(self, ctx: Context) -> Finding:
        run, unit = ctx.run, ctx.unit
        counts, ids, required = tally(run, unit, id(self), lambda: self.tally(run, unit))
        missing: list[str] = []
        missing_ids: list[str] = []
        used: list[str] = []
        arrow = "→" if self.directed else "–"
        for a, b in required:
            key = (a, b) if self.directed else (min(a, b), max(a, b))
            have = counts.get(key, 0)
            used.extend(ids.get(key, ()))
            if have < self.at_least:
                text = f"{ctx.name(a)}{arrow}{ctx.name(b)}"
                if self.at_least > 1:
                    text += f" ({have} of {self.at_least})"
                missing.append(text)
                missing_ids.append(f"{a}{arrow}{b}")
        name = evidence_name(self.of)
        if not required:
            return Finding(
                rule=self.id,
                label=self.label,
                status=FAILED,
                reason=f"fewer than two people with role {self.among!r}: add them to the org",
            )

        if not missing:
            return Finding(
                rule=self.id,
                label=self.label,
                reason=f"all {len(required)} pairs have {name}",
                evidence=tuple(used),
            )

        shown = "; ".join(missing[:SHOWN]) + ("; ..." if len(missing) > SHOWN else "")
        return Finding(
            rule=self.id,
            label=self.label,
            status=FAILED,
            reason=(f"{name} missing between {shown} ({len(missing)} of {len(required)} pairs missing)"),
            evidence=tuple(used),
            missing=tuple(missing_ids),
            missing_labels=tuple(missing),
        )


@attrs.frozen(kw_only=True)
class CustomRule(Rule):
    """A user's callable over the context, declaring what evidence it reads."""

    fn: RuleFn
    id: str
    label: str
    declared_reads: tuple[type[Any], ...] = ()
    roles: tuple[str, ...] = ()

    @property
    def reads(self) -> tuple[type[Any], ...]:
        return self.declared_reads

    def evaluate(self, ctx: Context) -> Finding:
        found: object = self.fn(ctx)
        if not isinstance(found, Finding):
            msg = f"returned {found!r}; return cf.ok() or cf.fail(reason)"
            raise TypeError(msg)  # evaluate() reports it as an error finding naming the rule
        return self.stamp(found)

    def __call__(self, ctx: Context) -> Finding:
        """Call the wrapped function (so a decorated rule stays callable in tests)."""
        return self.fn(ctx)
