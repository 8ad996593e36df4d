"""A write's log rows with each record's body spliced from pieces encoded once per batch.

``record_many`` writes thousands of record steps a batch that differ in a few
fields only: the unit, the evidence's id, type and value. Their other fields
(actor, moment, stages, the evidence's actor and moment) are shared by most
steps of a batch, so the bytes around the varying fields are encoded once per
batch and shape, and a step costs the encoding of its unit, id and value, one
join and one sha256 (``codec.step_bytes`` built, sorted and encoded a dict of
twelve keys per step). The template comes from ``step_bytes`` itself, encoded
once at import with markers in the varying places (as ``_sql_fires`` does for
fires), so the key order and the constant fields are the codec's; any step
that is not a plain record (a key, a verdict, a count) is encoded by
``step_bytes``, as is a value the splice cannot encode (its error is the
codec's). tests/test_sql_records.py compares the stored rows with the codec's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from typing import Any

import orjson

from campaignflow.store._sql_fires import _fill, _mark, _template
from campaignflow.store.codec import step_bytes
from campaignflow.store.convert import to_data
from campaignflow.values.records import Kind, Recorded, Step

_SLOTS = ("id", "value", "unit")  # a step's own fields, in the order the body holds them
_SHAPE = ("actor", "at", "event", "source", "dest", "reason", "target", "ekind", "eactor", "eat")


def _cut() -> list[bytes | str]:
    """A record's body with every string field a marker, cut at them (the value is a string too)."""
    recorded = Recorded(
        id=_mark("id"),
        unit="",
        kind=_mark("ekind"),
        value=_mark("value"),
        actor=_mark("eactor"),
        at=_mark("eat"),
        seq=0,
    )
    step = Step(
        seq=0,
        unit=_mark("unit"),
        kind=Kind.RECORD,
        actor=_mark("actor"),
        at=_mark("at"),
        event=_mark("event"),
        source=_mark("source"),
        dest=_mark("dest"),
        reason=_mark("reason"),
        target=_mark("target"),
        evidence=recorded,
    )
    parts = _template(step_bytes(step))
    names = [p for p in parts if isinstance(p, str)]
    if tuple(n for n in names if n in _SLOTS) != _SLOTS or sorted(names) != sorted(_SLOTS + _SHAPE):
        msg = f"a record's body has fields in an order this writer does not splice: {parts}"
        raise RuntimeError(msg)
    return parts


_PARTS = _cut()
_COLUMN = {kind: kind.value for kind in Kind}  # enum attribute access is slow on 3.11


def _pieces(values: dict[str, bytes]) -> tuple[bytes, bytes, bytes, bytes]:
    """The body's bytes before, between and after its three slots, for one shape's ``values``."""
    out: list[bytes] = []
    start = 0
    for i, part in enumerate(_PARTS):
        if part in _SLOTS:
            out.append(_fill(_PARTS[start:i], values))
            start = i + 1
    out.append(_fill(_PARTS[start:], values))
    first, second, third, last = out
    return first, second, third, last


def log_rows(
    steps: Sequence[Step], seqs: Sequence[int], heads: dict[str, str], links: list[tuple[str, str]]
) -> Iterator[tuple[int, str, str, str, str, str]]:
    """The log rows ``(seq, unit, kind, body, prev_hash, hash)`` of ``steps``, numbered ``seqs``.

    As ``codec.chained_rows``, of which it is the faster form for records: each
    unit's chain continues from ``heads`` (advanced as it goes), ``links``
    collects each step's ``(prev_hash, hash)``; a generator, so that a COPY
    sends rows as they come. The bodies are ``step_bytes``'s, byte for byte.
    """
    dumps, sha256, sort = orjson.dumps, hashlib.sha256, orjson.OPT_SORT_KEYS
    record, kinds = Kind.RECORD, _COLUMN
    text: dict[str, bytes] = {}  # each distinct string of the batch, encoded once

    def enc(value: str) -> bytes:
        found = text.get(value)
        if found is None:
            found = text[value] = dumps(value)
        return found

    shapes: dict[tuple[str, ...], tuple[bytes, bytes, bytes, bytes]] = {}
    shape: tuple[str, ...] = ()
    first = second = third = last = b""
    for step, seq in zip(steps, seqs, strict=True):
        ev: Recorded[Any] | None = step.evidence
        unit = step.unit
        body = None
        if (
            ev is not None
            and step.kind is record
            and not step.key
            and step.verdict is None
            and not step.count
        ):
            now = (
                step.actor,
                step.at,
                step.event,
                step.source,
                step.dest,
                step.reason,
                step.target,
                ev.kind,
                ev.actor,
                ev.at,
            )
            if now != shape:  # a tuple compares its items by identity first: most steps share the last's
                shape = now
                pieces = shapes.get(now)
                if pieces is None:
                    pieces = shapes[now] = _pieces({n: enc(v) for n, v in zip(_SHAPE, now, strict=True)})
                first, second, third, last = pieces
            try:
                value = dumps(to_data(ev.value), option=sort)
            except TypeError:
                pass  # step_bytes raises the codec's error for it
            else:
                body = b"".join((first, dumps(ev.id), second, value, third, enc(unit), last))
        if body is None:
            body = step_bytes(step)
        prev = heads.get(unit, "")
        # codec.chain_hash: sha256 over the previous hash (ASCII hex) and the body.
        digest = sha256(prev.encode() + body).hexdigest()
        heads[unit] = digest
        links.append((prev, digest))
        yield seq, unit, kinds[step.kind], body.decode(), prev, digest
