"""A self-describing database: what ``start()`` records so the CLI needs none of the user's files.

``campaign.start(org, store=...)`` on a store with metadata (SQLite, PostgreSQL)
records, through the store's ``set_meta``:

- ``org``: the org as ``Org.to_json()`` (units, levels, names, people, edges),
  for orgs up to 100,000 units (a national org's JSON runs to gigabytes:
  pass ``--org FILE`` for those);
- ``structure``: the campaign's structure as JSON (:func:`structure`): stages
  and their labels, transitions with their labels, gate and ordering rule ids
  and labels, reworks and obligations;
- ``factory``: ``MODULE:ATTR`` of the campaign when it was built in an
  importable module (a module-level ``Campaign``, or a module-level function
  returning one), so the CLI can load its rules.

``campaignflow verify|report|history|export|obligations|explain DB`` read them;
``--campaign`` and ``--org`` override them. ``verify`` also checks that the
campaign it loads has the recorded structure.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from campaignflow.definition.model import Definition, Stage
from campaignflow.definition.rules import Rule

if TYPE_CHECKING:
    from types import FrameType

FACTORY = "factory"
ORG = "org"
ORG_LIMIT = 100_000
"""Orgs with more units than this are not recorded (their JSON would dwarf the log's start)."""
STRUCTURE = "structure"
"""The metadata key of the campaign's structure (``"campaign"`` holds its id, for ``bind``)."""

Origin = tuple[str, str]
"""(module name, function name or ``"<module>"``) of the code that built a campaign."""


def origin(frame: FrameType | None) -> Origin:
    """Where the code running in ``frame`` lives: its module, and its function (or ``<module>``)."""
    if frame is None:  # pragma: no cover - CPython always has frames
        return ("", "")
    return (str(frame.f_globals.get("__name__", "")), frame.f_code.co_qualname)


def reference(campaign: object, built_in: Origin) -> str | None:
    """``MODULE:ATTR`` naming ``campaign`` for a later import, or ``None`` when there is none.

    A campaign built at a module's top level is named by the module attribute
    holding it; one built by a top-level function by that function. A script
    run as ``__main__`` cannot be imported by name (importing it would run it
    again): ``None``.
    """
    module_name, code = built_in
    module = sys.modules.get(module_name)
    if module is None or module_name == "__main__":
        return None
    if code == "<module>":
        for name, value in vars(module).items():
            if value is campaign and not name.startswith("_"):
                return f"{module_name}:{name}"
        return None
    if "." in code or "<" in code:  # a method or a nested function: not importable by name
        return None
    factory = getattr(module, code, None)
    return f"{module_name}:{code}" if callable(factory) else None


def _stage(stage: Stage) -> dict[str, Any]:
    out: dict[str, Any] = {"id": stage.id, "label": stage.label}
    if stage.due is not None:
        out["due"] = stage.due.isoformat()
    if stage.substages:
        out["substages"] = [_stage(s) for s in stage.substages]
    return out


def _rule(rule: Rule) -> dict[str, str]:
    return {"id": rule.id, "label": rule.label}


def structure(definition: Definition) -> dict[str, Any]:
    """The campaign's shape as JSON-ready data: everything but the rules' Python."""
    return {
        "id": definition.id,
        "label": definition.label,
        "stages": [_stage(s) for s in definition.stages],
        "transitions": [
            {
                "event": t.event,
                "label": t.label,
                "sources": list(t.sources),
                "dest": t.dest,
                "gate": None if t.gate is None else _rule(t.gate),
                "order": [_rule(r) for r in t.order],
            }
            for t in definition.transitions
        ],
        "reworks": [{"stage": s, "limit": r.limit} for s, r in definition.reworks.items()],
        "obligations": [{"id": o, "label": ob.label} for o, ob in definition.obligations.items()],
        "evidence": sorted(definition.evidence_types),
    }


def structure_json(definition: Definition) -> str:
    """:func:`structure` as canonical JSON text (sorted keys, Chinese as is)."""
    return json.dumps(structure(definition), ensure_ascii=False, sort_keys=True)


def describe(store: object, definition: Definition, org: Any, ref: str | None) -> bool:
    """Record the org, the campaign's structure and its ``MODULE:ATTR`` in ``store``'s metadata.

    Returns False (and records nothing) for a store without metadata (memory).
    """
    set_meta = getattr(store, "set_meta", None)
    if set_meta is None:
        return False
    if len(org) <= ORG_LIMIT:
        set_meta(ORG, org.to_json())
    set_meta(STRUCTURE, structure_json(definition))
    if ref is not None:
        set_meta(FACTORY, ref)
    return True
