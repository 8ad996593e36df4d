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

from campaignflow.cli._app import CAMPAIGN, CAMPAIGN_ID, NEGATIVE, OK, ORG, OUT, command, guard, open_db

AT_HELP = (
    "Judge at this ISO date or time, UTC if naive (default: the last step of a finished "
    "simulation, now otherwise; the output says which)."
)


@command()
@click.argument("db")
@CAMPAIGN_ID
@CAMPAIGN
@ORG
@click.option(
    "--processes",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Up to this many processes verify a large SQLite file at once (a shard of units each).",
)
def verify(db: str, campaign_ref: str | None, org_path: Path | None, processes: int) -> None:
    """Replay DB's log: check every unit's hash chain and compare with the projection.

    Exits 0 when the log and the projection agree, 1 naming the first bad step or
    unit otherwise (or a campaign whose structure differs from the one recorded
    at start). DB is a SQLite file or an SQLAlchemy URL; the campaign and the org
    are those recorded in DB unless --campaign / --org are given.

    Example: campaignflow verify zhongmou-demo.db
    """

    def check() -> tuple[bool, str]:
        from campaignflow.run.describe import STRUCTURE, structure_json  # noqa: PLC0415 - keep --help fast

        campaign, org, store = open_db(db, campaign_ref, org_path)
        recorded = store.meta(STRUCTURE)
        if recorded is not None and recorded != structure_json(campaign.build()):
            return False, (
                f"MISMATCH in the metadata: the campaign loaded ({campaign.id!r}) differs from the "
                "structure recorded at start (stages, transitions, gates, reworks or obligations)"
            )
        report = campaign.verify(org, store, processes=processes)
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


def open_run_at(db: str, campaign_ref: str | None, org_path: Path | None, at: datetime | None) -> Any:
    """(run, moment) of DB judged at ``at``, or by default at :func:`default_moment`.

    With ``at`` the run is rebuilt from the log's steps up to then; without it the
    stored projection is opened with a clock stopped at the default moment. A
    spinner shows at a terminal (piped output stays clean).
    """
    from campaignflow.report.as_of import Moment, default_moment, run_as_of  # noqa: PLC0415 - keep --help fast
    from campaignflow.run.clock import FixedClock  # noqa: PLC0415

    campaign, org, store = open_db(db, campaign_ref, org_path)

    def opened() -> tuple[Any, Moment]:
        if at is not None:
            definition = campaign.build()
            moment = Moment(at=at, reason=f"--at {at.isoformat()}")
            return run_as_of(definition, org, store, at), moment
        moment = default_moment(store)
        return campaign.open(org, store, clock=FixedClock(moment.at)), moment

    err = Console(stderr=True)
    if not err.is_terminal:
        return opened()
    with Bar(TextColumn("{task.description}"), console=err, transient=True) as bar:
        bar.add_task("opening the run" if at is None else "replaying the log up to --at", total=None)
        return opened()


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
@click.argument("node", required=False)
@click.option("--unit", default=None, help="Report on this unit's subtree (default: the whole org); as NODE.")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "csv", "html"]), default="text", show_default=True
)
@click.option("--at", "at", default=None, help=AT_HELP)
@OUT
@CAMPAIGN_ID
@CAMPAIGN
@ORG
def report(  # noqa: PLR0917 - click passes every option positionally
    db: str,
    node: str | None,
    unit: str | None,
    fmt: str,
    at: str | None,
    out: Path | None,
    campaign_ref: str | None,
    org_path: Path | None,
) -> None:
    """Report progress, blocked units and why, the 曝光台, overdue stages and duties, the ledger.

    NODE (or --unit) reports on that unit's subtree: a township's own page. With
    --at DATE the campaign as it stood then, rebuilt from the log; the output
    states the moment judged and why. --format html is the dashboard: each unit
    of its heat map with units below it (each township) links to its own
    drill-down page in the same file.

    Example: campaignflow report zhongmou-demo.db t-01 --at 2014-03-10 --format html --out t01.html
    """
    from campaignflow.report.build import build_report  # noqa: PLC0415 - keep --help fast

    if node is not None and unit is not None and node != unit:
        msg = f"NODE {node!r} and --unit {unit!r} name two units: give one"
        raise click.UsageError(msg)
    where = node if node is not None else unit
    when = parse_at(at)

    def build() -> Any:
        run, moment = open_run_at(db, campaign_ref, org_path, when)
        return build_report(run, where, at_reason=moment.reason, drill_down=fmt == "html")

    result = guard(build)
    if fmt == "text":
        text = report_text(result)
    else:
        text = {"json": result.to_json, "csv": result.to_csv, "html": result.to_html}[fmt]()
    write_or_print(out, text)


def report_text(result: Any) -> str:
    """The report as text tables, for a terminal."""
    console = Console(record=True, width=120)
    console.print(f"as of {result.at[:16].replace('T', ' ')} UTC ({result.at_reason})", markup=False)
    table = Table(title=f"{result.campaign} — {result.node_name}: {result.total} units")
    table.add_column("unit", no_wrap=True)
    for label in result.stage_labels:
        table.add_column(label[:4], justify="right")
    table.add_column("blocked", justify="right")
    table.add_column("返工", justify="right")
    for row in result.rows:
        table.add_row(row.name, *(str(n) for n in row.by_stage), str(row.blocked), str(row.sent_back))
    console.print(table)
    console.print(
        f"stage overdue (units past a stage deadline): {result.overdue}   "
        f"duties overdue: {result.duties_overdue}",
        markup=False,
    )
    for b in result.blocked[:20]:
        name = result.names.get(b.unit, b.unit)
        console.print(f"blocked {name} ({result.label(b.event)}): {'; '.join(b.reasons)}", markup=False)
    if len(result.blocked) > 20:
        console.print(f"... and {len(result.blocked) - 20} more blocked", markup=False)
    for label, c in result.duties.items():
        console.print(f"{label}: {c['done']} done, {c['due']} due, {c['overdue']} overdue", markup=False)
    for line in result.late[:20]:
        console.print(f"duty overdue: {line}", markup=False)
    if result.duties_overdue > 20:
        console.print(f"... and {result.duties_overdue - 20} more duties overdue", markup=False)
    for w in result.working_groups:
        stages = ", ".join(f"{stage} {n}" for stage, n in w.by_stage.items())
        leader = result.names.get(w.leader, w.leader)
        console.print(
            f"working group {w.name} ({leader}): {len(w.units)} units: {stages}; "
            f"{w.blocked} blocked, {w.sent_back} sent back",
            markup=False,
        )
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
@click.option("--at", "at", default=None, help=AT_HELP)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@CAMPAIGN_ID
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

    def judge() -> Any:
        from campaignflow.report.as_of import default_moment  # noqa: PLC0415 - keep --help fast

        campaign, org, store = open_db(db, campaign_ref, org_path)
        now = when if when is not None else default_moment(store).at
        return campaign.open(org, store).obligations(unit, now=now)

    result = guard(judge)
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
@CAMPAIGN_ID
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
