"""The public builders for rules and gates (``cf.count_at_least(...)``, ``cf.all_of(...)``)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import attrs

from campaignflow.definition.approval import ApprovedBy
from campaignflow.definition.combinators import AllOf, AnyOf, Not
from campaignflow.definition.context import Context, evidence_name
from campaignflow.definition.labels import describe_where
from campaignflow.definition.obligations import Obligation
from campaignflow.definition.people_rules import ALL, Coverage, NotOverdue
from campaignflow.definition.rules import (
    CountAtLeast,
    CustomRule,
    EveryMemberHas,
    EveryPair,
    Rule,
    RuleFn,
    SumAtLeast,
)
from campaignflow.exceptions import DefinitionError
from campaignflow.values.findings import Finding

RuleLike = Rule | str
"""A rule, or the id of a rule registered with ``@campaign.rule``."""


@attrs.frozen(kw_only=True)
class Ref(Rule):
    """A rule named by id, resolved when the campaign is built."""

    id: str
    label: str = ""

    @property
    def reads(self) -> tuple[type[Any], ...]:
        return ()

    def evaluate(self, ctx: Context) -> Finding:  # noqa: ARG002 - never resolved, never read
        msg = f"rule reference {self.id!r} was never resolved: register it with @campaign.rule"
        raise RuntimeError(msg)


def _as_rule(value: object) -> Rule:
    if isinstance(value, Rule):
        return value
    if isinstance(value, str):
        return Ref(id=value)
    msg = f"expected a rule or a rule id, got {value!r}"
    raise DefinitionError(msg)


def _num(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        msg = f"{name} must be a finite number, got {value!r}"
        raise DefinitionError(msg)
    return value


def _check_type(of: object, fn: str) -> type[Any]:
    if not isinstance(of, type):
        msg = f"{fn}() needs an evidence class as its first argument, got {of!r}"
        raise DefinitionError(msg)
    return of


def _check_count(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        msg = f"{name} must be a non-negative int, got {value!r}"
        raise DefinitionError(msg)
    return value


def count_at_least(
    of: type[Any],
    count: int,
    *,
    where: Callable[[Any], bool] | None = None,
    id: str | None = None,  # noqa: A002 - `id` is the natural public keyword
    label: str | None = None,
) -> CountAtLeast:
    """At least ``count`` pieces of evidence of type ``of`` (matching ``where``, if given).

    Example: ``cf.count_at_least(StudySession, 15, label="集中学习不少于15次")``. A
    ``where=`` filter is part of the default id and label and of the reason
    (``count_at_least:Forum[where kind_is(kind=座谈会)]>=1``): a filter with a
    ``label`` attribute gives it, a function its name and the values it closes over.
    """
    of = _check_type(of, "count_at_least")
    shown = describe_where(where)
    filtered = f"[where {shown}]" if shown else ""
    rid = id or f"count_at_least:{evidence_name(of)}{filtered}>={count}"
    return CountAtLeast(
        of=of,
        count=_check_count(count, "count"),
        where=where,
        id=rid,
        label=label if label is not None else rid,
        where_label=shown,
    )


def exists(
    of: type[Any],
    *,
    where: Callable[[Any], bool] | None = None,
    id: str | None = None,  # noqa: A002
    label: str | None = None,
) -> CountAtLeast:
    """At least one piece of evidence of type ``of`` (``count_at_least(of, 1)``)."""
    of = _check_type(of, "exists")
    shown = describe_where(where)
    rid = id or f"exists:{evidence_name(of)}" + (f"[where {shown}]" if shown else "")
    return count_at_least(of, 1, where=where, id=rid, label=label)


def sum_at_least(
    of: type[Any],
    field: str,
    total: float,
    *,
    id: str | None = None,  # noqa: A002
    label: str | None = None,
) -> SumAtLeast:
    """The numeric ``field`` summed over evidence of type ``of`` reaches ``total``."""
    of = _check_type(of, "sum_at_least")
    _check_field(of, field, "sum_at_least")
    rid = id or f"sum_at_least:{evidence_name(of)}.{field}>={total:g}"
    return SumAtLeast(
        of=of,
        field=field,
        total=_num(total, "total"),
        id=rid,
        label=label if label is not None else rid,
    )


def every_member_has(
    of: type[Any],
    *,
    among: str = "members",
    by: str = "member",
    at_least: int = 1,
    id: str | None = None,  # noqa: A002
    label: str | None = None,
) -> EveryMemberHas:
    """Every person with role ``among`` has ``at_least`` evidence whose ``by`` field names them."""
    of = _check_type(of, "every_member_has")
    _check_field(of, by, "every_member_has")
    rid = id or f"every_member_has:{evidence_name(of)}[{among}]"
    return EveryMemberHas(
        of=of,
        among=among,
        by=by,
        at_least=_check_count(at_least, "at_least"),
        id=rid,
        label=label if label is not None else rid,
    )


def every_pair(
    of: type[Any],
    *,
    among: str = "leadership",
    between: tuple[str, str] = ("a", "b"),
    at_least: int = 1,
    directed: bool = False,
    hub: str | None = None,
    id: str | None = None,  # noqa: A002
    label: str | None = None,
) -> EveryPair:
    """Every pair of people with role ``among`` has ``at_least`` evidence between them.

    Example: ``cf.every_pair(Criticism, among="leadership", between=("source", "target"),
    at_least=2, directed=True)`` — each member criticised every other at least twice.
    """
    of = _check_type(of, "every_pair")
    for field in between:
        _check_field(of, field, "every_pair")
    rid = id or f"every_pair:{evidence_name(of)}[{among}]>={at_least}"
    return EveryPair(
        of=of,
        among=among,
        between=(between[0], between[1]),
        at_least=_check_count(at_least, "at_least"),
        directed=directed,
        hub=hub,
        id=rid,
        label=label if label is not None else rid,
    )


def coverage(
    of: type[Any],
    *,
    among: str,
    by: str,
    covers: str,
    at_least: int = 1,
    required: str | tuple[str, ...] | list[str] = (),
    total: int | str | None = None,
    targets: str | None = None,
    where: Callable[[Any], bool] | None = None,
    id: str | None = None,  # noqa: A002
    label: str | None = None,
) -> Coverage:
    """Each person with role ``among`` covers ``at_least`` distinct things (or all of
    ``required``), and together they cover ``total`` (``"all"``: every target).

    Examples: 一联五 — ``cf.coverage(Link, among="cadre", by="cadre", covers="household",
    at_least=5)``; 人手一册 — ``cf.coverage(Issued, among="members", by="member",
    covers="item", required=("reader", "notes", "leaflet"))``; 39 cadres cover 100+
    households — ``cf.coverage(Link, among="cadre", by="cadre", covers="household",
    total=100)``. ``targets`` (a people role at the unit, or an org level below it)
    limits what counts; ``total="all"`` needs it.
    """
    of = _check_type(of, "coverage")
    if not isinstance(among, str) or not among.strip():
        msg = f"coverage(among={among!r}): name the role whose people must each cover, e.g. among='cadre'"
        raise DefinitionError(msg)
    for field in (by, covers):
        _check_field(of, field, "coverage")
    if isinstance(required, str):
        required = (required,)
    if total == ALL and targets is None:
        msg = 'coverage(total="all") needs targets= (a people role or an org level) to know what "all" is'
        raise DefinitionError(msg)
    if isinstance(total, str) and total != ALL:
        msg = f'coverage(total={total!r}): use a number of things, or "all" (with targets=)'
        raise DefinitionError(msg)
    if total is not None and total != ALL:
        total = _check_count(total, "total")  # type: ignore[arg-type]
    rid = id or f"coverage:{evidence_name(of)}[{among}]"
    return Coverage(
        of=of,
        among=among,
        by=by,
        covers=covers,
        at_least=_check_count(at_least, "at_least"),
        required=tuple(required),
        total=total,
        targets=targets,
        where=where,
        id=rid,
        label=label if label is not None else rid,
    )


def not_overdue(
    obligation: Obligation,
    *,
    side: str = "people",
    id: str | None = None,  # noqa: A002
    label: str | None = None,
) -> NotOverdue:
    """No duty of ``obligation`` is overdue when the gate is checked.

    ``side="people"``: the duties the unit's own people owe ("no meeting while the
    leaders' contact visits are overdue"); ``side="target"``: the duties owed
    toward the unit. The obligation is registered with the campaign automatically.
    """
    given: object = obligation
    if not isinstance(given, Obligation):
        msg = f"not_overdue() takes an Obligation (from campaign.obligation(...)), got {obligation!r}"
        raise DefinitionError(msg)
    if side not in ("people", "target"):
        msg = f'not_overdue(side={side!r}): use "people" or "target"'
        raise DefinitionError(msg)
    rid = id or f"not_overdue:{obligation.id}"
    return NotOverdue(
        obligation=obligation,
        side=side,
        id=rid,
        label=label if label is not None else f"{obligation.label} (none overdue)",
    )


def approved_by(
    of: type[Any],
    *,
    group: str = "supervises",
    latest_of: type[Any] | None = None,
    revision: str = "revision",
    id: str | None = None,  # noqa: A002
    label: str | None = None,
) -> ApprovedBy:
    """An approval of type ``of`` recorded by a member of the unit's supervision group.

    With ``latest_of``, the approval's ``revision`` must equal the latest revision
    of that evidence type: a new draft voids older approvals.
    """
    of = _check_type(of, "approved_by")
    if latest_of is not None:
        latest_of = _check_type(latest_of, "approved_by")
        _check_field(of, revision, "approved_by")
        _check_field(latest_of, revision, "approved_by")
    rid = id or f"approved_by:{evidence_name(of)}[{group}]"
    return ApprovedBy(
        of=of,
        group=group,
        latest_of=latest_of,
        revision=revision,
        id=rid,
        label=label if label is not None else rid,
    )


def rule(
    id: str,  # noqa: A002
    *,
    label: str | None = None,
    reads: tuple[type[Any], ...] = (),
    roles: tuple[str, ...] = (),
) -> Callable[[RuleFn], CustomRule]:
    """Turn a function ``(ctx) -> Finding`` into a custom rule.

    ``reads`` names the evidence types the rule reads and ``roles`` the people
    roles it looks up (``ctx.people("principal")``), so the testing kit and
    ``campaignflow check`` can drive it with generated evidence and people.

    Example::

        @cf.rule("fire_exits", label="消防通道畅通", reads=(Exit,))
        def fire_exits(ctx: cf.Context) -> cf.Finding:
            blocked = [e for e in ctx.evidence(Exit) if e.blocked]
            return cf.fail(f"{len(blocked)} exits blocked") if blocked else cf.ok()
    """
    if not isinstance(id, str) or not id:
        msg = f"a rule needs a non-empty string id, got {id!r}"
        raise DefinitionError(msg)
    for tp in reads:
        _check_type(tp, "rule(reads=...)")

    def wrap(fn: RuleFn) -> CustomRule:
        candidate: object = fn
        if not callable(candidate):
            msg = f"@rule({id!r}) must decorate a callable, got {fn!r}"
            raise DefinitionError(msg)
        return CustomRule(
            fn=fn, id=id, label=label if label is not None else id, declared_reads=reads, roles=roles
        )

    return wrap


def _combinator_id(kind: str, rules: tuple[Rule, ...]) -> str:
    return f"{kind}({', '.join(r.id for r in rules)})"


def all_of(*rules: RuleLike, id: str | None = None, label: str | None = None) -> AllOf:  # noqa: A002
    """Holds when every rule holds. Every rule is evaluated and reported."""
    parts = tuple(_as_rule(r) for r in rules)
    rid = id or _combinator_id("all_of", parts)
    return AllOf(rules=parts, id=rid, label=label if label is not None else (id or "all of"))


def any_of(*rules: RuleLike, id: str | None = None, label: str | None = None) -> AnyOf:  # noqa: A002
    """Holds when at least one rule holds."""
    parts = tuple(_as_rule(r) for r in rules)
    rid = id or _combinator_id("any_of", parts)
    return AnyOf(rules=parts, id=rid, label=label if label is not None else (id or "any of"))


def not_(inner: RuleLike, *, id: str | None = None, label: str | None = None) -> Not:  # noqa: A002
    """Holds when ``inner`` fails."""
    part = _as_rule(inner)
    rid = id or f"not({part.id})"
    return Not(rule=part, id=rid, label=label if label is not None else f"not: {part.label or part.id}")


def _check_field(of: type[Any], field: str, fn: str) -> None:
    if attrs.has(of):
        names = {a.name for a in attrs.fields(of)}
        if field not in names:
            msg = f"{fn}(): {evidence_name(of)} has no field {field!r} (fields: {', '.join(sorted(names))})"
            raise DefinitionError(msg)
