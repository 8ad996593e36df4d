"""Opening a run from a store, and verifying a store by replaying its log."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Literal

import attrs

from campaignflow.definition.model import Definition
from campaignflow.exceptions import OrgMismatch, StoreError
from campaignflow.org.graph import Org
from campaignflow.run.arguments import one_of
from campaignflow.run.clock import Clock, IdSource
from campaignflow.run.engine import Engine, EngineRefused, send_back_event
from campaignflow.run.members import remember, started
from campaignflow.run.refresh import blocked_of
from campaignflow.run.replay_rows import Logged
from campaignflow.run.rollup import Blocked
from campaignflow.run.run import Run
from campaignflow.run.state import _Unit, unit_row
from campaignflow.store import Store, UnitRow
from campaignflow.store.codec import canonical, chain_hash, step_to_dict
from campaignflow.values.records import Kind, Step

NAMED = 10
"""Units an error message names before "and N more" (the error's ``units`` holds all)."""


def open_run(
    definition: Definition,
    org: Org | Iterable[str],
    store: Store | str | Any,
    *,
    clock: Clock | None = None,
    ids: IdSource | None = None,
    new_units: Literal["refuse", "start"] = "refuse",
) -> Run:
    """Open an existing run from ``store``'s projection (fast: no replay).

    The org is compared with the units the run was started with (kept beside the
    log since this check exists): units the store holds and the org lacks are
    always refused; units the org has and the store lacks are refused too unless
    ``new_units="start"``, which starts them in the initial stage (and keeps
    them as the run's units from then on).

    Raises:
        OrgMismatch: the store holds units the org lacks, or (unless
            ``new_units="start"``) the org has units the store's run was not
            started with; an ``OrgError`` and a ``StoreError``, naming them.
        StoreError: the store belongs to another campaign, or holds a stage the
            campaign does not declare.
    """
    run = Run.over(definition, org, store, fresh=False, clock=clock, ids=ids)
    store = run.store
    known = started(store)
    if known is not None:
        _compare(run.org, known, new_units)
    leaves = set(definition.leaves)
    bits = {e: 1 << i for i, e in enumerate(definition.events)}
    counters = run.counters
    limits = {stage: rework.limit for stage, rework in definition.reworks.items()}
    found = 0
    for unit, row in _stored(store, run.org):
        rec = _Unit(definition.initial)
        if row is not None:
            found += 1
            if row.stage not in leaves:
                msg = (
                    f"unit {unit!r} is stored in stage {row.stage!r}, which campaign "
                    f"{definition.id!r} does not declare: open it with the campaign that wrote it"
                )
                raise StoreError(msg)
            rec.state, rec.version = row.stage, row.version
            rec.fired = sum(bits.get(e, 0) for e in row.fired)
            rec.reworks = dict(row.reworks) or None
            blocked = blocked_of(unit, row.blocked)
            if blocked is not None:
                run._blocked[unit] = blocked  # noqa: SLF001 - replay builds the run's own state
                counters.blocked(unit, +1)
        run._units[unit] = rec  # noqa: SLF001
        counters.add(unit, rec.state)
        if rec.reworks:
            counters.reworked(unit, sum(rec.reworks.values()))
            if any(count > limits.get(stage, count) for stage, count in rec.reworks.items()):
                run._unread.append(unit)  # noqa: SLF001 - its escalations are read on first use
    _finish(run, _strays(store, run.org, found), known, new_units)
    return run


PAGE = 2_000
"""Units whose projection rows one read fetches when a run is opened (memory stays flat at any scale)."""


def _stored(store: Store, org: Org) -> Iterator[tuple[str, UnitRow | None]]:
    """Each unit of ``org`` with its stored row (``None``: it has none), a page of units at a time.

    A store that cannot count its rows is read whole: ~1.2 KB a unit at once,
    three quarters of a GiB at national scale, for rows that are kept a page at a time.
    """
    many = getattr(store, "rows_many", None)
    if many is None or getattr(store, "row_count", None) is None:
        rows = {row.unit: row for row in store.rows()}
        for unit in org:
            yield unit, rows.get(unit)
        return
    units = list(org)
    for i in range(0, len(units), PAGE):
        page = many(units[i : i + PAGE])
        for unit in units[i : i + PAGE]:
            yield unit, page.get(unit)


def _strays(store: Store, org: Org, found: int) -> dict[str, UnitRow]:
    """The stored rows of units outside ``org``, when the store holds more rows than ``found``."""
    count = getattr(store, "row_count", None)
    if count is not None and count() == found:
        return {}
    return {row.unit: row for row in store.rows() if row.unit not in org}


def _finish(run: Run, rows: Mapping[str, UnitRow], known: frozenset[str] | None, new_units: str) -> None:
    """What open does once the units are loaded: stray rows refused, entry times, new units kept."""
    if rows:
        extra = sorted(rows)
        msg = (
            f"the store holds {len(rows)} unit(s) not in org {run.org.name!r}: {_named(extra)}; "
            "open it with the org it was started with (units cannot leave a run)"
        )
        raise OrgMismatch(msg, units=tuple(extra))
    if run.definition.due_afters:
        _entries(run)
    if known is not None and new_units == "start" and len(known) != len(run.org):
        remember(run.store, run.org)


def _named(units: list[str]) -> str:
    return ", ".join(units[:NAMED]) + (f" (and {len(units) - NAMED} more)" if len(units) > NAMED else "")


def _compare(org: Org, known: frozenset[str], new_units: str) -> None:
    """Refuse an org that differs from the units the run was started with."""
    one_of(new_units, "new_units", ("refuse", "start"))
    extra = sorted(known.difference(org))
    if extra:
        msg = (
            f"the store's run holds {len(extra)} unit(s) not in org {org.name!r}: {_named(extra)}; "
            "open it with the org it was started with (units cannot leave a run)"
        )
        raise OrgMismatch(msg, units=tuple(extra))
    new = [u for u in org if u not in known]
    if new and new_units == "refuse":
        msg = (
            f"org {org.name!r} has {len(new)} unit(s) the store's run was not started with: "
            f"{_named(new)}; pass new_units='start' to start them in the initial stage"
        )
        raise OrgMismatch(msg, units=tuple(new))


def _entries(run: Run) -> None:
    """When each unit entered its stage, from one pass over the log (relative deadlines need it).

    The run's start is taken as its first logged step's time.
    """
    entered: dict[str, str] = {}
    first = ""
    for step in run.store.steps():
        first = first or step.at
        if step.kind in {Kind.FIRE, Kind.SEND_BACK}:
            entered[step.unit] = step.at
    run.started = first
    for unit, rec in run._units.items():  # noqa: SLF001 - open builds the run's own state
        rec.since = entered.get(unit, "")


@attrs.frozen(kw_only=True)
class VerifyReport:
    """What :func:`verify` found.

    Attributes:
        ok: True when the replayed log equals the stored projection.
        steps: steps replayed.
        units: units compared.
        unit: the first differing unit (org order), if any.
        seq: the first bad step's seq, if the log itself is inconsistent.
        problem: a sentence naming what differs.
        denials: entries of the denial log checked (refused authorisations).
    """

    ok: bool
    steps: int
    units: int
    unit: str | None = None
    seq: int | None = None
    problem: str = ""
    denials: int = 0


_KINDS = 1 << 16  # evidence types a campaign declares, at most
_SEQS = 1 << 62  # log positions, at most


class _Replayer:
    """Replays steps through the campaign's engine, checking each against its record."""

    def __init__(self, definition: Definition, org: Org, *, keep_index: bool = True) -> None:
        self.definition = definition
        self.keep_index = keep_index  # False: the caller compares the evidence as the log goes
        self.org = org
        self.engine = Engine(definition)
        self.bits = {e: 1 << i for i, e in enumerate(definition.events)}
        self.units = {u: _Unit(definition.initial) for u in org}
        self.blocked: dict[str, Blocked] = {}
        self.heads: dict[str, str] = {}
        self.last: dict[str, int] = {}  # each unit's last replayed seq
        # Evidence id: its unit, kind, seq and live flag packed in one int (see entry): one
        # entry per record of the log, so a tuple of strings each would be most of verify's memory.
        self.index: dict[str, int] = {}
        self._unit_of = list(self.units) if keep_index else []
        self._unit_no = {u: n for n, u in enumerate(self._unit_of)}
        self._kinds: dict[str, int] = {}
        self._kind_of: list[str] = []

    def chain(self, step: Logged, *, as_stored: bool = False) -> str:
        """Check the step's place in its unit's hash chain; returns a problem or "".

        ``as_stored``: the step's stored body hashes, under its ``prev_hash``, to its
        ``hash`` (the store checked the bytes it holds), so only the link is left to check.
        """
        head = self.heads.get(step.unit, "")
        if step.prev_hash != head:
            before = self.last.get(step.unit)
            after = f"its previous step {before}" if before else "the start of its chain"
            return (
                f"step {step.seq} of unit {step.unit!r} does not follow {after}: a step of the unit "
                "between them was deleted, or this one was inserted or moved"
            )
        # A lean step (what the lean decoding gives) hashed as stored; any other is a full Step.
        if not as_stored and (
            not isinstance(step, Step) or chain_hash(head, canonical(step_to_dict(step))) != step.hash
        ):
            return f"step {step.seq} of unit {step.unit!r} was altered: its hash does not match"
        self.heads[step.unit] = step.hash
        self.last[step.unit] = step.seq
        return ""

    def apply(self, step: Logged, *, as_stored: bool = False) -> str:  # noqa: C901, PLR0911 - a return per problem
        """Apply one step; a problem sentence, or "" when it is consistent (``as_stored``: see chain)."""
        rec = self.units.get(step.unit)
        if rec is None:
            return f"step {step.seq} names unit {step.unit!r}, which is not in the org"
        broken = self.chain(step, as_stored=as_stored)
        if broken:
            return broken
        if step.source != rec.state:
            return (
                f"step {step.seq} of unit {step.unit!r} starts from {step.source!r} "
                f"but the unit was in {rec.state!r}"
            )
        rec.version += 1
        if step.kind is Kind.FIRE:
            return self._move(rec, step, step.event)
        if step.kind is Kind.SEND_BACK:
            count = (rec.reworks or {}).get(step.target, 0) + 1
            if step.count != count:
                return f"step {step.seq}: send-back count {step.count}, expected {count}"
            rec.reworks = {**(rec.reworks or {}), step.target: count}
            return self._move(rec, step, send_back_event(step.target))
        if step.dest != rec.state:
            return f"step {step.seq} ({step.kind.value}) moves unit {step.unit!r}"
        if step.kind is Kind.RECORD and step.evidence is not None:
            if self.keep_index:
                self.index[step.evidence.id] = self._pack(step.unit, step.evidence.kind, step.seq)
        elif step.kind is Kind.RETRACT and step.target in self.index:
            self.index[step.target] &= ~1  # no longer live
        if step.kind is Kind.DENY and step.verdict is not None and not step.verdict.passed:
            self.blocked[step.unit] = Blocked.from_verdict(step.verdict)
        return ""

    def _pack(self, unit: str, kind: str, seq: int) -> int:
        no = self._kinds.get(kind)
        if no is None:
            no = self._kinds[kind] = len(self._kind_of)
            self._kind_of.append(kind)
        return ((self._unit_no[unit] * _KINDS + no) * _SEQS + seq) << 1 | 1

    def entry(self, packed: int) -> tuple[str, str, int, bool]:
        """An :attr:`index` value as ``(unit, kind, seq, live)``."""
        live, rest = bool(packed & 1), packed >> 1
        rest, seq = divmod(rest, _SEQS)
        unit, kind = divmod(rest, _KINDS)
        return self._unit_of[unit], self._kind_of[kind], seq, live

    def _move(self, rec: _Unit, step: Logged, event: str) -> str:
        try:
            self.engine.apply(rec, event)
        except EngineRefused as exc:
            return f"step {step.seq}: the campaign refuses it ({exc})"
        except KeyError:  # a re-hashed body's event the machine does not know
            return f"step {step.seq}: the campaign has no event {event!r}"
        if rec.state != step.dest:
            return f"step {step.seq}: the campaign leads to {rec.state!r}, the log says {step.dest!r}"
        if step.kind is Kind.FIRE:
            rec.fired |= self.bits.get(event, 0)
        self.blocked.pop(step.unit, None)
        return ""

    def row(self, unit: str) -> UnitRow:
        return unit_row(unit, self.units[unit], self.bits, self.blocked.get(unit), self.heads.get(unit, ""))
