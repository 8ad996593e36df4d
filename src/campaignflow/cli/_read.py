"""Commands that read a campaign's database: ``verify``, ``report``, ``obligations``, ``explain``."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress as Bar
from rich.progress import TextColumn
from rich.table import Table

from campaignflow.cli._app import CAMPAIGN, NEGATIVE, OK, ORG, OUT, command, guard, open_db


@command()
@click.argument("db")
@CAMPAIGN
@ORG
def verify(db: str, campaign_ref: str | None, org_path: Path | None) -> None:
    """Replay DB's log: check every unit's hash chain and compare with the projection.

    Exits 0 when the log and the projection agree, 1 naming the first bad step or
    unit otherwise. DB is a SQLite file or an SQLAlchemy URL.

    Example: campaignflow verify zhongmou-demo.db
    """

    def check() -> tuple[bool, str]:
        campaign, org, store = open_db(db, campaign_ref, org_path)
        report = campaign.verify(org, store)
        if report.ok:
            denied = f"; {report.denials} refused attempts in the denial log" if report.denials else ""
            return True, (
                f"ok: {report.steps} steps of {report.units} units replay to the stored projection{denied}"
            )
        where = f"seq {report.seq}" if report.seq is not None else f"unit {report.unit!r}"
        return False, f"MISMATCH at {where}: {report.problem}"

    ok, line = guard(check)
    print(line)
    sys.exit(OK if ok else NEGATIVE)


def open_run(db: str, campaign_ref: str | None, org_path: Path | None) -> Any:
    """The run stored in DB, opened behind a spinner at a terminal (piped output stays clean)."""
    campaign, org, store = open_db(db, campaign_ref, org_path)
    err = Console(stderr=True)
    if not err.is_terminal:
        return campaign.open(org, store)
    with Bar(TextColumn("{task.description}"), console=err, transient=True) as bar:
        bar.add_task("opening the run", total=None)
        return campaign.open(org, store)


def write_or_print(out: Path | None, text: str) -> None:
    """Write ``text`` to ``out`` whole (exit 3 when it cannot be written), or print it."""
    if out is None:
        print(text)
        return
    from campaignflow._files import write_text_atomically  # noqa: PLC0415 - keep --help fast

    guard(lambda: write_text_atomically(out, text))
    print(f"wrote {out}")


@command()
@click.argument("db")
@click.option("--unit", default=None, help="Report on this unit's subtree (default: the whole org).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "csv", "html"]), default="text", show_default=True
)
@OUT
@CAMPAIGN
@ORG
def report(  # noqa: PLR0917 - click passes every option positionally
    db: str, unit: str | None, fmt: str, out: Path | None, campaign_ref: str | None, org_path: Path | None
) -> None:
    """Report progress, blocked units and why, the 曝光台, overdue units and the ledger.

    Example: campaignflow report zhongmou-demo.db --unit t-01 --format html --out t01.html
    """
    from campaignflow.report.build import build_report  # noqa: PLC0415 - keep --help fast

    result = guard(lambda: build_report(open_run(db, campaign_ref, org_path), unit))
    if fmt == "text":
        text = report_text(result)
    else:
        text = {"json": result.to_json, "csv": result.to_csv, "html": result.to_html}[fmt]()
    write_or_print(out, text)


def report_text(result: Any) -> str:
    """The report as text tables, for a terminal."""
    console = Console(record=True, width=120)
    table = Table(title=f"{result.campaign} — {result.node_name}: {result.total} units")
    table.add_column("unit", no_wrap=True)
    for label in result.stage_labels:
        table.add_column(label[:4], justify="right")
    table.add_column("blocked", justify="right")
    table.add_column("返工", justify="right")
    for row in result.rows:
        table.add_row(row.name, *(str(n) for n in row.by_stage), str(row.blocked), str(row.sent_back))
    console.print(table)
    for b in result.blocked[:20]:
        console.print(
            f"blocked {result.names.get(b.unit, b.unit)} ({b.event}): {'; '.join(b.reasons)}", markup=False
        )
    for label, c in result.duties.items():
        console.print(f"{label}: {c['done']} done, {c['due']} due, {c['overdue']} overdue", markup=False)
    for line in result.late[:20]:
        console.print(f"overdue {line}", markup=False)
    return console.export_text()


def parse_at(at: str | None) -> datetime | None:
    """``--at`` as an aware time (UTC if naive), or a usage error naming the expected form."""
    if at is None:
        return None
    from campaignflow.definition.obligations import as_time  # noqa: PLC0415 - keep --help fast

    try:
        return as_time(at, datetime.now(UTC))
    except ValueError:
        msg = f"--at {at!r} is not an ISO date or time (e.g. 2014-04-22 or 2014-04-22T09:00)"
        raise click.BadParameter(msg) from None


@command()
@click.argument("db")
@click.option("--unit", default=None, help="Only duties toward this unit's subtree (default: the whole org).")
@click.option("--at", "at", default=None, help="Judge at this ISO date or time, UTC if naive (default: now).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@CAMPAIGN
@ORG
def obligations(  # noqa: PLR0917 - click passes every option positionally
    db: str, unit: str | None, at: str | None, fmt: str, campaign_ref: str | None, org_path: Path | None
) -> None:
    """What is done, due and overdue: contact visits, diaries and other recurring duties.

    Exits 1 when a duty is overdue.

    Example: campaignflow obligations zhongmou-demo.db --unit t-01 --at 2014-04-22
    """
    when = parse_at(at)
    result = guard(lambda: open_db_run(db, campaign_ref, org_path).obligations(unit, now=when))
    print(json.dumps(result.to_dict(), ensure_ascii=False, indent=1) if fmt == "json" else result.explain())
    sys.exit(NEGATIVE if result.overdue else OK)


def open_db_run(db: str, campaign_ref: str | None, org_path: Path | None) -> Any:
    """The run stored in DB, opened without a spinner."""
    campaign, org, store = open_db(db, campaign_ref, org_path)
    return campaign.open(org, store)


@command()
@click.argument("db")
@click.argument("unit")
@click.argument("event")
@CAMPAIGN
@ORG
def explain(db: str, unit: str, event: str, campaign_ref: str | None, org_path: Path | None) -> None:
    """Why can (or can't) UNIT fire EVENT now? Prints the verdict, rule by rule.

    Exits 1 when the gate is closed or EVENT does not leave UNIT's stage.

    Example: campaignflow explain zhongmou-demo.db v-0101 hold_meeting
    """
    from campaignflow.exceptions import InvalidTransition  # noqa: PLC0415 - keep --help fast

    def judge() -> tuple[bool, str]:
        run = open_db_run(db, campaign_ref, org_path)
        try:
            verdict = run.check(unit, event)
        except InvalidTransition as exc:  # a "no" too: the event does not leave the unit's stage
            return False, f"✗ {exc}"
        return verdict.passed, verdict.explain()

    passed, text = guard(judge)
    print(text)
    sys.exit(OK if passed else NEGATIVE)
