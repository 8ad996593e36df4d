"""Commands that read the log itself: ``history`` of a unit, ``export`` of the whole log."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import click

from campaignflow.cli._app import CAMPAIGN, CAMPAIGN_ID, ORG, OUT, command, guard, open_db


def open_log(db: str, campaign_ref: str | None, org_path: Path | None) -> tuple[Any, Any, Any]:
    """(definition, org, store) of DB, the store bound to its campaign (no run opened)."""
    campaign, org, store = open_db(db, campaign_ref, org_path)
    return campaign.build(), org, store


@command()
@click.argument("db")
@click.argument("unit")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@CAMPAIGN_ID
@CAMPAIGN
@ORG
def history(db: str, unit: str, fmt: str, campaign_ref: str | None, org_path: Path | None) -> None:
    """UNIT's steps, oldest first: time, actor, event, stage and verdict, by label.

    --format json prints one JSON object per step (seq, at, actor, kind, event,
    stage, summary).

    Example: campaignflow history zhongmou-demo.db v-0101
    """
    from campaignflow.report.history import history_lines  # noqa: PLC0415 - keep --help fast

    def read() -> tuple[str, list[Any]]:
        definition, org, store = open_log(db, campaign_ref, org_path)
        org.require(unit)
        return org.name_of(unit), list(history_lines(definition, org, store.history(unit)))

    name, lines = guard(read)
    if fmt == "json":
        for line in lines:
            print(json.dumps(attrs.asdict(line), ensure_ascii=False))
        return
    print(f"{name} ({unit}): {len(lines)} steps")
    for line in lines:
        when = line.at[:16].replace("T", " ")
        print(f"{when}  #{line.seq}  {line.actor}  {line.event}  [{line.stage}]  {line.summary}")


@command()
@click.argument("db")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@OUT
@CAMPAIGN_ID
@CAMPAIGN
@ORG
def export(db: str, fmt: str, out: Path | None, campaign_ref: str | None, org_path: Path | None) -> None:
    """The whole log in seq order, streamed: JSON lines or CSV (cells a spreadsheet would run escaped).

    Each JSON line is a step's hashed body with its seq, prev_hash and hash; the
    CSV has one column per field, evidence and verdict as JSON. With --out the
    file appears whole or not at all.

    Example: campaignflow export zhongmou-demo.db --format csv --out log.csv
    """
    from campaignflow._files import write_lines_atomically  # noqa: PLC0415
    from campaignflow.report import history as _history  # noqa: PLC0415 - keep --help fast

    def lines() -> Iterator[str]:
        _, _, store = open_log(db, campaign_ref, org_path)
        steps = store.steps()
        yield from (_history.jsonl_lines if fmt == "jsonl" else _history.csv_lines)(steps)

    if out is not None:
        n = guard(lambda: write_lines_atomically(out, lines()))
        print(f"wrote {out}: {n - (fmt == 'csv')} steps")
        return

    def stream() -> None:
        for line in lines():
            sys.stdout.write(line)

    guard(stream)
