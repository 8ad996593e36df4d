"""Evidence built from JSON (a web form, an API body) through the store's own decoder.

The value a client posts is decoded exactly as a stored record is read back
(``store.convert.from_data``: dates from ISO strings, tuples from lists, nested
attrs values from objects), so what the app records is what every store gives
back. What cannot be decoded is an :class:`~campaignflow.EvidenceError` naming
the type, the field and the fix, as ``record`` raises for a bad value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import msgspec

from campaignflow.definition.model import Definition
from campaignflow.exceptions import EvidenceError
from campaignflow.store.codec import decode_value


def evidence_from_json(definition: Definition, kind: str, data: object) -> Any:
    """The evidence value of type name ``kind`` that JSON ``data`` describes.

    Raises:
        EvidenceError: ``kind`` is not declared by the campaign; ``data`` is not
            an object, names fields the type lacks, misses required fields, or
            holds a value its field refuses.
    """
    cls = definition.evidence_types.get(kind)
    if cls is None:
        known = ", ".join(sorted(definition.evidence_types)) or "(none)"
        msg = f"evidence type {kind!r} is not declared by campaign {definition.id!r} (declared: {known})"
        raise EvidenceError(msg)
    if not isinstance(data, Mapping):
        msg = f"{kind} evidence must be a JSON object of its fields, got {type(data).__name__}"
        raise EvidenceError(msg)
    fields = {f.name: f for f in attrs.fields(cls)}
    unknown = sorted(str(k) for k in data if k not in fields)
    if unknown:
        msg = f"{kind} has no field(s) {', '.join(map(repr, unknown))}; its fields: {', '.join(fields)}"
        raise EvidenceError(msg)
    missing = [
        name for name, f in fields.items() if name not in data and f.default is attrs.NOTHING and f.init
    ]
    if missing:
        msg = f"{kind} needs field(s) {', '.join(map(repr, missing))}: add them to the JSON object"
        raise EvidenceError(msg)
    try:
        return decode_value(cls, data)
    except (TypeError, ValueError, AttributeError, msgspec.ValidationError) as exc:
        msg = f"{kind} evidence refused: {exc}; send values of the declared types"
        raise EvidenceError(msg) from None
