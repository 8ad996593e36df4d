"""Rules over people: coverage (一联五, 人手一册) and obligations kept (no meeting while overdue)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

from campaignflow.definition.context import Context, Reads, RunView, evidence_name
from campaignflow.definition.obligations import Duty, Obligation, Standing, duties_of, duties_toward
from campaignflow.definition.rules import FAILED, SHOWN, OverSharedPeople, Rule, no_people
from campaignflow.definition.tallies import Kept, people_at, people_in, tally
from campaignflow.values.findings import Finding

ALL = "all"
"""``coverage(total="all")``: every target (a people role or a level) must be covered."""


_Tally = tuple[tuple[str, ...], tuple[str, ...] | None, dict[str, set[str]], list[str]]
"""A coverage rule's tally: the people judged, the things that count, what each covers, the ids."""


def _listing(items: list[str]) -> str:
    return "、".join(items[:SHOWN]) + ("…" if len(items) > SHOWN else "")


@attrs.frozen(kw_only=True)
class Coverage(OverSharedPeople):
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
        return self._universe(ctx.run, ctx.unit)

    def _universe(self, run: RunView, unit: str) -> tuple[str, ...] | None:
        if self.targets is None:
            return None
        org = run.org
        if self.targets in org.levels:
            return tuple(u for u in org.subtree(unit) if org.level(u) == self.targets)
        return people_at(run, unit, self.targets)

    def tally(self, run: RunView, unit: str) -> _Tally:
        """What ``evaluate`` reads (``run`` and ``unit`` as a :class:`Context` holds them): the
        people judged, the things that count, what each covers and the ids that counted."""
        people = people_at(run, unit, self.among)
        if self.members is not None:
            people = tuple(p for p in self.members if p in people) or self.members
        if not people:
            return people, None, {}, []
        universe = self._universe(run, unit)
        covered, used = self._covered(run, unit, people, universe)
        return people, universe, covered, used

    def quick(self, ctx: Reads) -> bool:
        if not isinstance(ctx, Kept):
            return False  # only a judgement's view keeps the tally its finding is built from
        view, unit = ctx.view, ctx.unit
        people, universe, covered, _ = ctx.kept(id(self), lambda: self.tally(view, unit))
        if not people:
            return False
        # The same checks as ``evaluate``'s: whatever they find short is named only when it is.
        if self._short(view, people, covered)[0]:
            return False
        return not self._total_gap(view, set().union(*covered.values()), universe)[0]

    def evaluate(self, ctx: Context) -> Finding:
        run, unit = ctx.run, ctx.unit
        people, universe, covered, used = tally(run, unit, id(self), lambda: self.tally(run, unit))
        if not people:
            return no_people(self, self.among)
        short, missing = self._short(run, people, covered)
        together = set().union(*covered.values())
        gap, gap_missing = self._total_gap(run, together, universe)
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
        self, run: RunView, unit: str, people: tuple[str, ...], universe: tuple[str, ...] | None
    ) -> tuple[dict[str, set[str]], list[str]]:
        """What each person covers, and the ids of the records that counted."""
        allowed = None if universe is None else frozenset(universe)
        covered: dict[str, set[str]] = {p: set() for p in people}
        used: list[str] = []
        where, by, covers = self.where, self.by, self.covers
        for r in run.people_records(unit, evidence_name(self.of), by):
            if where is not None and not where(r.value):
                continue
            things = people_in(getattr(r.value, covers, None))
            if allowed is not None:
                things &= allowed
            hit = [p for p in people_in(getattr(r.value, by, None)) if p in covered] if things else []
            for person in hit:
                covered[person] |= things
            if hit:
                used.append(r.id)
        return covered, used

    def _short(
        self, run: RunView, people: Iterable[str], covered: Mapping[str, set[str]]
    ) -> tuple[list[str], list[tuple[str, str]]]:
        """Lines naming each person below the minimum, and (id, name) of each, for ``missing``."""
        shown: list[str] = []
        missing: list[tuple[str, str]] = []
        org = run.org
        required, at_least = self.required, self.at_least
        for person in people:
            have = covered[person]
            if required:
                lacking = [item for item in required if item not in have]
                if not lacking:
                    continue
                text = f"lacks {'/'.join(lacking)}"
            elif len(have) < at_least:
                text = f"{len(have)} of {at_least}"
            else:
                continue
            # Named only when short: most people of a passing unit never are.
            name = org.name_of(person)
            groups = org.working_groups_of(person)
            who = f"{name} ({'、'.join(g.name for g in groups)})" if groups else name
            shown.append(f"{who} {text}")
            missing.append((person, name))
        return shown, missing

    def _total_gap(
        self, run: RunView, together: set[str], universe: tuple[str, ...] | None
    ) -> tuple[str, list[tuple[str, str]]]:
        if self.total is None:
            return "", []
        if self.total == ALL and universe is not None:  # coverage() requires targets for "all"
            uncovered = [(t, run.org.name_of(t)) for t in universe if t not in together]
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
