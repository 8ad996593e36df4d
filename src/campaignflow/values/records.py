"""Immutable records of what happened: evidence as recorded, and steps."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Generic, TypeVar

import attrs

from campaignflow.values.findings import Verdict

T = TypeVar("T")


class Kind(StrEnum):
    """What a step did."""

    RECORD = "record"
    RETRACT = "retract"
    FIRE = "fire"
    DENY = "deny"
    SEND_BACK = "send_back"


@attrs.frozen(kw_only=True)
class Recorded(Generic[T]):
    """A piece of evidence as the run holds it.

    Attributes:
        id: the evidence id (from the run's id source).
        unit: the unit it was recorded at.
        kind: the evidence type's name.
        value: the user's evidence value (an attrs instance).
        actor: who recorded it.
        at: ISO time of recording.
        seq: the log sequence number of the recording.
    """

    id: str
    unit: str
    kind: str
    value: T
    actor: str
    at: str
    seq: int


@attrs.frozen(kw_only=True)
class Step:
    """One entry of a unit's history, as returned by every operation.

    Attributes:
        seq: position in the campaign's log (global order).
        unit: the unit acted on.
        kind: what happened (record, retract, fire, deny, send_back).
        actor: who did it.
        at: ISO time, from the run's clock.
        event: the event fired or refused (fire, deny).
        source: the stage before.
        dest: the stage after (equal to ``source`` when nothing moved).
        verdict: the gate's verdict that allowed or refused a fire.
        reason: why (send-back reason, retraction reason, denial message).
        evidence: the evidence recorded (record).
        target: the id of the evidence retracted (retract), or the stage sent
            back to (send_back).
        count: the unit's send-back count for ``target`` after a send-back.
        key: the idempotency key the write was given (empty when none): a
            repeated key returns this step instead of writing again. Hashed
            with the rest of the step.
        prev_hash: the hash of the unit's previous step (set by the store).
        hash: this step's hash, covering ``prev_hash`` (set by the store).
    """

    seq: int
    unit: str
    kind: Kind
    actor: str
    at: str
    event: str = ""
    source: str = ""
    dest: str = ""
    verdict: Verdict | None = None
    reason: str = ""
    evidence: Recorded[Any] | None = None
    target: str = ""
    count: int = 0
    key: str = ""
    prev_hash: str = ""
    hash: str = ""


# A fire's step for the hot path: set through the slots' own descriptors, as ``Step``'s
# attrs ``__init__`` would set them one ``object.__setattr__`` at a time (half its cost).
# tests/test_fast_values.py checks it makes the value the constructor makes, field by field.
_new = object.__new__
(_seq, _unit, _kind, _actor, _at, _event, _source, _dest, _verdict, _reason) = (
    getattr(Step, name).__set__
    for name in ("seq", "unit", "kind", "actor", "at", "event", "source", "dest", "verdict", "reason")
)
_evidence, _target, _count, _key, _prev_hash, _hash = (
    getattr(Step, name).__set__ for name in ("evidence", "target", "count", "key", "prev_hash", "hash")
)


def fire_step(  # noqa: PLR0917 - positional on purpose: the hot path's constructor
    unit: str,
    kind: Kind,
    actor: str,
    at: str,
    event: str,
    source: str,
    dest: str,
    verdict: Verdict,
    reason: str = "",
    key: str = "",
) -> Step:
    """``Step(seq=0, unit=unit, kind=kind, ..., reason=reason, key=key)``, built field by field
    through the slots (a fire's or a refusal's step, not numbered yet)."""
    step: Step = _new(Step)
    _seq(step, 0)
    _unit(step, unit)
    _kind(step, kind)
    _actor(step, actor)
    _at(step, at)
    _event(step, event)
    _source(step, source)
    _dest(step, dest)
    _verdict(step, verdict)
    _reason(step, reason)
    _evidence(step, None)
    _target(step, "")
    _count(step, 0)
    _key(step, key)
    _prev_hash(step, "")
    _hash(step, "")
    return step
