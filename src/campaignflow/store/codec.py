"""Steps to JSON-ready dicts and back, canonical bytes, and the per-unit hash chain."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import msgspec
import orjson

from campaignflow.exceptions import StoreError
from campaignflow.store.convert import from_data, to_data
from campaignflow.values.findings import Status, Verdict
from campaignflow.values.records import Kind, Recorded, Step


def encode_value(value: Any) -> Any:
    """A JSON-ready form of an evidence value (:func:`campaignflow.store.convert.to_data`)."""
    return to_data(value)


def decode_value(cls: type[Any], fields: Any) -> Any:
    """Rebuild an evidence value of class ``cls`` from :func:`encode_value` output.

    Raises:
        msgspec.ValidationError: ``fields`` does not fit ``cls``.
    """
    return from_data(cls, fields)


def step_to_dict(step: Step, *, verdict: bool = True) -> dict[str, Any]:
    """A JSON-ready dict of a step (without ``seq``, ``prev_hash``, ``hash``).

    ``verdict=False`` leaves the verdict out (``None``), for :func:`step_bytes`.
    ``key`` is there only when the write had one: the bytes (and hashes) of
    unkeyed steps are those written before keys existed.
    """
    ev = step.evidence
    data: dict[str, Any] = {
        "unit": step.unit,
        "kind": str(step.kind),
        "actor": step.actor,
        "at": step.at,
        "event": step.event,
        "source": step.source,
        "dest": step.dest,
        "reason": step.reason,
        "target": step.target,
        "count": step.count,
        "verdict": None if step.verdict is None or not verdict else step.verdict.to_dict(),
        "evidence": None
        if ev is None
        else {
            "id": ev.id,
            "kind": ev.kind,
            "value": encode_value(ev.value),
            "actor": ev.actor,
            "at": ev.at,
        },
    }
    if step.key:
        data["key"] = step.key
    return data


KINDS: dict[str, Kind] = {kind.value: kind for kind in Kind}
"""Each kind by its stored name: ``Kind(name)`` goes through the enum's slow call path."""


class _FindingShape(msgspec.Struct):
    """What :meth:`Finding.from_dict` reads, checked without building the finding."""

    rule: Any
    label: Any
    status: Status
    reason: Any
    evidence: tuple[Any, ...] = ()
    missing: tuple[Any, ...] = ()
    children: tuple[_FindingShape, ...] = ()
    missing_labels: tuple[Any, ...] = ()


class _VerdictShape(msgspec.Struct):
    """What :meth:`Verdict.from_dict` reads, checked without building the verdict."""

    unit: Any
    event: Any
    stage: Any
    root: _FindingShape
    at: Any = ""


def step_from_dict(
    data: Mapping[str, Any],
    *,
    seq: int,
    prev_hash: str,
    hash: str,  # noqa: A002 - mirrors the Step field
    evidence_types: Mapping[str, type[Any]],
    lean: bool = False,
) -> Step:
    """Rebuild a step from :func:`step_to_dict` output and its stored seq and hashes.

    ``lean``: a verdict that is not a refusal's is checked for the shape
    :meth:`Verdict.from_dict` reads (by msgspec, in C) but not built: the step
    comes without it. For ``verify`` of a body that hashes as stored, whose
    replay reads a refusal's verdict only; it refuses every body the full
    decoding refuses.

    Raises:
        StoreError: evidence of a type the campaign does not declare, or whose
            value does not fit its class.
        KeyError, TypeError, ValueError, AttributeError: a body of another shape
            (``msgspec.ValidationError`` is a ``ValueError``).
    """
    kind = KINDS[data["kind"]]
    ev = data.get("evidence")
    recorded = None
    if ev is not None:
        cls = evidence_types.get(ev["kind"])
        if cls is None:
            msg = (
                f"step {seq} holds evidence of type {ev['kind']!r}, which this campaign does "
                "not declare: open the store with the campaign that wrote it"
            )
            raise StoreError(msg)
        try:
            value = from_data(cls, ev["value"])
        except (msgspec.ValidationError, TypeError, ValueError) as exc:
            msg = f"step {seq}: its {ev['kind']} evidence does not fit the class: {exc}"
            raise StoreError(msg, seq=seq) from None
        recorded = Recorded(
            id=ev["id"],
            unit=data["unit"],
            kind=ev["kind"],
            value=value,
            actor=ev["actor"],
            at=ev["at"],
            seq=seq,
        )
    verdict = data.get("verdict")
    if verdict is not None and lean and kind is not Kind.DENY:
        msgspec.convert(verdict, _VerdictShape)
        verdict = None
    return Step(
        seq=seq,
        unit=data["unit"],
        kind=kind,
        actor=data["actor"],
        at=data["at"],
        event=data.get("event", ""),
        source=data.get("source", ""),
        dest=data.get("dest", ""),
        verdict=None if verdict is None else Verdict.from_dict(verdict),
        reason=data.get("reason", ""),
        evidence=recorded,
        target=data.get("target", ""),
        count=data.get("count", 0),
        key=data.get("key", ""),
        prev_hash=prev_hash,
        hash=hash,
    )


def step_bytes(step: Step) -> bytes:
    """``canonical(step_to_dict(step))``, with the verdict's JSON reused where it was built."""
    data = step_to_dict(step, verdict=False)
    if step.verdict is not None:
        data["verdict"] = step.verdict.fragment()
    return canonical(data)


def canonical(data: Mapping[str, Any]) -> bytes:
    """Canonical JSON bytes: sorted keys, no whitespace, UTF-8."""
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    except TypeError as exc:
        msg = f"cannot encode step data: {exc}"
        raise StoreError(msg) from exc


KIND_COLUMN = {kind: kind.value for kind in Kind}  # enum attribute access is slow on 3.11


def chained_rows(
    steps: Sequence[Step], seqs: Sequence[int], heads: dict[str, str], links: list[tuple[str, str]]
) -> Iterator[tuple[int, str, str, str, str, str]]:
    """The log rows ``(seq, unit, kind, body, prev_hash, hash)`` of ``steps``, numbered ``seqs``.

    Each unit's chain continues from ``heads`` (advanced as it goes); each body is
    encoded once and hashed from those bytes; ``links`` collects each step's
    ``(prev_hash, hash)``. A generator, so that a COPY sends rows as they come.
    """
    kinds = KIND_COLUMN
    for step, seq in zip(steps, seqs, strict=True):
        body = step_bytes(step)
        unit = step.unit
        prev = heads.get(unit, "")
        digest = chain_hash(prev, body)
        heads[unit] = digest
        links.append((prev, digest))
        yield seq, unit, kinds[step.kind], body.decode(), prev, digest


def chain_hash(prev_hash: str, body: bytes) -> str:
    """The hash of a step: sha256 over the previous step's hash and the step's bytes."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(body)
    return digest.hexdigest()
