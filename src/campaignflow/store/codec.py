"""Steps to JSON-ready dicts and back, canonical bytes, and the per-unit hash chain."""

from __future__ import annotations

import hashlib
import math
import types
import typing
from collections.abc import Callable, Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

import attrs
import orjson

from campaignflow.exceptions import EvidenceError, StoreError
from campaignflow.values.findings import Verdict
from campaignflow.values.records import Kind, Recorded, Step


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


Decode = Callable[[Any], Any]
_DECODERS: dict[Any, Decode] = {}


def _identity(value: Any) -> Any:
    return value


def _decoder(tp: Any) -> Decode:
    """The function that turns JSON data back into ``tp``, worked out once per annotation.

    Decoding runs for every evidence record read from a SQL store, so the
    annotation is inspected once, not once per value.
    """
    try:
        found = _DECODERS.get(tp)
    except TypeError:  # an unhashable annotation: work it out each time
        return _compile(tp)
    if found is None:
        found = _DECODERS[tp] = _compile(tp)
    return found


def _compile(tp: Any) -> Decode:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [_decoder(arg) for arg in typing.get_args(tp) if arg is not type(None)]

        def union(value: Any) -> Any:
            if value is None:
                return None
            for option in options:
                try:
                    return option(value)
                except (TypeError, ValueError):
                    continue
            return value

        return union
    if origin is tuple:
        args = typing.get_args(tp)
        item = _decoder(args[0] if args else Any)
        return lambda value: None if value is None else tuple([item(v) for v in value])
    if origin in (list, frozenset, set):
        item = _decoder((typing.get_args(tp) or (Any,))[0])
        return lambda value: None if value is None else origin([item(v) for v in value])
    if not isinstance(tp, type):
        return _identity
    if issubclass(tp, Enum):
        return lambda value: None if value is None else tp(value)
    if issubclass(tp, datetime):
        return lambda value: None if value is None else datetime.fromisoformat(value)
    if issubclass(tp, date):
        return lambda value: None if value is None else date.fromisoformat(value)
    if attrs.has(tp):
        return lambda value: decode_value(tp, value) if isinstance(value, Mapping) else value
    return _identity


_PLANS: dict[type[Any], tuple[tuple[str, str, Decode | None], ...]] = {}


def _plan(cls: type[Any]) -> tuple[tuple[str, str, Decode | None], ...]:
    """Per field of ``cls``: its stored name, its keyword, and its decoder (``None``: as stored)."""
    found = _PLANS.get(cls)
    if found is None:
        attrs.resolve_types(cls)
        steps = []
        for f in attrs.fields(cls):
            decode: Decode | None = _decoder(f.type)
            steps.append(
                (
                    f.name,
                    f.alias if f.name.startswith("_") else f.name,
                    None if decode is _identity else decode,
                )
            )
        found = _PLANS[cls] = tuple(steps)
    return found


def decode_value(cls: type[Any], fields: Mapping[str, Any]) -> Any:
    """Rebuild an attrs evidence value of class ``cls`` from :func:`encode_value` output."""
    kwargs = {}
    for name, keyword, decode in _plan(cls):
        if name in fields:
            value = fields[name]
            kwargs[keyword] = value if decode is None else decode(value)
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
