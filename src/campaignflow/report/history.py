"""A unit's history as a clerk reads it, and the whole log exported as JSON lines or CSV.

Report layer: reads a store's log (``store.history``, ``store.steps``), never writes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

import attrs

from campaignflow.definition.model import Definition
from campaignflow.org.graph import Org
from campaignflow.org.io import escape_cell
from campaignflow.store.codec import step_to_dict
from campaignflow.values.records import Kind, Step


@attrs.frozen(kw_only=True)
class HistoryLine:
    """One step of a unit's history, in words.

    Attributes:
        seq: the step's place in the log.
        at: its ISO time.
        actor: who acted, by name (the id when the org does not name them).
        kind: what happened (``record``, ``fire``, ``deny``, ``send_back``, ``retract``).
        event: the event's label (its id when unlabelled), or the evidence type recorded.
        stage: the stage's label, ``before → after`` when the step moved the unit.
        summary: the verdict or what the step holds, in one line.
    """

    seq: int
    at: str
    actor: str
    kind: str
    event: str
    stage: str
    summary: str


def _event_label(definition: Definition, event: str) -> str:
    return next((t.label for t in definition.transitions_for(event) if t.label), event)


def _summary(definition: Definition, step: Step) -> str:
    if step.kind is Kind.RECORD and step.evidence is not None:
        return f"recorded {step.evidence.kind} {step.evidence.id}"
    if step.kind is Kind.RETRACT:
        return f"retracted {step.target}: {step.reason}"
    if step.kind is Kind.SEND_BACK:
        return f"sent back to {definition.label_of(step.target)} (time {step.count}): {step.reason}"
    verdict = step.verdict
    if verdict is None:
        return ("✓" if step.kind is Kind.FIRE else "✗") + (f" {step.reason}" if step.reason else "")
    if verdict.passed:
        return f"✓ {verdict.root.label or verdict.root.rule}"
    failed = "; ".join(f"{f.label or f.rule}: {f.reason}" for f in verdict.root.failing())
    return f"✗ {failed or step.reason}"


def history_lines(definition: Definition, org: Org, steps: Iterable[Step]) -> Iterator[HistoryLine]:
    """The steps of a unit's history in words: labels, not ids."""
    for step in steps:
        stage = definition.label_of(step.source)
        if step.dest != step.source:
            stage = f"{stage} → {definition.label_of(step.dest)}"
        if step.kind is Kind.RECORD and step.evidence is not None:
            event = step.evidence.kind
        elif step.event:
            event = _event_label(definition, step.event)
        else:
            event = str(step.kind)
        yield HistoryLine(
            seq=step.seq,
            at=step.at,
            actor=org.name_of(step.actor),
            kind=str(step.kind),
            event=event,
            stage=stage,
            summary=_summary(definition, step),
        )


def _iso(value: object) -> str:
    """Dates and times in evidence, as the hashed bodies write them (ISO 8601)."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    msg = f"Object of type {type(value).__name__} is not JSON serializable"
    raise TypeError(msg)


def step_record(step: Step) -> dict[str, Any]:
    """A step as JSON-ready data: its hashed body with ``seq``, ``prev_hash`` and ``hash``."""
    return {"seq": step.seq, **step_to_dict(step), "prev_hash": step.prev_hash, "hash": step.hash}


def jsonl_lines(steps: Iterable[Step]) -> Iterator[str]:
    """The log as JSON lines, one step each (Chinese kept as is), streamed."""
    for step in steps:
        yield json.dumps(step_record(step), ensure_ascii=False, sort_keys=True, default=_iso) + "\n"


CSV_COLUMNS = (
    "seq",
    "at",
    "unit",
    "kind",
    "actor",
    "event",
    "source",
    "dest",
    "passed",
    "reason",
    "target",
    "count",
    "evidence_id",
    "evidence_kind",
    "evidence",
    "verdict",
    "prev_hash",
    "hash",
)
"""The columns of :func:`csv_lines`; ``evidence`` and ``verdict`` hold JSON."""


def csv_lines(steps: Iterable[Step]) -> Iterator[str]:
    """The log as CSV, a header then one row per step, streamed.

    Cells a spreadsheet would execute (``=``, ``+``, ``-``, ``@``...) are
    escaped with a leading ``'``; quoting follows the csv module.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def row(cells: Iterable[object]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([escape_cell(c) for c in cells])
        return buffer.getvalue()

    yield row(CSV_COLUMNS)
    for step in steps:
        body = step_to_dict(step)
        ev = body["evidence"]
        verdict = body["verdict"]
        yield row(
            (
                step.seq,
                step.at,
                step.unit,
                body["kind"],
                step.actor,
                step.event,
                step.source,
                step.dest,
                "" if verdict is None else verdict["passed"],
                step.reason,
                step.target,
                step.count,
                "" if ev is None else ev["id"],
                "" if ev is None else ev["kind"],
                ""
                if ev is None
                else json.dumps(ev["value"], ensure_ascii=False, sort_keys=True, default=_iso),
                "" if verdict is None else json.dumps(verdict, ensure_ascii=False, sort_keys=True),
                step.prev_hash,
                step.hash,
            )
        )
