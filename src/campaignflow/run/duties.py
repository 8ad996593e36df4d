"""What is due, done and overdue, for a subtree at a moment: ``run.obligations()``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from campaignflow.definition.obligations import Duty, Standing, duties_toward

if TYPE_CHECKING:
    from campaignflow.definition.context import RunView
    from campaignflow.definition.obligations import Obligation
    from campaignflow.values.records import Recorded


@attrs.frozen(kw_only=True)
class ObligationReport:
    """Every duty owed toward the units of a subtree, judged at ``now``.

    Attributes:
        node: the subtree's root unit.
        now: the moment judged.
        duties: one row per (obligation, person, unit), overdue first (the longest
            overdue at the top).
        declared: the obligation ids judged, in declaration order.
    """

    node: str
    now: datetime
    duties: tuple[Duty, ...]
    declared: tuple[str, ...] = ()

    def counts(self, obligation: str | None = None) -> dict[str, int]:
        """Duties per standing (``{"done": 12, "due": 3, "overdue": 2, "not_started": 0}``)."""
        tally = Counter(d.standing for d in self.duties if obligation is None or d.obligation == obligation)
        return {s.value: tally.get(s, 0) for s in Standing}

    @property
    def overdue(self) -> tuple[Duty, ...]:
        """The overdue duties (the 曝光台 of obligations)."""
        return tuple(d for d in self.duties if d.standing is Standing.OVERDUE)

    @property
    def obligations(self) -> tuple[str, ...]:
        """The obligation ids present, in declaration order."""
        present = {d.obligation for d in self.duties}
        known = [o for o in self.declared if o in present]
        return tuple(dict.fromkeys([*known, *(d.obligation for d in self.duties)]))

    def by_unit(self, units: Iterable[str], run: RunView) -> dict[str, dict[str, int]]:
        """Standing counts of the duties owed toward each given unit's subtree."""
        org = run.org
        wanted = set(units)
        tallies: dict[str, Counter[Standing]] = {u: Counter() for u in wanted}
        # One walk up from each duty's unit: O(duties x depth), whatever the number of rows.
        for d in self.duties:
            node: str | None = d.target
            while node is not None:
                if node in wanted:
                    tallies[node][d.standing] += 1
                node = org.parent(node)
        return {u: {s.value: tallies[u].get(s, 0) for s in Standing} for u in units}

    def explain(self, *, limit: int = 20) -> str:
        """Text a clerk can read: per obligation (declaration order), its counts, then its duties.

        Each obligation's duties follow its counts: overdue (✗), due (…), then done
        (✓), at most ``limit`` lines per obligation.
        """
        lines = [f"obligations under {self.node} at {self.now:%Y-%m-%d %H:%M}:"]
        if not self.duties:
            lines.append("  (none declared or none owed here)")
        labels = {d.obligation: d.label for d in self.duties}
        marks = {Standing.OVERDUE: "✗", Standing.DUE: "…", Standing.DONE: "✓"}
        for ob in self.obligations:
            c = self.counts(ob)
            lines.append(
                f"  {labels[ob]}: {c['done']} done, {c['due']} due, {c['overdue']} overdue"
                + (f", {c['not_started']} not started" if c["not_started"] else "")
            )
            shown = [d for d in self.duties if d.obligation == ob and d.standing in marks]
            lines.extend(f"    {marks[d.standing]} {d.describe()}" for d in shown[:limit])
            if len(shown) > limit:
                lines.append(f"    ... and {len(shown) - limit} more")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "node": self.node,
            "now": self.now.isoformat(),
            "counts": self.counts(),
            "duties": [d.to_dict() for d in self.duties],
        }


_ORDER = {Standing.OVERDUE: 0, Standing.DUE: 1, Standing.DONE: 2, Standing.NOT_STARTED: 3}


READ = 2_000
"""Units whose evidence one read fetches when judging duties (memory stays flat at any scale)."""

Reader = Callable[[Sequence[str], Sequence[str]], Mapping[tuple[str, str], Sequence["Recorded[Any]"]]]
"""``(units, kinds)`` to the units' evidence by ``(unit, kind)``, as ``run.records_of`` reads it."""


def obligation_report(
    run: RunView,
    obligations: Iterable[Obligation],
    node: str,
    units: Iterable[str],
    now: datetime,
    *,
    read: Reader | None = None,
) -> ObligationReport:
    """Judge every duty owed toward ``units`` (the subtree of ``node``).

    ``read``: fetches many units' evidence at once (one store read per
    :data:`READ` units instead of one per unit and kind).
    """
    targets = tuple(units)
    obligations = tuple(obligations)
    kinds = sorted({ob.kind for ob in obligations})
    found: list[list[Duty]] = [[] for _ in obligations]
    step = READ if read is not None else max(1, len(targets))
    for i in range(0, len(targets), step):
        part = targets[i : i + step]
        batch = read(part, kinds) if read is not None and kinds else None
        for duties_of_ob, ob in zip(found, obligations, strict=True):
            duties_of_ob.extend(duties_toward(ob, run, part, now, read=batch))
    duties = [d for duties_of_ob in found for d in duties_of_ob]
    # Overdue first, the longest overdue (the earliest first missed deadline) at the top.
    duties.sort(key=lambda d: (_ORDER[d.standing], d.overdue_since or now))
    return ObligationReport(
        node=node, now=now, duties=tuple(duties), declared=tuple(ob.id for ob in obligations)
    )
