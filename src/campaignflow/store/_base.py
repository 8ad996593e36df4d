"""The store interface: an append-only log of steps and a projection of unit rows."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol

import attrs
import orjson

from campaignflow.exceptions import ConcurrentUpdate
from campaignflow.values.findings import Verdict
from campaignflow.values.records import Kind, Recorded, Step


@attrs.frozen(kw_only=True)
class UnitRow:
    """The projection of one unit: where it is and how often it was reworked.

    Attributes:
        unit: the unit id.
        stage: its current leaf stage.
        version: bumped by every accepted write to the unit (optimistic locking).
        reworks: send-back counts by stage.
        fired: events the unit has fired at least once, sorted.
        head: the hash of the unit's last step (its chain head), set by the store.
        blocked: when the unit's last attempt was refused by its gate and it has
            not moved since: ``{"event", "stage", "reasons", "at"}``; else ``None``.
    """

    unit: str
    stage: str
    version: int
    reworks: Mapping[str, int] = attrs.field(factory=dict)
    fired: tuple[str, ...] = ()
    head: str = ""
    blocked: Mapping[str, Any] | None = None


# A row for the hot path (a single fire's), set through the slots' own descriptors as the
# attrs ``__init__`` sets them through ``object.__setattr__``; tests/test_fast_values.py checks
# it makes the value the constructor makes, field by field.
_new = object.__new__
_r_unit, _r_stage, _r_version, _r_reworks, _r_fired, _r_head, _r_blocked = (
    getattr(UnitRow, name).__set__
    for name in ("unit", "stage", "version", "reworks", "fired", "head", "blocked")
)


def row_of(  # noqa: PLR0917 - positional on purpose: the hot path's constructor
    unit: str,
    stage: str,
    version: int,
    reworks: Mapping[str, int],
    fired: tuple[str, ...],
    blocked: Mapping[str, Any] | None,
    head: str = "",
) -> UnitRow:
    """``UnitRow(unit=..., stage=..., ...)``, built field by field through the slots."""
    row: UnitRow = _new(UnitRow)
    _r_unit(row, unit)
    _r_stage(row, stage)
    _r_version(row, version)
    _r_reworks(row, reworks)
    _r_fired(row, fired)
    _r_head(row, head)
    _r_blocked(row, blocked)
    return row


@attrs.frozen(kw_only=True)
class Checkpoint:
    """Written with every committed batch: the chain heads the batch left behind.

    Replay must reach exactly these heads when it passes ``last_seq``; a unit
    whose chain was cut short (its last steps deleted, its projection row
    rewritten to match) is caught here. ``hash`` covers the rest, so the
    checkpoint itself cannot be edited unnoticed.

    Attributes:
        first_seq: the batch's first step.
        last_seq: the batch's last step.
        heads: ``(unit, head)`` for every unit the batch wrote, sorted.
        hash: sha256 over the above.
    """

    first_seq: int
    last_seq: int
    heads: tuple[tuple[str, str], ...]
    hash: str


def checkpoint_hash(first_seq: int, last_seq: int, heads: tuple[tuple[str, str], ...]) -> str:
    """The hash a checkpoint must carry."""
    body = orjson.dumps([first_seq, last_seq, heads])  # a tuple is a JSON array: no list built per head
    return hashlib.sha256(body).hexdigest()


def make_checkpoint(steps: Sequence[Step], heads: Mapping[str, str] | None = None) -> Checkpoint:
    """The checkpoint of a batch of stored steps (seq and hash set).

    ``heads``: the chain heads after the batch, when the writer has them (it may
    hold units the batch did not write: only the batch's are taken).
    """
    if heads is None:
        ordered = tuple(sorted({step.unit: step.hash for step in steps}.items()))
    else:
        ordered = tuple(sorted((unit, heads[unit]) for unit in {step.unit: None for step in steps}))
    first, last = steps[0].seq, steps[-1].seq
    return Checkpoint(
        first_seq=first, last_seq=last, heads=ordered, hash=checkpoint_hash(first, last, ordered)
    )


@attrs.frozen
class StoredCampaign:
    """A campaign a database holds, as its catalogue lists it (:meth:`SQLStore.campaigns`).

    Attributes:
        id: the campaign's id.
        prefix: the prefix of its tables (``cf_`` for a database's first campaign).
        schema: the schema revision its tables were created at.
        created_at: when it was added to the database (ISO 8601, UTC).
    """

    id: str
    prefix: str
    schema: int
    created_at: str


class Store(Protocol):
    """What a run needs of its storage. Every method is atomic.

    Idempotency keys (``key=`` on a run's writes) need two more methods, which
    the built-in stores have: ``keyed(key) -> Step | None``, the step a key
    wrote, and ``keys()``, ``(key, unit, seq)`` of the index for ``verify``;
    ``append`` then refuses a step whose ``key`` is already indexed
    (``ConcurrentUpdate``: a rival request wrote it since the run looked).

    A store may also take a batch as columns, ``append_fires(fires, expected)``
    (:class:`Fires`: numbering them, as ``append`` does); one without it is
    given the batch's built steps and rows through ``append`` (:func:`append_fires`).
    Likewise a single fire's write, ``append_one(step, row, version)`` (one step, its
    unit's row, the unit expected at ``version``: :func:`append_one_of`), else ``append``.
    """

    def append(
        self, steps: Sequence[Step], rows: Sequence[UnitRow], expected: Mapping[str, int]
    ) -> list[Step]:
        """Write ``steps`` and ``rows`` in one transaction and return the steps with seqs.

        Raises:
            ConcurrentUpdate: a unit's stored version is not ``expected[unit]``;
                nothing was written.
        """

    def records(self, unit: str, kind: str) -> Sequence[Recorded[Any]]:
        """The unit's live evidence of type ``kind``, oldest first."""

    def records_many(
        self, units: Sequence[str], kinds: Sequence[str]
    ) -> dict[tuple[str, str], tuple[Recorded[Any], ...]]:
        """:meth:`records` for every unit and kind given, in one read (batches)."""

    def history(self, unit: str) -> tuple[Step, ...]:
        """The unit's steps, oldest first."""

    def steps(self) -> Iterator[Step]:
        """The whole log in seq order."""

    def rows(self) -> Iterator[UnitRow]:
        """The stored projection."""

    def checkpoints(self) -> Iterator[Checkpoint]:
        """The batch checkpoints, by ``last_seq``."""

    def row(self, unit: str) -> UnitRow | None:
        """The unit's stored row, or ``None`` when nothing was written for it."""

    def bind(
        self, campaign: str, *, fresh: bool, evidence_types: Mapping[str, type[Any]] | None = None
    ) -> None:
        """Tie the store to a campaign id.

        Args:
            campaign: the campaign id.
            fresh: True when starting a new run: the store must then hold no steps.
            evidence_types: the campaign's evidence classes by name, to decode with.

        Raises:
            StoreError: the store holds no run of ``campaign`` (an SQL database may
                hold several campaigns: a fresh bind adds it; a memory store holds
                one), or (``fresh``) already holds a run of it.
        """


def key_taken(step: Step, expected: Mapping[str, int], seq: int) -> ConcurrentUpdate:
    """The lost race of a write whose idempotency key a rival request wrote (at ``seq``) meanwhile.

    A retry (``cf.retry``) then finds the rival's step under the key and returns it.
    """
    version = expected.get(step.unit, 0)
    detail = f"idempotency key {step.key!r} was written meanwhile by another request, at step {seq}"
    return ConcurrentUpdate(step.unit, expected=version, found=version, detail=detail)


def numbered(step: Step, seq: int, links: tuple[str, str] | None = None) -> Step:
    """``step`` with its log sequence number (and its evidence's), and with ``links``
    (``(prev_hash, hash)``) when the store hashed it as it wrote.

    A step the run built for this write (seq 0, its evidence's seq 0 too) has no
    other reference: it is numbered in place, sparing a copy of every field on
    the hot path. Any other step is copied.
    """
    evidence = step.evidence
    prev, digest = links if links is not None else (step.prev_hash, step.hash)
    if step.seq == 0 and (evidence is None or evidence.seq == 0):
        if evidence is not None:
            object.__setattr__(evidence, "seq", seq)
        object.__setattr__(step, "seq", seq)
        if links is not None:  # else the links stay as they are
            object.__setattr__(step, "prev_hash", prev)
            object.__setattr__(step, "hash", digest)
        return step
    if evidence is not None:
        evidence = attrs.evolve(evidence, seq=seq)
    return attrs.evolve(step, seq=seq, evidence=evidence, prev_hash=prev, hash=digest)


def append_one_of(store: object) -> Callable[[Step, UnitRow, int], Step] | None:
    """The store's ``append_one(step, row, version)`` (one step and its row, a single fire's
    write), or ``None`` when its writes must go through ``append``.

    Taken only from the class nearest the store's own that defines ``append`` or
    ``append_one``: a subclass that overrides ``append`` alone, or a wrapper that
    forwards attributes, is written through its ``append``.
    """
    for klass in type(store).__mro__:
        held = vars(klass)
        if "append_one" in held:
            one: Callable[[Step, UnitRow, int], Step] = getattr(store, "append_one")  # noqa: B009 - typed here
            return one
        if "append" in held:
            return None
    return None


class LaterVerdict(Protocol):
    """A passing verdict not built yet: what a batch keeps per unit instead of a :class:`Verdict`."""

    @property
    def passed(self) -> bool:
        """Always True: only passes are deferred."""

    def verdict(self) -> Verdict:
        """The verdict, built now (each call builds a new one)."""


class Fires:
    """A batch's fire and refusal steps as columns: one event, actor and moment, per step a unit,
    kind, source, destination, reason and verdict (``fire_many``'s write), and the units'
    projection rows after it (per unit a version, fired events, reworks, refusal).

    A store that has ``append_fires`` keeps the columns and builds each :class:`Step`
    when it is read (:meth:`step`, once per step: the batch's result and the store
    share it), each row likewise (:meth:`row`); :func:`append_fires` hands any other
    store the built steps and rows through ``append``. Units are distinct within a
    batch. ``seqs`` is set by the write.
    """

    __slots__ = (
        "actor",
        "at",
        "blocked",
        "built",
        "dests",
        "event",
        "kinds",
        "names",
        "positions",
        "reasons",
        "reworks",
        "seqs",
        "sources",
        "units",
        "verdicts",
        "versions",
    )

    def __init__(self, event: str, actor: str, at: str) -> None:
        self.event, self.actor, self.at = event, actor, at
        self.units: list[str] = []
        self.kinds: list[Kind] = []
        self.sources: list[str] = []
        self.dests: list[str] = []
        self.reasons: list[str] = []
        self.verdicts: list[Verdict | LaterVerdict] = []
        self.seqs: Sequence[int] = ()
        self.built: list[Step | None] = []
        # The rows' columns (the stage is the step's destination).
        self.versions: list[int] = []
        self.names: list[tuple[str, ...]] = []
        self.reworks: list[Mapping[str, int] | None] = []  # the unit's own (replaced, never edited)
        self.blocked: list[Mapping[str, Any] | None] = []
        self.positions: dict[str, int] | None = None  # unit -> its place in the batch, when asked

    def position(self, unit: str) -> int:
        """Where ``unit`` stands in the batch."""
        positions = self.positions
        if positions is None:
            positions = self.positions = {u: i for i, u in enumerate(self.units)}
        return positions[unit]

    def row(self, i: int) -> UnitRow:
        """The projection row the batch left for its ``i``-th unit."""
        reworks = self.reworks[i]
        return UnitRow(
            unit=self.units[i],
            stage=self.dests[i],
            version=self.versions[i],
            reworks=dict(reworks) if reworks else {},
            fired=self.names[i],
            blocked=self.blocked[i],
        )

    def __len__(self) -> int:
        return len(self.units)

    def step(self, i: int) -> Step:
        """The ``i``-th step (numbered once written), built on first read."""
        found = self.built[i] if self.built else None
        if found is None:
            verdict = self.verdicts[i]
            found = Step(
                seq=self.seqs[i] if self.seqs else 0,
                unit=self.units[i],
                kind=self.kinds[i],
                actor=self.actor,
                at=self.at,
                event=self.event,
                source=self.sources[i],
                dest=self.dests[i],
                verdict=verdict if isinstance(verdict, Verdict) else verdict.verdict(),
                reason=self.reasons[i],
            )
            if self.seqs:
                self.built[i] = found
        return found


def append_fires(store: Store, fires: Fires, expected: Mapping[str, int]) -> None:
    """Write a batch's ``fires`` with its rows in one transaction (as ``append``), numbering them.

    A store without ``append_fires(fires, expected)`` (a host's own) is given the
    built steps and rows through its ``append``, and they become the batch's steps.

    Raises:
        ConcurrentUpdate: as ``append``; nothing was written and ``fires`` is not numbered.
    """
    own = getattr(store, "append_fires", None)
    if own is not None:
        own(fires, expected)
        return
    n = len(fires)
    stored = store.append([fires.step(i) for i in range(n)], [fires.row(i) for i in range(n)], expected)
    fires.built = list(stored)
    fires.seqs = [step.seq for step in stored]
