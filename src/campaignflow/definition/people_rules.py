"""Rules over people: coverage (一联五, 人手一册) and obligations kept (no meeting while overdue)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from campaignflow.definition.context import Context, evidence_name, names
from campaignflow.definition.obligations import Duty, Obligation, Standing, duties_of, duties_toward
from campaignflow.definition.rules import FAILED, SHOWN, Rule, no_people
from campaignflow.values.findings import Finding

ALL = "all"
"""``coverage(total="all")``: every target (a people role or a level) must be covered."""


def _listing(items: list[str]) -> str:
    return "、".join(items[:SHOWN]) + ("…" if len(items) > SHOWN else "")


@attrs.frozen(kw_only=True)
class Coverage(Rule):
    """Each person with role ``among`` covers enough distinct things, and together enough.

    Evidence of type ``of`` links the person(s) in field ``by`` to the thing(s) in
    field ``covers`` (a household, a handbook...). Each person must cover
    ``at_least`` distinct things, or every one of ``required``; together they
    must cover ``total`` distinct things (``"all"``: every target). With
    ``targets`` (a people role at the unit, or a level of the org below it), only
    those count.
    """

    of: type[Any]
    among: str
    by: str
    covers: str
    at_least: int
    required: tuple[str, ...]
    total: int | str | None
    targets: str | None
    where: Callable[[Any], bool] | None
    id: str
    label: str
    members: tuple[str, ...] | None = None  # judge only these people (one working group's)

    @property
    def reads(self) -> tuple[type[Any], ...]:
        return (self.of,)

    @property
    def thresholds(self) -> Mapping[str, float]:
        out: dict[str, float] = {"at_least": len(self.required) or self.at_least}
        if isinstance(self.total, int):
            out["total"] = self.total
        return out

    def universe(self, ctx: Context) -> tuple[str, ...] | None:
        """The things that may be covered (``None``: anything)."""
        if self.targets is None:
            return None
        org = ctx.org
        if self.targets in org.levels:
            return tuple(u for u in org.subtree(ctx.unit) if org.level(u) == self.targets)
        return ctx.people(self.targets)

    def evaluate(self, ctx: Context) -> Finding:
        people = ctx.people(self.among)
        if self.members is not None:
            people = tuple(p for p in self.members if p in people) or self.members
        if not people:
            return no_people(self, self.among)
        universe = self.universe(ctx)
        covered, used = self._covered(ctx, people, universe)
        short, missing = self._short(ctx, people, covered)
        together = set().union(*covered.values())
        gap, gap_missing = self._total_gap(ctx, together, universe)
        what = evidence_name(self.of)
        if not short and not gap:
            return Finding(
                rule=self.id,
                label=self.label,
                reason=(
                    f"all {len(people)} {self.among} covered by {what}; {len(together)} {self.covers} in all"
                ),
                evidence=tuple(used),
            )
        reasons = []
        if short:
            reasons.append(f"{_listing(short)} ({len(short)} of {len(people)} {self.among} short)")
        if gap:
            reasons.append(gap)
        return Finding(
            rule=self.id,
            label=self.label,
            status=FAILED,
            reason="; ".join(reasons),
            evidence=tuple(used),
            missing=tuple(i for i, _ in (*missing, *gap_missing)),
            missing_labels=tuple(label for _, label in (*missing, *gap_missing)),
        )

    def _covered(
        self, ctx: Context, people: tuple[str, ...], universe: tuple[str, ...] | None
    ) -> tuple[dict[str, set[str]], list[str]]:
        """What each person covers, and the ids of the records that counted."""
        allowed = None if universe is None else frozenset(universe)
        covered: dict[str, set[str]] = {p: set() for p in people}
        used: list[str] = []
        for r in ctx.records_for_people(self.of, self.by):
            if self.where is not None and not self.where(r.value):
                continue
            things = names(getattr(r.value, self.covers, None))
            if allowed is not None:
                things &= allowed
            hit = [p for p in names(getattr(r.value, self.by, None)) if p in covered] if things else []
            for person in hit:
                covered[person] |= things
            if hit:
                used.append(r.id)
        return covered, used

    def _short(
        self, ctx: Context, people: Iterable[str], covered: Mapping[str, set[str]]
    ) -> tuple[list[str], list[tuple[str, str]]]:
        """Lines naming each person below the minimum, and (id, name) of each, for ``missing``."""
        shown: list[str] = []
        missing: list[tuple[str, str]] = []
        org = ctx.org
        for person in people:
            have = covered[person]
            name = ctx.name(person)
            groups = org.working_groups_of(person)
            who = f"{name} ({'、'.join(g.name for g in groups)})" if groups else name
            if self.required:
                lacking = [item for item in self.required if item not in have]
                if lacking:
                    shown.append(f"{who} lacks {'/'.join(lacking)}")
                    missing.append((person, name))
            elif len(have) < self.at_least:
                shown.append(f"{who} {len(have)} of {self.at_least}")
                missing.append((person, name))
        return shown, missing

    def _total_gap(
        self, ctx: Context, together: set[str], universe: tuple[str, ...] | None
    ) -> tuple[str, list[tuple[str, str]]]:
        if self.total is None:
            return "", []
        if self.total == ALL and universe is not None:  # coverage() requires targets for "all"
            uncovered = [(t, ctx.name(t)) for t in universe if t not in together]
            if not uncovered:
                return "", []
            shown = _listing([name for _, name in uncovered])
            return (f"{self.covers} not covered: {shown} ({len(uncovered)} of {len(universe)})", uncovered)
        need = int(self.total)
        if len(together) >= need:
            return "", []
        count = f"{need - len(together)} × {self.covers}"
        return (
            f"{len(together)} of {need} {self.covers} covered ({need - len(together)} short)",
            [(count, count)],
        )


@attrs.frozen(kw_only=True)
class NotOverdue(Rule):
    """No duty of ``obligation`` is overdue at the time of the check.

    ``side="people"`` checks the duties owed by the unit's own people (a county
    meeting waits for the county leaders' contact visits); ``side="target"``
    checks the duties owed toward the unit (a village waits for its visitors).
    """

    obligation: Obligation
    side: str
    id: str
    label: str

    @property
    def reads(self) -> tuple[type[Any], ...]:
        return (self.obligation.evidence,)

    def duties(self, ctx: Context) -> list[Duty]:
        """The duties the rule judges, at the check's time."""
        ob = self.obligation
        if self.side == "target":
            return list(duties_toward(ob, ctx.run, (ctx.unit,), ctx.now))
        return list(duties_of(ob, ctx.run, ctx.unit, ctx.now))

    def evaluate(self, ctx: Context) -> Finding:
        duties = self.duties(ctx)
        ob = self.obligation
        if not duties:
            return Finding(rule=self.id, label=self.label, reason=f"no {ob.role} here owes {ob.label}")
        late = [d for d in duties if d.standing is Standing.OVERDUE]
        used = tuple(i for d in duties for i in d.evidence)
        if not late:
            done = sum(d.standing is Standing.DONE for d in duties)
            return Finding(
                rule=self.id,
                label=self.label,
                reason=f"none of {len(duties)} overdue ({done} done this period)",
                evidence=used,
            )
        lines = [d.describe() for d in late]
        return Finding(
            rule=self.id,
            label=self.label,
            status=FAILED,
            reason=f"{len(late)} of {len(duties)} overdue: "
            + "; ".join(lines[:SHOWN])
            + ("; ..." if len(lines) > SHOWN else ""),
            evidence=used,
            missing=tuple(f"{d.person}→{d.target}" for d in late),
            missing_labels=tuple(f"{d.person_name} → {d.target_name}" for d in late),
        )
