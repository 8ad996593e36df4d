"""Idempotency keys on writes: a repeated key returns the step it first wrote.

The key travels inside the written step (hashed with it, so ``verify`` sees it
edited) and the store keeps an index of keys, looked up before a write and
again inside the write's transaction. Two requests racing with one key write
once: the loser's write fails with :class:`ConcurrentUpdate`, and its retry
(``cf.retry``) finds the winner's step here. A key seen with another request
is :class:`KeyReused`.
"""

from __future__ import annotations

from collections.abc import Callable

from campaignflow.exceptions import ArgumentError, GateClosed, KeyReused
from campaignflow.store import Store
from campaignflow.store.codec import encode_value
from campaignflow.values.records import Kind, Step

MAX_KEY = 200  # the keys index's column width


def checked_key(key: object) -> str:
    """``key`` as stored: ``""`` for none; a non-empty str of at most 200 characters otherwise.

    Raises:
        TypeError: not a str (nor None).
        ArgumentError: empty, too long, or holding control characters.
    """
    if key is None:
        return ""
    if not isinstance(key, str):
        msg = f"key must be a str (an Idempotency-Key header's value) or None, got {type(key).__name__}"
        raise TypeError(msg)
    if not key or len(key) > MAX_KEY or not key.isprintable():
        msg = (
            f"key={key[:40]!r}: an idempotency key must be 1 to {MAX_KEY} printable characters "
            "(a UUID the client generated per request is the usual choice)"
        )
        raise ArgumentError(msg)
    return key


def first_step(
    store: Store, key: str, *, unit: str, actor: str, what: str, same: Callable[[Step], bool]
) -> Step | None:
    """The step ``key`` already wrote, if this request (``what`` at ``unit`` by ``actor``) is its repeat.

    Returns None when the key wrote nothing yet (or ``key`` is empty).

    Raises:
        KeyReused: the key wrote a step of another request.
        ArgumentError: the store keeps no keys index.
    """
    if not key:
        return None
    finder = getattr(store, "keyed", None)
    if finder is None:
        msg = f"{type(store).__name__} keeps no idempotency keys: write without key= or use a built-in store"
        raise ArgumentError(msg)
    first: Step | None = finder(key)
    if first is None:
        return None
    if first.unit != unit or first.actor != actor or not same(first):
        raise KeyReused(
            key, seq=first.seq, unit=first.unit, first=describe(first), now=f"{what} by {actor!r}"
        )
    return first


def describe(step: Step) -> str:
    """A step in a few words, for KeyReused."""
    what = {
        Kind.RECORD: f"record {step.evidence.kind if step.evidence else ''}",
        Kind.RETRACT: f"retract {step.target!r}",
        Kind.FIRE: f"fire {step.event!r}",
        Kind.DENY: f"refused {step.event!r}",
        Kind.SEND_BACK: f"send_back to {step.target!r}",
    }[step.kind]
    return f"{what} at {step.unit!r} by {step.actor!r}"


def same_record(kind: str, value: object) -> Callable[[Step], bool]:
    """A recording of evidence of type ``kind`` equal to ``value`` (compared as stored)."""
    encoded = encode_value(value)
    return lambda s: (
        s.kind is Kind.RECORD
        and s.evidence is not None
        and s.evidence.kind == kind
        and encode_value(s.evidence.value) == encoded
    )


def repeated_fire(store: Store, key: str, *, unit: str, event: str, actor: str) -> Step | None:
    """The step a repeated ``fire`` returns; a refusal it repeats is raised again as it was.

    Raises:
        GateClosed: the first request under ``key`` was refused by the gate (the
            refusal was written once, under the key; a new attempt needs a new key).
        KeyReused: as :func:`first_step`.
    """
    first = first_step(
        store,
        key,
        unit=unit,
        actor=actor,
        what=f"fire {event!r} at {unit!r}",
        same=lambda s: s.kind in (Kind.FIRE, Kind.DENY) and s.event == event,
    )
    if first is not None and first.kind is Kind.DENY and first.verdict is not None:
        raise GateClosed(first.verdict, actor=first.actor, seq=first.seq, kept=True)
    return first
