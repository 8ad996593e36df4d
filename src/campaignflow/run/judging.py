"""Judging a transition for one unit: ordering, then the gate, into a :class:`Verdict`.

A gate made of declared primitives is first asked :meth:`Rule.quick` on a
snapshot of the unit's records; when it certainly holds, the verdict's findings
are built only when someone reads them, from that same snapshot, so they are
exactly what evaluating at the check would have said. Any other gate (custom
rules, rules over people, a failing gate) is evaluated in full at once.

A batch judges its units over one read of their records and of those shared to
them from above (:class:`BatchRead`): each unit's full evaluation reads the
same records a single fire reads at that moment, without a query of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from campaignflow.definition.context import Context, RunView, evidence_name
from campaignflow.definition.rules import QuickCheck, certainly_holds, evaluate, holds_over
from campaignflow.definition.sharing import people_records
from campaignflow.definition.tallies import Kept
from campaignflow.values.findings import Finding, Status, Verdict
from campaignflow.values.records import Recorded, Step

if TYPE_CHECKING:
    from campaignflow.definition.actors import Actor
    from campaignflow.definition.model import Transition
    from campaignflow.definition.sharing import CountsBelow
    from campaignflow.org.graph import Org
    from campaignflow.values.findings import Names

_PASSED, _FAILED, _ERROR = Status.PASSED, Status.FAILED, Status.ERROR


class BatchRead(dict[tuple[str, str], Sequence[Recorded[Any]]]):
    """A batch's records by (unit, kind), read at once: its units' own, and the units' above
    them that ``counts_below`` shares (``shares``: the campaign's declarations by kind).

    Made for one batch and dropped with it: evidence recorded after it is read by the next.
    """

    __slots__ = ("shares",)

    def __init__(
        self, read: Mapping[tuple[str, str], Sequence[Recorded[Any]]], shares: Mapping[str, CountsBelow]
    ) -> None:
        super().__init__(read)
        self.shares = shares


class Snapshot(Kept):
    """A run view whose records of one unit are frozen at the moment of a check.

    ``read``: a batch's read (:class:`BatchRead`): any unit's records it holds come
    from it, and the records shared from above are read through it, not one query
    each. The rules over people keep their tallies here (:class:`Kept`), once per
    judgement.
    """

    __slots__ = ("kinds", "read", "run", "unit")

    def __init__(
        self,
        run: RunView,
        unit: str,
        kinds: dict[str, Sequence[Recorded[Any]]],
        read: BatchRead | None = None,
    ) -> None:
        # Kept's slot set here, not by a super() call: a batch makes one snapshot per unit.
        self.tallies = None
        self.run = run
        self.unit = unit
        self.kinds = kinds
        self.read = read

    @property
    def view(self) -> RunView:
        return self

    def records(self, tp: type[Any]) -> Sequence[Recorded[Any]]:
        """The frozen records of type ``tp`` (what a quick check reads)."""
        found = self.kinds.get(tp.__name__)
        return found if found is not None else self.records_of(self.unit, evidence_name(tp))

    @property
    def org(self) -> Org:
        return self.run.org

    @property
    def labels(self) -> Names:
        return self.run.labels

    def all_records_of(self, unit: str, kind: str) -> Sequence[Recorded[Any]]:
        return self.run.all_records_of(unit, kind)

    def stage_of(self, unit: str) -> str:
        return self.run.stage_of(unit)

    def has_fired(self, unit: str, event: str) -> bool:
        return self.run.has_fired(unit, event)

    def reached(self, unit: str, stage: str) -> bool:
        return self.run.reached(unit, stage)

    def records_of(self, unit: str, kind: str) -> Sequence[Recorded[Any]]:
        read = self.read
        if read is not None:
            held = read.get((unit, kind))
            if held is not None:
                return held
        if unit != self.unit:
            return self.run.records_of(unit, kind)
        found = self.kinds.get(kind)
        if found is None:
            # Read once per judgement, however many rules ask (the same moment for all).
            found = self.kinds[kind] = tuple(self.run.records_of(unit, kind))
        return found

    def history(self, unit: str) -> tuple[Step, ...]:
        return self.run.history(unit)

    def people_records(
        self, unit: str, kind: str, field: str, *, own: Sequence[Recorded[Any]] | None = None
    ) -> Sequence[Recorded[Any]]:
        read = self.read
        if read is not None:
            if own is None:
                own = self.records_of(unit, kind)
            # The records above are read through this view: from the batch's read, not one query each.
            return people_records(read.shares, self, unit, kind, field, own)
        if unit != self.unit or own is not None:
            return self.run.people_records(unit, kind, field, own=own)
        return self.run.people_records(unit, kind, field, own=self.records_of(unit, kind))


def read_kinds(t: Transition) -> tuple[str, ...]:
    """The evidence kinds ``t``'s ordering and gate declare they read (custom rules may read more).

    The ordering's count: a review's ``ReviewsPassed`` reads the unit's review records
    (and its checks' kinds) for every unit leaving the reviewed stage.
    """
    rules = (*t.order, t.gate) if t.gate is not None else t.order
    return tuple(dict.fromkeys(evidence_name(tp) for rule in rules for tp in rule.reads))


def quick_kinds(t: Transition) -> tuple[str, ...] | None:
    """The evidence kinds a quick check of ``t``'s gate reads, or ``None`` if it has none."""
    gate = t.gate
    if gate is None or not gate.quickable:
        return None
    return tuple(dict.fromkeys(evidence_name(tp) for tp in gate.reads))


def combine(t: Transition, parts: Sequence[Finding]) -> Finding:
    """The root finding of a transition from its ordering and gate findings."""
    if len(parts) == 1:
        return parts[0]
    bad = [p for p in parts if p.status is not _PASSED]
    status = _PASSED
    if bad:
        status = _ERROR if any(p.status is _ERROR for p in bad) else _FAILED
    return Finding(
        rule=t.event,
        label=t.label or t.event,
        status=status,
        reason=f"{len(bad)} of {len(parts)} failed" if bad else "",
        children=tuple(parts),
    )


def frozen(
    run: RunView,
    unit: str,
    kinds: tuple[str, ...],
    read: Mapping[tuple[str, str], Sequence[Recorded[Any]]] | None = None,
) -> dict[str, Sequence[Recorded[Any]]]:
    """The unit's records of ``kinds`` as they are now (``read``: a batch's reads, by unit and kind)."""
    out: dict[str, Sequence[Recorded[Any]]] = {}
    for kind in kinds:
        records = read.get((unit, kind)) if read is not None else None
        if records is None:
            records = run.records_of(unit, kind)
        out[kind] = records if isinstance(records, tuple) else tuple(records)
    return out


class _Later(Snapshot):
    """A passing verdict's snapshot, which builds the verdict's root finding on first read.

    One object per lazy verdict (the snapshot and its builder together): a run keeps
    every fire's verdict, and each object a fire leaves behind is one more for the
    cyclic collector to walk.
    """

    __slots__ = ("actor", "at", "now", "order", "stage", "t")
    passed = True  # only passes are deferred (``Fires`` keeps this in place of a ``Verdict``)

    def __init__(  # noqa: PLR0917 - private, built in one place
        self,
        run: RunView,
        unit: str,
        kinds: dict[str, Sequence[Recorded[Any]]],
        t: Transition,
        order: Sequence[Finding],
        stage: str,
        actor: Actor | None,
        now: datetime,
        at: str,
        read: BatchRead | None = None,
    ) -> None:
        super().__init__(run, unit, kinds, read)
        self.t, self.order, self.stage, self.actor, self.now, self.at = t, order, stage, actor, now, at

    def verdict(self) -> Verdict:
        """The lazy verdict this snapshot builds the findings of."""
        run = self.run
        return Verdict(
            unit=self.unit, event=self.t.event, stage=self.stage, at=self.at, labels=run.labels, build=self
        )

    def __call__(self) -> Finding:
        t = self.t
        ctx = Context(
            unit=self.unit, stage=self.stage, event=t.event, actor=self.actor, now=self.now, run=self
        )
        assert t.gate is not None  # noqa: S101 - only gated transitions are judged lazily
        return combine(t, [*self.order, evaluate(t.gate, ctx)])


_NO_ORDER: tuple[Finding, ...] = ()


def _memo(
    run: RunView,
    unit: str,
    read: Mapping[tuple[str, str], Sequence[Recorded[Any]]] | None,
    reads: tuple[str, ...],
) -> Snapshot:
    """The view a full evaluation reads ``unit`` through: each kind read once, from ``read``
    (a batch's) where it holds it; a :class:`BatchRead` answers for the units above too."""
    held = {k: v for k in reads if (v := read.get((unit, k))) is not None} if read else {}
    return Snapshot(run, unit, held, read if isinstance(read, BatchRead) else None)


def quick_later(  # noqa: PLR0917 - private, the batch loop's and judge's shared step
    run: RunView,
    unit: str,
    stage: str,
    t: Transition,
    actor: Actor | None,
    now: datetime,
    at: str,
    kinds: tuple[str, ...],
    quick: QuickCheck,
    read: Mapping[tuple[str, str], Sequence[Recorded[Any]]] | None = None,
    order: Sequence[Finding] = _NO_ORDER,
) -> _Later | None:
    """A pass of ``t``'s compiled quick gate, not built yet (``.verdict()``), or ``None`` when it
    cannot tell.

    ``order``: the ordering findings, all passed (the lazy verdict's root combines them).
    A batch keeps this snapshot in the verdict's place, so that a step nobody reads
    builds no ``Verdict``; the snapshot is the lazy verdict's builder too.
    """
    records = frozen(run, unit, kinds, read)
    if not holds_over(quick, records):
        return None
    return _Later(run, unit, records, t, order, stage, actor, now, at)


def judge(
    run: RunView,
    *,
    unit: str,
    stage: str,
    t: Transition,
    actor: Actor | None,
    now: datetime,
    kinds: tuple[str, ...] | None,
    at: str | None = None,
    open_root: Finding | None = None,
    read: Mapping[tuple[str, str], Sequence[Recorded[Any]]] | None = None,
    reads: tuple[str, ...] = (),
    quick: QuickCheck | None = None,
) -> Verdict:
    """The verdict on ``t`` for ``unit`` (in ``stage``) at ``now`` (``at``: its ISO text).

    ``open_root``: the finding shared by every verdict of a transition with neither
    gate nor ordering (it says the same for every unit). ``read``: records a batch
    read at once, used instead of one read per unit; ``reads``: the kinds the
    ordering and gate declare they read; ``quick``: the gate's compiled quick check, if it has one.
    """
    at = at or now.isoformat()
    if open_root is not None:
        return Verdict(unit=unit, event=t.event, stage=stage, at=at, labels=run.labels, root=open_root)
    order: Sequence[Finding] = _NO_ORDER
    memo: Snapshot | None = None
    if t.order:
        # The ordering and a full evaluation read each kind once, the batch's reads first.
        memo = _memo(run, unit, read, reads)
        ctx = Context(unit=unit, stage=stage, event=t.event, actor=actor, now=now, run=memo)
        order = [evaluate(o, ctx) for o in t.order]
    gate = t.gate
    if kinds is not None and gate is not None and (not order or all(p.status is _PASSED for p in order)):
        if quick is not None:
            lazy = quick_later(run, unit, stage, t, actor, now, at, kinds, quick, read, order)
            if lazy is not None:
                return lazy.verdict()
        else:
            # The snapshot is the lazy verdict's builder too: one object left behind per pass.
            batch = read if isinstance(read, BatchRead) else None
            later = _Later(run, unit, frozen(run, unit, kinds, read), t, order, stage, actor, now, at, batch)
            if certainly_holds(gate, later):
                # Its rules read all they need at the check (the rules over people's tallies are
                # kept in it): the verdict left behind must not hold the batch's read alive.
                later.read = None
                return later.verdict()
            if memo is None:
                memo = later  # the tallies the quick check kept serve the full evaluation
    if gate is None:
        return Verdict(
            unit=unit, event=t.event, stage=stage, at=at, labels=run.labels, root=combine(t, order)
        )
    if memo is None:
        memo = _memo(run, unit, read, reads)
    ctx = Context(unit=unit, stage=stage, event=t.event, actor=actor, now=now, run=memo)
    return Verdict(
        unit=unit,
        event=t.event,
        stage=stage,
        at=at,
        labels=run.labels,
        root=combine(t, [*order, evaluate(gate, ctx)]),
    )
