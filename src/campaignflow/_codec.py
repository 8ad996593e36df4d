"""Steps to JSON-ready dicts and back, canonical bytes, and the per-unit hash chain."""

from __future__ import annotations

import hashlib
import math
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

import attrs
import orjson

from campaignflow._findings import Verdict
from campaignflow._records import Kind, Recorded, Step
from campaignflow.exceptions import EvidenceError, StoreError


def encode_value(value: Any) -> Any:
    """A JSON-ready form of an evidence value (attrs classes become dicts of fields)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            msg = f"cannot store the non-finite number {value!r}: record a finite value"
            raise EvidenceError(msg)
        return value
    if isinstance(value, Enum):
        return encode_value(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if attrs.has(type(value)):
        return {f.name: encode_value(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, list | tuple | frozenset | set):
        return [encode_value(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): encode_value(v) for k, v in value.items()}
    msg = f"cannot store a {type(value).__name__} ({value!r}) in evidence: use str, numbers, dates, tuples"
    raise EvidenceError(msg)


def _decode_as(tp: Any, value: Any) -> Any:
    """Turn JSON data back into ``tp`` where the annotation says how."""
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            if arg is type(None):
                continue
            try:
                return _decode_as(arg, value)
            except (TypeError, ValueError):
                continue
        return value
    if origin is tuple:
        args = typing.get_args(tp)
        inner = args[0] if args else Any
        return tuple(_decode_as(inner, v) for v in value)
    if origin in (list, frozenset, set):
        inner = (typing.get_args(tp) or (Any,))[0]
        return origin(_decode_as(inner, v) for v in value)
    if isinstance(tp, type):
        if issubclass(tp, Enum):
            return tp(value)
        if issubclass(tp, datetime):
            return datetime.fromisoformat(value)
        if issubclass(tp, date):
            return date.fromisoformat(value)
        if attrs.has(tp) and isinstance(value, Mapping):
            return decode_value(tp, value)
    return value


def decode_value(cls: type[Any], fields: Mapping[str, Any]) -> Any:
    """Rebuild an attrs evidence value of class ``cls`` from :func:`encode_value` output."""
    attrs.resolve_types(cls)
    kwargs = {}
    for f in attrs.fields(cls):
        if f.name in fields:
            kwargs[f.name if not f.name.startswith("_") else f.alias] = _decode_as(f.type, fields[f.name])
    return cls(**kwargs)


def step_to_dict(step: Step, *, verdict: bool = True) -> dict[str, Any]:
    """A JSON-ready dict of a step (without ``seq``, ``prev_hash``, ``hash``).

    ``verdict=False`` leaves the verdict out (``None``), for :func:`step_bytes`.
    """
    ev = step.evidence
    return {
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


def step_from_dict(
    data: Mapping[str, Any],
    *,
    seq: int,
    prev_hash: str,
    hash: str,  # noqa: A002 - mirrors the Step field
    evidence_types: Mapping[str, type[Any]],
) -> Step:
    """Rebuild a step from :func:`step_to_dict` output and its stored seq and hashes."""
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
        recorded = Recorded(
            id=ev["id"],
            unit=data["unit"],
            kind=ev["kind"],
            value=decode_value(cls, ev["value"]),
            actor=ev["actor"],
            at=ev["at"],
            seq=seq,
        )
    verdict = data.get("verdict")
    return Step(
        seq=seq,
        unit=data["unit"],
        kind=Kind(data["kind"]),
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


def chain_hash(prev_hash: str, body: bytes) -> str:
    """The hash of a step: sha256 over the previous step's hash and the step's bytes."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(body)
    return digest.hexdigest()
