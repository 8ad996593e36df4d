"""A batch of fires written by columns: its log rows, projection rows and checkpoint, no ``Step``.

``fire_many`` hands the store a :class:`~campaignflow.store._base.Fires`: one
event, actor and moment, and per unit a kind, source, destination, reason and
verdict. The SQL store writes it from those columns, as the memory store keeps
it: no :class:`Step` or :class:`UnitRow` per unit is built to be written (a
step is built when something reads it, as before).

Each body is the bytes :func:`~campaignflow.store.codec.step_bytes` gives the
built step, spliced from pieces: most of a body is the same for every step of a
batch that shares a (kind, source, destination, reason) and a verdict's
(moment, event, stage, outcome, root finding), so those pieces are encoded once
per batch and only the unit's id is encoded per step. The templates come from
``step_bytes`` and ``Verdict.fragment`` themselves (encoded once at import with
markers in the varying places), so the key order and the constant fields are
theirs; the differential tests compare the stored rows with the built steps'.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import orjson

from campaignflow.store._base import Checkpoint, Fires, checkpoint_hash
from campaignflow.store.codec import step_bytes
from campaignflow.values.findings import Finding, Status, Verdict
from campaignflow.values.records import Kind, Step

_MARK = "\ue000"  # a private-use character: JSON leaves it as it is
_FIELD = re.compile(b'"' + _MARK.encode() + rb"(\w+)" + _MARK.encode() + b'"')


def _mark(name: str) -> str:
    return f"{_MARK}{name}{_MARK}"


def _template(encoded: bytes) -> list[bytes | str]:
    """``encoded`` cut at its marked strings: literal bytes and field names, alternating."""
    parts = _FIELD.split(encoded)
    return [part if i % 2 == 0 else part.decode() for i, part in enumerate(parts)]


def _fill(parts: Sequence[bytes | str], values: Mapping[str, bytes]) -> bytes:
    return b"".join(part if isinstance(part, bytes) else values[part] for part in parts)


_BATCH, _SHAPE, _JUDGED = (
    ("actor", "at", "event"),
    ("kind", "source", "dest", "reason"),
    ("vat", "vevent", "vstage", "root"),
)


def _templates(status: Status) -> tuple[list[bytes | str], list[bytes | str], bytes]:
    """A fire's body whose verdict has ``status``, cut at its unit and its verdict's unit.

    Returns the parts before the unit (fields of the batch and of the step's
    shape), those between it and the verdict's unit (the verdict's other
    fields), and the bytes after. ``step_bytes`` encodes a step whose strings are
    markers; the verdict's root finding carries a marker as its cached JSON.
    """
    root = Finding(status=status)
    object.__setattr__(root, "_json", orjson.dumps(_mark("root")))  # the encoding's own cache
    verdict = Verdict(
        unit=_mark("vunit"), event=_mark("vevent"), stage=_mark("vstage"), at=_mark("vat"), root=root
    )
    step = Step(
        seq=0,
        unit=_mark("unit"),
        kind=Kind.FIRE,
        actor=_mark("actor"),
        at=_mark("at"),
        event=_mark("event"),
        source=_mark("source"),
        dest=_mark("dest"),
        reason=_mark("reason"),
        verdict=verdict,
    )
    # The kind is the one value left unmarked (an enum): the only "fire" in the body.
    parts = _template(step_bytes(step).replace(b'"fire"', orjson.dumps(_mark("kind"))))
    at, vat = parts.index("unit"), parts.index("vunit")
    head, middle, tail = parts[:at], parts[at + 1 : vat], parts[vat + 1 :]
    if not (
        {p for p in head if isinstance(p, str)} == {*_BATCH, *_SHAPE}
        and {p for p in middle if isinstance(p, str)} == set(_JUDGED)
        and all(isinstance(p, bytes) for p in tail)
    ):
        msg = f"a fire's body has fields in an order this writer does not splice: {parts}"
        raise RuntimeError(msg)
    return head, middle, _fill(tail, {})


_TEMPLATES = {True: _templates(Status.PASSED), False: _templates(Status.FAILED)}
_KIND = {kind: orjson.dumps(kind.value) for kind in Kind}
_COLUMN = {kind: kind.value for kind in Kind}  # enum attribute access is slow on 3.11


def fire_rows(
    fires: Fires, seqs: Sequence[int], heads: dict[str, str], prevs: list[str], hashes: list[str]
) -> Iterator[tuple[int, str, str, str, str, str]]:
    """The log rows ``(seq, unit, kind, body, prev_hash, hash)`` of ``fires``, numbered ``seqs``.

    Each unit's chain continues from ``heads`` (advanced as it goes: the batch's
    units are distinct); ``prevs`` and ``hashes`` collect each step's links. A
    lazy verdict is built here (its findings are in the body) and put in its
    place in the batch, so that a step read later does not build it again. A
    generator, so that a COPY sends rows as they come.
    """
    dumps, sha256 = orjson.dumps, hashlib.sha256
    text: dict[str, bytes] = {}  # each distinct string of the batch, encoded once

    def enc(value: str) -> bytes:
        found = text.get(value)
        if found is None:
            found = text[value] = dumps(value)
        return found

    batch = {"actor": enc(fires.actor), "at": enc(fires.at), "event": enc(fires.event)}
    shapes: dict[tuple[Any, ...], tuple[bytes, bytes]] = {}  # (the body before the unit, the end)
    verdicts = fires.verdicts
    # Most steps share the last one's pieces: compared first, by identity where it decides.
    shape: tuple[Any, ...] = (None,) * 5  # matches no step
    root: Finding | None = None
    stage = at = event = ""
    start = judgement = end = b""
    rows = zip(fires.units, seqs, fires.kinds, fires.sources, fires.dests, fires.reasons, strict=True)
    for i, (unit, seq, kind, source, dest, reason) in enumerate(rows):
        verdict = verdicts[i]
        if not isinstance(verdict, Verdict):
            verdict = verdicts[i] = verdict.verdict()
        found = verdict.root
        passed = found.passed
        if (
            kind is not shape[0]
            or source != shape[1]
            or dest != shape[2]
            or reason != shape[3]
            or passed is not shape[4]
        ):
            shape = (kind, source, dest, reason, passed)
            pieces = shapes.get(shape)
            if pieces is None:
                head, _, tail = _TEMPLATES[passed]
                values = {
                    "kind": _KIND[kind],
                    "source": enc(source),
                    "dest": enc(dest),
                    "reason": enc(reason),
                }
                pieces = shapes[shape] = (_fill(head, batch | values), tail)
            start, end = pieces
            root = None  # the verdict's pieces depend on the outcome too
        if found is not root or verdict.stage != stage or verdict.at != at or verdict.event != event:
            root, stage, at, event = found, verdict.stage, verdict.at, verdict.event
            values = {"vat": enc(at), "vevent": enc(event), "vstage": enc(stage), "root": found.canonical()}
            judgement = _fill(_TEMPLATES[passed][1], values)
        named = dumps(unit)
        body = b"".join(
            (start, named, judgement, named if verdict.unit == unit else dumps(verdict.unit), end)
        )
        prev = heads.get(unit, "")
        # codec.chain_hash: sha256 over the previous hash (ASCII hex) and the body.
        digest = sha256(prev.encode() + body).hexdigest()
        heads[unit] = digest
        prevs.append(prev)
        hashes.append(digest)
        yield seq, unit, _COLUMN[kind], body.decode(), prev, digest


ProjectionRow = tuple[str, str, int, str, str, int]
"""A projection row as the store writes it: ``(unit, stage, version, body, head, expected)``."""


def row_body(
    encoded: dict[Any, str],
    reworks: Mapping[str, int] | None,
    fired: tuple[str, ...],
    blocked: Mapping[str, Any] | None,
) -> str:
    """A projection row's body (its ``reworks``, ``fired`` events and refusal), as canonical JSON.

    ``encoded``: the bodies a batch encoded so far. A batch's rows mostly share
    reworks and fired events; most rows were never reworked, so their fired
    events alone name the body. A refused row's (``blocked``) is its own.
    """
    shape = None if blocked is not None else (tuple(reworks.items()), fired) if reworks else fired
    body = None if shape is None else encoded.get(shape)
    if body is None:
        body = orjson.dumps(
            {"reworks": dict(reworks or {}), "fired": list(fired), "blocked": blocked},
            option=orjson.OPT_SORT_KEYS,
        ).decode()
        if shape is not None:
            encoded[shape] = body
    return body


def fire_unit_rows(
    fires: Fires, expected: Mapping[str, int], heads: Mapping[str, str]
) -> tuple[list[ProjectionRow], list[ProjectionRow]]:
    """The projection rows ``fires`` leaves: units' first rows (expected at version 0), and the others.

    The rows ``Fires.row`` builds, as ``SQLStore._write_rows`` writes them, from the
    batch's columns: one row per unit (the batch's units are distinct).
    """
    fresh: list[ProjectionRow] = []
    moved: list[ProjectionRow] = []
    encoded: dict[Any, str] = {}
    was, head = expected.get, heads.get
    columns = zip(
        fires.units, fires.dests, fires.versions, fires.names, fires.reworks, fires.blocked, strict=True
    )
    for unit, stage, version, fired, reworks, blocked in columns:
        # Most rows were never reworked nor refused: their fired events alone name the body.
        body = encoded.get(fired) if blocked is None and not reworks else None
        if body is None:
            body = row_body(encoded, reworks, fired, blocked)
        before = was(unit, version)
        (moved if before else fresh).append((unit, stage, version, body, head(unit, ""), before))
    return fresh, moved


def fires_checkpoint(seqs: Sequence[int], units: Sequence[str], heads: Mapping[str, str]) -> Checkpoint:
    """The checkpoint of a batch numbered ``seqs`` over ``units`` (distinct), its chain ``heads`` after it."""
    ids = sorted(units)  # strings sort faster than (unit, head) pairs
    ordered = tuple(zip(ids, map(heads.__getitem__, ids), strict=True))
    first, last = seqs[0], seqs[-1]
    return Checkpoint(
        first_seq=first, last_seq=last, heads=ordered, hash=checkpoint_hash(first, last, ordered)
    )


def checkpoint_row(point: Checkpoint) -> tuple[int, int, str, str]:
    """The checkpoints table's row of ``point``."""
    return point.first_seq, point.last_seq, orjson.dumps(point.heads).decode(), point.hash


class Linked(list[Step | None]):
    """A written batch's built steps (``Fires.built``), which stamps each step's chain links.

    ``Fires.step`` builds a step on its first read and puts it here: it is a new
    object nobody else holds, given its ``prev_hash`` and ``hash`` in place (as
    ``numbered`` does), so that a batch's steps carry the links the store wrote,
    as the steps of ``append`` do, without a step built per unit at the write.
    """

    __slots__ = ("_hashes", "_prevs")

    def __init__(self, n: int, prevs: Sequence[str], hashes: Sequence[str]) -> None:
        super().__init__([None] * n)
        self._prevs, self._hashes = prevs, hashes

    def __setitem__(self, i: Any, step: Any) -> None:
        if isinstance(i, int) and isinstance(step, Step) and not step.hash:
            object.__setattr__(step, "prev_hash", self._prevs[i])
            object.__setattr__(step, "hash", self._hashes[i])
        super().__setitem__(i, step)
