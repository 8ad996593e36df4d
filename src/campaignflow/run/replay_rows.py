"""The log's rows as verify replays them: what replay and the hash check read, straight from the row.

A row's body is hashed from its stored bytes (under its ``prev_hash``); a body
that hashes as stored is converted, in C, into a :class:`LeanStep` that holds
only what replay and verify read (no :class:`Step`, no :class:`Recorded`, no
verdict tree: a fire's verdict is checked for the shape the full decoding
reads). Its evidence value is still converted through its class and its
validators, as the full decoding does, and then dropped: a re-hashed body whose
value its class refuses is refused as before.

The lean decoding refuses every body the full one refuses, and may refuse more
(a refusal's step, whose verdict replay reads; an evidence type the campaign
does not declare; anything msgspec does not convert): every body it does not
take goes through the store's full decoding, which names the problem as it
always did. Both parse the body with ``orjson``, so they read the same values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol

import msgspec
import orjson

from campaignflow.store._sql_audit import SQLiteShard
from campaignflow.store.codec import _VerdictShape, chain_hash
from campaignflow.store.convert import from_data
from campaignflow.values.findings import Verdict
from campaignflow.values.records import Kind, Step

Decode = Callable[..., Step]
"""The store's full decoding: ``(seq, body, prev_hash, hash, *, lean)`` to a :class:`Step`."""


class Logged(Protocol):
    """What replay and verify read of a step: a :class:`Step` or a :class:`LeanStep`."""

    @property
    def seq(self) -> int: ...
    @property
    def unit(self) -> str: ...
    @property
    def kind(self) -> Kind: ...
    @property
    def event(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def dest(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def count(self) -> int: ...
    @property
    def key(self) -> str: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...
    @property
    def evidence(self) -> LoggedEvidence | None: ...
    @property
    def verdict(self) -> Verdict | None: ...


class LoggedEvidence(Protocol):
    """What replay and verify read of a step's evidence: its id and type's name."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...


Row = tuple[Logged, tuple[int, str, str] | None, bool]
"""A log row as verify reads it: its step, its own (seq, unit, kind) columns if read, and
whether its body hashes as stored."""

LeanRow = tuple[Logged, tuple[int, str, str], bool]
"""A :data:`Row` read with its own columns (:func:`lean_rows`)."""


class LeanEvidence(msgspec.Struct):
    """A record's evidence as the body holds it: the keys the full decoding requires.

    ``value`` is the parsed data, converted through its class (and dropped) by :func:`lean_step`.
    """

    id: Any
    kind: Any
    value: Any
    actor: Any
    at: Any


class LeanStep(msgspec.Struct):
    """A step decoded for replay: the keys of the body the full decoding reads, as it reads them.

    ``Any`` where :func:`~campaignflow.store.codec.step_from_dict` takes any value (it
    checks no types either); ``kind`` by its stored name, as there. ``seq`` and the
    hashes come from the row's columns (a body holding such keys has them replaced).
    """

    unit: Any
    kind: Kind
    actor: Any
    at: Any
    event: Any = ""
    source: Any = ""
    dest: Any = ""
    target: Any = ""
    count: Any = 0
    key: Any = ""
    evidence: LeanEvidence | None = None
    shape: _VerdictShape | None = msgspec.field(default=None, name="verdict")
    seq: Any = 0
    prev_hash: Any = ""
    hash: Any = ""

    @property
    def verdict(self) -> None:
        """Never read: a refusal's step, whose verdict replay reads, is not decoded lean."""
        return


def lean_step(
    seq: int, body: bytes | str, prev: str, digest: str, evidence_types: Mapping[str, type[Any]]
) -> LeanStep | None:
    """The lean step of a body that hashes as stored, or ``None``: let the full decoding take it."""
    try:
        step = msgspec.convert(orjson.loads(body), LeanStep)
        if step.kind is Kind.DENY:
            return None
        ev = step.evidence
        if ev is not None:
            cls = evidence_types.get(ev.kind)
            if cls is None:
                return None
            from_data(cls, ev.value)  # its class's validators, as the full decoding runs them
    except Exception:  # noqa: BLE001 - whatever it is, the full decoding refuses it by name, or takes it
        return None
    step.seq, step.prev_hash, step.hash = seq, prev, digest
    return step


def lean_row(  # noqa: PLR0917 - a row's columns, then how to read it
    seq: int,
    body: bytes | str,
    prev: str,
    digest: str,
    decode: Decode,
    evidence_types: Mapping[str, type[Any]],
) -> tuple[Logged, bool]:
    """A log row's step, and whether its body hashes as stored (then it is decoded lean if it can be).

    The body is hashed once, from its stored bytes; one that does not hash as
    stored, or that the lean decoding does not take, goes through ``decode``.
    """
    raw = body if isinstance(body, bytes) else body.encode()
    if chain_hash(prev, raw) != digest:
        return decode(seq, body, prev, digest, lean=False), False
    step = lean_step(seq, raw, prev, digest, evidence_types)
    return (decode(seq, body, prev, digest, lean=True) if step is None else step), True


def lean_rows(
    rows: Iterable[tuple[Any, ...]], decode: Decode, evidence_types: Mapping[str, type[Any]]
) -> Iterator[LeanRow]:
    """Each ``(seq, unit, kind, body, prev_hash, hash)`` row as verify reads it (see :data:`Row`)."""
    for seq, unit, kind, body, prev, digest in rows:
        step, as_stored = lean_row(seq, body, prev, digest, decode, evidence_types)
        yield step, (int(seq), str(unit), str(kind)), as_stored


class BlobShard(SQLiteShard):
    """A shard whose log bodies come as their stored UTF-8 bytes: hashed and parsed as read.

    ``sqlite3`` would otherwise build a ``str`` of each body only for verify to
    encode it back to hash it. A file of another text encoding reads as ``str``.
    """

    def __init__(self, path: str, prefix: str, units: Iterable[str], *, outside: bool = False) -> None:
        super().__init__(path, prefix, units, outside=outside)
        found = self.conn.execute("PRAGMA encoding").fetchone()
        self.blobs = found is not None and str(found[0]).upper() == "UTF-8"

    def log_bytes(self) -> Iterator[tuple[Any, ...]]:
        """:meth:`log`'s rows, each body as its stored bytes when the file's text is UTF-8."""
        if not self.blobs:
            return self.log()
        return self._rows(
            f"SELECT seq, unit, kind, CAST(body AS BLOB), prev_hash, hash FROM {self.prefix}steps "  # noqa: S608
            f"WHERE {self.where} ORDER BY seq"
        )
